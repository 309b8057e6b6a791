//! Provider registrations and their lifecycle state machine.
//!
//! A [`Registration`] is one provider bound into one API instance, from the moment it is first
//! bound (to the default slot or to a domain) until it is unbound from every slot. Binding the
//! same provider into a second slot reuses its registration; binding it again after it was
//! retired makes a new one.
//!
//! # Leases
//!
//! A registration's lifecycle gate is its lease count, split into [`sync::LEASE_SHARDS`]
//! cache-padded shards so that evaluations on different threads write different cache lines.
//! Each shard is one atomic word:
//!
//! | bits      | meaning                                                                  |
//! |-----------|--------------------------------------------------------------------------|
//! | bit 0     | `RETIRED`: unbound from every slot; set on every shard, once, under the registry write lock |
//! | bits 1..  | the live leases taken on this shard: one per evaluation or track call in flight, plus (on shard 0) one held by `initialize` while it runs |
//!
//! A lease is taken by one read-modify-write of its thread's shard, either under the registry
//! read lock (then the registration is reachable from the registry, so not retired) or
//! optimistically from a thread's cached snapshot (then the `RETIRED` bit in the word it
//! replaced tells whether it arrived too late, and it backs out). Retiring sets `RETIRED` on
//! every shard with one read-modify-write each, and so counts exactly the leases that arrived
//! before it on each shard; it adds that count to `outstanding`, plus one: a lease of the
//! retiring thread's own, which it gives back once it has released the registry lock. A lease
//! released on a shard that is already `RETIRED` was counted, and takes one off
//! `outstanding`. Whoever takes `outstanding` to zero is the single caller of
//! [`Registration::shut_down`]. In production the retiring thread spins a few microseconds
//! for the evaluations in flight to finish before it gives its lease back, so that it is
//! usually the last and runs the shutdown itself: a provider's `shutdown` (user code, maybe
//! slow) then rarely lands on an evaluating thread. Every step is a read-modify-write, so no
//! step can miss another on the same word, on any memory model. Hence, by construction and not
//! by timing:
//! - `shutdown` runs exactly once per registration;
//! - it never overlaps `initialize`, an evaluation or a track call on that registration;
//! - no evaluation resolves on a provider after its shutdown began.
//!
//! Nothing in this module runs user code while holding a lock.

use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationError};
use crate::events::EmitterLink;
use crate::hooks::Hook;
use crate::provider::{FeatureProvider, ProviderStatus};
use crate::providers::NoOpProvider;
use crate::sync::atomic::{AtomicIsize, AtomicU8, AtomicUsize, Ordering};
use crate::sync::{self, Arc, CachePadded, Condvar, Mutex, SpinHint};
use crate::transaction::{ThreadLocalPropagator, TransactionContextPropagator};
use std::collections::BTreeMap;

/// The `RETIRED` bit of a lease shard word.
const RETIRED: usize = 1;
/// One live lease in a lease shard word.
const ONE_LEASE: usize = 2;

sync::fast_thread_local! {
    /// How many leases the current thread holds. A thread that holds one must not wait for a
    /// provider shutdown: that shutdown may be waiting for this very lease.
    static LEASES_HELD: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

/// Whether the calling thread is inside provider code or an evaluation (holds a lease).
pub(crate) fn thread_holds_lease() -> bool {
    LEASES_HELD.with(|held| held.get() > 0)
}

fn note_lease_taken() {
    LEASES_HELD.with(|held| held.set(held.get() + 1));
}

fn note_lease_released() {
    LEASES_HELD.with(|held| held.set(held.get().saturating_sub(1)));
}

/// The outcome of `initialize`, once known.
#[derive(Clone, Debug)]
pub(crate) enum InitState {
    Running,
    Done(Result<(), EvaluationError>),
}

struct Lifecycle {
    init: InitState,
    shut_down: bool,
}

/// One provider bound into one API instance. See the module docs for the lease word.
pub(crate) struct Registration {
    /// Registration order within the API instance: a deterministic identity for traces.
    pub(crate) serial: u64,
    pub(crate) provider: Arc<dyn FeatureProvider>,
    pub(crate) name: String,
    /// The provider's status as derived from its events. Written only under the events lock
    /// (so that it moves in step with the delivery queue); read anywhere.
    status: AtomicU8,
    /// The sharded lease count; see the module docs.
    leases: Leases,
    /// The link the provider's emitter uses; cut at shutdown.
    pub(crate) emitter: Arc<EmitterLink>,
    /// The init outcome and shutdown flag, for threads that wait for them.
    lifecycle: Mutex<Lifecycle>,
    lifecycle_changed: Condvar,
    /// Set once `lifecycle.shut_down` is: a thread about to wait for the shutdown spins on it
    /// first, so that the thread running the shutdown (often an evaluation, releasing the last
    /// lease) rarely has a sleeping waiter to wake, and `is_shut_down` answers from it without
    /// the lifecycle lock once it is set (in a write section). On a line of its own, so that the spinning
    /// does not slow the shutdown's own writes to the lines around it.
    shut_down_hint: CachePadded<SpinHint>,
}

impl Registration {
    /// A registration whose `initialize` is yet to run: it starts with the init lease held and
    /// status `NOT_READY`.
    pub(crate) fn new_uninitialized(
        serial: u64,
        provider: Arc<dyn FeatureProvider>,
        name: String,
    ) -> Self {
        Self::build(
            serial,
            provider,
            name,
            ProviderStatus::NotReady,
            1,
            InitState::Running,
        )
    }

    /// A registration that needs no `initialize` (the built-in no-op default): ready at once.
    pub(crate) fn new_ready(serial: u64, provider: Arc<dyn FeatureProvider>, name: String) -> Self {
        Self::build(
            serial,
            provider,
            name,
            ProviderStatus::Ready,
            0,
            InitState::Done(Ok(())),
        )
    }

    fn build(
        serial: u64,
        provider: Arc<dyn FeatureProvider>,
        name: String,
        status: ProviderStatus,
        leases: usize,
        init: InitState,
    ) -> Self {
        Self {
            serial,
            provider,
            name,
            status: AtomicU8::new(status as u8),
            leases: Leases::new(leases),
            emitter: Arc::new(EmitterLink::new()),
            lifecycle: Mutex::new(
                "registration.lifecycle",
                Lifecycle {
                    init,
                    shut_down: false,
                },
            ),
            lifecycle_changed: Condvar::new(),
            shut_down_hint: CachePadded::new(SpinHint::new()),
        }
    }

    pub(crate) fn status(&self) -> ProviderStatus {
        ProviderStatus::from_u8(self.status.load(Ordering::Acquire))
    }

    /// The status, read lock-free by an evaluation's fast path: the latest written (see
    /// `sync::read_current_u8`).
    pub(crate) fn current_status(&self) -> ProviderStatus {
        ProviderStatus::from_u8(sync::read_current_u8(&self.status))
    }

    /// Only the events module calls this, under the events lock.
    ///
    /// A read-modify-write rather than a store, so that every write of the status is part of
    /// the same chain as the fast path's reads (`current_status`, a read-modify-write under the
    /// checkers): under loom a plain store racing with one could be ordered before it and lost.
    pub(crate) fn set_status(&self, status: ProviderStatus) {
        self.status.swap(status as u8, Ordering::AcqRel);
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.leases.is_retired()
    }

    pub(crate) fn is_same_provider(&self, provider: &Arc<dyn FeatureProvider>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.provider), Arc::as_ptr(provider))
    }

    /// Takes a lease on `shard`. The caller holds the registry lock (read or write) and reached
    /// `self` through the registry, so `self` is not retired.
    pub(crate) fn lease(&self, shard: usize) -> Lease<'_> {
        let taken = self.leases.acquire(shard);
        debug_assert!(taken, "lease taken on a retired registration");
        note_lease_taken();
        Lease {
            registration: self,
            shard,
        }
    }

    /// Takes a lease on `shard` without the registry lock, from a snapshot that may be out of
    /// date: `None` when the registration was already retired (nothing is then held).
    pub(crate) fn try_lease(&self, shard: usize) -> Option<Lease<'_>> {
        if !self.leases.acquire(shard) {
            return None;
        }
        note_lease_taken();
        Some(Lease {
            registration: self,
            shard,
        })
    }

    /// Marks the registration retired, with one more lease counted live: the retiring
    /// thread's own (see the module docs). The caller holds the registry write lock and has
    /// just unbound the last slot; once it has released the lock it must give that lease back
    /// with [`Registration::release_retirer`].
    fn retire(&self) {
        self.leases.retire();
    }

    /// Gives back the retiring thread's lease (see [`Registration::retire`]). In production it
    /// first spins, a few microseconds at most, while evaluations still hold leases, so that
    /// the retiring thread, not an evaluation, is usually the last and runs the shutdown.
    /// Returns `true` when it was the last live lease, in which case the caller must call
    /// [`Registration::shut_down`].
    #[must_use]
    pub(crate) fn release_retirer(&self) -> bool {
        self.leases.release_retirer()
    }

    /// Runs the provider's `shutdown`, cuts its emitter and reports `NOT_READY` (spec 1.7.6).
    /// Called exactly once, by whoever took `outstanding` to zero (see the module docs), with no
    /// SDK lock held.
    pub(crate) fn shut_down(&self) {
        let provider = Arc::clone(&self.provider);
        // A panicking shutdown is contained; the registration is shut down all the same.
        let _contained = crate::contain::call("provider shutdown", || provider.shutdown());
        self.emitter.detach();
        self.set_status(ProviderStatus::NotReady);
        let mut lifecycle = self.lifecycle.lock();
        lifecycle.shut_down = true;
        drop(lifecycle);
        self.shut_down_hint.set();
        self.lifecycle_changed.notify_all();
    }

    /// Runs `initialize` on the calling thread, holding the init lease, and records its outcome.
    /// The caller is the single thread that created this registration.
    pub(crate) fn run_initialize(
        &self,
        context: &EvaluationContext,
    ) -> Result<(), EvaluationError> {
        note_lease_taken();
        let provider = Arc::clone(&self.provider);
        let outcome = crate::contain::call("provider initialize", || provider.initialize(context))
            .and_then(|result| result);
        note_lease_released();
        outcome
    }

    /// Publishes the init outcome to waiters and gives back the init lease. Returns `true` when
    /// the caller must now call [`Registration::shut_down`].
    #[must_use]
    pub(crate) fn finish_initialize(&self, outcome: Result<(), EvaluationError>) -> bool {
        let mut lifecycle = self.lifecycle.lock();
        lifecycle.init = InitState::Done(outcome);
        drop(lifecycle);
        self.lifecycle_changed.notify_all();
        self.leases.release(INIT_SHARD)
    }

    /// Blocks until `initialize` has finished and returns its outcome.
    pub(crate) fn wait_initialized(&self) -> Result<(), EvaluationError> {
        let mut lifecycle = self.lifecycle.lock();
        loop {
            if let InitState::Done(outcome) = &lifecycle.init {
                return outcome.clone();
            }
            if thread_holds_lease() {
                return Err(EvaluationError::new(
                    ErrorCode::General,
                    "cannot wait for a provider's initialize from inside provider or hook code",
                ));
            }
            lifecycle = self.lifecycle_changed.wait(lifecycle);
        }
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        // The hint first: it is set only after `shut_down` is published, so a write section
        // that asks about a registration long shut down takes no lock for it.
        self.shut_down_hint.is_set() || self.lifecycle.lock().shut_down
    }

    /// Blocks until `shutdown` has run, unless the calling thread holds a lease (then the
    /// shutdown may be waiting for it, and it happens when that lease is released).
    pub(crate) fn wait_shut_down(&self) {
        if thread_holds_lease() {
            return;
        }
        self.shut_down_hint.spin_until_set();
        let mut lifecycle = self.lifecycle.lock();
        while !lifecycle.shut_down {
            lifecycle = self.lifecycle_changed.wait(lifecycle);
        }
    }
}

/// Proof that a registration will not be shut down while this value lives. Dropping the last
/// lease of a retired registration runs its shutdown on the dropping thread.
///
/// It borrows the registration instead of holding an `Arc` to it: the caller's snapshot keeps
/// the registration alive, and an evaluation then writes no shared reference count.
pub(crate) struct Lease<'a> {
    registration: &'a Registration,
    shard: usize,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        note_lease_released();
        if self.registration.leases.release(self.shard) {
            crate::probe::path(crate::probe::Path::RAN_SHUTDOWN);
            self.registration.shut_down();
        }
    }
}

/// The shard that holds the init lease of a registration created uninitialized.
const INIT_SHARD: usize = 0;

/// A registration's lease count, sharded; see the module docs for the protocol.
struct Leases {
    /// One word per shard: `RETIRED` bit and `ONE_LEASE` per live lease taken on the shard.
    shards: Box<[CachePadded<AtomicUsize>]>,
    /// Once retired: the leases counted at retirement minus those released since (it may dip
    /// below zero while the retiring thread is still counting). Zero again means none is live.
    outstanding: AtomicIsize,
}

impl Leases {
    /// No shard retired, and `init_leases` leases live on the init shard.
    fn new(init_leases: usize) -> Self {
        let shards = (0..sync::LEASE_SHARDS)
            .map(|shard| {
                let leases = if shard == INIT_SHARD { init_leases } else { 0 };
                CachePadded::new(AtomicUsize::new(leases * ONE_LEASE))
            })
            .collect();
        Self {
            shards,
            outstanding: AtomicIsize::new(0),
        }
    }

    fn shard(&self, shard: usize) -> &AtomicUsize {
        &self.shards[shard % self.shards.len()]
    }

    /// Takes a lease on `shard`; backs out and returns `false` if the shard is retired (the
    /// retiring thread counted the leases before this one, and not this one).
    fn acquire(&self, shard: usize) -> bool {
        let word = self.shard(shard);
        sync::step("atomic registration.leases += 1");
        let previous = word.fetch_add(ONE_LEASE, Ordering::AcqRel);
        if previous & RETIRED == 0 {
            return true;
        }
        sync::step("atomic registration.leases -= 1 (retired: back out)");
        word.fetch_sub(ONE_LEASE, Ordering::AcqRel);
        false
    }

    /// Gives back a lease taken on `shard`; returns `true` when it was the last live lease of
    /// a retired registration, so the caller must run the shutdown.
    fn release(&self, shard: usize) -> bool {
        sync::step("atomic registration.leases -= 1");
        let previous = self.shard(shard).fetch_sub(ONE_LEASE, Ordering::AcqRel);
        if previous & RETIRED == 0 {
            return false;
        }
        // Counted at retirement: take it off the outstanding count.
        sync::step("atomic registration.outstanding -= 1");
        self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Sets `RETIRED` on every shard, counting the leases live on each at that moment, and
    /// counts one more: the retiring thread's, which it gives back with
    /// [`Leases::release_retirer`].
    fn retire(&self) {
        let mut counted: isize = 0;
        for word in self.shards.iter() {
            sync::step("atomic registration.leases |= RETIRED");
            let previous = word.fetch_or(RETIRED, Ordering::AcqRel);
            debug_assert_eq!(previous & RETIRED, 0, "registration retired twice");
            counted += (previous / ONE_LEASE) as isize;
        }
        sync::step("atomic registration.outstanding += counted");
        self.outstanding.fetch_add(counted + 1, Ordering::AcqRel);
    }

    /// Gives back the retiring thread's lease; returns `true` when it was the last live one.
    fn release_retirer(&self) -> bool {
        sync::spin_until(|| self.outstanding.load(Ordering::Acquire) <= 1);
        sync::step("atomic registration.outstanding -= 1 (retirer)");
        self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1
    }

    fn is_retired(&self) -> bool {
        self.shards[0].load(Ordering::Acquire) & RETIRED != 0
    }
}

/// Everything an evaluation reads from the API instance, guarded by one `RwLock` in
/// `ApiShared::registry`. Invariant: every registration reachable from `default` or `domains`
/// is not retired, and a registration is retired in the same write-lock critical section that
/// unbinds its last slot.
pub(crate) struct Registry {
    pub(crate) default: Arc<Registration>,
    /// Domain bindings, ordered by name so that every walk over them is deterministic.
    pub(crate) domains: BTreeMap<String, Arc<Registration>>,
    /// API-level hooks, replaced whole on change (copy on write), so an evaluation holds an
    /// `Arc` to the list it started with.
    pub(crate) hooks: Arc<Vec<Arc<dyn Hook>>>,
    /// The global evaluation context, replaced whole on change.
    pub(crate) context: Arc<EvaluationContext>,
    /// Bumped on every change of `context`, for optimistic read-modify-write updates.
    pub(crate) context_version: u64,
    pub(crate) propagator: Arc<dyn TransactionContextPropagator>,
    /// Bumped on every propagator swap, so that `set_transaction_context` can detect a swap that
    /// raced with it and write again.
    pub(crate) propagator_version: u64,
    /// Retired registrations whose `shutdown` may not have run yet; `Api::shutdown` waits for
    /// them and a new registration of the same provider starts after them. Pruned of finished
    /// ones (onto `replaced`) on every retire.
    pub(crate) pending_shutdown: Vec<Arc<Registration>>,
    /// What the registry (or a client, in a registry write section) replaced or let go of and
    /// some evaluation may still hold (in a thread's cached snapshot, or in flight): kept until
    /// the registry's reference is the last, then released by the writer that finds so, after
    /// it unlocks (see [`Registry::take_released`]). So an evaluating thread never frees what a
    /// writer allocated (with glibc's malloc, freeing into another thread's arena takes that
    /// arena's lock, which the writer is likely holding), and no value's `Drop` (a provider's,
    /// a hook's, a propagator's: user code) runs under the registry lock.
    pub(crate) replaced: Vec<Replaced>,
    /// The next registration serial.
    pub(crate) next_serial: u64,
}

/// A value the registry no longer refers to, kept while anyone else may (see
/// [`Registry::replaced`]).
pub(crate) enum Replaced {
    Registration(Arc<Registration>),
    Hooks(Arc<Vec<Arc<dyn Hook>>>),
    Context(Arc<EvaluationContext>),
    Propagator(Arc<dyn TransactionContextPropagator>),
}

impl Replaced {
    /// Whether this is the last reference. Only the registry, under its write lock, holds a
    /// `Replaced`, and nothing can take a new reference from it, so once this is true it stays
    /// true; a stale `false` only keeps the value until a later write.
    fn is_last(&self) -> bool {
        match self {
            Replaced::Registration(registration) => Arc::strong_count(registration) == 1,
            Replaced::Hooks(hooks) => Arc::strong_count(hooks) == 1,
            Replaced::Context(context) => Arc::strong_count(context) == 1,
            Replaced::Propagator(propagator) => Arc::strong_count(propagator) == 1,
        }
    }
}

/// The registration of the built-in no-op default provider, with `serial`: a fresh registry's
/// default takes the next serial of the one it replaces, so serials stay unique across resets.
fn noop_default(serial: u64) -> Arc<Registration> {
    let noop: Arc<dyn FeatureProvider> = Arc::new(NoOpProvider);
    let name = noop.metadata().name;
    Arc::new(Registration::new_ready(serial, noop, name))
}

impl Registry {
    /// A registry with the no-op default provider and nothing else.
    pub(crate) fn new() -> Registry {
        Registry {
            default: noop_default(0),
            domains: BTreeMap::new(),
            hooks: Arc::new(Vec::new()),
            context: Arc::new(EvaluationContext::default()),
            context_version: 0,
            propagator: Arc::new(ThreadLocalPropagator::new()),
            propagator_version: 0,
            pending_shutdown: Vec::new(),
            replaced: Vec::new(),
            next_serial: 1,
        }
    }

    /// The registry that replaces this one at a reset (`Api::clear_providers` when
    /// `keep_configuration`, `Api::shutdown` otherwise): no provider bound but the no-op default.
    /// API hooks, global context and propagator are kept, or else reset to a fresh registry's.
    ///
    /// One struct literal naming every field, so that a new field does not compile until the
    /// reset decides what becomes of it. The versions never go back: a reset that replaces the
    /// context or the propagator bumps its version, so that an `update_context` or
    /// `set_transaction_context` racing with it sees the change.
    pub(crate) fn after_reset(&mut self, keep_configuration: bool) -> Registry {
        let mut replaced = std::mem::take(&mut self.replaced);
        let (hooks, context, propagator, bump) = if keep_configuration {
            (
                Arc::clone(&self.hooks),
                Arc::clone(&self.context),
                Arc::clone(&self.propagator),
                0,
            )
        } else {
            let fresh = Registry::new();
            replaced.extend([
                Replaced::Hooks(Arc::clone(&self.hooks)),
                Replaced::Context(Arc::clone(&self.context)),
                Replaced::Propagator(Arc::clone(&self.propagator)),
            ]);
            (fresh.hooks, fresh.context, fresh.propagator, 1)
        };
        Registry {
            default: noop_default(self.next_serial),
            domains: BTreeMap::new(),
            hooks,
            context,
            context_version: self.context_version + bump,
            propagator,
            propagator_version: self.propagator_version + bump,
            // Kept in both cases; the reset then retires the registrations it unbinds onto it.
            pending_shutdown: self.pending_shutdown.clone(),
            replaced,
            next_serial: self.next_serial + 1,
        }
    }

    /// The registration a client of `domain` resolves on: the domain's own, else the default.
    pub(crate) fn registration_for(&self, domain: Option<&str>) -> &Arc<Registration> {
        domain
            .and_then(|domain| self.domains.get(domain))
            .unwrap_or(&self.default)
    }

    /// The registration already bound for `provider`, if any.
    pub(crate) fn find(&self, provider: &Arc<dyn FeatureProvider>) -> Option<&Arc<Registration>> {
        std::iter::once(&self.default)
            .chain(self.domains.values())
            .find(|registration| registration.is_same_provider(provider))
    }

    /// Whether `registration` is still bound to some slot.
    pub(crate) fn binds(&self, registration: &Arc<Registration>) -> bool {
        std::iter::once(&self.default)
            .chain(self.domains.values())
            .any(|bound| Arc::ptr_eq(bound, registration))
    }

    /// Every bound registration once: default first, then domains in name order.
    pub(crate) fn distinct_registrations(&self) -> Vec<Arc<Registration>> {
        let mut distinct: Vec<Arc<Registration>> = Vec::new();
        for registration in std::iter::once(&self.default).chain(self.domains.values()) {
            if !distinct.iter().any(|seen| Arc::ptr_eq(seen, registration)) {
                distinct.push(Arc::clone(registration));
            }
        }
        distinct
    }

    /// Retires `registration`, which the caller has just unbound from its last slot, counting
    /// a lease of the caller's own that it must give back with
    /// [`Registration::release_retirer`] once the lock is released (and run the shutdown if
    /// that was the last). The registration is remembered until its shutdown has run, so that
    /// `Api::shutdown` can wait for it and a new registration of the same provider can start
    /// only after it (see [`Registry::predecessor`]).
    pub(crate) fn retire(&mut self, registration: &Arc<Registration>) {
        registration.retire();
        let finished = self
            .pending_shutdown
            .extract_if(.., |pending| pending.is_shut_down());
        self.replaced.extend(finished.map(Replaced::Registration));
        self.pending_shutdown.push(Arc::clone(registration));
    }

    /// Keeps `value`, which the registry or a client has just let go of, until no evaluation
    /// holds it (see [`Registry::replaced`]).
    pub(crate) fn keep_until_unused(&mut self, value: Replaced) {
        self.replaced.push(value);
    }

    /// Replaces the API hooks; the old list is kept until no evaluation holds it.
    pub(crate) fn set_hooks(&mut self, hooks: Vec<Arc<dyn Hook>>) {
        let old = std::mem::replace(&mut self.hooks, Arc::new(hooks));
        self.keep_until_unused(Replaced::Hooks(old));
    }

    /// Replaces the global context and bumps its version; the old one is kept until no
    /// evaluation holds it.
    pub(crate) fn set_context(&mut self, context: Arc<EvaluationContext>) {
        let old = std::mem::replace(&mut self.context, context);
        self.keep_until_unused(Replaced::Context(old));
        self.context_version += 1;
    }

    /// Replaces the propagator and bumps its version; the old one is kept until no evaluation
    /// holds it.
    pub(crate) fn set_propagator(&mut self, propagator: Arc<dyn TransactionContextPropagator>) {
        let old = std::mem::replace(&mut self.propagator, propagator);
        self.keep_until_unused(Replaced::Propagator(old));
        self.propagator_version += 1;
    }

    /// Takes out of [`Registry::replaced`] every value of which the registry now holds the
    /// last reference, for the caller to drop once it has released the lock (an empty `Vec`,
    /// which allocates nothing, when there is none).
    pub(crate) fn take_released(&mut self) -> Vec<Replaced> {
        self.replaced
            .extract_if(.., |value| value.is_last())
            .collect()
    }

    /// The latest retired registration of `provider` whose shutdown has not run yet, if any. A
    /// new registration of the same provider waits for it; since that one in turn started only
    /// after its own predecessor's shutdown, the provider's lifecycle calls alternate: never a
    /// second `initialize` before the previous `shutdown`.
    pub(crate) fn predecessor(
        &self,
        provider: &Arc<dyn FeatureProvider>,
    ) -> Option<Arc<Registration>> {
        self.pending_shutdown
            .iter()
            .rev()
            .find(|pending| pending.is_same_provider(provider) && !pending.is_shut_down())
            .cloned()
    }

    pub(crate) fn take_serial(&mut self) -> u64 {
        let serial = self.next_serial;
        self.next_serial += 1;
        serial
    }
}

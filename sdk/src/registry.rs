//! Provider registrations and their lifecycle state machine.
//!
//! A [`Registration`] is one provider bound into one API instance, from the moment it is first
//! bound (to the default slot or to a domain) until it is unbound from every slot. Binding the
//! same provider into a second slot reuses its registration; binding it again after it was
//! retired makes a new one.
//!
//! # The lease word
//!
//! `Registration::leases` packs the whole lifecycle gate into one atomic word:
//!
//! | bits      | meaning                                                                  |
//! |-----------|--------------------------------------------------------------------------|
//! | bit 0     | `RETIRED`: unbound from every slot; set once, under the registry write lock |
//! | bits 1..  | the number of live leases: one per evaluation or track call in flight, plus one held by `initialize` while it runs |
//!
//! Leases are only ever *acquired* under the registry read lock, from a registration reachable
//! from the registry; `RETIRED` is only ever set under the registry write lock, when the last
//! slot is unbound. So no lease is acquired after `RETIRED` is set, and the count can only fall
//! from then on. Whoever takes the word to exactly `RETIRED` with no leases (the retiring thread
//! when none were live, or else the last lease to be released) is the single caller of
//! [`Registration::shut_down`]. Hence, by construction and not by timing:
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
use crate::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use crate::sync::{self, Arc, Condvar, Mutex};
use crate::transaction::{ThreadLocalPropagator, TransactionContextPropagator};
use std::collections::BTreeMap;

const RETIRED: usize = 1;
const ONE_LEASE: usize = 2;

sync::thread_local! {
    /// How many leases the current thread holds. A thread that holds one must not wait for a
    /// provider shutdown: that shutdown may be waiting for this very lease.
    // Not `const`: loom's `thread_local!` does not accept const initializers.
    #[allow(clippy::missing_const_for_thread_local)]
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
    /// `RETIRED` bit and lease count; see the module docs.
    leases: AtomicUsize,
    /// The link the provider's emitter uses; cut at shutdown.
    pub(crate) emitter: Arc<EmitterLink>,
    /// The init outcome and shutdown flag, for threads that wait for them.
    lifecycle: Mutex<Lifecycle>,
    lifecycle_changed: Condvar,
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
            ONE_LEASE,
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
            leases: AtomicUsize::new(leases),
            emitter: Arc::new(EmitterLink::new()),
            lifecycle: Mutex::new(
                "registration.lifecycle",
                Lifecycle {
                    init,
                    shut_down: false,
                },
            ),
            lifecycle_changed: Condvar::new(),
        }
    }

    pub(crate) fn status(&self) -> ProviderStatus {
        ProviderStatus::from_u8(self.status.load(Ordering::Acquire))
    }

    /// Only the events module calls this, under the events lock.
    pub(crate) fn set_status(&self, status: ProviderStatus) {
        self.status.store(status as u8, Ordering::Release);
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.leases.load(Ordering::Acquire) & RETIRED != 0
    }

    pub(crate) fn is_same_provider(&self, provider: &Arc<dyn FeatureProvider>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.provider), Arc::as_ptr(provider))
    }

    /// Takes a lease. The caller must hold the registry lock (read or write) and have reached
    /// `this` through the registry, so `this` is not retired.
    pub(crate) fn lease(this: &Arc<Registration>) -> Lease {
        sync::step("atomic registration.leases += 1");
        let previous = this.leases.fetch_add(ONE_LEASE, Ordering::AcqRel);
        debug_assert_eq!(
            previous & RETIRED,
            0,
            "lease taken on a retired registration"
        );
        note_lease_taken();
        Lease {
            registration: Arc::clone(this),
        }
    }

    /// Marks the registration retired. The caller holds the registry write lock and has just
    /// unbound the last slot. Returns `true` when no lease is live, in which case the caller
    /// must call [`Registration::shut_down`] once it has released the lock.
    #[must_use]
    fn retire(&self) -> bool {
        sync::step("atomic registration.leases |= RETIRED");
        let previous = self.leases.fetch_or(RETIRED, Ordering::AcqRel);
        debug_assert_eq!(previous & RETIRED, 0, "registration retired twice");
        previous == 0
    }

    /// Gives back one lease; returns `true` when the caller was the last lease of a retired
    /// registration and so must call [`Registration::shut_down`].
    #[must_use]
    fn release(&self) -> bool {
        sync::step("atomic registration.leases -= 1");
        let previous = self.leases.fetch_sub(ONE_LEASE, Ordering::AcqRel);
        previous == ONE_LEASE | RETIRED
    }

    /// Runs the provider's `shutdown`, cuts its emitter and reports `NOT_READY` (spec 1.7.6).
    /// Called exactly once, by whoever drained the lease word (see the module docs), with no
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
        self.release()
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
        self.lifecycle.lock().shut_down
    }

    /// Blocks until `shutdown` has run, unless the calling thread holds a lease (then the
    /// shutdown may be waiting for it, and it happens when that lease is released).
    pub(crate) fn wait_shut_down(&self) {
        if thread_holds_lease() {
            return;
        }
        let mut lifecycle = self.lifecycle.lock();
        while !lifecycle.shut_down {
            lifecycle = self.lifecycle_changed.wait(lifecycle);
        }
    }
}

/// Proof that a registration will not be shut down while this value lives. Dropping the last
/// lease of a retired registration runs its shutdown on the dropping thread.
pub(crate) struct Lease {
    registration: Arc<Registration>,
}

impl Lease {
    pub(crate) fn registration(&self) -> &Arc<Registration> {
        &self.registration
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        note_lease_released();
        if self.registration.release() {
            self.registration.shut_down();
        }
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
    /// ones on every retire.
    pub(crate) pending_shutdown: Vec<Arc<Registration>>,
    /// The next registration serial.
    pub(crate) next_serial: u64,
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
    pub(crate) fn after_reset(&self, keep_configuration: bool) -> Registry {
        let (hooks, context, propagator, bump) = if keep_configuration {
            (
                Arc::clone(&self.hooks),
                Arc::clone(&self.context),
                Arc::clone(&self.propagator),
                0,
            )
        } else {
            let fresh = Registry::new();
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

    /// Retires `registration`, which the caller has just unbound from its last slot. Returns
    /// `true` when the caller must run its shutdown once the lock is released; otherwise the
    /// last lease will. Either way the registration is remembered until its shutdown has run,
    /// so that `Api::shutdown` can wait for it and a new registration of the same provider can
    /// start only after it (see [`Registry::predecessor`]).
    #[must_use]
    pub(crate) fn retire(&mut self, registration: &Arc<Registration>) -> bool {
        let drained = registration.retire();
        self.pending_shutdown
            .retain(|pending| !pending.is_shut_down());
        self.pending_shutdown.push(Arc::clone(registration));
        drained
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

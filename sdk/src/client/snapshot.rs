//! The snapshot one evaluation works from, and the per-thread cache that makes taking it cost
//! no shared write in the common case.
//!
//! # Published snapshots
//!
//! A [`Published`] holds everything an evaluation reads from its API instance and client (the
//! registration of the client's provider, API and client hooks, global and client context, the
//! propagator), as of one configuration *version* (`ApiShared::version`). Every change to any of
//! these is made in a registry write section (a client's too), which bumps the version before
//! releasing the lock, so a snapshot built under the registry read lock with version `v`
//! describes the configuration for as long as the version stays `v`.
//!
//! Each thread keeps its latest `Published` per client in a thread-local cache, behind an `Rc`
//! (a thread-local reference count). An evaluation then:
//! 1. loads the version (a read of a line that only writers write);
//! 2. finds the thread's snapshot of this client for that version;
//! 3. takes a lease on the snapshot's registration, on the thread's own lease shard (a
//!    read-modify-write of a cache line no other thread uses, in the common case); the lease
//!    backs out if the registration was retired meanwhile;
//! 4. reads the provider's status;
//! 5. loads the version again.
//!
//! If any step fails (no snapshot for this version, the registration retired, the version moved)
//! it takes the snapshot the locked way instead: under the registry read lock and the client's
//! locks, which exclude every configuration change, it brings the thread's snapshot of the
//! client up to date in place (only the parts that changed are replaced, so the reference
//! counts of the parts a busy writer also touches are not written) or, when it has none or a
//! nested evaluation on this thread still uses it, builds a fresh `Published`; then it leases,
//! reads the status and caches the result. Either way the evaluation sees one moment's
//! configuration (A15): on the fast path, no change landed between steps 1 and 5, so the
//! registration, hooks and contexts were current throughout and the status read at step 4 is
//! theirs at that instant (a status written after a later change would carry that change's
//! version bump with it, and step 5 would see it).
//!
//! A cached snapshot keeps a replaced provider's memory (never its lifecycle: the lease protocol
//! alone decides when `shutdown` runs) until the thread next evaluates through that client, or
//! until the entry is evicted by newer ones.

use super::pipeline::HookSpares;
use super::ClientState;
use crate::context::EvaluationContext;
use crate::evaluation::FlagMetadata;
use crate::hooks::Hook;
use crate::probe::{self, Step};
use crate::provider::ProviderStatus;
use crate::registry::{Lease, Registration, Registry};
use crate::shared::ApiShared;
use crate::sync::{self, Arc, Weak};
use crate::transaction::TransactionContextPropagator;
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

/// How many clients' snapshots one thread keeps; the oldest is evicted first.
const CACHED_CLIENTS: usize = 8;

/// Everything an evaluation reads from the API and its client, as of one configuration version.
pub(super) struct Published {
    version: u64,
    pub(super) registration: Arc<Registration>,
    pub(super) api_hooks: Arc<Vec<Arc<dyn Hook>>>,
    pub(super) client_hooks: Arc<Vec<Arc<dyn Hook>>>,
    global_context: Arc<EvaluationContext>,
    client_context: Arc<EvaluationContext>,
    /// The global context overlaid with the client's: the merged context of every evaluation
    /// with no transaction context, computed once per snapshot instead of once per evaluation,
    /// and not computed at all (one of the two levels, shared) when the other is empty.
    base_context: Arc<EvaluationContext>,
    propagator: Arc<dyn TransactionContextPropagator>,
    /// The flag metadata of details whose provider returned none: one empty map per snapshot
    /// (so per thread), shared instead of allocated per evaluation.
    no_metadata: FlagMetadata,
    /// What the hook chain reuses across this thread's evaluations.
    hook_spares: RefCell<HookSpares>,
}

impl Published {
    pub(super) fn no_metadata(&self) -> &FlagMetadata {
        &self.no_metadata
    }

    pub(super) fn hook_spares(&self) -> &RefCell<HookSpares> {
        &self.hook_spares
    }

    /// Reads the snapshot; the caller holds the registry read lock and both client read locks.
    fn read(
        registry: &Registry,
        client: &ClientState,
        client_hooks: &Arc<Vec<Arc<dyn Hook>>>,
        client_context: &Arc<EvaluationContext>,
        version: u64,
    ) -> Self {
        let global_context = Arc::clone(&registry.context);
        let client_context = Arc::clone(client_context);
        let base_context = base_context(&global_context, &client_context);
        let no_metadata = FlagMetadata::default();
        let hook_spares = RefCell::new(HookSpares::new(&no_metadata));
        Published {
            version,
            registration: Arc::clone(registry.registration_for(client.domain.as_deref())),
            api_hooks: Arc::clone(&registry.hooks),
            client_hooks: Arc::clone(client_hooks),
            global_context,
            client_context,
            base_context,
            propagator: Arc::clone(&registry.propagator),
            no_metadata,
            hook_spares,
        }
    }

    /// Brings this snapshot, of an older version, up to `version`, as [`Published::read`]
    /// would read it, under the same locks. Each part that did not change is kept as it is, so
    /// refreshing writes no reference count of a part the writers share (the cache lines a
    /// busy writer also writes) and allocates nothing but a changed merged context; what it
    /// replaces is returned, for the caller to drop once it has released the locks.
    fn refresh(
        &mut self,
        registry: &Registry,
        client: &ClientState,
        client_hooks: &Arc<Vec<Arc<dyn Hook>>>,
        client_context: &Arc<EvaluationContext>,
        version: u64,
    ) -> LetGo {
        fn update<T: ?Sized>(mine: &mut Arc<T>, current: &Arc<T>) -> Option<Arc<T>> {
            let unchanged = std::ptr::addr_eq(Arc::as_ptr(mine), Arc::as_ptr(current));
            (!unchanged).then(|| std::mem::replace(mine, Arc::clone(current)))
        }
        self.version = version;
        let registration = registry.registration_for(client.domain.as_deref());
        let global_context = update(&mut self.global_context, &registry.context);
        let client_context = update(&mut self.client_context, client_context);
        let base = (global_context.is_some() || client_context.is_some()).then(|| {
            let base = base_context(&self.global_context, &self.client_context);
            std::mem::replace(&mut self.base_context, base)
        });
        LetGo {
            _registration: update(&mut self.registration, registration),
            _api_hooks: update(&mut self.api_hooks, &registry.hooks),
            _client_hooks: update(&mut self.client_hooks, client_hooks),
            _contexts: [global_context, client_context, base],
            _propagator: update(&mut self.propagator, &registry.propagator),
        }
    }

    /// The snapshot's context levels merged with the invocation's, in the order of spec 3.2.3:
    /// global < transaction < client < invocation. The transaction context comes from the
    /// snapshot's propagator (user code, called outside every lock). Borrows instead of
    /// merging when only one level has anything in it.
    pub(super) fn merged_context<'c>(
        &'c self,
        invocation: Option<&'c EvaluationContext>,
    ) -> Cow<'c, EvaluationContext> {
        let transaction = crate::contain::call("propagator get", || {
            self.propagator.get_transaction_context()
        })
        .ok()
        .flatten();
        let invocation = invocation.filter(|invocation| !invocation.is_empty());
        match (transaction, invocation) {
            (None, None) => Cow::Borrowed(self.base_context.as_ref()),
            (None, Some(invocation)) if self.base_context.is_empty() => Cow::Borrowed(invocation),
            (None, Some(invocation)) => {
                let mut merged = EvaluationContext::clone(&self.base_context);
                merged.merge_in(invocation);
                Cow::Owned(merged)
            }
            (Some(transaction), invocation) => Cow::Owned(EvaluationContext::merged(
                [
                    Some(self.global_context.as_ref()),
                    Some(transaction.as_ref()),
                    Some(self.client_context.as_ref()),
                    invocation,
                ]
                .into_iter()
                .flatten(),
            )),
        }
    }
}

/// The global context overlaid with the client's: one of the two, shared, when the other is
/// empty; merged otherwise.
fn base_context(
    global_context: &Arc<EvaluationContext>,
    client_context: &Arc<EvaluationContext>,
) -> Arc<EvaluationContext> {
    if client_context.is_empty() {
        Arc::clone(global_context)
    } else if global_context.is_empty() {
        Arc::clone(client_context)
    } else {
        Arc::new(EvaluationContext::merged([
            global_context.as_ref(),
            client_context.as_ref(),
        ]))
    }
}

/// The parts of a snapshot that [`Published::refresh`] replaced, held only to be dropped by
/// the caller after the locks (a last reference may run a user `Drop`).
#[derive(Default)]
struct LetGo {
    _registration: Option<Arc<Registration>>,
    _api_hooks: Option<Arc<Vec<Arc<dyn Hook>>>>,
    _client_hooks: Option<Arc<Vec<Arc<dyn Hook>>>>,
    _contexts: [Option<Arc<EvaluationContext>>; 3],
    _propagator: Option<Arc<dyn TransactionContextPropagator>>,
}

/// What one evaluation works from: its snapshot, a lease on the snapshot's registration that
/// keeps it from being shut down until the evaluation ends, and the provider's status.
pub(super) struct Snapshot<'a> {
    pub(super) published: &'a Published,
    pub(super) status: ProviderStatus,
    _lease: Lease<'a>,
}

impl Snapshot<'_> {
    pub(super) fn registration(&self) -> &Registration {
        &self.published.registration
    }
}

/// Runs `evaluation` with a snapshot of `client`'s configuration (see the module docs). The
/// lease is released, and a shutdown it was the last to hold up runs, after `evaluation`
/// returns.
pub(super) fn with_snapshot<R>(
    api: &ApiShared,
    client: &Arc<ClientState>,
    evaluation: impl FnOnce(&Snapshot<'_>) -> R,
) -> R {
    probe::start();
    let shard = api.lease_shard();
    let version = api.version();
    if let Some(published) = cached(client, version) {
        if let Some(lease) = published.registration.try_lease(shard) {
            probe::path(probe::Path::CACHED_LEASE);
            let status = published.registration.current_status();
            if api.version() == version {
                return evaluation(&Snapshot {
                    published: &published,
                    status,
                    _lease: lease,
                });
            }
        }
    }
    // The thread's snapshot of this client, to be refreshed in place, when no evaluation on
    // this thread still uses it (a nested one: a hook evaluating through the same client).
    probe::path(probe::Path::LOCKED);
    probe::step(Step::Lookup);
    let reusable = take_reusable(client);
    let registry = api.registry();
    probe::step(Step::RegistryLock);
    let client_hooks = client.hooks.read();
    let client_context = client.context.read();
    probe::step(Step::ClientLocks);
    // Every change is made, and bumps the version, in a registry write section, which the read
    // lock excludes: the version is stable here.
    let version = api.version();
    let refreshed = reusable.and_then(|mut entry| {
        let stale = Rc::get_mut(&mut entry.published)?;
        probe::path(probe::Path::REFRESHED);
        let let_go = stale.refresh(&registry, client, &client_hooks, &client_context, version);
        Some((entry, let_go))
    });
    let (entry, let_go) = refreshed.unwrap_or_else(|| {
        let published = Published::read(&registry, client, &client_hooks, &client_context, version);
        let entry = Cached {
            client: Arc::downgrade(client),
            published: Rc::new(published),
        };
        (entry, LetGo::default())
    });
    probe::step(Step::Refresh);
    let published = Rc::clone(&entry.published);
    let lease = published.registration.lease(shard);
    let status = published.registration.status();
    probe::step(Step::LeaseAndStatus);
    drop(client_context);
    drop(client_hooks);
    drop(registry);
    probe::step(Step::Unlock);
    remember(entry);
    drop(let_go);
    probe::step(Step::Remember);
    let snapshot = Snapshot {
        published: &published,
        status,
        _lease: lease,
    };
    evaluation(&snapshot)
}

/// One thread's snapshot of one client.
struct Cached {
    /// Identifies the client; being weak, it keeps the client's allocation (so its address)
    /// from being reused while the entry exists, but not the client alive.
    client: Weak<ClientState>,
    published: Rc<Published>,
}

impl Cached {
    fn is_of(&self, client: &Arc<ClientState>) -> bool {
        std::ptr::eq(self.client.as_ptr(), Arc::as_ptr(client))
    }

    fn is_of_same_client(&self, other: &Cached) -> bool {
        std::ptr::eq(self.client.as_ptr(), other.client.as_ptr())
    }
}

sync::fast_thread_local! {
    /// This thread's snapshots, oldest first. Borrowed only briefly and never across user code;
    /// every access tolerates a borrow or a destroyed thread-local (it then goes without).
    static CACHE: RefCell<Vec<Cached>> = RefCell::new(Vec::new());
}

/// The thread's snapshot of `client` for `version`, if it has one.
fn cached(client: &Arc<ClientState>, version: u64) -> Option<Rc<Published>> {
    CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            cache
                .iter()
                .find(|entry| entry.is_of(client) && entry.published.version == version)
                .map(|entry| Rc::clone(&entry.published))
        })
        .ok()
        .flatten()
}

/// Takes the thread's snapshot of `client` out of its cache, to be refreshed and put back
/// (see [`remember`]), when nothing else on this thread holds it.
fn take_reusable(client: &Arc<ClientState>) -> Option<Cached> {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let index = cache.iter().position(|entry| entry.is_of(client))?;
            if Rc::strong_count(&cache[index].published) != 1 {
                return None;
            }
            Some(cache.remove(index))
        })
        .ok()
        .flatten()
}

/// Makes `entry` the thread's snapshot of its client (the newest): an entry
/// [`take_reusable`] took out and the caller refreshed, or a new one. The entry it replaces or
/// evicts is dropped outside the cache's borrow: the last reference to a provider may run its
/// `Drop`, which may evaluate again on this thread.
fn remember(entry: Cached) {
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        let dropped = match cache
            .iter()
            .position(|cached| cached.is_of_same_client(&entry))
        {
            Some(index) => Some(cache.remove(index)),
            None => (cache.len() == CACHED_CLIENTS).then(|| cache.remove(0)),
        };
        cache.push(entry);
        drop(cache);
        drop(dropped);
    });
}

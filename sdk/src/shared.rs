//! `ApiShared`, the shared state of one API instance, and every operation on it that takes its
//! locks on behalf of more than one handle: starting a registration (`attach`, `initialize`),
//! dispatching provider events, adding and removing event handlers, and draining the delivery
//! queue.
//!
//! `ApiShared` names each piece of the instance's state once, with the lock that guards it. Lock
//! order, where two are held: `registry` before `events`. User code never runs under either.
//!
//! # Delivery
//!
//! All of an API instance's deliveries go through one FIFO queue under the events lock. Emitting
//! an event, adding a handler and clearing handlers each take the registry read (or write)
//! lock and then the events lock, and in that one critical section:
//! - update the provider's status (before any handler can run: spec 5.3.5);
//! - pick the handlers that must run (API handlers for the event type, and client handlers
//!   whose domain resolves to the emitting provider at that moment: spec 5.1.2, 5.1.3);
//! - push one delivery onto the queue.
//!
//! A handler added while its provider is already in the matching state gets its immediate run
//! pushed onto the same queue in the same critical section that registers it (spec 5.3.3), so it
//! runs exactly once and in order with every event dispatched before or after it (A10, A11).
//!
//! Handlers run outside every lock. One thread at a time drains the queue (whoever finds it
//! idle); a handler that emits, adds handlers or calls any other SDK method only enqueues, so
//! handlers never nest and each handler sees one provider's events in emission order.

use crate::context::EvaluationContext;
use crate::evaluation::EvaluationError;
use crate::events::{
    matching_handlers, EmitterLink, EventDetails, EventEmitter, EventHandler, EventState,
    HandlerId, HandlerScope, ProviderEvent, ProviderEventDetails,
};
use crate::registry::{Registration, Registry, Replaced};
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sync::{self, Arc, Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The shared state of one API instance.
pub(crate) struct ApiShared {
    /// Providers, API hooks, global context and the propagator: everything one evaluation reads,
    /// read together under one read lock (A15). See `Registry` for its invariant. Read through
    /// [`ApiShared::registry`], written only through [`ApiShared::registry_mut`].
    registry: RwLock<Registry>,
    /// The configuration version: bumped by every change to what an evaluation reads (the
    /// registry, a client's hooks or context), each made in a registry write section, before
    /// that section's lock is released. A thread keeps a snapshot per client and reuses it
    /// while the version is unchanged (see `client::snapshot`).
    version: AtomicU64,
    /// Hands out lease shards to threads, round robin (see `registry`).
    next_shard: AtomicUsize,
    /// Event handlers and the delivery queue. Taken after `registry` when both are needed.
    pub(crate) events: Mutex<EventState>,
    /// Signalled when a delivery finishes (paired with `events`).
    pub(crate) delivered: Condvar,
}

sync::thread_local! {
    /// Set while this thread is running handlers, so that it never waits for its own queue.
    // Not `const`: loom's `thread_local!` does not accept const initializers.
    #[allow(clippy::missing_const_for_thread_local)]
    static DRAINING_HERE: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

sync::fast_thread_local! {
    /// The calling thread's lease shard, `usize::MAX` until given one.
    static LEASE_SHARD: std::cell::Cell<usize> = std::cell::Cell::new(usize::MAX);
}

/// Write access to the registry; bumps the configuration version on drop, under the lock, and
/// then releases what the registry let go of (`Registry::replaced`) after the lock.
pub(crate) struct RegistryWrite<'a> {
    // Field order is drop order: the lock is released before `released` is dropped.
    guard: RwLockWriteGuard<'a, Registry>,
    version: &'a AtomicU64,
    released: Vec<Replaced>,
}

impl std::ops::Deref for RegistryWrite<'_> {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        &self.guard
    }
}

impl std::ops::DerefMut for RegistryWrite<'_> {
    fn deref_mut(&mut self) -> &mut Registry {
        &mut self.guard
    }
}

impl Drop for RegistryWrite<'_> {
    fn drop(&mut self) {
        // Runs before `guard` is dropped, so the bump is inside the critical section.
        sync::step("atomic api.version += 1");
        self.version.fetch_add(1, Ordering::AcqRel);
        self.released = self.guard.take_released();
    }
}

impl ApiShared {
    pub(crate) fn new() -> Self {
        Self {
            registry: RwLock::new("registry.read", "registry.write", Registry::new()),
            version: AtomicU64::new(0),
            next_shard: AtomicUsize::new(0),
            events: Mutex::new("events", EventState::default()),
            delivered: Condvar::new(),
        }
    }

    /// The registry, for reading.
    pub(crate) fn registry(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read()
    }

    /// The registry, for writing: the guard bumps the configuration version when it is
    /// dropped, before the lock is released, so no change can forget to.
    pub(crate) fn registry_mut(&self) -> RegistryWrite<'_> {
        RegistryWrite {
            guard: self.registry.write(),
            version: &self.version,
            released: Vec::new(),
        }
    }

    /// The configuration version (see the field).
    pub(crate) fn version(&self) -> u64 {
        sync::step("atomic api.version load");
        sync::read_current_u64(&self.version)
    }

    /// The lease shard of the calling thread: given out once per thread, round robin, by the
    /// first API instance the thread evaluates on (any stable per-thread value would do).
    pub(crate) fn lease_shard(&self) -> usize {
        let assigned = LEASE_SHARD.with(|shard| shard.get());
        if assigned != usize::MAX {
            return assigned;
        }
        let shard = self.next_shard.fetch_add(1, Ordering::Relaxed) % sync::LEASE_SHARDS;
        LEASE_SHARD.with(|slot| slot.set(shard));
        shard
    }

    /// Starts a registration this thread created: waits until the provider's previous
    /// registration (if it was retired and its shutdown has not run yet) is shut down, gives the
    /// provider its emitter, and initializes it. So a provider's `attach`, `initialize` and
    /// `shutdown` never overlap across its registrations.
    pub(crate) fn attach_and_initialize(
        self: &Arc<Self>,
        registration: &Arc<Registration>,
        predecessor: Option<&Registration>,
        context: &EvaluationContext,
    ) -> (Result<(), EvaluationError>, Option<u64>) {
        if let Some(predecessor) = predecessor {
            predecessor.wait_shut_down();
        }
        let emitter = EventEmitter::new(Arc::clone(&registration.emitter));
        let _contained =
            crate::contain::call("provider attach", || registration.provider.attach(emitter));
        self.initialize(registration, context)
    }

    /// Runs `initialize` for a registration this thread created, emits the resulting event
    /// (status first, then handlers: spec 5.3.5), publishes the outcome to waiters and gives back
    /// the init lease, shutting the provider down if it was retired meanwhile. Returns the
    /// outcome and the ticket of the event's delivery.
    pub(crate) fn initialize(
        self: &Arc<Self>,
        registration: &Arc<Registration>,
        context: &EvaluationContext,
    ) -> (Result<(), EvaluationError>, Option<u64>) {
        let outcome = registration.run_initialize(context);
        let (event, details) = match &outcome {
            Ok(()) => (ProviderEvent::Ready, ProviderEventDetails::default()),
            Err(error) => (
                ProviderEvent::Error,
                ProviderEventDetails {
                    message: error.message.clone(),
                    error_code: Some(error.code),
                    ..ProviderEventDetails::default()
                },
            ),
        };
        let ticket = self.dispatch(registration, event, details, None);
        if registration.finish_initialize(outcome.clone()) {
            registration.shut_down();
        }
        (outcome, ticket)
    }

    /// Applies `event` from `registration`: updates its status and queues its handlers, then
    /// drains if no other thread is. Returns the delivery's ticket, or `None` when nothing was
    /// queued (no handler, or the registration is retired: emitting after detach is a no-op).
    ///
    /// `via` is the emitter link of an event the provider emitted (`None` for the SDK's own
    /// READY or ERROR after `initialize`). Its read lock is held while the status is written and
    /// the handlers are queued, so an emission either takes effect before a concurrent
    /// `EventEmitter::detach` returns or is dropped: never after it (linearizable, like A16's
    /// fix for retirement). Lock order: registry, events, link.
    pub(crate) fn dispatch(
        &self,
        registration: &Arc<Registration>,
        event: ProviderEvent,
        details: ProviderEventDetails,
        via: Option<&EmitterLink>,
    ) -> Option<u64> {
        let (ticket, drain) = {
            let registry = self.registry.read();
            if registration.is_retired() {
                return None;
            }
            let mut events = self.events.lock();
            let link = via.map(EmitterLink::read_target);
            if link.as_ref().is_some_and(|target| target.is_none()) {
                return None;
            }
            if let Some(status) = event.status_after(details.error_code) {
                registration.set_status(status);
            }
            let handlers = matching_handlers(&events, &registry, registration, event);
            let details = EventDetails {
                event,
                provider_name: registration.name.clone(),
                details,
            };
            let ticket = events.push(details, handlers);
            drop(link);
            (ticket, events.claim_drain())
        };
        if drain {
            self.drain();
        }
        ticket
    }

    /// Registers a handler and, when its provider is already in the matching state, queues its
    /// immediate run in the same critical section.
    pub(crate) fn add_handler(
        &self,
        scope: HandlerScope,
        event: ProviderEvent,
        handler: EventHandler,
    ) -> HandlerId {
        let (id, drain) = {
            let registry = self.registry.read();
            let mut events = self.events.lock();
            let ready_now: Vec<Arc<Registration>> = match &scope {
                HandlerScope::Api => registry.distinct_registrations(),
                HandlerScope::Client(domain) => {
                    vec![Arc::clone(registry.registration_for(domain.as_deref()))]
                }
            };
            for registration in ready_now {
                if event.matches_status(registration.status()) {
                    let details = EventDetails {
                        event,
                        provider_name: registration.name.clone(),
                        details: ProviderEventDetails::default(),
                    };
                    events.push(details, vec![Arc::clone(&handler)]);
                }
            }
            let id = events.register(event, scope, handler);
            (id, events.claim_drain())
        };
        if drain {
            self.drain();
        }
        id
    }

    /// Removes a handler; returns whether it was registered. Deliveries already queued for
    /// events emitted before the removal still run it.
    pub(crate) fn remove_handler(&self, scope: &HandlerScope, id: HandlerId) -> bool {
        let removed = self.events.lock().unregister(scope, id);
        // Dropped here, after the lock (see `EventState::unregister`).
        removed.is_some()
    }

    /// Blocks until the delivery with `ticket` has run, unless the calling thread is the one
    /// running handlers (then it would wait for itself).
    pub(crate) fn wait_delivered(&self, ticket: u64) {
        if DRAINING_HERE.with(|here| here.get()) {
            return;
        }
        let mut events = self.events.lock();
        while !events.is_delivered(ticket) {
            events = self.delivered.wait(events);
        }
    }

    /// Runs queued deliveries until the queue is empty. Only the thread that claimed the drain
    /// calls this.
    fn drain(&self) {
        DRAINING_HERE.with(|here| here.set(true));
        let mut finished: Option<u64> = None;
        loop {
            let delivery = {
                let mut events = self.events.lock();
                if let Some(ticket) = finished.take() {
                    events.mark_delivered(ticket);
                    self.delivered.notify_all();
                }
                match events.next_delivery() {
                    Some(delivery) => delivery,
                    None => break,
                }
            };
            for handler in &delivery.handlers {
                // A panicking handler is contained and the others still run (spec 5.2.5).
                let _contained =
                    crate::contain::call("event handler", || handler(&delivery.details));
            }
            finished = Some(delivery.ticket);
        }
        DRAINING_HERE.with(|here| here.set(false));
    }
}

//! Provider events (spec 5): event types, details, handlers, the emitter handle providers get at
//! attach, and the delivery queue that runs handlers.
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

use crate::api::ApiShared;
use crate::evaluation::ErrorCode;
use crate::provider::ProviderStatus;
use crate::registry::{Registration, Registry};
use crate::sync::{self, Arc, RwLock, Weak};
use crate::value::Value;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// The events a provider can emit (spec 5.1.1; the static-context events are not supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProviderEvent {
    /// `PROVIDER_READY`: the provider is ready to evaluate flags.
    Ready,
    /// `PROVIDER_ERROR`: the provider signaled an error.
    Error,
    /// `PROVIDER_CONFIGURATION_CHANGED`: the backend flag configuration changed.
    ConfigurationChanged,
    /// `PROVIDER_STALE`: the provider's cached state may be out of date.
    Stale,
}

impl ProviderEvent {
    /// The event's spec name, e.g. `"PROVIDER_READY"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderEvent::Ready => "PROVIDER_READY",
            ProviderEvent::Error => "PROVIDER_ERROR",
            ProviderEvent::ConfigurationChanged => "PROVIDER_CONFIGURATION_CHANGED",
            ProviderEvent::Stale => "PROVIDER_STALE",
        }
    }

    /// The status an event moves its provider to (spec 5.3.5 table), if any.
    fn status_after(&self, error_code: Option<ErrorCode>) -> Option<ProviderStatus> {
        match self {
            ProviderEvent::Ready => Some(ProviderStatus::Ready),
            ProviderEvent::Error if error_code == Some(ErrorCode::ProviderFatal) => {
                Some(ProviderStatus::Fatal)
            }
            ProviderEvent::Error => Some(ProviderStatus::Error),
            ProviderEvent::Stale => Some(ProviderStatus::Stale),
            ProviderEvent::ConfigurationChanged => None,
        }
    }

    /// Whether a provider in `status` is "already in the state" this event announces, so that a
    /// newly added handler must run at once (spec 5.3.3).
    fn matches_status(&self, status: ProviderStatus) -> bool {
        matches!(
            (self, status),
            (ProviderEvent::Ready, ProviderStatus::Ready)
                | (
                    ProviderEvent::Error,
                    ProviderStatus::Error | ProviderStatus::Fatal
                )
                | (ProviderEvent::Stale, ProviderStatus::Stale)
        )
    }
}

impl fmt::Display for ProviderEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a provider says about an event it emits (spec types "Provider Event Details").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderEventDetails {
    /// The keys of the flags that changed, if the provider names them.
    pub flags_changed: Vec<String>,
    /// A human-readable message about the event, if any.
    pub message: Option<String>,
    /// The error code of a `PROVIDER_ERROR` event; `PROVIDER_FATAL` moves the provider to `FATAL`.
    pub error_code: Option<ErrorCode>,
    /// Arbitrary event metadata (spec types "Event Metadata").
    pub metadata: BTreeMap<String, Value>,
}

impl ProviderEventDetails {
    /// Empty details.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the message, builder style.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the error code, builder style.
    pub fn with_error_code(mut self, code: ErrorCode) -> Self {
        self.error_code = Some(code);
        self
    }
}

/// What a handler receives (spec 5.2.3, 5.2.4).
#[derive(Clone, Debug, PartialEq)]
pub struct EventDetails {
    /// The event that occurred.
    pub event: ProviderEvent,
    /// The name of the provider that emitted the event (spec 5.2.3).
    pub provider_name: String,
    /// The provider's own details; empty for an immediate run on registration.
    pub details: ProviderEventDetails,
}

/// An event handler. Handlers are user code: they run outside every SDK lock and may call any
/// SDK method; a handler that panics does not stop the others (spec 5.2.5).
pub type EventHandler = Arc<dyn Fn(&EventDetails) + Send + Sync>;

/// Identifies one added handler, for removal (spec 5.2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandlerId(u64);

/// Where a handler was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HandlerScope {
    Api,
    /// A client handler; `None` is a client without a domain.
    Client(Option<Arc<str>>),
}

struct HandlerEntry {
    id: HandlerId,
    event: ProviderEvent,
    scope: HandlerScope,
    handler: EventHandler,
}

struct Delivery {
    ticket: u64,
    details: Arc<EventDetails>,
    handlers: Vec<EventHandler>,
}

/// Handlers and the delivery queue of one API instance, guarded by `ApiShared::events`.
#[derive(Default)]
pub(crate) struct EventState {
    handlers: Vec<HandlerEntry>,
    next_handler_id: u64,
    queue: VecDeque<Delivery>,
    /// Whether some thread is draining the queue.
    draining: bool,
    /// The last ticket handed out and the last one whose handlers have all run; tickets are
    /// handed out and delivered in queue order.
    enqueued: u64,
    delivered: u64,
}

impl EventState {
    fn push(&mut self, details: EventDetails, handlers: Vec<EventHandler>) -> Option<u64> {
        if handlers.is_empty() {
            return None;
        }
        self.enqueued += 1;
        self.queue.push_back(Delivery {
            ticket: self.enqueued,
            details: Arc::new(details),
            handlers,
        });
        Some(self.enqueued)
    }

    /// Drops every handler (part of an atomic clear; queued deliveries still run, because their
    /// events were emitted before the clear).
    pub(crate) fn clear_handlers(&mut self) {
        self.handlers.clear();
    }

    /// Whether the caller should become the drainer.
    fn claim_drain(&mut self) -> bool {
        if self.draining || self.queue.is_empty() {
            return false;
        }
        self.draining = true;
        true
    }
}

sync::thread_local! {
    /// Set while this thread is running handlers, so that it never waits for its own queue.
    // Not `const`: loom's `thread_local!` does not accept const initializers.
    #[allow(clippy::missing_const_for_thread_local)]
    static DRAINING_HERE: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

impl ApiShared {
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
            let link = via.map(|link| link.target.read());
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
            events.next_handler_id += 1;
            let id = HandlerId(events.next_handler_id);
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
            events.handlers.push(HandlerEntry {
                id,
                event,
                scope,
                handler,
            });
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
        let mut events = self.events.lock();
        let before = events.handlers.len();
        events
            .handlers
            .retain(|entry| !(entry.id == id && &entry.scope == scope));
        events.handlers.len() != before
    }

    /// Blocks until the delivery with `ticket` has run, unless the calling thread is the one
    /// running handlers (then it would wait for itself).
    pub(crate) fn wait_delivered(&self, ticket: u64) {
        if DRAINING_HERE.with(|here| here.get()) {
            return;
        }
        let mut events = self.events.lock();
        while events.delivered < ticket {
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
                    events.delivered = ticket;
                    self.delivered.notify_all();
                }
                match events.queue.pop_front() {
                    Some(delivery) => delivery,
                    None => {
                        events.draining = false;
                        break;
                    }
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

fn matching_handlers(
    events: &EventState,
    registry: &Registry,
    registration: &Arc<Registration>,
    event: ProviderEvent,
) -> Vec<EventHandler> {
    events
        .handlers
        .iter()
        .filter(|entry| entry.event == event)
        .filter(|entry| match &entry.scope {
            HandlerScope::Api => true,
            HandlerScope::Client(domain) => {
                Arc::ptr_eq(registry.registration_for(domain.as_deref()), registration)
            }
        })
        .map(|entry| Arc::clone(&entry.handler))
        .collect()
}

/// Where an emitter delivers: the API instance and the registration it was attached for. Both
/// weak: the registration owns the provider, which owns its emitter, so strong references here
/// would be a cycle that keeps an API that is dropped without a shutdown alive for good.
struct EmitTarget {
    api: Weak<ApiShared>,
    registration: Weak<Registration>,
}

/// The SDK side of an emitter: set at attach, cut at detach.
pub(crate) struct EmitterLink {
    target: RwLock<Option<EmitTarget>>,
}

impl EmitterLink {
    pub(crate) fn new() -> Self {
        Self {
            target: RwLock::new("emitter.read", "emitter.write", None),
        }
    }

    pub(crate) fn attach(&self, api: &Arc<ApiShared>, registration: &Arc<Registration>) {
        *self.target.write() = Some(EmitTarget {
            api: Arc::downgrade(api),
            registration: Arc::downgrade(registration),
        });
    }

    /// Cuts the link; idempotent. Once it returns, no emission through the link takes effect:
    /// one in flight has either been applied already or will be dropped (see `dispatch`).
    pub(crate) fn detach(&self) {
        let target = self.target.write().take();
        drop(target);
    }
}

/// The handle a provider emits events through (spec 5.1.1), given to it at attach.
///
/// Cloning is cheap. Emitting after the SDK detached the provider (at its shutdown, or when it
/// was never registered) is a silent no-op, never an error (A16), and detaching twice is safe.
#[derive(Clone)]
pub struct EventEmitter {
    link: Arc<EmitterLink>,
}

impl EventEmitter {
    pub(crate) fn new(link: Arc<EmitterLink>) -> Self {
        Self { link }
    }

    /// Emits `event`; returns whether it was accepted (the provider is still registered).
    /// Handlers may run on this thread before it returns.
    pub fn emit(&self, event: ProviderEvent, details: ProviderEventDetails) -> bool {
        // Read the target once (the fix for A16's check-then-call): a detach after this read
        // makes `dispatch` see the registration retired and drop the event. An API or a
        // registration that no longer exists takes no events either.
        let target = {
            let target = self.link.target.read();
            target
                .as_ref()
                .and_then(|target| Some((target.api.upgrade()?, target.registration.upgrade()?)))
        };
        match target {
            Some((api, registration)) => {
                if registration.is_retired() {
                    return false;
                }
                api.dispatch(&registration, event, details, Some(&self.link));
                true
            }
            None => false,
        }
    }

    /// Whether the emitter is still attached to a registration.
    pub fn is_attached(&self) -> bool {
        self.link
            .target
            .read()
            .as_ref()
            .is_some_and(|target| target.registration.strong_count() > 0)
    }

    /// Cuts this emitter off; later emits are no-ops. Safe to call any number of times. An
    /// emit racing with it takes effect before `detach` returns or not at all.
    pub fn detach(&self) {
        self.link.detach();
    }
}

impl fmt::Debug for EventEmitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventEmitter")
            .field("attached", &self.is_attached())
            .finish()
    }
}

//! Provider events (spec 5): event types, details, handlers, the emitter handle providers get at
//! attach, the handler registry and the delivery queue ([`EventState`], the state under the
//! events lock).
//!
//! `ApiShared` (in `shared`) takes the locks and drives this state: it dispatches events, adds
//! and removes handlers and drains the queue; its module docs describe the delivery protocol.

use crate::evaluation::ErrorCode;
use crate::provider::ProviderStatus;
use crate::registry::{Registration, Registry};
use crate::shared::ApiShared;
use crate::sync::{Arc, RwLock, RwLockReadGuard, Weak};
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
    pub(crate) fn status_after(&self, error_code: Option<ErrorCode>) -> Option<ProviderStatus> {
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
    pub(crate) fn matches_status(&self, status: ProviderStatus) -> bool {
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

/// One queued delivery: an event's details and the handlers it runs, in order.
pub(crate) struct Delivery {
    pub(crate) ticket: u64,
    pub(crate) details: Arc<EventDetails>,
    pub(crate) handlers: Vec<EventHandler>,
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
    /// Queues a delivery of `details` to `handlers`; returns its ticket, or `None` (and queues
    /// nothing) when there is no handler to run.
    pub(crate) fn push(
        &mut self,
        details: EventDetails,
        handlers: Vec<EventHandler>,
    ) -> Option<u64> {
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

    /// Adds a handler under a new id, unique within the API instance, and returns the id.
    pub(crate) fn register(
        &mut self,
        event: ProviderEvent,
        scope: HandlerScope,
        handler: EventHandler,
    ) -> HandlerId {
        self.next_handler_id += 1;
        let id = HandlerId(self.next_handler_id);
        self.handlers.push(HandlerEntry {
            id,
            event,
            scope,
            handler,
        });
        id
    }

    /// Removes the handler `id` added in `scope` and hands it back, `None` if it was not
    /// registered. The caller drops it after releasing the events lock: the last reference to
    /// a handler drops what it captured, whose `Drop` is user code and may call the SDK.
    pub(crate) fn unregister(
        &mut self,
        scope: &HandlerScope,
        id: HandlerId,
    ) -> Option<EventHandler> {
        let position = self
            .handlers
            .iter()
            .position(|entry| entry.id == id && &entry.scope == scope)?;
        Some(self.handlers.remove(position).handler)
    }

    /// Removes every handler (part of an atomic clear; queued deliveries still run, because
    /// their events were emitted before the clear) and hands them back, for the caller to drop
    /// after releasing its locks (see [`EventState::unregister`]).
    pub(crate) fn clear_handlers(&mut self) -> Vec<EventHandler> {
        std::mem::take(&mut self.handlers)
            .into_iter()
            .map(|entry| entry.handler)
            .collect()
    }

    /// Whether the caller should become the drainer.
    pub(crate) fn claim_drain(&mut self) -> bool {
        if self.draining || self.queue.is_empty() {
            return false;
        }
        self.draining = true;
        true
    }

    /// The drainer's next delivery. `None` when the queue is empty: the caller then stops being
    /// the drainer, in the same critical section that found the queue empty.
    pub(crate) fn next_delivery(&mut self) -> Option<Delivery> {
        let next = self.queue.pop_front();
        if next.is_none() {
            self.draining = false;
        }
        next
    }

    /// Records that every handler of the delivery with `ticket` has run.
    pub(crate) fn mark_delivered(&mut self, ticket: u64) {
        self.delivered = ticket;
    }

    /// Whether the delivery with `ticket` has run.
    pub(crate) fn is_delivered(&self, ticket: u64) -> bool {
        self.delivered >= ticket
    }
}

/// The handlers an event of `registration` runs: API handlers for `event`, and client handlers
/// for `event` whose domain resolves to `registration` in `registry` at this moment.
pub(crate) fn matching_handlers(
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
pub(crate) struct EmitTarget {
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

    /// Read-locks the link: `None` once it has been cut. `ApiShared::dispatch` holds this while
    /// it applies an emitted event, so that `detach` waits for that event to take effect.
    pub(crate) fn read_target(&self) -> RwLockReadGuard<'_, Option<EmitTarget>> {
        self.target.read()
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
                .map(|target| (Weak::clone(&target.api), Weak::clone(&target.registration)))
        };
        // Upgraded after the link's lock is released: an API upgraded here and dropped because
        // its registration is gone may be the API's last reference, and its `Drop` drops the
        // providers and hooks it holds (user code, never run under an SDK lock).
        let target =
            target.and_then(|(api, registration)| Some((api.upgrade()?, registration.upgrade()?)));
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

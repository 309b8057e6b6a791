//! What the two models of the Python SDK (`audited/` and `python_head/`) share: Python's
//! provider objects, statuses and events, its reentrant locks ([`rlock::RLock`]), and the
//! scenario's test provider's own `initialize`. Each model keeps its own state and functions:
//! only the vocabulary of the Python objects, which both versions of the SDK share, lives here.

pub(crate) mod rlock;

use crate::scenario::{EventName, InitBehaviour};
use crate::world::{InitEnd, World};

/// A Python provider object, compared by identity as Python does. Each `NoOpProvider()` call makes
/// a new object, numbered in creation order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prov {
    NoOp(u32),
    Test(String),
}

impl Prov {
    pub(crate) fn name(&self) -> &str {
        match self {
            Prov::NoOp(_) => "noop",
            Prov::Test(name) => name,
        }
    }
}

/// `ProviderStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    NotReady,
    Ready,
    Error,
    Stale,
    Fatal,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::NotReady => "NOT_READY",
            Status::Ready => "READY",
            Status::Error => "ERROR",
            Status::Stale => "STALE",
            Status::Fatal => "FATAL",
        }
    }
}

/// `ProviderEvent`. Python has no fatal event: a fatal error is `PROVIDER_ERROR` whose details
/// carry the `PROVIDER_FATAL` error code, passed alongside as a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PyEvent {
    Ready,
    Error,
    Stale,
    ConfigurationChanged,
}

impl PyEvent {
    /// The Python event of a scenario event name, and whether it carries `PROVIDER_FATAL`.
    pub(crate) fn of(event: EventName) -> (PyEvent, bool) {
        match event {
            EventName::Ready => (PyEvent::Ready, false),
            EventName::Error => (PyEvent::Error, false),
            EventName::Fatal => (PyEvent::Error, true),
            EventName::Stale => (PyEvent::Stale, false),
            EventName::ConfigurationChanged => (PyEvent::ConfigurationChanged, false),
        }
    }

    /// The event as handlers record it, and as trace labels name it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            PyEvent::Ready => "ready",
            PyEvent::Error => "error",
            PyEvent::Stale => "stale",
            PyEvent::ConfigurationChanged => "configuration_changed",
        }
    }
}

/// The scenario's test provider `name`'s `initialize` (user code, after any reentrant call the
/// model makes first): passes its scheduling points, then returns or raises as its spec says.
/// `Err(true)` is an exception carrying `PROVIDER_FATAL`; a non-OpenFeature exception
/// (`panics`, a `RuntimeError`) carries `GENERAL`, like a plain failure (`Err(false)`).
pub(crate) fn test_initialize(world: &World, name: &str) -> Result<(), bool> {
    world.trace(format!("{name}.initialize()"));
    world.note_init(name);
    let spec = world
        .scenario
        .providers
        .get(name)
        .cloned()
        .unwrap_or_default();
    for _ in 0..spec.init_steps {
        crate::rt::scheduling_point();
    }
    let raised = match spec.init {
        InitBehaviour::Succeeds => None,
        InitBehaviour::Fails => Some((false, "GeneralError")),
        InitBehaviour::Fatal => Some((true, "ProviderFatalError")),
        InitBehaviour::Panics => Some((false, "RuntimeError")),
    };
    match raised {
        None => {
            world.note_init_end(name, InitEnd::Succeeded);
            Ok(())
        }
        Some((fatal, exception)) => {
            let end = if fatal {
                InitEnd::Fatal
            } else {
                InitEnd::Failed
            };
            world.note_init_end(name, end);
            world.trace(format!("{name}.initialize() raises {exception}"));
            Err(fatal)
        }
    }
}

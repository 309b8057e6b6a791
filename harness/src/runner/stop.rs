//! How an execution stops before it finishes, told apart by type: the checker's own reports,
//! the step bound, the thread limit, and panics of code outside every operation.

use crate::properties::{Property, Violation};
use openfeature_sdk_shuttle::observe;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why a checker stopped an execution before it finished. Told apart by the type of the panic
/// payload and by the execution's structure, never by a message: the harness's own threads and
/// the SDK's re-raise their panics with payloads of their own types ([`HarnessPanic`],
/// [`observe::BackgroundPanic`]); the harness stops an execution itself with [`Stop`] payloads
/// (loom's thread limit and, under loom, the step bound); shuttle stops one past the step bound
/// without a panic; so a payload of any other type is the checker's own report of a deadlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every task was blocked (the checker's report, as its detail).
    Deadlock(String),
    /// The execution ran past the scenario's step bound.
    StepBound,
    /// Code outside every operation panicked: the harness's threads or the SDK's own.
    Panicked(String),
    /// The execution would spawn more threads than loom can model.
    ThreadLimit,
}

impl Stop {
    /// A stopped execution's property and detail.
    pub(crate) fn violation(&self, max_steps: usize) -> Violation {
        let (property, detail) = match self {
            Stop::Deadlock(report) => (Property::Deadlock, report.clone()),
            Stop::StepBound => (
                Property::StepBound,
                format!("the execution passed the step bound of {max_steps} steps"),
            ),
            Stop::Panicked(text) => (Property::EscapedError, text.clone()),
            Stop::ThreadLimit => (
                Property::EscapedError,
                "the execution spawns more threads than loom can model".to_owned(),
            ),
        };
        let detail = detail.lines().next().unwrap_or_default().to_owned();
        Violation { property, detail }
    }

    /// Classifies the payload that stopped a checker run.
    pub fn of(payload: Box<dyn std::any::Any + Send>) -> Stop {
        match payload.downcast::<Stop>() {
            Ok(stop) => *stop,
            Err(payload) => match payload.downcast::<HarnessPanic>() {
                Ok(panic) => Stop::Panicked(panic.0),
                Err(payload) => match payload.downcast::<observe::BackgroundPanic>() {
                    Ok(panic) => Stop::Panicked(panic.0),
                    Err(payload) => Stop::Deadlock(panic_text(payload.as_ref())),
                },
            },
        }
    }
}

/// The payload with which a panic of the harness's own code outside an operation (a scenario
/// thread's body, the main task's) is re-raised, so that [`Stop::of`] tells it by its type.
#[derive(Debug)]
pub struct HarnessPanic(pub String);

/// Runs `body` (a task's whole body); a panic leaves it as a typed payload: the harness's own
/// stops keep theirs, anything else becomes a [`HarnessPanic`].
pub(crate) fn typed_panics<R>(body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) if is_stop(payload.as_ref()) => std::panic::resume_unwind(payload),
        Err(payload) => {
            std::panic::resume_unwind(Box::new(HarnessPanic(panic_text(payload.as_ref()))))
        }
    }
}

/// Whether a panic payload is one that stops the execution rather than an error of the code
/// that raised it.
pub(crate) fn is_stop(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Stop>() || payload.is::<HarnessPanic>() || payload.is::<observe::BackgroundPanic>()
}

pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

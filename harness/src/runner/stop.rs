//! How an execution stops before it finishes, told apart by type: the checker's own reports,
//! the step bound, the thread limit, and panics of code outside every operation.

use crate::properties::{Property, Violation};
use crate::rt::{panic_text, HarnessPanic, Limit};
use openfeature_sdk_shuttle::observe;

/// Why a checker stopped an execution before it finished. Told apart by the type of the panic
/// payload and by the execution's structure, never by a message: the harness's own threads and
/// the SDK's re-raise their panics with payloads of their own types ([`HarnessPanic`],
/// [`observe::BackgroundPanic`]); the harness stops an execution itself with [`Stop`] payloads
/// (`rt::Limit`: loom's thread limit and, under loom, the step bound); shuttle stops one past
/// the step bound
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
        match payload.downcast::<Limit>() {
            Ok(limit) => match *limit {
                Limit::StepBound => Stop::StepBound,
                Limit::ThreadLimit => Stop::ThreadLimit,
            },
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

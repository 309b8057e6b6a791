//! Containment of user code: every call into a provider, hook, handler or propagator goes
//! through [`call`], so a panic there becomes an error value and never escapes an SDK call.
//!
//! Nothing here may hold a lock: callers invoke it with every SDK lock released.

use crate::evaluation::{ErrorCode, EvaluationError};
use crate::sync;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `user_code`, turning a panic into a `GENERAL` error that names `what`.
///
/// `AssertUnwindSafe` is sound here: the SDK never holds a lock or a half-updated structure
/// across user code, so nothing the SDK owns can be observed in a broken state after a panic.
pub(crate) fn call<T>(
    what: &'static str,
    user_code: impl FnOnce() -> T,
) -> Result<T, EvaluationError> {
    sync::step(what);
    call_unstepped(what, user_code)
}

/// Runs `user_code` as [`call`] does, without the checkers' step before it: for user code that
/// only answers a question from the caller's own snapshot (a provider's `hooks()`, read on
/// every evaluation) and touches no state the SDK shares, so it is no interleaving point.
pub(crate) fn call_unstepped<T>(
    what: &'static str,
    user_code: impl FnOnce() -> T,
) -> Result<T, EvaluationError> {
    catch_unwind(AssertUnwindSafe(user_code)).map_err(|payload| contained(what, payload))
}

/// Runs `user_code(i)` for each `i` in `0..count`, in order, and stops at the first that
/// returns an error or panics; a panic becomes the error, as in [`call`]. One unwinding guard
/// covers the whole run, so the common case pays for one guard, not `count`.
pub(crate) fn call_until_error(
    what: &'static str,
    count: usize,
    mut user_code: impl FnMut(usize) -> Result<(), EvaluationError>,
) -> Result<(), EvaluationError> {
    catch_unwind(AssertUnwindSafe(|| {
        for i in 0..count {
            sync::step(what);
            user_code(i)?;
        }
        Ok(())
    }))
    .unwrap_or_else(|payload| Err(contained(what, payload)))
}

/// Runs `user_code(i)` for each `i` in `0..count`, in order; a panic is contained (as in
/// [`call`], and dropped) and the run goes on with the next `i`. One unwinding guard covers the
/// run up to a panic, so the common case pays for one guard, not `count`.
pub(crate) fn call_each(what: &'static str, count: usize, mut user_code: impl FnMut(usize)) {
    let mut next = 0;
    while next < count {
        let run = catch_unwind(AssertUnwindSafe(|| {
            while next < count {
                let i = next;
                next += 1;
                sync::step(what);
                user_code(i);
            }
        }));
        if let Err(payload) = run {
            let _contained = contained(what, payload);
        }
    }
}

/// The error a panic of `what` becomes.
fn contained(what: &'static str, payload: Box<dyn Any + Send>) -> EvaluationError {
    // In the checker builds, a payload that is not a message is not user code failing but the
    // model harness stopping the execution (a typed stop): it goes on unwinding.
    #[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
    if !payload.is::<&str>() && !payload.is::<String>() {
        std::panic::resume_unwind(payload);
    }
    let detail = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    EvaluationError::new(ErrorCode::General, format!("{what} panicked: {detail}"))
}

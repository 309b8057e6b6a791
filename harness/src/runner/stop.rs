//! How an execution stops before it finishes, told apart by type: the checker's own reports,
//! the step bound, the thread limit, and panics of code outside every operation.

use crate::properties::{Property, Violation};
use crate::rt::{last_panic_in_checker, panic_text, Limit};

/// Why an execution stopped before it finished. Told apart by the panic payload's type and
/// origin and by the execution's structure, never by a message: the harness stops an execution
/// itself with [`Limit`] payloads (loom's thread limit and, under loom, the step bound);
/// shuttle cuts one past the step bound without a panic (it has no final state); a panic raised
/// in a checker's own source (`rt::note_panic`, by its location) is the checker's report of a
/// deadlock; any other panic is code outside every operation failing.
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
            Err(payload) if last_panic_in_checker() => Stop::Deadlock(panic_text(payload.as_ref())),
            Err(payload) => Stop::Panicked(panic_text(payload.as_ref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{execute, Outcome, Schedule};
    use crate::target::TargetKind;
    use std::path::Path;
    use std::sync::Arc;

    /// A scenario whose every execution passes a step bound of 25.
    fn cut_short() -> Arc<crate::scenario::Scenario> {
        let text = r#"
description = "cut short"
audit = []
setup = [{ op = "set_provider", provider = "p0" }]
[providers]
p0 = {}
[[thread]]
ops = [{ op = "evaluate" }, { op = "shutdown" }]
[schedule]
max_steps = 25
reason = "a test of the step bound"
[expect]
sdk = "holds"
audited = "holds"
python-head = "holds"
"#;
        Arc::new(crate::scenario::parse("cut", Path::new("cut.toml"), text).expect("parses"))
    }

    #[test]
    fn shuttle_cuts_an_execution_at_the_step_bound_and_it_is_reported_as_such() {
        for target in TargetKind::ALL {
            let execution = execute(&cut_short(), target, Schedule::Random { seed: 3 });
            assert_eq!(execution.outcome, Outcome::Stopped(Property::StepBound));
            assert_eq!(
                execution.violations,
                [Violation {
                    property: Property::StepBound,
                    detail: "the execution passed the step bound of 25 steps".to_owned(),
                }]
            );
        }
    }

    #[test]
    fn a_limit_is_told_by_its_type_and_a_panic_of_ours_by_its_origin() {
        let payload = std::panic::catch_unwind(|| std::panic::panic_any(Limit::ThreadLimit))
            .expect_err("panicked");
        assert_eq!(Stop::of(payload), Stop::ThreadLimit);
        crate::runner::quiet_panics();
        let payload = std::panic::catch_unwind(|| panic!("deadlock! (a harness bug's message)"))
            .expect_err("panicked");
        assert_eq!(
            Stop::of(payload),
            Stop::Panicked("deadlock! (a harness bug's message)".to_owned()),
            "a panic raised outside the checkers is not a deadlock, whatever it says"
        );
    }

    #[test]
    fn a_deadlock_is_told_by_where_the_checker_raised_it() {
        let run = crate::runner::quietly(|| {
            std::panic::catch_unwind(|| {
                let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(1, 1);
                shuttle::Runner::new(scheduler, crate::runner::config(1000)).run(|| {
                    let lock = Arc::new(shuttle::sync::Mutex::new(()));
                    let held = lock.lock();
                    let other = Arc::clone(&lock);
                    let waiter = shuttle::thread::spawn(move || drop(other.lock()));
                    let _ = waiter.join();
                    drop(held);
                })
            })
        });
        let stop = Stop::of(run.expect_err("the execution deadlocks"));
        assert!(matches!(stop, Stop::Deadlock(_)), "{stop:?}");
    }
}

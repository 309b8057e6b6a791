//! `escaped-error`: no panic or error escapes an SDK call. Judged here from each operation's
//! recorded result; a panic that stops the execution is reported by the runner
//! (`crate::runner`) from the checker's failure.

use crate::scenario::Scenario;
use crate::world::{FinalState, Log};

pub const ID: &str = "escaped-error";
pub const DESCRIPTION: &str = "no panic or error escapes an SDK call";

/// Every operation that raised, in the log's order.
pub fn check(_scenario: &Scenario, log: &Log, _state: &FinalState) -> Vec<String> {
    log.ops
        .iter()
        .filter_map(|op| {
            let error = op.result.as_ref().err()?;
            Some(format!("{} {} raised {error}", op.key, op.label))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, op, scenario};
    use super::*;
    use crate::ops::{Answer, Raised};
    use crate::scenario::Op;

    fn set_provider(result: crate::ops::OpResult) -> Log {
        let set = Op::SetProvider {
            provider: "p1".into(),
            domain: None,
            wait: true,
        };
        Log {
            ops: vec![op("T0.0", (1, 0, 0), (1, 2), set, result)],
            ..Log::default()
        }
    }

    #[test]
    fn a_raised_operation_violates() {
        let log = set_provider(Err(Raised("KeyError: 'p1'".into())));
        assert_eq!(
            check(&scenario(""), &log, &bound(&[])),
            ["T0.0 set_provider(p1, wait) raised KeyError: 'p1'"]
        );
    }

    #[test]
    fn answered_operations_hold() {
        let log = set_provider(Ok(Answer::Done));
        assert!(check(&scenario(""), &log, &bound(&[])).is_empty());
    }
}

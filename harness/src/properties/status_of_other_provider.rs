//! `status-of-other-provider` (A15): the status an evaluation reports and the provider that
//! answers it come from one registration at one moment. An evaluation that answers
//! `PROVIDER_NOT_READY` or `PROVIDER_FATAL` has read a status that forbids calling the
//! provider, so it calls none; one that answers a provider's variant called that provider and
//! no other. Judged from each operation's answer and the resolves recorded inside it.

use crate::ops::{Answer, Code};
use crate::scenario::Scenario;
use crate::world::{FinalState, Log};

pub const ID: &str = "status-of-other-provider";
pub const DESCRIPTION: &str = "an evaluation's status and its answer come from one registration: \
     one answering PROVIDER_NOT_READY or PROVIDER_FATAL calls no provider, one answering a \
     provider's variant calls only that provider";

/// Evaluations whose answer and resolves disagree, in operation order.
pub fn check(_scenario: &Scenario, log: &Log, _state: &FinalState) -> Vec<String> {
    let mut ops: Vec<_> = log.ops.iter().collect();
    ops.sort_by_key(|op| op.order);
    ops.into_iter()
        .filter_map(|op| {
            let resolved = log.resolves_in_op.get(&op.key)?;
            let called = resolved.join(", ");
            match &op.result {
                Ok(Answer::Default(Some(code @ (Code::ProviderNotReady | Code::ProviderFatal)))) => {
                    Some(format!(
                        "{} {} answered {} but called {called}",
                        op.key,
                        op.label,
                        code.as_str()
                    ))
                }
                Ok(Answer::Variant(variant)) => {
                    let answering = variant.split(' ').next().unwrap_or_default();
                    resolved.iter().any(|name| name != answering).then(|| {
                        format!(
                            "{} {} answered {answering}'s variant but called {called}",
                            op.key, op.label
                        )
                    })
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, details, log_of, op, scenario};
    use super::super::Property;
    use super::*;
    use crate::scenario::Op;

    fn evaluation(answer: Answer, resolved: &[&str]) -> Log {
        let get = Op::Evaluate {
            flag: "f".to_owned(),
            flag_type: Default::default(),
            client: None,
            context: Default::default(),
            hooks: Vec::new(),
        };
        let mut log = log_of(&[]);
        log.ops = vec![op("T0.0", (1, 0, 0), (1, 4), get, Ok(answer))];
        if !resolved.is_empty() {
            let names = resolved.iter().map(|name| (*name).to_owned()).collect();
            log.resolves_in_op.insert("T0.0".to_owned(), names);
        }
        log
    }

    fn verdict(log: &Log) -> Vec<String> {
        details(Property::StatusOfOtherProvider, &scenario(""), log, &bound(&[]))
    }

    #[test]
    fn a_not_ready_answer_that_called_a_provider_violates() {
        let log = evaluation(Answer::Default(Some(Code::ProviderNotReady)), &["p1"]);
        assert_eq!(
            verdict(&log),
            ["T0.0 evaluate(f) answered PROVIDER_NOT_READY but called p1"]
        );
    }

    #[test]
    fn a_variant_of_one_provider_resolved_on_another_violates() {
        let log = evaluation(Answer::Variant("p0 ctx{}".to_owned()), &["p1"]);
        assert_eq!(
            verdict(&log),
            ["T0.0 evaluate(f) answered p0's variant but called p1"]
        );
    }

    #[test]
    fn consistent_answers_hold() {
        for log in [
            evaluation(Answer::Variant("p0 ctx{}".to_owned()), &["p0"]),
            evaluation(Answer::Default(Some(Code::ProviderNotReady)), &[]),
            evaluation(Answer::Default(Some(Code::General)), &["p0"]),
        ] {
            assert!(verdict(&log).is_empty());
        }
    }
}

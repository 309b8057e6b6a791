//! `lost-handler`: every handler added after the last clear runs for each matching event
//! emitted in the `after` phase (once the threads have finished) by a provider still bound.
//! Judged from the operations' records, the handlers' recorded deliveries, the scenario's
//! clients and the end state's bindings.

use crate::scenario::{EventName, Op, Scenario};
use crate::world::{FinalState, Log, OpRecord};

pub const ID: &str = "lost-handler";
pub const DESCRIPTION: &str = "every handler added after the last clear runs for each matching event emitted after the threads finish";

/// The `after` phase's index in an operation's order.
const AFTER: usize = 2;

/// Handlers that should have run for an event emitted in the `after` phase but did not, per
/// emit and then per handler added, in the log's order.
pub fn check(scenario: &Scenario, log: &Log, state: &FinalState) -> Vec<String> {
    let mut lost = Vec::new();
    for emit in &log.ops {
        let Op::Emit { provider, event } = &emit.op else {
            continue;
        };
        if emit.order.0 != AFTER || !super::is_bound(state, provider) {
            continue;
        }
        // A fatal error reaches the handlers of `error`.
        let wanted_event = match event {
            EventName::Fatal => EventName::Error,
            other => *other,
        };
        for add in &log.ops {
            let Op::AddHandler {
                handler,
                event: handler_event,
                client,
            } = &add.op
            else {
                continue;
            };
            if *handler_event != wanted_event
                || add.end > emit.start
                || removed_between(log, add, emit)
                || !applies(scenario, state, client, provider)
            {
                continue;
            }
            let delivery = format!("{provider}:{}", wanted_event.as_str());
            let ran_during = log.handler_calls.get(handler).is_some_and(|calls| {
                calls
                    .iter()
                    .any(|(step, call)| *call == delivery && (emit.start..=emit.end).contains(step))
            });
            // A target that delivers events asynchronously (an executor) runs the handler after
            // the emit returned: a run for that very emission counts, whenever it came.
            let emitted: Vec<usize> = log
                .emissions
                .iter()
                .filter(|(by, _, step)| by == provider && (emit.start..=emit.end).contains(step))
                .map(|(_, number, _)| *number)
                .collect();
            let ran_later = log.emission_deliveries.iter().any(|(by_handler, by, number)| {
                by_handler == handler && by == provider && emitted.contains(number)
            });
            let ran = ran_during || ran_later;
            if !ran {
                lost.push(format!(
                    "handler {handler} (added by {}) did not run for {} {}",
                    add.key, emit.key, emit.label
                ));
            }
        }
    }
    lost
}

/// Whether an operation overlapping the time between the handler's addition and the emit
/// removed it: a clear of the providers, a shutdown, or the matching `remove_handler`.
fn removed_between(log: &Log, add: &OpRecord, emit: &OpRecord) -> bool {
    log.ops.iter().any(|record| {
        record.end > add.start
            && record.start < emit.start
            && match (&record.op, &add.op) {
                (Op::ClearProviders {} | Op::Shutdown {}, _) => true,
                (
                    Op::RemoveHandler {
                        handler,
                        event,
                        client,
                    },
                    Op::AddHandler {
                        handler: added,
                        event: added_event,
                        client: added_client,
                    },
                ) => handler == added && event == added_event && client == added_client,
                _ => false,
            }
    })
}

/// Whether a handler of `client` (the API's when `None`) hears `provider`'s events: an API
/// handler hears every provider, a client's only the provider its domain (or the default)
/// resolves to at the end.
fn applies(
    scenario: &Scenario,
    state: &FinalState,
    client: &Option<String>,
    provider: &str,
) -> bool {
    let Some(client) = client else {
        return true;
    };
    let domain = scenario
        .clients
        .get(client)
        .and_then(|spec| spec.domain.clone());
    let resolved = domain
        .and_then(|domain| state.bindings.get(&domain).cloned())
        .or_else(|| state.bindings.get("default").cloned());
    resolved.as_deref() == Some(provider)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, details, op, scenario};
    use super::super::Property;
    use super::*;
    use crate::ops::Answer;

    const CLIENTS: &str = "clients = { c1 = { domain = \"d1\" } }";

    fn add_handler(client: Option<&str>) -> OpRecord {
        let add = Op::AddHandler {
            handler: "h".into(),
            event: EventName::Error,
            client: client.map(str::to_owned),
        };
        op("T0.0", (1, 0, 0), (1, 2), add, Ok(Answer::Done))
    }

    fn emit_fatal() -> OpRecord {
        let emit = Op::Emit {
            provider: "p1".into(),
            event: EventName::Fatal,
        };
        op("after.0", (AFTER, 0, 0), (10, 12), emit, Ok(Answer::Done))
    }

    fn log_with(ops: Vec<OpRecord>, delivered_at: Option<usize>) -> Log {
        let mut log = Log {
            ops,
            ..Log::default()
        };
        if let Some(step) = delivered_at {
            log.handler_calls
                .insert("h".into(), vec![(step, "p1:error".to_owned())]);
        }
        log
    }

    #[test]
    fn a_handler_that_missed_an_event_violates() {
        let log = log_with(vec![add_handler(None), emit_fatal()], Some(3));
        assert_eq!(
            details(
                Property::LostHandler,
                &scenario(""),
                &log,
                &bound(&[("default", "p1")])
            ),
            ["handler h (added by T0.0) did not run for after.0 emit(p1, fatal)"]
        );
        let for_client = log_with(vec![add_handler(Some("c1")), emit_fatal()], None);
        assert_eq!(
            check(&scenario(CLIENTS), &for_client, &bound(&[("d1", "p1")])),
            ["handler h (added by T0.0) did not run for after.0 emit(p1, fatal)"]
        );
    }

    #[test]
    fn a_run_for_the_emission_after_the_emit_returned_holds() {
        let state = bound(&[("default", "p1")]);
        let mut log = log_with(vec![add_handler(None), emit_fatal()], Some(20));
        assert_eq!(check(&scenario(""), &log, &state).len(), 1, "no emission recorded");
        log.emissions.push(("p1".into(), 2, 11));
        log.emission_deliveries.push(("h".into(), "p1".into(), 1));
        assert_eq!(
            check(&scenario(""), &log, &state).len(),
            1,
            "a run for another emission does not count"
        );
        log.emission_deliveries.push(("h".into(), "p1".into(), 2));
        assert!(check(&scenario(""), &log, &state).is_empty());
    }

    #[test]
    fn a_delivered_removed_or_unrelated_handler_holds() {
        let state = bound(&[("default", "p1")]);
        let delivered = log_with(vec![add_handler(None), emit_fatal()], Some(11));
        assert!(check(&scenario(""), &delivered, &state).is_empty());
        let remove = Op::RemoveHandler {
            handler: "h".into(),
            event: EventName::Error,
            client: None,
        };
        let removed = log_with(
            vec![
                add_handler(None),
                op("T0.1", (1, 0, 1), (3, 4), remove, Ok(Answer::Done)),
                emit_fatal(),
            ],
            None,
        );
        assert!(check(&scenario(""), &removed, &state).is_empty());
        let other_domain = log_with(vec![add_handler(Some("c1")), emit_fatal()], None);
        let state = bound(&[("default", "p1"), ("d1", "p2")]);
        assert!(check(&scenario(CLIENTS), &other_domain, &state).is_empty());
    }
}

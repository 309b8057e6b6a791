//! The canonical outcome of an execution: every observable result, sorted, the text that
//! snapshots and the oracle compare.

use crate::scenario::Scenario;
use crate::world::{FinalState, Log};
use std::collections::BTreeMap;

/// The canonical outcome of an execution: every observable result, sorted, with no step
/// numbers, counts of iterations or anything else that depends on the schedule's length.
pub fn outcome(scenario: &Scenario, log: &Log, state: &FinalState) -> String {
    let mut lines = Vec::new();
    let pairs = |map: &BTreeMap<String, String>| {
        map.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    lines.push(format!("bindings: {}", pairs(&state.bindings)));
    lines.push(format!("status: {}", pairs(&state.statuses)));
    for name in scenario.providers.keys() {
        let record = log.providers.get(name).cloned().unwrap_or_default();
        lines.push(format!(
            "provider {name}: init={} shutdown={} resolved_after_shutdown={}",
            record.init, record.shutdown, record.resolved_after_shutdown
        ));
    }
    lines.push(format!("hooks api: [{}]", state.api_hooks.join(",")));
    for (client, hooks) in &state.client_hooks {
        if !hooks.is_empty() {
            lines.push(format!("hooks client {client}: [{}]", hooks.join(",")));
        }
    }
    lines.push(format!(
        "context: {}",
        crate::target::render_context(&state.context)
    ));
    let mut ops: Vec<&crate::world::OpRecord> = log.ops.iter().collect();
    ops.sort_by_key(|op| op.order);
    for op in ops {
        let result = match &op.result {
            Ok(answer) => answer.to_string(),
            Err(raised) => format!("RAISED {raised}"),
        };
        lines.push(format!("{} {} -> {result}", op.key, op.label));
    }
    for (handler, calls) in &log.handler_calls {
        let calls: Vec<&str> = calls.iter().map(|(_, call)| call.as_str()).collect();
        lines.push(format!("handler {handler}: {}", calls.join(", ")));
    }
    for (hook, count) in &log.hook_calls {
        lines.push(format!("hook {hook}: before x{count}"));
    }
    lines.join("\n")
}

//! The properties checked after every execution, with their stable ids, and the rendering of
//! an execution's outcome: the canonical text that snapshots and the oracle compare.
//!
//! Properties read only the world's records and the final state, so they judge both targets
//! alike. Nothing here runs user code or touches shuttle.

use crate::scenario::{EventName, Op, Scenario};
use crate::world::{FinalState, Log};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A property with a stable id used in scenario files and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    InitOnce,
    ShutdownOnce,
    OrphanedProvider,
    BoundButShutDown,
    StatusLost,
    ResolvedAfterShutdown,
    EscapedError,
    LostHook,
    LostHandler,
    NotLinearizable,
    NotSequentiallyConsistent,
    Deadlock,
    StepBound,
    OutsideExhaustive,
}

impl Property {
    pub const ALL: [Property; 14] = [
        Property::InitOnce,
        Property::ShutdownOnce,
        Property::OrphanedProvider,
        Property::BoundButShutDown,
        Property::StatusLost,
        Property::ResolvedAfterShutdown,
        Property::EscapedError,
        Property::LostHook,
        Property::LostHandler,
        Property::NotLinearizable,
        Property::NotSequentiallyConsistent,
        Property::Deadlock,
        Property::StepBound,
        Property::OutsideExhaustive,
    ];

    pub fn id(&self) -> &'static str {
        match self {
            Property::InitOnce => "init-once",
            Property::ShutdownOnce => "shutdown-once",
            Property::OrphanedProvider => "orphaned-provider",
            Property::BoundButShutDown => "bound-but-shut-down",
            Property::StatusLost => "status-lost",
            Property::ResolvedAfterShutdown => "resolved-after-shutdown",
            Property::EscapedError => "escaped-error",
            Property::LostHook => "lost-hook",
            Property::LostHandler => "lost-handler",
            Property::NotLinearizable => "not-linearizable",
            Property::NotSequentiallyConsistent => "not-sequentially-consistent",
            Property::Deadlock => "deadlock",
            Property::StepBound => "step-bound",
            Property::OutsideExhaustive => "outside-exhaustive",
        }
    }

    /// What the property asserts, for `harness ops` and the contributor's guide.
    pub fn description(&self) -> &'static str {
        match self {
            Property::InitOnce => {
                "no provider is initialized twice without a shutdown between (rebinding after a shutdown starts a new lifecycle)"
            }
            Property::ShutdownOnce => {
                "no provider is shut down twice without an initialize between, or before its initialize"
            }
            Property::OrphanedProvider => {
                "every provider that was initialized is, at the end, bound or shut down (no orphaned or lost provider; every replaced provider shut down)"
            }
            Property::BoundButShutDown => "no provider bound at the end has been shut down",
            Property::StatusLost => {
                "a bound provider whose initialize succeeded and that emitted nothing reports READY at the end"
            }
            Property::ResolvedAfterShutdown => {
                "no evaluation resolves on a provider after its shutdown began"
            }
            Property::EscapedError => "no panic or error escapes an SDK call",
            Property::LostHook => {
                "every hook added after the last clear is present at the end (API and client hooks)"
            }
            Property::LostHandler => {
                "every handler added after the last clear runs for each matching event emitted after the threads finish"
            }
            Property::NotLinearizable => {
                "some sequential execution of whole operations produces the outcome in an order that respects real time: an operation or background step that ended before another began comes first"
            }
            Property::NotSequentiallyConsistent => {
                "the outcome is one that some sequential execution of whole operations produces, in any order (each thread's own order kept; real time not asked)"
            }
            Property::Deadlock => "no execution deadlocks (reported with its trace, never a hang)",
            Property::StepBound => "no execution exceeds the scenario's step bound",
            Property::OutsideExhaustive => {
                "every outcome of a randomized run is in the scenario's exhaustive outcome set (its exhaustive snapshot); one outside means the preemption bound is too low"
            }
        }
    }

    pub fn from_id(id: &str) -> Option<Property> {
        Property::ALL
            .into_iter()
            .find(|property| property.id() == id)
    }

    pub fn ids() -> Vec<&'static str> {
        Property::ALL.iter().map(Property::id).collect()
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One violated property with what showed it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub property: Property,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.property, self.detail)
    }
}

/// Checks every record-based property of one finished execution.
pub fn check(scenario: &Scenario, log: &Log, state: &FinalState) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut violation =
        |property: Property, detail: String| violations.push(Violation { property, detail });
    let bound: BTreeSet<&String> = state.bindings.values().collect();
    for (name, record) in &log.providers {
        // A healthy lifecycle alternates: initialize, shutdown, initialize (a provider bound
        // again after it was retired starts a new lifecycle), ...
        if record.lifecycle.contains("II") {
            violation(
                Property::InitOnce,
                format!(
                    "{name}.initialize() ran twice without a shutdown between ({})",
                    record.lifecycle
                ),
            );
        }
        if record.lifecycle.contains("SS") || record.lifecycle.starts_with('S') {
            violation(
                Property::ShutdownOnce,
                format!(
                    "{name}.shutdown() ran twice without an initialize between ({})",
                    record.lifecycle
                ),
            );
        }
        let is_bound = bound.contains(name);
        if record.is_initialized() && !is_bound {
            violation(
                Property::OrphanedProvider,
                format!("{name} was initialized but is neither bound nor shut down"),
            );
        }
        if is_bound && record.is_shut() {
            violation(
                Property::BoundButShutDown,
                format!("{name} is bound but was shut down"),
            );
        }
        if is_bound && record.is_initialized() && record.init_ok > 0 && record.emits == 0 {
            let status = state.statuses.get(name).map_or("missing", String::as_str);
            if status != "READY" {
                violation(
                    Property::StatusLost,
                    format!("{name} initialized successfully but reports {status}"),
                );
            }
        }
        if record.resolved_after_shutdown > 0 {
            violation(
                Property::ResolvedAfterShutdown,
                format!(
                    "{name} resolved {} time(s) after its shutdown",
                    record.resolved_after_shutdown
                ),
            );
        }
    }
    for op in &log.ops {
        if let Err(error) = &op.result {
            violation(
                Property::EscapedError,
                format!("{} {} raised {error}", op.key, op.label),
            );
        }
    }
    for detail in lost_hooks(log, state) {
        violation(Property::LostHook, detail);
    }
    for detail in lost_handlers(scenario, log, state) {
        violation(Property::LostHandler, detail);
    }
    violations
}

/// Hooks added by operations that started after the last clear of the same list ended, but
/// missing at the end.
fn lost_hooks(log: &Log, state: &FinalState) -> Vec<String> {
    let mut lists: BTreeMap<Option<String>, (usize, Vec<String>)> = BTreeMap::new();
    let clears = |op: &Op| -> Option<Option<String>> {
        match op {
            Op::ClearHooks { client } => Some(client.clone()),
            Op::Shutdown {} => Some(None),
            _ => None,
        }
    };
    let ops_of = |record: &crate::world::OpRecord| -> Option<Op> { Some(record.op.clone()) };
    let mut records: Vec<&crate::world::OpRecord> = log.ops.iter().collect();
    records.sort_by_key(|record| record.start);
    // The end of the last clear of each list.
    for record in &records {
        if let Some(Some(op)) = Some(ops_of(record)) {
            if let Some(list) = clears(&op) {
                let entry = lists.entry(list).or_default();
                entry.0 = entry.0.max(record.end);
            }
        }
    }
    let mut expected: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for record in &records {
        if let Some(Op::AddHooks { hooks, client }) = ops_of(record) {
            let cleared_until = lists.get(&client).map_or(0, |entry| entry.0);
            if record.start > cleared_until {
                expected.entry(client).or_default().extend(hooks);
            }
        }
    }
    let mut lost = Vec::new();
    for (client, hooks) in expected {
        let present = match &client {
            None => state.api_hooks.clone(),
            Some(client) => state.client_hooks.get(client).cloned().unwrap_or_default(),
        };
        let owner = client
            .clone()
            .map_or_else(|| "API".to_owned(), |c| format!("client {c}"));
        for hook in BTreeSet::from_iter(hooks.iter()) {
            let wanted = hooks.iter().filter(|h| *h == hook).count();
            let found = present.iter().filter(|h| *h == hook).count();
            if found < wanted {
                lost.push(format!(
                    "{owner} hook {hook}: added {wanted}, present {found}"
                ));
            }
        }
    }
    lost
}

/// Handlers that should have run for an event emitted in the `after` phase but did not.
fn lost_handlers(scenario: &Scenario, log: &Log, state: &FinalState) -> Vec<String> {
    let records: Vec<(&crate::world::OpRecord, Op)> = log
        .ops
        .iter()
        .map(|record| (record, record.op.clone()))
        .collect();
    let mut lost = Vec::new();
    for (emit_record, op) in &records {
        let Op::Emit { provider, event } = op else {
            continue;
        };
        if emit_record.order.0 != 2 || !state.bindings.values().any(|bound| bound == provider) {
            continue;
        }
        let wanted_event = match event {
            EventName::Fatal => EventName::Error,
            other => *other,
        };
        for (add_record, add) in &records {
            let Op::AddHandler {
                handler,
                event: handler_event,
                client,
            } = add
            else {
                continue;
            };
            if *handler_event != wanted_event || add_record.end > emit_record.start {
                continue;
            }
            let cleared_after_add = records.iter().any(|(record, op)| {
                record.end > add_record.start
                    && record.start < emit_record.start
                    && match op {
                        Op::ClearProviders {} | Op::Shutdown {} => true,
                        Op::RemoveHandler {
                            handler: h,
                            event: e,
                            client: c,
                        } => h == handler && e == handler_event && c == client,
                        _ => false,
                    }
            });
            if cleared_after_add {
                continue;
            }
            let applies = match client {
                None => true,
                Some(client) => {
                    let domain = scenario
                        .clients
                        .get(client)
                        .and_then(|spec| spec.domain.clone());
                    let resolved = domain
                        .and_then(|domain| state.bindings.get(&domain).cloned())
                        .or_else(|| state.bindings.get("default").cloned());
                    resolved.as_deref() == Some(provider.as_str())
                }
            };
            if !applies {
                continue;
            }
            let delivery = format!("{provider}:{}", wanted_event.as_str());
            let ran = log.handler_calls.get(handler).is_some_and(|calls| {
                calls.iter().any(|(step, call)| {
                    *call == delivery && *step >= emit_record.start && *step <= emit_record.end
                })
            });
            if !ran {
                lost.push(format!(
                    "handler {handler} (added by {}) did not run for {} {}",
                    add_record.key, emit_record.key, emit_record.label
                ));
            }
        }
    }
    lost
}

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
            Ok(result) => result.clone(),
            Err(error) => format!("RAISED {error}"),
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

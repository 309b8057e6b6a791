//! The canonical snapshots: what `snapshots/` holds for a scenario (its verdicts and
//! sequential outcomes) and for its exhaustive exploration on one target. No counts, seeds or
//! timings: they churn with the SDK's internals, the snapshots only with its behaviour.

use super::report::{verdict_of, ExhaustiveReport, ScenarioReport};
use crate::properties::Property;
use std::fmt::Write as _;

/// The canonical snapshot of a scenario: its expectation-checked verdicts and, per target, the
/// complete set of sequential outcomes (sorted). No counts or seeds that churn.
pub fn snapshot(report: &ScenarioReport) -> String {
    let scenario = &report.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "description: {}", scenario.description);
    let _ = writeln!(out, "audit: {}", scenario.audit.join(", "));
    if let Some(benign) = &scenario.benign {
        let _ = writeln!(out, "benign: {benign}");
    }
    for target in &report.targets {
        let verdict = verdict_of(scenario, target.target);
        let _ = writeln!(out);
        let status = if target.failures.is_empty() {
            "as expected"
        } else {
            "NOT as expected"
        };
        let expected = if verdict.holds() {
            "holds".to_owned()
        } else {
            format!("violates {}", verdict.violates.join(", "))
        };
        let _ = writeln!(out, "[{}] {expected} ({status})", target.target.as_str());
        match scenario.oracle_opt_out.of(target.target) {
            Some(reason) => {
                let _ = writeln!(out, "sequential outcomes: not computed ({reason})");
            }
            None => {
                let _ = writeln!(
                    out,
                    "sequential outcomes: {}",
                    target.reference.outcomes.len()
                );
                for (index, outcome) in target.reference.outcomes.iter().enumerate() {
                    let _ = writeln!(out, "--- sequential outcome {}", index + 1);
                    let _ = writeln!(out, "{outcome}");
                }
            }
        }
    }
    out
}

/// The exhaustive snapshot of a scenario on one target: the explorer and its bound, the
/// properties violated, and the complete set of distinct outcomes (sorted). No execution counts
/// or timings: those churn with the SDK's internals, the outcomes only with its behaviour.
pub fn exhaustive_snapshot(report: &ExhaustiveReport) -> String {
    let scenario = &report.scenario;
    let exploration = &report.exploration;
    let mut out = String::new();
    let _ = writeln!(out, "description: {}", scenario.description);
    let _ = writeln!(
        out,
        "explorer: {}, preemption bound {}",
        scenario.schedule.explorer.of(report.target).as_str(),
        scenario.schedule.preemption_bound.of(report.target)
    );
    if let Some(reason) = &scenario.schedule.reason {
        let _ = writeln!(out, "reason: {reason}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "[{}] {}",
        report.target.as_str(),
        if report.failures.is_empty() {
            "as expected"
        } else {
            "NOT as expected"
        }
    );
    let violated: Vec<&str> = exploration.violated().iter().map(Property::id).collect();
    let _ = writeln!(
        out,
        "violated: {}",
        if violated.is_empty() {
            "-".to_owned()
        } else {
            violated.join(", ")
        }
    );
    let _ = writeln!(out, "distinct outcomes: {}", exploration.outcomes.len());
    for (index, outcome) in exploration.outcomes.keys().enumerate() {
        let _ = writeln!(out, "--- outcome {}", index + 1);
        let _ = writeln!(out, "{outcome}");
    }
    out
}

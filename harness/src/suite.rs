//! Runs whole scenarios against their expectations and reports: the oracle's reference per
//! target, batches per scheduler and base seed, the detection iteration of each expected
//! violation, every failure with the one command that replays it, and the canonical snapshot.

use crate::properties::Property;
use crate::runner::{self, Batch, Reference};
use crate::scenario::{Scenario, Verdict};
use crate::sched::SchedulerKind;
use crate::target::TargetKind;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// How a run is configured.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub targets: Vec<TargetKind>,
    pub schedulers: Vec<SchedulerKind>,
    /// Overrides the scenario's iteration count.
    pub iterations: Option<usize>,
    /// Runs only this base seed instead of the default set.
    pub seed: Option<u64>,
    /// How many base seeds every expectation is checked under (an expected violation must be
    /// found under each within budget; "holds" must hold under each).
    pub detection_seeds: u64,
    /// Whether a scenario without an exhaustive snapshot fails (it does in the suite; a
    /// scenario file just generated has none yet).
    pub require_exhaustive: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            targets: TargetKind::ALL.to_vec(),
            schedulers: SchedulerKind::ALL.to_vec(),
            iterations: None,
            seed: None,
            detection_seeds: 20,
            require_exhaustive: true,
        }
    }
}

/// The results of one scheduler on one target, over its base seeds.
#[derive(Debug)]
pub struct SchedulerReport {
    pub scheduler: SchedulerKind,
    pub executions: usize,
    /// Per base seed, the iteration at which every expected property had been seen (`None` if
    /// not within budget).
    pub detections: Vec<(u64, Option<usize>)>,
    pub violated: BTreeSet<Property>,
}

impl SchedulerReport {
    pub fn median_detection(&self) -> Option<usize> {
        let mut found: Vec<usize> = self.detections.iter().filter_map(|(_, d)| *d).collect();
        found.sort_unstable();
        found.get(found.len().saturating_sub(1) / 2).copied()
    }

    pub fn max_detection(&self) -> Option<usize> {
        self.detections.iter().filter_map(|(_, d)| *d).max()
    }
}

#[derive(Debug)]
pub struct TargetReport {
    pub target: TargetKind,
    pub reference: Reference,
    pub schedulers: Vec<SchedulerReport>,
    pub failures: Vec<String>,
}

#[derive(Debug)]
pub struct ScenarioReport {
    pub scenario: Arc<Scenario>,
    pub targets: Vec<TargetReport>,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.targets.iter().all(|target| target.failures.is_empty())
    }
}

/// The command that replays one execution.
pub fn replay_command(
    scenario: &str,
    target: TargetKind,
    scheduler: SchedulerKind,
    seed: u64,
) -> String {
    format!(
        "cargo run --release -p harness -- replay {scenario} --target {} --scheduler {} --seed {seed}",
        target.as_str(),
        scheduler.as_str()
    )
}

fn verdict_of(scenario: &Scenario, target: TargetKind) -> &Verdict {
    match target {
        TargetKind::Sdk => &scenario.expect.sdk,
        TargetKind::Audited => &scenario.expect.audited,
    }
}

fn ids(properties: &[String]) -> BTreeSet<Property> {
    properties
        .iter()
        .filter_map(|id| Property::from_id(id))
        .collect()
}

/// The properties `target` must violate, and those it may violate (the required ones included).
fn expected(scenario: &Scenario, target: TargetKind) -> (BTreeSet<Property>, BTreeSet<Property>) {
    let verdict = verdict_of(scenario, target);
    let required = ids(&verdict.violates);
    let allowed = required
        .union(&ids(&verdict.may_violate))
        .copied()
        .collect();
    (required, allowed)
}

/// Runs one scenario on every configured target and scheduler, checking its expectations.
pub fn run_scenario(
    scenario: &Arc<Scenario>,
    options: &RunOptions,
    mut progress: impl FnMut(),
) -> ScenarioReport {
    let mut targets = Vec::new();
    for &target in &options.targets {
        let (required, allowed) = expected(scenario, target);
        let reference = if scenario.oracle_opt_out.is_some() {
            Reference::default()
        } else {
            runner::reference(scenario, target)
        };
        let judge = reference.complete.then_some(&reference);
        let exhaustive = crate::exhaustive::committed_outcomes(&scenario.name, target);
        let iterations = options.iterations.unwrap_or(scenario.schedule.iterations);
        // Every expectation is checked under every base seed: an expected violation must be found
        // under each, and "holds" must hold under each.
        let seeds: Vec<u64> = match options.seed {
            Some(seed) => vec![seed],
            None => (1..=options.detection_seeds).collect(),
        };
        let mut failures = Vec::new();
        let mut schedulers = Vec::new();
        // PCT's step estimate, from one deterministic calibration run per target.
        let estimated_steps = if options.schedulers.contains(&SchedulerKind::Pct) {
            runner::calibrate_pct(scenario, target)
        } else {
            0
        };
        for &scheduler in &options.schedulers {
            let mut report = SchedulerReport {
                scheduler,
                executions: 0,
                detections: Vec::new(),
                violated: BTreeSet::new(),
            };
            for &seed in &seeds {
                let batch: Batch = runner::run_batch(
                    scenario,
                    target,
                    scheduler,
                    seed,
                    iterations,
                    estimated_steps,
                    runner::Judges {
                        reference: judge,
                        exhaustive: exhaustive.as_ref(),
                    },
                    &required,
                    &mut progress,
                );
                report.executions += batch.executions;
                let detection = (!required.is_empty()
                    && required.iter().all(|p| batch.first.contains_key(p)))
                .then(|| required.iter().map(|p| batch.first[p].0).max().unwrap_or(0));
                report.detections.push((seed, detection));
                for (property, (iteration, exec_seed, violation)) in &batch.first {
                    report.violated.insert(*property);
                    if !allowed.contains(property) {
                        failures.push(format!(
                            "{} on {}: unexpected {} under {} (base seed {seed}, iteration {iteration}): {}\n  replay: {}",
                            scenario.name,
                            target.as_str(),
                            property,
                            scheduler.as_str(),
                            violation.detail,
                            replay_command(&scenario.name, target, scheduler, *exec_seed)
                        ));
                    }
                }
                for property in &required {
                    if !batch.first.contains_key(property) {
                        failures.push(format!(
                            "{} on {}: expected {} not found under {} with base seed {seed} within {iterations} executions",
                            scenario.name,
                            target.as_str(),
                            property,
                            scheduler.as_str()
                        ));
                    }
                }
            }
            schedulers.push(report);
        }
        if exhaustive.is_none() && options.require_exhaustive {
            failures.push(format!(
                "{} on {}: no exhaustive outcome set to check the randomized outcomes against (snapshots/exhaustive/{}.snap); run `cargo run --release -p harness -- run --scheduler exhaustive {}` and review it with `cargo insta review`",
                scenario.name,
                target.as_str(),
                scenario.name,
                scenario.name
            ));
        }
        if !reference.complete && scenario.oracle_opt_out.is_none() {
            failures.push(format!(
                "{} on {}: the oracle's sequential exploration did not complete ({} explored, {} failed)",
                scenario.name,
                target.as_str(),
                reference.explored,
                reference.blocked
            ));
        }
        targets.push(TargetReport {
            target,
            reference,
            schedulers,
            failures,
        });
    }
    ScenarioReport {
        scenario: Arc::clone(scenario),
        targets,
    }
}

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
        match &scenario.oracle_opt_out {
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

/// The exhaustive pass over one scenario and target, judged against its expectation.
#[derive(Debug)]
pub struct ExhaustiveReport {
    pub scenario: Arc<Scenario>,
    pub target: TargetKind,
    pub exploration: crate::exhaustive::Exploration,
    pub failures: Vec<String>,
}

/// Explores `scenario` exhaustively on `target` and checks its expectation: "holds" must hold in
/// every explored execution, and every required violation must occur in one. `capture` asks
/// for the trace of one execution by number.
pub fn run_exhaustive(
    scenario: &Arc<Scenario>,
    target: TargetKind,
    capture: Option<usize>,
) -> ExhaustiveReport {
    use crate::exhaustive;
    let (required, allowed) = expected(scenario, target);
    let reference = exhaustive::reference(scenario, target);
    let mut failures = Vec::new();
    if scenario.oracle_opt_out.is_none() && !reference.as_ref().is_some_and(|r| r.complete) {
        failures.push(format!(
            "{} on {}: no complete set of sequential outcomes to judge linearizability by (the scenario's snapshot is missing or its sequential exploration did not complete; run `cargo test -p harness --test scenarios` and review with `cargo insta review`)",
            scenario.name,
            target.as_str()
        ));
    }
    let exploration = exhaustive::explore(scenario, target, reference, capture);
    if let Some(stopped) = &exploration.stopped {
        failures.push(format!(
            "{} on {}: the exploration stopped after {} executions: {stopped}\n  re-run: {}",
            scenario.name,
            target.as_str(),
            exploration.executions,
            exhaustive::rerun_command(scenario, target, None)
        ));
    }
    for (property, (number, violation, trace)) in &exploration.first {
        if !allowed.contains(property) {
            failures.push(format!(
                "{} on {}: unexpected {property} in execution {number} of the exhaustive exploration: {}\n  re-run: {}\n{trace}",
                scenario.name,
                target.as_str(),
                violation.detail,
                exhaustive::rerun_command(scenario, target, Some(*number))
            ));
        }
    }
    for property in &required {
        if !exploration.first.contains_key(property) {
            failures.push(format!(
                "{} on {}: expected {property} in no execution of the exhaustive exploration ({} executions, preemption bound {})",
                scenario.name,
                target.as_str(),
                exploration.executions,
                scenario.schedule.preemption_bound.of(target)
            ));
        }
    }
    ExhaustiveReport {
        scenario: Arc::clone(scenario),
        target,
        exploration,
        failures,
    }
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

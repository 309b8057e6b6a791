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
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            targets: TargetKind::ALL.to_vec(),
            schedulers: SchedulerKind::ALL.to_vec(),
            iterations: None,
            seed: None,
            detection_seeds: 20,
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

/// Runs one scenario on every configured target and scheduler, checking its expectations.
pub fn run_scenario(
    scenario: &Arc<Scenario>,
    options: &RunOptions,
    mut progress: impl FnMut(),
) -> ScenarioReport {
    let mut targets = Vec::new();
    for &target in &options.targets {
        let verdict = verdict_of(scenario, target);
        let required = ids(&verdict.violates);
        let allowed: BTreeSet<Property> = required
            .union(&ids(&verdict.may_violate))
            .copied()
            .collect();
        let reference = if scenario.oracle_opt_out.is_some() {
            Reference::default()
        } else {
            runner::reference(scenario, target)
        };
        let judge = reference.complete.then_some(&reference);
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
                    judge,
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

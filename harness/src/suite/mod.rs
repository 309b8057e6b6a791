//! Runs whole scenarios against their expectations and reports: the oracle's reference per
//! target, batches per scheduler and base seed, the detection iteration of each expected
//! violation, every failure with the one command that replays it, and the canonical snapshot.
//! `report.rs` holds the report types, `snapshot.rs` the snapshot texts, `head_report.rs` the
//! report of the races the Python SDK's head still has.

pub mod head_report;
mod report;
mod snapshot;

pub use report::{
    verdict_of, ExhaustiveReport, Failure, FirstDetection, RunOptions, ScenarioReport,
    SchedulerReport, TargetReport, Tick,
};
pub use snapshot::{exhaustive_snapshot, snapshot};

use crate::invocation::Invocation;
use crate::oracle::{self, Reference};
use crate::properties::Property;
use crate::runner::{self, Batch};
use crate::scenario::Scenario;
use crate::sched::SchedulerKind;
use crate::target::TargetKind;
use std::collections::BTreeSet;
use std::sync::Arc;

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
    mut progress: impl FnMut(Tick),
) -> ScenarioReport {
    let mut targets: Vec<TargetReport> = Vec::new();
    for &target in &options.targets {
        let report = run_target(scenario, target, options, &mut progress);
        let failed = !report.failures.is_empty();
        targets.push(report);
        if failed && options.stop_at_first_failure {
            break;
        }
    }
    ScenarioReport {
        scenario: Arc::clone(scenario),
        targets,
    }
}

/// The oracle's sequential outcomes of `scenario` on `target` (none when it opts out).
fn reference_of(scenario: &Arc<Scenario>, target: TargetKind) -> Reference {
    oracle::reference_unless_opted_out(scenario, target).unwrap_or_default()
}

/// The oracle's part of a scenario's report: per target its sequential outcomes, and no
/// randomized run (what the exhaustive pass needs before the randomized check can run).
pub fn sequential_report(scenario: &Arc<Scenario>, targets: &[TargetKind]) -> ScenarioReport {
    let targets = targets
        .iter()
        .map(|&target| TargetReport {
            target,
            reference: reference_of(scenario, target),
            schedulers: Vec::new(),
            failures: Vec::new(),
            every_failure: Vec::new(),
        })
        .collect();
    ScenarioReport {
        scenario: Arc::clone(scenario),
        targets,
    }
}

/// The failures of one property under one scheduler, over the base seeds.
#[derive(Default)]
struct Misses {
    /// Base seeds where an unexpected violation was seen, with the first one's details.
    unexpected: Vec<(u64, usize, u64, String)>,
    /// Base seeds where an expected violation was not seen.
    not_found: Vec<u64>,
}

/// What every batch of one target's run shares.
struct TargetRun<'a> {
    scenario: &'a Arc<Scenario>,
    target: TargetKind,
    options: &'a RunOptions,
    required: BTreeSet<Property>,
    allowed: BTreeSet<Property>,
    judges: runner::Judges<'a>,
    iterations: usize,
    seeds: Vec<u64>,
    /// PCT's step estimate, from one deterministic calibration run per target.
    estimated_steps: usize,
}

/// Per property and scheduler, the base seeds where it was missed.
type MissMap = std::collections::BTreeMap<(Property, SchedulerKind), Misses>;

fn run_target(
    scenario: &Arc<Scenario>,
    target: TargetKind,
    options: &RunOptions,
    progress: &mut impl FnMut(Tick),
) -> TargetReport {
    let (required, allowed) = expected(scenario, target);
    let reference = reference_of(scenario, target);
    let exhaustive =
        crate::exhaustive::committed_outcomes(&options.invocation.folders, &scenario.name, target);
    let run = TargetRun {
        scenario,
        target,
        options,
        required,
        allowed,
        judges: runner::Judges {
            reference: reference.complete.then_some(&reference),
            exhaustive: exhaustive.as_ref(),
        },
        iterations: options.iterations.unwrap_or(scenario.schedule.iterations),
        // Every expectation is checked under every base seed: an expected violation must be
        // found under each, and "holds" must hold under each.
        seeds: base_seeds(options),
        estimated_steps: if options.schedulers.contains(&SchedulerKind::Pct) {
            runner::calibrate_pct(scenario, target)
        } else {
            0
        },
    };
    let mut every_failure = Vec::new();
    let mut misses = MissMap::new();
    let mut schedulers: Vec<SchedulerReport> = Vec::new();
    for &scheduler in &options.schedulers {
        let report = run.scheduler(scheduler, progress, &mut every_failure, &mut misses);
        let failed = !run.unexpected(&report).is_empty();
        schedulers.push(report);
        if failed && options.stop_at_first_failure {
            break;
        }
    }
    let mut failures = run.misses_reported(&misses);
    let general = run.general_failures(&reference, exhaustive.is_some());
    failures.extend(general.iter().cloned());
    every_failure.extend(general);
    TargetReport {
        target,
        reference,
        schedulers,
        failures,
        every_failure,
    }
}

impl TargetRun<'_> {
    /// Every base seed's batch under one scheduler.
    fn scheduler(
        &self,
        scheduler: SchedulerKind,
        progress: &mut impl FnMut(Tick),
        every_failure: &mut Vec<Failure>,
        misses: &mut MissMap,
    ) -> SchedulerReport {
        let mut report = SchedulerReport {
            scheduler,
            executions: 0,
            detections: Vec::new(),
            violated: BTreeSet::new(),
            violated_always: BTreeSet::new(),
            first_detections: Default::default(),
        };
        for (index, &seed) in self.seeds.iter().enumerate() {
            let batch: Batch = runner::run_batch(
                self.scenario,
                self.target,
                scheduler,
                seed,
                self.iterations,
                self.estimated_steps,
                self.judges,
                runner::BatchStop {
                    when_found: &self.required,
                    unless_allowed: self.options.stop_at_first_failure.then_some(&self.allowed),
                },
                || progress(Tick::Ran),
            );
            if batch.executions < self.iterations {
                progress(Tick::Skipped(self.iterations - batch.executions));
            }
            report.executions += batch.executions;
            let detection = (!self.required.is_empty()
                && self.required.iter().all(|p| batch.first.contains_key(p)))
            .then(|| {
                self.required
                    .iter()
                    .map(|p| batch.first[p].0)
                    .max()
                    .unwrap_or(0)
            });
            report.detections.push((seed, detection));
            let violated = batch.violated();
            report.violated_always = if index == 0 {
                violated.clone()
            } else {
                &report.violated_always & &violated
            };
            report.violated.extend(violated);
            self.judge_batch(&batch, seed, scheduler, &mut report, every_failure, misses);
            if self.options.stop_at_first_failure && !self.unexpected(&report).is_empty() {
                break;
            }
        }
        report
    }

    /// The properties a scheduler's batches violated that the scenario does not allow.
    fn unexpected(&self, report: &SchedulerReport) -> Vec<Property> {
        report
            .violated
            .iter()
            .filter(|property| !self.allowed.contains(property))
            .copied()
            .collect()
    }

    /// Records the first detection of each expected property in `batch`, and a failure for
    /// each unexpected property seen and each expected one missed.
    fn judge_batch(
        &self,
        batch: &Batch,
        seed: u64,
        scheduler: SchedulerKind,
        report: &mut SchedulerReport,
        every_failure: &mut Vec<Failure>,
        misses: &mut MissMap,
    ) {
        let (name, on) = (&self.scenario.name, self.target.as_str());
        let replay = |exec_seed: u64| {
            self.options
                .invocation
                .replay(name, self.target, scheduler, exec_seed)
        };
        // Every allowed violation seen, required or not: each is a race to watch.
        for property in &self.allowed {
            if let Some((iteration, exec_seed, _)) = batch.first.get(property) {
                report
                    .first_detections
                    .entry(*property)
                    .or_insert_with(|| FirstDetection {
                        base_seed: seed,
                        iteration: *iteration,
                        execution_seed: *exec_seed,
                        replay: replay(*exec_seed),
                    });
            }
        }
        for (property, (iteration, exec_seed, violation)) in &batch.first {
            if !self.allowed.contains(property) {
                every_failure.push(
                    Failure::new(format!(
                        "{name} on {on}: unexpected {property} under {} (base seed {seed}, iteration {iteration}): {}",
                        scheduler.as_str(),
                        violation.detail,
                    ))
                    .replayed_by(replay(*exec_seed)),
                );
                misses
                    .entry((*property, scheduler))
                    .or_default()
                    .unexpected
                    .push((seed, *iteration, *exec_seed, violation.detail.clone()));
            }
        }
        for property in &self.required {
            if !batch.first.contains_key(property) {
                every_failure.push(Failure::new(format!(
                    "{name} on {on}: expected {property} not found under {} with base seed {seed} within {} executions",
                    scheduler.as_str(),
                    self.iterations
                )));
                misses
                    .entry((*property, scheduler))
                    .or_default()
                    .not_found
                    .push(seed);
            }
        }
    }

    /// One failure per property and scheduler that was missed, over the base seeds.
    fn misses_reported(&self, misses: &MissMap) -> Vec<Failure> {
        let (name, on) = (&self.scenario.name, self.target.as_str());
        let mut failures = Vec::new();
        for ((property, scheduler), miss) in misses {
            let under = scheduler.as_str();
            if let Some((seed, iteration, exec_seed, detail)) = miss.unexpected.first() {
                failures.push(
                    Failure::new(format!(
                        "{name} on {on}: unexpected {property} under {under} with {} (first: base seed {seed}, iteration {iteration}): {detail}",
                        seed_count(miss.unexpected.len(), self.seeds.len()),
                    ))
                    .under(*scheduler)
                    .replayed_by(self.options.invocation.replay(name, self.target, *scheduler, *exec_seed)),
                );
            }
            if !miss.not_found.is_empty() {
                failures.push(
                    Failure::new(format!(
                        "{name} on {on}: expected {property} not found under {under} with {} ({}) within {} executions each",
                        seed_count(miss.not_found.len(), self.seeds.len()),
                        seed_list(&miss.not_found),
                        self.iterations
                    ))
                    .under(*scheduler),
                );
            }
        }
        failures
    }

    /// Failures of the run as a whole: no exhaustive set to check against, or an oracle that
    /// could not complete.
    fn general_failures(&self, reference: &Reference, has_exhaustive: bool) -> Vec<Failure> {
        let (name, on) = (&self.scenario.name, self.target.as_str());
        let mut general = Vec::new();
        let explored =
            self.scenario.schedule.explorer.of(self.target) != crate::scenario::ExplorerKind::None;
        if !has_exhaustive && self.options.require_exhaustive && explored {
            general.push(Failure::new(format!(
                "{name} on {on}: no exhaustive outcome set to check the randomized outcomes against ({} is missing); write the scenario's snapshots with `{}`",
                self.options.invocation.folders.exhaustive_snapshot(name, self.target).display(),
                self.options.invocation.bless(name)
            )));
        }
        if !reference.complete && self.scenario.oracle_opt_out.of(self.target).is_none() {
            general.push(Failure::new(format!(
                "{name} on {on}: the oracle's sequential exploration did not complete ({} explored, {} failed)",
                reference.explored, reference.blocked
            )));
        }
        general
    }
}

/// The base seeds a run checks every expectation under.
pub fn base_seeds(options: &RunOptions) -> Vec<u64> {
    match &options.seeds {
        Some(seeds) => seeds.clone().collect(),
        None => (1..=options.detection_seeds).collect(),
    }
}

fn seed_count(count: usize, of: usize) -> String {
    if count == 1 && of == 1 {
        "its base seed".to_owned()
    } else {
        format!("{count} of {of} base seeds")
    }
}

fn seed_list(seeds: &[u64]) -> String {
    let shown: Vec<String> = seeds.iter().take(8).map(u64::to_string).collect();
    let more = seeds.len().saturating_sub(shown.len());
    let mut list = format!(
        "base seed{} {}",
        if seeds.len() == 1 { "" } else { "s" },
        shown.join(", ")
    );
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    list
}

/// Explores `scenario` exhaustively on `target` and checks its expectation: "holds" must hold in
/// every explored execution, and every required violation must occur in one. `capture` asks
/// for the trace of one execution by number.
pub fn run_exhaustive(
    scenario: &Arc<Scenario>,
    target: TargetKind,
    capture: Option<crate::exhaustive::Capture>,
    invocation: &Invocation,
) -> ExhaustiveReport {
    use crate::exhaustive;
    let (required, allowed) = expected(scenario, target);
    let reference = exhaustive::reference(&invocation.folders, scenario, target);
    let mut failures = Vec::new();
    if scenario.oracle_opt_out.of(target).is_none()
        && !reference.as_ref().is_some_and(|r| r.complete)
    {
        failures.push(Failure::new(format!(
            "{} on {}: no complete set of sequential outcomes to judge linearizability by ({} is missing or its sequential exploration did not complete; write it with `{}`)",
            scenario.name,
            target.as_str(),
            invocation.folders.scenario_snapshot(&scenario.name).display(),
            invocation.bless(&scenario.name)
        )));
    }
    let exploration = exhaustive::explore(scenario, target, reference, capture);
    if let Some(stopped) = &exploration.stopped {
        failures.push(
            Failure::new(format!(
                "{} on {}: the exploration stopped after {} executions: {stopped}",
                scenario.name,
                target.as_str(),
                exploration.executions,
            ))
            .rerun_by(invocation.exhaustive(&scenario.name, Some(target), None)),
        );
    }
    for (property, (number, violation, trace)) in &exploration.first {
        if !allowed.contains(property) {
            failures.push(
                Failure::new(format!(
                    "{} on {}: unexpected {property} in execution {number} of the exhaustive exploration: {}",
                    scenario.name,
                    target.as_str(),
                    violation.detail,
                ))
                .rerun_by(invocation.exhaustive(&scenario.name, Some(target), Some(*number)))
                .with_trace(trace),
            );
        }
    }
    for property in &required {
        if !exploration.first.contains_key(property) {
            failures.push(Failure::new(format!(
                "{} on {}: expected {property} in no execution of the exhaustive exploration ({} executions, preemption bound {})",
                scenario.name,
                target.as_str(),
                exploration.executions,
                scenario.schedule.preemption_bound.of(target)
            )));
        }
    }
    ExhaustiveReport {
        scenario: Arc::clone(scenario),
        target,
        exploration,
        failures,
    }
}

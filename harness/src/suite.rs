//! Runs whole scenarios against their expectations and reports: the oracle's reference per
//! target, batches per scheduler and base seed, the detection iteration of each expected
//! violation, every failure with the one command that replays it, and the canonical snapshot.

use crate::invocation::Invocation;
use crate::oracle::{self, Reference};
use crate::properties::Property;
use crate::runner::{self, Batch};
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
    /// Runs these base seeds instead of the default set (one, or a sweep's block).
    pub seeds: Option<std::ops::Range<u64>>,
    /// How many base seeds every expectation is checked under (an expected violation must be
    /// found under each within budget; "holds" must hold under each).
    pub detection_seeds: u64,
    /// Whether a scenario without an exhaustive snapshot fails (it does in the suite; a
    /// scenario file just generated has none yet).
    pub require_exhaustive: bool,
    /// Where the snapshots are, and how printed commands start the harness.
    pub invocation: Invocation,
}

impl RunOptions {
    /// The main job's configuration: every target and scheduler, 20 base seeds, each
    /// scenario's own iteration count, the exhaustive snapshot required.
    pub fn new(invocation: Invocation) -> Self {
        Self {
            targets: TargetKind::ALL.to_vec(),
            schedulers: SchedulerKind::ALL.to_vec(),
            iterations: None,
            seeds: None,
            detection_seeds: 20,
            require_exhaustive: true,
            invocation,
        }
    }
}

/// One failed expectation: what failed, and the command that shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// What failed, on one line.
    pub message: String,
    /// The scheduler it failed under, when it is one scheduler's failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
    /// The command that replays the failing execution with its trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// The command that re-runs the failing exploration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun: Option<String>,
    /// The failing execution's trace, when the report has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

impl Failure {
    pub fn new(message: String) -> Self {
        Self {
            message,
            scheduler: None,
            replay: None,
            rerun: None,
            trace: None,
        }
    }

    fn under(mut self, scheduler: SchedulerKind) -> Self {
        self.scheduler = Some(scheduler.as_str().to_owned());
        self
    }

    fn replayed_by(mut self, command: String) -> Self {
        self.replay = Some(command);
        self
    }

    fn rerun_by(mut self, command: String) -> Self {
        self.rerun = Some(command);
        self
    }

    fn with_trace(mut self, trace: &str) -> Self {
        self.trace = Some(trace.to_owned());
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(replay) = &self.replay {
            write!(f, "\n  replay: {replay}")?;
        }
        if let Some(rerun) = &self.rerun {
            write!(f, "\n  re-run: {rerun}")?;
        }
        if let Some(trace) = &self.trace {
            write!(f, "\n{trace}")?;
        }
        Ok(())
    }
}

/// What a run reports to its progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// One execution ran.
    Ran,
    /// A batch stopped early (every expected violation found): this many budgeted executions
    /// will not run.
    Skipped(usize),
}

/// The results of one scheduler on one target, over its base seeds.
#[derive(Debug)]
pub struct SchedulerReport {
    pub scheduler: SchedulerKind,
    pub executions: usize,
    /// Per base seed, the iteration at which every expected property had been seen (`None` if
    /// not within budget).
    pub detections: Vec<(u64, Option<usize>)>,
    /// The properties violated under any base seed.
    pub violated: BTreeSet<Property>,
    /// The properties violated under every base seed.
    pub violated_always: BTreeSet<Property>,
    /// Each expected property's first detection: the base seed, the iteration, and the command
    /// that replays that execution (to watch the race).
    pub first_detections: std::collections::BTreeMap<Property, (u64, usize, String)>,
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
    /// One per failed expectation (property and scheduler), with how many base seeds it failed
    /// under and the first replay command.
    pub failures: Vec<Failure>,
    /// Every failure, one per base seed (what `--verbose` prints).
    pub every_failure: Vec<Failure>,
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

/// What `scenario` expects of `target`.
pub fn verdict_of(scenario: &Scenario, target: TargetKind) -> &Verdict {
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
    mut progress: impl FnMut(Tick),
) -> ScenarioReport {
    let targets = options
        .targets
        .iter()
        .map(|&target| run_target(scenario, target, options, &mut progress))
        .collect();
    ScenarioReport {
        scenario: Arc::clone(scenario),
        targets,
    }
}

/// The oracle's sequential outcomes of `scenario` on `target` (none when it opts out).
fn reference_of(scenario: &Arc<Scenario>, target: TargetKind) -> Reference {
    if scenario.oracle_opt_out.is_some() {
        Reference::default()
    } else {
        oracle::reference(scenario, target)
    }
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

fn run_target(
    scenario: &Arc<Scenario>,
    target: TargetKind,
    options: &RunOptions,
    progress: &mut impl FnMut(Tick),
) -> TargetReport {
    let name = &scenario.name;
    let on = target.as_str();
    let (required, allowed) = expected(scenario, target);
    let reference = reference_of(scenario, target);
    let judge = reference.complete.then_some(&reference);
    let folders = &options.invocation.folders;
    let exhaustive = crate::exhaustive::committed_outcomes(folders, name, target);
    let iterations = options.iterations.unwrap_or(scenario.schedule.iterations);
    // Every expectation is checked under every base seed: an expected violation must be found
    // under each, and "holds" must hold under each.
    let seeds = base_seeds(options);
    let mut every_failure = Vec::new();
    let mut misses: std::collections::BTreeMap<(Property, SchedulerKind), Misses> =
        Default::default();
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
            violated_always: BTreeSet::new(),
            first_detections: Default::default(),
        };
        for (index, &seed) in seeds.iter().enumerate() {
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
                || progress(Tick::Ran),
            );
            if batch.executions < iterations {
                progress(Tick::Skipped(iterations - batch.executions));
            }
            report.executions += batch.executions;
            let detection = (!required.is_empty()
                && required.iter().all(|p| batch.first.contains_key(p)))
            .then(|| required.iter().map(|p| batch.first[p].0).max().unwrap_or(0));
            report.detections.push((seed, detection));
            let violated = batch.violated();
            report.violated_always = if index == 0 {
                violated.clone()
            } else {
                &report.violated_always & &violated
            };
            report.violated.extend(violated);
            for property in &required {
                if let Some((iteration, exec_seed, _)) = batch.first.get(property) {
                    report.first_detections.entry(*property).or_insert_with(|| {
                        let replay = options
                            .invocation
                            .replay(name, target, scheduler, *exec_seed);
                        (seed, *iteration, replay)
                    });
                }
            }
            for (property, (iteration, exec_seed, violation)) in &batch.first {
                if !allowed.contains(property) {
                    every_failure.push(
                        Failure::new(format!(
                            "{name} on {on}: unexpected {property} under {} (base seed {seed}, iteration {iteration}): {}",
                            scheduler.as_str(),
                            violation.detail,
                        ))
                        .replayed_by(options.invocation.replay(name, target, scheduler, *exec_seed)),
                    );
                    misses
                        .entry((*property, scheduler))
                        .or_default()
                        .unexpected
                        .push((seed, *iteration, *exec_seed, violation.detail.clone()));
                }
            }
            for property in &required {
                if !batch.first.contains_key(property) {
                    every_failure.push(Failure::new(format!(
                        "{name} on {on}: expected {property} not found under {} with base seed {seed} within {iterations} executions",
                        scheduler.as_str()
                    )));
                    misses
                        .entry((*property, scheduler))
                        .or_default()
                        .not_found
                        .push(seed);
                }
            }
        }
        schedulers.push(report);
    }
    let mut failures = Vec::new();
    for ((property, scheduler), miss) in &misses {
        let under = scheduler.as_str();
        if let Some((seed, iteration, exec_seed, detail)) = miss.unexpected.first() {
            failures.push(
                Failure::new(format!(
                    "{name} on {on}: unexpected {property} under {under} with {} (first: base seed {seed}, iteration {iteration}): {detail}",
                    seed_count(miss.unexpected.len(), seeds.len()),
                ))
                .under(*scheduler)
                .replayed_by(options.invocation.replay(name, target, *scheduler, *exec_seed)),
            );
        }
        if !miss.not_found.is_empty() {
            failures.push(
                Failure::new(format!(
                    "{name} on {on}: expected {property} not found under {under} with {} ({}) within {iterations} executions each",
                    seed_count(miss.not_found.len(), seeds.len()),
                    seed_list(&miss.not_found)
                ))
                .under(*scheduler),
            );
        }
    }
    let mut general = Vec::new();
    if exhaustive.is_none() && options.require_exhaustive {
        general.push(Failure::new(format!(
            "{name} on {on}: no exhaustive outcome set to check the randomized outcomes against ({} is missing); write the scenario's snapshots with `{}`",
            folders.exhaustive_snapshot(name, target).display(),
            options.invocation.command(&format!("bless {name}"))
        )));
    }
    if !reference.complete && scenario.oracle_opt_out.is_none() {
        general.push(Failure::new(format!(
            "{name} on {on}: the oracle's sequential exploration did not complete ({} explored, {} failed)",
            reference.explored, reference.blocked
        )));
    }
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
    pub failures: Vec<Failure>,
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
    if scenario.oracle_opt_out.is_none() && !reference.as_ref().is_some_and(|r| r.complete) {
        failures.push(Failure::new(format!(
            "{} on {}: no complete set of sequential outcomes to judge linearizability by ({} is missing or its sequential exploration did not complete; write it with `{}`)",
            scenario.name,
            target.as_str(),
            invocation.folders.scenario_snapshot(&scenario.name).display(),
            invocation.command(&format!("bless {}", scenario.name))
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

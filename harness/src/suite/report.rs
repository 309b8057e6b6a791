//! What a run reports: its options, each failure with the command that replays it, and the
//! reports per scheduler, target and scenario (randomized and exhaustive).

use crate::invocation::Invocation;
use crate::oracle::Reference;
use crate::properties::Property;
use crate::scenario::{Scenario, Verdict};
use crate::sched::SchedulerKind;
use crate::target::TargetKind;
use std::collections::BTreeSet;
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
    /// `--fail-fast`: the first execution that violates a property its scenario does not allow
    /// ends the scenario's run (no further executions, base seeds, schedulers or targets).
    pub stop_at_first_failure: bool,
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
            stop_at_first_failure: false,
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

    pub(crate) fn under(mut self, scheduler: SchedulerKind) -> Self {
        self.scheduler = Some(scheduler.as_str().to_owned());
        self
    }

    pub(crate) fn replayed_by(mut self, command: String) -> Self {
        self.replay = Some(command);
        self
    }

    pub(crate) fn rerun_by(mut self, command: String) -> Self {
        self.rerun = Some(command);
        self
    }

    pub(crate) fn with_trace(mut self, trace: &str) -> Self {
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
    /// Each allowed property's first detection, required (`violates`) or not (`may_violate`):
    /// how to watch the race.
    pub first_detections: std::collections::BTreeMap<Property, FirstDetection>,
}

/// The first execution that violated an expected property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstDetection {
    pub base_seed: u64,
    pub iteration: usize,
    /// The execution's own seed (what `replay --seed` takes).
    pub execution_seed: u64,
    /// The command that replays the execution with its trace.
    pub replay: String,
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
    scenario.expect.of(target)
}

/// The exhaustive pass over one scenario and target, judged against its expectation.
#[derive(Debug)]
pub struct ExhaustiveReport {
    pub scenario: Arc<Scenario>,
    pub target: TargetKind,
    pub exploration: crate::exhaustive::Exploration,
    pub failures: Vec<Failure>,
}

//! The exhaustive pass: every interleaving of a scenario within its preemption bound, explored by
//! loom (the `harness_loom` build) or, where loom cannot model the scenario, by shuttle's DFS
//! (the normal build). Every execution is judged like a randomized one: the record-based
//! properties, and the linearizability oracle against the scenario's sequential outcomes.
//!
//! The set of distinct outcomes is the reference for the randomized runs: the exhaustive snapshot
//! (`harness/snapshots/exhaustive/<scenario>.<target>.snap`) records it, and every outcome a randomized run
//! sees must be in it. Executions are numbered in the checker's own deterministic order, so
//! `--execution N` re-runs the exploration and prints execution N's trace.
//!
//! Under loom the oracle's reference comes from the normal build that starts the loom build (it
//! cannot run shuttle's whole-operation DFS that computes it), handed over in the file that
//! `HARNESS_LOOM_REFERENCES` names; run by hand, the loom build falls back to the scenario's
//! committed snapshot and judges outcome membership only.

use crate::invocation::Folders;
use crate::oracle::{self, Reference};
use crate::properties::{Property, Violation};
use crate::rt::lock;
use crate::runner::{self, Stop};
use crate::scenario::{ExplorerKind, Scenario};
use crate::target::TargetKind;
use crate::world::{FinalState, World};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The variable naming the harness's loom build (the harness built with `--cfg harness_loom`),
/// which the normal build runs for loom's explorations; `cargo xtask` builds it and sets it.
pub const LOOM_BINARY_ENV: &str = "HARNESS_LOOM_BINARY";

use crate::rt::LOOM_MAX_THREADS;

/// The bound on executions one shuttle DFS exploration may take before it is reported as cut.
#[cfg(not(harness_loom))]
const DFS_MAX_EXECUTIONS: usize = 2_000_000;

/// What one exhaustive exploration of a scenario on a target found.
#[derive(Debug, Default)]
pub struct Exploration {
    pub executions: usize,
    /// Each distinct outcome, with the first execution (from 1) that produced it.
    pub outcomes: BTreeMap<String, usize>,
    /// The first execution violating each property: its number, the violation and its trace.
    pub first: BTreeMap<Property, (usize, Violation, String)>,
    /// Why the checker stopped before the exploration was complete, when it did.
    pub stopped: Option<String>,
    /// The trace of the execution asked for with `capture`, with its outcome and violations.
    pub captured: Option<String>,
    pub elapsed: Duration,
}

/// Which execution of an exploration to print, and the width of its trace's cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The execution's number in the checker's order.
    pub execution: usize,
    /// The width of one column of its trace.
    pub width: usize,
}

impl Capture {
    /// Execution `execution`, with the trace at its default width.
    pub fn new(execution: usize) -> Self {
        Self {
            execution,
            width: crate::trace::DEFAULT_WIDTH,
        }
    }
}

impl Exploration {
    pub fn violated(&self) -> BTreeSet<Property> {
        self.first.keys().copied().collect()
    }

    /// Records one finished (or stopped) execution.
    fn record(
        &mut self,
        scenario: &Scenario,
        mut execution: runner::Execution,
        reference: Option<&Reference>,
        capture: Option<Capture>,
    ) {
        let number = self.executions;
        if let Some(reference) = reference {
            oracle::judge(reference, &mut execution);
        }
        let captured = capture.filter(|capture| capture.execution == number);
        let wants_trace = captured.is_some()
            || execution
                .violations
                .iter()
                .any(|v| !self.first.contains_key(&v.property));
        if wants_trace {
            let trace = crate::trace::render(scenario, &execution.log);
            for violation in &execution.violations {
                self.first
                    .entry(violation.property)
                    .or_insert_with(|| (number, violation.clone(), trace.clone()));
            }
            if let Some(capture) = captured {
                let trace = crate::trace::render_width(scenario, &execution.log, capture.width);
                self.captured = Some(describe(&trace, &execution));
            }
        }
        if let runner::Outcome::Finished(outcome) = execution.outcome {
            self.outcomes.entry(outcome).or_insert(number);
        }
    }
}

/// An execution's trace followed by its outcome and violations, as `harness replay` prints them.
pub fn describe(trace: &str, execution: &runner::Execution) -> String {
    let mut out = String::from(trace);
    out.push_str("\noutcome:\n");
    for line in execution.outcome.to_string().lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
    if execution.violations.is_empty() {
        out.push_str("no property violated\n");
    }
    for violation in &execution.violations {
        let _ = writeln!(out, "violated {violation}");
    }
    out
}

/// Explores `scenario` on `kind` with the scenario's explorer; `capture` asks for the trace of
/// one execution by number.
pub fn explore(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    reference: Option<Reference>,
    capture: Option<Capture>,
) -> Exploration {
    let started = Instant::now();
    let mut exploration = match scenario.schedule.explorer.of(kind) {
        ExplorerKind::Loom => explore_loom(scenario, kind, reference, capture),
        ExplorerKind::ShuttleDfs => explore_dfs(scenario, kind, reference, capture),
        // (The pass skips these; explored by hand, they take shuttle's DFS.)
        ExplorerKind::None => explore_dfs(scenario, kind, reference, capture),
    };
    exploration.elapsed = started.elapsed();
    exploration
}

/// What the execution closure shares with the caller: the exploration so far and the world of
/// the execution in progress (its trace is reported when the checker stops it).
struct Sink {
    exploration: Mutex<Exploration>,
    world: Mutex<Option<Arc<World>>>,
    reference: Option<Reference>,
    capture: Option<Capture>,
}

impl Sink {
    fn new(reference: Option<Reference>, capture: Option<Capture>) -> Arc<Self> {
        Arc::new(Self {
            exploration: Mutex::default(),
            world: Mutex::default(),
            reference: reference.filter(|reference| reference.complete),
            capture,
        })
    }

    /// One execution, inside the checker.
    fn execute(&self, scenario: &Arc<Scenario>, kind: TargetKind) {
        self.conclude_cut(scenario);
        let world = World::new(Arc::clone(scenario), false);
        *lock(&self.world) = Some(Arc::clone(&world));
        lock(&self.exploration).executions += 1;
        let state: Mutex<Option<FinalState>> = Mutex::new(None);
        runner::body(scenario, kind, &world, &state);
        let state = state.into_inner().unwrap_or_else(PoisonError::into_inner);
        let log = world.take_log();
        let execution = runner::conclude(scenario, log, state, None);
        lock(&self.exploration).record(scenario, execution, self.reference.as_ref(), self.capture);
        *lock(&self.world) = None;
    }

    /// Records the previous execution when shuttle cut it at the step bound: its world is still
    /// here, because the code after its body never ran (it has no final state, and so concludes
    /// as `step-bound`).
    fn conclude_cut(&self, scenario: &Scenario) {
        let cut = lock(&self.world).take();
        if let Some(world) = cut {
            let execution = runner::conclude(scenario, world.take_log(), None, None);
            lock(&self.exploration).record(scenario, execution, None, self.capture);
        }
    }

    /// The exploration, after the checker returned (`failure`: the panic that stopped it).
    fn finish(&self, scenario: &Scenario, failure: Option<Stop>) -> Exploration {
        runner::forget_observers();
        openfeature_sdk_shuttle::observe::forget_background();
        if failure.is_none() {
            self.conclude_cut(scenario);
        }
        let mut exploration = std::mem::take(&mut *lock(&self.exploration));
        if let Some(failure) = failure {
            let log = lock(&self.world)
                .take()
                .map(|world| world.take_log())
                .unwrap_or_default();
            exploration.stopped = Some(match &failure {
                Stop::ThreadLimit => format!(
                    "loom cannot model this scenario: it runs more than {LOOM_MAX_THREADS} threads (the main one included); set `explorer = \"shuttle-dfs\"` in its [schedule] table and say why in `reason`"
                ),
                other => other.violation(scenario.schedule.max_steps).to_string(),
            });
            let execution = runner::conclude(scenario, log, None, Some(failure));
            exploration.record(scenario, execution, None, self.capture);
        }
        exploration
    }
}

/// Loom's exploration within the preemption bound; only the loom build has it.
fn explore_loom(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    reference: Option<Reference>,
    capture: Option<Capture>,
) -> Exploration {
    #[cfg(not(harness_loom))]
    {
        let _ = (scenario, kind, reference, capture);
        elsewhere("loom needs the loom build")
    }
    #[cfg(harness_loom)]
    {
        let sink = Sink::new(reference, capture);
        let mut builder = loom::model::Builder::new();
        builder.max_threads = LOOM_MAX_THREADS;
        // The step bound is the harness's own under loom (`World::trace` stops the execution
        // with a typed `rt::Limit::StepBound`); loom's branch bound is a backstop above it (loom
        // allocates its branch stores up front, so not far above).
        builder.max_branches = scenario.schedule.max_steps.saturating_mul(2);
        builder.preemption_bound = Some(scenario.schedule.preemption_bound.of(kind));
        builder.max_permutations = None;
        builder.max_duration = None;
        builder.checkpoint_file = None;
        let (scenario_in, sink_in) = (Arc::clone(scenario), Arc::clone(&sink));
        let run = runner::quietly(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                builder.check(move || sink_in.execute(&scenario_in, kind));
            }))
        });
        sink.finish(scenario, run.err().map(Stop::of))
    }
}

/// The exploration of a scenario whose explorer this build does not have: stopped, saying why
/// (the report adds the command that runs it where it can run).
fn elsewhere(why: &str) -> Exploration {
    Exploration {
        stopped: Some(why.to_owned()),
        ..Exploration::default()
    }
}

/// Shuttle's DFS within the preemption bound; only the normal build has it.
fn explore_dfs(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    reference: Option<Reference>,
    capture: Option<Capture>,
) -> Exploration {
    #[cfg(harness_loom)]
    {
        let _ = (scenario, kind, reference, capture);
        elsewhere("shuttle's DFS needs the normal build")
    }
    #[cfg(not(harness_loom))]
    {
        let sink = Sink::new(reference, capture);
        let (scenario_in, sink_in) = (Arc::clone(scenario), Arc::clone(&sink));
        let scheduler = crate::sched::BoundedDfs::new(
            scenario.schedule.preemption_bound.of(kind),
            DFS_MAX_EXECUTIONS,
        );
        let run = runner::quietly(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                shuttle::Runner::new(scheduler, runner::config(scenario.schedule.max_steps))
                    .run(move || sink_in.execute(&scenario_in, kind))
            }))
        });
        let (executions, failure) = match run {
            Ok(executions) => (executions, None),
            Err(payload) => (0, Some(Stop::of(payload))),
        };
        let mut exploration = sink.finish(scenario, failure);
        if executions >= DFS_MAX_EXECUTIONS {
            exploration.stopped = Some(format!(
                "shuttle's DFS was cut at {DFS_MAX_EXECUTIONS} executions"
            ));
        }
        exploration
    }
}

/// Whether this build of the harness runs `explorer`.
pub fn runs_here(explorer: ExplorerKind) -> bool {
    match explorer {
        ExplorerKind::Loom => cfg!(harness_loom),
        ExplorerKind::ShuttleDfs | ExplorerKind::None => !cfg!(harness_loom),
    }
}

/// The sets of outcomes per target that a snapshot text lists in blocks headed `--- {block} N`
/// under `[target]` sections: the exhaustive snapshot's outcomes, or the scenario snapshot's
/// sequential ones.
pub fn parse_outcome_sets(text: &str, block: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut target: Option<String> = None;
    let mut current: Option<Vec<&str>> = None;
    let header = format!("--- {block} ");
    let mut flush = |target: &Option<String>, current: &mut Option<Vec<&str>>| {
        if let (Some(target), Some(lines)) = (target, current.take()) {
            sets.entry(target.clone())
                .or_default()
                .insert(lines.join("\n"));
        }
    };
    for line in text.lines() {
        if line.starts_with('[') {
            flush(&target, &mut current);
            target = line
                .strip_prefix('[')
                .and_then(|rest| rest.split(']').next())
                .map(str::to_owned);
        } else if line.starts_with(&header) {
            flush(&target, &mut current);
            current = Some(Vec::new());
        } else if line.is_empty() {
            flush(&target, &mut current);
        } else if let Some(lines) = current.as_mut() {
            lines.push(line);
        }
    }
    flush(&target, &mut current);
    sets
}

/// The name of the exhaustive snapshot of `scenario` on `target` (one per target: the two
/// targets of a scenario may be explored by different builds).
pub fn snapshot_name(scenario: &str, target: TargetKind) -> String {
    format!("{scenario}.{}", target.as_str())
}

/// The exhaustive outcome set of `scenario` on `target`, from its committed snapshot.
pub fn committed_outcomes(
    folders: &Folders,
    scenario: &str,
    target: TargetKind,
) -> Option<BTreeSet<String>> {
    let text = folders.read_snapshot(&folders.exhaustive_snapshot(scenario, target))?;
    parse_outcome_sets(&text, "outcome").remove(target.as_str())
}

/// The environment variable through which the normal build hands the loom build the oracle's
/// references (with their timelines) for the explorations it runs: a JSON file mapping
/// [`snapshot_name`]s to references.
pub const REFERENCES_ENV: &str = "HARNESS_LOOM_REFERENCES";

/// The references the normal build handed this loom build, read once.
fn handed_references() -> Option<&'static BTreeMap<String, Reference>> {
    static HANDED: std::sync::OnceLock<Option<BTreeMap<String, Reference>>> =
        std::sync::OnceLock::new();
    HANDED
        .get_or_init(|| {
            let path = std::env::var_os(REFERENCES_ENV)?;
            let text = std::fs::read(&path).ok()?;
            serde_json::from_slice(&text).ok()
        })
        .as_ref()
}

/// The oracle's reference for the exhaustive pass: computed by shuttle's whole-operation DFS in
/// the normal build. The loom build cannot compute it: it uses the references the normal build
/// that started it handed over ([`REFERENCES_ENV`]), or, run by hand, the sequential outcomes of
/// the scenario's committed snapshot, without timelines (the real-time order is then not
/// judged, only the outcomes).
pub fn reference(
    folders: &Folders,
    scenario: &Arc<Scenario>,
    kind: TargetKind,
) -> Option<Reference> {
    if scenario.oracle_opt_out.of(kind).is_some() {
        return None;
    }
    if cfg!(harness_loom) {
        if let Some(references) = handed_references() {
            return references
                .get(&snapshot_name(&scenario.name, kind))
                .cloned();
        }
        let text = folders.read_snapshot(&folders.scenario_snapshot(&scenario.name))?;
        let outcomes = parse_outcome_sets(&text, "sequential outcome").remove(kind.as_str())?;
        Some(Reference {
            outcomes,
            complete: true,
            ..Reference::default()
        })
    } else {
        oracle::reference_unless_opted_out(scenario, kind)
    }
}

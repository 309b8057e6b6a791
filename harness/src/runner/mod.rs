//! Runs scenarios: one execution under a chosen schedule, and batches of executions under the
//! randomized schedulers.
//!
//! Every execution runs under its own scheduler with a per-execution seed, so the seed printed
//! with a failure replays exactly that execution; a batch's executions share one shuttle
//! `Runner` (`execute_each`), which keeps the tasks' stacks from one execution to the next.
//! Failures of the checker itself (a deadlock, the step bound) become violations with the trace
//! recorded so far; nothing here hangs or lets a panic escape.

use crate::ops::Raised;
use crate::oracle::{self, Reference};
use crate::properties::{self, Property, Violation};
use crate::rt::lock;
use crate::scenario::{Op, Scenario};
use crate::sched::{execution_seed, SchedulerKind, SeededPct};
use crate::target::TargetKind;
use crate::world::{FinalState, Log, OpRecord, World};

mod stop;

use crate::rt::{is_stop, panic_text};
use openfeature_sdk_shuttle::observe;
use shuttle::scheduler::{RandomScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex, Once};
pub use stop::Stop;

/// How one execution is scheduled.
#[derive(Clone, Copy, Debug)]
pub enum Schedule {
    Random {
        seed: u64,
    },
    Pct {
        seed: u64,
        depth: usize,
        estimated_steps: usize,
    },
}

impl Schedule {
    /// The schedule of one execution with seed `seed` under `scheduler` (`depth` and
    /// `estimated_steps` matter to PCT only).
    pub fn of(scheduler: SchedulerKind, seed: u64, depth: usize, estimated_steps: usize) -> Self {
        match scheduler {
            SchedulerKind::Random => Schedule::Random { seed },
            SchedulerKind::Pct => Schedule::Pct {
                seed,
                depth,
                estimated_steps,
            },
        }
    }
}

/// Everything one execution produced.
#[derive(Clone, Debug)]
pub struct Execution {
    pub outcome: Outcome,
    pub violations: Vec<Violation>,
    pub log: Log,
}

/// How an execution ended: with its canonical outcome (the text snapshots and the oracle
/// compare), or stopped by the checker before it finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Finished(String),
    /// The checker stopped the execution: a deadlock, the step bound, or a panic outside every
    /// operation (the property says which).
    Stopped(Property),
}

impl Outcome {
    /// The canonical outcome of a finished execution.
    pub fn finished(&self) -> Option<&str> {
        match self {
            Outcome::Finished(text) => Some(text),
            Outcome::Stopped(_) => None,
        }
    }
}

/// As an outcome set lists it: the text, or `FAILED property`.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Finished(text) => f.write_str(text),
            Outcome::Stopped(property) => write!(f, "FAILED {property}"),
        }
    }
}

std::thread_local! {
    /// Set while a shuttle execution runs on this OS thread.
    static IN_EXECUTION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Silences the panic messages of panics inside executions (a provider that panics on purpose,
/// shuttle's own failure reports): the harness reports failures itself, with the seed to
/// replay. Panics anywhere else (a bug in the harness) are still printed.
pub(crate) fn quiet_panics() {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        // Shuttle installs its panic hook on its first execution; run one so that ours wins.
        let _ = catch_unwind(|| {
            Runner::new(RandomScheduler::new_from_seed(0, 1), config(1000)).run(|| {})
        });
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            crate::rt::note_panic(info.location());
            if !IN_EXECUTION.with(std::cell::Cell::get) {
                default_hook(info);
            }
        }));
    });
}

/// Runs `body` with panic messages silenced (see [`quiet_panics`]): a checker's executions, or
/// a panic that is only a report (insta's).
pub fn quietly<R>(body: impl FnOnce() -> R) -> R {
    quiet_panics();
    IN_EXECUTION.with(|flag| flag.set(true));
    let result = body();
    IN_EXECUTION.with(|flag| flag.set(false));
    result
}

/// Shuttle's configuration for one scenario. An execution past the step bound is stopped
/// without a panic (`ContinueAfter`): it ends with no final state, which is how
/// [`conclude`] tells the step bound, by the execution's structure rather than a message.
pub(crate) fn config(max_steps: usize) -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::ContinueAfter(max_steps);
    config.silence_warnings = true;
    config
}

/// Removes the observers one execution installed in the SDK twin (they hold its world).
pub(crate) fn forget_observers() {
    observe::set(None);
    observe::set_spawn_hook(None);
}

/// Runs one operation on the current task and records it. `last` says whether this is the
/// last operation of its thread or phase: every other one ends with a step boundary for the
/// oracle's whole-operation mode.
fn run_op(
    world: &World,
    target: &dyn crate::target::Target,
    key: String,
    order: (usize, usize, usize),
    op: &Op,
    last: bool,
) {
    let label = op.label();
    let start = world.now();
    world.begin_op(key.clone(), start);
    world.trace(format!("begin {label}"));
    let result = match catch_unwind(AssertUnwindSafe(|| op.apply(target))) {
        Ok(result) => result,
        // The harness stopping the execution is not the operation's error.
        Err(payload) if is_stop(payload.as_ref()) => std::panic::resume_unwind(payload),
        Err(payload) => Err(Raised(format!("panic: {}", panic_text(payload.as_ref())))),
    };
    world.trace(match &result {
        Ok(value) => format!("end {label} -> {value}"),
        Err(error) => format!("end {label} RAISED {error}"),
    });
    let end = world.now();
    world.end_op();
    let thread = world.current_actor();
    world.with_log(|log| {
        log.ops.push(OpRecord {
            key,
            order,
            thread,
            op: op.clone(),
            label,
            start,
            end,
            result,
        })
    });
    if !last {
        world.boundary();
    }
}

/// The body of one execution: setup, the threads, background work, the after phase.
pub(crate) fn body(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    world: &Arc<World>,
    state: &Mutex<Option<FinalState>>,
) {
    let observer_world = Arc::clone(world);
    observe::set(Some(Box::new(move |what: &str| {
        observer_world.trace(format!("sdk {what}"))
    })));
    let spawning_world = Arc::clone(world);
    observe::set_spawn_hook(Some(Box::new(move || spawning_world.thread_starting())));
    world.name_current("main");
    let target: Arc<dyn crate::target::Target> = Arc::from(kind.build(world));
    run_phase(world, target.as_ref(), "setup", 0, &scenario.setup);
    let mut handles = Vec::new();
    for (thread_index, thread) in scenario.threads.iter().enumerate() {
        let (world, target, thread) = (Arc::clone(world), Arc::clone(&target), thread.clone());
        world.thread_starting();
        let spawned = crate::rt::Builder::new()
            .name(thread.name.clone())
            .spawn(move || {
                world.name_current(&thread.name);
                for (index, op) in thread.ops.iter().enumerate() {
                    run_op(
                        &world,
                        target.as_ref(),
                        format!("{}.{index}", thread.name),
                        (1, thread_index, index),
                        op,
                        index + 1 == thread.ops.len(),
                    );
                }
            });
        handles.push(spawned.expect("a checker's threads always spawn"));
    }
    crate::world::set_main_joining(true);
    for handle in handles {
        let _ = handle.join();
    }
    crate::world::set_main_joining(false);
    world.name_current("main");
    settle(world, target.as_ref());
    run_phase(world, target.as_ref(), "after", 2, &scenario.after);
    settle(world, target.as_ref());
    *lock(state) = Some(target.final_state());
    forget_observers();
}

/// Runs the operations of the setup or after phase on the main task.
fn run_phase(
    world: &World,
    target: &dyn crate::target::Target,
    phase: &str,
    order: usize,
    ops: &[Op],
) {
    for (index, op) in ops.iter().enumerate() {
        let key = format!("{phase}.{index}");
        run_op(
            world,
            target,
            key,
            (order, 0, index),
            op,
            index + 1 == ops.len(),
        );
    }
}

/// Joins background work until none is left (an initialization may start an event thread).
fn settle(world: &World, target: &dyn crate::target::Target) {
    for _ in 0..4 {
        target.join_background();
        world.join_background();
    }
}

/// Runs one execution of `scenario` on `kind` under any shuttle scheduler.
pub fn execute_with<S: Scheduler + 'static>(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    scheduler: S,
    sequential: bool,
) -> Execution {
    let world_slot: Arc<Mutex<Option<Arc<World>>>> = Arc::default();
    let state: Arc<Mutex<Option<FinalState>>> = Arc::default();
    let (scenario_in, world_in, state_in) = (
        Arc::clone(scenario),
        Arc::clone(&world_slot),
        Arc::clone(&state),
    );
    let run = quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            Runner::new(scheduler, config(scenario.schedule.max_steps)).run(move || {
                let world = World::new(Arc::clone(&scenario_in), sequential);
                *lock(&world_in) = Some(Arc::clone(&world));
                body(&scenario_in, kind, &world, &state_in);
            })
        }))
    });
    forget_observers();
    observe::forget_background();
    let world = lock(&world_slot).take();
    let log = world.map(|world| world.take_log()).unwrap_or_default();
    let failure = run.err().map(Stop::of);
    let state = lock(&state).take();
    conclude(scenario, log, state, failure)
}

/// Judges one execution from what it recorded: its canonical outcome and the violated
/// properties, or, when the checker stopped it (`failure`: a deadlock, the step bound), that
/// failure as a violation.
pub(crate) fn conclude(
    scenario: &Scenario,
    log: Log,
    state: Option<FinalState>,
    failure: Option<Stop>,
) -> Execution {
    let stop = match (failure, &state) {
        (Some(stop), _) => stop,
        (None, Some(state)) => {
            let mut violations = properties::check(scenario, &log, state);
            violations.sort();
            violations.dedup();
            return Execution {
                outcome: Outcome::Finished(properties::outcome(scenario, &log, state)),
                violations,
                log,
            };
        }
        // No failure and no final state: shuttle cut the execution at the step bound.
        (None, None) => Stop::StepBound,
    };
    let violation = stop.violation(scenario.schedule.max_steps);
    Execution {
        outcome: Outcome::Stopped(violation.property),
        violations: vec![violation],
        log,
    }
}

impl Schedule {
    /// The execution seed, which replays this execution.
    pub fn seed(self) -> u64 {
        match self {
            Schedule::Random { seed } | Schedule::Pct { seed, .. } => seed,
        }
    }

    /// The shuttle scheduler of this one execution.
    fn scheduler(self) -> Box<dyn Scheduler + Send> {
        match self {
            Schedule::Random { seed } => Box::new(RandomScheduler::new_from_seed(seed, 1)),
            Schedule::Pct {
                seed,
                depth,
                estimated_steps,
            } => Box::new(SeededPct::new(seed, depth, estimated_steps)),
        }
    }
}

/// Runs one execution under `schedule`.
pub fn execute(scenario: &Arc<Scenario>, kind: TargetKind, schedule: Schedule) -> Execution {
    execute_with(scenario, kind, schedule.scheduler(), false)
}

/// Runs one execution per schedule `next` gives, in order, and hands each to `ended` as it
/// ends, until `next` gives none or `ended` returns `false`. Each execution is exactly the one
/// [`execute`] runs under its schedule (its own fresh scheduler, so its seed replays it); what
/// differs is that one shuttle runner serves many of them: a runner keeps its tasks' stacks for
/// the next execution, where a runner per execution maps, protects and unmaps a stack per
/// thread per execution (system time that was more than half of a run's, and that grows with
/// the threads of a process running at once).
///
/// `ended` runs between two executions, outside either: a panic in it is the harness's own and
/// is raised again here, never taken for a failure of the execution.
pub fn execute_each(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    next: impl FnMut() -> Option<Schedule> + 'static,
    ended: impl FnMut(Schedule, Execution) -> bool + 'static,
) {
    let sequence = Rc::new(RefCell::new(SequenceState {
        scenario: Arc::clone(scenario),
        world: Arc::default(),
        state: Arc::default(),
        next: Box::new(next),
        ended: Box::new(ended),
        running: None,
        stopped: false,
        harness_panic: None,
    }));
    loop {
        let (world_in, state_in) = {
            let sequence = sequence.borrow();
            (Arc::clone(&sequence.world), Arc::clone(&sequence.state))
        };
        let scenario_in = Arc::clone(scenario);
        let scheduler = Sequence {
            shared: Rc::clone(&sequence),
            current: None,
        };
        let run = quietly(|| {
            catch_unwind(AssertUnwindSafe(|| {
                Runner::new(scheduler, config(scenario.schedule.max_steps)).run(move || {
                    let world = World::new(Arc::clone(&scenario_in), false);
                    *lock(&world_in) = Some(Arc::clone(&world));
                    body(&scenario_in, kind, &world, &state_in);
                })
            }))
        });
        let mut sequence = sequence.borrow_mut();
        if let Some(panic) = sequence.harness_panic.take() {
            std::panic::resume_unwind(panic);
        }
        match run {
            // Every schedule ran, or `ended` asked to stop.
            Ok(_) => return,
            // The execution running failed (a deadlock, a panic): it ends here, and the rest
            // run in a new runner.
            Err(payload) => {
                sequence.end_running(Some(Stop::of(payload)));
                if let Some(panic) = sequence.harness_panic.take() {
                    std::panic::resume_unwind(panic);
                }
                if sequence.stopped {
                    return;
                }
            }
        }
    }
}

/// What the runner of [`execute_each`] and its scheduler share.
struct SequenceState {
    scenario: Arc<Scenario>,
    world: Arc<Mutex<Option<Arc<World>>>>,
    state: Arc<Mutex<Option<FinalState>>>,
    next: Box<dyn FnMut() -> Option<Schedule>>,
    ended: Box<dyn FnMut(Schedule, Execution) -> bool>,
    /// The schedule of the execution under way.
    running: Option<Schedule>,
    /// Whether `ended` asked to stop, or `next` gave no schedule.
    stopped: bool,
    /// A panic of `ended` (the harness's own), raised again once the runner has returned.
    harness_panic: Option<Box<dyn std::any::Any + Send>>,
}

impl SequenceState {
    /// Judges the execution under way, which ended (with `failure` when the checker stopped
    /// it), and hands it to `ended`.
    fn end_running(&mut self, failure: Option<Stop>) {
        let Some(schedule) = self.running.take() else {
            return;
        };
        forget_observers();
        observe::forget_background();
        let log = lock(&self.world)
            .take()
            .map(|world| world.take_log())
            .unwrap_or_default();
        let state = lock(&self.state).take();
        let execution = conclude(&self.scenario, log, state, failure);
        // Outside any execution: a panic here is printed, and raised again by `execute_each`.
        let was_in_execution = IN_EXECUTION.with(|flag| flag.replace(false));
        let ended = &mut self.ended;
        match catch_unwind(AssertUnwindSafe(|| ended(schedule, execution))) {
            Ok(go_on) => self.stopped |= !go_on,
            Err(panic) => {
                self.harness_panic = Some(panic);
                self.stopped = true;
            }
        }
        IN_EXECUTION.with(|flag| flag.set(was_in_execution));
    }
}

/// The scheduler of [`execute_each`]'s runner: a fresh scheduler per execution, from the next
/// schedule; the previous execution is judged when the runner asks for the next.
struct Sequence {
    shared: Rc<RefCell<SequenceState>>,
    current: Option<Box<dyn Scheduler + Send>>,
}

impl Sequence {
    /// Ends the scheduler of the execution that ran: asked for another execution, a
    /// one-execution scheduler says there is none (shuttle's random scheduler prints its seed as
    /// a failing one when dropped before that).
    fn finish_current(&mut self) {
        if let Some(mut scheduler) = self.current.take() {
            let _ = scheduler.new_execution();
        }
    }
}

impl Drop for Sequence {
    fn drop(&mut self) {
        self.finish_current();
    }
}

impl Scheduler for Sequence {
    fn new_execution(&mut self) -> Option<shuttle::scheduler::Schedule> {
        self.finish_current();
        let mut shared = self.shared.borrow_mut();
        shared.end_running(None);
        if shared.stopped {
            return None;
        }
        let Some(schedule) = (shared.next)() else {
            shared.stopped = true;
            return None;
        };
        shared.running = Some(schedule);
        let mut scheduler = schedule.scheduler();
        let started = scheduler.new_execution();
        self.current = Some(scheduler);
        started
    }

    fn next_task(
        &mut self,
        runnable_tasks: &[&shuttle::scheduler::Task],
        current_task: Option<shuttle::scheduler::TaskId>,
        is_yielding: bool,
    ) -> Option<shuttle::scheduler::TaskId> {
        self.current
            .as_mut()
            .and_then(|current| current.next_task(runnable_tasks, current_task, is_yielding))
    }

    fn next_u64(&mut self) -> u64 {
        self.current
            .as_mut()
            .map_or(0, |current| current.next_u64())
    }
}

/// The contended-step estimate PCT needs, from one deterministic calibration execution.
pub fn calibrate_pct(scenario: &Arc<Scenario>, kind: TargetKind) -> usize {
    let counted: Arc<Mutex<usize>> = Arc::default();
    let _ = execute_with(
        scenario,
        kind,
        SeededPct::calibrating(Arc::clone(&counted)),
        false,
    );
    let steps = *lock(&counted);
    steps.max(2)
}

/// The schedule of execution `iteration` of a run with base seed `base`.
pub fn schedule_for(
    scheduler: SchedulerKind,
    base: u64,
    iteration: usize,
    depth: usize,
    estimated_steps: usize,
) -> Schedule {
    Schedule::of(
        scheduler,
        execution_seed(base, iteration),
        depth,
        estimated_steps,
    )
}

/// Results of a batch of executions of one scenario, target and scheduler.
#[derive(Debug, Default)]
pub struct Batch {
    pub executions: usize,
    pub outcomes: BTreeSet<String>,
    /// The first violation of each property: iteration (from 1), execution seed, violation.
    pub first: BTreeMap<Property, (usize, u64, Violation)>,
}

impl Batch {
    pub fn violated(&self) -> BTreeSet<Property> {
        self.first.keys().copied().collect()
    }
}

/// What judges each execution of a batch beyond the record-based properties.
#[derive(Clone, Copy, Debug, Default)]
pub struct Judges<'a> {
    /// The oracle's sequential outcomes (complete).
    pub reference: Option<&'a Reference>,
    /// The scenario's exhaustive outcome set on this target.
    pub exhaustive: Option<&'a BTreeSet<String>>,
}

/// When a batch stops before its iterations are spent.
#[derive(Clone, Copy)]
pub struct BatchStop<'a> {
    /// Once every one of these has been seen (when the set is non-empty).
    pub when_found: &'a BTreeSet<Property>,
    /// At the first property seen outside this set, when one is given (`--fail-fast`).
    pub unless_allowed: Option<&'a BTreeSet<Property>>,
}

impl<'a> BatchStop<'a> {
    /// Stops once every property in `wanted` has been seen, and not otherwise.
    pub fn when_found(wanted: &'a BTreeSet<Property>) -> Self {
        Self {
            when_found: wanted,
            unless_allowed: None,
        }
    }

    fn reached(&self, batch: &Batch) -> bool {
        let found = !self.when_found.is_empty()
            && self.when_found.iter().all(|p| batch.first.contains_key(p));
        let failed = self
            .unless_allowed
            .is_some_and(|allowed| batch.first.keys().any(|p| !allowed.contains(p)));
        found || failed
    }
}

/// Runs up to `iterations` executions, or fewer when `stop` is reached; `progress` is called
/// once per execution run, when the batch ends.
#[allow(clippy::too_many_arguments)]
pub fn run_batch(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    scheduler: SchedulerKind,
    base_seed: u64,
    iterations: usize,
    estimated_steps: usize,
    judges: Judges<'_>,
    stop: BatchStop<'_>,
    mut progress: impl FnMut(),
) -> Batch {
    // What judges and stops the batch, owned: the runner's scheduler judges each execution as
    // the next begins (see `execute_each`).
    let reference = judges.reference.cloned();
    let exhaustive = judges.exhaustive.cloned();
    let bound = scenario.schedule.preemption_bound.of(kind);
    let when_found = stop.when_found.clone();
    let unless_allowed = stop.unless_allowed.cloned();
    let (depth, mut iteration) = (scenario.schedule.pct_depth, 0);
    let next = move || {
        let schedule = (iteration < iterations)
            .then(|| schedule_for(scheduler, base_seed, iteration, depth, estimated_steps));
        iteration += 1;
        schedule
    };
    let batch = Rc::new(RefCell::new(Batch::default()));
    let batch_in = Rc::clone(&batch);
    let ended = move |schedule: Schedule, mut execution: Execution| {
        let seed = schedule.seed();
        if let Some(reference) = &reference {
            oracle::judge(reference, &mut execution);
        }
        if let Some(exhaustive) = &exhaustive {
            oracle::judge_within(exhaustive, bound, &mut execution);
        }
        let mut batch = batch_in.borrow_mut();
        batch.executions += 1;
        let number = batch.executions;
        for violation in &execution.violations {
            batch
                .first
                .entry(violation.property)
                .or_insert_with(|| (number, seed, violation.clone()));
        }
        batch.outcomes.insert(execution.outcome.to_string());
        let stop = BatchStop {
            when_found: &when_found,
            unless_allowed: unless_allowed.as_ref(),
        };
        !stop.reached(&batch)
    };
    execute_each(scenario, kind, next, ended);
    let batch = batch.take();
    for _ in 0..batch.executions {
        progress();
    }
    batch
}

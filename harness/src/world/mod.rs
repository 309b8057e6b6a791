//! The world of one execution: everything the harness's own user code (test providers, hooks,
//! handlers) records, the trace of steps, background threads to join, and the turn lock that
//! makes whole operations atomic for the linearizability oracle.
//!
//! Every shuttle task runs on the one OS thread that called the scheduler, so the log is a plain
//! `std` mutex that is never contended across a scheduling point. Nothing here depends on time,
//! addresses or hash order: what is compared is built from `BTreeMap`s and step counters.

use crate::rt::lock;
use crate::scenario::{EventName, Scenario};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

mod records;
#[cfg(test)]
mod tests;

pub use records::{
    FinalState, InitEnd, LifecycleCall, Log, MisplacedCall, OpRecord, Phase, ProviderCall,
    ProviderRecord, StepRecord, TraceLine,
};

std::thread_local! {
    /// Set by a task that yields at an operation boundary in whole-operation mode; read (and
    /// cleared) by [`crate::sched::WholeOps`], which only switches tasks at such a yield or when
    /// the running task blocks.
    static SWITCH_ALLOWED: Cell<bool> = const { Cell::new(false) };
}

std::thread_local! {
    /// Set while the main task only joins the scenario's threads.
    static MAIN_JOINING: Cell<bool> = const { Cell::new(false) };
}

/// Marks whether the main task is only joining the scenario's threads (see
/// [`crate::sched::WholeOps`]).
pub fn set_main_joining(joining: bool) {
    MAIN_JOINING.with(|flag| flag.set(joining));
}

/// Whether the main task is only joining the scenario's threads.
pub fn main_joining() -> bool {
    MAIN_JOINING.with(Cell::get)
}

/// Whether the task that just yielded did so at an operation boundary; clears the mark.
pub fn take_switch_allowed() -> bool {
    SWITCH_ALLOWED.with(|allowed| allowed.replace(false))
}

/// The world of one execution.
pub struct World {
    pub scenario: Arc<Scenario>,
    /// Whole-operation mode, for the oracle: tasks switch only at operation boundaries (and
    /// when the running task blocks), so no two operations interleave.
    pub sequential: bool,
    /// Tasks inside an operation, with the operation's key and first step, and whether a step
    /// boundary has split it (an initialization inline in `set_provider_and_wait`).
    in_op: std::sync::Mutex<BTreeMap<usize, (String, usize, bool)>>,
    log: std::sync::Mutex<Log>,
    actors: std::sync::Mutex<BTreeMap<usize, String>>,
    background: std::sync::Mutex<Vec<crate::rt::JoinHandle<()>>>,
    /// Background steps begun and not yet ended, with their task.
    open: std::sync::Mutex<Vec<(usize, StepRecord)>>,
    /// The threads of this execution, started or starting: the main one, the scenario's, the
    /// providers' event threads and the SDK's background threads.
    threads: std::sync::atomic::AtomicUsize,
}

use crate::rt::current_task;

impl World {
    pub fn new(scenario: Arc<Scenario>, sequential: bool) -> Arc<Self> {
        Arc::new(Self {
            scenario,
            sequential,
            in_op: std::sync::Mutex::new(BTreeMap::new()),
            log: std::sync::Mutex::new(Log::default()),
            actors: std::sync::Mutex::new(BTreeMap::new()),
            background: std::sync::Mutex::new(Vec::new()),
            open: std::sync::Mutex::new(Vec::new()),
            threads: std::sync::atomic::AtomicUsize::new(1),
        })
    }

    /// Counts a thread about to start. Under loom, one beyond the number of threads loom can
    /// model stops the execution with [`crate::rt::Limit::ThreadLimit`] before loom's own
    /// limit is reached (a typed stop, not loom's assertion).
    pub fn thread_starting(&self) {
        let threads = self
            .threads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if cfg!(harness_loom) && threads > crate::rt::LOOM_MAX_THREADS {
            std::panic::panic_any(crate::rt::Limit::ThreadLimit);
        }
    }

    pub fn with_log<R>(&self, f: impl FnOnce(&mut Log) -> R) -> R {
        let mut log = lock(&self.log);
        f(&mut log)
    }

    /// Takes the log out at the end of an execution.
    pub fn take_log(&self) -> Log {
        self.end_finished_steps();
        self.with_log(std::mem::take)
    }

    /// Names the current task in the trace.
    pub fn name_current(&self, name: &str) {
        let mut actors = lock(&self.actors);
        actors.insert(current_task(), name.to_owned());
    }

    /// The current task's name: a harness thread's name, else the thread name shuttle knows.
    pub fn current_actor(&self) -> String {
        let task = current_task();
        let actors = lock(&self.actors);
        if let Some(name) = actors.get(&task) {
            return name.clone();
        }
        drop(actors);
        let name = crate::rt::current_name()
            .map(|name| name.replace("openfeature-init-", "init#"))
            .unwrap_or_else(|| format!("task{task}"));
        self.name_current(&name);
        name
    }

    /// The current step number: the number of trace lines so far.
    pub fn now(&self) -> usize {
        self.with_log(|log| log.trace.len())
    }

    /// Records one step of the current task. Under loom, a step past the scenario's step bound
    /// stops the execution with [`crate::rt::Limit::StepBound`] (shuttle stops it itself).
    pub fn trace(&self, text: impl Into<String>) {
        let actor = self.current_actor();
        let text = text.into();
        let steps = self.with_log(|log| {
            log.trace.push(TraceLine { actor, text });
            log.trace.len()
        });
        if cfg!(harness_loom) && steps > self.scenario.schedule.max_steps {
            std::panic::panic_any(crate::rt::Limit::StepBound);
        }
    }

    fn in_op(&self) -> bool {
        self.current_op().is_some()
    }

    /// The key and first step of the operation the current task is inside, and whether it
    /// has been split, if any.
    fn current_op(&self) -> Option<(String, usize, bool)> {
        lock(&self.in_op).get(&current_task()).cloned()
    }

    /// Begins one occurrence of the background step `class` on the current task (an
    /// initialize, one event of a provider's event thread), for the oracle's real-time order. It
    /// ends where the task's atomic step ends in the sequential specification: at the task's next
    /// step boundary, at the end of the operation it runs in, or with the task itself.
    ///
    /// Inside an operation that no boundary has split, the step is part of the operation's own
    /// atomic step (Python's inline initialize) and is not recorded apart from it.
    pub fn begin_step(&self, class: &str) {
        if self.current_op().is_some_and(|(_, _, split)| !split) {
            return;
        }
        let task = current_task();
        let actor = self.current_actor();
        let record = self.with_log(|log| StepRecord {
            class: class.to_owned(),
            occurrence: log.begin_occurrence(class),
            actor,
            start: log.trace.len(),
            end: log.trace.len(),
        });
        lock(&self.open).push((task, record));
    }

    /// Ends the current task's open steps here.
    fn end_steps(&self) {
        let task = current_task();
        let ended: Vec<StepRecord> = lock(&self.open)
            .extract_if(.., |(owner, _)| *owner == task)
            .map(|(_, step)| step)
            .collect();
        if ended.is_empty() {
            return;
        }
        self.with_log(|log| {
            let now = log.trace.len();
            log.steps.extend(
                ended
                    .into_iter()
                    .map(|step| StepRecord { end: now, ..step }),
            );
        });
    }

    /// Ends every step still open when its task finished (an SDK initialization thread): after
    /// the last trace line of its actor.
    fn end_finished_steps(&self) {
        let open = std::mem::take(&mut *lock(&self.open));
        self.with_log(|log| {
            for (_, step) in open {
                let end = log
                    .trace
                    .iter()
                    .rposition(|line| line.actor == step.actor)
                    .map_or(step.start, |line| line + 1);
                log.steps.push(StepRecord {
                    end: end.max(step.start),
                    ..step
                });
            }
        });
    }

    /// Marks one step of background work (one event of a provider's event thread): in
    /// whole-operation mode, other tasks may run once the returned guard is dropped, so each
    /// such step is atomic and a step of its own. Inside an operation, and in the concurrent
    /// modes, it does nothing. Boundaries sit at the end of steps, never at the start, so that
    /// the oracle's exploration does not count one order of steps twice.
    pub fn turn(&self) -> TurnGuard<'_> {
        TurnGuard {
            world: self,
            boundary: self.sequential && !self.in_op(),
        }
    }

    /// The boundary at the start of a provider's `attach` and at the start of its `initialize`
    /// (the SDK calls them one after the other, on the thread that initializes): in the SDK's
    /// sequential specification, binding, attaching and initializing are separate steps, whether
    /// the initialization runs on a background thread or inline in `set_provider_and_wait` (the
    /// SDK binds first there too). Other operations may run between them and see the provider
    /// bound and `NOT_READY`, and the provider may emit once it is attached.
    ///
    /// Inside an operation (an initialization inline in `set_provider_and_wait`), the
    /// operation's part before the first such boundary is recorded as its binding half,
    /// `{key}/bind`.
    pub fn background_step(&self) {
        if let Some((key, start, false)) = self.current_op() {
            lock(&self.in_op).insert(current_task(), (key.clone(), start, true));
            let class = format!("{key}/bind");
            let actor = self.current_actor();
            self.with_log(|log| {
                let occurrence = log.begin_occurrence(&class);
                log.steps.push(StepRecord {
                    class,
                    occurrence,
                    actor,
                    start,
                    end: log.trace.len(),
                })
            });
        }
        self.boundary();
    }

    /// A step boundary: the current task's open steps end; other tasks may run here in
    /// whole-operation mode.
    pub fn boundary(&self) {
        self.end_steps();
        if self.sequential {
            SWITCH_ALLOWED.with(|allowed| allowed.set(true));
            crate::rt::yield_now();
            SWITCH_ALLOWED.with(|allowed| allowed.set(false));
        }
    }

    /// Marks the current task as inside the operation `key`, which began at step `start`.
    pub fn begin_op(&self, key: String, start: usize) {
        lock(&self.in_op).insert(current_task(), (key, start, false));
    }

    /// Marks the current task as outside any operation; the steps it began inside this one (an
    /// inline initialization) end here.
    pub fn end_op(&self) {
        self.end_steps();
        lock(&self.in_op).remove(&current_task());
    }

    /// Spawns a background thread of the harness's own (a provider's event thread); joined by
    /// [`World::join_background`].
    pub fn spawn_background(self: &Arc<Self>, name: &str, work: impl FnOnce() + Send + 'static) {
        let world = Arc::clone(self);
        let name = name.to_owned();
        self.thread_starting();
        let handle = crate::rt::Builder::new()
            .name(name.clone())
            .spawn(move || {
                world.name_current(&name);
                work();
            })
            .expect("a checker's threads always spawn");
        lock(&self.background).push(handle);
    }

    /// Joins every harness background thread, including ones spawned meanwhile.
    pub fn join_background(&self) {
        loop {
            let pending = std::mem::take(&mut *lock(&self.background));
            if pending.is_empty() {
                return;
            }
            for handle in pending {
                let _ = handle.join();
            }
        }
    }

    pub fn provider(&self, name: &str, update: impl FnOnce(&mut ProviderRecord)) {
        self.with_log(|log| update(log.providers.entry(name.to_owned()).or_default()));
    }

    /// Records a call of the provider's `initialize`: a new registration begins its protocol.
    pub fn note_init(&self, name: &str) {
        self.provider(name, |record| {
            record.init += 1;
            record.lifecycle.push(LifecycleCall::Initialize);
            // An event the provider emitted between its attach and this call already made it
            // serve (the SDK applied it to this registration): keep that phase.
            if !matches!(record.phase, Phase::Ready | Phase::Failed) {
                record.phase = Phase::Initializing;
            }
        });
    }

    /// Records how the provider's `initialize` ended (before it returns or raises). A failure
    /// after the provider emitted an event that lets it serve leaves that phase: the SDK may
    /// serve on the emitted status until it applies the failure.
    pub fn note_init_end(&self, name: &str, end: InitEnd) {
        self.provider(name, |record| {
            if end == InitEnd::Succeeded {
                record.init_ok += 1;
            }
            record.phase = match (end, record.phase) {
                (InitEnd::Succeeded, _) => Phase::Ready,
                (_, Phase::Ready | Phase::Failed) => record.phase,
                (InitEnd::Failed, _) => Phase::Failed,
                (InitEnd::Fatal, _) => Phase::Fatal,
            };
        });
    }

    /// Records a call of the provider's `shutdown`.
    pub fn note_shutdown(&self, name: &str) {
        self.provider(name, |record| {
            record.shutdown += 1;
            record.lifecycle.push(LifecycleCall::Shutdown);
            record.phase = Phase::ShutDown;
        });
    }

    /// Records a call that serves an evaluation or a tracking event (a resolve or a track) with
    /// the operation it serves, and the call as misplaced when the provider's registration is
    /// in a phase that cannot serve it. Both count as `resolves` and, after a shutdown, as
    /// `resolved_after_shutdown` (the outcome's name for either).
    pub fn note_provider_call(&self, name: &str, call: ProviderCall) {
        let op = self.current_op().map(|(key, ..)| key);
        self.with_log(|log| {
            if let (Some(key), ProviderCall::Resolve) = (&op, call) {
                let resolves = log.resolves_in_op.entry(key.clone()).or_default();
                resolves.push(name.to_owned());
            }
            let record = log.providers.entry(name.to_owned()).or_default();
            record.resolves += 1;
            if record.is_shut() {
                record.resolved_after_shutdown += 1;
            }
            if !record.phase.serves() {
                let phase = record.phase;
                record.misplaced.push(MisplacedCall { call, phase, op });
            }
        });
    }

    /// Records one emission attempt of the provider and returns its number, from 1. An
    /// emission after the shutdown of its registration began is recorded as late. One before
    /// that which lets the provider serve (READY, STALE, ERROR) moves the registration's phase
    /// as the event moves its status: the provider is the source of its status transitions
    /// (spec 2.8: `PROVIDER_READY` may come before its `initialize` returns), and the phase
    /// moves when the emission begins, before the SDK applies it, so it only ever permits
    /// more. A FATAL emission changes nothing here: an evaluation that read the status before
    /// the SDK applied it may still resolve. Whether the SDK delivers an emission is for the
    /// properties to judge.
    pub fn note_emit(&self, name: &str, event: EventName) -> usize {
        let step = self.now();
        self.with_log(|log| {
            let record = log.providers.entry(name.to_owned()).or_default();
            record.emits += 1;
            // After a shutdown, an emission is late unless a new registration has attached.
            if record.phase == Phase::ShutDown && record.attach <= record.shutdown {
                record.late_emissions.push(record.emits);
            } else {
                record.phase = match event {
                    EventName::Ready | EventName::Stale => Phase::Ready,
                    EventName::Error => Phase::Failed,
                    EventName::Fatal | EventName::ConfigurationChanged => record.phase,
                };
            }
            let number = record.emits;
            log.emissions.push((name.to_owned(), number, step));
            number
        })
    }

    /// Records a handler run for `provider`'s `event`: for the emission numbered `emission`, or
    /// an immediate run for a state (`None`).
    pub fn handler_called(
        &self,
        handler: &str,
        provider: &str,
        event: &str,
        emission: Option<usize>,
    ) {
        self.trace(format!("handler {handler}({provider}:{event})"));
        let step = self.now();
        self.with_log(|log| {
            log.handler_calls
                .entry(handler.to_owned())
                .or_default()
                .push((step, format!("{provider}:{event}")));
            if let Some(emission) = emission {
                let delivery = (handler.to_owned(), provider.to_owned(), emission);
                log.emission_deliveries.push(delivery);
            }
        });
    }

    pub fn hook_called(&self, hook: &str) {
        self.trace(format!("hook {hook}.before"));
        self.with_log(|log| *log.hook_calls.entry(hook.to_owned()).or_default() += 1);
    }
}

/// Returned by [`World::turn`]: the end of the step, where other tasks may run.
pub struct TurnGuard<'a> {
    world: &'a World,
    boundary: bool,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.world.end_steps();
        if self.boundary {
            self.world.boundary();
        }
    }
}

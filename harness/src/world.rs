//! The world of one execution: everything the harness's own user code (test providers, hooks,
//! handlers) records, the trace of steps, background threads to join, and the turn lock that
//! makes whole operations atomic for the linearizability oracle.
//!
//! Every shuttle task runs on the one OS thread that called the scheduler, so the log is a plain
//! `std` mutex that is never contended across a scheduling point. Nothing here depends on time,
//! addresses or hash order: what is compared is built from `BTreeMap`s and step counters.

use crate::scenario::Scenario;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a test provider was asked to do, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderRecord {
    pub attach: usize,
    pub init: usize,
    pub init_ok: usize,
    pub shutdown: usize,
    pub detach: usize,
    pub resolves: usize,
    pub resolved_after_shutdown: usize,
    /// Emit attempts, whether or not they were delivered.
    pub emits: usize,
    /// Every `initialize` (`I`) and `shutdown` (`S`), in order: a healthy lifecycle alternates.
    pub lifecycle: String,
}

impl ProviderRecord {
    /// Whether the provider's last lifecycle call was a shutdown.
    pub fn is_shut(&self) -> bool {
        self.lifecycle.ends_with('S')
    }

    /// Whether the provider's last lifecycle call was an initialize.
    pub fn is_initialized(&self) -> bool {
        self.lifecycle.ends_with('I')
    }
}

/// One line of the trace: who did what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    pub actor: String,
    pub text: String,
}

/// When an operation ran, in trace steps, and what it returned.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// `setup.N`, `T0.N`, `after.N`.
    pub key: String,
    /// Sort order: phase (setup, threads, after), thread index, op index.
    pub order: (usize, usize, usize),
    pub thread: String,
    pub op: crate::scenario::Op,
    pub label: String,
    pub start: usize,
    pub end: usize,
    pub result: Result<String, String>,
}

/// Everything recorded during one execution.
#[derive(Debug, Default)]
pub struct Log {
    pub trace: Vec<TraceLine>,
    pub providers: BTreeMap<String, ProviderRecord>,
    /// Per handler, the `provider:event` deliveries it received, in order, with their step.
    pub handler_calls: BTreeMap<String, Vec<(usize, String)>>,
    /// Per hook, how many `before` stages ran.
    pub hook_calls: BTreeMap<String, usize>,
    pub ops: Vec<OpRecord>,
}

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
    /// Tasks inside an operation.
    in_op: std::sync::Mutex<BTreeSet<usize>>,
    log: std::sync::Mutex<Log>,
    actors: std::sync::Mutex<BTreeMap<usize, String>>,
    background: std::sync::Mutex<Vec<crate::rt::JoinHandle<()>>>,
}

use crate::rt::current_task;

impl World {
    pub fn new(scenario: Arc<Scenario>, sequential: bool) -> Arc<Self> {
        Arc::new(Self {
            scenario,
            sequential,
            in_op: std::sync::Mutex::new(BTreeSet::new()),
            log: std::sync::Mutex::new(Log::default()),
            actors: std::sync::Mutex::new(BTreeMap::new()),
            background: std::sync::Mutex::new(Vec::new()),
        })
    }

    pub fn with_log<R>(&self, f: impl FnOnce(&mut Log) -> R) -> R {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut log)
    }

    /// Takes the log out at the end of an execution.
    pub fn take_log(&self) -> Log {
        self.with_log(std::mem::take)
    }

    /// Names the current task in the trace.
    pub fn name_current(&self, name: &str) {
        let mut actors = self
            .actors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        actors.insert(current_task(), name.to_owned());
    }

    /// The current task's name: a harness thread's name, else the thread name shuttle knows.
    pub fn current_actor(&self) -> String {
        let task = current_task();
        let actors = self
            .actors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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

    /// Records one step of the current task.
    pub fn trace(&self, text: impl Into<String>) {
        let actor = self.current_actor();
        let text = text.into();
        self.with_log(|log| log.trace.push(TraceLine { actor, text }));
    }

    fn in_op(&self) -> bool {
        self.in_op
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&current_task())
    }

    /// Marks one step of background work (one event of a provider's event thread): in
    /// whole-operation mode, other tasks may run once the returned guard is dropped, so each
    /// such step is atomic and a step of its own. Inside an operation, and in the concurrent
    /// modes, it does nothing. Boundaries sit at the end of steps, never at the start, so that
    /// the oracle's exploration does not count one order of steps twice.
    pub fn turn(&self) -> TurnGuard<'_> {
        TurnGuard {
            world: (self.sequential && !self.in_op()).then_some(self),
        }
    }

    /// The boundary at the start of a provider's `initialize`: in the SDK's sequential
    /// specification, binding (and `attach`) and initialization are separate steps, whether the
    /// initialization runs on a background thread or inline in `set_provider_and_wait` (the SDK
    /// binds first there too). A provider may emit between the two.
    pub fn background_step(&self) {
        self.boundary();
    }

    /// A step boundary: other tasks may run here in whole-operation mode.
    pub fn boundary(&self) {
        if self.sequential {
            SWITCH_ALLOWED.with(|allowed| allowed.set(true));
            crate::rt::yield_now();
            SWITCH_ALLOWED.with(|allowed| allowed.set(false));
        }
    }

    /// Marks the current task as inside (or outside) an operation.
    pub fn set_in_op(&self, inside: bool) {
        let mut in_op = self.in_op.lock().unwrap_or_else(|p| p.into_inner());
        if inside {
            in_op.insert(current_task());
        } else {
            in_op.remove(&current_task());
        }
    }

    /// Spawns a background thread of the harness's own (a provider's event thread); joined by
    /// [`World::join_background`].
    pub fn spawn_background(self: &Arc<Self>, name: &str, work: impl FnOnce() + Send + 'static) {
        let world = Arc::clone(self);
        let name = name.to_owned();
        let handle = crate::rt::Builder::new()
            .name(name.clone())
            .spawn(move || {
                world.name_current(&name);
                work();
            })
            .expect("a checker's threads always spawn");
        self.background
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(handle);
    }

    /// Joins every harness background thread, including ones spawned meanwhile.
    pub fn join_background(&self) {
        loop {
            let pending = std::mem::take(
                &mut *self
                    .background
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
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

    /// Records a call of the provider's `initialize`.
    pub fn note_init(&self, name: &str) {
        self.provider(name, |record| {
            record.init += 1;
            record.lifecycle.push('I');
        });
    }

    /// Records a call of the provider's `shutdown`.
    pub fn note_shutdown(&self, name: &str) {
        self.provider(name, |record| {
            record.shutdown += 1;
            record.lifecycle.push('S');
        });
    }

    /// Records a resolution, and counts it when it came after the provider's shutdown (and no
    /// initialize since).
    pub fn note_resolve(&self, name: &str) {
        self.provider(name, |record| {
            record.resolves += 1;
            if record.is_shut() {
                record.resolved_after_shutdown += 1;
            }
        });
    }

    pub fn handler_called(&self, handler: &str, provider: &str, event: &str) {
        self.trace(format!("handler {handler}({provider}:{event})"));
        let step = self.now();
        self.with_log(|log| {
            log.handler_calls
                .entry(handler.to_owned())
                .or_default()
                .push((step, format!("{provider}:{event}")))
        });
    }

    pub fn hook_called(&self, hook: &str) {
        self.trace(format!("hook {hook}.before"));
        self.with_log(|log| *log.hook_calls.entry(hook.to_owned()).or_default() += 1);
    }
}

/// Returned by [`World::turn`]: the end of the step, where other tasks may run.
pub struct TurnGuard<'a> {
    world: Option<&'a World>,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        if let Some(world) = self.world {
            world.boundary();
        }
    }
}

/// The state of a target at the end of an execution, in target-independent terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalState {
    /// `default` and each domain, to the bound provider's name (`noop` for the no-op provider).
    pub bindings: BTreeMap<String, String>,
    /// Status of each bound provider.
    pub statuses: BTreeMap<String, String>,
    pub api_hooks: Vec<String>,
    pub client_hooks: BTreeMap<String, Vec<String>>,
    pub context: BTreeMap<String, String>,
}

//! Schedulers: shuttle's random scheduler, a PCT scheduler that replays any single execution
//! from one seed, and the seed derivation that makes every execution of a run replayable on its
//! own.
//!
//! Shuttle's own PCT scheduler carries state from one execution to the next (its step estimate
//! and random stream), so one of its executions cannot be re-run without re-running all earlier
//! ones. [`SeededPct`] is the same algorithm (Burckhardt et al., ASPLOS 2010, as in shuttle's
//! `PctScheduler`) for exactly one execution, with the step estimate given up front; the harness
//! calibrates the estimate once per scenario and target with a deterministic run.

use rand::seq::index::sample;
use rand::{Rng, RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The randomized schedulers a run can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum SchedulerKind {
    Random,
    Pct,
}

impl SchedulerKind {
    pub const ALL: [SchedulerKind; 2] = [SchedulerKind::Random, SchedulerKind::Pct];

    pub fn as_str(&self) -> &'static str {
        match self {
            SchedulerKind::Random => "random",
            SchedulerKind::Pct => "pct",
        }
    }
}

/// The seed of execution `iteration` (from 0) of a run with `base` seed: SplitMix64 of both, so
/// neighbouring executions are unrelated and each can be replayed alone.
pub fn execution_seed(base: u64, iteration: usize) -> u64 {
    let mut z = base
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(iteration as u64)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Probabilistic concurrency testing for one execution: random task priorities, and
/// `depth - 1` change points at which the running task drops to the lowest priority.
#[derive(Debug)]
pub struct SeededPct {
    seed: u64,
    started: bool,
    rng: Pcg64Mcg,
    data: Pcg64Mcg,
    priorities: BTreeMap<TaskId, i64>,
    lowest: i64,
    change_points: Vec<usize>,
    steps: usize,
    /// Counts the steps at which more than one task could run (the calibration run reads it).
    counted: Arc<Mutex<usize>>,
}

impl SeededPct {
    /// `estimated_steps` is the number of contended steps an execution takes (see
    /// [`SeededPct::calibrating`]).
    pub fn new(seed: u64, depth: usize, estimated_steps: usize) -> Self {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let span = estimated_steps.max(2);
        let points = depth.saturating_sub(1).min(span - 1);
        let change_points = sample(&mut rng, span - 1, points)
            .iter()
            .map(|point| point + 1)
            .collect();
        Self {
            seed,
            started: false,
            data: Pcg64Mcg::seed_from_u64(seed ^ 0xDA7A),
            rng,
            priorities: BTreeMap::new(),
            lowest: 0,
            change_points,
            steps: 0,
            counted: Arc::default(),
        }
    }

    /// A run with no change points that reports how many contended steps it took.
    pub fn calibrating(counted: Arc<Mutex<usize>>) -> Self {
        let mut pct = Self::new(0, 1, 2);
        pct.counted = counted;
        pct
    }
}

impl Scheduler for SeededPct {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(Schedule::new(self.seed))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        for task in runnable {
            let id = task.id();
            if !self.priorities.contains_key(&id) {
                let priority = (self.rng.next_u64() >> 2) as i64;
                self.priorities.insert(id, priority);
            }
        }
        if runnable.len() > 1 {
            self.steps += 1;
            if let Ok(mut counted) = self.counted.lock() {
                *counted = self.steps;
            }
            if let Some(current) = current {
                if self.change_points.contains(&self.steps) || is_yielding {
                    self.lowest -= 1;
                    self.priorities.insert(current, self.lowest);
                }
            }
        }
        runnable
            .iter()
            .max_by_key(|task| {
                (
                    self.priorities.get(&task.id()).copied().unwrap_or(0),
                    usize::from(task.id()),
                )
            })
            .map(|task| task.id())
    }

    fn next_u64(&mut self) -> u64 {
        self.data.gen()
    }
}

/// Whole-operation scheduling for the oracle: the running task keeps running until it blocks,
/// finishes, or yields at an operation boundary; only there does `inner` choose. With shuttle's
/// DFS as `inner`, this enumerates every sequential execution: every merge of the threads'
/// whole operations, with background work (initialization, event threads) as steps of its own.
pub struct WholeOps<S> {
    inner: S,
}

impl<S> WholeOps<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S: Scheduler> Scheduler for WholeOps<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let at_boundary = is_yielding && crate::world::take_switch_allowed();
        if !at_boundary {
            if let Some(current) = current {
                if runnable.iter().any(|task| task.id() == current) {
                    return Some(current);
                }
            }
        }
        // While the threads run, the main task only joins them: choosing it then is a step with
        // no effect, which would make the exploration count one order of steps many times. In
        // the setup and after phases it is a real participant and stays a choice.
        let main = TaskId::from(0);
        let others: Vec<&Task> = runnable
            .iter()
            .copied()
            .filter(|task| task.id() != main)
            .collect();
        if others.is_empty() || !crate::world::main_joining() {
            self.inner.next_task(runnable, current, is_yielding)
        } else {
            self.inner.next_task(&others, current, is_yielding)
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Shuttle's DFS within a preemption bound: the exhaustive pass's explorer for scenarios loom
/// cannot model. A preemption is a switch away from a task that could have gone on running (not
/// one that yields, blocks or finishes); once `bound` of them have happened in an execution, the
/// running task is the only choice until it stops by itself. The restriction depends only on the
/// path so far, so the inner DFS still enumerates every bounded schedule exactly once.
pub struct BoundedDfs {
    inner: shuttle::scheduler::DfsScheduler,
    bound: usize,
    preemptions: usize,
}

impl BoundedDfs {
    /// At most `max_executions` executions are explored; the caller reports a search cut there
    /// as incomplete.
    pub fn new(bound: usize, max_executions: usize) -> Self {
        Self {
            inner: shuttle::scheduler::DfsScheduler::new(Some(max_executions), false),
            bound,
            preemptions: 0,
        }
    }
}

impl Scheduler for BoundedDfs {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.preemptions = 0;
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let continuing = current
            .filter(|current| !is_yielding && runnable.iter().any(|task| task.id() == *current));
        let choice = match continuing {
            Some(current) if self.preemptions >= self.bound => {
                let only: Vec<&Task> = runnable
                    .iter()
                    .copied()
                    .filter(|task| task.id() == current)
                    .collect();
                self.inner.next_task(&only, Some(current), is_yielding)
            }
            _ => self.inner.next_task(runnable, current, is_yielding),
        }?;
        if continuing.is_some_and(|current| current != choice) {
            self.preemptions += 1;
        }
        Some(choice)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

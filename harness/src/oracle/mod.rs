//! The linearizability oracle: an execution is correct when some sequential execution of whole
//! operations produces its outcome *and* respects its real-time order (Herlihy & Wing): an
//! operation or background step that ended before another began comes first.
//!
//! The reference is computed once per scenario and target by shuttle's DFS over the
//! whole-operation mode ([`crate::sched::WholeOps`]): every sequential execution, its outcome,
//! and its [`Timeline`], when each operation and background step ran in it. An execution is then
//! judged by looking up the timelines of its outcome and asking whether one of them orders every
//! pair that the execution's own timeline orders. The cost per execution is a map lookup and, for
//! an outcome the reference knows, a pass over its timelines (quadratic in the number of steps,
//! which is small); no search runs per execution.
//!
//! Two properties come out of it. `not-sequentially-consistent` is the weaker, older judgement:
//! the outcome is not among the sequential ones at all. `not-linearizable` adds the real-time
//! order, so every execution that violates the first violates the second, and an execution can
//! violate only the second: its outcome is a sequential one, but only in an order that
//! contradicts what happened (a handler that heard an event emitted after the operation that
//! removed it had returned, say).
//!
//! Steps are named the same in every execution of a scenario: operations by their key (`T0.1`),
//! background steps by what ran and which occurrence it was (`p0.emit(ready)#2`, the second
//! emission of `ready` by p0's event thread, counted in the order they began). Where two
//! occurrences of one step overlap in the execution judged, that count does not say which is
//! which, so that step is left out of the real-time order rather than guessed.
//!
//! `timeline.rs` holds the real-time order: spans, timelines and precedences.

mod timeline;

use crate::rt::lock;
pub use timeline::Timeline;
use timeline::{precedences, spans};

use crate::properties::{self, Property, Violation};
use crate::runner::{self, Execution};
use crate::scenario::Scenario;
use crate::target::TargetKind;
use crate::world::{FinalState, World};
use openfeature_sdk_shuttle::observe;
use serde::{Deserialize, Serialize};
use shuttle::scheduler::DfsScheduler;
use shuttle::Runner;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// The oracle's reference: every outcome of every sequential execution (whole operations, each
/// thread's operations in order, background work as steps of its own), with the timelines that
/// produce it, explored exhaustively with shuttle's DFS over the whole-operation mode.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Reference {
    pub outcomes: BTreeSet<String>,
    /// The ids of the operations and steps the timelines place (`T0.1`, `p0.emit(ready)#2`).
    pub steps: Vec<String>,
    /// Per outcome, the distinct timelines of the sequential executions that produce it; `None`
    /// when only the outcomes are known (read from a snapshot), and then the real-time order is
    /// not judged.
    pub timelines: Option<BTreeMap<String, BTreeSet<Timeline>>>,
    /// Sequential executions explored.
    pub explored: usize,
    /// Sequential explorations that failed (deadlock or step bound); the reference is then
    /// incomplete.
    pub blocked: usize,
    /// Whether the exploration finished within its bound.
    pub complete: bool,
}

impl Reference {
    /// How many distinct timelines the reference holds, over all its outcomes.
    pub fn timeline_count(&self) -> usize {
        self.timelines
            .as_ref()
            .map_or(0, |timelines| timelines.values().map(BTreeSet::len).sum())
    }
}

/// The bound on sequential executions explored for the reference.
const REFERENCE_BOUND: usize = 200_000;

/// The reference of `scenario` on `kind`, or none when the scenario opts out of the oracle.
pub fn reference_unless_opted_out(scenario: &Arc<Scenario>, kind: TargetKind) -> Option<Reference> {
    scenario
        .oracle_opt_out
        .of(kind)
        .is_none()
        .then(|| reference(scenario, kind))
}

pub fn reference(scenario: &Arc<Scenario>, kind: TargetKind) -> Reference {
    reference_bounded(scenario, kind, REFERENCE_BOUND)
}

/// The reference, exploring at most `bound` sequential executions (incomplete beyond).
pub fn reference_bounded(scenario: &Arc<Scenario>, kind: TargetKind, bound: usize) -> Reference {
    // One DFS run explores every schedule; each execution's outcome is collected through the
    // shared `collected` reference below, because `Runner::run` executes them all in one call.
    let collected: Arc<Mutex<Reference>> = Arc::new(Mutex::new(Reference {
        timelines: Some(BTreeMap::new()),
        ..Reference::default()
    }));
    let (scenario_in, collected_in) = (Arc::clone(scenario), Arc::clone(&collected));
    let run = runner::quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            Runner::new(
                crate::sched::WholeOps::new(DfsScheduler::new(Some(bound), false)),
                runner::config(scenario.schedule.max_steps),
            )
            .run(move || {
                let world = World::new(Arc::clone(&scenario_in), true);
                let state: Mutex<Option<FinalState>> = Mutex::new(None);
                runner::body(&scenario_in, kind, &world, &state);
                let log = world.take_log();
                let mut reference = lock(&collected_in);
                reference.explored += 1;
                let finished = lock(&state).take();
                if let Some(state) = finished {
                    let outcome = properties::outcome(&scenario_in, &log, &state);
                    reference.outcomes.insert(outcome.clone());
                    let timeline = Timeline::of(&log, &mut reference.steps);
                    if let Some(timelines) = reference.timelines.as_mut() {
                        timelines.entry(outcome).or_default().insert(timeline);
                    }
                }
            })
        }))
    });
    runner::forget_observers();
    observe::forget_background();
    let mut reference = lock(&collected).clone();
    match run {
        Ok(executions) => {
            // Shuttle cuts an execution past the step bound without a panic, and the code after
            // its body never runs: it is an execution the DFS ran and the sink never saw.
            reference.blocked += executions.saturating_sub(reference.explored);
            reference.complete = executions < bound && reference.blocked == 0;
        }
        Err(_) => {
            // A sequential execution that deadlocks or exceeds the step bound stops the DFS; the
            // reference is then incomplete and the oracle does not judge this scenario.
            reference.blocked += 1;
            reference.complete = false;
        }
    }
    reference
}

/// The outcome of `outcomes` closest to `outcome` (fewest differing lines) and the difference.
pub fn nearest(outcomes: &BTreeSet<String>, outcome: &str) -> Option<(String, Vec<String>)> {
    let lines: BTreeSet<&str> = outcome.lines().collect();
    outcomes
        .iter()
        .map(|candidate| {
            let theirs: BTreeSet<&str> = candidate.lines().collect();
            let mut diff: Vec<String> = theirs
                .difference(&lines)
                .map(|l| format!("- {l}"))
                .collect();
            diff.extend(lines.difference(&theirs).map(|l| format!("+ {l}")));
            (candidate.clone(), diff)
        })
        .min_by_key(|(_, diff)| diff.len())
}

/// Judges one finished execution against a complete reference: `not-sequentially-consistent`
/// and `not-linearizable` when no sequential execution produces its outcome, `not-linearizable`
/// alone when the ones that do all contradict its real-time order.
pub fn judge(reference: &Reference, execution: &mut Execution) {
    let Some(outcome) = execution.outcome.finished().map(str::to_owned) else {
        return;
    };
    if !reference.complete {
        return;
    }
    if !reference.outcomes.contains(&outcome) {
        let detail = match nearest(&reference.outcomes, &outcome) {
            Some((_, diff)) => format!(
                "no sequential execution produces this outcome; nearest differs by: {}",
                diff.join(" | ")
            ),
            None => "no sequential execution produces any outcome".to_owned(),
        };
        for property in [
            Property::NotSequentiallyConsistent,
            Property::NotLinearizable,
        ] {
            execution.violations.push(Violation {
                property,
                detail: detail.clone(),
            });
        }
        return;
    }
    let Some(timelines) = reference
        .timelines
        .as_ref()
        .and_then(|timelines| timelines.get(&outcome))
    else {
        return;
    };
    let spans = spans(&execution.log);
    let pairs = precedences(&spans, &reference.steps);
    if timelines
        .iter()
        .any(|timeline| !pairs.iter().any(|pair| pair.contradicted_by(timeline)))
    {
        return;
    }
    // No timeline fits: report the one that contradicts the fewest pairs, and its first pair.
    let Some(broken) = timelines
        .iter()
        .map(|timeline| {
            pairs
                .iter()
                .filter(|pair| pair.contradicted_by(timeline))
                .collect::<Vec<_>>()
        })
        .min_by_key(Vec::len)
    else {
        return;
    };
    let Some(first) = broken.first() else {
        return;
    };
    let more = match broken.len() {
        1 => String::new(),
        count => format!(" ({} such pairs)", count),
    };
    execution.violations.push(Violation {
        property: Property::NotLinearizable,
        detail: format!(
            "sequential executions produce this outcome ({} orders), but none in this execution's real-time order: {} ended before {} began, and the nearest sequential order begins the second before the first has ended{more}",
            timelines.len(),
            spans[first.earlier.0].describe(&execution.log),
            spans[first.later.0].describe(&execution.log),
        ),
    });
}

/// Adds an `outside-exhaustive` violation when a finished execution's outcome is not in the
/// scenario's exhaustive outcome set.
pub fn judge_within(exhaustive: &BTreeSet<String>, bound: usize, execution: &mut Execution) {
    let Some(outcome) = execution.outcome.finished() else {
        return;
    };
    if exhaustive.contains(outcome) {
        return;
    }
    let difference = nearest(exhaustive, outcome)
        .map(|(_, diff)| diff.join(" | "))
        .unwrap_or_default();
    execution.violations.push(Violation {
        property: Property::OutsideExhaustive,
        detail: format!(
            "the exhaustive exploration (preemption bound {bound}) never produced this outcome; nearest differs by: {difference}"
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Op;
    use crate::world::Log;
    use crate::world::{OpRecord, StepRecord};

    /// A log with operations `(key, start, end)` and background steps `(class, start, end)`.
    fn log(ops: &[(&str, usize, usize)], steps: &[(&str, usize, usize)]) -> Log {
        let mut log = Log::default();
        for (index, &(key, start, end)) in ops.iter().enumerate() {
            log.ops.push(OpRecord {
                key: key.to_owned(),
                order: (1, index, 0),
                thread: key.split('.').next().unwrap_or_default().to_owned(),
                op: Op::Shutdown {},
                label: "shutdown()".to_owned(),
                start,
                end,
                result: Ok(crate::ops::Answer::Done),
            });
        }
        for &(class, start, end) in steps {
            let began = log.began.entry(class.to_owned()).or_default();
            *began += 1;
            let occurrence = *began;
            log.steps.push(StepRecord {
                class: class.to_owned(),
                occurrence,
                actor: "p0.events".to_owned(),
                start,
                end,
            });
        }
        log
    }

    /// A complete reference whose one outcome `x` comes from the sequential logs given.
    fn reference(sequential: &[Log]) -> Reference {
        let mut reference = Reference {
            outcomes: BTreeSet::from(["x".to_owned()]),
            timelines: Some(BTreeMap::new()),
            complete: true,
            ..Reference::default()
        };
        for log in sequential {
            let timeline = Timeline::of(log, &mut reference.steps);
            if let Some(timelines) = reference.timelines.as_mut() {
                timelines
                    .entry("x".to_owned())
                    .or_default()
                    .insert(timeline);
            }
        }
        reference
    }

    fn judged(reference: &Reference, outcome: &str, log: Log) -> Vec<Violation> {
        let mut execution = Execution {
            outcome: runner::Outcome::Finished(outcome.to_owned()),
            violations: Vec::new(),
            log,
        };
        judge(reference, &mut execution);
        execution.violations
    }

    #[test]
    fn an_outcome_no_sequential_execution_produces_violates_both() {
        let reference = reference(&[log(&[("T0.0", 0, 2), ("T1.0", 2, 4)], &[])]);
        let found: Vec<Property> = judged(&reference, "y", log(&[], &[]))
            .into_iter()
            .map(|v| v.property)
            .collect();
        assert_eq!(
            found,
            [
                Property::NotSequentiallyConsistent,
                Property::NotLinearizable
            ]
        );
    }

    #[test]
    fn only_an_order_that_respects_real_time_explains_an_outcome() {
        // Sequentially, T0.0 runs first.
        let reference = reference(&[log(&[("T0.0", 0, 2), ("T1.0", 2, 4)], &[])]);
        // The same order, and an overlap (either order explains it): linearizable.
        for execution in [
            log(&[("T0.0", 0, 2), ("T1.0", 3, 5)], &[]),
            log(&[("T0.0", 0, 4), ("T1.0", 2, 6)], &[]),
        ] {
            assert_eq!(judged(&reference, "x", execution), []);
        }
        // T1.0 returned before T0.0 began: the only explanation runs them the wrong way round.
        let found = judged(&reference, "x", log(&[("T0.0", 5, 7), ("T1.0", 0, 3)], &[]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].property, Property::NotLinearizable);
        assert!(
            found[0]
                .detail
                .contains("`T1.0 shutdown()` (T1, steps 1-3) ended before `T0.0 shutdown()` (T0, steps 6-7) began"),
            "{}",
            found[0].detail
        );
    }

    #[test]
    fn any_one_sequential_order_is_enough() {
        let reference = reference(&[
            log(&[("T0.0", 0, 2), ("T1.0", 2, 4)], &[]),
            log(&[("T1.0", 0, 2), ("T0.0", 2, 4)], &[]),
        ]);
        let execution = log(&[("T0.0", 5, 7), ("T1.0", 0, 3)], &[]);
        assert_eq!(judged(&reference, "x", execution), []);
    }

    #[test]
    fn background_steps_are_ordered_by_occurrence() {
        // Sequentially, p0's event comes after T0.0 returned.
        let reference = reference(&[log(&[("T0.0", 0, 2)], &[("p0.emit(ready)", 2, 3)])]);
        let late = log(&[("T0.0", 0, 2)], &[("p0.emit(ready)", 4, 6)]);
        assert_eq!(judged(&reference, "x", late), []);
        let early = log(&[("T0.0", 3, 5)], &[("p0.emit(ready)", 0, 2)]);
        let found = judged(&reference, "x", early);
        assert!(
            found.len() == 1
                && found[0]
                    .detail
                    .contains("`p0.emit(ready)#1` (p0.events, steps 1-2)"),
            "{found:?}"
        );
    }

    #[test]
    fn overlapping_occurrences_of_one_step_are_not_guessed_at() {
        // Which of two overlapping emissions is the first is not known: neither is ordered.
        let reference = reference(&[log(
            &[("T0.0", 0, 2)],
            &[("p0.emit(ready)", 2, 3), ("p0.emit(ready)", 3, 4)],
        )]);
        let execution = log(
            &[("T0.0", 6, 8)],
            &[("p0.emit(ready)", 0, 4), ("p0.emit(ready)", 1, 3)],
        );
        assert_eq!(judged(&reference, "x", execution), []);
    }

    #[test]
    fn an_incomplete_reference_judges_nothing() {
        let mut reference = reference(&[log(&[("T0.0", 0, 2), ("T1.0", 2, 4)], &[])]);
        reference.complete = false;
        assert_eq!(judged(&reference, "y", log(&[], &[])), []);
    }
}

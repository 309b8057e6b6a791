//! The real-time order of an execution: the spans of its operations and background steps, the
//! dense timeline the reference keeps per sequential execution, and the precedences ("ended
//! before ... began") an execution judged must respect.

use crate::world::Log;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// When each operation and background step of one sequential execution ran, indexed by the
/// reference's step table ([`Reference::steps`]), with the trace steps renumbered densely (only
/// their order matters). A step the execution did not run is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timeline(Vec<Option<(u32, u32)>>);

impl Timeline {
    /// The timeline of a recorded execution; new step ids are added to `table`.
    pub(super) fn of(log: &Log, table: &mut Vec<String>) -> Self {
        let spans = spans(log);
        let mut points: Vec<usize> = spans.iter().flat_map(|s| [s.start, s.end]).collect();
        points.sort_unstable();
        points.dedup();
        let rank = |step: usize| points.partition_point(|p| *p < step) as u32;
        let mut placed = vec![None; table.len()];
        for span in spans {
            let index = match table.iter().position(|id| *id == span.id) {
                Some(index) => index,
                None => {
                    table.push(span.id);
                    placed.push(None);
                    table.len() - 1
                }
            };
            placed[index] = Some((rank(span.start), rank(span.end)));
        }
        Timeline(placed)
    }

    /// When the step with table index `index` ran in this timeline.
    fn get(&self, index: usize) -> Option<(u32, u32)> {
        self.0.get(index).copied().flatten()
    }
}

/// One operation or background step of an execution.
#[derive(Clone, Debug)]
pub(super) struct Span {
    pub(super) id: String,
    /// First step, and the step after its last (trace lines, from 0).
    pub(super) start: usize,
    pub(super) end: usize,
    /// Where it was recorded: `Ok` an index into the log's operations, `Err` into its steps.
    pub(super) record: Result<usize, usize>,
}

impl Span {
    /// How a report names it, in the column trace's terms and step numbers:
    /// `` `T1.0 set_provider(p1)` (T1, steps 3-12) ``.
    pub(super) fn describe(&self, log: &Log) -> String {
        let (what, actor) = match self.record {
            Ok(op) => (
                format!("{} {}", log.ops[op].key, log.ops[op].label),
                &log.ops[op].thread,
            ),
            Err(step) => (self.id.clone(), &log.steps[step].actor),
        };
        format!("`{what}` ({actor}, steps {}-{})", self.start + 1, self.end)
    }
}

/// Every operation and background step of `log` whose identity is unambiguous.
pub(super) fn spans(log: &Log) -> Vec<Span> {
    let mut spans: Vec<Span> = log
        .ops
        .iter()
        .enumerate()
        .map(|(index, op)| Span {
            id: op.key.clone(),
            start: op.start,
            end: op.end,
            record: Ok(index),
        })
        .collect();
    let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, step) in log.steps.iter().enumerate() {
        by_class.entry(&step.class).or_default().push(index);
    }
    for (_, mut steps) in by_class {
        steps.sort_by_key(|&index| log.steps[index].occurrence);
        let overlapping = steps
            .windows(2)
            .any(|pair| log.steps[pair[1]].start < log.steps[pair[0]].end);
        if overlapping {
            continue;
        }
        spans.extend(steps.into_iter().map(|index| Span {
            id: log.steps[index].id(),
            start: log.steps[index].start,
            end: log.steps[index].end,
            record: Err(index),
        }));
    }
    spans
}

/// One pair of the real-time order of the execution judged: `earlier` ended before `later`
/// began. Each is an index into the execution's spans and one into the reference's step table.
pub(super) struct Precedence {
    pub(super) earlier: (usize, usize),
    pub(super) later: (usize, usize),
}

impl Precedence {
    /// Whether `sequential` contradicts this pair: it does not finish `earlier` before `later`
    /// begins. Steps `sequential` did not run are not compared.
    pub(super) fn contradicted_by(&self, sequential: &Timeline) -> bool {
        match (sequential.get(self.earlier.1), sequential.get(self.later.1)) {
            (Some((_, earlier_end)), Some((later_start, _))) => earlier_end > later_start,
            _ => false,
        }
    }
}

/// The real-time order of the execution judged, over the spans the reference knows.
pub(super) fn precedences(spans: &[Span], steps: &[String]) -> Vec<Precedence> {
    let indexed: Vec<(usize, usize)> = spans
        .iter()
        .enumerate()
        .filter_map(|(at, span)| Some((at, steps.iter().position(|id| *id == span.id)?)))
        .collect();
    let mut pairs = Vec::new();
    for &earlier in &indexed {
        for &later in &indexed {
            if earlier.0 != later.0 && spans[earlier.0].end <= spans[later.0].start {
                pairs.push(Precedence { earlier, later });
            }
        }
    }
    pairs
}

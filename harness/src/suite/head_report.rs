//! `scenarios/PYTHON_HEAD.md`: which races of the audit the Python SDK's head still has, written
//! from a run's reports (never by hand). For each audit id, the scenarios that name it alone
//! decide (all that name it, when none names it alone):
//! *fixed* when the `python-head` target violates nothing in any of them, *still open* when it
//! violates every property the `audited` target must violate there, *changed* when it violates
//! something else. Every race the head has (an audit id still open or changed, or a scenario
//! that names no audit id) is listed with its smallest scenario, the property, the command that
//! replays the first execution that showed it, and the Python statements of that execution in
//! the order they ran.

use super::{FirstDetection, ScenarioReport, TargetReport};
use crate::generate::op_count;
use crate::properties::Property;
use crate::runner::{self, Schedule};
use crate::scenario::{Scenario, AUDIT_IDS};
use crate::sched::SchedulerKind;
use crate::target::TargetKind;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

/// What became of one audit race on the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Fixed,
    StillOpen,
    Changed,
    /// Neither model shows it in the scenarios that name it.
    NotReproduced,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::StillOpen => "still open",
            Status::Changed => "changed",
            Status::NotReproduced => "not reproduced",
        }
    }
}

/// One scenario's outcome on both Python models.
struct Row<'a> {
    scenario: &'a Arc<Scenario>,
    audited: Option<&'a TargetReport>,
    head: &'a TargetReport,
}

impl Row<'_> {
    /// The properties violated under any scheduler and base seed, but `outside-exhaustive`
    /// (a finding about the exhaustive pass's bound, not about the code).
    fn violated(target: Option<&TargetReport>) -> BTreeSet<Property> {
        target
            .into_iter()
            .flat_map(|t| t.schedulers.iter().flat_map(|s| s.violated.iter().copied()))
            .filter(|property| *property != Property::OutsideExhaustive)
            .collect()
    }

    fn head_violated(&self) -> BTreeSet<Property> {
        Self::violated(Some(self.head))
    }

    /// The properties the audited model must violate here (as its expectation says).
    fn audited_required(&self) -> BTreeSet<Property> {
        self.scenario
            .expect
            .audited
            .violates
            .iter()
            .filter_map(|id| Property::from_id(id))
            .collect()
    }

    /// The first detection of `property` on the head, the random scheduler's first.
    fn first(&self, property: Property) -> Option<(SchedulerKind, &FirstDetection)> {
        self.head.schedulers.iter().find_map(|scheduler| {
            scheduler
                .first_detections
                .get(&property)
                .map(|first| (scheduler.scheduler, first))
        })
    }
}

/// Whether `reports` hold what the report needs: the `python-head` target on some scenario.
pub fn covers_head(reports: &[ScenarioReport]) -> bool {
    reports.iter().any(|report| {
        report
            .targets
            .iter()
            .any(|target| target.target == TargetKind::PythonHead)
    })
}

fn ids(properties: &BTreeSet<Property>) -> String {
    if properties.is_empty() {
        "holds".to_owned()
    } else {
        properties
            .iter()
            .map(|p| format!("`{}`", p.id()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The report, as Markdown. `command` is how it was generated (printed at its top).
pub fn render(reports: &[ScenarioReport], command: &str) -> String {
    let rows: Vec<Row> = reports
        .iter()
        .filter_map(|report| {
            let of = |kind| report.targets.iter().find(|t| t.target == kind);
            Some(Row {
                scenario: &report.scenario,
                audited: of(TargetKind::Audited),
                head: of(TargetKind::PythonHead)?,
            })
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The Python SDK's head: which audit races remain\n\n\
         Generated from a run of every scenario on the `audited` target (the Python SDK as the\n\
         audit found it) and the `python-head` target (its head after \"fix: thread safety issues\n\
         (#614)\", commit 371aca1, modelled in `harness/src/python_head/`). Do not edit: regenerate\n\
         with\n\n```sh\n{command}\n```\n\n\
         An audit id is judged by the scenarios that name it alone (by every scenario that names it\n\
         when none does): *fixed* when `python-head` violates nothing there, *still open* when it\n\
         violates every property `audited` must violate there, *changed* when it violates something\n\
         else, *not reproduced* when neither model violates anything there. Each replay command prints the execution's trace, one column\n\
         per thread, each Python statement labelled with its file and line in the head.\n"
    );
    let mut counts = std::collections::BTreeMap::<Status, usize>::new();
    let mut table = String::new();
    let mut races: Vec<(String, &Row, BTreeSet<Property>)> = Vec::new();
    for id in AUDIT_IDS {
        // The scenarios that name this id alone reproduce it (`a07_lost_global_hook` for A7);
        // one that names several exercises them together and decides only when none does.
        let naming: Vec<&Row> = rows
            .iter()
            .filter(|row| row.scenario.audit.iter().any(|a| a == id))
            .collect();
        let alone: Vec<&Row> = naming
            .iter()
            .copied()
            .filter(|row| row.scenario.audit.len() == 1)
            .collect();
        let named = if alone.is_empty() { naming } else { alone };
        if named.is_empty() {
            let _ = writeln!(table, "| {id} | (no scenario) | | | |");
            continue;
        }
        let audited: BTreeSet<Property> = named
            .iter()
            .flat_map(|row| Row::violated(row.audited))
            .collect();
        let required: BTreeSet<Property> = named
            .iter()
            .flat_map(|row| row.audited_required())
            .collect();
        let head: BTreeSet<Property> = named.iter().flat_map(|row| row.head_violated()).collect();
        let status = if head.is_empty() && audited.is_empty() {
            Status::NotReproduced
        } else if head.is_empty() {
            Status::Fixed
        } else if !required.is_empty() && required.is_subset(&head) {
            Status::StillOpen
        } else {
            Status::Changed
        };
        *counts.entry(status).or_default() += 1;
        let names: Vec<String> = named
            .iter()
            .map(|row| format!("`{}`", row.scenario.name))
            .collect();
        let _ = writeln!(
            table,
            "| {id} | {} | {} | {} | **{}** |",
            names.join(", "),
            ids(&audited),
            ids(&head),
            status.as_str()
        );
        if matches!(status, Status::StillOpen | Status::Changed) {
            // The smallest scenario that shows it on the head.
            if let Some(row) = named
                .iter()
                .filter(|row| !row.head_violated().is_empty())
                .min_by_key(|row| (op_count(row.scenario), row.scenario.name.clone()))
            {
                races.push((
                    format!("{id} ({})", status.as_str()),
                    row,
                    row.head_violated(),
                ));
            }
        }
    }
    let new: Vec<&Row> = rows
        .iter()
        .filter(|row| row.scenario.audit.is_empty() && !row.head_violated().is_empty())
        .collect();
    let summary: Vec<String> = [Status::Fixed, Status::StillOpen, Status::Changed]
        .iter()
        .map(|status| format!("{} {}", counts.get(status).unwrap_or(&0), status.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "**Summary:** of the {} audit races, {}; {} more scenarios that name no audit id show \
         races on the head.\n",
        AUDIT_IDS.len(),
        summary.join(", "),
        new.len()
    );
    if let Some(count) = counts.get(&Status::NotReproduced) {
        let ids = if *count == 1 {
            "audit id is"
        } else {
            "audit ids are"
        };
        let _ = writeln!(
            out,
            "{count} {ids} shown by neither model in their scenarios (see the table).\n"
        );
    }
    let _ = writeln!(
        out,
        "## The audit races\n\n| audit | scenarios | `audited` violates | `python-head` violates | on the head |\n|---|---|---|---|---|\n{table}"
    );
    for row in &new {
        races.push((
            format!("`{}` (no audit id)", row.scenario.name),
            row,
            row.head_violated(),
        ));
    }
    let _ = writeln!(out, "## The races of the head, with their replays\n");
    if races.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for (title, row, violated) in races {
        let _ = writeln!(
            out,
            "### {title}\n\n{}\n\nScenario `{}` ({} operations) violates {} on `python-head`.\n",
            row.scenario.description.trim(),
            row.scenario.name,
            op_count(row.scenario),
            ids(&violated)
        );
        for property in &violated {
            match row.first(*property) {
                Some((scheduler, first)) => {
                    let _ = writeln!(
                        out,
                        "- `{}`: first under {} at base seed {}, iteration {}:\n  `{}`",
                        property.id(),
                        scheduler.as_str(),
                        first.base_seed,
                        first.iteration,
                        first.replay
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "- `{}`: allowed, not required, so no replay is recorded",
                        property.id()
                    );
                }
            }
        }
        if let Some(statements) = violated
            .iter()
            .find_map(|property| row.first(*property))
            .map(|(scheduler, first)| statements(row.scenario, scheduler, first))
        {
            let _ = writeln!(
                out,
                "\nThe Python statements of that execution, in the order they ran:\n\n```text\n{statements}```\n"
            );
        } else {
            out.push('\n');
        }
    }
    out
}

/// The Python statements of one execution (thread and statement, one per line), re-run from its
/// seed: what the replay command's trace shows, without the columns.
fn statements(
    scenario: &Arc<Scenario>,
    scheduler: SchedulerKind,
    first: &FirstDetection,
) -> String {
    let estimated_steps = match scheduler {
        SchedulerKind::Random => 0,
        SchedulerKind::Pct => runner::calibrate_pct(scenario, TargetKind::PythonHead),
    };
    let schedule = Schedule::of(
        scheduler,
        first.execution_seed,
        scenario.schedule.pct_depth,
        estimated_steps,
    );
    let execution = runner::execute(scenario, TargetKind::PythonHead, schedule);
    let mut out = String::new();
    for line in &execution.log.trace {
        let _ = writeln!(out, "{:<22} {}", line.actor, line.text);
    }
    out
}

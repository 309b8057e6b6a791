//! `harness generate`: generated scenarios under PCT and the oracle; the minimal failing case
//! is written as a scenario file whose expectations were measured, so that it runs as written.

use super::Outcome;
use harness::generate;
use harness::invocation::{Folders, Invocation};
use harness::properties::Property;
use harness::results::{Generated, Results};
use harness::sched::SchedulerKind;
use harness::suite::RunOptions;
use harness::target::TargetKind;
use std::path::Path;
use std::time::Instant;

/// What to search.
pub struct Search {
    pub target: TargetKind,
    pub cases: u32,
    pub executions: usize,
    pub property: Option<String>,
    pub seed: u64,
    /// The base seeds the found case's expectations are measured over.
    pub detection_seeds: u64,
}

/// Searches, and writes the minimal failing case to `out`.
pub fn generate(invocation: &Invocation, search: &Search, out: &Path) -> Outcome {
    let wanted = match &search.property {
        Some(id) => match Property::from_id(id) {
            Some(property) => vec![property],
            None => {
                return Outcome::bad_input(format!(
                    "unknown property `{id}`, expected one of {}",
                    Property::ids().join(", ")
                ))
            }
        },
        None => Vec::new(),
    };
    let target = search.target;
    let started = Instant::now();
    let result = generate::search(
        target,
        search.cases,
        search.executions,
        &generate::any_of(wanted),
        search.seed,
    );
    let mut results = Results::new("generate");
    let Err(found) = result else {
        say!(
            "generate: {} generated scenarios on {} held ({} PCT executions each) in {:.1}s",
            search.cases,
            target.as_str(),
            search.executions,
            started.elapsed().as_secs_f64()
        );
        results.generated = Some(Generated {
            target: target.as_str().to_owned(),
            cases: search.cases,
            violation: None,
            file: None,
            replay: None,
        });
        return super::publish(results, None);
    };
    write_found(invocation, search, out, *found, results)
}

/// Writes the minimal failing case `found` as a scenario file in `out`, with the expectations
/// measured on it and the commands that find and replay it.
fn write_found(
    invocation: &Invocation,
    search: &Search,
    out: &Path,
    (scenario, found): (harness::scenario::Scenario, generate::Found),
    mut results: Results,
) -> Outcome {
    let target = search.target;
    if let Err(error) = std::fs::create_dir_all(out) {
        return Outcome::bad_input(format!("{}: {error}", out.display()));
    }
    let name = format!(
        "found_{}_{}_{}",
        target.as_str(),
        found.violation.property.id().replace('-', "_"),
        found.seed
    );
    let path = out.join(format!("{name}.toml"));
    // The file's own folder is its scenario folder; its snapshots go beside it.
    let written = invocation.with_folders(Folders::beside(super::absolute(out)));
    say!(
        "generate: found {} on {}; measuring the expectations of the minimal case",
        found.violation,
        target.as_str()
    );
    let mut options = RunOptions::new(written.clone());
    options.require_exhaustive = false;
    options.detection_seeds = search.detection_seeds;
    // Measured on the scenario as its file reads back (with the schedule found).
    let draft = generate::to_toml(
        &scenario,
        &found,
        &generate::found_expect(target, &found),
        "",
    );
    let scenario = match harness::scenario::parse(&name, &path, &draft) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Outcome::bad_input(format!(
                "the generated case does not read back: {error}\n{draft}"
            ))
        }
    };
    let expect = generate::measured_expect(&scenario, &options);
    let comment = format!(
        "{name}: found by `{}`,\nshrunk by proptest to {} operations.\nViolation: {}\nExpectations measured over {} base seeds of {} executions per scheduler.\nReplay: {}",
        search_command(invocation, search, out),
        generate::op_count(&scenario),
        found.violation,
        options.detection_seeds,
        scenario.schedule.iterations,
        written.replay(&name, target, SchedulerKind::Pct, found.seed)
    );
    let text = generate::to_toml(&scenario, &found, &expect, &comment);
    if let Err(error) = harness::scenario::parse(&name, &path, &text) {
        return Outcome::bad_input(format!(
            "the generated case does not read back: {error}\n{text}"
        ));
    }
    if let Err(error) = std::fs::write(&path, text) {
        return Outcome::bad_input(format!("{}: {error}", path.display()));
    }
    say!("generate: minimal case written to {}", path.display());
    results.passed = false;
    results.generated = Some(Generated {
        target: target.as_str().to_owned(),
        cases: search.cases,
        violation: Some(found.violation.to_string()),
        file: Some(path.display().to_string()),
        replay: Some(written.replay(&name, target, SchedulerKind::Pct, found.seed)),
    });
    Outcome::Failed.and(super::publish(results, None))
}

/// The command that repeats this search, as the found file's comment gives it.
fn search_command(invocation: &Invocation, search: &Search, out: &Path) -> String {
    invocation.command(&format!(
        "generate --target {} --cases {} --executions {} --seed {}{}{} --out {}",
        search.target.as_str(),
        search.cases,
        search.executions,
        search.seed,
        search
            .property
            .as_ref()
            .map_or_else(String::new, |id| format!(" --property {id}")),
        if search.detection_seeds == 20 {
            String::new()
        } else {
            format!(" --detection-seeds {}", search.detection_seeds)
        },
        harness::invocation::quote(&super::absolute(out))
    ))
}

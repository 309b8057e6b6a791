//! `harness run` with the randomized schedulers: every scenario asked for, a progress display,
//! the failures grouped, and the summary table.

use super::Outcome;
use harness::properties::Property;
use harness::results::Results;
use harness::suite::{self, RunOptions, ScenarioReport, Tick};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// How `run` reports.
pub struct Output {
    /// Every failure, one per base seed.
    pub verbose: bool,
    /// Where to write the JUnit XML report.
    pub junit: Option<std::path::PathBuf>,
    /// Where to write the report of the races the Python SDK's head still has.
    pub head_report: Option<std::path::PathBuf>,
    /// Whether to stop after the first scenario that fails.
    pub fail_fast: bool,
}

/// Runs the scenarios `names` ask for (all when empty) and prints the failures and the table
/// (and the JSON results in JSON mode, and the JUnit report when asked).
pub fn run(names: &[String], options: &RunOptions, output: &Output) -> Outcome {
    let loaded = super::load(&options.invocation, names);
    let input = loaded.report_errors();
    let started = Instant::now();
    let reports = execute(&loaded.scenarios, options, output.fail_fast);
    let reported = if reports.is_empty() {
        Outcome::Passed
    } else {
        report(&reports, output.verbose, started)
    };
    let mut results = Results::new("run");
    results.errors.clone_from(&loaded.errors);
    results.add_runs(&reports);
    let published = super::publish(results, output.junit.as_deref());
    let head = match &output.head_report {
        Some(path) => write_head_report(&reports, options, path),
        None => Outcome::Passed,
    };
    reported.and(input).and(published).and(head)
}

/// Writes `scenarios/PYTHON_HEAD.md` (or wherever `path` says) from the run's reports.
fn write_head_report(
    reports: &[ScenarioReport],
    options: &RunOptions,
    path: &std::path::Path,
) -> Outcome {
    use harness::scenario::TargetKind;
    use harness::suite::head_report;
    if !options.targets.contains(&TargetKind::Audited) || !head_report::covers_head(reports) {
        return Outcome::bad_input(
            "--head-report needs a run of the audited and python-head targets (no --target)",
        );
    }
    let command = options
        .invocation
        .command("run --head-report scenarios/PYTHON_HEAD.md");
    let text = head_report::render(reports, &command);
    match std::fs::write(path, text) {
        Ok(()) => {
            say!("the report of the Python SDK's head: {}", path.display());
            Outcome::Passed
        }
        Err(error) => Outcome::bad_input(format!("cannot write {}: {error}", path.display())),
    }
}

/// Runs `scenarios` with a progress display on stderr (a line per scenario when stderr is not a
/// terminal).
pub fn execute(
    scenarios: &[std::sync::Arc<harness::scenario::Scenario>],
    options: &RunOptions,
    fail_fast: bool,
) -> Vec<ScenarioReport> {
    let seeds = suite::base_seeds(options).len();
    let budget = |scenario: &harness::scenario::Scenario| -> u64 {
        (options.iterations.unwrap_or(scenario.schedule.iterations)
            * seeds
            * options.schedulers.len()
            * options.targets.len()) as u64
    };
    let total: u64 = scenarios.iter().map(|s| budget(s)).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} executions {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // indicatif draws nothing when stderr is not a terminal: CI logs get a line per scenario,
    // in the order the scenarios finish.
    let lines = !std::io::stderr().is_terminal();
    let count = scenarios.len();
    let finished = AtomicUsize::new(0);
    // Under `--fail-fast`: the index of the first scenario (in file order) known to fail.
    // A scenario after it does not start; every one before it runs, so the run reports the
    // same first failure at any `--jobs`.
    let first_failed = AtomicUsize::new(usize::MAX);
    let ran = super::in_parallel(scenarios, |index, scenario| {
        if fail_fast && first_failed.load(Ordering::Relaxed) < index {
            return None;
        }
        bar.set_message(scenario.name.clone());
        let scenario_started = Instant::now();
        let mut executions = 0u64;
        let report = suite::run_scenario(scenario, options, |tick| match tick {
            Tick::Ran => {
                executions += 1;
                bar.inc(1);
            }
            // A batch that found every expected violation stops: its budget leaves the total.
            Tick::Skipped(skipped) => bar.dec_length(skipped as u64),
        });
        let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
        if lines {
            eprintln!(
                "[{done}/{count}] {:<36} {:>9} executions {:>7.1}s {}",
                scenario.name,
                executions,
                scenario_started.elapsed().as_secs_f64(),
                if report.passed() { "ok" } else { "FAIL" }
            );
        }
        if !report.passed() {
            first_failed.fetch_min(index, Ordering::Relaxed);
        }
        Some(report)
    });
    let mut reports = Vec::new();
    for report in ran.into_iter().flatten() {
        let failed = !report.passed();
        reports.push(report);
        // Under `--fail-fast` the report ends at the first scenario that failed.
        if failed && fail_fast {
            break;
        }
    }
    bar.finish_and_clear();
    reports
}

/// Prints the failures (grouped, or every one with `verbose`), the table and the summary.
pub fn report(reports: &[ScenarioReport], verbose: bool, started: Instant) -> Outcome {
    for report in reports {
        for target in &report.targets {
            let failures = if verbose {
                &target.every_failure
            } else {
                &target.failures
            };
            for failure in failures {
                say!("FAIL {failure}");
            }
        }
    }
    print_table(reports);
    print_first_detections(reports);
    let passed = reports.iter().filter(|r| r.passed()).count();
    let failed = reports.len() - passed;
    say!();
    say!("seq = distinct sequential outcomes (oracle), seq.runs = sequential executions explored; det = iteration at which every expected violation was seen, median and max over base seeds");
    say!("run time: {:.1}s", started.elapsed().as_secs_f64());
    say!("scenarios: {passed} passed, {failed} failed");
    Outcome::of(failed == 0)
}

fn print_table(reports: &[ScenarioReport]) {
    // The violated column is as wide as its longest entry, so long lists keep the table aligned.
    let violated_of = |violated: &std::collections::BTreeSet<Property>| -> String {
        if violated.is_empty() {
            "-".to_owned()
        } else {
            violated
                .iter()
                .map(Property::id)
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let rows = reports
        .iter()
        .flat_map(|r| &r.targets)
        .flat_map(|t| &t.schedulers);
    let violated_width = rows
        .map(|s| violated_of(&s.violated).len())
        .chain([8])
        .max()
        .unwrap_or(8);
    let name_width = reports
        .iter()
        .map(|r| r.scenario.name.len())
        .chain([8])
        .max()
        .unwrap_or(8);
    say!();
    say!(
        "{:<name_width$} {:<8} {:<7} {:>6} {:>8} {:>7} {:<violated_width$} {:>9} {:>9} verdict",
        "scenario",
        "target",
        "sched",
        "seq",
        "seq.runs",
        "execs",
        "violated",
        "det.med",
        "det.max"
    );
    let detection = |d: Option<usize>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
    for report in reports {
        for target in &report.targets {
            for scheduler in &target.schedulers {
                say!(
                    "{:<name_width$} {:<8} {:<7} {:>6} {:>8} {:>7} {:<violated_width$} {:>9} {:>9} {}",
                    report.scenario.name,
                    target.target.as_str(),
                    scheduler.scheduler.as_str(),
                    target.reference.outcomes.len(),
                    target.reference.explored,
                    scheduler.executions,
                    violated_of(&scheduler.violated),
                    detection(scheduler.median_detection()),
                    detection(scheduler.max_detection()),
                    if target.failures.is_empty() {
                        "ok"
                    } else {
                        "FAIL"
                    }
                );
            }
        }
    }
}

/// The replay command of each expected violation's first detection: how to watch each race.
fn print_first_detections(reports: &[ScenarioReport]) {
    let mut header = false;
    for report in reports {
        for target in &report.targets {
            for scheduler in &target.schedulers {
                for (property, first) in &scheduler.first_detections {
                    let (seed, iteration, replay) =
                        (first.base_seed, first.iteration, &first.replay);
                    if !header {
                        say!();
                        say!("expected violations, first detected (replay one to watch the race):");
                        header = true;
                    }
                    say!(
                        "  {} on {} under {}: {property} at base seed {seed}, iteration {iteration}: {replay}",
                        report.scenario.name,
                        target.target.as_str(),
                        scheduler.scheduler.as_str()
                    );
                }
            }
        }
    }
}

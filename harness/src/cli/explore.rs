//! `harness run --scheduler exhaustive`: the exhaustive pass as a command. Each scenario is
//! explored by its own explorer: loom in the loom build of the harness (which the normal build
//! runs as a child process, from `HARNESS_LOOM_BINARY`, set by `cargo xtask`), shuttle's DFS in
//! the normal build. Each build checks the expectations of the scenarios it explores and
//! compares their outcome sets with the committed exhaustive snapshots.

use super::Outcome;
use harness::exhaustive::{self, Capture};
use harness::invocation::{quote, Invocation};
use harness::oracle;
use harness::results::Results;
use harness::scenario::{ExplorerKind, PerTarget, Scenario};
use harness::suite::{self, ExhaustiveReport, Failure};
use harness::target::TargetKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What to explore and show.
pub struct Explore {
    pub targets: Vec<TargetKind>,
    /// The execution whose trace is printed.
    pub execution: Option<usize>,
    /// Overrides every scenario's preemption bound.
    pub preemption_bound: Option<usize>,
    /// Overrides every scenario's explorer.
    pub explorer: Option<ExplorerKind>,
    /// The width of the printed execution's trace columns.
    pub width: Option<usize>,
}

/// Runs the exhaustive pass over the scenarios named (all when none is); prints the results as
/// JSON in JSON mode and writes them as JUnit XML to `junit`.
pub fn run(
    invocation: &Invocation,
    names: &[String],
    explore: &Explore,
    junit: Option<&Path>,
) -> Outcome {
    let loaded = super::load(invocation, names);
    // The loom build is started with the same names: its own report of bad input would repeat
    // this one.
    let input = if cfg!(harness_loom) {
        Outcome::of(loaded.errors.is_empty())
    } else {
        loaded.report_errors()
    };
    let mut results = Results::new("exhaustive");
    results.errors.clone_from(&loaded.errors);
    explore_all(
        invocation,
        explore,
        loaded.scenarios,
        junit.is_some(),
        &mut results,
    );
    // A failure to run the loom build already failed the results (`run_loom_build`).
    let passed = results.passed;
    let published = super::publish(results, junit);
    Outcome::of(passed).and(input).and(published)
}

/// The scenarios with the command line's overrides of their preemption bound and explorer.
fn overridden(explore: &Explore, scenarios: Vec<Arc<Scenario>>) -> Vec<Arc<Scenario>> {
    scenarios
        .into_iter()
        .map(|scenario| {
            let mut changed = Scenario::clone(&scenario);
            if let Some(bound) = explore.preemption_bound {
                changed.schedule.preemption_bound = PerTarget::both(bound);
            }
            if let Some(explorer) = explore.explorer {
                changed.schedule.explorer = PerTarget::both(explorer);
            }
            Arc::new(changed)
        })
        .collect()
}

fn explore_all(
    invocation: &Invocation,
    explore: &Explore,
    scenarios: Vec<Arc<Scenario>>,
    junit: bool,
    results: &mut Results,
) {
    let scenarios = overridden(explore, scenarios);
    let (work, skipped): (Vec<(Arc<Scenario>, TargetKind)>, Vec<_>) = scenarios
        .iter()
        .flat_map(|scenario| {
            explore
                .targets
                .iter()
                .map(move |target| (Arc::clone(scenario), *target))
        })
        .partition(|(scenario, target)| {
            scenario.schedule.explorer.of(*target) != harness::scenario::ExplorerKind::None
        });
    if !cfg!(harness_loom) {
        for (scenario, target) in &skipped {
            say!(
                "{} on {}: not explored exhaustively ({})",
                scenario.name,
                target.as_str(),
                scenario
                    .schedule
                    .reason
                    .as_deref()
                    .unwrap_or("no reason given")
            );
        }
    }
    let (here, elsewhere): (Vec<_>, Vec<_>) = work.into_iter().partition(|(scenario, target)| {
        exhaustive::runs_here(scenario.schedule.explorer.of(*target))
    });
    if !elsewhere.is_empty() {
        if cfg!(harness_loom) {
            for (scenario, target) in &elsewhere {
                say!(
                    "{} on {}: explored by shuttle's DFS in the normal build ({})",
                    scenario.name,
                    target.as_str(),
                    scenario
                        .schedule
                        .reason
                        .as_deref()
                        .unwrap_or("no reason given")
                );
            }
        } else {
            results.merge(run_loom_build(invocation, &elsewhere, explore, junit));
        }
    }
    if here.is_empty() {
        return;
    }
    let started = Instant::now();
    // One of several loom processes prints its explorations' lines; the run that started them
    // prints the one table.
    let one_of_several = cfg!(harness_loom) && std::env::var_os(LOOM_PROCESS_ENV).is_some();
    if !one_of_several {
        say!(
            "exhaustive pass on {} ({} explorations)",
            harness::rt::CHECKER,
            here.len()
        );
    }
    // A re-run command repeats the overrides, or it would re-run another exploration.
    let overrides: String = override_args(explore)
        .iter()
        .map(|arg| format!(" {arg}"))
        .collect();
    let invocation = &invocation.with_exhaustive_overrides(&overrides);
    let compare = explore.execution.is_none()
        && explore.preemption_bound.is_none()
        && explore.explorer.is_none();
    let explore_one = |(scenario, target): &(Arc<Scenario>, TargetKind)| {
        explore_one(invocation, explore, scenario, *target, compare)
    };
    // A printed trace is read whole: that run explores one at a time.
    let reports: Vec<ExhaustiveReport> = if explore.execution.is_some() {
        here.iter().map(explore_one).collect()
    } else {
        super::in_parallel(&here, |_, work| explore_one(work))
    };
    for report in &reports {
        for failure in &report.failures {
            say!("FAIL {failure}");
        }
    }
    results.add_explorations(&reports);
    if one_of_several {
        return;
    }
    print_table(&reports);
    let failed = reports.iter().filter(|r| !r.failures.is_empty()).count();
    say!(
        "exhaustive pass on {}: {} explorations passed, {failed} failed in {:.1}s",
        harness::rt::CHECKER,
        reports.len() - failed,
        started.elapsed().as_secs_f64()
    );
}

/// Explores one scenario on one target, prints its line (and the captured execution), and
/// compares its outcome set with the committed snapshot when `compare`.
fn explore_one(
    invocation: &Invocation,
    explore: &Explore,
    scenario: &Arc<Scenario>,
    target: TargetKind,
    compare: bool,
) -> ExhaustiveReport {
    let capture = explore.execution.map(|execution| Capture {
        execution,
        width: super::trace_width(explore.width, harness::trace::columns(scenario)),
    });
    let mut report = suite::run_exhaustive(scenario, target, capture, invocation);
    let exploration = &report.exploration;
    say!(
        "  {:<36} {:<8} {:>9} executions {:>4} outcomes {:>8.1}s {}",
        scenario.name,
        target.as_str(),
        exploration.executions,
        exploration.outcomes.len(),
        exploration.elapsed.as_secs_f64(),
        if report.failures.is_empty() {
            "ok"
        } else {
            "FAIL"
        }
    );
    if let Some(captured) = &exploration.captured {
        say!();
        say!(
            "execution {} of {} on {}:",
            explore.execution.unwrap_or_default(),
            scenario.name,
            target.as_str()
        );
        say!();
        say!("{}", captured.trim_end_matches('\n'));
        say!();
    }
    if compare && !matches_snapshot(invocation, &report) && !invocation.folders.read_pending {
        // (Under `bless`, a snapshot that differs is written as pending, not a failure.)
        report.failures.push(Failure::new(format!(
            "{} on {}: the exhaustive outcome set differs from {}, or that file is missing (review with `cargo insta review`, or write it with `{}`)",
            scenario.name,
            target.as_str(),
            invocation
                .folders
                .exhaustive_snapshot(&scenario.name, target)
                .display(),
            invocation.bless(&scenario.name)
        )));
    }
    report
}

/// Compares the report's outcome set with the committed exhaustive snapshot (insta writes a
/// `.snap.new` to review where they differ, except under CI).
fn matches_snapshot(invocation: &Invocation, report: &ExhaustiveReport) -> bool {
    super::compare_snapshot(
        &invocation.folders.exhaustive(),
        &exhaustive::snapshot_name(&report.scenario.name, report.target),
        suite::exhaustive_snapshot(report),
    )
}

fn print_table(reports: &[ExhaustiveReport]) {
    let rows: Vec<TableRow> = reports
        .iter()
        .map(|report| {
            let exploration = &report.exploration;
            TableRow {
                scenario: &report.scenario,
                target: report.target,
                executions: exploration.executions,
                outcomes: exploration.outcomes.len(),
                violated: exploration
                    .violated()
                    .iter()
                    .map(|property| property.id().to_owned())
                    .collect(),
                seconds: exploration.elapsed.as_secs_f64(),
                passed: report.failures.is_empty(),
            }
        })
        .collect();
    print_rows(&rows);
}

/// One exploration's line of the table.
struct TableRow<'a> {
    scenario: &'a Scenario,
    target: TargetKind,
    executions: usize,
    outcomes: usize,
    violated: Vec<String>,
    seconds: f64,
    passed: bool,
}

fn print_rows(rows: &[TableRow<'_>]) {
    say!();
    say!(
        "{:<36} {:<8} {:<12} {:>5} {:>10} {:>8} {:<34} {:>8} verdict",
        "scenario",
        "target",
        "explorer",
        "bound",
        "executions",
        "outcomes",
        "violated",
        "time"
    );
    for row in rows {
        let schedule = &row.scenario.schedule;
        say!(
            "{:<36} {:<8} {:<12} {:>5} {:>10} {:>8} {:<34} {:>7.1}s {}",
            row.scenario.name,
            row.target.as_str(),
            schedule.explorer.of(row.target).as_str(),
            schedule.preemption_bound.of(row.target),
            row.executions,
            row.outcomes,
            if row.violated.is_empty() {
                "-".to_owned()
            } else {
                row.violated.join(",")
            },
            row.seconds,
            if row.passed { "ok" } else { "FAIL" }
        );
    }
    say!();
}

/// Runs the loom explorations in the loom build named by `HARNESS_LOOM_BINARY`, with this
/// run's folders and program (its printed commands are this run's).
/// At `--jobs` above 1, one loom process per scenario ([`run_in_processes`]), each reporting
/// JSON; else one process for all, which with `junit` (or in JSON mode) reports JSON on its
/// stdout, read here, and otherwise prints its own report.
fn run_loom_build(
    invocation: &Invocation,
    work: &[(Arc<Scenario>, TargetKind)],
    explore: &Explore,
    junit: bool,
) -> Results {
    let mut names: Vec<String> = work.iter().map(|(s, _)| s.name.clone()).collect();
    names.dedup();
    let structured = junit || super::json();
    // The harness never builds itself: `cargo xtask` builds the loom build and names it here.
    let Some(binary) = std::env::var_os(exhaustive::LOOM_BINARY_ENV).map(PathBuf::from) else {
        let command = invocation.loom_command(
            &shlex::try_join(loom_args(&names, explore).iter().map(String::as_str))
                .unwrap_or_default(),
        );
        let run_as = if invocation.runs_through_xtask() {
            format!("run them with `{command}`, which builds it first, or ")
        } else {
            String::new()
        };
        return failed(format!(
            "the loom explorations ({}) need the harness's loom build: {run_as}set {} to a harness built with RUSTFLAGS=\"--cfg harness_loom\" (as `cargo xtask` does)",
            names.join(", "),
            exhaustive::LOOM_BINARY_ENV
        ));
    };
    // The oracle's references, which only this build can compute, go to the loom build in a
    // temporary file named for this process.
    let references = match hand_references(work, &std::env::temp_dir()) {
        Ok(path) => path,
        Err(error) => {
            return failed(format!(
                "cannot hand the loom build its references: {error}"
            ))
        }
    };
    let processes = super::jobs().min(names.len());
    let results = if processes > 1 && explore.execution.is_none() {
        run_in_processes(invocation, &binary, work, &names, explore, &references)
    } else {
        let mut command = loom_command(invocation, &binary, &names, explore);
        // The loom build explores as many at once as this run was told to.
        command
            .env(super::JOBS_ENV, super::jobs().to_string())
            .env(exhaustive::REFERENCES_ENV, &references);
        say!(
            "loom explorations run in the loom build ({}):",
            quote(&binary)
        );
        run_command(command, structured)
    };
    let _ = std::fs::remove_file(references);
    results
}

/// A failure to run the loom build: said at once, and it fails the results.
fn failed(message: String) -> Results {
    eprintln!("error: {message}");
    let mut failed = Results::new("exhaustive");
    failed.passed = false;
    failed.errors.push(message);
    failed
}

/// Set for a loom build started as one of several processes: it prints its explorations'
/// lines and failures, and the run that started it prints the table.
const LOOM_PROCESS_ENV: &str = "HARNESS_LOOM_PROCESS";

/// Runs the loom build once per scenario, `--jobs` processes at once (started in the
/// scenarios' order), and merges their results. Processes, not threads: loom maps and unmaps a
/// stack per thread per execution, and the threads of one process queue on that process's
/// memory map (two jobs in one process explored no faster than one); processes share none.
/// Each process's lines are printed whole when it ends, and the table here, in file order.
fn run_in_processes(
    invocation: &Invocation,
    binary: &Path,
    work: &[(Arc<Scenario>, TargetKind)],
    names: &[String],
    explore: &Explore,
    references: &Path,
) -> Results {
    let started = Instant::now();
    say!(
        "loom explorations run in the loom build ({}), {} processes at once:",
        quote(binary),
        super::jobs().min(names.len())
    );
    let each: Vec<Results> = super::in_parallel(names, |_, name| {
        let mut command = loom_command(invocation, binary, std::slice::from_ref(name), explore);
        command
            .env(super::JOBS_ENV, "1")
            .env(exhaustive::REFERENCES_ENV, references)
            .env(LOOM_PROCESS_ENV, "1")
            .args(["--format", "json"]);
        match command.output() {
            Ok(output) => {
                let lines = String::from_utf8_lossy(&output.stderr);
                if !lines.trim().is_empty() {
                    say!("{}", lines.trim_end());
                }
                match serde_json::from_slice::<Results>(&output.stdout) {
                    Ok(results) => {
                        // Its input errors are this run's, reported here already.
                        let mut results = Results {
                            errors: Vec::new(),
                            ..results
                        };
                        if results.passed && !output.status.success() {
                            results.merge(failed(format!(
                                "the loom build reported {name} as passed but exited with {}",
                                output.status
                            )));
                        }
                        results
                    }
                    Err(error) => failed(format!(
                        "the loom build's results for {name} do not read as JSON ({error}); it exited with {}",
                        output.status
                    )),
                }
            }
            Err(error) => failed(format!("cannot run the loom build: {error}")),
        }
    });
    let mut results = Results::new("exhaustive");
    for one in each {
        results.merge(one);
    }
    let rows: Vec<TableRow> = results
        .cases
        .iter()
        .filter_map(|case| {
            let (scenario, target) = work.iter().find(|(scenario, target)| {
                scenario.name == case.scenario && target.as_str() == case.target
            })?;
            Some(TableRow {
                scenario,
                target: *target,
                executions: case.executions,
                outcomes: case.outcomes,
                violated: case.violated.clone(),
                seconds: case.seconds.unwrap_or_default(),
                passed: case.passed,
            })
        })
        .collect();
    print_rows(&rows);
    let failed = rows.iter().filter(|row| !row.passed).count();
    // A process that failed without reporting (said above, with why) has no rows.
    let unreported = match results.errors.len() {
        0 => String::new(),
        n => format!(", and {n} loom processes failed (see the errors above)"),
    };
    say!(
        "exhaustive pass on loom: {} explorations passed, {failed} failed{unreported} in {:.1}s ({} processes)",
        rows.len() - failed,
        started.elapsed().as_secs_f64(),
        names.len()
    );
    results
}

/// The loom build's command for the scenarios `names`, with this run's folders, program name
/// (so that it prints this run's commands) and overrides.
fn loom_command(
    invocation: &Invocation,
    binary: &Path,
    names: &[String],
    explore: &Explore,
) -> std::process::Command {
    let folders = &invocation.folders;
    let mut command = std::process::Command::new(binary);
    command
        .arg("--scenarios")
        .arg(&folders.scenarios)
        .arg("--snapshots")
        .arg(&folders.snapshots)
        // The child is the loom build: it must not find a loom build to start in turn.
        .env_remove(exhaustive::LOOM_BINARY_ENV)
        // It prints its own table unless it is told it is one of several processes.
        .env_remove(LOOM_PROCESS_ENV)
        .arg("--invoked-as")
        .arg(invocation.command("").trim_end())
        .args(folders.read_pending.then_some("--read-pending"))
        .args(loom_args(names, explore));
    command
}

/// The command line's overrides of every scenario's preemption bound and explorer, which a
/// re-run repeats.
fn override_args(explore: &Explore) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(bound) = explore.preemption_bound {
        args.extend(["--preemption-bound".to_owned(), bound.to_string()]);
    }
    if let Some(explorer) = explore.explorer {
        args.extend(["--explorer".to_owned(), explorer.as_str().to_owned()]);
    }
    args
}

/// The `run --scheduler exhaustive` arguments of the loom explorations: the scenarios and the
/// overrides of this run.
fn loom_args(names: &[String], explore: &Explore) -> Vec<String> {
    let mut args: Vec<String> = ["run", "--scheduler", "exhaustive"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    args.extend(names.iter().cloned());
    if let [target] = explore.targets.as_slice() {
        args.extend(["--target".to_owned(), target.as_str().to_owned()]);
    }
    if let Some(execution) = explore.execution {
        args.extend(["--execution".to_owned(), execution.to_string()]);
    }
    args.extend(override_args(explore));
    if let Some(width) = explore.width {
        args.extend(["--width".to_owned(), width.to_string()]);
    }
    args
}

/// Computes the oracle's reference of each exploration in `work` and writes them, as JSON, to a
/// file of `dir` named for this process.
fn hand_references(
    work: &[(Arc<Scenario>, TargetKind)],
    dir: &Path,
) -> std::io::Result<std::path::PathBuf> {
    let references: BTreeMap<String, oracle::Reference> = work
        .iter()
        .filter_map(|(scenario, target)| {
            let reference = oracle::reference_unless_opted_out(scenario, *target)?;
            Some((
                exhaustive::snapshot_name(&scenario.name, *target),
                reference,
            ))
        })
        .collect();
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("references-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&references)?)?;
    Ok(path)
}

/// Runs the loom build's command and reads its results (`structured`: JSON on its stdout).
fn run_command(mut command: std::process::Command, structured: bool) -> Results {
    if !structured {
        return match command.status() {
            Ok(status) => Results {
                passed: status.success(),
                ..Results::new("exhaustive")
            },
            Err(error) => failed(format!("cannot run the loom build: {error}")),
        };
    }
    command
        .args(["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    match command.output() {
        Ok(output) => match serde_json::from_slice::<Results>(&output.stdout) {
            // Its input errors are this run's, reported here already.
            Ok(results) => Results {
                errors: Vec::new(),
                ..results
            },
            Err(error) => failed(format!(
                "the loom build's results do not read as JSON ({error}); it exited with {}",
                output.status
            )),
        },
        Err(error) => failed(format!("cannot run the loom build: {error}")),
    }
}

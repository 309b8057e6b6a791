//! `harness run --scheduler exhaustive`: the exhaustive pass. Each scenario is explored by its
//! own explorer: loom in the loom build of this same command (which the normal build runs as a
//! child process, `ci/exhaustive.sh`), shuttle's DFS in the normal build. Each build checks the
//! expectations of the scenarios it explores and compares their outcome sets with the committed
//! exhaustive snapshots.

use harness::exhaustive;
use harness::properties::Property;
use harness::scenario::{ExplorerKind, PerTarget, Scenario};
use harness::suite::{self, ExhaustiveReport};
use harness::target::TargetKind;
use std::path::Path;
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
}

/// Runs the exhaustive pass over the scenarios named (all when none is).
pub fn run(folder: &Path, names: &[String], explore: &Explore) -> Result<bool, String> {
    let mut scenarios = crate::load_all(folder, names)?;
    for scenario in &mut scenarios {
        let mut changed = Scenario::clone(scenario);
        if let Some(bound) = explore.preemption_bound {
            changed.schedule.preemption_bound = PerTarget::both(bound);
        }
        if let Some(explorer) = explore.explorer {
            changed.schedule.explorer = PerTarget::both(explorer);
        }
        *scenario = Arc::new(changed);
    }
    let work: Vec<(Arc<Scenario>, TargetKind)> = scenarios
        .iter()
        .flat_map(|scenario| {
            explore
                .targets
                .iter()
                .map(move |target| (Arc::clone(scenario), *target))
        })
        .collect();
    let (here, elsewhere): (Vec<_>, Vec<_>) = work.into_iter().partition(|(scenario, target)| {
        exhaustive::runs_here(scenario.schedule.explorer.of(*target))
    });
    let mut passed = true;
    if !elsewhere.is_empty() {
        if cfg!(harness_loom) {
            for (scenario, target) in &elsewhere {
                println!(
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
            let mut names: Vec<String> = elsewhere.iter().map(|(s, _)| s.name.clone()).collect();
            names.dedup();
            passed &= run_loom_build(folder, &names, explore)?;
        }
    }
    if here.is_empty() {
        return Ok(passed);
    }
    let started = Instant::now();
    println!(
        "exhaustive pass on {} ({} explorations)",
        harness::rt::CHECKER,
        here.len()
    );
    let compare = explore.execution.is_none()
        && explore.preemption_bound.is_none()
        && explore.explorer.is_none();
    let mut reports = Vec::new();
    for (scenario, target) in &here {
        let report = suite::run_exhaustive(scenario, *target, explore.execution);
        let exploration = &report.exploration;
        println!(
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
            println!();
            println!(
                "execution {} of {} on {}:",
                explore.execution.unwrap_or_default(),
                scenario.name,
                target.as_str()
            );
            println!();
            print!("{captured}");
            println!();
        }
        if compare && !matches_snapshot(&report) {
            passed = false;
            println!(
                "FAIL {} on {}: the exhaustive outcome set differs from snapshots/exhaustive/{}.snap (review with `cargo insta review`)",
                scenario.name,
                target.as_str(),
                exhaustive::snapshot_name(&scenario.name, *target)
            );
        }
        reports.push(report);
    }
    for report in &reports {
        for failure in &report.failures {
            passed = false;
            println!("FAIL {failure}");
        }
    }
    print_table(&reports);
    let failed = reports.iter().filter(|r| !r.failures.is_empty()).count();
    println!(
        "exhaustive pass on {}: {} explorations passed, {failed} failed in {:.1}s",
        harness::rt::CHECKER,
        reports.len() - failed,
        started.elapsed().as_secs_f64()
    );
    Ok(passed)
}

/// Compares the report's outcome set with the committed exhaustive snapshot (insta writes a
/// `.snap.new` to review where they differ, except under CI).
fn matches_snapshot(report: &ExhaustiveReport) -> bool {
    let text = suite::exhaustive_snapshot(report);
    let name = exhaustive::snapshot_name(&report.scenario.name, report.target);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(exhaustive::snapshot_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // insta prints the difference itself; its panic is only how it reports a mismatch.
    harness::runner::quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name, text))
        }))
    })
    .is_ok()
}

fn print_table(reports: &[ExhaustiveReport]) {
    println!();
    println!(
        "{:<36} {:<8} {:<12} {:>5} {:>10} {:>8} {:<34} {:>8} verdict",
        "scenario", "target", "explorer", "bound", "executions", "outcomes", "violated", "time"
    );
    for report in reports {
        let schedule = &report.scenario.schedule;
        let exploration = &report.exploration;
        let violated: Vec<&str> = exploration.violated().iter().map(Property::id).collect();
        println!(
            "{:<36} {:<8} {:<12} {:>5} {:>10} {:>8} {:<34} {:>7.1}s {}",
            report.scenario.name,
            report.target.as_str(),
            schedule.explorer.of(report.target).as_str(),
            schedule.preemption_bound.of(report.target),
            exploration.executions,
            exploration.outcomes.len(),
            if violated.is_empty() {
                "-".to_owned()
            } else {
                violated.join(",")
            },
            exploration.elapsed.as_secs_f64(),
            if report.failures.is_empty() {
                "ok"
            } else {
                "FAIL"
            }
        );
    }
    println!();
}

/// Runs the loom explorations in the loom build of this command, in its own target directory,
/// exactly as `ci/exhaustive.sh` does.
fn run_loom_build(folder: &Path, names: &[String], explore: &Explore) -> Result<bool, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} --cfg harness_loom"),
        _ => "--cfg harness_loom".to_owned(),
    };
    let mut command = std::process::Command::new(cargo);
    command
        .env("RUSTFLAGS", rustflags)
        .arg("run")
        .arg("--release")
        .arg("--quiet")
        .arg("-p")
        .arg("harness")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(workspace.join("target/loom"))
        .arg("--")
        .arg("--scenarios")
        .arg(folder)
        .args(["run", "--scheduler", "exhaustive"])
        .args(names);
    if let [target] = explore.targets.as_slice() {
        command.args(["--target", target.as_str()]);
    }
    if let Some(execution) = explore.execution {
        command.args(["--execution", &execution.to_string()]);
    }
    if let Some(bound) = explore.preemption_bound {
        command.args(["--preemption-bound", &bound.to_string()]);
    }
    if let Some(explorer) = explore.explorer {
        command.args(["--explorer", explorer.as_str()]);
    }
    println!("loom explorations run in the loom build (as `bash ci/exhaustive.sh` does):");
    let status = command
        .status()
        .map_err(|error| format!("cannot run cargo for the loom build: {error}"))?;
    Ok(status.success())
}

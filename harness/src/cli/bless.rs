//! `harness bless`: adds scenarios in one step. Each file is validated; its sequential outcomes
//! (the oracle's reference) are computed; it is explored exhaustively (loom in its own build, or
//! shuttle's DFS); the randomized check runs against those outcome sets; and every snapshot is
//! written, pending for `cargo insta review` or accepted with `--accept`.

use super::{explore, run, Outcome};
use harness::invocation::{Folders, Invocation};
use harness::suite::{self, RunOptions};
use harness::target::TargetKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Blesses the scenarios `names`.
pub fn bless(invocation: &Invocation, names: &[String], accept: bool) -> Outcome {
    // insta reads how to write snapshots from the environment at its first assertion; the loom
    // build started below inherits it. Set before any other thread exists.
    std::env::set_var("INSTA_UPDATE", if accept { "always" } else { "new" });
    // What was written is listed at the end; insta's own report of each would drown it.
    std::env::set_var("INSTA_OUTPUT", "none");
    let mut invocation = invocation.clone();
    invocation.folders.read_pending = !accept;
    let loaded = super::load(&invocation, names);
    let input = loaded.report_errors();
    // (clap requires at least one name; each either loads or is an error in `input`.)
    if loaded.scenarios.is_empty() {
        return input;
    }
    let folders = &invocation.folders;
    let files: Vec<(String, Vec<PathBuf>)> = loaded
        .scenarios
        .iter()
        .map(|scenario| {
            let mut files = vec![folders.scenario_snapshot(&scenario.name)];
            files.extend(
                TargetKind::ALL
                    .iter()
                    .filter(|target| {
                        scenario.schedule.explorer.of(**target)
                            != harness::scenario::ExplorerKind::None
                    })
                    .map(|target| folders.exhaustive_snapshot(&scenario.name, *target)),
            );
            (scenario.name.clone(), files)
        })
        .collect();
    // A pending file left from an earlier attempt would be read as this run's.
    for path in files.iter().flat_map(|(_, files)| files) {
        let _ = std::fs::remove_file(path.with_extension("snap.new"));
    }

    say!("1. the oracle's sequential outcomes");
    sequential_outcomes(&loaded.scenarios, folders);

    say!();
    say!("2. the exhaustive pass");
    let stems: Vec<String> = loaded.scenarios.iter().map(|s| s.name.clone()).collect();
    let explore = explore::Explore {
        targets: TargetKind::ALL.to_vec(),
        execution: None,
        preemption_bound: None,
        explorer: None,
        width: None,
    };
    let explored = explore::run(&invocation, &stems, &explore, None);

    say!();
    say!("3. the randomized check against the exhaustive outcome sets");
    let options = RunOptions::new(invocation.clone());
    let started = Instant::now();
    let reports = run::execute(&loaded.scenarios, &options, false);
    let checked = run::report(&reports, false, started);
    for report in &reports {
        super::compare_snapshot(
            &folders.snapshots,
            &report.scenario.name,
            suite::snapshot(report),
        );
    }

    list_written(&files, accept);
    explored.and(checked).and(input)
}

/// Writes each scenario's snapshot of its sequential outcomes and says how many there are.
fn sequential_outcomes(
    scenarios: &[std::sync::Arc<harness::scenario::Scenario>],
    folders: &Folders,
) {
    for scenario in scenarios {
        let report = suite::sequential_report(scenario, &TargetKind::ALL);
        super::compare_snapshot(&folders.snapshots, &scenario.name, suite::snapshot(&report));
        for target in &report.targets {
            say!(
                "   {:<36} {:<8} {:>5} sequential outcomes of {} sequential executions",
                scenario.name,
                target.target.as_str(),
                target.reference.outcomes.len(),
                target.reference.explored
            );
        }
    }
}

/// Lists what became of every snapshot file, and how to review the pending ones.
fn list_written(files: &[(String, Vec<PathBuf>)], accept: bool) {
    say!();
    say!("written:");
    let mut pending = false;
    for (name, files) in files {
        for path in files {
            let state = state_of(path, accept);
            pending |= state.starts_with("pending");
            say!("   {name:<36} {state}");
        }
    }
    if pending {
        say!();
        say!("review the pending snapshots with `cargo insta review` (or bless again with --accept), then commit them with the scenario files");
    }
}

/// What happened to the snapshot file `path`.
fn state_of(path: &Path, accept: bool) -> String {
    let pending = path.with_extension("snap.new");
    if pending.is_file() {
        format!("pending  {}", pending.display())
    } else if path.is_file() {
        let verb = if accept { "accepted" } else { "unchanged" };
        format!("{verb} {}", path.display())
    } else {
        format!("missing  {}", path.display())
    }
}

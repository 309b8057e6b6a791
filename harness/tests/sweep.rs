//! Seed sweeps that shard across machines with no coordination. Each trial is one block of base
//! seeds of one scenario on one target under one scheduler, named
//! `scenario::target::scheduler::seeds-START-END`, so `cargo nextest run --partition hash:k/n`
//! splits a sweep into n shards and a CI matrix runs one each. Results are deterministic per
//! seed, so shards merge by concatenation.
//!
//! Nothing runs unless `HARNESS_SWEEP` names the scenarios (`all`, or names separated by
//! commas); `HARNESS_SWEEP_SEEDS` is the range of base seeds (default `1..101`),
//! `HARNESS_SWEEP_BLOCK` the base seeds per trial (default 10) and `HARNESS_SWEEP_ITERATIONS`
//! overrides the scenarios' executions per base seed. Every base seed is checked as the main
//! job checks it: expected violations found, nothing else violated, every outcome inside the
//! exhaustive set.

use harness::invocation::Invocation;
use harness::scenario::{self, Scenario};
use harness::sched::SchedulerKind;
use harness::suite::{self, RunOptions};
use harness::target::TargetKind;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::sync::Arc;

fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// `HARNESS_SWEEP_SEEDS`, which must read as a non-empty `START..END`.
fn seeds() -> std::ops::Range<u64> {
    let text = std::env::var("HARNESS_SWEEP_SEEDS").unwrap_or_else(|_| "1..101".to_owned());
    let range = text.split_once("..").and_then(|(start, end)| {
        Some(start.trim().parse::<u64>().ok()?..end.trim().parse::<u64>().ok()?)
    });
    match range {
        Some(range) if !range.is_empty() => range,
        _ => panic!("HARNESS_SWEEP_SEEDS=`{text}` is not a non-empty START..END"),
    }
}

fn check(
    scenario: &Arc<Scenario>,
    target: TargetKind,
    scheduler: SchedulerKind,
    block: std::ops::Range<u64>,
) -> Result<(), Failed> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut options = RunOptions::new(Invocation::in_workspace(&workspace));
    options.targets = vec![target];
    options.schedulers = vec![scheduler];
    options.seeds = Some(block);
    options.iterations = std::env::var("HARNESS_SWEEP_ITERATIONS")
        .ok()
        .and_then(|value| value.parse().ok());
    let report = suite::run_scenario(scenario, &options, |_| {});
    let failures: Vec<String> = report
        .targets
        .iter()
        .flat_map(|t| t.every_failure.iter().map(ToString::to_string))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn main() {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    if let Ok(wanted) = std::env::var("HARNESS_SWEEP") {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let range = seeds();
        let block = var("HARNESS_SWEEP_BLOCK", 10u64).max(1);
        let files = scenario::files_in(&folder).expect("the scenarios folder is readable");
        for name in wanted.iter().filter(|name| **name != "all") {
            assert!(
                files
                    .iter()
                    .any(|file| file.file_stem().is_some_and(|stem| stem == *name)),
                "HARNESS_SWEEP names `{name}`, which is no scenario in {}",
                folder.display()
            );
        }
        for path in files {
            let scenario = Arc::new(scenario::load(&path).expect("a scenario file parses"));
            if !wanted.contains(&"all") && !wanted.contains(&scenario.name.as_str()) {
                continue;
            }
            for target in TargetKind::ALL {
                for scheduler in SchedulerKind::ALL {
                    let mut start = range.start;
                    while start < range.end {
                        let end = (start + block).min(range.end);
                        let name = format!(
                            "{}::{}::{}::seeds-{start}-{end}",
                            scenario.name,
                            target.as_str(),
                            scheduler.as_str()
                        );
                        let scenario = Arc::clone(&scenario);
                        trials.push(Trial::test(name, move || {
                            check(&scenario, target, scheduler, start..end)
                        }));
                        start = end;
                    }
                }
            }
        }
    }
    libtest_mimic::run(&arguments, trials).exit();
}

//! The `harness` command: list scenarios, run them with a summary, replay one execution with
//! its trace, and print the operation vocabulary. Exit status 0 only when every expectation
//! holds.

#[path = "cli/exhaustive.rs"]
mod exhaustive;

use clap::{Parser, Subcommand};
use harness::properties::Property;
use harness::runner::{self, Schedule};
use harness::scenario::{self, Scenario};
use harness::sched::SchedulerKind;
use harness::suite::{self, RunOptions};
use harness::target::TargetKind;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "harness",
    about = "Deterministic concurrency simulation of the OpenFeature SDK"
)]
struct Cli {
    /// The folder of scenario files.
    #[arg(long, global = true, default_value_os_t = harness::scenarios_dir())]
    scenarios: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the scenarios with their audit ids and descriptions.
    List,
    /// Runs scenarios (all by default) and prints a summary table.
    Run {
        /// Scenario names (file stems); all when none is given.
        names: Vec<String>,
        #[arg(long)]
        target: Option<TargetKind>,
        /// `random` and `pct` by default; `exhaustive` runs the exhaustive pass instead (loom,
        /// or shuttle's DFS for scenarios loom cannot model).
        #[arg(long)]
        scheduler: Option<RunScheduler>,
        /// Executions per scheduler and base seed (default: the scenario's own).
        #[arg(long)]
        iterations: Option<usize>,
        /// Runs only this base seed.
        #[arg(long)]
        seed: Option<u64>,
        /// With `--scheduler exhaustive`: prints the trace of this execution of the exploration.
        #[arg(long)]
        execution: Option<usize>,
        /// With `--scheduler exhaustive`: explores with this preemption bound instead of the
        /// scenario's own (the snapshot is then not compared).
        #[arg(long)]
        preemption_bound: Option<usize>,
        /// With `--scheduler exhaustive`: explores with this checker instead of the scenario's
        /// own, e.g. shuttle's DFS to cross-check loom (the snapshot is then not compared).
        #[arg(long)]
        explorer: Option<scenario::ExplorerKind>,
    },
    /// Re-runs exactly one execution and prints its interleaving trace.
    Replay {
        name: String,
        #[arg(long)]
        target: TargetKind,
        #[arg(long)]
        scheduler: SchedulerKind,
        /// The execution seed printed with a failure.
        #[arg(long)]
        seed: u64,
    },
    /// Prints the operations, provider behaviours, events and property ids scenario files use.
    Ops,
    /// Generates scenarios, runs each under PCT and the oracle, and writes the minimal failing
    /// case (shrunk) as a scenario file. Exits 0 when no generated case fails.
    Generate {
        #[arg(long, default_value = "sdk")]
        target: TargetKind,
        /// Generated scenarios to try.
        #[arg(long, default_value_t = 1000)]
        cases: u32,
        /// PCT executions per generated scenario.
        #[arg(long, default_value_t = 30)]
        executions: usize,
        /// Only look for violations of this property.
        #[arg(long)]
        property: Option<String>,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u8,
        /// Where a found case is written.
        #[arg(long, default_value = "scenarios/found")]
        out: PathBuf,
    },
}

/// The schedulers `harness run` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RunScheduler {
    Random,
    Pct,
    Exhaustive,
}

pub(crate) fn load_all(
    folder: &std::path::Path,
    names: &[String],
) -> Result<Vec<Arc<Scenario>>, String> {
    let files = scenario::files_in(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut scenarios = Vec::new();
    for file in files {
        let loaded = scenario::load(&file).map_err(|e| e.to_string())?;
        if names.is_empty() || names.contains(&loaded.name) {
            scenarios.push(Arc::new(loaded));
        }
    }
    for name in names {
        if !scenarios.iter().any(|s| &s.name == name) {
            return Err(format!(
                "no scenario named `{name}` in {}",
                folder.display()
            ));
        }
    }
    Ok(scenarios)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List => list(&cli.scenarios),
        Command::Run {
            names,
            target,
            scheduler,
            iterations,
            seed,
            execution,
            preemption_bound,
            explorer,
        } => {
            let targets = target.map_or_else(|| TargetKind::ALL.to_vec(), |t| vec![t]);
            match scheduler {
                Some(RunScheduler::Exhaustive) => {
                    let explore = exhaustive::Explore {
                        targets,
                        execution,
                        preemption_bound,
                        explorer,
                    };
                    exhaustive::run(&cli.scenarios, &names, &explore)
                }
                _ if cfg!(harness_loom) => Err(
                    "this is the loom build of the harness: it runs only `run --scheduler exhaustive`"
                        .to_owned(),
                ),
                _ if execution.is_some() || preemption_bound.is_some() || explorer.is_some() => {
                    Err("--execution, --preemption-bound and --explorer need --scheduler exhaustive"
                        .to_owned())
                }
                scheduler => {
                    let options = RunOptions {
                        targets,
                        schedulers: match scheduler {
                            Some(RunScheduler::Random) => vec![SchedulerKind::Random],
                            Some(RunScheduler::Pct) => vec![SchedulerKind::Pct],
                            _ => SchedulerKind::ALL.to_vec(),
                        },
                        iterations,
                        seed,
                        ..RunOptions::default()
                    };
                    run(&cli.scenarios, &names, &options)
                }
            }
        }
        Command::Replay {
            name,
            target,
            scheduler,
            seed,
        } => replay(&cli.scenarios, &name, target, scheduler, seed),
        Command::Generate {
            target,
            cases,
            executions,
            property,
            seed,
            out,
        } => generate(target, cases, executions, property, seed, &out),
        Command::Ops => {
            print!("{}", harness::ops_reference());
            Ok(true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn list(folder: &std::path::Path) -> Result<bool, String> {
    for scenario in load_all(folder, &[])? {
        println!(
            "{:<28} {:<12} {}",
            scenario.name,
            scenario.audit.join(","),
            scenario.description
        );
    }
    Ok(true)
}

fn run(folder: &std::path::Path, names: &[String], options: &RunOptions) -> Result<bool, String> {
    let scenarios = load_all(folder, names)?;
    let started = Instant::now();
    let estimate: u64 = scenarios
        .iter()
        .map(|s| {
            (options.iterations.unwrap_or(s.schedule.iterations)
                * options.schedulers.len()
                * options.targets.len()) as u64
        })
        .sum();
    let bar = ProgressBar::new(estimate);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} executions {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut reports = Vec::new();
    for scenario in &scenarios {
        bar.set_message(scenario.name.clone());
        let report = suite::run_scenario(scenario, options, || bar.inc(1));
        reports.push(report);
    }
    bar.finish_and_clear();

    let mut all_passed = true;
    for report in &reports {
        for target in &report.targets {
            for failure in &target.failures {
                all_passed = false;
                println!("FAIL {failure}");
            }
        }
    }
    println!();
    println!(
        "{:<28} {:<8} {:<7} {:>6} {:>8} {:>7} {:<26} {:>9} {:>9} verdict",
        "scenario", "target", "sched", "seq", "seq.runs", "execs", "violated", "det.med", "det.max"
    );
    for report in &reports {
        for target in &report.targets {
            for scheduler in &target.schedulers {
                let violated: Vec<&str> = scheduler.violated.iter().map(Property::id).collect();
                let detection =
                    |d: Option<usize>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
                println!(
                    "{:<28} {:<8} {:<7} {:>6} {:>8} {:>7} {:<26} {:>9} {:>9} {}",
                    report.scenario.name,
                    target.target.as_str(),
                    scheduler.scheduler.as_str(),
                    target.reference.outcomes.len(),
                    target.reference.explored,
                    scheduler.executions,
                    if violated.is_empty() {
                        "-".to_owned()
                    } else {
                        violated.join(",")
                    },
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
    let passed = reports.iter().filter(|r| r.passed()).count();
    let failed = reports.len() - passed;
    println!();
    println!("seq = distinct sequential outcomes (oracle), seq.runs = sequential executions explored; det = iteration at which every expected violation was seen, median and max over base seeds");
    println!("run time: {:.1}s", started.elapsed().as_secs_f64());
    println!("scenarios: {passed} passed, {failed} failed");
    Ok(all_passed)
}

fn replay(
    folder: &std::path::Path,
    name: &str,
    target: TargetKind,
    scheduler: SchedulerKind,
    seed: u64,
) -> Result<bool, String> {
    let scenario = load_all(folder, &[name.to_owned()])?.remove(0);
    let estimated_steps = match scheduler {
        SchedulerKind::Random => 0,
        SchedulerKind::Pct => runner::calibrate_pct(&scenario, target),
    };
    let schedule = Schedule::of(
        scheduler,
        seed,
        scenario.schedule.pct_depth,
        estimated_steps,
    );
    let reference =
        (scenario.oracle_opt_out.is_none()).then(|| runner::reference(&scenario, target));
    let mut execution = runner::execute(&scenario, target, schedule);
    if let Some(reference) = &reference {
        runner::judge_linearizable(reference, &mut execution);
    }
    println!(
        "scenario {} on {} under {} with seed {seed}",
        scenario.name,
        target.as_str(),
        scheduler.as_str()
    );
    println!();
    print!("{}", harness::trace::render(&scenario, &execution.log));
    println!();
    println!("outcome:");
    for line in execution.outcome.lines() {
        println!("  {line}");
    }
    println!();
    if execution.violations.is_empty() {
        println!("no property violated");
    } else {
        for violation in &execution.violations {
            println!("violated {violation}");
        }
    }
    Ok(true)
}

fn generate(
    target: TargetKind,
    cases: u32,
    executions: usize,
    property: Option<String>,
    seed: u8,
    out: &std::path::Path,
) -> Result<bool, String> {
    use harness::generate;
    let wanted = match property {
        Some(id) => vec![Property::from_id(&id).ok_or_else(|| {
            format!(
                "unknown property `{id}`, expected one of {}",
                Property::ids().join(", ")
            )
        })?],
        None => Vec::new(),
    };
    let started = Instant::now();
    match generate::search(target, cases, executions, &*generate::any_of(wanted), seed) {
        Ok(()) => {
            println!(
                "generate: {cases} generated scenarios on {} held ({executions} PCT executions each) in {:.1}s",
                target.as_str(),
                started.elapsed().as_secs_f64()
            );
            Ok(true)
        }
        Err(found) => {
            let (scenario, found) = *found;
            std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
            let name = format!(
                "found_{}_{}_{}",
                target.as_str(),
                found.violation.property.id().replace('-', "_"),
                found.seed
            );
            let path = out.join(format!("{name}.toml"));
            let how = format!(
                "Found by `harness generate --target {} --cases {cases} --executions {executions} --seed {seed}`, shrunk by proptest to {} operations.",
                target.as_str(),
                generate::op_count(&scenario)
            );
            std::fs::write(&path, generate::to_toml(&scenario, target, &found, &how))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!(
                "generate: found {} on {}; minimal case written to {}",
                found.violation,
                target.as_str(),
                path.display()
            );
            Ok(false)
        }
    }
}

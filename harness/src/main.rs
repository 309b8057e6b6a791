//! The `harness` command: list scenarios, run them with a summary, replay one execution with
//! its trace, generate scenarios, and print the operation vocabulary.

mod cli;

use clap::{Parser, Subcommand};
use cli::Outcome;
use harness::invocation::{Invocation, SCENARIOS_ENV, SNAPSHOTS_ENV};
use harness::scenario::{budget, ExplorerKind};
use harness::sched::SchedulerKind;
use harness::target::TargetKind;
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit status:
  0  every check held as expected
  1  a check failed: a property violated unexpectedly, an expected violation not found, a
     snapshot that differs, a generated case that fails; for `replay`, the execution violates
     a property
  2  bad input: a bad flag, a scenario file that does not parse, a name that matches no file";

#[derive(Parser)]
#[command(
    name = "harness",
    version,
    about = "Deterministic concurrency simulation of the OpenFeature SDK",
    after_help = EXIT_CODES
)]
struct Cli {
    /// The folder of scenario files [default: `scenarios/` of the nearest workspace upwards
    /// from the current directory].
    #[arg(long, global = true, env = SCENARIOS_ENV, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    /// The folder of snapshots (exhaustive ones in its `exhaustive/`) [default: the
    /// workspace's `harness/snapshots` for its own scenario folder, else `snapshots/` inside the
    /// scenario folder].
    #[arg(long, global = true, env = SNAPSHOTS_ENV, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// How printed commands start the harness (set by the exhaustive pass for its loom build).
    #[arg(long, global = true, hide = true)]
    invoked_as: Option<String>,
    /// Reads pending snapshots (`.snap.new`) before committed ones (set by `bless` for the
    /// loom build it starts).
    #[arg(long, global = true, hide = true)]
    read_pending: bool,
    /// How many scenarios (or explorations) run at once: each runs its executions one at a
    /// time, so a run uses this many cores. Results and snapshots do not depend on it
    /// [default: the cores available].
    #[arg(long, global = true, env = cli::JOBS_ENV, value_parser = in_range(1..=1024))]
    jobs: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the scenarios with their audit ids and descriptions; a file that does not parse
    /// is reported and skipped.
    #[command(after_help = EXIT_CODES)]
    List,
    /// Runs scenarios (all by default) and prints a summary table.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Re-runs exactly one execution and prints its interleaving trace, one column per thread.
    #[command(after_help = EXIT_CODES)]
    Replay {
        /// The scenario: a file stem, a file name or the path of a file in the scenario folder.
        #[arg(value_name = "SCENARIO")]
        name: String,
        /// The target the execution ran on.
        #[arg(long)]
        target: TargetKind,
        /// The scheduler the execution ran under.
        #[arg(long)]
        scheduler: SchedulerKind,
        /// The execution seed printed with a failure.
        #[arg(long)]
        seed: u64,
        /// The width of one trace column [default: fits the terminal; 44 when the output is
        /// not a terminal].
        #[arg(long, value_parser = in_range(harness::trace::MIN_WIDTH..=1000))]
        width: Option<usize>,
    },
    /// Adds scenarios in one step: validates each file, computes its sequential outcomes,
    /// explores it exhaustively, runs the randomized check against those outcomes, and writes
    /// every snapshot, pending for `cargo insta review` (or accepted with `--accept`).
    #[command(after_help = EXIT_CODES)]
    Bless {
        /// The scenarios to add: file stems, file names or paths of files in the scenario folder.
        #[arg(value_name = "SCENARIO", required = true)]
        names: Vec<String>,
        /// Writes the snapshots in place instead of pending for review.
        #[arg(long)]
        accept: bool,
    },
    /// Prints the operations, provider behaviours, events and property ids scenario files use.
    Ops,
    /// Measures what each scenario does on each target under the main job's budget (every
    /// property allowed, no snapshot needed) and prints the `[expect]` lines that match: how a
    /// new target's expectations are first written. Review each before pasting it: a line
    /// says what happened, not why.
    #[command(after_help = EXIT_CODES)]
    Measure {
        /// Scenarios to measure (all when none is given).
        #[arg(value_name = "SCENARIO")]
        names: Vec<String>,
        /// Measures only this target [default: every one].
        #[arg(long)]
        target: Option<TargetKind>,
    },
    /// Generates scenarios, runs each under PCT and the oracle, and writes the minimal failing
    /// case (shrunk) as a scenario file with the expectations it was measured to meet.
    #[command(after_help = EXIT_CODES)]
    Generate {
        /// The target the generated scenarios must hold on.
        #[arg(long, default_value = "sdk")]
        target: TargetKind,
        /// Generated scenarios to try.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        cases: u32,
        /// PCT executions per generated scenario.
        #[arg(long, default_value_t = 30, value_parser = in_range(budget::ITERATIONS))]
        executions: usize,
        /// Only looks for violations of this property (an id of `harness ops`).
        #[arg(long)]
        property: Option<String>,
        /// The generator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where a found case is written [default: `found/` in the scenario folder].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// How the result is printed: `json` prints one JSON document on stdout (schema
        /// `harness-results/1`) and the human-readable report on stderr.
        #[arg(long, value_enum, default_value_t = cli::Format::Text)]
        format: cli::Format,
        /// The base seeds a found case's expectations are measured over (the main job checks
        /// 20).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
        detection_seeds: u64,
    },
}

/// The schedulers `harness run` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RunScheduler {
    /// Shuttle's random scheduler.
    Random,
    /// PCT (probabilistic concurrency testing) with the scenario's depth.
    Pct,
    /// The exhaustive pass: every interleaving within the preemption bound.
    Exhaustive,
}

/// A clap parser for a `usize` within `range`.
fn in_range(
    range: std::ops::RangeInclusive<usize>,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text| {
        let value: u64 = text
            .parse()
            .map_err(|_| format!("`{text}` is not a whole number"))?;
        usize::try_from(value)
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| format!("{value} is not from {} to {}", range.start(), range.end()))
    }
}

/// The most base seeds one run takes.
const MAX_SEEDS: u64 = 1_000_000;

/// A clap parser for `START..END`, a non-empty range of at most [`MAX_SEEDS`] base seeds.
fn seed_range(text: &str) -> Result<std::ops::Range<u64>, String> {
    let (start, end) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not START..END"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{part}` is not a whole number"))
    };
    let (start, end) = (number(start)?, number(end)?);
    if start >= end {
        return Err(format!("{start}..{end} is empty: END is excluded"));
    }
    if end - start > MAX_SEEDS {
        return Err(format!(
            "{start}..{end} is {} base seeds; one run takes at most {MAX_SEEDS} (split a larger sweep, see the README)",
            end - start
        ));
    }
    Ok(start..end)
}

fn main() -> ExitCode {
    // A closed pipe (`harness run | head`) ends the program as it ends any Unix filter, by
    // SIGPIPE, instead of a panic in the middle of a report.
    sigpipe::reset();
    ignore_shuttle_seed();
    let cli = Cli::parse();
    cli::set_jobs(cli.jobs);
    let outcome = match Invocation::detect(cli.scenarios, cli.snapshots, cli.invoked_as) {
        Ok(mut invocation) => {
            invocation.folders.read_pending = cli.read_pending;
            dispatch(cli.command, &invocation)
        }
        Err(message) => Outcome::bad_input(message),
    };
    outcome.exit()
}

/// Shuttle's random scheduler takes its seed from `SHUTTLE_RANDOM_SEED`, when that is set, in
/// place of the seed it is given: every execution of a run would then follow one schedule, and
/// a printed seed would not replay. The harness gives every execution its own seed, so the
/// variable is removed (before any thread starts, and so from the loom build's environment
/// too), with a warning.
fn ignore_shuttle_seed() {
    const SHUTTLE_SEED: &str = "SHUTTLE_RANDOM_SEED";
    if std::env::var_os(SHUTTLE_SEED).is_some() {
        eprintln!(
            "warning: {SHUTTLE_SEED} is ignored: the harness gives every execution its own seed (replay one with `replay --seed`)"
        );
        std::env::remove_var(SHUTTLE_SEED);
    }
}

/// The arguments of `harness run`.
#[derive(clap::Args)]
struct RunArgs {
    /// Scenarios to run: file stems (`a01_double_shutdown`), file names or paths of files
    /// in the scenario folder; all when none is given.
    #[arg(value_name = "SCENARIO")]
    names: Vec<String>,
    /// Runs only this target [default: every one].
    #[arg(long)]
    target: Option<TargetKind>,
    /// `random` and `pct` by default; `exhaustive` runs the exhaustive pass instead (loom,
    /// or shuttle's DFS for scenarios loom cannot model).
    #[arg(long)]
    scheduler: Option<RunScheduler>,
    /// Executions per scheduler and base seed [default: the scenario's own].
    #[arg(long, value_parser = in_range(budget::ITERATIONS))]
    iterations: Option<usize>,
    /// Runs only this base seed [default: base seeds 1 to 20].
    #[arg(long, conflicts_with = "seeds", value_parser = clap::value_parser!(u64).range(..u64::MAX))]
    seed: Option<u64>,
    /// Runs the base seeds START..END (END excluded): one block of a sweep.
    #[arg(long, value_name = "START..END", value_parser = seed_range)]
    seeds: Option<std::ops::Range<u64>>,
    /// Prints every failure, one per base seed, instead of one line per property.
    #[arg(long, short)]
    verbose: bool,
    /// How the results are printed: `json` prints one JSON document on stdout (schema
    /// `harness-results/1`) and the human-readable report on stderr.
    #[arg(long, value_enum, default_value_t = cli::Format::Text)]
    format: cli::Format,
    /// Writes the results as a JUnit XML report to FILE (a test case per scenario × target
    /// × scheduler, failures with the commands that replay them).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Writes the report of the races the Python SDK's head still has (the audit ids fixed,
    /// still open or changed, with replay commands) to FILE, from this run's reports; the run
    /// must cover the `audited` and `python-head` targets (`scenarios/PYTHON_HEAD.md` is this
    /// report of the main job).
    #[arg(long, value_name = "FILE")]
    head_report: Option<PathBuf>,
    /// Stops at the first failure: the first execution that violates a property its scenario
    /// does not allow ends that scenario's run (no further executions, base seeds, schedulers
    /// or targets), and no later scenario runs.
    #[arg(long)]
    fail_fast: bool,
    /// With `--scheduler exhaustive`: prints the trace of this execution of the exploration.
    #[arg(long)]
    execution: Option<usize>,
    /// With `--scheduler exhaustive`: explores with this preemption bound instead of the
    /// scenario's own (the snapshot is then not compared).
    #[arg(long, value_parser = in_range(budget::PREEMPTION_BOUND))]
    preemption_bound: Option<usize>,
    /// With `--scheduler exhaustive`: explores with this checker instead of the scenario's
    /// own, e.g. shuttle's DFS to cross-check loom (the snapshot is then not compared).
    #[arg(long)]
    explorer: Option<ExplorerKind>,
    /// With `--execution`: the width of one trace column [default: fits the terminal; 44
    /// when the output is not a terminal].
    #[arg(long, value_parser = in_range(harness::trace::MIN_WIDTH..=1000))]
    width: Option<usize>,
}

fn dispatch(command: Command, invocation: &Invocation) -> Outcome {
    match command {
        Command::List => cli::list(invocation),
        Command::Run(args) => run(args, invocation),
        Command::Replay {
            name,
            target,
            scheduler,
            seed,
            width,
        } => cli::replay(invocation, &name, target, scheduler, seed, width),
        Command::Generate {
            target,
            cases,
            executions,
            property,
            seed,
            out,
            format,
            detection_seeds,
        } => {
            cli::set_format(format);
            let out = match (out, &invocation.missing) {
                (Some(out), _) => out,
                (None, None) => invocation.folders.scenarios.join("found"),
                (None, Some(missing)) => {
                    return Outcome::bad_input(format!("{missing}; or give `--out DIR`"))
                }
            };
            let search = cli::generate::Search {
                target,
                cases,
                executions,
                property,
                seed,
                detection_seeds,
            };
            cli::generate::generate(invocation, &search, &out)
        }
        Command::Bless { names, accept } => cli::bless::bless(invocation, &names, accept),
        Command::Measure { names, target } => {
            let targets = target.map_or_else(|| TargetKind::ALL.to_vec(), |t| vec![t]);
            cli::measure(invocation, &names, &targets)
        }
        Command::Ops => {
            print!("{}", harness::ops_reference());
            Outcome::Passed
        }
    }
}

/// `harness run`: the randomized schedulers, or the exhaustive pass.
fn run(args: RunArgs, invocation: &Invocation) -> Outcome {
    let RunArgs {
        names,
        target,
        scheduler,
        iterations,
        seed,
        seeds,
        verbose,
        format,
        junit,
        head_report,
        fail_fast,
        execution,
        preemption_bound,
        explorer,
        width,
    } = args;
    cli::set_format(format);
    let targets = target.map_or_else(|| TargetKind::ALL.to_vec(), |t| vec![t]);
    let randomized_only = iterations.is_some()
        || seed.is_some()
        || seeds.is_some()
        || verbose
        || fail_fast
        || head_report.is_some();
    let exhaustive_only =
        execution.is_some() || preemption_bound.is_some() || explorer.is_some() || width.is_some();
    match scheduler {
        Some(RunScheduler::Exhaustive) if randomized_only => Outcome::bad_input(
            "--iterations, --seed, --seeds, --verbose, --fail-fast and --head-report are for the randomized schedulers, not --scheduler exhaustive",
        ),
        Some(RunScheduler::Exhaustive) => {
            let explore = cli::explore::Explore {
                targets,
                execution,
                preemption_bound,
                explorer,
                width,
            };
            cli::explore::run(invocation, &names, &explore, junit.as_deref())
        }
        _ if cfg!(harness_loom) => Outcome::bad_input(
            "this is the loom build of the harness: it runs only `run --scheduler exhaustive`",
        ),
        _ if exhaustive_only => Outcome::bad_input(
            "--execution, --preemption-bound, --explorer and --width need --scheduler exhaustive",
        ),
        scheduler => {
            let schedulers = match scheduler {
                Some(RunScheduler::Random) => vec![SchedulerKind::Random],
                Some(RunScheduler::Pct) => vec![SchedulerKind::Pct],
                _ => SchedulerKind::ALL.to_vec(),
            };
            let mut options = harness::suite::RunOptions::new(invocation.clone());
            options.targets = targets;
            options.schedulers = schedulers;
            options.iterations = iterations;
            options.seeds = seeds.or(seed.map(|seed| seed..seed + 1));
            options.stop_at_first_failure = fail_fast;
            let output = cli::run::Output {
                verbose,
                junit,
                head_report,
                fail_fast,
            };
            cli::run::run(&names, &options, &output)
        }
    }
}

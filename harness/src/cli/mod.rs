//! The command's subcommands, and what they share: finding scenarios by name, reporting bad
//! files, the report's format, and the exit status.

/// Prints a line of the human-readable report: to stdout, or to stderr when stdout carries the
/// JSON results (`--format json`).
macro_rules! say {
    () => {
        if $crate::cli::json() { eprintln!() } else { println!() }
    };
    ($($arg:tt)*) => {
        if $crate::cli::json() { eprintln!($($arg)*) } else { println!($($arg)*) }
    };
}

pub mod bless;
pub mod explore;
pub mod generate;
pub mod run;

use harness::invocation::Invocation;
use harness::oracle;
use harness::runner::{self, Schedule};
use harness::scenario::{self, Scenario};
use harness::sched::SchedulerKind;
use harness::target::TargetKind;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The human-readable report on stdout.
    #[default]
    Text,
    /// One JSON document on stdout (schema `harness-results/1`, see the README); the
    /// human-readable report goes to stderr.
    Json,
}

static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How many scenarios or explorations run at once (0: the cores available).
static JOBS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many scenarios or explorations run at once (`--jobs`; the cores available when
/// `None`).
pub fn set_jobs(jobs: Option<usize>) {
    let jobs = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    JOBS.store(jobs.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The environment variable `--jobs` is read from (and handed to the loom build in).
pub const JOBS_ENV: &str = "HARNESS_JOBS";

/// How many scenarios or explorations run at once.
pub fn jobs() -> usize {
    JOBS.load(std::sync::atomic::Ordering::Relaxed).max(1)
}

/// `work` applied to every item, up to `--jobs` at once, started in the items' order, the
/// results in that order. `work` is given each item's index. Every scenario's executions run
/// on one OS thread (the checkers keep their state per thread), so what a run reports does not
/// depend on how many run at once; only the order of the progress lines does.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let one_at_a_time = || {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| work(i, item))
            .collect()
    };
    let jobs = jobs();
    if jobs == 1 || items.len() < 2 {
        return one_at_a_time();
    }
    // The main thread's stack size: a run used to be one thread, and some scenarios recurse.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.min(items.len()))
        .stack_size(8 << 20)
        .thread_name(|index| format!("harness-job-{index}"))
        .build();
    // No threads to be had: one at a time, as `--jobs 1` does.
    let Ok(pool) = pool else {
        return one_at_a_time();
    };
    // `par_bridge` hands the items out in order (a scenario file's place in the run is also
    // where it starts); the results come back in any order and are put back in place.
    let mut done: Vec<(usize, R)> = pool.install(|| {
        items
            .iter()
            .enumerate()
            .par_bridge()
            .map(|(i, item)| (i, work(i, item)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Sets the format of this run of the program (once, before any output or thread).
pub fn set_format(format: Format) {
    JSON.store(format == Format::Json, std::sync::atomic::Ordering::Relaxed);
    if format == Format::Json {
        // insta prints a differing snapshot on stdout, which carries the JSON here; the failure
        // names the file to review with `cargo insta review`, which shows the difference.
        std::env::set_var("INSTA_OUTPUT", "none");
    }
}

/// Whether stdout carries JSON.
pub fn json() -> bool {
    JSON.load(std::sync::atomic::Ordering::Relaxed)
}

/// Writes `results` as JUnit XML to `junit` and prints them as JSON (in JSON mode). Errors
/// fail the results: `passed` is true exactly when the exit status is 0.
pub fn publish(mut results: harness::results::Results, junit: Option<&Path>) -> Outcome {
    let mut outcome = Outcome::Passed;
    if let Some(path) = junit {
        if let Err(error) = std::fs::write(path, results.to_junit()) {
            let message = format!("{}: {error}", path.display());
            results.errors.push(message.clone());
            outcome = Outcome::bad_input(message);
        }
    }
    results.passed &= results.errors.is_empty();
    if json() {
        print!("{}", results.to_json());
    }
    outcome
}

/// How a command ended; the exit status is documented in `--help`.
#[derive(Debug)]
pub enum Outcome {
    /// Every check held as expected (exit 0).
    Passed,
    /// A check failed (exit 1); the report says which.
    Failed,
    /// The input was bad (exit 2): the messages say what, or were printed already.
    BadInput(Vec<String>),
}

impl Outcome {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput(vec![message.into()])
    }

    /// `Passed` or `Failed`.
    pub fn of(passed: bool) -> Self {
        if passed {
            Self::Passed
        } else {
            Self::Failed
        }
    }

    /// The worse of two outcomes (bad input over failure over a pass), messages kept.
    pub fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::BadInput(mut a), Self::BadInput(b)) => {
                a.extend(b);
                Self::BadInput(a)
            }
            (bad @ Self::BadInput(_), _) | (_, bad @ Self::BadInput(_)) => bad,
            (Self::Failed, _) | (_, Self::Failed) => Self::Failed,
            _ => Self::Passed,
        }
    }

    pub fn exit(self) -> ExitCode {
        match self {
            Self::Passed => ExitCode::SUCCESS,
            Self::Failed => ExitCode::FAILURE,
            Self::BadInput(messages) => {
                for message in messages {
                    eprintln!("error: {message}");
                }
                ExitCode::from(2)
            }
        }
    }
}

/// The scenarios a command asked for, and what could not be loaded.
pub struct Loaded {
    pub scenarios: Vec<Arc<Scenario>>,
    /// One message per file that does not parse and per name that matches no file.
    pub errors: Vec<String>,
}

impl Loaded {
    /// Prints the errors (to stderr, at once, so a long run shows them first) and returns the
    /// outcome they make: bad input when there were any.
    pub fn report_errors(&self) -> Outcome {
        for error in &self.errors {
            eprintln!("error: {error}");
        }
        match self.errors.len() {
            0 => Outcome::Passed,
            1 => Outcome::BadInput(vec!["1 scenario could not be loaded (above)".to_owned()]),
            n => Outcome::BadInput(vec![format!("{n} scenarios could not be loaded (above)")]),
        }
    }
}

/// Loads the scenarios of `folder` that `names` ask for (every one when `names` is empty). A
/// name is a file stem, a file name or the path of a file in `folder`. Every file that does not
/// parse is an error, reported and skipped; so is a name that matches no file, with the names
/// it may have meant.
pub fn load(invocation: &Invocation, names: &[String]) -> Loaded {
    if let Some(missing) = &invocation.missing {
        return Loaded {
            scenarios: Vec::new(),
            errors: vec![missing.clone()],
        };
    }
    let folder = invocation.folders.scenarios.as_path();
    let mut errors = Vec::new();
    let files = match scenario::files_in(folder) {
        Ok(files) => files,
        Err(error) => {
            return Loaded {
                scenarios: Vec::new(),
                errors: vec![format!("{}: {error}", folder.display())],
            }
        }
    };
    let stems: Vec<String> = files.iter().map(|file| scenario::stem(file)).collect();
    let mut wanted: Vec<String> = Vec::new();
    for name in names {
        match resolve(folder, name, &stems) {
            Ok(stem) if !wanted.contains(&stem) => wanted.push(stem),
            Ok(_) => {}
            Err(message) => errors.push(message),
        }
    }
    let mut scenarios = Vec::new();
    for file in &files {
        let name = scenario::stem(file);
        if !names.is_empty() && !wanted.contains(&name) {
            // Parsed only to report it: a bad file is never silently skipped.
            if let Err(error) = scenario::load(file) {
                errors.push(error.to_string());
            }
            continue;
        }
        match scenario::load(file) {
            Ok(loaded) => scenarios.push(Arc::new(loaded)),
            Err(error) => errors.push(error.to_string()),
        }
    }
    Loaded { scenarios, errors }
}

/// The stem of the scenario file `name` means: a stem, `STEM.toml`, or a path to a file in
/// `folder`.
fn resolve(folder: &Path, name: &str, stems: &[String]) -> Result<String, String> {
    let path = Path::new(name);
    let is_path = path.components().count() > 1;
    let stem = if is_path || name.ends_with(".toml") {
        if is_path {
            let parent = path.parent().unwrap_or(Path::new("."));
            if !same_folder(parent, folder) {
                return Err(format!(
                    "{name} is not in the scenario folder {}: give that file's folder with `--scenarios DIR`",
                    folder.display()
                ));
            }
        }
        scenario::stem(path)
    } else {
        name.to_owned()
    };
    if stems.contains(&stem) {
        return Ok(stem);
    }
    let mut message = format!("no scenario named `{stem}` in {}", folder.display());
    let near = near_names(&stem, stems);
    if !near.is_empty() {
        message.push_str(&format!("; did you mean {}?", near.join(", ")));
    }
    Err(message)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Up to five stems near `name`: those it is a prefix or a part of, then the most similar.
pub fn near_names(name: &str, stems: &[String]) -> Vec<String> {
    let mut scored: Vec<(f64, &String)> = stems
        .iter()
        .filter_map(|stem| {
            let score = if stem.starts_with(name) || stem.contains(name) {
                2.0
            } else {
                strsim::jaro_winkler(name, stem)
            };
            (score >= 0.8).then_some((score, stem))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(5)
        .map(|(_, stem)| format!("`{stem}`"))
        .collect()
}

/// `harness list`.
pub fn list(invocation: &Invocation) -> Outcome {
    let loaded = load(invocation, &[]);
    for scenario in &loaded.scenarios {
        println!(
            "{:<36} {:<12} {}",
            scenario.name,
            scenario.audit.join(","),
            scenario.description
        );
    }
    loaded.report_errors()
}

/// The trace width for `columns` columns: `asked`, else what fits the terminal when standard
/// output is one, else the default (so piped traces never depend on the terminal).
pub fn trace_width(asked: Option<usize>, columns: usize) -> usize {
    asked.unwrap_or_else(|| {
        let terminal = std::io::stdout()
            .is_terminal()
            .then(terminal_size::terminal_size)
            .flatten();
        terminal.map_or(harness::trace::DEFAULT_WIDTH, |(width, _)| {
            harness::trace::width_for(usize::from(width.0), columns)
        })
    })
}

/// `harness replay`: one execution with its trace; fails (exit 1) when it violates a property.
pub fn replay(
    invocation: &Invocation,
    name: &str,
    target: TargetKind,
    scheduler: SchedulerKind,
    seed: u64,
    width: Option<usize>,
) -> Outcome {
    let mut loaded = load(invocation, &[name.to_owned()]);
    let Some(scenario) = loaded.scenarios.pop() else {
        return Outcome::BadInput(loaded.errors);
    };
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
    let reference = oracle::reference_unless_opted_out(&scenario, target);
    let mut execution = runner::execute(&scenario, target, schedule);
    if let Some(reference) = &reference {
        oracle::judge(reference, &mut execution);
    }
    // Judged as the randomized run that printed the seed judged it.
    let folders = &invocation.folders;
    if let Some(exhaustive) =
        harness::exhaustive::committed_outcomes(folders, &scenario.name, target)
    {
        let bound = scenario.schedule.preemption_bound.of(target);
        oracle::judge_within(&exhaustive, bound, &mut execution);
    }
    println!(
        "scenario {} on {} under {} with seed {seed}",
        scenario.name,
        target.as_str(),
        scheduler.as_str()
    );
    println!();
    let width = trace_width(width, harness::trace::columns(&scenario));
    let trace = harness::trace::render_width(&scenario, &execution.log, width);
    print!("{}", harness::exhaustive::describe(&trace, &execution));
    Outcome::of(execution.violations.is_empty())
}

/// A folder given on the command line, absolute (printed commands must work from anywhere).
pub fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| harness::invocation::absolute(&cwd, path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Compares `text` with the snapshot `name` in `folder` through insta, which writes a
/// `.snap.new` to review where they differ (or the snapshot itself, as `INSTA_UPDATE` says;
/// nothing under CI). Whether they matched.
pub fn compare_snapshot(folder: &Path, name: &str, text: String) -> bool {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(folder);
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

/// `harness measure`: each scenario's measured `[expect]` lines for `targets`.
pub fn measure(invocation: &Invocation, names: &[String], targets: &[TargetKind]) -> Outcome {
    let loaded = load(invocation, names);
    let input = loaded.report_errors();
    let mut options = harness::suite::RunOptions::new(invocation.clone());
    options.targets = targets.to_vec();
    options.require_exhaustive = false;
    let measured = in_parallel(&loaded.scenarios, |_, scenario| {
        harness::generate::measured_expect(scenario, &options)
    });
    for (scenario, expect) in loaded.scenarios.iter().zip(measured) {
        println!("# {}", scenario.name);
        for target in targets {
            println!(
                "{} = {}",
                target.as_str(),
                harness::generate::verdict_toml(expect.of(*target))
            );
        }
    }
    input
}

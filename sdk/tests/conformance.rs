//! Runs the OpenFeature specification's Gherkin conformance suites against this SDK.
//!
//! The suites and their flag set (`test-flags.json`) are not copied into this repository: they
//! are read at run time from the folder named by `OPENFEATURE_GHERKIN_DIR`, or by default from
//! `../shared/openfeature-spec/gherkin` beside the workspace root. When the folder is missing,
//! the run says so and passes, unless `OPENFEATURE_REQUIRE_GHERKIN=1` is set (as CI does), in
//! which case it fails.
//!
//! Every scenario runs on a fresh `Api::new()` instance. A scenario fails when any of its steps
//! fails, is skipped or has no definition. Scenarios this SDK knowingly does not satisfy are
//! listed in `conformance/deviations.rs`, printed, and not run.
//!
//! Run it with `cargo test -p openfeature-sdk --test conformance`. Cucumber's own options (for
//! example `--name REGEX` or `--tags EXPR`) may follow `--`.

#[path = "conformance/cel.rs"]
mod cel;
#[path = "conformance/deviations.rs"]
mod deviations;
#[path = "conformance/flags.rs"]
mod flags;
#[path = "conformance/hooks.rs"]
mod hooks;
#[path = "conformance/parser.rs"]
mod parser;
#[path = "conformance/providers.rs"]
mod providers;
#[path = "conformance/steps/mod.rs"]
mod steps;
#[path = "conformance/world.rs"]
mod world;

use cucumber::cli::{self, Parser as _};
use cucumber::{StatsWriter as _, World as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The feature files run, in this order. Other files in the folder are reported and not run.
const SUITES: [&str; 5] = [
    "evaluation_v2.feature",
    "evaluation.feature",
    "hooks.feature",
    "metadata.feature",
    "contextMerging.feature",
];

/// The flag set the suites' stable provider serves.
const FLAGS_FILE: &str = "test-flags.json";

/// Where the suites are looked for when `OPENFEATURE_GHERKIN_DIR` is not set.
const DEFAULT_GHERKIN_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/openfeature-spec/gherkin"
);

fn main() -> ExitCode {
    let Some(dir) = gherkin_dir() else {
        return missing_suites();
    };
    println!("conformance: suites from {}", dir.display());

    let missing: Vec<&str> = SUITES
        .iter()
        .chain([&FLAGS_FILE])
        .copied()
        .filter(|file| !dir.join(file).is_file())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "conformance: FAILED: {} exists but lacks {}; point OPENFEATURE_GHERKIN_DIR at the \
             `specification/assets/gherkin` folder of a clone of https://github.com/open-feature/spec",
            dir.display(),
            missing.join(", ")
        );
        return ExitCode::FAILURE;
    }
    report_unlisted_features(&dir);

    if let Err(error) = flags::load(&dir.join(FLAGS_FILE)) {
        eprintln!("conformance: FAILED: cannot use {FLAGS_FILE}: {error}");
        return ExitCode::FAILURE;
    }

    deviations::print();
    let opts = command_line();
    let filtered_by_user = opts.re_filter.is_some() || opts.tags_filter.is_some();
    let suites: Vec<PathBuf> = SUITES.iter().map(|file| dir.join(file)).collect();

    let excluded = Arc::new(AtomicUsize::new(0));
    let matched: Arc<Vec<AtomicUsize>> = Arc::new(
        deviations::KNOWN
            .iter()
            .map(|_| AtomicUsize::new(0))
            .collect(),
    );
    let filter = {
        let excluded = Arc::clone(&excluded);
        let matched = Arc::clone(&matched);
        move |feature: &cucumber::gherkin::Feature,
              _rule: Option<&cucumber::gherkin::Rule>,
              scenario: &cucumber::gherkin::Scenario| {
            let file = feature
                .path
                .as_deref()
                .and_then(Path::file_name)
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            match deviations::find(file, &scenario.name) {
                Some(index) => {
                    matched[index].fetch_add(1, Ordering::Relaxed);
                    excluded.fetch_add(1, Ordering::Relaxed);
                    false
                }
                None => true,
            }
        }
    };

    let writer = futures::executor::block_on(
        world::ConformanceWorld::cucumber::<PathBuf>()
            .with_parser(parser::SuiteParser)
            .fail_on_skipped()
            .with_cli(opts)
            .filter_run(suites, filter),
    );

    let summary = writer.inner_writer();
    let scenarios = summary.scenarios_stats();
    let parsing_errors = summary.parsing_errors();
    let hook_errors = summary.hook_errors();
    // Skipped steps already count as failures (`fail_on_skipped`); a feature file that does not
    // parse, or a failing cucumber hook, counts as one failure too.
    let failed = scenarios.failed + scenarios.skipped + parsing_errors + hook_errors;
    let stale: Vec<&deviations::Deviation> = deviations::KNOWN
        .iter()
        .zip(matched.iter())
        .filter(|(_, count)| count.load(Ordering::Relaxed) == 0)
        .map(|(deviation, _)| deviation)
        .collect();

    let mut ok = failed == 0;
    if parsing_errors > 0 || hook_errors > 0 {
        eprintln!("conformance: {parsing_errors} parsing error(s), {hook_errors} hook error(s)");
    }
    if !filtered_by_user && !stale.is_empty() {
        ok = false;
        for deviation in stale {
            eprintln!(
                "conformance: FAILED: the known deviation {:?} / {:?} matches no scenario; \
                 update conformance/deviations.rs",
                deviation.feature, deviation.scenario
            );
        }
    }
    println!(
        "conformance: {} known-deviation scenario(s) not run",
        excluded.load(Ordering::Relaxed)
    );
    println!(
        "conformance: {} passed, {} failed",
        scenarios.passed, failed
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The suites folder, if it exists: `OPENFEATURE_GHERKIN_DIR` when set, else the default.
fn gherkin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OPENFEATURE_GHERKIN_DIR")
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_GHERKIN_DIR), PathBuf::from);
    dir.is_dir().then_some(dir)
}

/// Explains how to get the suites; fails only when `OPENFEATURE_REQUIRE_GHERKIN=1`.
fn missing_suites() -> ExitCode {
    let looked_at = match std::env::var_os("OPENFEATURE_GHERKIN_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => format!(
            "{} (from OPENFEATURE_GHERKIN_DIR)",
            Path::new(&dir).display()
        ),
        None => format!("{DEFAULT_GHERKIN_DIR} (the default; OPENFEATURE_GHERKIN_DIR is not set)"),
    };
    let required = std::env::var("OPENFEATURE_REQUIRE_GHERKIN").is_ok_and(|value| value == "1");
    let banner = if required { "FAILED" } else { "NOT RUN" };
    eprintln!("conformance: {banner}: the OpenFeature Gherkin suites were not found.");
    eprintln!("conformance: looked for the folder {looked_at}");
    eprintln!(
        "conformance: to run them, clone https://github.com/open-feature/spec and set \
         OPENFEATURE_GHERKIN_DIR to its `specification/assets/gherkin` folder."
    );
    if required {
        eprintln!("conformance: OPENFEATURE_REQUIRE_GHERKIN=1 is set, so this is a failure.");
        ExitCode::FAILURE
    } else {
        eprintln!(
            "conformance: passing without running them (set OPENFEATURE_REQUIRE_GHERKIN=1 to \
             make this a failure)."
        );
        ExitCode::SUCCESS
    }
}

/// Names `.feature` files in the folder that this test does not run, so a new suite is noticed.
fn report_unlisted_features(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut unlisted: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".feature") && !SUITES.contains(&name.as_str()))
        .collect();
    unlisted.sort();
    for name in unlisted {
        println!("conformance: note: {name} is not in this test's suite list and is not run");
    }
}

/// Cucumber's options from the command line. Arguments meant for libtest (as `cargo test`
/// passes to every test binary, for example a test-name filter) are ignored with a note.
fn command_line<P, R, W>() -> cli::Opts<P, R, W>
where
    P: cli::Args + Default,
    R: cli::Args + Default,
    W: cli::Args + Default,
{
    match cli::Opts::try_parse() {
        Ok(opts) => opts,
        Err(error) if !error.use_stderr() => error.exit(),
        Err(_) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            println!(
                "conformance: note: ignoring command-line arguments {args:?}, which are not \
                 cucumber options"
            );
            cli::Opts::default()
        }
    }
}

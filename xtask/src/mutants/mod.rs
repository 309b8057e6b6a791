//! `cargo xtask mutants`: the mutation pass. Applies each concurrency mutant of the catalogue
//! (`mutants/*.toml`, one realistic mistake in `sdk/src` each) to a scratch copy of the
//! workspace, builds the harness from it, and runs the suite against the mutated SDK until
//! something fails: first the tidy checks (the sync facade), then the scenario the mutant
//! names as `first`, then the main job on the `sdk` target with `--fail-fast`, every scenario
//! at its default budgets. Prints one line per mutant and a table, and fails when a mutant
//! survives that the catalogue does not mark `equivalent` (with its argument), when a mutant
//! no longer applies or builds, or when an SDK invariant of ARCHITECTURE.md has fewer than two
//! mutants.
//!
//! Speed: the scratch copy is built in the `mutants` profile (release code, incremental,
//! many codegen units) in its own target directory, so a mutant rebuilds in seconds; the
//! first build of a run takes a couple of minutes. The harness runs in the real workspace, so
//! it reads the real scenario and snapshot folders. The pass assumes the suite holds on the
//! unmutated SDK (CI runs the main job first).

mod pass;
#[cfg(test)]
mod tests;

use pass::{Checks, Pass};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// One mutant as its catalogue file states it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Mutant {
    /// The id of the ARCHITECTURE.md invariant it breaks.
    pub(super) invariant: String,
    /// The mistake, in one line.
    pub(super) summary: String,
    /// The file it changes, relative to the workspace.
    pub(super) file: String,
    /// The text it replaces (exactly one occurrence in `file`) and its replacement.
    pub(super) find: String,
    pub(super) replace: String,
    /// The scenario tried before the whole suite.
    #[serde(default)]
    pub(super) first: Option<String>,
    /// Why no observable outcome can differ, for a mutant no test can kill.
    #[serde(default)]
    pub(super) equivalent: Option<String>,
}

pub(super) struct Entry {
    pub(super) id: String,
    pub(super) mutant: Mutant,
}

struct Options {
    only: Vec<String>,
    list: bool,
    markdown: Option<PathBuf>,
    checks: Checks,
}

const USAGE: &str = "usage: cargo xtask [--locked] mutants [--list] [--only ID]... \
                     [--markdown FILE] [--timeout SECONDS] [--harness-arg ARG]... [--first-only]";

/// Runs the pass; `args` follow the word `mutants`.
pub fn main(args: &[OsString], workspace: &Path, cargo: &OsString, locked: bool) -> ExitCode {
    let options = match parse_options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let catalogue = match load(workspace, &options) {
        Ok(catalogue) => catalogue,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if options.list {
        for entry in &catalogue {
            let mutant = &entry.mutant;
            println!(
                "{:<40} {:<26} {}",
                entry.id, mutant.invariant, mutant.summary
            );
        }
        return ExitCode::SUCCESS;
    }
    let pass = Pass {
        workspace: workspace.to_path_buf(),
        scratch: workspace.join("target/mutation/work"),
        target: workspace.join("target/mutation"),
        cargo: cargo.clone(),
        locked,
        checks: options.checks,
    };
    match pass.run(&catalogue, options.markdown.as_deref()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn parse_options(args: &[OsString]) -> Result<Options, String> {
    let mut options = Options {
        only: Vec::new(),
        list: false,
        markdown: None,
        checks: Checks {
            timeout: Duration::from_secs(600),
            harness_args: Vec::new(),
            first_only: false,
        },
    };
    let mut args = args.iter().map(|arg| arg.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--list" => options.list = true,
            // A quick check while writing a mutant or its scenario: its survivors are unproven.
            "--first-only" => options.checks.first_only = true,
            "--only" => options.only.push(value("--only")?),
            "--markdown" => options.markdown = Some(PathBuf::from(value("--markdown")?)),
            // For a quick survey (`--harness-arg=--iterations --harness-arg=2000`): fewer
            // executions are a prefix of the default budget's, so what a survey kills the
            // full pass kills too; a survey's survivors say nothing.
            "--harness-arg" => options.checks.harness_args.push(value("--harness-arg")?),
            "--timeout" => {
                let seconds = value("--timeout")?;
                let seconds = seconds
                    .parse()
                    .map_err(|_| format!("--timeout expects whole seconds, not `{seconds}`"))?;
                options.checks.timeout = Duration::from_secs(seconds);
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(options)
}

/// Reads the catalogue and checks it against the sources and ARCHITECTURE.md: every mutant
/// applies exactly once and names a known invariant, and (for the whole catalogue) every SDK
/// invariant has two mutants or more. `--only` keeps the mutants whose id starts with one of
/// its values.
fn load(workspace: &Path, options: &Options) -> Result<Vec<Entry>, String> {
    let invariants = sdk_invariants(&workspace.join("ARCHITECTURE.md"))?;
    let folder = workspace.join("mutants");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|error| format!("{}: {error}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut catalogue = Vec::new();
    for path in paths {
        let shown = path.display();
        let text = std::fs::read_to_string(&path).map_err(|error| format!("{shown}: {error}"))?;
        let mutant: Mutant = toml::from_str(&text).map_err(|error| format!("{shown}: {error}"))?;
        if !invariants.contains(&mutant.invariant) {
            return Err(format!(
                "{shown}: invariant `{}` is not an SDK invariant of ARCHITECTURE.md; expected one of {}",
                mutant.invariant,
                invariants.join(", ")
            ));
        }
        let source = std::fs::read_to_string(workspace.join(&mutant.file))
            .map_err(|error| format!("{shown}: file `{}`: {error}", mutant.file))?;
        let found = source.matches(&mutant.find).count();
        if found != 1 {
            return Err(format!(
                "{shown}: `find` occurs {found} times in {}; expected exactly once",
                mutant.file
            ));
        }
        let id = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        catalogue.push(Entry { id, mutant });
    }
    for invariant in &invariants {
        let count = catalogue
            .iter()
            .filter(|entry| &entry.mutant.invariant == invariant)
            .count();
        if count < 2 {
            return Err(format!(
                "{}: invariant `{invariant}` has {count} mutant(s); expected at least 2",
                folder.display()
            ));
        }
    }
    if !options.only.is_empty() {
        catalogue.retain(|entry| options.only.iter().any(|only| entry.id.starts_with(only)));
        if catalogue.is_empty() {
            return Err(format!("no mutant id starts with {:?}", options.only));
        }
    }
    Ok(catalogue)
}

/// The ids of the SDK's invariants: the bullets `- **`id`**` of the section "The SDK's
/// invariants" of ARCHITECTURE.md.
fn sdk_invariants(architecture: &Path) -> Result<Vec<String>, String> {
    let shown = architecture.display();
    let text =
        std::fs::read_to_string(architecture).map_err(|error| format!("{shown}: {error}"))?;
    invariant_ids(&text).map_err(|error| format!("{shown}: {error}"))
}

fn invariant_ids(architecture: &str) -> Result<Vec<String>, String> {
    let section = architecture
        .split("\n### ")
        .find(|section| section.starts_with("The SDK's invariants"))
        .ok_or("no section `### The SDK's invariants`")?;
    let ids: Vec<String> = section
        .lines()
        .filter_map(|line| line.strip_prefix("- **`"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_owned()))
        .collect();
    if ids.is_empty() {
        return Err("the SDK's invariants have no `- **`id`**` bullets".to_owned());
    }
    Ok(ids)
}

//! The pass itself: the scratch copy, one mutant's build and checks, what killed it, and the
//! table.

use super::Entry;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What became of one mutant.
enum Verdict {
    Killed(String),
    Survived,
    Unviable(String),
}

struct Row {
    id: String,
    invariant: String,
    verdict: Verdict,
    equivalent: bool,
    build: Duration,
    run: Duration,
}

/// How each mutant is checked: options of the pass that do not change what it builds.
pub(super) struct Checks {
    /// The longest one harness run may take; past it, the mutant counts as killed by a timeout.
    pub(super) timeout: Duration,
    /// Extra arguments of every harness run (a quick survey's `--iterations`).
    pub(super) harness_args: Vec<String>,
    /// Runs each mutant's `first` scenario only, not the whole suite after it.
    pub(super) first_only: bool,
}

pub(super) struct Pass {
    pub(super) workspace: PathBuf,
    pub(super) scratch: PathBuf,
    pub(super) target: PathBuf,
    pub(super) cargo: OsString,
    pub(super) locked: bool,
    pub(super) checks: Checks,
}

impl Pass {
    /// Runs every mutant in turn; `Ok(true)` when every one was killed or is marked equivalent.
    pub(super) fn run(&self, catalogue: &[Entry], markdown: Option<&Path>) -> Result<bool, String> {
        let started = Instant::now();
        self.make_scratch()?;
        eprintln!(
            "building the scratch copy (profile `mutants`, {})",
            self.target.display()
        );
        let tidy = self.build()?;
        let mut rows = Vec::new();
        for (index, entry) in catalogue.iter().enumerate() {
            let row = self.mutant(entry, &tidy)?;
            eprintln!(
                "[{}/{}] {} {} (build {:.1}s, run {:.1}s)",
                index + 1,
                catalogue.len(),
                row.id,
                describe(&row),
                row.build.as_secs_f64(),
                row.run.as_secs_f64()
            );
            rows.push(row);
        }
        let table = table(&rows, started.elapsed());
        println!("{table}");
        if let Some(markdown) = markdown {
            std::fs::write(markdown, &table)
                .map_err(|error| format!("{}: {error}", markdown.display()))?;
        }
        Ok(rows.iter().all(|row| match row.verdict {
            Verdict::Killed(_) => true,
            Verdict::Survived => row.equivalent,
            Verdict::Unviable(_) => false,
        }))
    }

    /// Copies the workspace's sources (not its build output) to the scratch folder: every
    /// workspace member and the vendored crates its manifest patches in, so that the workspace
    /// manifest loads (only `sdk` and `harness` are built).
    fn make_scratch(&self) -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&self.scratch);
        for item in [
            "Cargo.toml",
            "Cargo.lock",
            ".cargo",
            "sdk",
            "harness",
            "xtask",
            "bench",
            "vendor",
        ] {
            copy(&self.workspace.join(item), &self.scratch.join(item))?;
        }
        Ok(())
    }

    /// Applies one mutant, builds, runs the checks until one fails, and restores the file.
    fn mutant(&self, entry: &Entry, tidy: &Path) -> Result<Row, String> {
        let mutant = &entry.mutant;
        let file = self.scratch.join(&mutant.file);
        let pristine = std::fs::read_to_string(&file).map_err(|error| error.to_string())?;
        std::fs::write(&file, pristine.replacen(&mutant.find, &mutant.replace, 1))
            .map_err(|error| error.to_string())?;
        let build_started = Instant::now();
        let built = self.build();
        let build = build_started.elapsed();
        let run_started = Instant::now();
        let verdict = match built {
            Err(error) => Verdict::Unviable(error),
            Ok(_) => self.kill(entry, tidy)?,
        };
        std::fs::write(&file, pristine).map_err(|error| error.to_string())?;
        Ok(Row {
            id: entry.id.clone(),
            invariant: mutant.invariant.clone(),
            verdict,
            equivalent: mutant.equivalent.is_some(),
            build,
            run: run_started.elapsed(),
        })
    }

    /// The checks, cheapest first, until one fails.
    fn kill(&self, entry: &Entry, tidy: &Path) -> Result<Verdict, String> {
        let tidy_held = Command::new(tidy)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|error| format!("{}: {error}", tidy.display()))?;
        if !tidy_held.success() {
            return Ok(Verdict::Killed("tidy (sdk/tests/tidy.rs)".to_owned()));
        }
        let log = self.target.join("logs").join(format!("{}.log", entry.id));
        let mut runs: Vec<Vec<String>> = Vec::new();
        if let Some(first) = &entry.mutant.first {
            runs.push(vec![first.clone()]);
        }
        if !self.checks.first_only {
            runs.push(Vec::new());
        }
        for scenarios in runs {
            if let Some(killer) = self.run_suite(&scenarios, &log)? {
                return Ok(Verdict::Killed(killer));
            }
        }
        Ok(Verdict::Survived)
    }

    /// Builds the harness and the tidy test from the scratch copy; returns the tidy binary.
    fn build(&self) -> Result<PathBuf, String> {
        let mut command = Command::new(&self.cargo);
        command
            .args([
                "build",
                "--quiet",
                "--profile",
                "mutants",
                "-p",
                "harness",
                "--bin",
                "harness",
            ])
            .args([
                "-p",
                "openfeature-sdk",
                "--test",
                "tidy",
                "--message-format",
                "json",
            ])
            .arg("--manifest-path")
            .arg(self.scratch.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target)
            .args(self.locked.then_some("--locked"))
            .stderr(Stdio::piped())
            .stdout(Stdio::piped());
        let output = command
            .output()
            .map_err(|error| format!("cannot run cargo: {error}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first_error = stderr
                .lines()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or("the build failed");
            return Err(first_error.to_owned());
        }
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["target"]["name"] == "tidy")
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
            .ok_or("cargo reported no tidy test binary".to_owned())
    }

    /// Runs the harness on the `sdk` target with `--fail-fast` (all scenarios when
    /// `scenarios` is empty); returns what failed first, if anything did.
    fn run_suite(&self, scenarios: &[String], log: &Path) -> Result<Option<String>, String> {
        let binary = self.target.join("mutants").join("harness");
        let _ = std::fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
        let stderr =
            std::fs::File::create(log).map_err(|error| format!("{}: {error}", log.display()))?;
        let mut child = Command::new(&binary)
            .current_dir(&self.workspace)
            .args(["run", "--target", "sdk", "--fail-fast", "--format", "json"])
            .args(&self.checks.harness_args)
            .args(scenarios)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("{}: {error}", binary.display()))?;
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
            text
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|error| error.to_string())? {
                break Some(status);
            }
            if started.elapsed() > self.checks.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let text = reader.join().unwrap_or_default();
        let Some(status) = status else {
            return Ok(Some(format!(
                "timeout after {}s",
                self.checks.timeout.as_secs()
            )));
        };
        let results: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
            format!(
                "{}: the harness printed no results ({error}); see {}",
                binary.display(),
                log.display()
            )
        })?;
        if results["passed"] == true && status.success() {
            return Ok(None);
        }
        let failed = results["cases"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|case| case["passed"] == false);
        match failed.map(killer) {
            Some(Some(killer)) => Ok(Some(killer)),
            // A failure that violates no property (a missing snapshot, bad input) is the
            // suite failing on its own, not a kill.
            Some(None) | None => Err(format!(
                "the harness failed without violating a property (exit {status}); see {}",
                log.display()
            )),
        }
    }
}

/// `scenario scheduler: property` for a failed case, from its JSON report: the first property
/// it violated that it does not expect, if any.
pub(super) fn killer(case: &serde_json::Value) -> Option<String> {
    let expected: Vec<&serde_json::Value> =
        case["expected"].as_array().into_iter().flatten().collect();
    let property = case["violated"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|property| !expected.contains(property))?
        .as_str()?;
    Some(format!(
        "{} {}: {property}",
        case["scenario"].as_str().unwrap_or("?"),
        case["scheduler"].as_str().unwrap_or("?")
    ))
}

fn describe(row: &Row) -> String {
    match &row.verdict {
        Verdict::Killed(by) => format!("killed by {by}"),
        Verdict::Survived if row.equivalent => "survived (marked equivalent)".to_owned(),
        Verdict::Survived => "SURVIVED".to_owned(),
        Verdict::Unviable(error) => format!("UNVIABLE: {error}"),
    }
}

/// The markdown table of the pass and its summary.
fn table(rows: &[Row], elapsed: Duration) -> String {
    let mut out =
        String::from("| mutant | invariant | result | build | run |\n|---|---|---|---|---|\n");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1}s | {:.1}s |",
            row.id,
            row.invariant,
            describe(row),
            row.build.as_secs_f64(),
            row.run.as_secs_f64()
        );
    }
    let killed = rows
        .iter()
        .filter(|row| matches!(row.verdict, Verdict::Killed(_)))
        .count();
    let equivalent = rows
        .iter()
        .filter(|row| row.equivalent && matches!(row.verdict, Verdict::Survived))
        .count();
    let mut per_mutant: Vec<f64> = rows
        .iter()
        .map(|row| (row.build + row.run).as_secs_f64())
        .collect();
    per_mutant.sort_by(f64::total_cmp);
    let median = per_mutant.get(per_mutant.len() / 2).copied().unwrap_or(0.0);
    let max = per_mutant.last().copied().unwrap_or(0.0);
    let _ = write!(
        out,
        "\nkilled {killed} of {} ({:.0}%), equivalent {equivalent}; per mutant: median {median:.1}s, \
         max {max:.1}s; whole pass {:.0}s",
        rows.len(),
        100.0 * killed as f64 / rows.len().max(1) as f64,
        elapsed.as_secs_f64()
    );
    out
}

/// Copies a file or a folder, skipping cargo's build folders (those holding `CACHEDIR.TAG`).
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let error = |error: std::io::Error| format!("copying {}: {error}", from.display());
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(error)?;
        for entry in std::fs::read_dir(from).map_err(error)? {
            let entry = entry.map_err(error)?;
            if !entry.path().join("CACHEDIR.TAG").exists() {
                copy(&entry.path(), &to.join(entry.file_name()))?;
            }
        }
        Ok(())
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        std::fs::copy(from, to).map(drop).map_err(error)
    }
}

//! The `harness` command as a user runs it: the built binary, started directly from scratch
//! folders outside the repository. Printed commands reproduce as printed from another
//! directory, budgets are validated, a closed pipe ends the program quietly, failures are
//! grouped, bad files are reported and skipped, generated cases run as written, and the help
//! documents every argument and the exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const HARNESS: &str = env!("CARGO_BIN_EXE_harness");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The harness started directly in `cwd`, as a user outside cargo would (cargo's variables,
/// which `cargo test` passes down, removed).
fn harness(cwd: &Path) -> Command {
    let mut command = Command::new(HARNESS);
    command
        .current_dir(cwd)
        .env_remove("CARGO")
        .env_remove("CARGO_PKG_NAME")
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("HARNESS_SCENARIOS")
        .env_remove("HARNESS_SNAPSHOTS")
        .env("CI", "true");
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the harness starts");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A scratch folder holding a copy of a07 whose audited target is (wrongly) expected to hold,
/// so that running it fails with a replayable violation.
fn failing_folder() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a scratch folder");
    let source = std::fs::read_to_string(workspace().join("scenarios/a07_lost_global_hook.toml"))
        .expect("a07 is readable");
    let changed: String = source
        .lines()
        .map(|line| {
            if line.starts_with("audited = ") {
                "audited = \"holds\"".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(folder.path().join("mine.toml"), changed).expect("write");
    folder
}

/// The `FAIL ...` lines of a report.
fn fail_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("FAIL ")).collect()
}

/// The first `replay: ...` command a report prints.
fn replay_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay command in:\n{stdout}"))
        .to_owned()
}

#[test]
fn a_printed_replay_command_reproduces_from_another_directory() {
    let scenarios = failing_folder();
    let (code, stdout, _) = run(harness(scenarios.path()).args([
        "--scenarios",
        ".",
        "run",
        "mine",
        "--target",
        "audited",
        "--scheduler",
        "random",
        "--iterations",
        "20",
        "--seed",
        "1",
    ]));
    assert_eq!(code, 1, "a failing run exits 1:\n{stdout}");
    let command = replay_line(&stdout);
    assert!(
        command.starts_with(HARNESS) && command.contains("--scenarios /"),
        "the command names the program and the folder, absolute: {command}"
    );
    let elsewhere = tempfile::tempdir().expect("another folder");
    let replay = || {
        run(Command::new("sh")
            .args(["-c", &command])
            .current_dir(elsewhere.path())
            .env_remove("CARGO")
            .env_remove("CARGO_PKG_NAME"))
    };
    let (code, first, stderr) = replay();
    assert_eq!(code, 1, "replaying a violation exits 1:\n{first}\n{stderr}");
    assert!(first.contains("violated lost-hook"), "{first}");
    assert!(
        first.contains("step  main"),
        "the trace is printed:\n{first}"
    );
    let (_, second, _) = replay();
    assert_eq!(first, second, "a replay is deterministic, byte for byte");
}

#[test]
fn under_cargo_the_command_is_cargo_run_with_the_manifest_when_outside_the_workspace() {
    let scenarios = failing_folder();
    let (code, stdout, _) = run(harness(scenarios.path())
        .env("CARGO", "cargo")
        .env("CARGO_PKG_NAME", "harness")
        .env("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"))
        .args(["--scenarios", ".", "run", "mine", "--target", "audited"])
        .args(["--scheduler", "pct", "--iterations", "20", "--seed", "1"]));
    assert_eq!(code, 1);
    let command = replay_line(&stdout);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .join("Cargo.toml");
    let expected = format!(
        "cargo run{} --manifest-path {} -p harness -- --scenarios ",
        if cfg!(debug_assertions) {
            ""
        } else {
            " --release"
        },
        manifest.display()
    );
    assert!(command.starts_with(&expected), "{command}");
}

#[test]
fn folders_are_found_at_run_time_not_build_time() {
    // Outside any workspace, with no flag: a clear error, not the build directory.
    let nowhere = tempfile::tempdir().expect("a folder");
    let (code, _, stderr) = run(harness(nowhere.path()).arg("list"));
    assert_eq!(code, 2);
    assert!(stderr.contains("no scenario folder"), "{stderr}");
    // The environment variable names the folder.
    let scenarios = failing_folder();
    let (code, stdout, _) = run(harness(nowhere.path())
        .env("HARNESS_SCENARIOS", scenarios.path())
        .arg("list"));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("mine "), "{stdout}");
    // Inside the workspace, from a subfolder: the workspace's scenarios.
    let (code, stdout, _) = run(harness(&workspace().join("harness/src")).arg("list"));
    assert_eq!(code, 0);
    assert!(stdout.contains("a01_double_shutdown"), "{stdout}");
    // `--help` shows no build-time path.
    let (_, help, _) = run(harness(nowhere.path()).arg("--help"));
    assert!(!help.contains(env!("CARGO_MANIFEST_DIR")), "{help}");
}

#[test]
fn budgets_are_validated() {
    let scenarios = failing_folder();
    for iterations in ["0", "1000001", "9223372036854775807"] {
        let (code, _, stderr) = run(harness(scenarios.path()).args([
            "--scenarios",
            ".",
            "run",
            "mine",
            "--iterations",
            iterations,
        ]));
        assert_eq!(code, 2, "--iterations {iterations}: {stderr}");
        assert!(stderr.contains("is not from 1 to 1000000"), "{stderr}");
    }
    for wrong in [
        &["--seeds", "0..2000000"][..],
        &["--seed", "18446744073709551615"],
        &["--scheduler", "exhaustive", "--fail-fast"],
        &["--scheduler", "exhaustive", "--iterations", "5"],
    ] {
        let (code, _, stderr) = run(harness(scenarios.path())
            .args(["--scenarios", ".", "run", "mine"])
            .args(wrong));
        assert_eq!(code, 2, "{wrong:?}: {stderr}");
    }
    let source = std::fs::read_to_string(scenarios.path().join("mine.toml")).expect("read");
    let huge = format!("{source}\n[schedule]\niterations = 9223372036854775807\nreason = \"x\"\n");
    std::fs::write(scenarios.path().join("mine.toml"), huge).expect("write");
    let (code, _, stderr) = run(harness(scenarios.path()).args(["--scenarios", ".", "list"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("mine.toml:")
            && stderr.contains("`iterations` must be from 1 to 1000000, found 9223372036854775807"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = harness(&workspace())
        .args(["run", "a07_lost_global_hook", "--iterations", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the harness starts");
    // The reader goes away before the first line is written, as `| head -0` does.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("the harness ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(13),
        "ended by SIGPIPE like any filter: {:?}\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn failures_are_grouped_and_progress_is_a_line_per_scenario() {
    let scenarios = failing_folder();
    let args = [
        "--scenarios",
        ".",
        "run",
        "mine",
        "--target",
        "audited",
        "--iterations",
        "10",
    ];
    let (code, stdout, stderr) = run(harness(scenarios.path()).args(args));
    assert_eq!(code, 1);
    let fails: Vec<&str> = fail_lines(&stdout);
    // lost-hook, not-linearizable and not-sequentially-consistent under two schedulers, and the
    // missing exhaustive snapshot.
    assert_eq!(fails.len(), 7, "{stdout}");
    assert!(
        fails
            .iter()
            .any(|l| l.contains("unexpected lost-hook under random with ")
                && l.contains(" of 20 base seeds (first: base seed 1, iteration 1)")),
        "{stdout}"
    );
    assert!(
        fails
            .iter()
            .any(|l| l.contains("snapshots/exhaustive/mine.audited.snap is missing")),
        "the missing snapshot is named as the file it is: {stdout}"
    );
    // stderr is not a terminal here: one progress line per scenario, counting what ran.
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("[1/1] mine"))
        .collect();
    assert_eq!(progress.len(), 1, "{stderr}");
    let (_, verbose, _) = run(harness(scenarios.path()).args(args).arg("--verbose"));
    let every = fail_lines(&verbose).len();
    assert!(every > 40, "--verbose prints one per base seed: {every}");
}

#[test]
fn a_bad_file_is_reported_and_skipped() {
    let scenarios = failing_folder();
    let folder = scenarios.path();
    std::fs::copy(
        workspace().join("scenarios/a13_context_lost_update.toml"),
        folder.join("good.toml"),
    )
    .expect("copy");
    std::fs::write(folder.join("syntax.toml"), "description = \n").expect("write");
    let misplaced = "description = \"x\"\n[providers]\np0 = {}\nsetup = [{ op = \"shutdown\" }]\n";
    std::fs::write(folder.join("misplaced.toml"), misplaced).expect("write");
    std::fs::create_dir(folder.join("unreadable.toml")).expect("a folder named like a file");

    let (code, stdout, stderr) = run(harness(folder).args(["--scenarios", ".", "list"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stdout.contains("good ") && stdout.contains("mine "),
        "{stdout}"
    );
    assert!(stderr.contains("syntax.toml:1:"), "{stderr}");
    assert!(
        stderr.contains("misplaced.toml:4:1: `setup` is a top-level key but is written inside the [providers] table"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unreadable.toml: cannot read") && !stderr.contains(":0:0:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 scenarios could not be loaded"),
        "{stderr}"
    );

    // `run` of another name runs it (by stem, file name or path), and still fails at the end.
    for name in ["good", "good.toml", "./good.toml"] {
        let (code, stdout, stderr) = run(harness(folder).args([
            "--scenarios",
            ".",
            "run",
            name,
            "--target",
            "sdk",
            "--iterations",
            "2",
            "--seed",
            "1",
        ]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.contains("good "), "ran {name}: {stdout}");
        assert!(stderr.contains("syntax.toml"), "{stderr}");
    }
    // In JSON, the bad input fails the results as it fails the exit status.
    let (code, stdout, _) = run(harness(folder).args([
        "--scenarios",
        ".",
        "run",
        "good",
        "--target",
        "sdk",
        "--iterations",
        "2",
        "--seed",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(code, 2);
    let results: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(results["passed"], false, "{stdout}");
    assert_eq!(
        results["errors"].as_array().map(Vec::len),
        Some(3),
        "{stdout}"
    );
    let (code, _, stderr) = run(harness(folder).args(["--scenarios", ".", "run", "goo"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no scenario named `goo`") && stderr.contains("did you mean `good`"),
        "{stderr}"
    );
}

#[test]
fn a_generated_case_runs_as_written() {
    let out = tempfile::tempdir().expect("a folder");
    let (code, stdout, stderr) = run(harness(out.path()).args([
        "generate",
        "--target",
        "audited",
        "--property",
        "lost-hook",
        "--cases",
        "200",
        "--detection-seeds",
        "1",
        "--out",
        ".",
    ]));
    assert_eq!(code, 1, "a found case exits 1: {stdout}{stderr}");
    let file = std::fs::read_dir(out.path())
        .expect("read")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .expect("a case was written");
    let name = file
        .file_stem()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.starts_with(&format!("# {name}: found by")),
        "the comment names the file:\n{text}"
    );
    let replay = replay_line(&text.replace("# Replay: ", "replay: "));
    assert!(
        replay.contains(&format!("replay {name} --target audited")),
        "{replay}"
    );
    assert!(text.contains("lost-hook"), "{text}");
    // Run as written, over the base seed it was measured on: the only failures are the
    // exhaustive snapshots a new scenario does not have yet.
    let (code, stdout, _) =
        run(harness(out.path()).args(["--scenarios", ".", "run", &name, "--seed", "1"]));
    assert_eq!(code, 1, "{stdout}");
    let fails: Vec<&str> = fail_lines(&stdout);
    assert_eq!(fails.len(), 3, "one per target: {stdout}");
    assert!(
        fails
            .iter()
            .all(|l| l.contains("no exhaustive outcome set")),
        "{stdout}"
    );
}

#[test]
fn help_documents_every_argument_and_the_exit_codes() {
    let here = workspace();
    let (code, version, _) = run(harness(&here).arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(
        version.trim(),
        format!("harness {}", env!("CARGO_PKG_VERSION"))
    );
    for command in ["", "list", "run", "replay", "ops", "generate"] {
        let mut harness = harness(&here);
        if !command.is_empty() {
            harness.arg(command);
        }
        // `-h` puts each argument's help on its own line.
        let (code, help, _) = run(harness.arg("-h"));
        assert_eq!(code, 0);
        if command != "ops" {
            let mut long = self::harness(&here);
            if !command.is_empty() {
                long.arg(command);
            }
            let (_, long, _) = run(long.arg("--help"));
            assert!(
                long.contains("Exit status:") && long.contains("2  bad input"),
                "{command} --help:\n{help}"
            );
        }
        // Every argument line has a description (on the line or the next, deeper indented)
        // with more than clap's own `[default: ...]` / `[possible values: ...]` notes.
        let lines: Vec<&str> = help.lines().collect();
        let indent = |text: &str| text.len() - text.trim_start().len();
        for (index, line) in lines.iter().enumerate() {
            let text = line.trim_start();
            let is_argument = indent(line) > 0
                && (text.starts_with('-')
                    || text.starts_with('<')
                    || text.starts_with("[SCENARIO"));
            if !is_argument {
                continue;
            }
            let inline = text.split_once("  ").map(|(_, rest)| rest.trim());
            let description = match inline {
                Some(rest) if !rest.is_empty() => rest.to_owned(),
                _ => lines
                    .get(index + 1)
                    .filter(|next| indent(next) > indent(line))
                    .map(|next| next.trim().to_owned())
                    .unwrap_or_default(),
            };
            assert!(
                !without_notes(&description).trim().is_empty(),
                "{command} --help: no help text for `{}`",
                text
            );
        }
    }
}

/// `text` without its bracketed notes.
fn without_notes(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn replay_width_sets_the_trace_columns() {
    let (code, stdout, _) = run(harness(&workspace()).args([
        "replay",
        "a07_lost_global_hook",
        "--target",
        "sdk",
        "--scheduler",
        "random",
        "--seed",
        "1",
        "--width",
        "12",
    ]));
    assert_eq!(code, 0, "a replay that violates nothing exits 0:\n{stdout}");
    // main, two threads, background: four columns of 12 characters and 3 of separator.
    let rule = stdout
        .lines()
        .find(|line| line.starts_with("---"))
        .expect("the trace's rule");
    assert_eq!(rule.len(), 6 + 4 * (12 + 3), "{stdout}");
}

#[test]
fn shuttle_random_seed_in_the_environment_changes_no_replay() {
    let args = [
        "replay",
        "a07_lost_global_hook",
        "--target",
        "audited",
        "--scheduler",
        "random",
        "--seed",
        "1",
    ];
    let (code, plain, _) = run(harness(&workspace()).args(args));
    assert_eq!(code, 1, "seed 1 loses a hook on audited:\n{plain}");
    let (code, seeded, stderr) = run(harness(&workspace())
        .env("SHUTTLE_RANDOM_SEED", "5")
        .args(args));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(seeded, plain, "the replay followed SHUTTLE_RANDOM_SEED");
    assert!(
        stderr.contains("warning: SHUTTLE_RANDOM_SEED is ignored"),
        "{stderr}"
    );
}

/// A scratch scenario small enough to bless in a debug build: explored by shuttle's DFS in
/// process (no loom build), 50 executions per base seed.
fn blessable_folder() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a scratch folder");
    let text = r#"description = "Two threads add API hooks at once: both are kept."
audit = ["A7"]
hooks = ["h1", "h2"]

[[thread]]
ops = [{ op = "add_hooks", hooks = ["h1"] }]

[[thread]]
ops = [{ op = "add_hooks", hooks = ["h2"] }]

[schedule]
iterations = 50
explorer = "shuttle-dfs"
reason = "a test's scratch scenario: explored in process, with a small budget"

[expect]
sdk = "holds"
audited = { violates = ["lost-hook"], may_violate = ["not-linearizable", "not-sequentially-consistent"] }
python-head = "holds"
"#;
    std::fs::write(folder.path().join("two_hooks.toml"), text).expect("write");
    folder
}

#[test]
fn bless_adds_a_scenario_in_one_command() {
    let scenarios = blessable_folder();
    let folder = scenarios.path();
    let snapshots = folder.join("snapshots");
    let files = [
        snapshots.join("two_hooks.snap"),
        snapshots.join("exhaustive/two_hooks.sdk.snap"),
        snapshots.join("exhaustive/two_hooks.audited.snap"),
        snapshots.join("exhaustive/two_hooks.python-head.snap"),
    ];
    let (code, stdout, stderr) =
        run(harness(folder).args(["--scenarios", ".", "bless", "two_hooks"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    for file in &files {
        assert!(
            file.with_extension("snap.new").is_file() && !file.exists(),
            "{} is pending:\n{stdout}",
            file.display()
        );
        assert!(
            stdout.contains(&format!("pending  {}.new", file.display())),
            "{stdout}"
        );
    }
    // Pending snapshots are not committed ones: a run still lacks them.
    let (code, _, _) = run(harness(folder).args(["--scenarios", ".", "run", "two_hooks"]));
    assert_eq!(code, 1);

    let (code, stdout, stderr) =
        run(harness(folder).args(["--scenarios", ".", "bless", "two_hooks", "--accept"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    for file in &files {
        assert!(
            file.is_file() && !file.with_extension("snap.new").exists(),
            "{} is accepted",
            file.display()
        );
    }
    let sdk = std::fs::read_to_string(&files[1]).expect("the sdk exhaustive snapshot");
    assert!(sdk.contains("[sdk] as expected\nviolated: -"), "{sdk}");
    let audited = std::fs::read_to_string(&files[2]).expect("the audited exhaustive snapshot");
    assert!(
        audited.contains("[audited] as expected\nviolated: lost-hook"),
        "{audited}"
    );
    let head = std::fs::read_to_string(&files[3]).expect("the python-head exhaustive snapshot");
    assert!(
        head.contains("[python-head] as expected\nviolated: -"),
        "{head}"
    );
    // Now the scenario runs as a committed one does: randomized and exhaustive.
    let (code, stdout, _) = run(harness(folder).args(["--scenarios", ".", "run", "two_hooks"]));
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = run(harness(folder).args([
        "--scenarios",
        ".",
        "run",
        "--scheduler",
        "exhaustive",
        "two_hooks",
    ]));
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn results_are_machine_readable() {
    let scenarios = failing_folder();
    let junit = scenarios.path().join("results.xml");
    let (code, stdout, stderr) = run(harness(scenarios.path())
        .args([
            "--scenarios",
            ".",
            "run",
            "mine",
            "--iterations",
            "20",
            "--seeds",
            "3..5",
            "--format",
            "json",
            "--junit",
        ])
        .arg(&junit));
    assert_eq!(code, 1, "{stderr}");
    let results: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(results["schema"], "harness-results/1");
    assert_eq!(results["command"], "run");
    assert_eq!(results["passed"], false);
    let cases = results["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 6, "three targets × two schedulers");
    let audited = cases
        .iter()
        .find(|c| c["target"] == "audited" && c["scheduler"] == "random")
        .expect("the audited random case");
    assert_eq!(audited["passed"], false);
    let seeds: Vec<u64> = audited["detections"]
        .as_array()
        .expect("detections")
        .iter()
        .filter_map(|d| d["base_seed"].as_u64())
        .collect();
    assert_eq!(seeds, [3, 4], "--seeds 3..5 runs base seeds 3 and 4");
    let replay = audited["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .find_map(|f| f["replay"].as_str())
        .expect("a failure with its replay command");
    assert!(replay.contains("replay mine --target audited --scheduler random --seed "));
    // The human report went to stderr.
    assert!(stderr.contains("scenarios: 0 passed, 1 failed"), "{stderr}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(
        xml.contains(r#"<testcase name="mine::audited::random" classname="mine">"#),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="mine::sdk::pct" classname="mine">"#),
        "{xml}"
    );

    // An expected violation carries the command that replays its first detection.
    let (code, stdout, _) = run(harness(&workspace()).args([
        "run",
        "a07_lost_global_hook",
        "--target",
        "audited",
        "--iterations",
        "50",
        "--seed",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let results: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let first = &results["cases"][0]["first_detections"][0];
    assert_eq!(first["property"], "lost-hook");
    assert!(
        first["replay"]
            .as_str()
            .is_some_and(|r| r.contains("replay a07_lost_global_hook --target audited")),
        "{first}"
    );
}

#[test]
fn fail_fast_stops_at_the_first_failing_execution() {
    let scenarios = failing_folder();
    let args = [
        "--scenarios",
        ".",
        "run",
        "mine",
        "--target",
        "audited",
        "--iterations",
        "200",
        "--seeds",
        "1..4",
        "--format",
        "json",
    ];
    let cases = |fail_fast: bool| -> Vec<(String, u64)> {
        let mut command = harness(scenarios.path());
        command.args(args);
        if fail_fast {
            command.arg("--fail-fast");
        }
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 1, "{stderr}");
        let results: serde_json::Value = serde_json::from_str(&stdout).expect("JSON results");
        results["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|case| {
                let scheduler = case["scheduler"].as_str().unwrap_or_default().to_owned();
                (scheduler, case["executions"].as_u64().unwrap_or_default())
            })
            .collect()
    };
    // Without it, every base seed of every scheduler spends its budget.
    assert_eq!(
        cases(false),
        [("random".to_owned(), 600), ("pct".to_owned(), 600)]
    );
    // With it, the first execution that violates an unexpected property ends the run.
    let stopped = cases(true);
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(stopped[0].0, "random");
    assert!(stopped[0].1 < 200, "{stopped:?}");
}

#[test]
fn fail_fast_stops_after_the_first_failing_scenario() {
    let scenarios = failing_folder();
    std::fs::copy(
        scenarios.path().join("mine.toml"),
        scenarios.path().join("mine2.toml"),
    )
    .expect("copy");
    let args = [
        "--scenarios",
        ".",
        "run",
        "--iterations",
        "5",
        "--seed",
        "1",
    ];
    let (code, stdout, _) = run(harness(scenarios.path()).args(args).arg("--fail-fast"));
    assert_eq!(code, 1);
    assert!(stdout.contains("scenarios: 0 passed, 1 failed"), "{stdout}");
    let (_, stdout, _) = run(harness(scenarios.path()).args(args));
    assert!(stdout.contains("scenarios: 0 passed, 2 failed"), "{stdout}");
}

//! `cargo xtask [--locked] HARNESS-ARGS...`: runs the harness with the arguments given, after
//! building its loom build when they need one (`run --scheduler exhaustive`, `bless`).
//!
//! The loom build is the harness compiled a second time with `--cfg harness_loom` (its world,
//! test providers, audited model and SDK twin on loom), in `target/loom` so that it never
//! invalidates the normal build. The harness never builds anything itself: it runs the loom
//! build named by `HARNESS_LOOM_BINARY` as a child for the scenarios loom explores, and this
//! task builds it and sets that variable. Every other command runs the harness as
//! `cargo run --release -p harness -- ARGS` does.
//!
//! `cargo xtask [--locked] mutants [...]` is this task's own command: the mutation pass (see
//! `mutants.rs`).

mod mutants;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The variable through which the harness finds its loom build.
const LOOM_BINARY_ENV: &str = "HARNESS_LOOM_BINARY";

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let locked = args.first().is_some_and(|arg| arg == "--locked");
    if locked {
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!(
            "usage: cargo xtask [--locked] HARNESS-ARGS...\n\
             runs `harness HARNESS-ARGS` (e.g. `run --scheduler exhaustive`, `bless NAME`), building\n\
             the harness's loom build first when the command needs it;\n\
             `cargo xtask [--locked] mutants [--list] [--only ID]...` runs the mutation pass"
        );
        return ExitCode::from(2);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    if args[0] == "mutants" {
        return mutants::main(&args[1..], &workspace, &cargo, locked);
    }
    let mut harness = Command::new(&cargo);
    harness
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "harness",
            "--manifest-path",
        ])
        .arg(workspace.join("Cargo.toml"))
        .args(locked.then_some("--locked"))
        .arg("--")
        .args(&args);
    if needs_loom(&args) {
        match build_loom(&cargo, &workspace, locked) {
            Ok(binary) => {
                harness.env(LOOM_BINARY_ENV, binary);
            }
            Err(code) => return code,
        }
    }
    exit_code(harness.status())
}

/// Whether the harness command explores with loom: the exhaustive pass, or `bless` (which
/// runs it).
fn needs_loom(args: &[OsString]) -> bool {
    args.iter()
        .any(|arg| arg == "bless" || arg == "--scheduler=exhaustive")
        || args
            .windows(2)
            .any(|pair| pair[0] == "--scheduler" && pair[1] == "exhaustive")
}

/// Builds the loom build and returns the path of its binary.
fn build_loom(cargo: &OsString, workspace: &Path, locked: bool) -> Result<PathBuf, ExitCode> {
    let target = workspace.join("target/loom");
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} --cfg harness_loom"),
        _ => "--cfg harness_loom".to_owned(),
    };
    eprintln!("building the harness's loom build in {}", target.display());
    let built = Command::new(cargo)
        .env("RUSTFLAGS", rustflags)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "harness",
            "--bin",
            "harness",
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .args(locked.then_some("--locked"))
        .status();
    match built {
        Ok(status) if status.success() => Ok(target
            .join("release")
            .join(format!("harness{}", std::env::consts::EXE_SUFFIX))),
        other => Err(exit_code(other)),
    }
}

/// A child's exit status as this process's exit code (2, bad input, when it could not run).
fn exit_code(status: std::io::Result<std::process::ExitStatus>) -> ExitCode {
    match status {
        Ok(status) => status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from),
        Err(error) => {
            eprintln!("error: cannot run cargo: {error}");
            ExitCode::from(2)
        }
    }
}

//! Where a run of the harness finds its files, and how the commands it prints invoke it again.
//!
//! Nothing here is fixed at build time: the scenario folder comes from `--scenarios`, then
//! `HARNESS_SCENARIOS`, then the nearest workspace upwards from the current directory (a folder
//! with a `Cargo.toml` and a `scenarios/` folder); the snapshot folder from `--snapshots`, then
//! `HARNESS_SNAPSHOTS`, then beside the scenario folder. Every command the harness prints (a
//! replay, a re-run of an exploration) names the program as it was started and every folder
//! that was not found by that default, so that it reproduces exactly as printed.

use crate::sched::SchedulerKind;
use crate::target::TargetKind;
use std::path::{Path, PathBuf};

/// The environment variable naming the scenario folder.
pub const SCENARIOS_ENV: &str = "HARNESS_SCENARIOS";
/// The environment variable naming the snapshot folder.
pub const SNAPSHOTS_ENV: &str = "HARNESS_SNAPSHOTS";

/// The folders a run reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folders {
    /// The scenario files (`*.toml`, not recursive).
    pub scenarios: PathBuf,
    /// The scenario snapshots; the exhaustive ones are in its `exhaustive/` folder.
    pub snapshots: PathBuf,
    /// Whether pending snapshots (`.snap.new`, written by `harness bless` for review) are read
    /// in place of the committed ones.
    pub read_pending: bool,
}

impl Folders {
    /// The folders of the workspace at `root`: `scenarios/` and `harness/snapshots/`.
    pub fn of_workspace(root: &Path) -> Self {
        Self {
            scenarios: root.join("scenarios"),
            snapshots: root.join("harness").join("snapshots"),
            read_pending: false,
        }
    }

    /// The default snapshot folder of a scenario folder: the workspace's `harness/snapshots`
    /// when the folder is a workspace's `scenarios/`, otherwise `snapshots/` inside it.
    pub fn beside(scenarios: PathBuf) -> Self {
        let in_workspace = scenarios
            .parent()
            .map(|root| root.join("harness").join("snapshots"))
            .filter(|snapshots| snapshots.is_dir());
        let snapshots = in_workspace.unwrap_or_else(|| scenarios.join("snapshots"));
        Self {
            scenarios,
            snapshots,
            read_pending: false,
        }
    }

    /// The folder of the exhaustive snapshots.
    pub fn exhaustive(&self) -> PathBuf {
        self.snapshots.join("exhaustive")
    }

    /// The scenario snapshot file of `scenario` (its sequential outcomes).
    pub fn scenario_snapshot(&self, scenario: &str) -> PathBuf {
        self.snapshots.join(format!("{scenario}.snap"))
    }

    /// The exhaustive snapshot file of `scenario` on `target`.
    pub fn exhaustive_snapshot(&self, scenario: &str, target: TargetKind) -> PathBuf {
        self.exhaustive()
            .join(format!("{scenario}.{}.snap", target.as_str()))
    }

    /// The text of the snapshot file `path` (its pending `.snap.new` when pending snapshots
    /// are read and there is one), read with insta's own parser.
    pub fn read_snapshot(&self, path: &Path) -> Option<String> {
        let pending = path.with_extension("snap.new");
        let path = if self.read_pending && pending.is_file() {
            pending.as_path()
        } else {
            path
        };
        let snapshot = insta::Snapshot::from_file(path).ok()?;
        snapshot.as_text().map(|text| text.to_string())
    }
}

/// The nearest folder at or above `start` that holds a `Cargo.toml` and a `scenarios/` folder.
pub fn find_workspace(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("scenarios").is_dir())
        .map(Path::to_path_buf)
}

/// How this run of the harness was started: its folders, and the words that start it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub folders: Folders,
    /// The program, e.g. `cargo run --release -p harness --` or `/abs/path/harness`.
    program: String,
    /// The folder options a printed command repeats (those not found by default).
    folder_args: String,
    /// Why there is no scenario folder, when there is none (commands that read no scenario,
    /// such as `ops`, run without one).
    pub missing: Option<String>,
    /// Options every printed exhaustive re-run repeats (`--preemption-bound`, `--explorer`
    /// overrides).
    exhaustive_overrides: String,
}

impl Invocation {
    /// Finds the folders (flag or environment value first, as clap gives them) and how the
    /// program was started. `invoked_as` overrides the program and its folder options (the
    /// exhaustive pass's loom build prints its parent's commands).
    pub fn detect(
        scenarios: Option<PathBuf>,
        snapshots: Option<PathBuf>,
        invoked_as: Option<String>,
    ) -> Result<Self, String> {
        let cwd = std::env::current_dir()
            .map_err(|error| format!("cannot read the current directory: {error}"))?;
        let explicit_scenarios = scenarios.is_some();
        let (scenarios, missing) = match scenarios {
            Some(folder) => {
                let folder = absolute(&cwd, &folder);
                let missing = (!folder.is_dir())
                    .then(|| format!("the scenario folder {} is not a folder", folder.display()));
                (folder, missing)
            }
            None => match find_workspace(&cwd) {
                Some(root) => (root.join("scenarios"), None),
                None => (
                    cwd.join("scenarios"),
                    Some(format!(
                        "no scenario folder: give `--scenarios DIR`, set {SCENARIOS_ENV}, or run inside the workspace (no folder above {} holds a Cargo.toml and a scenarios/ folder)",
                        cwd.display()
                    )),
                ),
            },
        };
        let derived = Folders::beside(scenarios.clone());
        let snapshots = snapshots.map(|folder| absolute(&cwd, &folder));
        let mut folder_args = String::new();
        if explicit_scenarios {
            folder_args.push_str(&format!(" --scenarios {}", quote(&derived.scenarios)));
        }
        let folders = match snapshots {
            Some(snapshots) if snapshots != derived.snapshots => {
                folder_args.push_str(&format!(" --snapshots {}", quote(&snapshots)));
                Folders {
                    scenarios,
                    snapshots,
                    read_pending: false,
                }
            }
            _ => derived,
        };
        Ok(match invoked_as {
            Some(program) => Self {
                folders,
                program,
                folder_args: String::new(),
                missing,
                exhaustive_overrides: String::new(),
            },
            None => Self {
                folders,
                program: program(&cwd),
                folder_args,
                missing,
                exhaustive_overrides: String::new(),
            },
        })
    }

    /// An invocation through cargo in the workspace at `root`, with its default folders: what
    /// the tests and the snapshots print.
    pub fn in_workspace(root: &Path) -> Self {
        Self {
            folders: Folders::of_workspace(root),
            program: "cargo run --release -p harness --".to_owned(),
            folder_args: String::new(),
            missing: None,
            exhaustive_overrides: String::new(),
        }
    }

    /// The same invocation, reading and writing `folders` instead (printed commands name them).
    pub fn with_folders(&self, folders: Folders) -> Self {
        let mut folder_args = format!(" --scenarios {}", quote(&folders.scenarios));
        if folders != Folders::beside(folders.scenarios.clone()) {
            folder_args.push_str(&format!(" --snapshots {}", quote(&folders.snapshots)));
        }
        Self {
            folder_args,
            folders,
            program: self.program.clone(),
            missing: None,
            exhaustive_overrides: self.exhaustive_overrides.clone(),
        }
    }

    /// The same invocation, its exhaustive re-run commands repeating `overrides` (e.g.
    /// ` --preemption-bound 2`).
    pub fn with_exhaustive_overrides(&self, overrides: &str) -> Self {
        Self {
            exhaustive_overrides: overrides.to_owned(),
            ..self.clone()
        }
    }

    /// A command of this harness: the program, the folder options, then `args`.
    pub fn command(&self, args: &str) -> String {
        format!("{}{} {args}", self.program, self.folder_args)
    }

    /// The command that replays one execution with its trace.
    pub fn replay(
        &self,
        scenario: &str,
        target: TargetKind,
        scheduler: SchedulerKind,
        seed: u64,
    ) -> String {
        self.command(&format!(
            "replay {scenario} --target {} --scheduler {} --seed {seed}",
            target.as_str(),
            scheduler.as_str()
        ))
    }

    /// The command that writes a scenario's snapshots (`bless`), which explores with loom.
    pub fn bless(&self, scenario: &str) -> String {
        self.loom_command(&format!("bless {scenario}"))
    }

    /// Whether commands that need the loom build go through the `xtask` package: when this run
    /// is `cargo run ... -p harness --`.
    pub fn runs_through_xtask(&self) -> bool {
        self.program.contains(" -p harness --")
    }

    /// A command that needs the harness's loom build: run through the `xtask` package where
    /// this run is `cargo run ... -p harness --` (`cargo xtask` builds the loom build first),
    /// else this program with the loom build it was given.
    pub fn loom_command(&self, args: &str) -> String {
        let program = if self.runs_through_xtask() {
            self.program.replacen(" -p harness --", " -p xtask --", 1)
        } else {
            match std::env::var_os(crate::exhaustive::LOOM_BINARY_ENV) {
                Some(binary) => format!(
                    "{}={} {}",
                    crate::exhaustive::LOOM_BINARY_ENV,
                    quote(Path::new(&binary)),
                    self.program
                ),
                None => self.program.clone(),
            }
        };
        format!("{program}{} {args}", self.folder_args)
    }

    /// The command that re-runs the exhaustive exploration of `scenario` (of one target, and
    /// printing one execution's trace when `execution` is given), with the loom build
    /// ([`Invocation::loom_command`]) whichever checker explores the scenario.
    pub fn exhaustive(
        &self,
        scenario: &str,
        target: Option<TargetKind>,
        execution: Option<usize>,
    ) -> String {
        let mut args = format!("run --scheduler exhaustive {scenario}");
        if let Some(target) = target {
            args.push_str(&format!(" --target {}", target.as_str()));
        }
        if let Some(execution) = execution {
            args.push_str(&format!(" --execution {execution}"));
        }
        args.push_str(&self.exhaustive_overrides);
        self.loom_command(&args)
    }
}

/// `path` made absolute against `cwd`, without `.` components (not canonicalized: a printed
/// path stays recognizable).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    cwd.join(path)
        .components()
        .filter(|component| *component != std::path::Component::CurDir)
        .collect()
}

/// How the running program is started again. Under `cargo run` (cargo sets `CARGO` and the
/// package name for the program it runs) that is `cargo run`, with `--manifest-path` when the
/// current directory is outside the workspace; otherwise the program's own path, made absolute,
/// or its bare name when it was found on the `PATH`.
fn program(cwd: &Path) -> String {
    let via_cargo = std::env::var_os("CARGO").is_some()
        && std::env::var("CARGO_PKG_NAME").is_ok_and(|name| name == "harness");
    if via_cargo {
        let mut program = "cargo run".to_owned();
        if !cfg!(debug_assertions) {
            program.push_str(" --release");
        }
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .and_then(|manifest| manifest.parent().map(Path::to_path_buf));
        if let Some(root) = root.filter(|root| !cwd.starts_with(root)) {
            program.push_str(&format!(
                " --manifest-path {}",
                quote(&root.join("Cargo.toml"))
            ));
        }
        program.push_str(" -p harness --");
        return program;
    }
    let argv0 = std::env::args_os().next().map(PathBuf::from);
    match argv0 {
        Some(name) if name.components().count() == 1 && !name.as_os_str().is_empty() => {
            quote(&name)
        }
        _ => std::env::current_exe()
            .map(|exe| quote(&exe))
            .unwrap_or_else(|_| "harness".to_owned()),
    }
}

/// A path as one shell word.
pub fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    shlex::try_quote(&text).map_or_else(|_| text.to_string(), |quoted| quoted.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_program_and_the_folders_not_found_by_default() {
        let root = Path::new("/w");
        let plain = Invocation::in_workspace(root);
        assert_eq!(
            plain.replay("a01", TargetKind::Sdk, SchedulerKind::Pct, 7),
            "cargo run --release -p harness -- replay a01 --target sdk --scheduler pct --seed 7"
        );
        let elsewhere = plain.with_folders(Folders {
            scenarios: PathBuf::from("/tmp/my scenarios"),
            snapshots: PathBuf::from("/tmp/snaps"),
            read_pending: false,
        });
        assert_eq!(
            elsewhere.exhaustive("x", Some(TargetKind::Audited), Some(3)),
            "cargo run --release -p xtask -- --scenarios '/tmp/my scenarios' --snapshots /tmp/snaps run --scheduler exhaustive x --target audited --execution 3"
        );
        let overridden = plain.with_exhaustive_overrides(" --explorer shuttle-dfs");
        assert_eq!(
            overridden.exhaustive("x", Some(TargetKind::Sdk), Some(2)),
            "cargo run --release -p xtask -- run --scheduler exhaustive x --target sdk --execution 2 --explorer shuttle-dfs",
            "a re-run repeats the overrides of the run that printed it"
        );
        let beside = plain.with_folders(Folders::beside(PathBuf::from("/tmp/mine")));
        assert_eq!(
            beside.command("list"),
            "cargo run --release -p harness -- --scenarios /tmp/mine list"
        );
    }

    #[test]
    fn a_scenario_folder_outside_a_workspace_keeps_its_snapshots_inside_it() {
        let folders = Folders::beside(PathBuf::from("/nonexistent/mine"));
        assert!(!folders.read_pending);
        assert_eq!(
            folders.snapshots,
            PathBuf::from("/nonexistent/mine/snapshots")
        );
        assert_eq!(
            folders.exhaustive_snapshot("x", TargetKind::Sdk),
            PathBuf::from("/nonexistent/mine/snapshots/exhaustive/x.sdk.snap")
        );
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let folders = Folders::beside(workspace.join("scenarios"));
        assert_eq!(folders, Folders::of_workspace(&workspace));
    }
}

//! Every scenario file as its own named test (`cargo test -p harness -- double_shutdown` runs
//! one): every target, both randomized schedulers, expectations checked, and the canonical
//! snapshot compared with `snapshots/<name>.snap`. Also: every broken example in
//! `scenarios/broken/` fails to parse with a snapshotted message, the contributor's guide lists
//! the vocabulary the parser accepts, and replaying a printed seed reproduces its trace. The
//! randomized outcomes of every scenario are checked against its exhaustive snapshot, shuttle's
//! DFS is cross-checked against loom's outcome sets on small scenarios, and a failing
//! exhaustive exploration reports a command and a trace that reproduce it.

use harness::exhaustive::{self, Capture};
use harness::invocation::Invocation;
use harness::oracle::{self, Reference};
use harness::properties::{Property, Violation};
use harness::runner::{self, Schedule};
use harness::scenario::{self, ExplorerKind, PerTarget, Scenario};
use harness::sched::SchedulerKind;
use harness::suite::{self, RunOptions};
use harness::target::TargetKind;
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workspace's folders, and the commands its failures print.
fn invocation() -> Invocation {
    Invocation::in_workspace(&workspace())
}

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    // The snapshots live in the harness package, where `cargo insta review` looks for them;
    // the top-level `snapshots` is a link to this folder.
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// Base seeds per expected violation in `cargo test`; the main job (`harness run`) uses 20.
fn detection_seeds() -> u64 {
    std::env::var("HARNESS_DETECTION_SEEDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3)
}

fn check_scenario(path: &Path) -> Result<(), Failed> {
    let scenario = Arc::new(scenario::load(path).map_err(|error| error.to_string())?);
    let mut options = RunOptions::new(invocation());
    options.detection_seeds = detection_seeds();
    let report = suite::run_scenario(&scenario, &options, |_| {});
    let snapshot = suite::snapshot(&report);
    let compared = std::panic::catch_unwind(|| {
        snapshot_settings().bind(|| insta::assert_snapshot!(scenario.name.clone(), snapshot));
    });
    let failures: Vec<String> = report
        .targets
        .iter()
        .flat_map(|t| t.failures.iter().map(ToString::to_string))
        .collect();
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    compared.map_err(|_| {
        Failed::from(format!(
            "snapshot of {} differs (run `cargo insta review`)",
            scenario.name
        ))
    })
}

/// A scenario on one of the Python models (`audited` unless said otherwise), with its oracle
/// reference and PCT step estimate, computed once.
struct Audited {
    scenario: Arc<Scenario>,
    target: TargetKind,
    reference: Reference,
    estimated_steps: usize,
}

impl Audited {
    fn load(path: &Path) -> Result<Self, Failed> {
        Self::load_on(path, TargetKind::Audited)
    }

    fn load_on(path: &Path, target: TargetKind) -> Result<Self, Failed> {
        let scenario = Arc::new(scenario::load(path).map_err(|error| error.to_string())?);
        let reference = oracle::reference_unless_opted_out(&scenario, target).unwrap_or_default();
        let estimated_steps = runner::calibrate_pct(&scenario, target);
        Ok(Self {
            scenario,
            target,
            reference,
            estimated_steps,
        })
    }

    /// Runs base seed 1 under `scheduler` until every property in `wanted` has been seen.
    fn search(&self, scheduler: SchedulerKind, wanted: &BTreeSet<Property>) -> runner::Batch {
        runner::run_batch(
            &self.scenario,
            self.target,
            scheduler,
            1,
            self.scenario.schedule.iterations,
            self.estimated_steps,
            runner::Judges {
                reference: self.reference.complete.then_some(&self.reference),
                exhaustive: None,
            },
            runner::BatchStop::when_found(wanted),
            || {},
        )
    }
}

/// For a scenario whose `target` (a Python model) must violate something: find a violating
/// execution under each scheduler, replay its seed twice, and require the same violation and
/// the same trace, byte for byte.
fn check_replay(path: &Path, target: TargetKind) -> Result<(), Failed> {
    let audited = Audited::load_on(path, target)?;
    let scenario = &audited.scenario;
    let expected: BTreeSet<Property> = scenario
        .expect
        .of(target)
        .violates
        .iter()
        .filter_map(|id| Property::from_id(id))
        .collect();
    let property = *expected
        .first()
        .ok_or("the scenario expects no violation")?;
    for scheduler in SchedulerKind::ALL {
        let batch = audited.search(scheduler, &expected);
        let (_, seed, _) = batch
            .first
            .get(&property)
            .ok_or_else(|| format!("{property} not found under {}", scheduler.as_str()))?;
        let schedule = Schedule::of(
            scheduler,
            *seed,
            scenario.schedule.pct_depth,
            audited.estimated_steps,
        );
        let replay = || {
            let mut execution = runner::execute(scenario, target, schedule);
            if audited.reference.complete {
                oracle::judge(&audited.reference, &mut execution);
            }
            let found = execution.violations.iter().any(|v| v.property == property);
            (
                found,
                harness::trace::render(scenario, &execution.log),
                execution.outcome,
            )
        };
        let (first, second) = (replay(), replay());
        if !first.0 {
            return Err(format!(
                "replaying {} seed {seed} did not reproduce {property}",
                scheduler.as_str()
            )
            .into());
        }
        if first != second {
            return Err(format!("two replays of {} seed {seed} differ", scheduler.as_str()).into());
        }
    }
    Ok(())
}

/// With the hand-written properties switched off, the linearizability oracle alone must still
/// catch the race of every non-benign audited scenario, under both schedulers.
fn check_oracle_alone(path: &Path) -> Result<(), Failed> {
    let audited = Audited::load(path)?;
    if !audited.reference.complete {
        return Err("the oracle's reference is incomplete".into());
    }
    let wanted = BTreeSet::from([Property::NotLinearizable]);
    for scheduler in SchedulerKind::ALL {
        let batch = audited.search(scheduler, &wanted);
        if !batch.first.contains_key(&Property::NotLinearizable) {
            return Err(format!(
                "the oracle alone did not catch {} under {} within {} executions",
                audited.scenario.name,
                scheduler.as_str(),
                batch.executions
            )
            .into());
        }
    }
    Ok(())
}

/// For a scenario whose audited target may be non-linearizable while every outcome stays
/// sequentially consistent: PCT finds an execution that only the real-time order condemns, the
/// report names the two steps whose order every explanation contradicts, and its seed replays it.
fn check_real_time_only(path: &Path) -> Result<(), Failed> {
    let audited = Audited::load(path)?;
    let scenario = &audited.scenario;
    let wanted = BTreeSet::from([Property::NotLinearizable]);
    let batch = audited.search(SchedulerKind::Pct, &wanted);
    let (_, seed, violation) = batch.first.get(&Property::NotLinearizable).ok_or_else(|| {
        format!(
            "PCT found no non-linearizable execution within {} executions",
            batch.executions
        )
    })?;
    if batch
        .first
        .contains_key(&Property::NotSequentiallyConsistent)
    {
        return Err("an outcome outside the sequential ones: not a real-time-only race".into());
    }
    if !violation.detail.contains("ended before") {
        return Err(format!("the report names no pair of steps: {}", violation.detail).into());
    }
    let schedule = Schedule::of(
        SchedulerKind::Pct,
        *seed,
        scenario.schedule.pct_depth,
        audited.estimated_steps,
    );
    let mut execution = runner::execute(scenario, TargetKind::Audited, schedule);
    oracle::judge(&audited.reference, &mut execution);
    let replayed: Vec<&Violation> = execution
        .violations
        .iter()
        .filter(|v| v.property == Property::NotLinearizable)
        .collect();
    if replayed != [violation] {
        return Err(format!("replaying seed {seed} gave {replayed:?}, not {violation:?}").into());
    }
    Ok(())
}

fn check_broken(path: &Path) -> Result<(), Failed> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let relative = Path::new("scenarios/broken").join(path.file_name().unwrap_or_default());
    let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    match scenario::parse(&name, &relative, &source) {
        Ok(_) => Err(format!("{} parsed, but it is a broken example", relative.display()).into()),
        Err(error) => {
            let message = error.to_string();
            std::panic::catch_unwind(|| {
                snapshot_settings()
                    .bind(|| insta::assert_snapshot!(format!("broken__{name}"), message));
            })
            .map_err(|_| {
                Failed::from(format!(
                    "error message for {name} differs (run `cargo insta review`)"
                ))
            })
        }
    }
}

/// Scenarios small enough for shuttle's DFS at the default bound in a debug build: their
/// outcome sets under shuttle's DFS must equal the loom sets in their exhaustive snapshots, two
/// independent checkers agreeing on every interleaving within the bound.
const CROSS_CHECKED: [&str; 5] = [
    "a07_lost_global_hook",
    "a08_lost_client_hook",
    "a13_context_lost_update",
    "a14_propagator_swap",
    "a16_detach_during_emit",
];

fn with_explorer(path: &Path, explorer: ExplorerKind) -> Result<Arc<Scenario>, Failed> {
    let mut scenario = scenario::load(path).map_err(|e| e.to_string())?;
    scenario.schedule.explorer = PerTarget::both(explorer);
    Ok(Arc::new(scenario))
}

fn check_cross(path: &Path) -> Result<(), Failed> {
    let scenario = with_explorer(path, ExplorerKind::ShuttleDfs)?;
    for target in TargetKind::ALL {
        let report = suite::run_exhaustive(&scenario, target, None, &invocation());
        if !report.failures.is_empty() {
            let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
            return Err(failures.join("\n").into());
        }
        let loom = exhaustive::committed_outcomes(&invocation().folders, &scenario.name, target)
            .ok_or_else(|| {
                format!(
                    "{} on {}: no exhaustive snapshot",
                    scenario.name,
                    target.as_str()
                )
            })?;
        let dfs: BTreeSet<String> = report.exploration.outcomes.keys().cloned().collect();
        if dfs != loom {
            return Err(format!(
                "{} on {}: shuttle's DFS found {} outcomes, loom {}; only DFS: {:?}; only loom: {:?}",
                scenario.name,
                target.as_str(),
                dfs.len(),
                loom.len(),
                dfs.difference(&loom).collect::<Vec<_>>(),
                loom.difference(&dfs).collect::<Vec<_>>()
            )
            .into());
        }
    }
    Ok(())
}

/// An exhaustive exploration that contradicts the expectation fails with the command that
/// re-runs it and the trace of the first violating execution; re-running that execution by
/// number gives the same trace.
fn check_exhaustive_failure_report() -> Result<(), Failed> {
    let path = workspace().join("scenarios/a07_lost_global_hook.toml");
    let mut scenario = Scenario::clone(with_explorer(&path, ExplorerKind::ShuttleDfs)?.as_ref());
    scenario.expect.audited = Default::default();
    let scenario = Arc::new(scenario);
    let report = suite::run_exhaustive(&scenario, TargetKind::Audited, None, &invocation());
    let failure = report
        .failures
        .iter()
        .map(ToString::to_string)
        .find(|f| f.contains("unexpected lost-hook"))
        .ok_or("a violated \"holds\" was not reported")?;
    let (number, _, trace) = &report.exploration.first[&Property::LostHook];
    let command = format!("--target audited --execution {number}");
    if !failure.contains(&command) || !failure.contains("step  main") {
        return Err(format!("the report lacks the re-run command or the trace:\n{failure}").into());
    }
    let again = suite::run_exhaustive(
        &scenario,
        TargetKind::Audited,
        Some(Capture::new(*number)),
        &invocation(),
    );
    match again.exploration.captured {
        Some(captured) if captured.starts_with(trace.as_str()) => Ok(()),
        _ => Err(format!("execution {number} did not replay to the same trace").into()),
    }
}

fn main() {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    let folder = workspace().join("scenarios");
    for path in scenario::files_in(&folder).expect("the scenarios folder is readable") {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let replayable = scenario::load(&path).is_ok_and(|s| !s.expect.audited.violates.is_empty());
        if replayable {
            let replay_path = path.clone();
            trials.push(Trial::test(format!("replay::{name}"), move || {
                check_replay(&replay_path, TargetKind::Audited)
            }));
            let oracle_path = path.clone();
            trials.push(Trial::test(format!("oracle_alone::{name}"), move || {
                check_oracle_alone(&oracle_path)
            }));
        }
        // The races PYTHON_HEAD.md lists replay byte for byte too.
        if scenario::load(&path).is_ok_and(|s| !s.expect.python_head.violates.is_empty()) {
            let replay_path = path.clone();
            trials.push(Trial::test(format!("replay_head::{name}"), move || {
                check_replay(&replay_path, TargetKind::PythonHead)
            }));
        }
        let real_time_only = scenario::load(&path).is_ok_and(|s| {
            let audited = &s.expect.audited;
            let named = |id: &str| {
                audited
                    .violates
                    .iter()
                    .chain(&audited.may_violate)
                    .any(|p| p == id)
            };
            named("not-linearizable") && !named("not-sequentially-consistent")
        });
        if real_time_only {
            let real_time_path = path.clone();
            trials.push(Trial::test(format!("real_time_only::{name}"), move || {
                check_real_time_only(&real_time_path)
            }));
        }
        trials.push(Trial::test(name, move || check_scenario(&path)));
    }
    for path in
        scenario::files_in(&folder.join("broken")).expect("the broken scenarios folder is readable")
    {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        trials.push(Trial::test(format!("broken::{name}"), move || {
            check_broken(&path)
        }));
    }
    for name in CROSS_CHECKED {
        let path = folder.join(format!("{name}.toml"));
        trials.push(Trial::test(
            format!("dfs_matches_loom::{name}"),
            move || check_cross(&path),
        ));
    }
    trials.push(Trial::test(
        "exhaustive_failure_report",
        check_exhaustive_failure_report,
    ));
    libtest_mimic::run(&arguments, trials).exit();
}

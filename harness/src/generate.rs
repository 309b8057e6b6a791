//! Generated scenarios: proptest strategies over the operation vocabulary, a check that runs
//! each generated scenario under the oracle and PCT, shrinking (proptest shrinks the scenario,
//! then the schedule is shrunk to the lowest PCT depth that still fails), and the minimal case
//! written out as a ready scenario file.
//!
//! The vocabulary is kept small on purpose (three providers, two hooks, two handlers, one
//! domain) so that generated operations collide on shared state often.

use crate::ops::pools::{HANDLERS, HOOKS, PROVIDERS};
use crate::oracle;
use crate::properties::{Property, Violation};
use crate::rt::lock;
use crate::runner::{self, Schedule};
use crate::scenario::{
    ClientSpec, Expect, InitBehaviour, Op, ProviderSpec, Scenario, ScheduleSpec, ThreadSpec,
    Verdict,
};
use crate::sched::execution_seed;
use crate::suite::{self, RunOptions};
use crate::target::TargetKind;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

/// One operation from the whole vocabulary (each operation's own strategy, with its weight).
pub fn op() -> impl Strategy<Value = Op> {
    Op::strategy()
}

fn provider_spec() -> impl Strategy<Value = ProviderSpec> {
    (
        prop_oneof![4 => Just(InitBehaviour::Succeeds), 1 => Just(InitBehaviour::Fails)],
        0u32..2,
    )
        .prop_map(|(init, init_steps)| ProviderSpec {
            init,
            init_steps,
            emits: Vec::new(),
        })
}

/// A scenario: an optional setup, two or three threads of one to four operations each, and
/// three providers with random behaviours.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    let setup = prop_oneof![
        Just(Vec::new()),
        Just(vec![Op::SetProvider {
            provider: "p0".to_owned(),
            domain: None,
            wait: true
        }]),
    ];
    let threads = proptest::collection::vec(proptest::collection::vec(op(), 1..=4), 2..=3);
    (
        setup,
        threads,
        proptest::collection::vec(provider_spec(), 3),
        // One scenario in four has user code that calls back into the SDK.
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(setup, threads, specs, reenters)| {
            let providers = PROVIDERS
                .iter()
                .map(|p| (*p).to_owned())
                .zip(specs)
                .collect();
            let clients = BTreeMap::from([
                ("default".to_owned(), ClientSpec::default()),
                (
                    "c1".to_owned(),
                    ClientSpec {
                        domain: Some("d1".to_owned()),
                    },
                ),
            ]);
            Scenario {
                name: "generated".to_owned(),
                path: "generated.toml".into(),
                description: "A generated scenario.".to_owned(),
                audit: Vec::new(),
                providers,
                hooks: HOOKS.iter().map(|h| (*h).to_owned()).collect(),
                handlers: HANDLERS.iter().map(|h| (*h).to_owned()).collect(),
                clients,
                setup,
                threads: threads
                    .into_iter()
                    .enumerate()
                    .map(|(index, ops)| ThreadSpec {
                        name: format!("T{index}"),
                        ops,
                    })
                    .collect(),
                after: Vec::new(),
                reenters,
                schedule: ScheduleSpec::default(),
                expect: Expect::default(),
                benign: None,
                oracle_opt_out: Default::default(),
            }
        })
}

/// The number of operations in a scenario (setup and threads).
pub fn op_count(scenario: &Scenario) -> usize {
    scenario.setup.len() + scenario.threads.iter().map(|t| t.ops.len()).sum::<usize>()
}

/// A violation found in a generated scenario, with the schedule that shows it.
#[derive(Clone, Debug)]
pub struct Found {
    pub violation: Violation,
    pub depth: usize,
    pub seed: u64,
}

/// The oracle's exploration bound for a generated scenario.
const GENERATED_REFERENCE_BOUND: usize = 2_000;

/// Which violations a search looks for.
pub type Accept = dyn Fn(&Scenario, &Violation) -> bool + Send + Sync;

/// Accepts any violation of a property in `wanted` (any property when `wanted` is empty).
pub fn any_of(wanted: Vec<Property>) -> Arc<Accept> {
    Arc::new(move |_, violation| wanted.is_empty() || wanted.contains(&violation.property))
}

/// Runs `scenario` under PCT (`executions` executions, depth 3) judged by the properties and
/// the oracle; returns the first violation `accept` takes. The schedule is then shrunk: the
/// lowest depth that still shows a violation of the same property.
pub fn check(
    scenario: &Arc<Scenario>,
    kind: TargetKind,
    executions: usize,
    accept: &Arc<Accept>,
) -> Option<Found> {
    // Generated cases are judged by the oracle when their sequential space is small; the few
    // with a large one are judged by the properties alone, which keeps each case fast.
    let reference = oracle::reference_bounded(scenario, kind, GENERATED_REFERENCE_BOUND);
    let reference = Arc::new(reference.complete.then_some(reference));
    let steps = runner::calibrate_pct(scenario, kind);
    let search = |depth: usize| -> Option<Found> {
        let found: Rc<RefCell<Option<Found>>> = Rc::default();
        let (found_in, reference, accept, judged) = (
            Rc::clone(&found),
            Arc::clone(&reference),
            Arc::clone(accept),
            Arc::clone(scenario),
        );
        let mut iteration = 0;
        let next = move || {
            let schedule = (iteration < executions).then(|| Schedule::Pct {
                seed: execution_seed(depth as u64, iteration),
                depth,
                estimated_steps: steps,
            });
            iteration += 1;
            schedule
        };
        // The first execution with a violation `accept` takes ends the search.
        let ended = move |schedule: Schedule, mut execution: runner::Execution| {
            if let Some(reference) = reference.as_ref() {
                oracle::judge(reference, &mut execution);
            }
            let accepted = execution
                .violations
                .into_iter()
                .find(|v| accept(&judged, v));
            let go_on = accepted.is_none();
            *found_in.borrow_mut() = accepted.map(|violation| Found {
                violation,
                depth,
                seed: schedule.seed(),
            });
            go_on
        };
        runner::execute_each(scenario, kind, next, ended);
        found.take()
    };
    let found = search(3)?;
    // Fewest preemptions: PCT with depth d places d - 1 priority changes.
    (1..3)
        .find_map(|depth| {
            search(depth).filter(|f| f.violation.property == found.violation.property)
        })
        .or(Some(found))
}

/// Searches `cases` generated scenarios for one with a violation `accept` takes on `kind`;
/// proptest shrinks it to a minimal one. Deterministic for a given `rng_seed`.
pub fn search(
    kind: TargetKind,
    cases: u32,
    executions: usize,
    accept: &Arc<Accept>,
    rng_seed: u64,
) -> Result<(), Box<(Scenario, Found)>> {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 400,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &rng_bytes(rng_seed));
    let mut runner = TestRunner::new_with_rng(config, rng);
    // The last failing case proptest tried is the minimal one it returns; keep what it found.
    let last_found: std::sync::Mutex<Option<Found>> = std::sync::Mutex::new(None);
    let result = runner.run(&scenario(), |scenario| {
        match check(&Arc::new(scenario), kind, executions, accept) {
            Some(found) => {
                let message = found.violation.to_string();
                *lock(&last_found) = Some(found);
                Err(TestCaseError::fail(message))
            }
            None => Ok(()),
        }
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(_, minimal)) => {
            let found = last_found
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("a failing case recorded what it found");
            Err(Box::new((minimal, found)))
        }
        Err(TestError::Abort(reason)) => Err(Box::new((
            Scenario::clone(&placeholder()),
            Found {
                violation: Violation {
                    property: Property::StepBound,
                    detail: format!("generation aborted: {reason}"),
                },
                depth: 0,
                seed: 0,
            },
        ))),
    }
}

/// The generator's RNG seed from `seed`: its low byte repeated (so seeds 0-255 generate the
/// cases they always have), its other bytes mixed into the first seven. Distinct seeds give
/// distinct bytes.
fn rng_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [seed as u8; 32];
    for (byte, high) in bytes.iter_mut().zip(&seed.to_le_bytes()[1..]) {
        *byte ^= high;
    }
    bytes
}

fn placeholder() -> Scenario {
    let mut runner = TestRunner::deterministic();
    scenario()
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .expect("the strategy generates")
}

/// The expectation of the failing case as found, before it is measured: `kind` violates the
/// property found, the other target holds.
pub fn found_expect(kind: TargetKind, found: &Found) -> Expect {
    let violated = Verdict {
        violates: vec![found.violation.property.id().to_owned()],
        may_violate: Vec::new(),
    };
    let mut expect = Expect::default();
    *expect.of_mut(kind) = violated;
    expect
}

/// The expectation a scenario meets under `options`, measured: it is run on every target with
/// every property allowed, and each target's verdict lists as `violates` the properties seen
/// under every scheduler and base seed, and as `may_violate` the others it saw. Running the
/// scenario with the same options then checks out (the runs are deterministic).
pub fn measured_expect(scenario: &Scenario, options: &RunOptions) -> Expect {
    let everything: Vec<String> = Property::ALL.iter().map(|p| p.id().to_owned()).collect();
    let mut open = scenario.clone();
    open.expect = Expect::default();
    for target in TargetKind::ALL {
        *open.expect.of_mut(target) = Verdict {
            violates: Vec::new(),
            may_violate: everything.clone(),
        };
    }
    let report = suite::run_scenario(&Arc::new(open), options, |_| {});
    let mut expect = Expect::default();
    for target in &report.targets {
        let mut always: Option<BTreeSet<Property>> = None;
        let mut seen = BTreeSet::new();
        for scheduler in &target.schedulers {
            seen.extend(scheduler.violated.iter().copied());
            always = Some(match always {
                None => scheduler.violated_always.clone(),
                Some(always) => &always & &scheduler.violated_always,
            });
        }
        let always = always.unwrap_or_default();
        let verdict = Verdict {
            violates: always.iter().map(|p| p.id().to_owned()).collect(),
            may_violate: seen
                .difference(&always)
                .map(|p| p.id().to_owned())
                .collect(),
        };
        *expect.of_mut(target.target) = verdict;
    }
    expect
}

/// The scenario as a ready file: `comment` (how it was found, how to replay it) as leading
/// comment lines, the schedule found, and `expect`.
pub fn to_toml(scenario: &Scenario, found: &Found, expect: &Expect, comment: &str) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        description: String,
        audit: &'a [String],
        hooks: &'a [String],
        handlers: &'a [String],
        clients: BTreeMap<&'a String, &'a ClientSpec>,
        #[serde(skip_serializing_if = "<[Op]>::is_empty")]
        setup: &'a [Op],
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reenters: bool,
        providers: &'a BTreeMap<String, ProviderSpec>,
        schedule: BTreeMap<&'static str, toml::Value>,
        thread: Vec<BTreeMap<&'static str, &'a [Op]>>,
    }
    // Verdicts are written as hand-written files have them: one line each, an inline table.
    let out = Out {
        description: format!("Generated: {}.", found.violation.property),
        audit: &scenario.audit,
        hooks: &scenario.hooks,
        handlers: &scenario.handlers,
        clients: scenario
            .clients
            .iter()
            .filter(|(name, _)| name.as_str() != "default")
            .collect(),
        setup: &scenario.setup,
        reenters: scenario.reenters,
        providers: &scenario.providers,
        schedule: BTreeMap::from([
            ("pct_depth", toml::Value::Integer(found.depth as i64)),
            (
                "reason",
                toml::Value::String(format!(
                    "found at PCT depth {} (the fewest preemptions that still fail)",
                    found.depth
                )),
            ),
        ]),
        thread: scenario
            .threads
            .iter()
            .map(|t| BTreeMap::from([("ops", t.ops.as_slice())]))
            .collect(),
    };
    let body =
        toml::to_string(&out).unwrap_or_else(|error| format!("# could not render: {error}\n"));
    let expectations: String = TargetKind::ALL
        .iter()
        .map(|&target| {
            format!(
                "{} = {}\n",
                target.as_str(),
                verdict_toml(expect.of(target))
            )
        })
        .collect();
    let body = format!("{body}\n[expect]\n{expectations}");
    let comment: String = comment.lines().map(|line| format!("# {line}\n")).collect();
    format!("{comment}{body}")
}

/// A verdict as the value of its `[expect]` line: `"holds"` or `{ violates = [...], ... }`.
pub fn verdict_toml(verdict: &Verdict) -> String {
    if verdict.holds() {
        return "\"holds\"".to_owned();
    }
    let list = |ids: &[String]| {
        toml::Value::Array(ids.iter().cloned().map(toml::Value::String).collect()).to_string()
    };
    let mut entries = Vec::new();
    if !verdict.violates.is_empty() {
        entries.push(format!("violates = {}", list(&verdict.violates)));
    }
    if !verdict.may_violate.is_empty() {
        entries.push(format!("may_violate = {}", list(&verdict.may_violate)));
    }
    format!("{{ {} }}", entries.join(", "))
}

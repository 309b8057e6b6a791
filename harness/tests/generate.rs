//! The scenario generator: generated scenarios hold on the SDK, and on the audited model the
//! generator rediscovers the four headline races without being told the scenario, shrunk to at
//! most six operations, written as a scenario file that parses and replays the violation.

use harness::generate::{self, Accept};
use harness::oracle;
use harness::properties::{Property, Violation};
use harness::runner::{self, Schedule};
use harness::scenario::{self, Op, Scenario};
use harness::target::TargetKind;
use std::sync::Arc;

/// Generated cases in `cargo test` (a debug build); CI's main job runs 2000 in release.
fn cases() -> u32 {
    std::env::var("HARNESS_GENERATED_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(150)
}

#[test]
fn generated_scenarios_hold_on_the_sdk() {
    if let Err(found) = generate::search(
        TargetKind::Sdk,
        cases(),
        30,
        &generate::any_of(Vec::new()),
        7,
    ) {
        let (scenario, found) = *found;
        let how = "found by generated_scenarios_hold_on_the_sdk";
        let expect = generate::found_expect(TargetKind::Sdk, &found);
        panic!(
            "{}\n{}",
            found.violation,
            generate::to_toml(&scenario, &found, &expect, how)
        );
    }
}

fn has(scenario: &Scenario, wanted: fn(&Op) -> bool) -> bool {
    scenario
        .setup
        .iter()
        .chain(scenario.threads.iter().flat_map(|t| t.ops.iter()))
        .any(wanted)
}

/// Finds a race on the audited model, then checks the minimal case: at most six operations,
/// and its file parses and replays the same property under the printed seed.
fn rediscover(accept: Arc<Accept>, rng_seed: u64) -> Violation {
    let (minimal, found) = match generate::search(TargetKind::Audited, 400, 30, &accept, rng_seed) {
        Ok(()) => panic!("the generator did not find the race"),
        Err(found) => *found,
    };
    assert!(
        generate::op_count(&minimal) <= 6,
        "shrunk to {} operations",
        generate::op_count(&minimal)
    );
    let folder = std::env::temp_dir().join(format!(
        "harness-rediscovery-{}-{rng_seed}",
        std::process::id()
    ));
    std::fs::create_dir_all(&folder).expect("temp folder");
    let path = folder.join("found.toml");
    std::fs::write(
        &path,
        generate::to_toml(
            &minimal,
            &found,
            &generate::found_expect(TargetKind::Audited, &found),
            "rediscovery test",
        ),
    )
    .expect("write");
    let parsed = Arc::new(scenario::load(&path).expect("the written scenario parses"));
    assert_eq!(parsed.schedule.pct_depth, found.depth);
    let mut replay = runner::execute(
        &parsed,
        TargetKind::Audited,
        Schedule::Pct {
            seed: found.seed,
            depth: found.depth,
            estimated_steps: runner::calibrate_pct(&parsed, TargetKind::Audited),
        },
    );
    let reference = oracle::reference(&parsed, TargetKind::Audited);
    oracle::judge(&reference, &mut replay);
    assert!(
        replay
            .violations
            .iter()
            .any(|v| v.property == found.violation.property),
        "replaying the written file reproduces {}",
        found.violation.property
    );
    let _ = std::fs::remove_dir_all(&folder);
    found.violation
}

#[test]
fn rediscovers_double_shutdown() {
    rediscover(generate::any_of(vec![Property::ShutdownOnce]), 1);
}

#[test]
fn rediscovers_lost_hooks() {
    rediscover(generate::any_of(vec![Property::LostHook]), 1);
}

#[test]
fn rediscovers_detach_during_emit() {
    let accept = |_: &Scenario, v: &Violation| {
        v.property == Property::EscapedError && v.detail.contains("AttributeError")
    };
    rediscover(Arc::new(accept), 1);
}

#[test]
fn rediscovers_the_clear_window() {
    // The clear window: an evaluation (or track) handed a provider that the clear has already
    // shut down. Accepted only when the scenario clears the providers.
    let accept = |scenario: &Scenario, v: &Violation| {
        v.property == Property::ResolvedAfterShutdown
            && has(scenario, |op| matches!(op, Op::ClearProviders {}))
    };
    rediscover(Arc::new(accept), 1);
}

//! The provider-protocol records: how a provider's own calls and emissions move its phase,
//! which calls are misplaced, and which emissions are late.

use super::*;
use crate::world::{MisplacedCall, Phase, ProviderCall};

fn world() -> Arc<World> {
    let source = "description = \"unit\"\naudit = []\n[providers]\np0 = {}\n\
                  [[thread]]\nops = []\n[expect]\nsdk = \"holds\"\naudited = \"holds\"\npython-head = \"holds\"\n";
    let scenario = crate::scenario::parse("unit", std::path::Path::new("unit.toml"), source)
        .unwrap_or_else(|error| panic!("{error}"));
    World::new(Arc::new(scenario), false)
}

fn misplaced(world: &World) -> Vec<MisplacedCall> {
    world.with_log(|log| log.providers["p0"].misplaced.clone())
}

fn phase(world: &World) -> Phase {
    world.with_log(|log| log.providers["p0"].phase)
}

/// Runs `test` as one shuttle execution: the world names tasks through the checker.
fn in_execution(test: fn()) {
    shuttle::check_random(test, 1);
}

#[test]
fn calls_before_ready_after_fatal_and_after_shutdown_are_misplaced() {
    in_execution(calls_before_ready_after_fatal_and_after_shutdown_are_misplaced_body);
}

fn calls_before_ready_after_fatal_and_after_shutdown_are_misplaced_body() {
    let world = world();
    world.note_provider_call("p0", ProviderCall::Resolve);
    world.note_init("p0");
    world.note_provider_call("p0", ProviderCall::Track);
    world.note_init_end("p0", InitEnd::Succeeded);
    world.note_provider_call("p0", ProviderCall::Resolve);
    world.note_shutdown("p0");
    world.note_provider_call("p0", ProviderCall::Resolve);
    world.note_init("p0");
    world.note_init_end("p0", InitEnd::Fatal);
    world.note_provider_call("p0", ProviderCall::Track);
    let phases: Vec<(ProviderCall, Phase)> = misplaced(&world)
        .iter()
        .map(|call| (call.call, call.phase))
        .collect();
    assert_eq!(
        phases,
        [
            (ProviderCall::Resolve, Phase::Unused),
            (ProviderCall::Track, Phase::Initializing),
            (ProviderCall::Resolve, Phase::ShutDown),
            (ProviderCall::Track, Phase::Fatal),
        ]
    );
    world.with_log(|log| {
        assert_eq!(log.providers["p0"].resolves, 5);
        assert_eq!(log.providers["p0"].resolved_after_shutdown, 1);
    });
}

#[test]
fn a_failed_initialize_still_serves_in_error() {
    in_execution(a_failed_initialize_still_serves_in_error_body);
}

fn a_failed_initialize_still_serves_in_error_body() {
    let world = world();
    world.note_init("p0");
    world.note_init_end("p0", InitEnd::Failed);
    world.note_provider_call("p0", ProviderCall::Resolve);
    assert_eq!(phase(&world), Phase::Failed);
    assert!(misplaced(&world).is_empty());
}

#[test]
fn an_emitted_status_lets_the_provider_serve_before_initialize_returns() {
    in_execution(an_emitted_status_lets_the_provider_serve_before_initialize_returns_body);
}

fn an_emitted_status_lets_the_provider_serve_before_initialize_returns_body() {
    let world = world();
    world.note_init("p0");
    assert_eq!(world.note_emit("p0", EventName::Stale), 1);
    world.note_provider_call("p0", ProviderCall::Resolve);
    assert!(misplaced(&world).is_empty());
    // A failure after the provider declared itself ready keeps the declared phase: the SDK
    // serves on the emitted status until it applies the failure.
    world.note_init_end("p0", InitEnd::Fatal);
    assert_eq!(phase(&world), Phase::Ready);
}

#[test]
fn a_fatal_emission_forbids_nothing_and_late_emissions_are_numbered() {
    in_execution(a_fatal_emission_forbids_nothing_and_late_emissions_are_numbered_body);
}

fn a_fatal_emission_forbids_nothing_and_late_emissions_are_numbered_body() {
    let world = world();
    world.note_init("p0");
    world.note_init_end("p0", InitEnd::Succeeded);
    assert_eq!(world.note_emit("p0", EventName::Fatal), 1);
    // The SDK may not have applied the FATAL yet when an evaluation resolves.
    world.note_provider_call("p0", ProviderCall::Resolve);
    assert!(misplaced(&world).is_empty());
    world.note_shutdown("p0");
    assert_eq!(world.note_emit("p0", EventName::Ready), 2);
    assert_eq!(phase(&world), Phase::ShutDown);
    world.with_log(|log| assert_eq!(log.providers["p0"].late_emissions, [2]));
}

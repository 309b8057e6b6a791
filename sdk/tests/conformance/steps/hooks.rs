//! Steps of `hooks.feature`: a client hook that records each stage and the details it saw.

use super::{check_detail, column, table};
use crate::hooks::RecordingHook;
use crate::world::ConformanceWorld;
use cucumber::gherkin::Step;
use cucumber::{given, then};
use openfeature_sdk::Hook;
use std::sync::Arc;

/// The name the client hook records under.
const CLIENT_HOOK: &str = "client hook";

#[given("a client with added hook")]
fn client_with_hook(world: &mut ConformanceWorld) {
    let hook: Arc<dyn Hook> = Arc::new(RecordingHook::new(CLIENT_HOOK, &world.hook_log));
    world.client.add_hooks([hook]);
}

#[then(regex = r#"^the "([^"]*)" hook should have been executed$"#)]
fn hook_executed(world: &mut ConformanceWorld, stage: String) {
    let log = world
        .hook_log
        .lock()
        .expect("the hook log lock is never poisoned");
    assert!(
        log.iter()
            .any(|call| call.hook == CLIENT_HOOK && call.stage == stage),
        "the {stage} stage did not run: {log:?}"
    );
}

/// `stages` is a comma-separated list, such as `after, finally`.
#[then(regex = r#"^the "([^"]*)" hooks should be called with evaluation details$"#)]
fn hooks_saw_details(world: &mut ConformanceWorld, stages: String, step: &Step) {
    let rows = table(step);
    let (data_type, key, value) = (
        column(&rows[0], "data_type"),
        column(&rows[0], "key"),
        column(&rows[0], "value"),
    );
    let log = world
        .hook_log
        .lock()
        .expect("the hook log lock is never poisoned");
    for stage in stages.split(',').map(str::trim) {
        let call = log
            .iter()
            .find(|call| call.hook == CLIENT_HOOK && call.stage == stage)
            .unwrap_or_else(|| panic!("the {stage} stage did not run: {log:?}"));
        let details = call
            .details
            .as_ref()
            .unwrap_or_else(|| panic!("the {stage} stage receives no evaluation details"));
        for row in &rows[1..] {
            check_detail(details, &row[key], &row[data_type], &row[value]);
        }
    }
}

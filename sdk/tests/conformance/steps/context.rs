//! Steps of `contextMerging.feature`: a context entry at each level (API, transaction, client,
//! invocation, before hooks) and the context the provider resolved with.

use super::table;
use crate::hooks::ContextHook;
use crate::providers::CapturingProvider;
use crate::world::{ConformanceWorld, FlagUnderTest, Kind};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use openfeature_sdk::{EvaluationContext, EvaluationOptions, Value};
use std::sync::Arc;

#[given("a stable provider with retrievable context is registered")]
fn capturing_provider(world: &mut ConformanceWorld) {
    let (provider, captured) = CapturingProvider::new();
    world
        .api
        .set_provider_and_wait(Arc::new(provider))
        .expect("the capturing provider initializes");
    world.captured = Some(captured);
}

/// Adds `key` = `value` to the context of `level`, keeping what the level already holds.
fn add_to_level(world: &mut ConformanceWorld, level: &str, key: &str, value: &str) {
    match level {
        "API" => world
            .api
            .merge_context(&EvaluationContext::new().with(key, value)),
        "Transaction" => {
            let mut context = world
                .api
                .transaction_context()
                .map(|context| context.as_ref().clone())
                .unwrap_or_default();
            context.insert(key, value);
            world.api.set_transaction_context(context);
        }
        "Client" => {
            let mut context = world.client.context().as_ref().clone();
            context.insert(key, value);
            world.client.set_context(context);
        }
        "Invocation" => world.context.insert(key, value),
        "Before Hooks" => world.before_hook_context.insert(key, value),
        other => panic!("unknown context level {other:?}"),
    }
}

#[given(
    regex = r#"^A context entry with key "([^"]*)" and value "([^"]*)" is added to the "([^"]*)" level$"#
)]
fn entry_at_level(world: &mut ConformanceWorld, key: String, value: String, level: String) {
    add_to_level(world, &level, &key, &value);
}

#[given("A table with levels of increasing precedence")]
fn levels(world: &mut ConformanceWorld, step: &Step) {
    world.levels = table(step)
        .iter()
        .map(|row| row.first().expect("a level row has a cell").clone())
        .collect();
}

/// Each level up to `last` gets `key`; every level but `last` writes its own name as the value
/// and `last` writes `value`, so only the right precedence leaves `value` in the merged context.
#[given(
    regex = r#"^Context entries for each level from API level down to the "([^"]*)" level, with key "([^"]*)" and value "([^"]*)"$"#
)]
fn entries_up_to_level(world: &mut ConformanceWorld, last: String, key: String, value: String) {
    let levels = world.levels.clone();
    let upto = levels
        .iter()
        .position(|level| *level == last)
        .unwrap_or_else(|| panic!("{last:?} is not in the level table {levels:?}"));
    for level in &levels[..upto] {
        add_to_level(world, level, &key, &format!("{level} (overwritten)"));
    }
    add_to_level(world, &last, &key, &value);
}

#[when("Some flag was evaluated")]
fn some_flag_evaluated(world: &mut ConformanceWorld) {
    world.flag = Some(FlagUnderTest::new(
        "boolean-flag",
        Kind::Boolean,
        Value::Bool(false),
    ));
    world.options = EvaluationOptions::new();
    if !world.before_hook_context.is_empty() {
        let hook = ContextHook::new(world.before_hook_context.clone());
        world.options = EvaluationOptions::new().with_hook(Arc::new(hook));
    }
    world.evaluate(true);
}

#[then(regex = r#"^The merged context contains an entry with key "([^"]*)" and value "([^"]*)"$"#)]
fn merged_context_contains(world: &mut ConformanceWorld, key: String, value: String) {
    let captured = world
        .captured
        .as_ref()
        .expect("the capturing provider step must come first")
        .lock()
        .expect("the captured-context lock is never poisoned");
    let context = captured
        .as_ref()
        .expect("the provider resolved a flag, so it saw a context");
    assert_eq!(
        context.get(&key),
        Some(&Value::String(value)),
        "merged context {context:?}"
    );
}

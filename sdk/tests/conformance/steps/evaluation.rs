//! Steps of `evaluation_v2.feature` and `metadata.feature`: providers in each status, typed
//! flags, contexts, detailed evaluation and its checks, evaluation options with hooks, context
//! immutability and evaluation on another thread.

use super::{column, table, typed_value};
use crate::hooks::{ContextHook, RecordingHook};
use crate::providers::LifecycleProvider;
use crate::world::{ConformanceWorld, FlagUnderTest, Kind};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use openfeature_sdk::{
    ErrorCode, EvaluationContext, EvaluationOptions, Hook, ProviderEvent, ProviderEventDetails,
};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// How long an evaluation on another thread may take before the step fails.
const ASYNC_TIMEOUT: Duration = Duration::from_secs(10);

#[given(regex = r"^a (stable|not ready|error|fatal|stale) provider$")]
fn a_provider(world: &mut ConformanceWorld, status: String) {
    let api = &world.api;
    match status.as_str() {
        "stable" => api
            .set_provider_and_wait(Arc::new(crate::flags::provider()))
            .expect("the stable provider initializes"),
        "not ready" => {
            // `set_provider` returns at once; initialize blocks until the scenario ends.
            let (provider, gate) = LifecycleProvider::not_ready();
            api.set_provider(Arc::new(provider));
            world.gate = Some(gate);
        }
        "error" | "fatal" => {
            let code = if status == "fatal" {
                ErrorCode::ProviderFatal
            } else {
                ErrorCode::General
            };
            let outcome = api.set_provider_and_wait(Arc::new(LifecycleProvider::failing(code)));
            let error = outcome.expect_err("the provider's initialize fails on purpose");
            assert_eq!(
                error.code, code,
                "set_provider_and_wait reports initialize's error"
            );
        }
        "stale" => {
            let provider = Arc::new(crate::flags::provider());
            api.set_provider_and_wait(Arc::clone(&provider) as _)
                .expect("the provider initializes before turning stale");
            let emitted = provider.emit(
                ProviderEvent::Stale,
                ProviderEventDetails::new().with_message("stale on purpose (conformance test)"),
            );
            assert!(
                emitted,
                "the provider is attached, so its STALE event is dispatched"
            );
        }
        other => unreachable!("the step's pattern admits no status {other:?}"),
    }
}

#[then(regex = r#"^the provider status should be "([^"]*)"$"#)]
fn provider_status(world: &mut ConformanceWorld, expected: String) {
    assert_eq!(world.client.provider_status().as_str(), expected);
}

#[given(regex = r#"^an? ([A-Za-z]+)-flag with key "([^"]*)" and a fallback value "(.*)"$"#)]
fn a_flag(world: &mut ConformanceWorld, kind: String, key: String, default: String) {
    let kind = Kind::named(&kind);
    world.flag = Some(FlagUnderTest::new(&key, kind, kind.value(&default)));
}

#[given(
    regex = r#"^a context containing a key "([^"]*)", with type "([^"]*)" and with value "(.*)"$"#
)]
fn a_context_entry(world: &mut ConformanceWorld, key: String, kind: String, value: String) {
    let value = Kind::named(&kind).value(&value);
    world.context.insert(key, value);
}

/// The SDK's `Value` has no null (spec 3.1.2 asks for boolean, string, number and structure
/// values only), so a null attribute is expressed the only way the SDK can: by its absence.
#[given(regex = r#"^a context containing a key "([^"]*)" with null value$"#)]
fn a_null_context_entry(world: &mut ConformanceWorld, key: String) {
    world.context.remove(&key);
}

#[when("the flag was evaluated with details")]
fn evaluated_with_details(world: &mut ConformanceWorld) {
    world.evaluate(false);
}

#[then(regex = r#"^the resolved details value should be "(.*)"$"#)]
fn resolved_value(world: &mut ConformanceWorld, expected: String) {
    let expected = world.flag().kind.value(&expected);
    assert_eq!(
        world.details().value,
        expected,
        "details: {:?}",
        world.details()
    );
}

#[then(regex = r#"^the reason should be "([^"]*)"$"#)]
fn reason(world: &mut ConformanceWorld, expected: String) {
    let details = world.details();
    let reason = details.reason.as_ref().map(|reason| reason.as_str());
    assert_eq!(reason, Some(expected.as_str()), "details: {details:?}");
}

#[then(regex = r#"^the error-code should be "([^"]*)"$"#)]
fn error_code(world: &mut ConformanceWorld, expected: String) {
    let details = world.details();
    let code = details.error_code.map(|code| code.as_str());
    assert_eq!(code, Some(expected.as_str()), "details: {details:?}");
}

#[then(regex = r#"^the flag key should be "([^"]*)"$"#)]
fn flag_key(world: &mut ConformanceWorld, expected: String) {
    assert_eq!(world.details().flag_key, expected);
}

#[then(regex = r#"^the variant should be "([^"]*)"$"#)]
fn variant(world: &mut ConformanceWorld, expected: String) {
    let details = world.details();
    assert_eq!(
        details.variant.as_deref(),
        Some(expected.as_str()),
        "details: {details:?}"
    );
}

#[then("the resolved metadata should contain")]
fn metadata_contains(world: &mut ConformanceWorld, step: &Step) {
    let rows = table(step);
    let (key, data_type, value) = (
        column(&rows[0], "key"),
        column(&rows[0], "metadata_type"),
        column(&rows[0], "value"),
    );
    let metadata = &world.details().flag_metadata;
    for row in &rows[1..] {
        let expected = typed_value(&row[data_type], &row[value]);
        assert_eq!(
            metadata.get(&row[key]),
            Some(&expected),
            "metadata {metadata:?}"
        );
    }
}

#[then("the resolved metadata is empty")]
fn metadata_is_empty(world: &mut ConformanceWorld) {
    let metadata = &world.details().flag_metadata;
    assert!(metadata.is_empty(), "metadata {metadata:?}");
}

/// The two invocation hooks of the evaluation-options scenario, in the order they are given.
const OPTION_HOOKS: [&str; 2] = ["first invocation hook", "second invocation hook"];

#[given("evaluation options containing specific hooks")]
fn options_with_hooks(world: &mut ConformanceWorld) {
    let mut options = EvaluationOptions::new();
    for name in OPTION_HOOKS {
        options = options.with_hook(Arc::new(RecordingHook::new(name, &world.hook_log)));
    }
    world.options = options;
}

#[when("the flag was evaluated with details using the evaluation options")]
fn evaluated_with_options(world: &mut ConformanceWorld) {
    world.evaluate(true);
}

#[then("the specified hooks should execute during evaluation")]
fn option_hooks_ran(world: &mut ConformanceWorld) {
    let log = world
        .hook_log
        .lock()
        .expect("the hook log lock is never poisoned");
    for hook in OPTION_HOOKS {
        for stage in ["before", "after", "finally"] {
            assert!(
                log.iter()
                    .any(|call| call.hook == hook && call.stage == stage),
                "{hook} did not run its {stage} stage: {log:?}"
            );
        }
    }
}

#[then("the hook order should be maintained")]
fn option_hook_order(world: &mut ConformanceWorld) {
    let log = world
        .hook_log
        .lock()
        .expect("the hook log lock is never poisoned");
    let [first, second] = OPTION_HOOKS;
    // Spec 4.4.2: before hooks run in the given order, after and finally hooks in reverse.
    let expected = [
        (first, "before"),
        (second, "before"),
        (second, "after"),
        (first, "after"),
        (second, "finally"),
        (first, "finally"),
    ];
    let actual: Vec<(&str, &str)> = log
        .iter()
        .map(|call| (call.hook.as_str(), call.stage))
        .collect();
    assert_eq!(actual, expected);
}

#[given("an evaluation context with modifiable data")]
fn modifiable_context(world: &mut ConformanceWorld) {
    let context = EvaluationContext::new()
        .with_targeting_key("user-1")
        .with("email", "user@example.com")
        .with("age", 42);
    world.original_context = Some(context.clone());
    world.context = context;
    // A before hook that returns different values for the same keys: what a hook adds must not
    // reach the caller's context.
    let overriding = EvaluationContext::new()
        .with_targeting_key("hook-user")
        .with("email", "hook@example.com");
    let hook: Arc<dyn Hook> = Arc::new(ContextHook::new(overriding));
    world.client.add_hooks([hook]);
}

#[then("the original evaluation context should remain unmodified")]
fn context_unmodified(world: &mut ConformanceWorld) {
    let original = world
        .original_context
        .as_ref()
        .expect("the modifiable-context step keeps a copy");
    assert_eq!(&world.context, original);
}

/// Rust's types make the details immutable to everyone but their owner: the caller gets an
/// owned value and the flag metadata is an `Arc` of an immutable map. This checks that the SDK
/// keeps no alias that changes them: the same evaluation again gives equal details.
#[then("the evaluation details should be immutable")]
fn details_immutable(world: &mut ConformanceWorld) {
    let first = world.details().clone();
    world.evaluate(false);
    assert_eq!(world.details(), &first);
}

/// The SDK's evaluation methods are synchronous; the asynchronous mechanism is to run one on
/// another thread, which every client supports (clients are `Send + Sync`).
#[when("the flag was evaluated with details asynchronously")]
fn evaluated_asynchronously(world: &mut ConformanceWorld) {
    let (sender, receiver) = mpsc::channel();
    let client = world.client.clone();
    let flag = world.flag().clone();
    let context = world.context.clone();
    std::thread::Builder::new()
        .name("conformance-async-evaluation".to_owned())
        .spawn(move || {
            let _receiver_gone = sender.send(flag.evaluate(&client, &context, None));
        })
        .expect("a thread for the evaluation starts");
    world.pending = Some(receiver);
}

#[then("the evaluation should complete without blocking")]
fn asynchronous_evaluation_completes(world: &mut ConformanceWorld) {
    let receiver = world
        .pending
        .take()
        .expect("an asynchronous evaluation step must come before this step");
    let details = receiver
        .recv_timeout(ASYNC_TIMEOUT)
        .expect("the evaluation on another thread completes in time");
    world.details = Some(details);
}

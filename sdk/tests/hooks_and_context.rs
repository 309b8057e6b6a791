//! Hooks and evaluation context on the production locks: stage order across the four levels,
//! before-hook context, errors and panics contained, context merge precedence, atomic context
//! updates and the transaction propagator.

mod common;

use common::{new_log, take, CountingProvider, Init, RecordingHook};
use openfeature_sdk::{
    Api, ErrorCode, EvaluationContext, EvaluationOptions, FeatureProvider, Hook, Reason,
    ResolutionDetails, ResolutionResult, TransactionContextPropagator, Value,
};
use std::sync::{Arc, Mutex};

/// A counting provider that contributes provider-level hooks, or whose `hooks()` panics when
/// it has none to give (`None`).
struct WithHooks(Arc<CountingProvider>, Option<Vec<Arc<dyn Hook>>>);

impl FeatureProvider for WithHooks {
    fn metadata(&self) -> openfeature_sdk::ProviderMetadata {
        self.0.metadata()
    }
    fn resolve_bool(&self, k: &str, d: bool, c: &EvaluationContext) -> ResolutionResult<bool> {
        self.0.resolve_bool(k, d, c)
    }
    fn resolve_int(&self, k: &str, d: i64, c: &EvaluationContext) -> ResolutionResult<i64> {
        self.0.resolve_int(k, d, c)
    }
    fn resolve_float(&self, k: &str, d: f64, c: &EvaluationContext) -> ResolutionResult<f64> {
        self.0.resolve_float(k, d, c)
    }
    fn resolve_string(&self, k: &str, d: &str, c: &EvaluationContext) -> ResolutionResult<String> {
        self.0.resolve_string(k, d, c)
    }
    fn resolve_object(&self, k: &str, d: &Value, c: &EvaluationContext) -> ResolutionResult<Value> {
        self.0.resolve_object(k, d, c)
    }
    fn hooks(&self) -> &[Arc<dyn Hook>] {
        self.1
            .as_deref()
            .unwrap_or_else(|| panic!("hooks are broken"))
    }
}

/// A provider whose boolean flags `resolve` answers; every other type answers the default.
struct Bools<F>(F);

impl<F> FeatureProvider for Bools<F>
where
    F: Fn(&str) -> ResolutionResult<bool> + Send + Sync + 'static,
{
    fn metadata(&self) -> openfeature_sdk::ProviderMetadata {
        openfeature_sdk::ProviderMetadata::new("bools")
    }
    fn resolve_bool(&self, key: &str, _: bool, _: &EvaluationContext) -> ResolutionResult<bool> {
        (self.0)(key)
    }
    fn resolve_int(&self, _: &str, d: i64, _: &EvaluationContext) -> ResolutionResult<i64> {
        Ok(ResolutionDetails::new(d))
    }
    fn resolve_float(&self, _: &str, d: f64, _: &EvaluationContext) -> ResolutionResult<f64> {
        Ok(ResolutionDetails::new(d))
    }
    fn resolve_string(&self, _: &str, d: &str, _: &EvaluationContext) -> ResolutionResult<String> {
        Ok(ResolutionDetails::new(d.to_owned()))
    }
    fn resolve_object(&self, _: &str, d: &Value, _: &EvaluationContext) -> ResolutionResult<Value> {
        Ok(ResolutionDetails::new(d.clone()))
    }
}

#[test]
fn hooks_run_in_spec_order_across_all_four_levels() {
    let log = new_log();
    let api = Api::new();
    let provider_hook: Arc<dyn Hook> = Arc::new(RecordingHook::new("provider", &log));
    api.set_provider_and_wait(Arc::new(WithHooks(
        CountingProvider::new("p0", Init::Succeeds),
        Some(vec![provider_hook]),
    )))
    .expect("p0");
    api.add_hooks([Arc::new(RecordingHook::new("api", &log)) as Arc<dyn Hook>]);
    let client = api.client();
    client.add_hooks([Arc::new(RecordingHook::new("client", &log)) as Arc<dyn Hook>]);
    let options =
        EvaluationOptions::new().with_hook(Arc::new(RecordingHook::new("invocation", &log)));
    assert!(client.get_bool_value("flag", false, None, Some(&options)));
    assert_eq!(
        take(&log),
        [
            "api.before",
            "client.before",
            "invocation.before",
            "provider.before",
            "provider.after",
            "invocation.after",
            "client.after",
            "api.after",
            "provider.finally",
            "invocation.finally",
            "client.finally",
            "api.finally",
        ]
    );
}

#[test]
fn a_failing_before_hook_skips_resolution_and_runs_error_and_finally() {
    let log = new_log();
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let mut failing = RecordingHook::new("failing", &log);
    failing.fail_before = true;
    let options = EvaluationOptions::new()
        .with_hook(Arc::new(failing))
        .with_hook(Arc::new(RecordingHook::new("next", &log)));
    let details = api
        .client()
        .get_int_details("flag", 3, None, Some(&options));
    assert_eq!(details.value, 3);
    assert_eq!(details.reason, Some(Reason::Error));
    assert_eq!(details.error_code, Some(ErrorCode::General));
    assert_eq!(CountingProvider::count(&p0.resolves), 0);
    assert_eq!(
        take(&log),
        [
            "failing.before",
            "next.error",
            "failing.error",
            "next.finally",
            "failing.finally"
        ]
    );
}

#[test]
fn a_panicking_after_hook_returns_the_default_with_general() {
    let log = new_log();
    let api = Api::new();
    api.set_provider_and_wait(CountingProvider::new("p0", Init::Succeeds))
        .expect("p0");
    let mut panicking = RecordingHook::new("panicking", &log);
    panicking.panic_after = true;
    let options = EvaluationOptions::new().with_hook(Arc::new(panicking));
    let details = api
        .client()
        .get_string_details("flag", "fallback", None, Some(&options));
    assert_eq!(details.value, "fallback");
    assert_eq!(details.error_code, Some(ErrorCode::General));
    assert_eq!(
        take(&log),
        [
            "panicking.before",
            "panicking.after",
            "panicking.error",
            "panicking.finally"
        ]
    );
}

#[test]
fn a_provider_whose_hooks_panic_answers_the_default_with_general() {
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(WithHooks(
        CountingProvider::new("p0", Init::Succeeds),
        None,
    )))
    .expect("p0");
    let client = api.client();
    let details = client.get_bool_details("flag", true, None, None);
    assert!(details.value);
    assert_eq!(details.error_code, Some(ErrorCode::General));
    assert!(
        details
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("provider hooks panicked: hooks are broken")),
        "{:?}",
        details.error_message
    );
    // The value path contains it too, and the SDK goes on serving.
    assert_eq!(client.get_int_value("flag", 7, None, None), 7);
    assert_eq!(client.get_int_value("flag", 8, None, None), 8);
}

/// A provider that reports the context it resolved with, as a structure.
struct EchoContext;

impl FeatureProvider for EchoContext {
    fn metadata(&self) -> openfeature_sdk::ProviderMetadata {
        openfeature_sdk::ProviderMetadata::new("echo")
    }
    fn resolve_bool(&self, _: &str, d: bool, _: &EvaluationContext) -> ResolutionResult<bool> {
        Ok(ResolutionDetails::new(d))
    }
    fn resolve_int(&self, _: &str, d: i64, _: &EvaluationContext) -> ResolutionResult<i64> {
        Ok(ResolutionDetails::new(d))
    }
    fn resolve_float(&self, _: &str, d: f64, _: &EvaluationContext) -> ResolutionResult<f64> {
        Ok(ResolutionDetails::new(d))
    }
    fn resolve_string(&self, _: &str, _: &str, c: &EvaluationContext) -> ResolutionResult<String> {
        Ok(ResolutionDetails::new(
            c.targeting_key().unwrap_or("").to_owned(),
        ))
    }
    fn resolve_object(&self, _: &str, _: &Value, c: &EvaluationContext) -> ResolutionResult<Value> {
        Ok(ResolutionDetails::new(Value::Struct(
            c.attributes().clone(),
        )))
    }
}

#[test]
fn context_levels_merge_in_spec_order() {
    let log = new_log();
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(EchoContext))
        .expect("echo");
    let level = |name: &str, upto: usize| {
        let names = ["global", "transaction", "client", "invocation", "hook"];
        let mut context = EvaluationContext::new();
        for key in &names[upto..] {
            context.insert(*key, name);
        }
        context.insert(name, name);
        context
    };
    api.set_context(level("global", 0));
    api.set_transaction_context(level("transaction", 1));
    let client = api.client();
    client.set_context(level("client", 2));
    let mut hook = RecordingHook::new("context", &log);
    hook.before_context = Some(level("hook", 4));
    let options = EvaluationOptions::new().with_hook(Arc::new(hook));
    let merged = client.get_object_value(
        "flag",
        Value::Bool(false),
        Some(&level("invocation", 3)),
        Some(&options),
    );
    let merged = merged.as_struct().expect("structure").clone();
    for (key, winner) in [
        ("global", "global"),
        ("transaction", "transaction"),
        ("client", "client"),
        ("invocation", "invocation"),
        ("hook", "hook"),
    ] {
        assert_eq!(merged.get(key), Some(&Value::from(winner)), "{key}");
    }
}

/// One thread evaluates after each change, so each evaluation after the first refreshes the
/// thread's snapshot of the client in place: every part that changed is current, and the merged
/// global and client context follows either level, including a level that becomes empty.
#[test]
fn a_threads_snapshot_follows_every_change_between_its_evaluations() {
    let log = new_log();
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(EchoContext))
        .expect("echo");
    let client = api.client();
    let context = |pairs: &[(&str, &str)]| {
        let mut context = EvaluationContext::new();
        for (key, value) in pairs {
            context.insert(*key, *value);
        }
        context
    };
    let seen = || {
        let merged = client.get_object_value("flag", Value::Bool(false), None, None);
        let merged = merged.as_struct().expect("structure").clone();
        merged
            .iter()
            .map(|(key, value)| format!("{key}={}", value.as_str().expect("string")))
            .collect::<Vec<_>>()
    };
    assert!(seen().is_empty());
    api.set_context(context(&[("g", "1")]));
    assert_eq!(seen(), ["g=1"]);
    client.set_context(context(&[("c", "1")]));
    assert_eq!(
        seen(),
        ["c=1", "g=1"],
        "the client's context joins the global one"
    );
    api.set_context(context(&[("g", "2")]));
    assert_eq!(seen(), ["c=1", "g=2"]);
    client.set_context(EvaluationContext::new());
    assert_eq!(seen(), ["g=2"], "an emptied client context leaves");
    api.set_context(EvaluationContext::new());
    client.set_context(context(&[("c", "2")]));
    assert_eq!(seen(), ["c=2"], "the client's context alone");
    api.set_context(context(&[("g", "3")]));
    assert_eq!(
        seen(),
        ["c=2", "g=3"],
        "the global context joins the client's"
    );
    api.add_hooks([Arc::new(RecordingHook::new("api", &log)) as Arc<dyn Hook>]);
    seen();
    assert!(take(&log).contains(&"api.before".to_owned()));
    client.add_hooks([Arc::new(RecordingHook::new("client", &log)) as Arc<dyn Hook>]);
    seen();
    let stages = take(&log);
    assert!(stages.contains(&"api.before".to_owned()), "{stages:?}");
    assert!(stages.contains(&"client.before".to_owned()), "{stages:?}");
    api.clear_hooks();
    seen();
    assert_eq!(
        take(&log)
            .iter()
            .filter(|stage| stage.starts_with("api."))
            .count(),
        0,
        "cleared API hooks leave"
    );
}

#[test]
fn concurrent_context_updates_lose_nothing() {
    let api = Api::new();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let api = api.clone();
            scope.spawn(move || {
                for index in 0..100 {
                    let key = format!("t{thread}-{index}");
                    if index % 2 == 0 {
                        api.update_context(|context| context.insert(key.clone(), true));
                    } else {
                        api.merge_context(&EvaluationContext::new().with(key, true));
                    }
                }
            });
        }
    });
    assert_eq!(api.context().attributes().len(), 400);
}

#[test]
fn a_custom_propagator_receives_and_serves_the_transaction_context() {
    #[derive(Default)]
    struct Stored(Mutex<Option<Arc<EvaluationContext>>>);
    impl TransactionContextPropagator for Stored {
        fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
            self.0.lock().expect("stored").clone()
        }
        fn set_transaction_context(&self, context: Arc<EvaluationContext>) {
            *self.0.lock().expect("stored") = Some(context);
        }
    }
    let api = Api::new();
    api.set_provider_and_wait(Arc::new(EchoContext))
        .expect("echo");
    api.set_transaction_propagator(Arc::new(Stored::default()));
    api.set_transaction_context(EvaluationContext::new().with_targeting_key("tx-user"));
    assert_eq!(
        api.client().get_string_value("flag", "", None, None),
        "tx-user"
    );
    let other = Api::new();
    assert!(
        other.transaction_context().is_none(),
        "instances are isolated"
    );
}

#[test]
fn thread_local_transaction_context_is_per_thread_and_per_instance() {
    let api = Api::new();
    api.set_transaction_context(EvaluationContext::new().with_targeting_key("main"));
    let other_thread = std::thread::scope(|scope| {
        scope
            .spawn(|| api.transaction_context().is_some())
            .join()
            .expect("join")
    });
    assert!(!other_thread);
    assert_eq!(
        api.transaction_context()
            .and_then(|c| c.targeting_key().map(str::to_owned)),
        Some("main".to_owned())
    );
    assert!(Api::new().transaction_context().is_none());
}

/// A hook that records the data it finds in `before`, then writes into it, so that a second
/// evaluation shows whether the first one's data leaked into it.
struct DataHook(Arc<Mutex<Vec<usize>>>);

impl Hook for DataHook {
    fn before(
        &self,
        _context: &openfeature_sdk::HookContext<'_>,
        _hints: &openfeature_sdk::HookHints,
        data: &mut openfeature_sdk::HookData,
    ) -> Result<Option<EvaluationContext>, openfeature_sdk::EvaluationError> {
        self.0.lock().unwrap().push(data.len());
        data.insert("seen".to_owned(), Value::Bool(true));
        Ok(None)
    }
}

#[test]
fn every_evaluation_starts_with_empty_hook_data_on_the_same_thread() {
    let api = Api::new();
    api.set_provider_and_wait(CountingProvider::new("p0", Init::Succeeds))
        .expect("p0");
    let found = Arc::new(Mutex::new(Vec::new()));
    let client = api.client();
    client.add_hooks([
        Arc::new(DataHook(Arc::clone(&found))) as Arc<dyn Hook>,
        Arc::new(DataHook(Arc::clone(&found))) as Arc<dyn Hook>,
    ]);
    for _ in 0..3 {
        client.get_bool_value("flag", false, None, None);
        client.get_bool_details("flag", false, None, None);
    }
    // Each hook wrote its data every time, and found it empty every time.
    assert_eq!(*found.lock().unwrap(), vec![0; 12]);
}

#[test]
fn details_carry_their_own_key_and_metadata_after_value_evaluations_on_the_same_thread() {
    struct Nothing;
    impl Hook for Nothing {}
    let api = Api::new();
    // Returns metadata for `with-metadata` only.
    let provider = Bools(|key: &str| {
        let resolution = ResolutionDetails::new(true);
        if key != "with-metadata" {
            return Ok(resolution);
        }
        let metadata = [("owner".to_owned(), Value::from("team"))]
            .into_iter()
            .collect();
        Ok(ResolutionDetails {
            flag_metadata: Some(Arc::new(metadata)),
            ..resolution
        })
    });
    api.set_provider_and_wait(Arc::new(provider))
        .expect("provider");
    api.add_hooks([Arc::new(Nothing) as Arc<dyn Hook>]);
    let client = api.client();
    // Value evaluations with hooks hand their details' key and empty metadata back for reuse.
    assert!(client.get_bool_value("a-rather-long-flag-key", false, None, None));
    assert!(client.get_bool_value("with-metadata", false, None, None));
    let details = client.get_bool_details("b", false, None, None);
    assert_eq!(details.flag_key, "b");
    assert!(details.flag_metadata.is_empty());
    let details = client.get_bool_details("with-metadata", false, None, None);
    assert_eq!(details.flag_key, "with-metadata");
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&Value::from("team"))
    );
    assert!(client.get_bool_value("c", false, None, None));
    let details = client.get_bool_details("d", false, None, None);
    assert_eq!(details.flag_key, "d");
    assert!(details.flag_metadata.is_empty());
}

#[test]
fn hooks_see_each_value_evaluations_own_details_on_the_same_thread_and_in_a_nested_evaluation() {
    /// Logs the details its finally stage sees; its after stage on `outer` evaluates `inner`
    /// through the same client (so on the same snapshot, whose spares the outer one holds).
    struct Seen {
        log: Arc<Mutex<Vec<String>>>,
        client: Mutex<Option<openfeature_sdk::Client>>,
    }
    impl Hook for Seen {
        fn after(
            &self,
            context: &openfeature_sdk::HookContext<'_>,
            _: &openfeature_sdk::EvaluationDetails<Value>,
            _: &openfeature_sdk::HookHints,
            _: &mut openfeature_sdk::HookData,
        ) -> Result<(), openfeature_sdk::EvaluationError> {
            if context.flag_key == "outer" {
                let client = self.client.lock().unwrap().clone();
                if let Some(client) = client {
                    assert!(client.get_bool_value("inner", false, None, None));
                }
            }
            Ok(())
        }
        fn finally(
            &self,
            _: &openfeature_sdk::HookContext<'_>,
            details: &openfeature_sdk::EvaluationDetails<Value>,
            _: &openfeature_sdk::HookHints,
            _: &mut openfeature_sdk::HookData,
        ) {
            self.log.lock().unwrap().push(format!(
                "{} {:?} {:?} {:?} {:?} {:?} metadata={}",
                details.flag_key,
                details.value,
                details.variant,
                details.reason,
                details.error_code,
                details.error_message,
                details.flag_metadata.len(),
            ));
        }
    }
    let api = Api::new();
    // Answers `fails` with FLAG_NOT_FOUND, `with-metadata` with metadata, anything else with
    // `true` and the key as its variant.
    let provider = Bools(|key: &str| {
        if key == "fails" {
            return Err(openfeature_sdk::EvaluationError::new(
                ErrorCode::FlagNotFound,
                "no such flag",
            ));
        }
        let resolution = ResolutionDetails::new(true).with_variant(key);
        if key != "with-metadata" {
            return Ok(resolution);
        }
        let metadata = [("owner".to_owned(), Value::from("team"))]
            .into_iter()
            .collect();
        Ok(ResolutionDetails {
            flag_metadata: Some(Arc::new(metadata)),
            ..resolution
        })
    });
    api.set_provider_and_wait(Arc::new(provider))
        .expect("provider");
    let client = api.client();
    let log = new_log();
    let seen = Arc::new(Seen {
        log: Arc::clone(&log),
        client: Mutex::new(Some(client.clone())),
    });
    client.add_hooks([Arc::clone(&seen) as Arc<dyn Hook>]);
    assert!(client.get_bool_value("a-rather-long-flag-key", false, None, None));
    assert!(client.get_bool_value("with-metadata", false, None, None));
    assert!(client.get_bool_value("b", false, None, None));
    assert!(!client.get_bool_value("fails", false, None, None));
    assert!(client.get_bool_value("b", false, None, None));
    assert!(client.get_bool_value("outer", false, None, None));
    let details = client.get_bool_details("with-metadata", false, None, None);
    assert_eq!(details.flag_metadata.len(), 1);
    assert!(client.get_bool_value("c", false, None, None));
    // Break the cycle client -> hook -> client.
    *seen.client.lock().unwrap() = None;
    let ok = |key: &str, metadata: usize| {
        format!("{key} Bool(true) Some({key:?}) None None None metadata={metadata}")
    };
    assert_eq!(
        take(&log),
        [
            ok("a-rather-long-flag-key", 0),
            ok("with-metadata", 1),
            ok("b", 0),
            "fails Bool(false) None Some(Error) Some(FlagNotFound) Some(\"no such flag\") metadata=0"
                .to_owned(),
            ok("b", 0),
            // The nested evaluation finishes first, with its own details; the outer one's
            // finally still sees its own.
            ok("inner", 0),
            ok("outer", 0),
            ok("with-metadata", 1),
            ok("c", 0),
        ]
    );
}

#[test]
fn a_value_evaluation_with_hooks_keeps_none_of_the_providers_data_after_it_returns() {
    struct Nothing;
    impl Hook for Nothing {}
    let metadata: openfeature_sdk::FlagMetadata = Arc::new(
        [("owner".to_owned(), Value::from("team"))]
            .into_iter()
            .collect(),
    );
    let api = Api::new();
    // Answers every boolean flag with the same metadata map, which it keeps.
    let kept = Arc::clone(&metadata);
    let provider = Bools(move |_: &str| {
        Ok(ResolutionDetails {
            flag_metadata: Some(Arc::clone(&kept)),
            ..ResolutionDetails::new(true).with_variant("on")
        })
    });
    api.set_provider_and_wait(Arc::new(provider))
        .expect("provider");
    api.add_hooks([Arc::new(Nothing) as Arc<dyn Hook>]);
    let client = api.client();
    for _ in 0..2 {
        assert!(client.get_bool_value("flag", false, None, None));
        // Only the provider (in `Keeps`) and this test hold the map: the evaluation's details,
        // kept by the client's snapshot for reuse, no longer refer to it.
        assert_eq!(Arc::strong_count(&metadata), 2);
    }
    let details = client.get_bool_details("flag", false, None, None);
    assert_eq!(
        details.flag_metadata.get("owner"),
        Some(&Value::from("team"))
    );
    assert_eq!(details.variant.as_deref(), Some("on"));
}

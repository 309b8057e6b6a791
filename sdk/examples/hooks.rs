//! Hooks at the API, client and invocation levels: a hook that adds to the evaluation context
//! before resolution, and one that records each stage. `cargo run -p openfeature-sdk --example hooks`

use openfeature_sdk::{
    Api, EvaluationContext, EvaluationDetails, EvaluationError, EvaluationOptions, Flag, Hook,
    HookContext, HookData, HookHints, InMemoryProvider, Value,
};
use std::sync::{Arc, Mutex};

/// Adds the service's name to every evaluation's context.
struct ServiceName(&'static str);

impl Hook for ServiceName {
    fn before(
        &self,
        _context: &HookContext<'_>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        Ok(Some(EvaluationContext::new().with("service", self.0)))
    }
}

/// Records the stages it sees, under its own name.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Hook for Recorder {
    fn before(
        &self,
        context: &HookContext<'_>,
        hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        let hint = hints
            .get("caller")
            .map(Value::to_string)
            .unwrap_or_default();
        self.log.lock().unwrap().push(format!(
            "{} before {} (hint {hint})",
            self.name, context.flag_key
        ));
        Ok(None)
    }

    fn after(
        &self,
        context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<(), EvaluationError> {
        self.log.lock().unwrap().push(format!(
            "{} after {} = {}",
            self.name, context.flag_key, details.value
        ));
        Ok(())
    }
}

fn main() {
    let api = Api::new();
    let flags = [(
        "search-v2".to_owned(),
        // On only where the context names the search service.
        Flag::new([("on", true), ("off", false)], "off").with_context_evaluator(|context| {
            (context.get("service").and_then(Value::as_str) == Some("search"))
                .then(|| "on".to_owned())
        }),
    )];
    api.set_provider_and_wait(Arc::new(InMemoryProvider::new(flags)))
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = |name| {
        Arc::new(Recorder {
            name,
            log: log.clone(),
        }) as Arc<dyn Hook>
    };

    api.add_hooks([
        recorder("api"),
        Arc::new(ServiceName("search")) as Arc<dyn Hook>,
    ]);
    let client = api.client();
    client.add_hooks([recorder("client")]);
    let options = EvaluationOptions::new()
        .with_hook(recorder("invocation"))
        .with_hint("caller", "example");

    let on = client.get_bool_value("search-v2", false, None, Some(&options));
    assert!(on, "the API-level hook's context reached the provider");
    // Before hooks run API, client, invocation; after hooks the other way round (spec 4.4.2).
    let seen = log.lock().unwrap().clone();
    for line in &seen {
        println!("{line}");
    }
    assert_eq!(
        seen,
        [
            "api before search-v2 (hint \"example\")",
            "client before search-v2 (hint \"example\")",
            "invocation before search-v2 (hint \"example\")",
            "invocation after search-v2 = true",
            "client after search-v2 = true",
            "api after search-v2 = true",
        ]
    );
    api.shutdown();
}

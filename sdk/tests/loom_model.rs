//! Exhaustive loom model of the lease word: replacing the default provider while another thread
//! evaluates shuts the old provider down exactly once and never before the evaluation ends.
//!
//! Runs only in the loom build, in its own target directory:
//! `RUSTFLAGS="--cfg openfeature_sdk_loom" cargo test --release -p openfeature-sdk --test loom_model --target-dir target/loom`.

#![cfg(openfeature_sdk_loom)]

use openfeature_sdk::{
    Api, EvaluationContext, EvaluationError, FeatureProvider, ProviderMetadata, ResolutionDetails,
    ResolutionResult, Value,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Counting {
    shutdowns: AtomicUsize,
    resolved_after_shutdown: AtomicUsize,
}

impl FeatureProvider for Counting {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("counting")
    }
    fn initialize(&self, _: &EvaluationContext) -> Result<(), EvaluationError> {
        Ok(())
    }
    fn shutdown(&self) {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
    }
    fn resolve_bool(&self, _: &str, _: bool, _: &EvaluationContext) -> ResolutionResult<bool> {
        if self.shutdowns.load(Ordering::SeqCst) > 0 {
            self.resolved_after_shutdown.fetch_add(1, Ordering::SeqCst);
        }
        Ok(ResolutionDetails::new(true))
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
fn replace_while_evaluating_shuts_down_once_after_the_evaluation() {
    let mut builder = loom::model::Builder::new();
    // Two preemptions cover every order of the two threads' lock and lease steps here.
    builder.preemption_bound = Some(2);
    // Counts the executions loom explores, to show the model is not trivially one schedule.
    static EXPLORED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    builder.check(|| {
        EXPLORED.fetch_add(1, Ordering::SeqCst);
        let api = Api::new();
        let old = Arc::new(Counting::default());
        let new = Arc::new(Counting::default());
        api.set_provider_and_wait(old.clone()).expect("old");
        let evaluator = {
            let api = api.clone();
            loom::thread::spawn(move || api.client().get_bool_value("flag", false, None, None))
        };
        api.set_provider_and_wait(new.clone()).expect("new");
        let _ = evaluator.join().expect("evaluator");
        assert_eq!(old.shutdowns.load(Ordering::SeqCst), 1);
        assert_eq!(old.resolved_after_shutdown.load(Ordering::SeqCst), 0);
        assert_eq!(new.shutdowns.load(Ordering::SeqCst), 0);
    });
    let explored = EXPLORED.load(Ordering::SeqCst);
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

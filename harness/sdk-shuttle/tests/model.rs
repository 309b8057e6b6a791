//! Small shuttle model tests of the SDK twin: the facade switches to shuttle's primitives and
//! the scheduler explores interleavings of the SDK's own locks and atomics. The harness builds
//! on the same crate with scenario files; these tests prove the switch works on its own.

use openfeature_sdk_shuttle::{
    Api, EvaluationContext, FeatureProvider, ProviderMetadata, ResolutionDetails, ResolutionResult,
    Value,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts lifecycle calls; std atomics are fine here because they never block.
#[derive(Default)]
struct Counting {
    inits: AtomicUsize,
    shutdowns: AtomicUsize,
    resolved_after_shutdown: AtomicUsize,
}

impl FeatureProvider for Counting {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("counting")
    }
    fn initialize(
        &self,
        _: &EvaluationContext,
    ) -> Result<(), openfeature_sdk_shuttle::EvaluationError> {
        self.inits.fetch_add(1, Ordering::SeqCst);
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

/// Two threads replace the default provider while a third evaluates: every provider is
/// initialized once and shut down once, and nothing resolves on a shut-down provider.
fn concurrent_replacement() {
    let api = Api::new();
    let providers: Vec<Arc<Counting>> = (0..3).map(|_| Arc::new(Counting::default())).collect();
    api.set_provider_and_wait(providers[0].clone()).expect("p0");
    let mut threads = Vec::new();
    for provider in &providers[1..] {
        let (api, provider) = (api.clone(), Arc::clone(provider));
        threads.push(shuttle::thread::spawn(move || {
            api.set_provider_and_wait(provider).expect("init");
        }));
    }
    let evaluator = {
        let api = api.clone();
        shuttle::thread::spawn(move || api.client().get_bool_value("flag", false, None, None))
    };
    for thread in threads {
        thread.join().expect("setter");
    }
    let _value = evaluator.join().expect("evaluator");
    api.shutdown();
    for provider in &providers {
        assert_eq!(provider.inits.load(Ordering::SeqCst), 1);
        assert_eq!(provider.shutdowns.load(Ordering::SeqCst), 1);
        assert_eq!(provider.resolved_after_shutdown.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn concurrent_replacement_random() {
    // 2,000 random schedules: enough to cover the handful of lock orders of three short threads
    // many times over, in well under a second.
    shuttle::check_random(concurrent_replacement, 2_000);
}

#[test]
fn concurrent_replacement_pct() {
    shuttle::check_pct(concurrent_replacement, 2_000, 3);
}

//! Exhaustive loom model of the lease protocol and the per-thread snapshots (see the SDK's
//! `registry` and `client::snapshot` modules): replacing or shutting down a provider while other
//! threads evaluate, on both lease shards, from cached and fresh snapshots, shuts the old
//! provider down exactly once, never before the last evaluation on it ends, and never lets an
//! evaluation resolve on it afterwards. Under loom the SDK splits leases into two shards, handed
//! to threads round robin in the order they first evaluate.
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
    resolves: AtomicUsize,
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
        self.resolves.fetch_add(1, Ordering::SeqCst);
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

/// Answers whether the evaluation context has `on` set to `true`.
struct ContextSwitch;

impl FeatureProvider for ContextSwitch {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("switch")
    }
    fn resolve_bool(&self, _: &str, _: bool, ctx: &EvaluationContext) -> ResolutionResult<bool> {
        Ok(ResolutionDetails::new(
            ctx.get("on") == Some(&Value::Bool(true)),
        ))
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

/// Runs `model` under loom with `bound` preemptions; returns how many executions it explored.
fn explore(bound: usize, model: impl Fn() + Sync + Send + 'static) -> usize {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let explored = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&explored);
    builder.check(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        model();
    });
    explored.load(Ordering::SeqCst)
}

/// The old provider was shut down exactly once and nothing resolved on it afterwards; the new
/// one is live.
fn assert_replaced_once(old: &Counting, new: &Counting) {
    assert_eq!(old.shutdowns.load(Ordering::SeqCst), 1);
    assert_eq!(old.resolved_after_shutdown.load(Ordering::SeqCst), 0);
    assert_eq!(new.shutdowns.load(Ordering::SeqCst), 0);
}

#[test]
fn replace_while_evaluating_shuts_down_once_after_the_evaluation() {
    let explored = explore(2, || {
        let api = Api::new();
        let old = Arc::new(Counting::default());
        let new = Arc::new(Counting::default());
        api.set_provider_and_wait(old.clone()).expect("old");
        let evaluator = {
            let api = api.clone();
            loom::thread::spawn(move || api.client().get_bool_value("flag", false, None, None))
        };
        api.set_provider_and_wait(new.clone()).expect("new");
        // `true` from either provider, or the default while `new` initializes.
        let _ = evaluator.join().expect("evaluator");
        assert_replaced_once(&old, &new);
    });
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

/// Two readers on the two lease shards, one of them from a snapshot cached before the replace
/// began, while a third thread retires the provider they read: the retire counts each shard's
/// lease or makes it back out, and the last lease to go runs the shutdown.
#[test]
fn retire_while_readers_hold_leases_on_both_shards() {
    let explored = explore(4, || {
        let api = Api::new();
        let old = Arc::new(Counting::default());
        let new = Arc::new(Counting::default());
        api.set_provider_and_wait(old.clone()).expect("old");
        let client = api.client();
        // The main thread takes shard 0 and caches a snapshot of `old`.
        assert!(client.get_bool_value("flag", false, None, None));
        let reader = {
            let client = client.clone();
            // Shard 1, with no snapshot yet: it takes one under the lock.
            loom::thread::spawn(move || client.get_bool_value("flag", false, None, None))
        };
        let writer = {
            let api = api.clone();
            let new = new.clone();
            loom::thread::spawn(move || api.set_provider_and_wait(new).expect("new"))
        };
        // From the cached snapshot, unless the writer moved the version first. Concurrent
        // evaluations answer `true` from either provider or the default while `new`
        // initializes; what matters is the providers' lifecycle below.
        let _ = client.get_bool_value("flag", false, None, None);
        let _ = reader.join().expect("reader");
        writer.join().expect("writer");
        assert_replaced_once(&old, &new);
    });
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

/// A client evaluated on one thread (which caches its snapshot) is moved to another thread that
/// evaluates while the provider is replaced, then used again on the first thread, whose cached
/// snapshot is now stale: no evaluation resolves on a provider after its shutdown, the stale
/// snapshot is never used after the replace, and the old provider shuts down once.
#[test]
fn a_client_that_migrates_threads_never_uses_a_stale_snapshot() {
    let explored = explore(4, || {
        let api = Api::new();
        let old = Arc::new(Counting::default());
        let new = Arc::new(Counting::default());
        api.set_provider_and_wait(old.clone()).expect("old");
        let client = api.client();
        assert!(client.get_bool_value("flag", false, None, None));
        let migrated = {
            let client = client.clone();
            loom::thread::spawn(move || client.get_bool_value("flag", false, None, None))
        };
        api.set_provider_and_wait(new.clone()).expect("new");
        let _ = migrated.join().expect("migrated reader");
        // After the replace returned: the cached snapshot of `old` must not be used.
        let resolved_before = new.resolves.load(Ordering::SeqCst);
        assert!(client.get_bool_value("flag", false, None, None));
        assert_eq!(new.resolves.load(Ordering::SeqCst), resolved_before + 1);
        assert_replaced_once(&old, &new);
    });
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

/// `Api::shutdown` while a reader holds a lease: shutdown returns only once the provider's
/// `shutdown` has run, which is after the reader's resolve, exactly once, whichever thread ends
/// up running it.
#[test]
fn shutdown_waits_for_the_last_reader() {
    let explored = explore(4, || {
        let api = Api::new();
        let provider = Arc::new(Counting::default());
        api.set_provider_and_wait(provider.clone())
            .expect("provider");
        let reader = {
            let client = api.client();
            loom::thread::spawn(move || client.get_bool_value("flag", false, None, None))
        };
        api.shutdown();
        assert_eq!(provider.shutdowns.load(Ordering::SeqCst), 1);
        // The reader answered from the provider (true) or, once it was unbound, the no-op
        // default (false); never from the provider after its shutdown.
        let _ = reader.join().expect("reader");
        assert_eq!(provider.shutdowns.load(Ordering::SeqCst), 1);
        assert_eq!(provider.resolved_after_shutdown.load(Ordering::SeqCst), 0);
    });
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

/// A change that returned is seen by every evaluation that starts after it, on any thread,
/// whether the evaluation finds its snapshot cached or builds it under the registry lock: the
/// version is bumped inside the change's critical section, so no evaluation can cache the
/// configuration of before the change under the version of after it (the reader thread's
/// first evaluation may overlap the change; its second, after the change returned, must see
/// it).
#[test]
fn an_evaluation_that_starts_after_a_change_returned_sees_it() {
    let explored = explore(3, || {
        let api = Api::new();
        api.set_provider_and_wait(Arc::new(ContextSwitch))
            .expect("provider");
        let client = api.client();
        // The main thread caches a snapshot of the configuration before the change.
        assert!(!client.get_bool_value("flag", false, None, None));
        let changed = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let writer = {
            let api = api.clone();
            let changed = Arc::clone(&changed);
            loom::thread::spawn(move || {
                api.set_context(EvaluationContext::new().with("on", true));
                changed.store(true, Ordering::SeqCst);
            })
        };
        let reader = {
            let client = client.clone();
            let changed = Arc::clone(&changed);
            loom::thread::spawn(move || {
                // May overlap the change, and caches whatever snapshot it took.
                let _ = client.get_bool_value("flag", false, None, None);
                let after = changed.load(Ordering::SeqCst);
                let value = client.get_bool_value("flag", false, None, None);
                assert!(
                    !after || value,
                    "an evaluation that started after the change returned missed it"
                );
            })
        };
        writer.join().expect("writer");
        // After the change returned: the main thread's cached snapshot is stale.
        assert!(client.get_bool_value("flag", false, None, None));
        reader.join().expect("reader");
    });
    println!("loom explored {explored} executions");
    assert!(explored > 10, "loom explored only {explored} executions");
}

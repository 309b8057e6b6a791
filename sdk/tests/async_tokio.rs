//! The async variants of the waiting calls and the per-task transaction-context propagator
//! (feature `tokio`). The blocked-worker checks run on a current-thread runtime: a provider's
//! `initialize` (or `shutdown`) waits for a message that only another task on that same runtime
//! sends, so the call completes only if awaiting it left the runtime's one thread free.

mod common;

use common::{CountingProvider, Init};
use openfeature_sdk::{
    Api, ErrorCode, EvaluationContext, EvaluationError, FeatureProvider, ProviderMetadata,
    ResolutionDetails, ResolutionResult, TokioTaskPropagator, Value,
};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `test` on a fresh current-thread runtime on its own thread and fails if it has not
/// finished within ten seconds (a blocked worker would deadlock it forever).
fn on_current_thread_runtime<F, Fut>(test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(test());
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the async call blocked the runtime's only worker thread");
}

/// A provider whose `initialize` and `shutdown` each wait for a message on a channel.
struct WaitingProvider {
    init_gate: Mutex<mpsc::Receiver<()>>,
    shutdown_gate: Mutex<mpsc::Receiver<()>>,
}

impl WaitingProvider {
    fn new() -> (Arc<Self>, mpsc::Sender<()>, mpsc::Sender<()>) {
        let (open_init, init_gate) = mpsc::channel();
        let (open_shutdown, shutdown_gate) = mpsc::channel();
        let provider = Arc::new(Self {
            init_gate: Mutex::new(init_gate),
            shutdown_gate: Mutex::new(shutdown_gate),
        });
        (provider, open_init, open_shutdown)
    }
}

impl FeatureProvider for WaitingProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("waiting")
    }

    fn initialize(&self, _: &EvaluationContext) -> Result<(), EvaluationError> {
        self.init_gate.lock().unwrap().recv().unwrap();
        Ok(())
    }

    fn shutdown(&self) {
        self.shutdown_gate.lock().unwrap().recv().unwrap();
    }

    fn resolve_bool(&self, _: &str, _: bool, _: &EvaluationContext) -> ResolutionResult<bool> {
        Ok(ResolutionDetails::new(true))
    }

    fn resolve_int(&self, _: &str, _: i64, _: &EvaluationContext) -> ResolutionResult<i64> {
        Ok(ResolutionDetails::new(1))
    }

    fn resolve_float(&self, _: &str, _: f64, _: &EvaluationContext) -> ResolutionResult<f64> {
        Ok(ResolutionDetails::new(1.0))
    }

    fn resolve_string(
        &self,
        _: &str,
        _: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String> {
        Ok(ResolutionDetails::new(
            context.targeting_key().unwrap_or("none").to_owned(),
        ))
    }

    fn resolve_object(&self, _: &str, _: &Value, _: &EvaluationContext) -> ResolutionResult<Value> {
        Ok(ResolutionDetails::new(Value::Bool(true)))
    }
}

#[test]
fn set_provider_and_wait_async_leaves_a_current_thread_runtime_free() {
    on_current_thread_runtime(|| async {
        let (provider, open_init, open_shutdown) = WaitingProvider::new();
        let api = Api::new();
        // The only sender of the message `initialize` waits for is a task on this runtime.
        let opener = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            open_init.send(()).unwrap();
        });
        api.set_provider_and_wait_async(provider).await.unwrap();
        opener.await.unwrap();
        assert!(api.client().get_bool_value("flag", false, None, None));

        let closer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            open_shutdown.send(()).unwrap();
        });
        api.shutdown_async().await;
        closer.await.unwrap();
    });
}

#[test]
fn an_initialization_failure_is_returned_by_the_async_variant() {
    on_current_thread_runtime(|| async {
        let provider = CountingProvider::new("failing", Init::Fails);
        let api = Api::new();
        let error = api
            .set_domain_provider_and_wait_async("billing", provider)
            .await
            .expect_err("initialize failed");
        assert_eq!(
            error,
            EvaluationError::new(ErrorCode::General, "init failed")
        );
        api.shutdown_async().await;
    });
}

#[test]
fn the_async_variants_run_their_provider_steps_exactly_once_on_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let provider = CountingProvider::new("counted", Init::Succeeds);
    let api = Api::new();
    runtime.block_on(async {
        api.set_domain_provider_and_wait_async("a", provider.clone())
            .await
            .unwrap();
        api.set_domain_provider_and_wait_async("b", provider.clone())
            .await
            .unwrap();
        api.clear_providers_async().await;
        assert_eq!(provider.calls(), ["attach", "initialize", "shutdown"]);
        api.shutdown_async().await;
    });
    assert_eq!(provider.calls(), ["attach", "initialize", "shutdown"]);
}

#[test]
fn each_task_sees_its_own_transaction_context_across_awaits_and_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (provider, open_init, open_shutdown) = WaitingProvider::new();
    open_init.send(()).unwrap();
    open_shutdown.send(()).unwrap();
    let api = Api::new();
    api.set_provider_and_wait(provider).unwrap();
    api.set_transaction_propagator(Arc::new(TokioTaskPropagator));
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for request in 0..8 {
            let api = api.clone();
            tasks.push(tokio::spawn(TokioTaskPropagator::scope(async move {
                assert!(api.transaction_context().is_none(), "a scope starts empty");
                let key = format!("request-{request}");
                api.set_transaction_context(EvaluationContext::new().with_targeting_key(&key));
                for _ in 0..20 {
                    tokio::task::yield_now().await;
                    let seen = api.client().get_string_value("who", "", None, None);
                    assert_eq!(
                        seen, key,
                        "the provider sees this task's transaction context"
                    );
                }
            })));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    // Outside every scope there is none, and setting one does nothing.
    api.set_transaction_context(EvaluationContext::new().with_targeting_key("outside"));
    assert!(api.transaction_context().is_none());
    assert_eq!(api.client().get_string_value("who", "", None, None), "none");
    api.shutdown();
}

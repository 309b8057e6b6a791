//! Using the SDK from async code on tokio (feature `tokio`).
//!
//! Evaluation never waits, so it stays synchronous and is safe on any executor thread. Three
//! kinds of call can wait: binding a provider *and waiting* for its `initialize`, and
//! [`Api::clear_providers`] and [`Api::shutdown`], which wait for providers' `shutdown`. They
//! run user code that may block for as long as it likes, so their async variants here run the
//! synchronous call on tokio's blocking pool ([`tokio::task::spawn_blocking`]) and await it: no
//! executor thread is ever blocked, even on a current-thread runtime. Dropping one of these
//! futures does not undo the call: the binding or shutdown goes ahead, as with the synchronous
//! call.
//!
//! The non-waiting binds ([`Api::set_provider`], [`Api::set_domain_provider`]) run the
//! provider's `initialize` on a thread of their own, but the *replaced* provider's `shutdown`
//! runs on the caller when no evaluation still uses it: in async code, prefer the `_async`
//! variants when a provider's shutdown can take time.
//!
//! The default transaction-context propagator follows OS threads, which a task migrates
//! between; [`TokioTaskPropagator`] follows a tokio task instead.

use crate::api::Api;
use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationError};
use crate::provider::FeatureProvider;
use crate::sync::Arc;
use crate::transaction::TransactionContextPropagator;
use std::cell::RefCell;
use std::future::Future;

impl Api {
    /// [`Api::set_provider_and_wait`] for async code: binds `provider` as the default at once
    /// and awaits its `initialize` on tokio's blocking pool. Must be awaited inside a tokio
    /// runtime.
    pub async fn set_provider_and_wait_async(
        &self,
        provider: Arc<dyn FeatureProvider>,
    ) -> Result<(), EvaluationError> {
        joined(
            self.blocking(move |api| api.set_provider_and_wait(provider))
                .await,
        )
    }

    /// [`Api::set_domain_provider_and_wait`] for async code (see
    /// [`Api::set_provider_and_wait_async`]).
    pub async fn set_domain_provider_and_wait_async(
        &self,
        domain: &str,
        provider: Arc<dyn FeatureProvider>,
    ) -> Result<(), EvaluationError> {
        let domain = domain.to_owned();
        joined(
            self.blocking(move |api| api.set_domain_provider_and_wait(&domain, provider))
                .await,
        )
    }

    /// [`Api::clear_providers`] for async code: unbinds every provider at once and awaits their
    /// `shutdown` on tokio's blocking pool.
    pub async fn clear_providers_async(&self) {
        unwound(self.blocking(Api::clear_providers).await);
    }

    /// [`Api::shutdown`] for async code: resets the instance at once and awaits every provider's
    /// `shutdown` on tokio's blocking pool.
    pub async fn shutdown_async(&self) {
        unwound(self.blocking(Api::shutdown).await);
    }

    /// Runs `call` on a handle to this instance on tokio's blocking pool.
    async fn blocking<R: Send + 'static>(
        &self,
        call: impl FnOnce(&Api) -> R + Send + 'static,
    ) -> Result<R, tokio::task::JoinError> {
        let api = self.clone();
        tokio::task::spawn_blocking(move || call(&api)).await
    }
}

/// Resumes a panic of the blocking task (an SDK bug: provider panics are contained) on the
/// awaiting task; a cancellation (the runtime shutting down) is ignored.
fn unwound(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

/// The outcome of a bind run on the blocking pool. Provider panics are contained inside the
/// bind; a join error means the runtime is shutting down (or an SDK bug panicked).
fn joined(
    outcome: Result<Result<(), EvaluationError>, tokio::task::JoinError>,
) -> Result<(), EvaluationError> {
    outcome.unwrap_or_else(|error| {
        Err(EvaluationError::new(
            ErrorCode::General,
            format!("waiting for the provider's initialization failed: {error}"),
        ))
    })
}

tokio::task_local! {
    static TASK_CONTEXT: RefCell<Option<Arc<EvaluationContext>>>;
}

/// Keeps the transaction context per tokio task (spec 3.3), for servers where a request is a
/// task rather than a thread.
///
/// A unit of work starts with [`TokioTaskPropagator::scope`]; inside it,
/// [`Api::set_transaction_context`] sets the context that evaluations made by that task see,
/// across `.await`s and whichever worker thread the task runs on. Outside a scope there is no
/// transaction context and setting one does nothing. A task spawned from inside a scope does
/// not inherit it (tokio's task-locals are not inherited): wrap its future in a scope of its
/// own. All API instances that install this propagator share a task's context.
///
/// ```
/// use openfeature_sdk::{Api, EvaluationContext, TokioTaskPropagator};
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let api = Api::new();
/// api.set_transaction_propagator(Arc::new(TokioTaskPropagator));
/// TokioTaskPropagator::scope(async {
///     api.set_transaction_context(EvaluationContext::new().with_targeting_key("request-7"));
///     tokio::task::yield_now().await;
///     let context = api.transaction_context().unwrap();
///     assert_eq!(context.targeting_key(), Some("request-7"));
/// })
/// .await;
/// assert!(api.transaction_context().is_none());
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTaskPropagator;

impl TokioTaskPropagator {
    /// Runs `future` as one unit of work with its own transaction context, empty at the start.
    pub async fn scope<F: Future>(future: F) -> F::Output {
        TASK_CONTEXT.scope(RefCell::new(None), future).await
    }
}

impl TransactionContextPropagator for TokioTaskPropagator {
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        TASK_CONTEXT
            .try_with(|context| context.borrow().clone())
            .ok()
            .flatten()
    }

    fn set_transaction_context(&self, context: Arc<EvaluationContext>) {
        let _outside_a_scope = TASK_CONTEXT.try_with(|slot| *slot.borrow_mut() = Some(context));
    }
}

//! A thread-safe [OpenFeature](https://openfeature.dev) SDK: correct under any interleaving,
//! fast on the hot path.
//!
//! ```
//! use openfeature_sdk::{Api, EvaluationContext, Flag, InMemoryProvider};
//! use std::sync::Arc;
//!
//! let api = Api::new();
//! let flags = [("new-checkout".to_owned(), Flag::new([("on", true), ("off", false)], "on"))];
//! api.set_provider_and_wait(Arc::new(InMemoryProvider::new(flags))).unwrap();
//!
//! let client = api.client();
//! let context = EvaluationContext::new().with_targeting_key("user-1");
//! assert!(client.get_bool_value("new-checkout", false, Some(&context), None));
//! api.shutdown();
//! ```
//!
//! # Thread safety
//!
//! Every type here is `Send + Sync`, and every method may be called from any thread at any time,
//! including from inside a provider, hook or event handler. The table lists each piece of shared
//! state, the mechanism that makes it safe, and the races of the audit of a Python SDK of the
//! same design (A1-A16) that the mechanism rules out.
//!
//! | shared state | mechanism | closes |
//! |---|---|---|
//! | provider bindings (default, domains) | one `RwLock` over the registry; every binding change is one write-lock critical section that swaps the slot, creates the registration and retires the old one | A1, A2, A3, A4 |
//! | provider lifecycle | a state machine per registration: the creator of a registration runs `initialize`; a sharded lease count (a retired bit per shard, counted by one read-modify-write each) makes exactly one thread run `shutdown`, after `initialize` and every in-flight evaluation have finished | A1, A2, A4, A6, A15 |
//! | provider status | an atomic per registration, written only by event dispatch under the events lock, before handlers run; a registration's status belongs to it alone, so a late event from a replaced provider cannot touch the current one | A5, A15 |
//! | one evaluation's inputs | registration (leased), status, API and client hooks, contexts and propagator read together, once: from the thread's cached snapshot while the configuration version stays the same before the lease and after the status read, else under the registry read lock | A6, A15 |
//! | API and client hooks | copy-on-write lists replaced under a write lock | A7, A8 |
//! | event handlers and delivery | one queue under the events lock; an immediate run on registration is queued in the same critical section as the registration; one drainer at a time runs handlers outside the lock | A10, A11 |
//! | clear and shutdown | registry and handlers reset in one critical section holding both locks | A6, A9, A12 |
//! | global context | replaced whole; `merge_context` and `update_context` are atomic read-modify-writes | A13 |
//! | transaction propagator | versioned swap; `set_transaction_context` writes again if a swap raced with it | A14 |
//! | provider emitter | the emit target is read once and checked against the registration's retired bit under the registry lock; detach is idempotent | A16 |
//!
//! No SDK lock is held while user code runs, so user code may call back into the SDK without
//! deadlock, and a slow provider cannot stall evaluations on other providers. The one wait that
//! could involve the caller itself, [`Api::shutdown`] waiting for a provider still in use by the
//! calling thread's own evaluation, is skipped: that provider shuts down when the evaluation
//! ends.
//!
//! Panics in user code are contained: an evaluation returns the default value with
//! [`ErrorCode::General`]; a handler's panic does not stop the other handlers.
//!
//! # Blocking, threads and async code
//!
//! Evaluation never waits. The calls that can wait on user code are the `_and_wait` binds
//! (for `initialize`), [`Api::clear_providers`] and [`Api::shutdown`] (for `shutdown`). The only
//! threads the SDK spawns are the short-lived `openfeature-init-N` threads of the non-waiting
//! binds, which run `attach` and `initialize`. From async code, evaluate directly, and use the
//! `_async` variants of the waiting calls (feature `tokio`), which run them on tokio's blocking
//! pool; `TokioTaskPropagator` keeps a transaction context per task.
//!
//! # Features
//!
//! All off by default: `serde` (serialization of values, contexts and details), `log`
//! (`LoggingHook`, the specification's logging hook), `tokio` (the async variants and
//! `TokioTaskPropagator`), `open-feature-compat` (`OpenFeatureProvider`: providers written for
//! the `open-feature` crate), `probe` (the `probe` module: per-thread records of which way each
//! evaluation took its snapshot and how long each step took, for the latency bench; it reads
//! the clock seven times per evaluation that misses its cache, so never in production).

#![warn(missing_docs)]

mod api;
#[cfg(feature = "tokio")]
mod async_tokio;
mod client;
#[cfg(feature = "open-feature-compat")]
mod compat;
mod contain;
mod context;
mod evaluation;
mod events;
mod hooks;
#[cfg(feature = "log")]
mod logging;
#[cfg(feature = "probe")]
pub mod probe;
#[cfg(not(feature = "probe"))]
mod probe;
mod provider;
mod providers;
mod registry;
mod shared;
mod sync;
mod tracking;
mod transaction;
mod value;

pub use api::Api;
#[cfg(feature = "tokio")]
pub use async_tokio::TokioTaskPropagator;
pub use client::{Client, FlagValue};
#[cfg(feature = "open-feature-compat")]
pub use compat::OpenFeatureProvider;
pub use context::EvaluationContext;
pub use evaluation::{
    ErrorCode, EvaluationDetails, EvaluationError, EvaluationOptions, FlagMetadata, Reason,
};
pub use events::{
    EventDetails, EventEmitter, EventHandler, HandlerId, ProviderEvent, ProviderEventDetails,
};
pub use hooks::{FlagType, Hook, HookContext, HookData, HookHints};
#[cfg(feature = "log")]
pub use logging::LoggingHook;
pub use provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus, ResolutionDetails, ResolutionResult,
};
pub use providers::{ContextEvaluator, Flag, InMemoryProvider, NoOpProvider};
pub use tracking::TrackingEventDetails;
pub use transaction::{NoOpPropagator, ThreadLocalPropagator, TransactionContextPropagator};
pub use value::{StructValue, Value};

/// Trace hook for the model-checking builds (see the `sync` facade); absent in production.
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
pub use sync::observe;

//! Clients and the evaluation pipeline (spec 1.2-1.4, 4.4, 6.1).
//!
//! One evaluation reads everything it depends on from one snapshot of one moment's
//! configuration: the provider's registration (with a lease that keeps it from being shut down
//! until the evaluation ends), its status, the API and client hooks, the global and client
//! context and the propagator (A15). It never re-reads any of them. In the common case the
//! snapshot is the thread's cached one, revalidated by a version number, and the evaluation
//! takes no lock and writes no cache line another thread uses; with no hooks and no context it
//! allocates nothing beyond what the provider returns (see `snapshot`).
//!
//! This module holds `Client`, its typed evaluation methods and tracking; `snapshot` takes the
//! snapshot, and the stages after it (resolution, details, the hook chain) are in `pipeline`.

mod pipeline;
mod snapshot;

use crate::contain;
use crate::context::EvaluationContext;
use crate::evaluation::{EvaluationDetails, EvaluationOptions};
use crate::events::{EventDetails, EventHandler, HandlerId, HandlerScope, ProviderEvent};
use crate::hooks::{FlagType, Hook, HookHints};
use crate::provider::{FeatureProvider, ProviderStatus, ResolutionResult};
use crate::registry::Replaced;
use crate::shared::ApiShared;
use crate::sync::{Arc, RwLock};
use crate::tracking::TrackingEventDetails;
use crate::value::Value;
use pipeline::{error_details, resolve, resolved_details, HookRun};
use snapshot::Published;
use std::borrow::Cow;

/// A type a flag can be evaluated as: `bool`, `i64`, `f64`, `String` or `Value` (structure).
///
/// Sealed: these five, the specification's flag types, are the only ones. An evaluation calls
/// its type's `clone` and `to_value` outside the guard it puts around user code, which only
/// the SDK's own implementations make safe (an implementation that panicked there would
/// escape an evaluation that must never panic).
///
/// ```compile_fail,E0277
/// use openfeature_sdk::{EvaluationContext, FeatureProvider, FlagType, FlagValue};
/// use openfeature_sdk::{ResolutionResult, Value};
///
/// #[derive(Clone)]
/// struct Percent(i64);
///
/// impl FlagValue for Percent {
///     const FLAG_TYPE: FlagType = FlagType::Integer;
///     fn resolve(
///         provider: &dyn FeatureProvider,
///         flag_key: &str,
///         default_value: &Self,
///         context: &EvaluationContext,
///     ) -> ResolutionResult<Self> {
///         unimplemented!()
///     }
///     fn to_value(&self) -> Value {
///         Value::Int(self.0)
///     }
/// }
/// ```
pub trait FlagValue: sealed::Sealed + Clone + Send + Sized + 'static {
    /// The flag type this Rust type is evaluated as, reported to hooks.
    const FLAG_TYPE: FlagType;

    /// Calls the provider's resolution method for this type.
    fn resolve(
        provider: &dyn FeatureProvider,
        flag_key: &str,
        default_value: &Self,
        context: &EvaluationContext,
    ) -> ResolutionResult<Self>;

    /// This value as a [`Value`], for hooks.
    fn to_value(&self) -> Value;
}

mod sealed {
    /// Implemented by the five flag types only; see [`super::FlagValue`].
    pub trait Sealed {}
    impl Sealed for bool {}
    impl Sealed for i64 {}
    impl Sealed for f64 {}
    impl Sealed for String {}
    impl Sealed for crate::value::Value {}
}

impl FlagValue for bool {
    const FLAG_TYPE: FlagType = FlagType::Boolean;
    fn resolve(
        p: &dyn FeatureProvider,
        key: &str,
        default: &Self,
        ctx: &EvaluationContext,
    ) -> ResolutionResult<Self> {
        p.resolve_bool(key, *default, ctx)
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FlagValue for i64 {
    const FLAG_TYPE: FlagType = FlagType::Integer;
    fn resolve(
        p: &dyn FeatureProvider,
        key: &str,
        default: &Self,
        ctx: &EvaluationContext,
    ) -> ResolutionResult<Self> {
        p.resolve_int(key, *default, ctx)
    }
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}

impl FlagValue for f64 {
    const FLAG_TYPE: FlagType = FlagType::Float;
    fn resolve(
        p: &dyn FeatureProvider,
        key: &str,
        default: &Self,
        ctx: &EvaluationContext,
    ) -> ResolutionResult<Self> {
        p.resolve_float(key, *default, ctx)
    }
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl FlagValue for String {
    const FLAG_TYPE: FlagType = FlagType::String;
    fn resolve(
        p: &dyn FeatureProvider,
        key: &str,
        default: &Self,
        ctx: &EvaluationContext,
    ) -> ResolutionResult<Self> {
        p.resolve_string(key, default, ctx)
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FlagValue for Value {
    const FLAG_TYPE: FlagType = FlagType::Object;
    fn resolve(
        p: &dyn FeatureProvider,
        key: &str,
        default: &Self,
        ctx: &EvaluationContext,
    ) -> ResolutionResult<Self> {
        p.resolve_object(key, default, ctx)
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// Per-client state, each guarded by its own `RwLock` and replaced whole on change. Lock order:
/// the API's registry lock first, then `hooks`, then `context`. A writer changes them inside a
/// registry write section (whose end bumps the configuration version, and whose registry keeps
/// the replaced value until no evaluation holds it), so that an evaluation's snapshot of API
/// and client state, read under the registry read lock, is one moment's.
struct ClientState {
    domain: Option<Arc<str>>,
    /// Client hooks (copy on write; concurrent adds never lose a hook: A8).
    hooks: RwLock<Arc<Vec<Arc<dyn Hook>>>>,
    /// Client evaluation context (spec 3.2.1).
    context: RwLock<Arc<EvaluationContext>>,
}

/// A client: evaluates flags against the provider of its domain (spec 1.2). Cloning gives
/// another handle to the same client.
#[derive(Clone)]
pub struct Client {
    api: Arc<ApiShared>,
    state: Arc<ClientState>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("domain", &self.state.domain)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(api: Arc<ApiShared>, domain: Option<Arc<str>>) -> Self {
        Self {
            api,
            state: Arc::new(ClientState {
                domain,
                hooks: RwLock::new(
                    "client.hooks.read",
                    "client.hooks.write",
                    Arc::new(Vec::new()),
                ),
                context: RwLock::new(
                    "client.context.read",
                    "client.context.write",
                    Arc::new(EvaluationContext::default()),
                ),
            }),
        }
    }

    /// The client's domain (spec 1.2.2).
    pub fn domain(&self) -> Option<&str> {
        self.state.domain.as_deref()
    }

    /// Appends client hooks (spec 1.2.1); concurrent calls never lose a hook (A8).
    pub fn add_hooks(&self, hooks: impl IntoIterator<Item = Arc<dyn Hook>>) {
        let hooks: Vec<Arc<dyn Hook>> = hooks.into_iter().collect();
        let mut registry = self.api.registry_mut();
        let mut current = self.state.hooks.write();
        let mut list = Vec::with_capacity(current.len() + hooks.len());
        list.extend(current.iter().cloned());
        list.extend(hooks);
        let replaced = std::mem::replace(&mut *current, Arc::new(list));
        drop(current);
        registry.keep_until_unused(Replaced::Hooks(replaced));
    }

    /// Removes every client hook.
    pub fn clear_hooks(&self) {
        let mut registry = self.api.registry_mut();
        let mut current = self.state.hooks.write();
        let replaced = std::mem::replace(&mut *current, Arc::new(Vec::new()));
        drop(current);
        registry.keep_until_unused(Replaced::Hooks(replaced));
    }

    /// The client hooks, in the order they were added.
    pub fn hooks(&self) -> Vec<Arc<dyn Hook>> {
        self.state.hooks.read().as_ref().clone()
    }

    /// Replaces the client's evaluation context.
    pub fn set_context(&self, context: EvaluationContext) {
        let mut registry = self.api.registry_mut();
        let mut current = self.state.context.write();
        let replaced = std::mem::replace(&mut *current, Arc::new(context));
        drop(current);
        registry.keep_until_unused(Replaced::Context(replaced));
    }

    /// The client's evaluation context (spec 3.2.1).
    pub fn context(&self) -> Arc<EvaluationContext> {
        Arc::clone(&self.state.context.read())
    }

    /// The status of the provider this client uses now (spec 1.7.1).
    pub fn provider_status(&self) -> ProviderStatus {
        let registry = self.api.registry();
        registry.registration_for(self.domain()).status()
    }

    /// Adds a client handler (spec 5.2.1); it runs for events of the provider this client is
    /// bound to when the event is emitted (spec 5.1.2, 5.1.3), and at once if that provider is
    /// already in the matching state (spec 5.3.3).
    pub fn add_handler(
        &self,
        event: ProviderEvent,
        handler: impl Fn(&EventDetails) + Send + Sync + 'static,
    ) -> HandlerId {
        let handler: EventHandler = Arc::new(handler);
        self.api.add_handler(
            HandlerScope::Client(self.state.domain.clone()),
            event,
            handler,
        )
    }

    /// Removes a handler added through a client of this domain (spec 5.2.7).
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        self.api
            .remove_handler(&HandlerScope::Client(self.state.domain.clone()), id)
    }

    // ----- typed evaluation (spec 1.3, 1.4) ---------------------------------------------

    /// Evaluates `flag_key` as a boolean (spec 1.3.1.1). Returns `default_value` on any error
    /// (provider not ready or fatal, resolution or hook error, panic in user code); never panics.
    pub fn get_bool_value(
        &self,
        flag_key: &str,
        default_value: bool,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> bool {
        self.evaluate_value(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as an integer (spec 1.3.1.1). Returns `default_value` on any error
    /// (provider not ready or fatal, resolution or hook error, panic in user code); never panics.
    pub fn get_int_value(
        &self,
        flag_key: &str,
        default_value: i64,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> i64 {
        self.evaluate_value(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as a float (spec 1.3.1.1). Returns `default_value` on any error
    /// (provider not ready or fatal, resolution or hook error, panic in user code); never panics.
    pub fn get_float_value(
        &self,
        flag_key: &str,
        default_value: f64,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> f64 {
        self.evaluate_value(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as a string (spec 1.3.1.1). Returns `default_value` on any error
    /// (provider not ready or fatal, resolution or hook error, panic in user code); never panics.
    pub fn get_string_value(
        &self,
        flag_key: &str,
        default_value: &str,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> String {
        self.evaluate_value(flag_key, default_value.to_owned(), context, options)
    }

    /// Evaluates `flag_key` as a structure (spec 1.3.1.1). Returns `default_value` on any error
    /// (provider not ready or fatal, resolution or hook error, panic in user code); never panics.
    pub fn get_object_value(
        &self,
        flag_key: &str,
        default_value: Value,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> Value {
        self.evaluate_value(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as a boolean, with details (spec 1.4.1.1). On any error the details
    /// carry `default_value`, reason `ERROR`, and the error code and message; never panics.
    pub fn get_bool_details(
        &self,
        flag_key: &str,
        default_value: bool,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<bool> {
        self.evaluate(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as an integer, with details (spec 1.4.1.1). On any error the details
    /// carry `default_value`, reason `ERROR`, and the error code and message; never panics.
    pub fn get_int_details(
        &self,
        flag_key: &str,
        default_value: i64,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<i64> {
        self.evaluate(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as a float, with details (spec 1.4.1.1). On any error the details carry
    /// `default_value`, reason `ERROR`, and the error code and message; never panics.
    pub fn get_float_details(
        &self,
        flag_key: &str,
        default_value: f64,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<f64> {
        self.evaluate(flag_key, default_value, context, options)
    }

    /// Evaluates `flag_key` as a string, with details (spec 1.4.1.1). On any error the details
    /// carry `default_value`, reason `ERROR`, and the error code and message; never panics.
    pub fn get_string_details(
        &self,
        flag_key: &str,
        default_value: &str,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<String> {
        self.evaluate(flag_key, default_value.to_owned(), context, options)
    }

    /// Evaluates `flag_key` as a structure, with details (spec 1.4.1.1). On any error the details
    /// carry `default_value`, reason `ERROR`, and the error code and message; never panics.
    pub fn get_object_details(
        &self,
        flag_key: &str,
        default_value: Value,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<Value> {
        self.evaluate(flag_key, default_value, context, options)
    }

    /// Evaluates a flag of any [`FlagValue`] type with details. Never panics and never fails:
    /// on any abnormal execution the default value comes back with an error code (spec 1.4.10).
    pub fn evaluate<T: FlagValue>(
        &self,
        flag_key: &str,
        default_value: T,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<T> {
        self.run(
            flag_key,
            default_value,
            context,
            options,
            |published, resolved, default_value| match resolved {
                Ok(resolution) => resolved_details(flag_key, resolution, published.no_metadata()),
                Err(error) => error_details(flag_key, default_value, error),
            },
            |run, merged, default_value| run.evaluate_details(merged, default_value),
        )
    }

    /// Evaluates a flag of any [`FlagValue`] type to its value alone: like [`Client::evaluate`],
    /// without building details that nobody reads (no allocation for them).
    fn evaluate_value<T: FlagValue>(
        &self,
        flag_key: &str,
        default_value: T,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
    ) -> T {
        self.run(
            flag_key,
            default_value,
            context,
            options,
            |_, resolved, default_value| {
                resolved.map_or(default_value, |resolution| resolution.value)
            },
            |run, merged, default_value| run.evaluate_value(merged, default_value),
        )
    }

    /// The evaluation pipeline: takes the snapshot, merges the context, and either resolves
    /// directly (no hook at any level: the hot path, no hook machinery, no conversions to
    /// `Value`) and hands the resolution to `plain`, or runs the hook chain around the
    /// resolution (`hooked` runs it, building the details or reusing the snapshot's spares).
    fn run<T: FlagValue, R>(
        &self,
        flag_key: &str,
        default_value: T,
        context: Option<&EvaluationContext>,
        options: Option<&EvaluationOptions>,
        plain: impl FnOnce(&Published, ResolutionResult<T>, T) -> R,
        hooked: impl FnOnce(&HookRun<'_>, Cow<'_, EvaluationContext>, T) -> R,
    ) -> R {
        snapshot::with_snapshot(&self.api, &self.state, |snapshot| {
            let published = snapshot.published;
            let registration = snapshot.registration();
            // Before hooks add the highest level below.
            let merged = published.merged_context(context);

            // The provider's hooks are user code too: a panic there answers with the default
            // and a GENERAL error, as a panicking resolve does.
            let provider_hooks =
                match contain::call_unstepped("provider hooks", || registration.provider.hooks()) {
                    Ok(hooks) => hooks,
                    Err(error) => return plain(published, Err(error), default_value),
                };
            let invocation_hooks: &[Arc<dyn Hook>] = options.map_or(&[], |options| &options.hooks);
            let no_hooks = published.api_hooks.is_empty()
                && published.client_hooks.is_empty()
                && invocation_hooks.is_empty()
                && provider_hooks.is_empty();
            if no_hooks {
                let resolved = resolve(
                    registration,
                    snapshot.status,
                    flag_key,
                    &default_value,
                    &merged,
                );
                return plain(published, resolved, default_value);
            }

            // Spec 4.4.2: before runs API, client, invocation, provider; the others run reversed.
            static NO_HINTS: HookHints = HookHints::new();
            let default_as_value = default_value.to_value();
            let run = HookRun {
                flag_key,
                flag_type: T::FLAG_TYPE,
                default_value: &default_as_value,
                client_domain: self.domain(),
                registration,
                status: snapshot.status,
                hooks: [
                    &published.api_hooks,
                    &published.client_hooks,
                    invocation_hooks,
                    provider_hooks,
                ],
                hints: options.map_or(&NO_HINTS, |options| &options.hints),
                no_metadata: published.no_metadata(),
                spares: published.hook_spares(),
            };
            hooked(&run, merged, default_value)
        })
    }

    /// Sends a tracking event to the provider this client uses (spec 6.1), with the merged
    /// context. A provider that panics is contained. Like an evaluation, tracking does not call
    /// into a provider that is `NOT_READY` (its `initialize` has not finished) or `FATAL`.
    pub fn track(
        &self,
        event_name: &str,
        context: Option<&EvaluationContext>,
        details: Option<&TrackingEventDetails>,
    ) {
        snapshot::with_snapshot(&self.api, &self.state, |snapshot| {
            if matches!(
                snapshot.status,
                ProviderStatus::NotReady | ProviderStatus::Fatal
            ) {
                return;
            }
            let merged = snapshot.published.merged_context(context);
            let empty = TrackingEventDetails::default();
            let details = details.unwrap_or(&empty);
            let provider = &snapshot.registration().provider;
            let _contained = contain::call("provider track", || {
                provider.track(event_name, &merged, details)
            });
        });
    }
}

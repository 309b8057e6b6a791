//! Shared setup of the benchmarks that compare this workspace's SDK (`openfeature-sdk`) with the
//! `open-feature` crate (0.3), side by side in one binary, so that every figure is a ratio from
//! one run on one machine.
//!
//! Both sides get the same setup, built once outside the timed code:
//!
//! - a constant in-memory provider: `resolve_bool` answers `true` for any key, with no variant,
//!   no metadata and reason `STATIC`, and allocates nothing itself;
//! - a five-attribute invocation context ([`TARGETING_KEY`] plus two strings, two integers and
//!   a boolean), passed by reference;
//! - optionally two no-op hooks, one at the API level and one at the client level;
//! - an API instance of its own with the provider bound and `READY` before timing, and one client
//!   shared by every benchmarking thread.
//!
//! [`sdk`] holds this SDK's side, [`open_feature`] the `open-feature` crate's. The benchmarks are
//! `benches/evaluation.rs` (divan: time and allocations per evaluation, 1, 2 and 4 threads) and
//! `benches/latency.rs` (percentiles of one reader's evaluations while a writer thread rebinds
//! the provider and replaces the global context); `BENCHMARKS.md` at the workspace root says how
//! to run them and how to read them.

/// The flag every benchmark evaluates; the constant providers answer any key the same way.
pub const FLAG_KEY: &str = "bench-flag";

/// The targeting key of the five-attribute invocation context.
pub const TARGETING_KEY: &str = "user-4242";

/// Which hooks a benchmark setup registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hooks {
    /// No hooks at any level.
    None,
    /// One no-op hook at the API level and one at the client level.
    Two,
}

/// This SDK's side: its provider, hook, context and setup.
pub mod sdk {
    use super::{Hooks, FLAG_KEY, TARGETING_KEY};
    use openfeature_sdk::{
        Api, Client, EvaluationContext, FeatureProvider, Hook, ProviderMetadata, Reason,
        ResolutionDetails, ResolutionResult, Value,
    };
    use std::sync::Arc;

    /// A provider that resolves every boolean flag to `true` with reason `STATIC`, and allocates
    /// nothing while resolving. The other types resolve to the caller's default.
    #[derive(Debug)]
    pub struct ConstantProvider {
        name: &'static str,
        shutdown_work: std::time::Duration,
    }

    impl ConstantProvider {
        /// A provider whose metadata carries `name` (two instances with different names let the
        /// latency bench alternate between them).
        pub const fn new(name: &'static str) -> Self {
            Self {
                name,
                shutdown_work: std::time::Duration::ZERO,
            }
        }

        /// The same provider, whose `shutdown` works (spins) for `work`: a provider that
        /// flushes or closes something when it is replaced.
        pub const fn with_shutdown_work(mut self, work: std::time::Duration) -> Self {
            self.shutdown_work = work;
            self
        }
    }

    impl FeatureProvider for ConstantProvider {
        fn metadata(&self) -> ProviderMetadata {
            ProviderMetadata::new(self.name)
        }

        fn shutdown(&self) {
            let started = std::time::Instant::now();
            while started.elapsed() < self.shutdown_work {
                std::hint::spin_loop();
            }
        }

        #[inline]
        fn resolve_bool(
            &self,
            _flag_key: &str,
            _default_value: bool,
            _context: &EvaluationContext,
        ) -> ResolutionResult<bool> {
            Ok(ResolutionDetails::new(true).with_reason(Reason::Static))
        }

        fn resolve_int(
            &self,
            _flag_key: &str,
            default_value: i64,
            _context: &EvaluationContext,
        ) -> ResolutionResult<i64> {
            Ok(ResolutionDetails::new(default_value).with_reason(Reason::Static))
        }

        fn resolve_float(
            &self,
            _flag_key: &str,
            default_value: f64,
            _context: &EvaluationContext,
        ) -> ResolutionResult<f64> {
            Ok(ResolutionDetails::new(default_value).with_reason(Reason::Static))
        }

        fn resolve_string(
            &self,
            _flag_key: &str,
            default_value: &str,
            _context: &EvaluationContext,
        ) -> ResolutionResult<String> {
            Ok(ResolutionDetails::new(default_value.to_owned()).with_reason(Reason::Static))
        }

        fn resolve_object(
            &self,
            _flag_key: &str,
            default_value: &Value,
            _context: &EvaluationContext,
        ) -> ResolutionResult<Value> {
            Ok(ResolutionDetails::new(default_value.clone()).with_reason(Reason::Static))
        }
    }

    /// A hook that does nothing: every stage is the trait's default.
    #[derive(Debug)]
    pub struct NoopHook;

    impl Hook for NoopHook {}

    /// The five-attribute invocation context: a targeting key, two strings, two integers and a
    /// boolean.
    pub fn context5() -> EvaluationContext {
        EvaluationContext::new()
            .with_targeting_key(TARGETING_KEY)
            .with("email", "user-4242@example.com")
            .with("country", "NZ")
            .with("age", 42_i64)
            .with("account_id", 1_234_567_i64)
            .with("beta_tester", true)
    }

    /// An API instance of its own with a [`ConstantProvider`] bound and `READY`, and one client.
    #[derive(Debug)]
    pub struct Setup {
        /// The API instance.
        pub api: Api,
        /// The client every benchmarking thread evaluates through.
        pub client: Client,
    }

    impl Setup {
        /// Binds the provider with `set_provider_and_wait` (so it is `READY` on return), adds
        /// the requested hooks and creates the client; checks that an evaluation returns `true`.
        pub fn new(hooks: Hooks) -> Self {
            let api = Api::new();
            api.set_provider_and_wait(Arc::new(ConstantProvider::new("constant")))
                .expect("the constant provider initializes");
            let client = api.client();
            if hooks == Hooks::Two {
                api.add_hooks([Arc::new(NoopHook) as Arc<dyn Hook>]);
                client.add_hooks([Arc::new(NoopHook) as Arc<dyn Hook>]);
            }
            assert!(
                get_bool_value(&client, FLAG_KEY, Some(&context5())),
                "the SDK evaluates the constant provider's `true`"
            );
            Self { api, client }
        }
    }

    /// One evaluation, value only: `client.get_bool_value(flag_key, false, context, None)`.
    #[inline]
    pub fn get_bool_value(
        client: &Client,
        flag_key: &str,
        context: Option<&EvaluationContext>,
    ) -> bool {
        client.get_bool_value(flag_key, false, context, None)
    }
}

/// The `open-feature` crate's (0.3) side: its provider, hook, context and setup.
///
/// What its API imposes, read from its source:
///
/// - Everything is `async`; the evaluation path awaits only `tokio::sync::RwLock`s (the global
///   context, the provider map, the API hooks), which work under any executor, so
///   [`get_bool_value`](open_feature::get_bool_value) drives it with `pollster::block_on` and no
///   tokio runtime is needed.
/// - `OpenFeature::default()` is public, so each setup has an API instance of its own rather than
///   the process-wide singleton; its mutators take `&mut self` (the singleton puts them behind
///   one more `RwLock`).
/// - `Client::get_bool_value` takes the invocation context by reference but clones it on every
///   call (twice: once to merge with the client and global contexts, once more for the before
///   hooks, even when there are none); that is part of its measured cost.
/// - Its provider and hook traits are `#[async_trait]`: every provider resolution and every hook
///   stage returns a boxed future, an allocation the crate's API imposes on any provider.
/// - It has no provider events: the latency bench's writer cannot add an event handler there.
/// - `set_provider` holds the provider map's write lock while it awaits the new provider's
///   `initialize`, so evaluations wait for the whole rebind.
pub mod open_feature {
    use super::{Hooks, FLAG_KEY, TARGETING_KEY};
    use ::open_feature::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails};
    use ::open_feature::{
        async_trait, Client, EvaluationContext, EvaluationDetails, EvaluationError,
        EvaluationReason, EvaluationResult, Hook, HookContext, HookHints, OpenFeature, StructValue,
        Value,
    };

    /// A provider that resolves every boolean flag to `true` with reason `STATIC`. Its body
    /// allocates nothing; the crate's `#[async_trait]` boxes the future it returns. The other
    /// types resolve to their type's default.
    #[derive(Debug)]
    pub struct ConstantProvider {
        metadata: ProviderMetadata,
    }

    impl ConstantProvider {
        /// A provider whose metadata carries `name`.
        pub fn new(name: &'static str) -> Self {
            Self {
                metadata: ProviderMetadata::new(name),
            }
        }
    }

    #[async_trait]
    impl FeatureProvider for ConstantProvider {
        fn metadata(&self) -> &ProviderMetadata {
            &self.metadata
        }

        async fn resolve_bool_value(
            &self,
            _flag_key: &str,
            _evaluation_context: &EvaluationContext,
        ) -> EvaluationResult<ResolutionDetails<bool>> {
            Ok(ResolutionDetails {
                value: true,
                variant: None,
                reason: Some(EvaluationReason::Static),
                flag_metadata: None,
            })
        }

        async fn resolve_int_value(
            &self,
            _flag_key: &str,
            _evaluation_context: &EvaluationContext,
        ) -> EvaluationResult<ResolutionDetails<i64>> {
            Ok(ResolutionDetails::new(0))
        }

        async fn resolve_float_value(
            &self,
            _flag_key: &str,
            _evaluation_context: &EvaluationContext,
        ) -> EvaluationResult<ResolutionDetails<f64>> {
            Ok(ResolutionDetails::new(0.0))
        }

        async fn resolve_string_value(
            &self,
            _flag_key: &str,
            _evaluation_context: &EvaluationContext,
        ) -> EvaluationResult<ResolutionDetails<String>> {
            Ok(ResolutionDetails::new(String::new()))
        }

        async fn resolve_struct_value(
            &self,
            _flag_key: &str,
            _evaluation_context: &EvaluationContext,
        ) -> EvaluationResult<ResolutionDetails<StructValue>> {
            Ok(ResolutionDetails::new(StructValue::default()))
        }
    }

    /// A hook that does nothing at any stage (the crate's `Hook` has no defaults).
    #[derive(Debug)]
    pub struct NoopHook;

    #[async_trait]
    impl Hook for NoopHook {
        async fn before<'a>(
            &self,
            _context: &HookContext<'a>,
            _hints: Option<&'a HookHints>,
        ) -> Result<Option<EvaluationContext>, EvaluationError> {
            Ok(None)
        }

        async fn after<'a>(
            &self,
            _context: &HookContext<'a>,
            _details: &EvaluationDetails<Value>,
            _hints: Option<&'a HookHints>,
        ) -> Result<(), EvaluationError> {
            Ok(())
        }

        async fn error<'a>(
            &self,
            _context: &HookContext<'a>,
            _error: &EvaluationError,
            _hints: Option<&'a HookHints>,
        ) {
        }

        async fn finally<'a>(
            &self,
            _context: &HookContext<'a>,
            _evaluation_details: &EvaluationDetails<Value>,
            _hints: Option<&'a HookHints>,
        ) {
        }
    }

    /// The same five-attribute invocation context as [`super::sdk::context5`].
    pub fn context5() -> EvaluationContext {
        EvaluationContext::default()
            .with_targeting_key(TARGETING_KEY)
            .with_custom_field("email", "user-4242@example.com")
            .with_custom_field("country", "NZ")
            .with_custom_field("age", 42_i64)
            .with_custom_field("account_id", 1_234_567_i64)
            .with_custom_field("beta_tester", true)
    }

    /// An API instance of its own with a [`ConstantProvider`] bound, and one client.
    pub struct Setup {
        /// The API instance; its mutators take `&mut self`. The client shares its state (the
        /// provider map, global context and API hooks are `Arc`s inside).
        pub api: OpenFeature,
        /// The client every benchmarking thread evaluates through.
        pub client: Client,
    }

    impl std::fmt::Debug for Setup {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Setup")
                .field("client", self.client.metadata())
                .finish_non_exhaustive()
        }
    }

    impl Setup {
        /// Binds the provider with `set_provider(..).await` (which returns once the provider's
        /// `initialize` has), adds the requested hooks and creates the client; checks that an
        /// evaluation returns `true`.
        pub fn new(hooks: Hooks) -> Self {
            let mut api = OpenFeature::default();
            pollster::block_on(async {
                api.set_provider(ConstantProvider::new("constant")).await;
                if hooks == Hooks::Two {
                    api.add_hook(NoopHook).await;
                }
            });
            let mut client = api.create_client();
            if hooks == Hooks::Two {
                client = client.with_hook(NoopHook);
            }
            assert_eq!(
                pollster::block_on(client.get_bool_value(FLAG_KEY, Some(&context5()), None)),
                Ok(true),
                "open-feature evaluates the constant provider's `true`"
            );
            Self { api, client }
        }
    }

    /// One evaluation, value only: `client.get_bool_value(flag_key, context, None)` driven by
    /// `pollster::block_on`. The crate returns a `Result` and takes no default value; an error
    /// maps to `false`, the default the SDK side passes.
    #[inline]
    pub fn get_bool_value(
        client: &Client,
        flag_key: &str,
        context: Option<&EvaluationContext>,
    ) -> bool {
        pollster::block_on(client.get_bool_value(flag_key, context, None)).unwrap_or(false)
    }
}

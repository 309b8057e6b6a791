//! Test providers for the suites' provider steps. Each serves the `test-flags.json` flags through
//! the SDK's in-memory provider and differs from it only where a step needs it: a lifecycle that
//! never becomes ready or fails to initialize, or a record of the context it resolved with.

use openfeature_sdk::{
    ErrorCode, EvaluationContext, EvaluationError, FeatureProvider, InMemoryProvider,
    ProviderMetadata, ResolutionResult, Value,
};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// Delegates the five resolution methods to `self.inner`, after calling `self.observe(context)`.
macro_rules! delegate_resolution {
    () => {
        fn resolve_bool(
            &self,
            flag_key: &str,
            default_value: bool,
            context: &EvaluationContext,
        ) -> ResolutionResult<bool> {
            self.observe(context);
            self.inner.resolve_bool(flag_key, default_value, context)
        }

        fn resolve_int(
            &self,
            flag_key: &str,
            default_value: i64,
            context: &EvaluationContext,
        ) -> ResolutionResult<i64> {
            self.observe(context);
            self.inner.resolve_int(flag_key, default_value, context)
        }

        fn resolve_float(
            &self,
            flag_key: &str,
            default_value: f64,
            context: &EvaluationContext,
        ) -> ResolutionResult<f64> {
            self.observe(context);
            self.inner.resolve_float(flag_key, default_value, context)
        }

        fn resolve_string(
            &self,
            flag_key: &str,
            default_value: &str,
            context: &EvaluationContext,
        ) -> ResolutionResult<String> {
            self.observe(context);
            self.inner.resolve_string(flag_key, default_value, context)
        }

        fn resolve_object(
            &self,
            flag_key: &str,
            default_value: &Value,
            context: &EvaluationContext,
        ) -> ResolutionResult<Value> {
            self.observe(context);
            self.inner.resolve_object(flag_key, default_value, context)
        }
    };
}

/// How a [`LifecycleProvider`]'s `initialize` ends.
enum Init {
    /// Fails with this error code: `GENERAL` gives status ERROR, `PROVIDER_FATAL` gives FATAL.
    Fails(ErrorCode),
    /// Blocks until the paired [`Gate`] is dropped, so the provider stays NOT_READY until then.
    WaitsFor(Mutex<Receiver<()>>),
}

/// The in-memory provider with a scripted `initialize`.
pub struct LifecycleProvider {
    inner: InMemoryProvider,
    init: Init,
}

/// Keeps a [`LifecycleProvider::not_ready`] provider's `initialize` blocked while it lives.
#[derive(Debug)]
pub struct Gate {
    _open_while_alive: Sender<()>,
}

impl LifecycleProvider {
    /// A provider whose `initialize` fails with `code`.
    pub fn failing(code: ErrorCode) -> Self {
        Self {
            inner: crate::flags::provider(),
            init: Init::Fails(code),
        }
    }

    /// A provider whose `initialize` returns only once the returned gate is dropped.
    pub fn not_ready() -> (Self, Gate) {
        let (sender, receiver) = mpsc::channel();
        let provider = Self {
            inner: crate::flags::provider(),
            init: Init::WaitsFor(Mutex::new(receiver)),
        };
        (
            provider,
            Gate {
                _open_while_alive: sender,
            },
        )
    }

    fn observe(&self, _context: &EvaluationContext) {}
}

impl FeatureProvider for LifecycleProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("conformance lifecycle provider")
    }

    fn initialize(&self, _context: &EvaluationContext) -> Result<(), EvaluationError> {
        match &self.init {
            Init::Fails(code) => Err(EvaluationError::new(
                *code,
                "initialize fails on purpose (conformance test)",
            )),
            Init::WaitsFor(receiver) => {
                // Nothing is ever sent: `recv` returns when the gate's sender is dropped.
                let _released = receiver
                    .lock()
                    .expect("only initialize locks the gate receiver")
                    .recv();
                Ok(())
            }
        }
    }

    delegate_resolution!();
}

/// The in-memory provider, recording the context of its latest resolution.
pub struct CapturingProvider {
    inner: InMemoryProvider,
    seen: Arc<Mutex<Option<EvaluationContext>>>,
}

impl CapturingProvider {
    /// A provider and the slot it records each resolution's context in.
    pub fn new() -> (Self, Arc<Mutex<Option<EvaluationContext>>>) {
        let seen = Arc::new(Mutex::new(None));
        let provider = Self {
            inner: crate::flags::provider(),
            seen: Arc::clone(&seen),
        };
        (provider, seen)
    }

    fn observe(&self, context: &EvaluationContext) {
        *self
            .seen
            .lock()
            .expect("the captured-context lock is never poisoned") = Some(context.clone());
    }
}

impl FeatureProvider for CapturingProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new("conformance capturing provider")
    }

    delegate_resolution!();
}

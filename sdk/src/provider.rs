//! The provider interface (spec 2): metadata, lifecycle, typed resolution, hooks and tracking.
//!
//! Providers are user code. The SDK guarantees, by the state machine in `registry`, that for one
//! registration `attach` and `initialize` each run once, `shutdown` runs once and only after
//! `initialize` has returned and no evaluation is still using the provider, and that no SDK
//! lock is held while any of these methods runs.

use crate::context::EvaluationContext;
use crate::evaluation::{EvaluationError, FlagMetadata, Reason};
use crate::events::EventEmitter;
use crate::hooks::Hook;
use crate::sync::Arc;
use crate::tracking::TrackingEventDetails;
use crate::value::Value;

/// A provider's identifying metadata (spec 2.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub name: String,
}

impl ProviderMetadata {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// The readiness of a provider, derived from its events (spec 1.7, 5.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ProviderStatus {
    NotReady = 0,
    Ready = 1,
    Error = 2,
    Stale = 3,
    Fatal = 4,
}

impl ProviderStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderStatus::NotReady => "NOT_READY",
            ProviderStatus::Ready => "READY",
            ProviderStatus::Error => "ERROR",
            ProviderStatus::Stale => "STALE",
            ProviderStatus::Fatal => "FATAL",
        }
    }

    pub(crate) fn from_u8(raw: u8) -> Self {
        match raw {
            1 => ProviderStatus::Ready,
            2 => ProviderStatus::Error,
            3 => ProviderStatus::Stale,
            4 => ProviderStatus::Fatal,
            _ => ProviderStatus::NotReady,
        }
    }
}

/// What a provider returns for one successful resolution (spec 2.2.3-2.2.10).
#[derive(Clone, Debug, PartialEq)]
pub struct ResolutionDetails<T> {
    pub value: T,
    pub variant: Option<String>,
    pub reason: Option<Reason>,
    pub flag_metadata: Option<FlagMetadata>,
}

impl<T> ResolutionDetails<T> {
    /// A resolution with only a value.
    pub fn new(value: T) -> Self {
        Self {
            value,
            variant: None,
            reason: None,
            flag_metadata: None,
        }
    }

    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// The result type of every resolution method.
pub type ResolutionResult<T> = Result<ResolutionDetails<T>, EvaluationError>;

/// A feature provider (spec 2). Only `metadata` and the resolution methods are required.
///
/// Every method may be called from any thread; resolution methods may be called concurrently
/// with each other, but never concurrently with or after `shutdown`.
pub trait FeatureProvider: Send + Sync + 'static {
    fn metadata(&self) -> ProviderMetadata;

    /// Receives the handle through which the provider emits events (spec 5.1.1). Called once per
    /// registration, before `initialize`. Emitting after the SDK has detached the provider is a
    /// silent no-op.
    fn attach(&self, emitter: EventEmitter) {
        let _ = emitter;
    }

    /// Prepares the provider (spec 2.4). An `Err` makes the SDK emit `PROVIDER_ERROR` (status
    /// `FATAL` when its code is `PROVIDER_FATAL`); `Ok` makes it emit `PROVIDER_READY`.
    fn initialize(&self, context: &EvaluationContext) -> Result<(), EvaluationError> {
        let _ = context;
        Ok(())
    }

    /// Releases the provider's resources (spec 2.5). Runs once per registration.
    fn shutdown(&self) {}

    fn resolve_bool(
        &self,
        flag_key: &str,
        default_value: bool,
        context: &EvaluationContext,
    ) -> ResolutionResult<bool>;

    fn resolve_int(
        &self,
        flag_key: &str,
        default_value: i64,
        context: &EvaluationContext,
    ) -> ResolutionResult<i64>;

    fn resolve_float(
        &self,
        flag_key: &str,
        default_value: f64,
        context: &EvaluationContext,
    ) -> ResolutionResult<f64>;

    fn resolve_string(
        &self,
        flag_key: &str,
        default_value: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String>;

    fn resolve_object(
        &self,
        flag_key: &str,
        default_value: &Value,
        context: &EvaluationContext,
    ) -> ResolutionResult<Value>;

    /// Hooks the provider contributes to each of its evaluations (spec 4.4.1).
    fn hooks(&self) -> &[Arc<dyn Hook>] {
        &[]
    }

    /// Records a tracking event (spec 6.1).
    fn track(&self, event_name: &str, context: &EvaluationContext, details: &TrackingEventDetails) {
        let _ = (event_name, context, details);
    }
}

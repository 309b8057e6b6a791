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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProviderMetadata {
    /// The name identifying the provider implementation (spec 2.1.1).
    pub name: String,
}

impl ProviderMetadata {
    /// Metadata with the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

/// The readiness of a provider, derived from its events (spec 1.7, 5.3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
#[repr(u8)]
pub enum ProviderStatus {
    /// The provider has not been initialized, or has been shut down.
    NotReady = 0,
    /// The provider is initialized and can reliably resolve flag values.
    Ready = 1,
    /// The provider is initialized but cannot reliably resolve flag values.
    Error = 2,
    /// The provider's cached state may be out of date.
    Stale = 3,
    /// The provider has entered an irrecoverable error state.
    Fatal = 4,
}

impl ProviderStatus {
    /// The status's spec name, e.g. `"NOT_READY"`.
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
    /// The resolved value (spec 2.2.3).
    pub value: T,
    /// The identifier of the variant the value comes from, if any (spec 2.2.4).
    pub variant: Option<String>,
    /// Why the flag resolved to this value, if known (spec 2.2.5).
    pub reason: Option<Reason>,
    /// The flag's metadata, if any (spec 2.2.9).
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

    /// Sets the variant, builder style.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// Sets the reason, builder style.
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
    /// The provider's metadata (spec 2.1.1).
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

    /// Resolves a boolean flag (spec 2.2.1).
    fn resolve_bool(
        &self,
        flag_key: &str,
        default_value: bool,
        context: &EvaluationContext,
    ) -> ResolutionResult<bool>;

    /// Resolves an integer flag (spec 2.2.1).
    fn resolve_int(
        &self,
        flag_key: &str,
        default_value: i64,
        context: &EvaluationContext,
    ) -> ResolutionResult<i64>;

    /// Resolves a float flag (spec 2.2.1).
    fn resolve_float(
        &self,
        flag_key: &str,
        default_value: f64,
        context: &EvaluationContext,
    ) -> ResolutionResult<f64>;

    /// Resolves a string flag (spec 2.2.1).
    fn resolve_string(
        &self,
        flag_key: &str,
        default_value: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String>;

    /// Resolves a structure (object) flag (spec 2.2.1).
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

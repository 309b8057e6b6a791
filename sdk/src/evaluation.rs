//! What an evaluation returns: details, reasons, error codes, flag metadata, and the options an
//! invocation may pass. Plain data; nothing here touches shared state.

use crate::hooks::{Hook, HookHints};
use crate::sync::Arc;
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Why a flag resolved to its value (spec 1.4.7, types "Resolution Reason").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The resolved value is static (no dynamic evaluation).
    Static,
    /// The resolved value fell back to a pre-configured value.
    Default,
    /// The value was resolved by a targeting rule.
    TargetingMatch,
    /// The value was resolved by pseudorandom assignment.
    Split,
    /// The value was retrieved from a cache.
    Cached,
    /// The flag is disabled in the management system.
    Disabled,
    /// The reason could not be determined.
    Unknown,
    /// The resolved value is non-authoritative or possibly out of date.
    Stale,
    /// The resolved value was the result of an error.
    Error,
    /// A provider-specific reason.
    Other(String),
}

impl Reason {
    /// The reason's spec name (`"TARGETING_MATCH"`), or the provider's own string for
    /// [`Reason::Other`].
    pub fn as_str(&self) -> &str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Cached => "CACHED",
            Reason::Disabled => "DISABLED",
            Reason::Unknown => "UNKNOWN",
            Reason::Stale => "STALE",
            Reason::Error => "ERROR",
            Reason::Other(other) => other,
        }
    }

    /// The reason a string names: one of the spec's reasons (as [`Reason::as_str`] spells
    /// them), or [`Reason::Other`].
    pub fn parse(name: &str) -> Self {
        [
            Reason::Static,
            Reason::Default,
            Reason::TargetingMatch,
            Reason::Split,
            Reason::Cached,
            Reason::Disabled,
            Reason::Unknown,
            Reason::Stale,
            Reason::Error,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == name)
        .unwrap_or_else(|| Reason::Other(name.to_owned()))
    }
}

/// A reason is serialized as its string (`"TARGETING_MATCH"`, or a provider's own).
#[cfg(feature = "serde")]
impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Reason::parse(&name))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error codes of spec types "Error Code".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum ErrorCode {
    /// The value was resolved before the provider was initialized.
    ProviderNotReady,
    /// The flag could not be found.
    FlagNotFound,
    /// An error was encountered parsing data, such as a flag configuration.
    ParseError,
    /// The type of the flag value does not match the requested type.
    TypeMismatch,
    /// The provider requires a targeting key and the context has none.
    TargetingKeyMissing,
    /// The evaluation context does not meet the provider's requirements.
    InvalidContext,
    /// The provider has entered an irrecoverable error state.
    ProviderFatal,
    /// Any error not enumerated above.
    General,
}

impl ErrorCode {
    /// The code's spec name, e.g. `"FLAG_NOT_FOUND"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderFatal => "PROVIDER_FATAL",
            ErrorCode::General => "GENERAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its code and an optional message: what providers, hooks and lifecycle steps
/// report, and what an evaluation carries in its details.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EvaluationError {
    /// The error code.
    pub code: ErrorCode,
    /// A human-readable description of the error, if any.
    pub message: Option<String>,
}

impl EvaluationError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: Some(message.into()),
        }
    }

    /// An error with a code and no message.
    pub fn code(code: ErrorCode) -> Self {
        Self {
            code,
            message: None,
        }
    }
}

impl fmt::Display for EvaluationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "{}: {}", self.code, message),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for EvaluationError {}

/// Flag metadata: an immutable record of primitive values (spec 1.4.14, 1.4.15).
pub type FlagMetadata = Arc<BTreeMap<String, Value>>;

/// The result of a detailed evaluation (spec 1.4).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EvaluationDetails<T> {
    /// The flag key passed to the evaluation (spec 1.4.5).
    pub flag_key: String,
    /// The evaluated value; the default value on error (spec 1.4.3).
    pub value: T,
    /// The variant the provider returned, if any (spec 1.4.6).
    pub variant: Option<String>,
    /// Why the flag resolved to its value (spec 1.4.7); `ERROR` on error.
    pub reason: Option<Reason>,
    /// The error code, set only on error (spec 1.4.8).
    pub error_code: Option<ErrorCode>,
    /// The error message, if the error carried one (spec 1.4.13).
    pub error_message: Option<String>,
    /// The provider's flag metadata (spec 1.4.14); empty if it returned none, or on error.
    pub flag_metadata: FlagMetadata,
}

impl<T> EvaluationDetails<T> {
    /// Maps the value, keeping every other field.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> EvaluationDetails<U> {
        EvaluationDetails {
            flag_key: self.flag_key,
            value: f(self.value),
            variant: self.variant,
            reason: self.reason,
            error_code: self.error_code,
            error_message: self.error_message,
            flag_metadata: self.flag_metadata,
        }
    }
}

/// Options for one evaluation (spec 1.5): invocation hooks and their hints.
#[derive(Clone, Default)]
pub struct EvaluationOptions {
    /// Invocation hooks, run in addition to the API, client and provider hooks (spec 1.5.1).
    pub hooks: Vec<Arc<dyn Hook>>,
    /// Hints passed to every hook of the evaluation (spec 4.5).
    pub hints: HookHints,
}

impl EvaluationOptions {
    /// Options with no hooks and no hints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an invocation hook, builder style.
    pub fn with_hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Adds one hook hint, builder style.
    pub fn with_hint(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.hints.insert(key.into(), value.into());
        self
    }
}

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
    Static,
    Default,
    TargetingMatch,
    Split,
    Cached,
    Disabled,
    Unknown,
    Stale,
    Error,
    /// A provider-specific reason.
    Other(String),
}

impl Reason {
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
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error codes of spec types "Error Code".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    ProviderNotReady,
    FlagNotFound,
    ParseError,
    TypeMismatch,
    TargetingKeyMissing,
    InvalidContext,
    ProviderFatal,
    General,
}

impl ErrorCode {
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
pub struct EvaluationError {
    pub code: ErrorCode,
    pub message: Option<String>,
}

impl EvaluationError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: Some(message.into()),
        }
    }

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
pub struct EvaluationDetails<T> {
    pub flag_key: String,
    pub value: T,
    pub variant: Option<String>,
    pub reason: Option<Reason>,
    pub error_code: Option<ErrorCode>,
    pub error_message: Option<String>,
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
    pub hooks: Vec<Arc<dyn Hook>>,
    pub hints: HookHints,
}

impl EvaluationOptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.hooks.push(hook);
        self
    }

    pub fn with_hint(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.hints.insert(key.into(), value.into());
        self
    }
}

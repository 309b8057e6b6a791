//! Hooks (spec 4): the trait, the context each stage sees, hints and per-hook data.
//!
//! Hooks are user code. The SDK calls them only outside its locks, from the evaluating thread,
//! and contains a hook that panics (the evaluation then returns the default with `GENERAL`).

use crate::context::EvaluationContext;
use crate::evaluation::{EvaluationDetails, EvaluationError};
use crate::value::Value;
use std::collections::BTreeMap;

/// Read-only hints passed to every stage of every hook of one evaluation (spec 4.5).
pub type HookHints = BTreeMap<String, Value>;

/// Mutable data private to one hook for one evaluation, kept from `before` to `finally`
/// (spec 4.6.1).
pub type HookData = BTreeMap<String, Value>;

/// The type of the flag being evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagType {
    /// A boolean flag.
    Boolean,
    /// An integer flag.
    Integer,
    /// A float flag.
    Float,
    /// A string flag.
    String,
    /// A structure (object) flag.
    Object,
}

impl FlagType {
    /// The type's name: `"boolean"`, `"integer"`, `"float"`, `"string"` or `"object"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::Integer => "integer",
            FlagType::Float => "float",
            FlagType::String => "string",
            FlagType::Object => "object",
        }
    }
}

/// What every hook stage knows about the evaluation (spec 4.1).
#[derive(Clone, Debug)]
pub struct HookContext<'a> {
    /// The key of the flag being evaluated (spec 4.1.1).
    pub flag_key: &'a str,
    /// The type the flag is evaluated as (spec 4.1.1).
    pub flag_type: FlagType,
    /// The caller's default value, as a [`Value`] (spec 4.1.1).
    pub default_value: &'a Value,
    /// The merged context so far: before hooks see the result of the hooks before them
    /// (spec 4.3.4); later stages see the context the provider resolved with.
    pub evaluation_context: &'a EvaluationContext,
    /// The client's domain, if it has one.
    pub client_domain: Option<&'a str>,
    /// The name of the provider resolving the flag (spec 4.1.2).
    pub provider_name: &'a str,
}

/// A hook: code that runs around flag evaluation (spec 4.3). Every stage has a default that
/// does nothing, so a hook implements only what it needs.
pub trait Hook: Send + Sync + 'static {
    /// Runs before resolution. A returned context is merged over the evaluation context with the
    /// highest precedence and passed on to the next before hook (spec 4.3.4, 3.2.3). An error
    /// skips the remaining before hooks and the resolution (spec 4.4.5).
    fn before(
        &self,
        context: &HookContext<'_>,
        hints: &HookHints,
        data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        let _ = (context, hints, data);
        Ok(None)
    }

    /// Runs after a successful resolution; an error turns the evaluation into an error.
    fn after(
        &self,
        context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        hints: &HookHints,
        data: &mut HookData,
    ) -> Result<(), EvaluationError> {
        let _ = (context, details, hints, data);
        Ok(())
    }

    /// Runs when a before hook, the resolution or an after hook failed.
    fn error(
        &self,
        context: &HookContext<'_>,
        error: &EvaluationError,
        hints: &HookHints,
        data: &mut HookData,
    ) {
        let _ = (context, error, hints, data);
    }

    /// Runs last, always, with the details the caller receives (spec 4.3.8).
    fn finally(
        &self,
        context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        hints: &HookHints,
        data: &mut HookData,
    ) {
        let _ = (context, details, hints, data);
    }
}

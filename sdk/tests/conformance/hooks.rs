//! Test hooks for the suites' hook and context steps: one that records every stage it runs in,
//! and one whose `before` stage adds a context.

use openfeature_sdk::{
    EvaluationContext, EvaluationDetails, EvaluationError, Hook, HookContext, HookData, HookHints,
    Value,
};
use std::sync::{Arc, Mutex};

/// One stage of one hook that ran.
#[derive(Clone, Debug, PartialEq)]
pub struct HookCall {
    pub hook: String,
    pub stage: &'static str,
    /// The details `after` and `finally` received; `None` for `before` and `error`.
    pub details: Option<EvaluationDetails<Value>>,
}

/// The calls of every recording hook of one scenario, in the order they happened.
pub type HookLog = Arc<Mutex<Vec<HookCall>>>;

/// A hook that appends each stage it runs in to a shared log.
pub struct RecordingHook {
    name: String,
    log: HookLog,
}

impl RecordingHook {
    pub fn new(name: &str, log: &HookLog) -> Self {
        Self {
            name: name.to_owned(),
            log: Arc::clone(log),
        }
    }

    fn record(&self, stage: &'static str, details: Option<&EvaluationDetails<Value>>) {
        self.log
            .lock()
            .expect("the hook log lock is never poisoned")
            .push(HookCall {
                hook: self.name.clone(),
                stage,
                details: details.cloned(),
            });
    }
}

impl Hook for RecordingHook {
    fn before(
        &self,
        _context: &HookContext<'_>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.record("before", None);
        Ok(None)
    }

    fn after(
        &self,
        _context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<(), EvaluationError> {
        self.record("after", Some(details));
        Ok(())
    }

    fn error(
        &self,
        _context: &HookContext<'_>,
        _error: &EvaluationError,
        _hints: &HookHints,
        _data: &mut HookData,
    ) {
        self.record("error", None);
    }

    fn finally(
        &self,
        _context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) {
        self.record("finally", Some(details));
    }
}

/// A hook whose `before` stage returns a fixed context (the "Before Hooks" context level).
pub struct ContextHook {
    context: EvaluationContext,
}

impl ContextHook {
    pub fn new(context: EvaluationContext) -> Self {
        Self { context }
    }
}

impl Hook for ContextHook {
    fn before(
        &self,
        _context: &HookContext<'_>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        Ok(Some(self.context.clone()))
    }
}

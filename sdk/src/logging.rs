//! The specification's logging hook (appendix A, "Logging Hook"), on the `log` facade
//! (feature `log`).

use crate::context::EvaluationContext;
use crate::evaluation::{EvaluationDetails, EvaluationError};
use crate::hooks::{Hook, HookContext, HookData, HookHints};
use crate::value::Value;
use std::fmt;

/// A hook that logs each stage of an evaluation: `before` and `after` at `debug`, `error` at
/// `error`, under the target `openfeature_sdk::logging`. Each record names the stage, the
/// client's domain, the provider, the flag key and the default value; `after` adds the reason,
/// variant and value; `error` adds the error code and message. The evaluation context is
/// logged only when asked for with [`LoggingHook::with_evaluation_context`], as a readable
/// `{targeting_key, attributes}` rendering.
///
/// ```
/// use openfeature_sdk::{Api, LoggingHook};
/// use std::sync::Arc;
///
/// let api = Api::new();
/// api.add_hooks([Arc::new(LoggingHook::new()) as _]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LoggingHook {
    include_evaluation_context: bool,
}

impl LoggingHook {
    /// A logging hook that leaves the evaluation context out of its records.
    pub fn new() -> Self {
        Self::default()
    }

    /// Includes the evaluation context in every record (off by default: contexts often hold
    /// personal data).
    pub fn with_evaluation_context(mut self, include: bool) -> Self {
        self.include_evaluation_context = include;
        self
    }

    fn log(
        &self,
        level: log::Level,
        stage: &str,
        context: &HookContext<'_>,
        extra: fmt::Arguments,
    ) {
        log::log!(
            target: "openfeature_sdk::logging",
            level,
            "{stage} stage: domain={}, provider_name={}, flag_key={}, default_value={}{extra}{}",
            context.client_domain.unwrap_or(""),
            context.provider_name,
            context.flag_key,
            context.default_value,
            ShownContext(self.include_evaluation_context.then_some(context.evaluation_context)),
        );
    }
}

/// Renders `, evaluation_context={...}` when the context is to be logged, nothing otherwise.
struct ShownContext<'a>(Option<&'a EvaluationContext>);

impl fmt::Display for ShownContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(context) = self.0 else {
            return Ok(());
        };
        write!(f, ", evaluation_context={{targeting_key: ")?;
        match context.targeting_key() {
            Some(key) => write!(f, "{key:?}")?,
            None => f.write_str("none")?,
        }
        f.write_str(", attributes: {")?;
        for (index, (key, value)) in context.attributes().iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key:?}: {value}")?;
        }
        f.write_str("}}")
    }
}

/// The optional parts of a record, rendered only as `Some(..)` or `none`.
struct Shown<'a, T: fmt::Display>(Option<&'a T>);

impl<T: fmt::Display> fmt::Display for Shown<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => write!(f, "{value}"),
            None => f.write_str("none"),
        }
    }
}

impl Hook for LoggingHook {
    fn before(
        &self,
        context: &HookContext<'_>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.log(log::Level::Debug, "before", context, format_args!(""));
        Ok(None)
    }

    fn after(
        &self,
        context: &HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
        _data: &mut HookData,
    ) -> Result<(), EvaluationError> {
        self.log(
            log::Level::Debug,
            "after",
            context,
            format_args!(
                ", reason={}, variant={}, value={}",
                Shown(details.reason.as_ref()),
                Shown(details.variant.as_ref()),
                details.value
            ),
        );
        Ok(())
    }

    fn error(
        &self,
        context: &HookContext<'_>,
        error: &EvaluationError,
        _hints: &HookHints,
        _data: &mut HookData,
    ) {
        self.log(
            log::Level::Error,
            "error",
            context,
            format_args!(
                ", error_code={}, error_message={}",
                error.code,
                Shown(error.message.as_ref())
            ),
        );
    }
}

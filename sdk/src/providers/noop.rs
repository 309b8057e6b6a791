//! The no-op provider: the default before any provider is set. It returns every default value
//! with reason `DEFAULT` and holds no state.

use crate::context::EvaluationContext;
use crate::evaluation::Reason;
use crate::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails, ResolutionResult};
use crate::value::Value;

/// Resolves every flag to the caller's default value.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOpProvider;

pub(crate) const NOOP_NAME: &str = "No-op Provider";

fn default_of<T>(value: T) -> ResolutionResult<T> {
    Ok(ResolutionDetails::new(value).with_reason(Reason::Default))
}

impl FeatureProvider for NoOpProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new(NOOP_NAME)
    }

    fn resolve_bool(
        &self,
        _: &str,
        default_value: bool,
        _: &EvaluationContext,
    ) -> ResolutionResult<bool> {
        default_of(default_value)
    }

    fn resolve_int(
        &self,
        _: &str,
        default_value: i64,
        _: &EvaluationContext,
    ) -> ResolutionResult<i64> {
        default_of(default_value)
    }

    fn resolve_float(
        &self,
        _: &str,
        default_value: f64,
        _: &EvaluationContext,
    ) -> ResolutionResult<f64> {
        default_of(default_value)
    }

    fn resolve_string(
        &self,
        _: &str,
        default_value: &str,
        _: &EvaluationContext,
    ) -> ResolutionResult<String> {
        default_of(default_value.to_owned())
    }

    fn resolve_object(
        &self,
        _: &str,
        default_value: &Value,
        _: &EvaluationContext,
    ) -> ResolutionResult<Value> {
        default_of(default_value.clone())
    }
}

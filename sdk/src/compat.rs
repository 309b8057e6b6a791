//! Providers written for the `open-feature` crate (0.3), plugged into this SDK
//! (feature `open-feature-compat`).
//!
//! [`OpenFeatureProvider`] wraps any [`open_feature::provider::FeatureProvider`] as this SDK's
//! [`FeatureProvider`]. The wrapped provider's methods are async; this SDK's are not, because an
//! evaluation never waits on the SDK. The adapter drives each call on the calling thread: it
//! polls the provider's future at once, which is all an in-memory provider needs (it is ready
//! on its first poll, so no thread, runtime or allocation beyond the provider's own is
//! involved), and otherwise parks the thread until the future's waker fires. A provider whose
//! futures need a tokio runtime (for sockets or timers) is given one with
//! [`OpenFeatureProvider::with_runtime`]: every call then runs inside that runtime's context.
//!
//! # What does not map one-to-one
//!
//! | `open-feature` 0.3 | here |
//! |---|---|
//! | `initialize(&mut self, ctx)` returns nothing; failure is `status() == Error` | `initialize` reads `status()` once after it: `Error` fails the initialization (event `PROVIDER_ERROR`, status `ERROR`); anything else is success (`PROVIDER_READY`) |
//! | `status()` may change later | not observed: the crate has no provider events, so a change is seen by nobody until the provider is bound again |
//! | no `shutdown` | `shutdown` drops nothing and does nothing; the wrapped provider is dropped with the adapter |
//! | no `track` | tracking events are dropped |
//! | provider `hooks()` (async hooks of that crate) | not run: the hook traits differ; add this SDK's hooks at the API, client or invocation level instead |
//! | `resolve_struct_value` returns a `StructValue` | `resolve_object` returns `Value::Struct`; the default value is not passed (the crate's resolve methods take none) |
//! | `EvaluationErrorCode::General(String)` | [`ErrorCode::General`], the string kept as the message when the error has none |
//! | context fields `DateTime` and `Struct(Arc<dyn Any>)` | this SDK's contexts hold [`Value`]s: arrays and structures reach the provider as `EvaluationContextFieldValue::Struct` holding an `open_feature::Value` |
//! | `HashMap`-backed structures and flag metadata | sorted maps ([`StructValue`], [`FlagMetadata`]) |
//!
//! Reasons, error codes, variants and flag metadata otherwise map field by field.
//!
//! # Blocking
//!
//! A resolution whose future is pending parks the evaluating thread until it completes, as any
//! synchronous call of an async API does. Evaluate such providers from a multi-thread runtime's
//! worker, a `spawn_blocking` task or a thread of your own, never from a current-thread
//! runtime's only thread when the provider needs that runtime's I/O driver.

use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationError, FlagMetadata, Reason};
use crate::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails, ResolutionResult};
use crate::sync::Arc;
use crate::value::{StructValue, Value};
use open_feature::provider::FeatureProvider as OfProvider;
use open_feature::provider::ProviderStatus as OfStatus;
use std::future::Future;
use tokio::runtime::Handle;

/// A provider written for the `open-feature` crate, as a provider of this SDK.
///
/// ```
/// use openfeature_sdk::{Api, OpenFeatureProvider};
/// use std::sync::Arc;
///
/// let api = Api::new();
/// let provider = OpenFeatureProvider::new(open_feature::provider::NoOpProvider::default());
/// api.set_provider_and_wait(Arc::new(provider)).unwrap();
/// // The no-op provider answers every flag with an error, so the default comes back.
/// assert!(api.client().get_bool_value("flag", true, None, None));
/// ```
pub struct OpenFeatureProvider<P> {
    /// Write-locked by `initialize` (which takes `&mut self` in that crate), read-locked by
    /// every resolution. The SDK never resolves on a registration before its `initialize` has
    /// returned, so the two never wait on each other in practice.
    provider: tokio::sync::RwLock<P>,
    name: String,
    runtime: Option<Handle>,
}

impl<P: OfProvider> OpenFeatureProvider<P> {
    /// Wraps `provider`. Its futures run on the calling thread, in whatever tokio context that
    /// thread already has.
    pub fn new(provider: P) -> Self {
        let name = provider.metadata().name.clone();
        Self {
            provider: tokio::sync::RwLock::new(provider),
            name,
            runtime: None,
        }
    }

    /// Runs every call of the wrapped provider inside `runtime`'s context, for providers whose
    /// futures need tokio's I/O or timers. The runtime should be multi-threaded (see the
    /// module's *Blocking* section).
    pub fn with_runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Unwraps the provider.
    pub fn into_inner(self) -> P {
        self.provider.into_inner()
    }

    fn drive<F: Future>(&self, future: F) -> F::Output {
        let _context = self.runtime.as_ref().map(Handle::enter);
        pollster::block_on(future)
    }

    fn resolve<T, U>(
        &self,
        context: &EvaluationContext,
        resolve: impl AsyncFnOnce(
            &P,
            &open_feature::EvaluationContext,
        ) -> open_feature::EvaluationResult<
            open_feature::provider::ResolutionDetails<T>,
        >,
        convert: impl FnOnce(T) -> U,
    ) -> ResolutionResult<U> {
        let context = to_open_feature_context(context);
        let resolved = self.drive(async {
            let provider = self.provider.read().await;
            resolve(&provider, &context).await
        });
        match resolved {
            Ok(details) => Ok(ResolutionDetails {
                value: convert(details.value),
                variant: details.variant,
                reason: details.reason.map(from_open_feature_reason),
                flag_metadata: details.flag_metadata.map(from_open_feature_metadata),
            }),
            Err(error) => Err(from_open_feature_error(error)),
        }
    }
}

impl<P: OfProvider> FeatureProvider for OpenFeatureProvider<P> {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new(self.name.clone())
    }

    fn initialize(&self, context: &EvaluationContext) -> Result<(), EvaluationError> {
        let context = to_open_feature_context(context);
        let status = self.drive(async {
            let mut provider = self.provider.write().await;
            provider.initialize(&context).await;
            provider.status()
        });
        match status {
            OfStatus::Error => Err(EvaluationError::new(
                ErrorCode::General,
                format!(
                    "provider {:?} reports status ERROR after initialize",
                    self.name
                ),
            )),
            OfStatus::NotReady | OfStatus::Ready | OfStatus::STALE => Ok(()),
        }
    }

    fn resolve_bool(
        &self,
        flag_key: &str,
        _default_value: bool,
        context: &EvaluationContext,
    ) -> ResolutionResult<bool> {
        self.resolve(
            context,
            async |provider, context| provider.resolve_bool_value(flag_key, context).await,
            std::convert::identity,
        )
    }

    fn resolve_int(
        &self,
        flag_key: &str,
        _default_value: i64,
        context: &EvaluationContext,
    ) -> ResolutionResult<i64> {
        self.resolve(
            context,
            async |provider, context| provider.resolve_int_value(flag_key, context).await,
            std::convert::identity,
        )
    }

    fn resolve_float(
        &self,
        flag_key: &str,
        _default_value: f64,
        context: &EvaluationContext,
    ) -> ResolutionResult<f64> {
        self.resolve(
            context,
            async |provider, context| provider.resolve_float_value(flag_key, context).await,
            std::convert::identity,
        )
    }

    fn resolve_string(
        &self,
        flag_key: &str,
        _default_value: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String> {
        self.resolve(
            context,
            async |provider, context| provider.resolve_string_value(flag_key, context).await,
            std::convert::identity,
        )
    }

    fn resolve_object(
        &self,
        flag_key: &str,
        _default_value: &Value,
        context: &EvaluationContext,
    ) -> ResolutionResult<Value> {
        self.resolve(
            context,
            async |provider, context| provider.resolve_struct_value(flag_key, context).await,
            |value| Value::Struct(from_open_feature_struct(value)),
        )
    }
}

/// This SDK's context as the crate's: the targeting key, primitives as they are, arrays and
/// structures as `Struct` fields holding the crate's `Value`.
fn to_open_feature_context(context: &EvaluationContext) -> open_feature::EvaluationContext {
    use open_feature::EvaluationContextFieldValue as Field;
    let mut converted = open_feature::EvaluationContext::default();
    if let Some(key) = context.targeting_key() {
        converted.targeting_key = Some(key.to_owned());
    }
    for (key, value) in context.attributes() {
        let field = match value {
            Value::Bool(value) => Field::Bool(*value),
            Value::Int(value) => Field::Int(*value),
            Value::Float(value) => Field::Float(*value),
            Value::String(value) => Field::String(value.clone()),
            nested @ (Value::Array(_) | Value::Struct(_)) => {
                Field::new_struct(to_open_feature_value(nested))
            }
        };
        converted.custom_fields.insert(key.clone(), field);
    }
    converted
}

fn to_open_feature_value(value: &Value) -> open_feature::Value {
    match value {
        Value::Bool(value) => open_feature::Value::Bool(*value),
        Value::Int(value) => open_feature::Value::Int(*value),
        Value::Float(value) => open_feature::Value::Float(*value),
        Value::String(value) => open_feature::Value::String(value.clone()),
        Value::Array(items) => {
            open_feature::Value::Array(items.iter().map(to_open_feature_value).collect())
        }
        Value::Struct(fields) => open_feature::Value::Struct(open_feature::StructValue {
            fields: fields
                .iter()
                .map(|(key, value)| (key.clone(), to_open_feature_value(value)))
                .collect(),
        }),
    }
}

fn from_open_feature_value(value: open_feature::Value) -> Value {
    match value {
        open_feature::Value::Bool(value) => Value::Bool(value),
        open_feature::Value::Int(value) => Value::Int(value),
        open_feature::Value::Float(value) => Value::Float(value),
        open_feature::Value::String(value) => Value::String(value),
        open_feature::Value::Array(items) => {
            Value::Array(items.into_iter().map(from_open_feature_value).collect())
        }
        open_feature::Value::Struct(fields) => Value::Struct(from_open_feature_struct(fields)),
    }
}

fn from_open_feature_struct(value: open_feature::StructValue) -> StructValue {
    value
        .fields
        .into_iter()
        .map(|(key, value)| (key, from_open_feature_value(value)))
        .collect()
}

fn from_open_feature_reason(reason: open_feature::EvaluationReason) -> Reason {
    use open_feature::EvaluationReason as Of;
    match reason {
        Of::Static => Reason::Static,
        Of::Default => Reason::Default,
        Of::TargetingMatch => Reason::TargetingMatch,
        Of::Split => Reason::Split,
        Of::Cached => Reason::Cached,
        Of::Disabled => Reason::Disabled,
        Of::Unknown => Reason::Unknown,
        Of::Error => Reason::Error,
        Of::Other(other) => Reason::Other(other),
    }
}

fn from_open_feature_metadata(metadata: open_feature::FlagMetadata) -> FlagMetadata {
    use open_feature::FlagMetadataValue as Of;
    Arc::new(
        metadata
            .values
            .into_iter()
            .map(|(key, value)| {
                let value = match value {
                    Of::Bool(value) => Value::Bool(value),
                    Of::Int(value) => Value::Int(value),
                    Of::Float(value) => Value::Float(value),
                    Of::String(value) => Value::String(value),
                };
                (key, value)
            })
            .collect(),
    )
}

fn from_open_feature_error(error: open_feature::EvaluationError) -> EvaluationError {
    use open_feature::EvaluationErrorCode as Of;
    let (code, general) = match error.code {
        Of::ProviderNotReady => (ErrorCode::ProviderNotReady, None),
        Of::FlagNotFound => (ErrorCode::FlagNotFound, None),
        Of::ParseError => (ErrorCode::ParseError, None),
        Of::TypeMismatch => (ErrorCode::TypeMismatch, None),
        Of::TargetingKeyMissing => (ErrorCode::TargetingKeyMissing, None),
        Of::InvalidContext => (ErrorCode::InvalidContext, None),
        Of::General(text) => (ErrorCode::General, Some(text)),
    };
    EvaluationError {
        code,
        message: error.message.or(general),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_general_error_keeps_its_text_when_it_has_no_message() {
        let error = open_feature::EvaluationError::builder()
            .code(open_feature::EvaluationErrorCode::General(
                "backend down".into(),
            ))
            .build();
        assert_eq!(
            from_open_feature_error(error),
            EvaluationError::new(ErrorCode::General, "backend down")
        );
        let error = open_feature::EvaluationError::builder()
            .code(open_feature::EvaluationErrorCode::FlagNotFound)
            .message("no such flag")
            .build();
        assert_eq!(
            from_open_feature_error(error),
            EvaluationError::new(ErrorCode::FlagNotFound, "no such flag")
        );
    }

    #[test]
    fn nested_values_cross_both_ways_unchanged() {
        let value = Value::Struct(StructValue::from([
            (
                "list".to_owned(),
                Value::Array(vec![1.into(), "two".into()]),
            ),
            ("flag".to_owned(), Value::Bool(true)),
            ("ratio".to_owned(), Value::Float(0.5)),
        ]));
        assert_eq!(
            from_open_feature_value(to_open_feature_value(&value)),
            value
        );
    }

    #[test]
    fn a_context_keeps_its_key_primitives_and_nested_values() {
        let context = EvaluationContext::new()
            .with_targeting_key("user-1")
            .with("plan", "pro")
            .with("seats", 5)
            .with("tags", Value::Array(vec!["a".into()]));
        let converted = to_open_feature_context(&context);
        assert_eq!(converted.targeting_key.as_deref(), Some("user-1"));
        assert_eq!(
            converted.custom_fields["plan"].as_str(),
            Some("pro"),
            "primitives map to primitives"
        );
        assert_eq!(converted.custom_fields["seats"].as_i64(), Some(5));
        let nested = converted.custom_fields["tags"]
            .as_struct()
            .expect("a struct field");
        assert_eq!(
            nested.downcast_ref::<open_feature::Value>(),
            Some(&open_feature::Value::Array(vec![
                open_feature::Value::String("a".into())
            ]))
        );
    }
}

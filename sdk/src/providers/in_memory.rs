//! The in-memory provider of spec Appendix A: a flag set given at construction, evaluated with
//! optional per-flag context evaluators, replaceable at run time with a
//! `PROVIDER_CONFIGURATION_CHANGED` event. Meant for tests and examples.
//!
//! Its flag set is shared state of the provider's own, held as an `Arc` snapshot behind the SDK's
//! sync facade, so a resolution reads one consistent flag set.

use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationError, FlagMetadata, Reason};
use crate::events::{EventEmitter, ProviderEvent, ProviderEventDetails};
use crate::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails, ResolutionResult};
use crate::sync::{Arc, RwLock};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Picks a variant for a context; `None` means "no rule matched": use the default variant.
pub type ContextEvaluator = Arc<dyn Fn(&EvaluationContext) -> Option<String> + Send + Sync>;

/// One flag: its variants, the default variant, and how context picks among them.
#[derive(Clone)]
pub struct Flag {
    /// The flag's values, by variant name.
    pub variants: BTreeMap<String, Value>,
    /// The variant used when no rule matches; `None` resolves to the caller's default value.
    pub default_variant: Option<String>,
    /// Whether the flag is disabled: it then resolves to the caller's default with reason
    /// `DISABLED`.
    pub disabled: bool,
    /// Picks a variant from the context (reason `TARGETING_MATCH`); `None` means the default
    /// variant is always used, with reason `STATIC`.
    pub context_evaluator: Option<ContextEvaluator>,
    /// Flag metadata returned with every resolution of the flag.
    pub metadata: BTreeMap<String, Value>,
}

impl Flag {
    /// A flag with the given variants and default variant.
    pub fn new<K: Into<String>, V: Into<Value>>(
        variants: impl IntoIterator<Item = (K, V)>,
        default_variant: impl Into<String>,
    ) -> Self {
        Self {
            variants: variants
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
            default_variant: Some(default_variant.into()),
            disabled: false,
            context_evaluator: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Sets the context evaluator, builder style.
    pub fn with_context_evaluator(
        mut self,
        evaluator: impl Fn(&EvaluationContext) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.context_evaluator = Some(Arc::new(evaluator));
        self
    }

    /// Adds one metadata entry, builder style.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Marks the flag disabled, builder style.
    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }
}

impl fmt::Debug for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flag")
            .field("variants", &self.variants)
            .field("default_variant", &self.default_variant)
            .field("disabled", &self.disabled)
            .field("context_evaluator", &self.context_evaluator.is_some())
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// The in-memory provider.
pub struct InMemoryProvider {
    name: String,
    flags: RwLock<Arc<BTreeMap<String, Flag>>>,
    emitter: RwLock<Option<EventEmitter>>,
}

impl InMemoryProvider {
    /// A provider named `in-memory` with the given flags.
    pub fn new(flags: impl IntoIterator<Item = (String, Flag)>) -> Self {
        Self::named("in-memory", flags)
    }

    /// A provider with the given name and flags.
    pub fn named(name: impl Into<String>, flags: impl IntoIterator<Item = (String, Flag)>) -> Self {
        Self {
            name: name.into(),
            flags: RwLock::new(
                "in_memory.flags.read",
                "in_memory.flags.write",
                Arc::new(flags.into_iter().collect()),
            ),
            emitter: RwLock::new("in_memory.emitter.read", "in_memory.emitter.write", None),
        }
    }

    /// Replaces the flag set and emits `PROVIDER_CONFIGURATION_CHANGED` naming every flag of the
    /// old and the new set (Appendix A).
    pub fn update_flags(&self, flags: impl IntoIterator<Item = (String, Flag)>) {
        let new_flags: BTreeMap<String, Flag> = flags.into_iter().collect();
        let mut changed: BTreeSet<String> = new_flags.keys().cloned().collect();
        let old_flags = std::mem::replace(&mut *self.flags.write(), Arc::new(new_flags));
        changed.extend(old_flags.keys().cloned());
        self.emit(
            ProviderEvent::ConfigurationChanged,
            ProviderEventDetails {
                flags_changed: changed.into_iter().collect(),
                ..ProviderEventDetails::default()
            },
        );
    }

    /// Emits an event through the emitter the SDK attached; a no-op when detached.
    pub fn emit(&self, event: ProviderEvent, details: ProviderEventDetails) -> bool {
        let emitter = self.emitter.read().clone();
        emitter.is_some_and(|emitter| emitter.emit(event, details))
    }

    fn resolve<T>(
        &self,
        flag_key: &str,
        default_value: T,
        context: &EvaluationContext,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> ResolutionResult<T> {
        let flags = Arc::clone(&*self.flags.read());
        let flag = flags.get(flag_key).ok_or_else(|| {
            EvaluationError::new(
                ErrorCode::FlagNotFound,
                format!("flag {flag_key:?} not found"),
            )
        })?;
        let metadata: Option<FlagMetadata> =
            (!flag.metadata.is_empty()).then(|| Arc::new(flag.metadata.clone()));
        if flag.disabled {
            return Ok(ResolutionDetails {
                value: default_value,
                variant: None,
                reason: Some(Reason::Disabled),
                flag_metadata: metadata,
            });
        }
        let (variant, reason) = match &flag.context_evaluator {
            Some(evaluator) => match evaluator(context).filter(|variant| !variant.is_empty()) {
                Some(variant) => (Some(variant), Reason::TargetingMatch),
                None => (flag.default_variant.clone(), Reason::Default),
            },
            None => (flag.default_variant.clone(), Reason::Static),
        };
        let Some(variant) = variant else {
            return Ok(ResolutionDetails {
                value: default_value,
                variant: None,
                reason: Some(Reason::Default),
                flag_metadata: metadata,
            });
        };
        let raw = flag.variants.get(&variant).ok_or_else(|| {
            EvaluationError::new(
                ErrorCode::General,
                format!("flag {flag_key:?} has no variant {variant:?}"),
            )
        })?;
        let value = convert(raw).ok_or_else(|| {
            EvaluationError::new(
                ErrorCode::TypeMismatch,
                format!("flag {flag_key:?} is of type {}", raw.type_name()),
            )
        })?;
        Ok(ResolutionDetails {
            value,
            variant: Some(variant),
            reason: Some(reason),
            flag_metadata: metadata,
        })
    }
}

impl FeatureProvider for InMemoryProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new(self.name.clone())
    }

    fn attach(&self, emitter: EventEmitter) {
        *self.emitter.write() = Some(emitter);
    }

    fn resolve_bool(
        &self,
        flag_key: &str,
        default_value: bool,
        context: &EvaluationContext,
    ) -> ResolutionResult<bool> {
        self.resolve(flag_key, default_value, context, Value::as_bool)
    }

    fn resolve_int(
        &self,
        flag_key: &str,
        default_value: i64,
        context: &EvaluationContext,
    ) -> ResolutionResult<i64> {
        self.resolve(flag_key, default_value, context, Value::as_int)
    }

    fn resolve_float(
        &self,
        flag_key: &str,
        default_value: f64,
        context: &EvaluationContext,
    ) -> ResolutionResult<f64> {
        self.resolve(flag_key, default_value, context, Value::as_float)
    }

    fn resolve_string(
        &self,
        flag_key: &str,
        default_value: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String> {
        self.resolve(flag_key, default_value.to_owned(), context, |value| {
            value.as_str().map(str::to_owned)
        })
    }

    fn resolve_object(
        &self,
        flag_key: &str,
        default_value: &Value,
        context: &EvaluationContext,
    ) -> ResolutionResult<Value> {
        self.resolve(
            flag_key,
            default_value.clone(),
            context,
            |value| match value {
                Value::Struct(_) | Value::Array(_) => Some(value.clone()),
                _ => None,
            },
        )
    }
}

//! The evaluation pipeline of a client, from its snapshot on: the resolution (short-circuited on
//! a status that cannot serve), the details of a normal or an abnormal evaluation, and the hook
//! chain around the resolution (spec 4.3, 4.4). `snapshot` takes the snapshot; nothing here
//! takes a lock, and all user code is called through `contain::call`.

use super::FlagValue;
use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason};
use crate::hooks::{FlagType, Hook, HookContext, HookData, HookHints};
use crate::provider::{ProviderStatus, ResolutionDetails, ResolutionResult};
use crate::registry::Registration;
use crate::sync::Arc;
use crate::value::Value;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::RefCell;

/// Resolves on the snapshot's registration, short-circuiting on a status that cannot serve
/// (spec 1.7.6, 1.7.7). The registration is leased by the caller, so it is not shut down.
pub(super) fn resolve<T: FlagValue>(
    registration: &Registration,
    status: ProviderStatus,
    flag_key: &str,
    default_value: &T,
    context: &EvaluationContext,
) -> ResolutionResult<T> {
    match status {
        ProviderStatus::NotReady => {
            return Err(EvaluationError::new(
                ErrorCode::ProviderNotReady,
                "the provider is not ready",
            ))
        }
        ProviderStatus::Fatal => {
            return Err(EvaluationError::new(
                ErrorCode::ProviderFatal,
                "the provider is in an irrecoverable error state",
            ))
        }
        ProviderStatus::Ready | ProviderStatus::Stale | ProviderStatus::Error => {}
    }
    let provider = registration.provider.as_ref();
    crate::contain::call("provider resolve", || {
        T::resolve(provider, flag_key, default_value, context)
    })
    .and_then(|resolved| resolved)
}

/// The details of a normal evaluation: the provider's resolution under the flag's key, with
/// `no_metadata` (the snapshot's shared empty map, so that none is allocated) if it returned no
/// metadata.
pub(super) fn resolved_details<T>(
    flag_key: &str,
    resolution: ResolutionDetails<T>,
    no_metadata: &FlagMetadata,
) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: flag_key.to_owned(),
        value: resolution.value,
        variant: resolution.variant,
        reason: resolution.reason,
        error_code: None,
        error_message: None,
        flag_metadata: resolution
            .flag_metadata
            .unwrap_or_else(|| Arc::clone(no_metadata)),
    }
}

/// The details of an abnormal evaluation: the default value, reason `ERROR` and the error.
pub(super) fn error_details<T>(
    flag_key: &str,
    default_value: T,
    error: EvaluationError,
) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: flag_key.to_owned(),
        value: default_value,
        variant: None,
        reason: Some(Reason::Error),
        error_code: Some(error.code),
        error_message: error.message,
        flag_metadata: FlagMetadata::default(),
    }
}

/// What the hook chain reuses from one evaluation to the next on the thread that owns a
/// snapshot, so that a hooked evaluation builds and drops none of it: the per-hook data maps
/// (kept empty between evaluations) and the details the after and finally hooks read (whose
/// fields are overwritten in place; a value-only evaluation hands them to nobody, and lets go
/// of the provider's data in them when it ends). An
/// evaluation nested in a hook of another, through the same snapshot, finds them in use and
/// makes its own.
pub(super) struct HookSpares {
    data: HookDataList,
    details: EvaluationDetails<Value>,
}

impl HookSpares {
    pub(super) fn new(no_metadata: &FlagMetadata) -> Self {
        Self {
            data: HookDataList::new(),
            details: blank_details(String::new(), no_metadata),
        }
    }
}

/// Details to be filled in by [`HookRun::evaluate`] (which overwrites every field before any
/// hook reads them).
fn blank_details(flag_key: String, no_metadata: &FlagMetadata) -> EvaluationDetails<Value> {
    EvaluationDetails {
        flag_key,
        value: Value::Bool(false),
        variant: None,
        reason: None,
        error_code: None,
        error_message: None,
        flag_metadata: Arc::clone(no_metadata),
    }
}

/// One evaluation's hook chain, in before order (API, client, invocation, provider; spec 4.4.2),
/// with what it resolves on.
pub(super) struct HookRun<'a> {
    pub(super) flag_key: &'a str,
    pub(super) flag_type: FlagType,
    pub(super) default_value: &'a Value,
    pub(super) client_domain: Option<&'a str>,
    /// The snapshot's registration (leased by the caller) and its provider's status.
    pub(super) registration: &'a Registration,
    pub(super) status: ProviderStatus,
    /// API, client, invocation and provider hooks: chained, not collected, so that running them
    /// allocates no list.
    pub(super) hooks: [&'a [Arc<dyn Hook>]; 4],
    pub(super) hints: &'a HookHints,
    /// The empty metadata of details whose provider returned none.
    pub(super) no_metadata: &'a FlagMetadata,
    /// The snapshot's spares (see [`HookSpares`]).
    pub(super) spares: &'a RefCell<HookSpares>,
}

/// Per-hook data of one evaluation, inline for the common handful of hooks.
pub(super) type HookDataList = SmallVec<[HookData; 4]>;

impl HookRun<'_> {
    /// Runs the chain and returns the value alone: the details the hooks read are the
    /// snapshot's spare ones, kept for the next evaluation instead of dropped.
    pub(super) fn evaluate_value<T: FlagValue>(
        &self,
        merged: Cow<'_, EvaluationContext>,
        default_value: T,
    ) -> T {
        match self.spares.try_borrow_mut() {
            Ok(mut spares) => {
                let HookSpares { data, details } = &mut *spares;
                let value = self.evaluate(merged, default_value, data, details);
                self.let_go(details);
                value
            }
            Err(_) => {
                let HookSpares {
                    mut data,
                    mut details,
                } = HookSpares::new(self.no_metadata);
                self.evaluate(merged, default_value, &mut data, &mut details)
            }
        }
    }

    /// Runs the chain and returns the details the finally hooks read, with the typed value.
    pub(super) fn evaluate_details<T: FlagValue>(
        &self,
        merged: Cow<'_, EvaluationContext>,
        default_value: T,
    ) -> EvaluationDetails<T> {
        let mut details = blank_details(self.flag_key.to_owned(), self.no_metadata);
        let value = match self.spares.try_borrow_mut() {
            Ok(mut spares) => self.evaluate(merged, default_value, &mut spares.data, &mut details),
            Err(_) => {
                let mut data = HookDataList::new();
                self.evaluate(merged, default_value, &mut data, &mut details)
            }
        };
        details.map(|_| value)
    }

    /// The `i`-th hook in before order.
    #[inline]
    fn hook(&self, mut i: usize) -> &Arc<dyn Hook> {
        for level in self.hooks {
            if i < level.len() {
                return &level[i];
            }
            i -= level.len();
        }
        unreachable!("hook index out of range")
    }

    #[inline]
    fn hook_context<'c>(&'c self, evaluation_context: &'c EvaluationContext) -> HookContext<'c> {
        HookContext {
            flag_key: self.flag_key,
            flag_type: self.flag_type,
            default_value: self.default_value,
            evaluation_context,
            client_domain: self.client_domain,
            provider_name: &self.registration.name,
        }
    }

    /// Runs before hooks, the resolution and after hooks; on any error the error hooks; then
    /// the finally hooks with the details the caller gets (spec 4.3, 4.4), filled into
    /// `details`; returns the value. Each stage runs its hooks under one containment guard
    /// (`contain::call_until_error` for the stages an error ends, `contain::call_each` for
    /// those that run every hook).
    fn evaluate<T: FlagValue>(
        &self,
        mut merged: Cow<'_, EvaluationContext>,
        default_value: T,
        data: &mut HookDataList,
        details: &mut EvaluationDetails<Value>,
    ) -> T {
        let count = self.hooks.iter().map(|level| level.len()).sum();
        if data.len() < count {
            data.resize_with(count, HookData::new);
        }
        let data = &mut data[..count];
        // Every hook starts with empty data (spec 4.6.1); most never write theirs, so this is
        // a check, and clearing here rather than at the end holds even after an unwind.
        for map in data.iter_mut().filter(|map| !map.is_empty()) {
            map.clear();
        }
        let before = self.before(count, &mut merged, data);
        // From here on every stage sees the same context: the one the provider resolves with.
        let hook_context = self.hook_context(&merged);
        let outcome = before
            .and_then(|()| {
                resolve(
                    self.registration,
                    self.status,
                    self.flag_key,
                    &default_value,
                    &merged,
                )
            })
            .and_then(|resolution| {
                let value = self.fill_resolved(details, resolution);
                crate::contain::call_until_error("hook after", count, |i| {
                    let last = count - 1 - i;
                    let data = &mut data[last];
                    self.hook(last)
                        .after(&hook_context, details, self.hints, data)
                })?;
                Ok(value)
            });
        let value = match outcome {
            Ok(value) => value,
            Err(error) => {
                crate::contain::call_each("hook error", count, |i| {
                    let last = count - 1 - i;
                    let data = &mut data[last];
                    self.hook(last)
                        .error(&hook_context, &error, self.hints, data);
                });
                self.fill_error(details, error);
                default_value
            }
        };
        crate::contain::call_each("hook finally", count, |i| {
            let last = count - 1 - i;
            let data = &mut data[last];
            self.hook(last)
                .finally(&hook_context, details, self.hints, data);
        });
        value
    }

    /// Runs the before hooks in order, each seeing the context the ones before it left
    /// (spec 4.3.4); stops at the first error.
    fn before(
        &self,
        count: usize,
        merged: &mut Cow<'_, EvaluationContext>,
        data: &mut [HookData],
    ) -> Result<(), EvaluationError> {
        crate::contain::call_until_error("hook before", count, |i| {
            let returned =
                self.hook(i)
                    .before(&self.hook_context(merged), self.hints, &mut data[i])?;
            // Spec 4.3.4 and 3.2.3: a before hook's context wins over every other level and is
            // what the next hook sees.
            if let Some(returned) = returned {
                merged.to_mut().merge_in(&returned);
            }
            Ok(())
        })
    }

    /// Fills `details` with a resolution (its value as a [`Value`]) and returns the typed value.
    fn fill_resolved<T: FlagValue>(
        &self,
        details: &mut EvaluationDetails<Value>,
        resolution: ResolutionDetails<T>,
    ) -> T {
        let ResolutionDetails {
            value,
            variant,
            reason,
            flag_metadata,
        } = resolution;
        self.fill_key(details);
        details.value = value.to_value();
        details.variant = variant;
        details.reason = reason;
        details.error_code = None;
        details.error_message = None;
        match flag_metadata {
            Some(metadata) => details.flag_metadata = metadata,
            None => self.empty_metadata(details),
        }
        value
    }

    /// Fills `details` as [`error_details`] builds them.
    fn fill_error(&self, details: &mut EvaluationDetails<Value>, error: EvaluationError) {
        self.fill_key(details);
        details.value = self.default_value.clone();
        details.variant = None;
        details.reason = Some(Reason::Error);
        details.error_code = Some(error.code);
        details.error_message = error.message;
        self.empty_metadata(details);
    }

    /// Drops what the provider returned from spare details that stay with the snapshot (the
    /// value, variant, error message and a reference to its metadata), so that no flag data
    /// outlives its evaluation there; keeps the key's allocation.
    fn let_go(&self, details: &mut EvaluationDetails<Value>) {
        details.value = Value::Bool(false);
        details.variant = None;
        details.error_message = None;
        self.empty_metadata(details);
    }

    /// Sets the details' key, keeping the allocation (and skipping the copy when the key is
    /// the last one this spare carried, as when one flag is evaluated over and over).
    fn fill_key(&self, details: &mut EvaluationDetails<Value>) {
        if details.flag_key != self.flag_key {
            details.flag_key.clear();
            details.flag_key.push_str(self.flag_key);
        }
    }

    /// Empties the details' metadata: the snapshot's shared empty map, unless the details hold
    /// it already (an empty map of the provider's would still be the provider's).
    fn empty_metadata(&self, details: &mut EvaluationDetails<Value>) {
        if !Arc::ptr_eq(&details.flag_metadata, self.no_metadata) {
            details.flag_metadata = Arc::clone(self.no_metadata);
        }
    }
}

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
use crate::sync::{self, Arc};
use crate::value::Value;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

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
/// `no_metadata` (a shared empty map, so that none is allocated) if it returned no metadata.
pub(super) fn resolved_details<T>(
    flag_key: &str,
    resolution: ResolutionDetails<T>,
    no_metadata: &FlagMetadata,
) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: owned_key(flag_key),
        value: resolution.value,
        variant: resolution.variant,
        reason: resolution.reason,
        error_code: None,
        error_message: None,
        flag_metadata: resolution
            .flag_metadata
            .unwrap_or_else(|| empty_metadata(no_metadata)),
    }
}

sync::fast_thread_local! {
    /// A spare `String` for the flag key of details: a value-only evaluation with hooks builds
    /// details that nobody keeps, and hands their key back here, so that the next evaluation
    /// on this thread reuses its allocation instead of making and freeing one.
    static SPARE_KEY: Cell<String> = Cell::new(String::new());
}

/// `flag_key` as an owned `String`, in the thread's spare allocation if it has one.
fn owned_key(flag_key: &str) -> String {
    let mut key = SPARE_KEY.try_with(Cell::take).unwrap_or_default();
    key.clear();
    key.push_str(flag_key);
    key
}

sync::fast_thread_local! {
    /// A spare empty metadata map for details whose provider returned none, handed back like
    /// [`SPARE_KEY`]: taking it costs no reference-count update.
    static SPARE_METADATA: Cell<Option<FlagMetadata>> = Cell::new(None);
}

/// Empty flag metadata: the thread's spare if it has one, else a new reference to `shared`.
fn empty_metadata(shared: &FlagMetadata) -> FlagMetadata {
    SPARE_METADATA
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::clone(shared))
}

/// Keeps the flag key's allocation and the empty metadata of details that nobody else will
/// read, for the next details built on this thread.
pub(super) fn recycle(details: EvaluationDetails<Value>) {
    let EvaluationDetails {
        flag_key,
        mut flag_metadata,
        ..
    } = details;
    let _ = SPARE_KEY.try_with(|spare| spare.set(flag_key));
    // Only an empty map that nothing else refers to may stand in for "no metadata".
    if Arc::get_mut(&mut flag_metadata).is_some_and(|metadata| metadata.is_empty()) {
        let _ = SPARE_METADATA.try_with(|spare| spare.set(Some(flag_metadata)));
    }
}

/// What a hooked evaluation ends with: the typed value the caller gets, and the details the
/// hooks saw (that value as a [`Value`]). Kept apart so that the typed details are built, by
/// moving the fields, only for a caller who asks for them.
pub(super) struct Hooked<T> {
    pub(super) value: T,
    pub(super) details: EvaluationDetails<Value>,
}

impl<T> Hooked<T> {
    pub(super) fn into_details(self) -> EvaluationDetails<T> {
        let value = self.value;
        self.details.map(|_| value)
    }
}

/// The details of an abnormal evaluation: the default value, reason `ERROR` and the error.
pub(super) fn error_details<T>(
    flag_key: &str,
    default_value: T,
    error: EvaluationError,
) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: owned_key(flag_key),
        value: default_value,
        variant: None,
        reason: Some(Reason::Error),
        error_code: Some(error.code),
        error_message: error.message,
        flag_metadata: FlagMetadata::default(),
    }
}

/// One evaluation's hook chain, in before order (API, client, invocation, provider; spec 4.4.2).
pub(super) struct HookRun<'a> {
    pub(super) flag_key: &'a str,
    pub(super) flag_type: FlagType,
    pub(super) default_value: &'a Value,
    pub(super) client_domain: Option<&'a str>,
    pub(super) provider_name: &'a str,
    /// API, client, invocation and provider hooks: chained, not collected, so that running them
    /// allocates no list.
    pub(super) hooks: [&'a [Arc<dyn Hook>]; 4],
    pub(super) hints: &'a HookHints,
    /// The empty metadata of details whose provider returned none.
    pub(super) no_metadata: &'a FlagMetadata,
    /// The snapshot's per-hook data maps, kept empty between evaluations and reused, so that an
    /// evaluation neither builds nor drops a map per hook. An evaluation nested in a hook of
    /// another through the same snapshot finds them in use and makes its own.
    pub(super) spare_data: &'a RefCell<HookDataList>,
}

/// Per-hook data of one evaluation, inline for the common handful of hooks.
pub(super) type HookDataList = SmallVec<[HookData; 4]>;

impl HookRun<'_> {
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
            default_value: self.default_value.clone(),
            evaluation_context,
            client_domain: self.client_domain,
            provider_name: self.provider_name,
        }
    }

    /// Runs before hooks, the resolution and after hooks; on any error the error hooks; then
    /// the finally hooks with the details the caller gets (spec 4.3, 4.4). Each stage runs its
    /// hooks under one containment guard (`contain::call_until_error` for the stages an error
    /// ends, `contain::call_each` for those that run every hook).
    pub(super) fn evaluate<T: FlagValue>(
        &self,
        mut merged: Cow<'_, EvaluationContext>,
        default_value: T,
        resolve: impl FnOnce(&EvaluationContext, &T) -> ResolutionResult<T>,
    ) -> Hooked<T> {
        let count = self.hooks.iter().map(|level| level.len()).sum();
        let mut spare = self.spare_data.try_borrow_mut().ok();
        let mut own = HookDataList::new();
        let data = spare.as_deref_mut().unwrap_or(&mut own);
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
            .and_then(|()| resolve(&merged, &default_value))
            .and_then(|resolution| {
                let hooked = self.hooked(resolution);
                crate::contain::call_until_error("hook after", count, |i| {
                    let last = count - 1 - i;
                    let data = &mut data[last];
                    self.hook(last)
                        .after(&hook_context, &hooked.details, self.hints, data)
                })?;
                Ok(hooked)
            });
        let hooked = match outcome {
            Ok(hooked) => hooked,
            Err(error) => {
                crate::contain::call_each("hook error", count, |i| {
                    let last = count - 1 - i;
                    let data = &mut data[last];
                    self.hook(last)
                        .error(&hook_context, &error, self.hints, data);
                });
                Hooked {
                    details: error_details(self.flag_key, self.default_value.clone(), error),
                    value: default_value,
                }
            }
        };
        crate::contain::call_each("hook finally", count, |i| {
            let last = count - 1 - i;
            let data = &mut data[last];
            self.hook(last)
                .finally(&hook_context, &hooked.details, self.hints, data);
        });
        hooked
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

    /// The typed value and the details hooks see (the value as a [`Value`]) of a resolution.
    fn hooked<T: FlagValue>(&self, resolution: ResolutionDetails<T>) -> Hooked<T> {
        let ResolutionDetails {
            value,
            variant,
            reason,
            flag_metadata,
        } = resolution;
        let as_value = ResolutionDetails {
            value: value.to_value(),
            variant,
            reason,
            flag_metadata,
        };
        Hooked {
            details: resolved_details(self.flag_key, as_value, self.no_metadata),
            value,
        }
    }
}

//! The evaluation pipeline of a client, from its snapshot on: the snapshot's merged context,
//! the resolution (short-circuited on a status that cannot serve), the details of an abnormal
//! evaluation, and the hook chain around the resolution (spec 3.2.3, 4.3, 4.4). `Client` takes
//! the snapshot; nothing here takes a lock, and all user code is called through
//! `contain::call`.

use super::FlagValue;
use crate::context::EvaluationContext;
use crate::evaluation::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, Reason};
use crate::hooks::{FlagType, Hook, HookContext, HookData, HookHints};
use crate::provider::ProviderStatus;
use crate::registry::{Lease, Registration};
use crate::sync::Arc;
use crate::transaction::TransactionContextPropagator;
use crate::value::Value;

/// What one evaluation reads from the API and its client, taken once, under one registry read
/// lock (A15): a change to any of these lands wholly before or wholly after it.
pub(super) struct Snapshot {
    pub(super) lease: Lease,
    pub(super) status: ProviderStatus,
    pub(super) api_hooks: Arc<Vec<Arc<dyn Hook>>>,
    pub(super) client_hooks: Arc<Vec<Arc<dyn Hook>>>,
    pub(super) global_context: Arc<EvaluationContext>,
    pub(super) client_context: Arc<EvaluationContext>,
    pub(super) propagator: Arc<dyn TransactionContextPropagator>,
}

impl Snapshot {
    /// The snapshot's context levels merged with the invocation's, in the order of spec 3.2.3:
    /// global < transaction < client < invocation. The transaction context comes from the
    /// snapshot's propagator (user code, called outside every lock).
    pub(super) fn merged_context(
        &self,
        invocation: Option<&EvaluationContext>,
    ) -> EvaluationContext {
        let transaction = crate::contain::call("propagator get", || {
            self.propagator.get_transaction_context()
        })
        .ok()
        .flatten();
        EvaluationContext::merged(
            [
                Some(self.global_context.as_ref()),
                transaction.as_deref(),
                Some(self.client_context.as_ref()),
                invocation,
            ]
            .into_iter()
            .flatten(),
        )
    }
}

/// Resolves on the snapshot's registration, short-circuiting on a status that cannot serve
/// (spec 1.7.6, 1.7.7). The registration is leased by the caller, so it is not shut down.
pub(super) fn resolve<T: FlagValue>(
    registration: &Registration,
    status: ProviderStatus,
    flag_key: &str,
    default_value: &T,
    context: &EvaluationContext,
) -> Result<EvaluationDetails<T>, EvaluationError> {
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
    let resolution = crate::contain::call("provider resolve", || {
        T::resolve(provider, flag_key, default_value, context)
    })
    .and_then(|resolved| resolved)?;
    Ok(EvaluationDetails {
        flag_key: flag_key.to_owned(),
        value: resolution.value,
        variant: resolution.variant,
        reason: resolution.reason,
        error_code: None,
        error_message: None,
        flag_metadata: resolution.flag_metadata.unwrap_or_default(),
    })
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

/// One evaluation's hook chain, in before order (API, client, invocation, provider; spec 4.4.2).
pub(super) struct HookRun<'a> {
    pub(super) flag_key: &'a str,
    pub(super) flag_type: FlagType,
    pub(super) default_value: &'a Value,
    pub(super) client_domain: Option<&'a str>,
    pub(super) provider_name: &'a str,
    pub(super) hooks: &'a [&'a Arc<dyn Hook>],
    pub(super) hints: &'a HookHints,
}

impl HookRun<'_> {
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
    /// the finally hooks with the details the caller gets (spec 4.3, 4.4).
    pub(super) fn evaluate<T: FlagValue>(
        &self,
        mut merged: EvaluationContext,
        default_value: T,
        resolve: impl FnOnce(&EvaluationContext, &T) -> Result<EvaluationDetails<T>, EvaluationError>,
    ) -> EvaluationDetails<T> {
        let mut data: Vec<HookData> = vec![HookData::new(); self.hooks.len()];
        let outcome = self.before_resolve_after(&mut merged, &mut data, &default_value, resolve);
        let details = match outcome {
            Ok(details) => details,
            Err(error) => {
                let hook_context = self.hook_context(&merged);
                for (hook, data) in self.hooks.iter().zip(data.iter_mut()).rev() {
                    let _contained = crate::contain::call("hook error", || {
                        hook.error(&hook_context, &error, self.hints, data)
                    });
                }
                error_details(self.flag_key, default_value, error)
            }
        };
        let hook_context = self.hook_context(&merged);
        let as_value = details.clone().map(|value| value.to_value());
        for (hook, data) in self.hooks.iter().zip(data.iter_mut()).rev() {
            let _contained = crate::contain::call("hook finally", || {
                hook.finally(&hook_context, &as_value, self.hints, data)
            });
        }
        details
    }

    fn before_resolve_after<T: FlagValue>(
        &self,
        merged: &mut EvaluationContext,
        data: &mut [HookData],
        default_value: &T,
        resolve: impl FnOnce(&EvaluationContext, &T) -> Result<EvaluationDetails<T>, EvaluationError>,
    ) -> Result<EvaluationDetails<T>, EvaluationError> {
        for (hook, data) in self.hooks.iter().zip(data.iter_mut()) {
            let returned = {
                let hook_context = self.hook_context(merged);
                crate::contain::call("hook before", || {
                    hook.before(&hook_context, self.hints, data)
                })
                .and_then(|returned| returned)?
            };
            // Spec 4.3.4 and 3.2.3: a before hook's context wins over every other level and is
            // what the next hook sees.
            if let Some(returned) = returned {
                merged.merge_in(&returned);
            }
        }
        let details = resolve(merged, default_value)?;
        let hook_context = self.hook_context(merged);
        let as_value = details.clone().map(|value| value.to_value());
        for (hook, data) in self.hooks.iter().zip(data.iter_mut()).rev() {
            crate::contain::call("hook after", || {
                hook.after(&hook_context, &as_value, self.hints, data)
            })
            .and_then(|result| result)?;
        }
        Ok(details)
    }
}

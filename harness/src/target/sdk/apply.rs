//! The `sdk` target's operations: one [`Apply`] method per operation of the vocabulary, each a
//! call of the SDK's public API.

use super::of::{
    self, Client, ErrorCode, EvaluationContext, EvaluationError, EvaluationOptions,
    FeatureProvider, Value,
};
use super::user_code::{context_map, context_of, sdk_event_kind, TestPropagator};
use super::SdkTarget;
use crate::ops::{Answer, Apply, ClientName, Code, OpResult};
use crate::rt::lock;
use crate::scenario::{EventName, FlagKind};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The SDK's error code as an answer's.
fn code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::ProviderNotReady => Code::ProviderNotReady,
        ErrorCode::ProviderFatal => Code::ProviderFatal,
        ErrorCode::FlagNotFound => Code::FlagNotFound,
        ErrorCode::ParseError => Code::ParseError,
        ErrorCode::TypeMismatch => Code::TypeMismatch,
        ErrorCode::TargetingKeyMissing => Code::TargetingKeyMissing,
        ErrorCode::InvalidContext => Code::InvalidContext,
        ErrorCode::General => Code::General,
    }
}

/// A binding's outcome as an answer: a waiting bind reports a failed initialization.
fn bound(outcome: Result<(), EvaluationError>) -> OpResult {
    Ok(outcome.map_or_else(
        |error| Answer::InitFailed(code(error.code)),
        |()| Answer::Done,
    ))
}

impl SdkTarget {
    fn evaluate_flag(
        &self,
        flag: &str,
        kind: FlagKind,
        client: &Client,
        context: &EvaluationContext,
        options: &EvaluationOptions,
    ) -> Answer {
        fn render<T>(details: of::EvaluationDetails<T>) -> Answer {
            match (details.error_code, details.variant) {
                (Some(error), _) => Answer::Default(Some(code(error))),
                (None, Some(variant)) => Answer::Variant(variant),
                (None, None) => Answer::Default(None),
            }
        }
        let (context, options) = (Some(context), Some(options));
        match kind {
            FlagKind::Bool => render(client.get_bool_details(flag, false, context, options)),
            FlagKind::Int => render(client.get_int_details(flag, 0, context, options)),
            FlagKind::Float => render(client.get_float_details(flag, 0.0, context, options)),
            FlagKind::String => render(client.get_string_details(flag, "", context, options)),
            FlagKind::Object => render(client.get_object_details(
                flag,
                Value::Struct(Default::default()),
                context,
                options,
            )),
        }
    }
}

impl Apply for SdkTarget {
    fn set_provider(&self, provider: &String, domain: &Option<String>, wait: &bool) -> OpResult {
        let provider: Arc<dyn FeatureProvider> = self.providers[provider].clone();
        match (domain, wait) {
            (None, false) => self.api.set_provider(provider),
            (Some(domain), false) => self.api.set_domain_provider(domain, provider),
            (None, true) => return bound(self.api.set_provider_and_wait(provider)),
            (Some(domain), true) => {
                return bound(self.api.set_domain_provider_and_wait(domain, provider))
            }
        }
        Ok(Answer::Done)
    }

    fn clear_providers(&self) -> OpResult {
        self.api.clear_providers();
        Ok(Answer::Done)
    }

    fn shutdown(&self) -> OpResult {
        self.api.shutdown();
        Ok(Answer::Done)
    }

    fn add_hooks(&self, hooks: &Vec<String>, client: &ClientName) -> OpResult {
        let hooks = self.hook_list(hooks);
        match client {
            Some(_) => self.client(client).add_hooks(hooks),
            None => self.api.add_hooks(hooks),
        }
        Ok(Answer::Done)
    }

    fn clear_hooks(&self, client: &ClientName) -> OpResult {
        match client {
            Some(_) => self.client(client).clear_hooks(),
            None => self.api.clear_hooks(),
        }
        Ok(Answer::Done)
    }

    fn add_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let callback = self.handler(handler);
        let kind = sdk_event_kind(*event);
        let id = match client {
            Some(_) => self.client(client).add_handler(kind, callback),
            None => self.api.add_handler(kind, callback),
        };
        lock(&self.handler_ids)
            .entry((handler.clone(), *event, client.clone()))
            .or_default()
            .push(id);
        Ok(Answer::Done)
    }

    fn remove_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let id = lock(&self.handler_ids)
            .get_mut(&(handler.clone(), *event, client.clone()))
            .and_then(|ids| (!ids.is_empty()).then(|| ids.remove(0)));
        let removed = id.is_some_and(|id| match client {
            Some(_) => self.client(client).remove_handler(id),
            None => self.api.remove_handler(id),
        });
        Ok(if removed {
            Answer::Done
        } else {
            Answer::NotRegistered
        })
    }

    fn emit(&self, provider: &String, event: &EventName) -> OpResult {
        self.providers[provider].emit(*event);
        Ok(Answer::Done)
    }

    fn detach(&self, provider: &String) -> OpResult {
        self.world.provider(provider, |record| record.detach += 1);
        let emitter = lock(&self.providers[provider].emitter).clone();
        if let Some(emitter) = emitter {
            emitter.detach();
        }
        Ok(Answer::Done)
    }

    fn evaluate(
        &self,
        flag: &String,
        flag_type: &FlagKind,
        client: &ClientName,
        context: &BTreeMap<String, String>,
        hooks: &Vec<String>,
    ) -> OpResult {
        let mut options = EvaluationOptions::new();
        options.hooks = self.hook_list(hooks);
        Ok(self.evaluate_flag(
            flag,
            *flag_type,
            self.client(client),
            &context_of(context),
            &options,
        ))
    }

    fn set_context(&self, context: &BTreeMap<String, String>) -> OpResult {
        self.api.set_context(context_of(context));
        Ok(Answer::Done)
    }

    fn update_context(&self, key: &String, value: &String) -> OpResult {
        self.api.update_context(|context| {
            self.reentry.call(&self.world, "update_context's closure");
            context.insert(key.clone(), value.clone());
        });
        Ok(Answer::Done)
    }

    fn set_transaction_context(&self, context: &BTreeMap<String, String>) -> OpResult {
        self.api.set_transaction_context(context_of(context));
        Ok(Answer::Done)
    }

    fn set_propagator(&self, propagator: &String) -> OpResult {
        self.api
            .set_transaction_propagator(Arc::new(TestPropagator {
                name: propagator.clone(),
                world: Arc::clone(&self.world),
                reentry: self.reentry.clone(),
                contexts: Mutex::new(BTreeMap::new()),
            }));
        Ok(Answer::Done)
    }

    fn create_client(&self, domain: &Option<String>) -> OpResult {
        let client = match domain {
            Some(domain) => self.api.domain_client(domain),
            None => self.api.client(),
        };
        Ok(Answer::Client(
            client.domain().unwrap_or("default").to_owned(),
        ))
    }

    fn set_client_context(
        &self,
        context: &BTreeMap<String, String>,
        client: &ClientName,
    ) -> OpResult {
        self.client(client).set_context(context_of(context));
        Ok(Answer::Done)
    }

    fn get_transaction_context(&self) -> OpResult {
        let context = self.api.transaction_context();
        let map = context
            .map(|context| context_map(&context))
            .unwrap_or_default();
        Ok(Answer::Context(crate::ops::render_context(&map)))
    }

    fn get_provider_metadata(&self, domain: &Option<String>) -> OpResult {
        let metadata = self.api.provider_metadata(domain.as_deref());
        Ok(Answer::Provider(super::provider_label(&metadata.name)))
    }

    fn track(&self, event: &String, client: &ClientName) -> OpResult {
        self.client(client).track(event, None, None);
        Ok(Answer::Done)
    }
}

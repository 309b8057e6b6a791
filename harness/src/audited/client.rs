//! `api.py`, the API's hooks and evaluation context, `transaction_context/__init__.py` and
//! `client.py` (`OpenFeatureClient`) of the audited Python SDK. Part of the audited fixture: a
//! faithful model, not production code; never fix the races here.

use super::{Propagator, Prov, Py, PyResult, Status};
use crate::ops::{Answer, Code};
use crate::target::{render_context, variant_text};
use crate::world::ProviderCall;
use std::collections::BTreeMap;

impl Py {
    /// Mirrors api.py clear_providers: the registry's clear, then the event support's clear, as
    /// two separate steps. Exhibits A9: a provider and a handler set between the steps leave the
    /// provider registered and the handler silently removed.
    pub(super) fn api_clear_providers(&self) -> PyResult {
        self.clear_providers()?;
        self.clear_handlers();
        Ok(())
    }

    /// Mirrors hook/__init__.py add_hooks: `_hooks = _hooks + hooks`. Exhibits A7: the read and
    /// the rebind are two statements, so a concurrent add is lost.
    pub(super) fn api_add_hooks(&self, hooks: &[String]) {
        let current = self.stmt("_hooks + hooks (read _hooks)", |s| s.hooks.clone());
        self.stmt("_hooks = (the concatenation)", |s| {
            s.hooks = [current, hooks.to_vec()].concat()
        });
    }

    /// Mirrors hook/__init__.py clear_hooks.
    pub(super) fn api_clear_hooks(&self) {
        self.stmt("_hooks = []", |s| s.hooks.clear());
    }

    /// Mirrors client.py OpenFeatureClient.add_hooks: `self.hooks = self.hooks + hooks`. Exhibits
    /// A8, the same read-concatenate-rebind as A7 on the client.
    pub(super) fn client_add_hooks(&self, client: &str, hooks: &[String]) {
        let current = self.stmt(
            &format!("{client}.hooks + hooks (read {client}.hooks)"),
            |s| s.client_hooks.get(client).cloned().unwrap_or_default(),
        );
        self.stmt(&format!("{client}.hooks = (the concatenation)"), |s| {
            s.client_hooks
                .insert(client.to_owned(), [current, hooks.to_vec()].concat());
        });
    }

    /// Mirrors `client.hooks = []` (the Python client has no clear method; the attribute is
    /// rebound).
    pub(super) fn client_clear_hooks(&self, client: &str) {
        self.stmt(&format!("{client}.hooks = []"), |s| {
            s.client_hooks.insert(client.to_owned(), Vec::new());
        });
    }

    /// Mirrors evaluation_context/__init__.py set_evaluation_context.
    pub(super) fn set_evaluation_context(&self, context: BTreeMap<String, String>) {
        self.stmt(
            &format!("_evaluation_context = {}", render_context(&context)),
            |s| s.evaluation_context = context,
        );
    }

    /// Mirrors the application's only way to add one attribute: `get_evaluation_context()`, then
    /// `set_evaluation_context(ctx + {key: value})`. Exhibits A13: a concurrent update is lost.
    pub(super) fn update_context(&self, key: &str, value: &str) {
        let mut context = self.stmt("ctx = get_evaluation_context()", |s| {
            s.evaluation_context.clone()
        });
        // The application's own code between the two calls, the SDK's closure's counterpart.
        self.reenter("update_context's closure");
        context.insert(key.to_owned(), value.to_owned());
        self.set_evaluation_context(context);
    }

    /// Mirrors transaction_context/__init__.py set_transaction_context_propagator: installs a new
    /// propagator object with empty storage.
    pub(super) fn set_transaction_context_propagator(&self, name: &str) {
        self.stmt(&format!("_propagator = {name}"), |s| {
            s.propagators.push(Propagator::new(name));
            s.propagator = s.propagators.len() - 1;
        });
    }

    /// Mirrors transaction_context/__init__.py set_transaction_context:
    /// `_propagator.set_transaction_context(ctx)`. Exhibits A14: the propagator is read in one
    /// statement and written into in the next, so the write can land in a propagator that a
    /// concurrent `set_transaction_context_propagator` has just replaced.
    pub(super) fn set_transaction_context(&self, context: BTreeMap<String, String>) {
        let actor = self.world.current_actor();
        let (index, name) = self.stmt("_propagator (read)", |s| {
            let name = s
                .propagators
                .get(s.propagator)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            (s.propagator, name)
        });
        self.stmt(
            &format!(
                "{name}.set_transaction_context({})",
                render_context(&context)
            ),
            |s| {
                if let Some(propagator) = s.propagators.get_mut(index) {
                    propagator.storage.insert(actor, context);
                }
            },
        );
    }

    /// Mirrors transaction_context/__init__.py get_transaction_context: reads the propagator,
    /// then the calling thread's entry in its storage.
    pub(super) fn get_transaction_context(&self) -> BTreeMap<String, String> {
        let actor = self.world.current_actor();
        let index = self.stmt("_propagator (read)", |s| s.propagator);
        self.stmt("_propagator.get_transaction_context()", |s| {
            s.propagators
                .get(index)
                .and_then(|propagator| propagator.storage.get(&actor).cloned())
                .unwrap_or_default()
        })
    }

    /// Mirrors client.py OpenFeatureClient.get_provider_status: reads `self.provider`, then that
    /// provider's status, in two statements.
    pub(super) fn client_provider_status(&self, domain: Option<&str>) -> Status {
        let provider = self.stmt("client.provider (get_provider_status)", |s| {
            s.get_provider(domain)
        });
        self.get_provider_status(&provider)
    }

    /// Mirrors client.py OpenFeatureClient.evaluate_flag_details with its
    /// `_establish_hooks_and_provider` and `_assert_provider_status`, in the Python order: capture
    /// the provider, merge the contexts, read the hooks, check the status (returning the default
    /// with the error code, before any before-hook runs), run the before hooks, resolve on the
    /// captured provider. Exhibits A15: the status check re-reads `self.provider`, so it can judge
    /// another provider than the one resolved on; and A6: the captured provider may already be
    /// shut down. The global context (A13) and the transaction context (A14) are read once each.
    pub(super) fn evaluate(
        &self,
        client: &str,
        invocation_context: &BTreeMap<String, String>,
        invocation_hooks: &[String],
    ) -> Answer {
        let domain = self.domain(client);
        let provider = self.stmt("provider = self.provider", |s| s.get_provider(domain));
        let mut context = self.stmt("get_evaluation_context()", |s| s.evaluation_context.clone());
        context.extend(self.get_transaction_context());
        context.extend(self.stmt("self.context", |s| {
            s.client_contexts.get(client).cloned().unwrap_or_default()
        }));
        context.extend(invocation_context.clone());
        let api_hooks = self.stmt("get_hooks()", |s| s.hooks.clone());
        let client_hooks = self.stmt(&format!("{client}.hooks"), |s| {
            s.client_hooks.get(client).cloned().unwrap_or_default()
        });
        match self.client_provider_status(domain) {
            Status::NotReady => return Answer::Default(Some(Code::ProviderNotReady)),
            Status::Fatal => return Answer::Default(Some(Code::ProviderFatal)),
            Status::Ready | Status::Error | Status::Stale => {}
        }
        for hook in api_hooks
            .iter()
            .chain(&client_hooks)
            .chain(invocation_hooks)
        {
            self.reenter(&format!("hook {hook}.before"));
            self.world.hook_called(hook);
        }
        self.resolve(&provider, &context)
    }

    /// The captured provider's resolution (user code). A test provider resolves every flag with a
    /// variant naming itself and the merged context; the no-op provider returns the default with
    /// no variant. The typed value is not modelled: outcomes render the variant only.
    fn resolve(&self, provider: &Prov, context: &BTreeMap<String, String>) -> Answer {
        let Prov::Test(name) = provider else {
            return Answer::Default(None);
        };
        self.reenter(&format!("{name}.resolve"));
        self.world.trace(format!("{name}.resolve()"));
        self.world.note_provider_call(name, ProviderCall::Resolve);
        Answer::Variant(variant_text(name, context))
    }

    /// Mirrors client.py OpenFeatureClient.track: reads `self.provider` once and calls its
    /// `track` (user code), which may run on a provider already shut down (A6, A15); recorded
    /// like a resolution.
    pub(super) fn track(&self, client: &str) {
        let domain = self.domain(client);
        let provider = self.stmt("provider = self.provider", |s| s.get_provider(domain));
        if let Prov::Test(name) = &provider {
            self.reenter(&format!("{name}.track"));
            self.world.trace(format!("{name}.track()"));
            self.world.note_provider_call(name, ProviderCall::Track);
        }
    }
}

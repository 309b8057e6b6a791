//! `api.py`, `hook/__init__.py` (the API hooks), `evaluation_context/__init__.py`,
//! `transaction_context/__init__.py` and `client.py` (`OpenFeatureClient`) of the Python SDK's
//! head, with the few statements the application itself runs. Part of the python-head fixture:
//! a faithful model, not production code; never fix the races here.

use super::{Propagator, Prov, Py, PyResult, Status};
use crate::ops::{Answer, Code};
use crate::target::{render_context, variant_text};
use crate::world::ProviderCall;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Py {
    /// Mirrors api.py set_provider (lines 49-53): the initialization runs on a daemon thread.
    pub(super) fn api_set_provider(
        self: &Arc<Self>,
        provider: &Prov,
        domain: Option<&str>,
    ) -> PyResult {
        match domain {
            None => self.set_default_provider(provider, false),
            Some(domain) => self.set_provider(domain, provider, false),
        }
    }

    /// Mirrors api.py set_provider_and_wait (lines 56-60): the initialization runs inline and
    /// its error is re-raised.
    pub(super) fn api_set_provider_and_wait(
        self: &Arc<Self>,
        provider: &Prov,
        domain: Option<&str>,
    ) -> PyResult {
        match domain {
            None => self.set_default_provider(provider, true),
            Some(domain) => self.set_provider(domain, provider, true),
        }
    }

    /// Mirrors api.py clear_providers (lines 63-65): the registry's clear, then the event
    /// support's clear, as two separate steps with no lock across them (A9).
    pub(super) fn api_clear_providers(&self) -> PyResult {
        self.clear_providers()?;
        self.clear_handlers();
        Ok(())
    }

    /// Mirrors api.py get_provider_metadata (lines 68-69): one unlocked read of the registry,
    /// then the provider's `get_metadata()` (user code); a test provider's metadata is its name.
    pub(super) fn api_get_provider_metadata(&self, domain: Option<&str>) -> Prov {
        let provider = self.get_provider(domain, "api.py:69 get_provider_metadata");
        if let Prov::Test(name) = &provider {
            self.reenter(&format!("{name}.metadata"));
        }
        provider
    }

    /// Mirrors api.py shutdown (lines 72-80): clear_providers, clear_hooks,
    /// clear_evaluation_context, clear_transaction_context_propagator, one after the other with
    /// no lock across them. An exception from clear_providers skips the rest.
    pub(super) fn api_shutdown(&self) -> PyResult {
        self.api_clear_providers()?;
        self.clear_hooks();
        self.clear_evaluation_context();
        self.clear_transaction_context_propagator();
        Ok(())
    }

    /// Mirrors hook/__init__.py add_hooks (lines 156-159): `_hooks = _hooks + hooks` under
    /// `_hooks_lock`. The read and the rebind are still two statements, but every writer takes
    /// the lock, so no add is lost (A7 is fixed).
    pub(super) fn add_hooks(&self, hooks: &[String]) {
        let _lock = self.hooks_lock.acquire(&self.world);
        let current = self.stmt("hook/__init__.py:159 _hooks + hooks (read _hooks)", |s| {
            s.hooks.clone()
        });
        self.stmt("hook/__init__.py:159 _hooks = (the concatenation)", |s| {
            s.hooks = [current, hooks.to_vec()].concat()
        });
    }

    /// Mirrors hook/__init__.py clear_hooks (lines 162-165).
    pub(super) fn clear_hooks(&self) {
        let _lock = self.hooks_lock.acquire(&self.world);
        self.stmt("hook/__init__.py:165 _hooks = []", |s| s.hooks.clear());
    }

    /// Mirrors hook/__init__.py get_hooks (lines 168-169): an unlocked read.
    fn get_hooks(&self, caller: &str) -> Vec<String> {
        self.stmt(
            &format!("hook/__init__.py:169 return _hooks <- {caller}"),
            |s| s.hooks.clone(),
        )
    }

    /// Mirrors evaluation_context/__init__.py get_evaluation_context (lines 44-45): an unlocked
    /// read (the module has no lock).
    pub(super) fn get_evaluation_context(&self, caller: &str) -> BTreeMap<String, String> {
        self.stmt(
            &format!("evaluation_context/__init__.py:45 return _evaluation_context <- {caller}"),
            |s| s.evaluation_context.clone(),
        )
    }

    /// Mirrors evaluation_context/__init__.py set_evaluation_context (lines 48-52).
    pub(super) fn set_evaluation_context(&self, context: BTreeMap<String, String>) {
        self.stmt(
            &format!(
                "evaluation_context/__init__.py:52 _evaluation_context = {}",
                render_context(&context)
            ),
            |s| s.evaluation_context = context,
        );
    }

    /// Mirrors evaluation_context/__init__.py clear_evaluation_context (lines 55-56).
    fn clear_evaluation_context(&self) {
        self.set_evaluation_context(BTreeMap::new());
    }

    /// Mirrors the application's only way to add one attribute: `get_evaluation_context()`, then
    /// `set_evaluation_context(ctx + {key: value})`. Exhibits A13: the head has no atomic update,
    /// so a concurrent update is lost.
    pub(super) fn update_context(&self, key: &str, value: &str) {
        let mut context = self.get_evaluation_context("app: ctx = get_evaluation_context()");
        // The application's own code between the two calls.
        self.reenter("update_context's closure");
        context.insert(key.to_owned(), value.to_owned());
        self.set_evaluation_context(context);
    }

    /// Mirrors transaction_context/__init__.py set_transaction_context_propagator (lines
    /// 29-34): the rebind under `_propagator_lock`.
    pub(super) fn set_transaction_context_propagator(&self, propagator: Propagator) {
        let _lock = self.propagator_lock.acquire(&self.world);
        let label = format!(
            "transaction_context/__init__.py:34 _evaluation_transaction_context_propagator = {}",
            propagator.name
        );
        self.stmt(&label, |s| {
            s.propagators.push(propagator);
            s.propagator = s.propagators.len() - 1;
        });
    }

    /// Mirrors transaction_context/__init__.py clear_transaction_context_propagator (lines
    /// 37-38): installs a `NoOpTransactionContextPropagator`, which forgets what is set.
    fn clear_transaction_context_propagator(&self) {
        self.set_transaction_context_propagator(Propagator::no_op());
    }

    /// Mirrors transaction_context/__init__.py get_transaction_context (lines 41-43): reads the
    /// propagator without the lock, then the calling thread's context in it.
    pub(super) fn get_transaction_context(&self, caller: &str) -> BTreeMap<String, String> {
        let actor = self.world.current_actor();
        let index = self.stmt(
            &format!(
                "transaction_context/__init__.py:42 propagator = \
                 _evaluation_transaction_context_propagator <- {caller}"
            ),
            |s| s.propagator,
        );
        self.stmt(
            "transaction_context/__init__.py:43 return propagator.get_transaction_context()",
            |s| {
                s.propagators
                    .get(index)
                    .filter(|propagator| !propagator.no_op)
                    .and_then(|propagator| propagator.storage.get(&actor).cloned())
                    .unwrap_or_default()
            },
        )
    }

    /// Mirrors transaction_context/__init__.py set_transaction_context (lines 46-49). Exhibits
    /// A14 still: the propagator is read under `_propagator_lock` but written into after the lock
    /// is released, so the write can land in a propagator that a concurrent
    /// `set_transaction_context_propagator` has just replaced.
    pub(super) fn set_transaction_context(&self, context: BTreeMap<String, String>) {
        let actor = self.world.current_actor();
        let (index, name) = {
            let _lock = self.propagator_lock.acquire(&self.world);
            self.stmt(
                "transaction_context/__init__.py:48 propagator = \
                 _evaluation_transaction_context_propagator",
                |s| {
                    let name = s
                        .propagators
                        .get(s.propagator)
                        .map(|p| p.name.clone())
                        .unwrap_or_default();
                    (s.propagator, name)
                },
            )
        };
        self.stmt(
            &format!(
                "transaction_context/__init__.py:49 {name}.set_transaction_context({})",
                render_context(&context)
            ),
            |s| {
                if let Some(propagator) = s.propagators.get_mut(index) {
                    if !propagator.no_op {
                        propagator.storage.insert(actor, context);
                    }
                }
            },
        );
    }

    /// Mirrors client.py OpenFeatureClient.provider (lines 92-94): the registry's get_provider
    /// for the client's domain, traced with the caller's line.
    pub(super) fn client_provider(&self, domain: Option<&str>, caller: &str) -> Prov {
        self.get_provider(domain, caller)
    }

    /// Mirrors client.py OpenFeatureClient.get_provider_status (lines 96-97): reads
    /// `self.provider`, then that provider's status, in two unlocked statements.
    pub(super) fn client_get_provider_status(&self, domain: Option<&str>, caller: &str) -> Status {
        let provider = self.client_provider(
            domain,
            &format!("client.py:97 self.provider <- {caller} client.get_provider_status()"),
        );
        self.get_provider_status(&provider, &format!("client.py:97 <- {caller}"))
    }

    /// Mirrors client.py OpenFeatureClient.add_hooks (lines 102-104): `self.hooks = self.hooks
    /// + hooks` under the client's `_hooks_lock`, so no add is lost (A8 is fixed).
    pub(super) fn client_add_hooks(&self, client: &str, hooks: &[String]) {
        let _lock = self.client_hooks_lock(client).acquire(&self.world);
        let current = self.stmt(
            &format!("client.py:104 {client}.hooks + hooks (read {client}.hooks)"),
            |s| s.client_hooks.get(client).cloned().unwrap_or_default(),
        );
        self.stmt(
            &format!("client.py:104 {client}.hooks = (the concatenation)"),
            |s| {
                s.client_hooks
                    .insert(client.to_owned(), [current, hooks.to_vec()].concat());
            },
        );
    }

    /// Mirrors the application's `client.hooks = []` (the client has no clear method; the
    /// application rebinds the attribute, without the client's lock).
    pub(super) fn client_clear_hooks(&self, client: &str) {
        self.stmt(&format!("app: {client}.hooks = []"), |s| {
            s.client_hooks.insert(client.to_owned(), Vec::new());
        });
    }

    /// Mirrors client.py OpenFeatureClient._establish_hooks_and_provider (lines 401-470):
    /// captures the provider once (line 421), merges the global, transaction, client and
    /// invocation contexts (lines 427-432, each read once) and reads the API and client hooks
    /// (lines 453-458). `provider.get_metadata()` and `provider.get_provider_hooks()` are user
    /// code that, as in `audited`, is not modelled as a step (the test providers have no hooks).
    fn establish_hooks_and_provider(
        &self,
        client: &str,
        invocation_context: &BTreeMap<String, String>,
        invocation_hooks: &[String],
    ) -> (Prov, BTreeMap<String, String>, Vec<String>) {
        let domain = self.domain(client);
        let provider = self.client_provider(domain, "client.py:421 provider = self.provider");
        let mut context = self.get_evaluation_context("client.py:428");
        context.extend(self.get_transaction_context("client.py:429"));
        context.extend(
            self.stmt(&format!("client.py:430 .merge({client}.context)"), |s| {
                s.client_contexts.get(client).cloned().unwrap_or_default()
            }),
        );
        context.extend(invocation_context.clone());
        let mut hooks = self.get_hooks("client.py:454 get_hooks()");
        hooks.extend(self.stmt(&format!("client.py:455 {client}.hooks"), |s| {
            s.client_hooks.get(client).cloned().unwrap_or_default()
        }));
        hooks.extend(invocation_hooks.iter().cloned());
        (provider, context, hooks)
    }

    /// Mirrors client.py OpenFeatureClient._assert_provider_status (lines 472-481): the status
    /// of the captured provider (A15 is fixed: `self.provider` is not re-read), or the error
    /// code that short-circuits the evaluation.
    fn assert_provider_status(&self, provider: &Prov) -> Option<Code> {
        let status = self.get_provider_status(
            provider,
            "client.py:476 status = provider_registry.get_provider_status(provider)",
        );
        match status {
            Status::NotReady => Some(Code::ProviderNotReady),
            Status::Fatal => Some(Code::ProviderFatal),
            Status::Ready | Status::Error | Status::Stale => None,
        }
    }

    /// Mirrors client.py OpenFeatureClient.evaluate_flag_details (lines 738-854): establish
    /// the provider, context and hooks, check the captured provider's status (returning the
    /// default with the error code, before any before-hook runs), run the before hooks (user
    /// code), resolve on the captured provider. The captured provider may have been replaced
    /// and shut down meanwhile (A6): nothing stops the resolve. The error, after and
    /// finally hooks are user code that, as in `audited`, is not recorded.
    pub(super) fn evaluate_flag_details(
        &self,
        client: &str,
        invocation_context: &BTreeMap<String, String>,
        invocation_hooks: &[String],
    ) -> Answer {
        let (provider, context, hooks) =
            self.establish_hooks_and_provider(client, invocation_context, invocation_hooks);
        if let Some(code) = self.assert_provider_status(&provider) {
            return Answer::Default(Some(code));
        }
        for hook in &hooks {
            self.reenter(&format!("hook {hook}.before"));
            self.world.hook_called(hook);
        }
        self.resolve(&provider, &context)
    }

    /// The captured provider's resolution (user code), as in `audited`: a test provider resolves
    /// every flag with a variant naming itself and the merged context; the no-op provider returns
    /// the default with no variant.
    fn resolve(&self, provider: &Prov, context: &BTreeMap<String, String>) -> Answer {
        let Prov::Test(name) = provider else {
            return Answer::Default(None);
        };
        self.reenter(&format!("{name}.resolve"));
        self.world.trace(format!("{name}.resolve()"));
        self.world.note_provider_call(name, ProviderCall::Resolve);
        Answer::Variant(variant_text(name, context))
    }

    /// Mirrors client.py OpenFeatureClient.track (lines 963-988): merges the contexts (each read
    /// once), then reads `self.provider` and calls its `track` (user code), which may run on a
    /// provider already shut down (A6); recorded like a resolution.
    pub(super) fn track(&self, client: &str) {
        let domain = self.domain(client);
        self.get_evaluation_context("client.py:981");
        self.get_transaction_context("client.py:982");
        self.stmt(&format!("client.py:983 .merge({client}.context)"), |s| {
            s.client_contexts.get(client).cloned()
        });
        let provider = self.client_provider(domain, "client.py:986 self.provider.track(...)");
        if let Prov::Test(name) = &provider {
            self.reenter(&format!("{name}.track"));
            self.world.trace(format!("{name}.track()"));
            self.world.note_provider_call(name, ProviderCall::Track);
        }
    }
}

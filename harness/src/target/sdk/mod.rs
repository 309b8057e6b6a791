//! The `sdk` target: the real SDK, built against shuttle's primitives (the
//! `openfeature-sdk-shuttle` twin), driven by a scenario's operations.
//!
//! Test providers, hooks, handlers and propagators here are the harness's user code: they
//! record every call in the world and, in the oracle's whole-operation mode, take the turn so
//! that background work (an initialize on the SDK's thread, a provider's event thread) is one
//! step of its own.

mod apply;
mod user_code;

use super::Target;
use crate::scenario::{EventName, Op};
use crate::world::{FinalState, World};
use of::{Api, Client, EventDetails, HandlerId, Hook, ProviderStatus};
use openfeature_sdk_shuttle as of;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use user_code::{
    context_map, emission_of, event_label, Reentry, TestHook, TestPropagator, TestProvider,
};

/// Which handler registration an id belongs to: handler name, event, client.
type HandlerKey = (String, EventName, Option<String>);

/// The SDK target of one execution.
pub struct SdkTarget {
    world: Arc<World>,
    api: Api,
    providers: BTreeMap<String, Arc<TestProvider>>,
    hooks: BTreeMap<String, Arc<dyn Hook>>,
    clients: BTreeMap<String, Client>,
    /// Handler ids by (handler, event, client) for removal.
    handler_ids: Mutex<BTreeMap<HandlerKey, Vec<HandlerId>>>,
    /// What reentrant user code calls back into.
    reentry: Reentry,
}

impl SdkTarget {
    pub fn new(world: &Arc<World>) -> Self {
        let api = Api::new();
        let scenario = &world.scenario;
        let reentry = Reentry::new(scenario.reenters.then(|| api.clone()));
        let providers = scenario
            .providers
            .iter()
            .map(|(name, spec)| {
                let emit_op = |op: &Op| matches!(op, Op::Emit { provider, .. } if provider == name);
                let provider = TestProvider {
                    name: name.clone(),
                    spec: spec.clone(),
                    world: Arc::clone(world),
                    emitter: Mutex::new(None),
                    may_emit: !spec.emits.is_empty()
                        || scenario.setup.iter().any(emit_op)
                        || scenario.after.iter().any(emit_op)
                        || scenario
                            .threads
                            .iter()
                            .any(|thread| thread.ops.iter().any(emit_op)),
                    reentry: reentry.clone(),
                };
                (name.clone(), Arc::new(provider))
            })
            .collect();
        let hooks = scenario
            .hooks
            .iter()
            .map(|name| {
                let hook: Arc<dyn Hook> = Arc::new(TestHook {
                    name: name.clone(),
                    world: Arc::clone(world),
                    reentry: reentry.clone(),
                });
                (name.clone(), hook)
            })
            .collect();
        let clients = scenario
            .clients
            .iter()
            .map(|(name, spec)| {
                let client = match &spec.domain {
                    Some(domain) => api.domain_client(domain),
                    None => api.client(),
                };
                (name.clone(), client)
            })
            .collect();
        api.set_transaction_propagator(Arc::new(TestPropagator {
            name: "initial".to_owned(),
            world: Arc::clone(world),
            contexts: Mutex::new(BTreeMap::new()),
            reentry: reentry.clone(),
        }));
        Self {
            world: Arc::clone(world),
            api,
            providers,
            hooks,
            clients,
            handler_ids: Mutex::new(BTreeMap::new()),
            reentry,
        }
    }

    fn client(&self, name: &Option<String>) -> &Client {
        let name = name.as_deref().unwrap_or("default");
        &self.clients[name]
    }

    fn hook_list(&self, names: &[String]) -> Vec<Arc<dyn Hook>> {
        names
            .iter()
            .map(|name| Arc::clone(&self.hooks[name]))
            .collect()
    }

    fn hook_names(&self, hooks: &[Arc<dyn Hook>]) -> Vec<String> {
        hooks
            .iter()
            .map(|hook| {
                self.hooks
                    .iter()
                    .find(|(_, known)| std::ptr::addr_eq(Arc::as_ptr(known), Arc::as_ptr(hook)))
                    .map_or_else(|| "?".to_owned(), |(name, _)| name.clone())
            })
            .collect()
    }

    fn handler(&self, name: &str) -> impl Fn(&EventDetails) + Send + Sync + 'static {
        let (world, name) = (Arc::clone(&self.world), name.to_owned());
        let reentry = self.reentry.clone();
        move |details: &EventDetails| {
            reentry.call(&world, &format!("handler {name}"));
            let provider = provider_label(&details.provider_name);
            let emission = emission_of(&details.details);
            world.handler_called(&name, &provider, event_label(details.event), emission);
        }
    }
}

impl Drop for SdkTarget {
    /// Takes the API out of the reentrant user code, which the API owns.
    fn drop(&mut self) {
        self.reentry.clear();
    }
}

fn provider_label(name: &str) -> String {
    if name == "No-op Provider" {
        "noop".to_owned()
    } else {
        name.to_owned()
    }
}

fn status_label(status: ProviderStatus) -> String {
    status.as_str().to_owned()
}

impl Target for SdkTarget {
    fn final_state(&self) -> FinalState {
        let mut state = FinalState::default();
        let slots = std::iter::once(("default".to_owned(), None)).chain(
            self.api
                .bound_domains()
                .into_iter()
                .map(|domain| (domain.clone(), Some(domain))),
        );
        for (slot, domain) in slots {
            let name = provider_label(&self.api.provider_metadata(domain.as_deref()).name);
            state.statuses.insert(
                name.clone(),
                status_label(self.api.provider_status(domain.as_deref())),
            );
            state.bindings.insert(slot, name);
        }
        state.api_hooks = self.hook_names(&self.api.hooks());
        for (name, client) in &self.clients {
            state
                .client_hooks
                .insert(name.clone(), self.hook_names(&client.hooks()));
        }
        state.context = context_map(&self.api.context());
        state
    }

    fn join_background(&self) {
        of::observe::join_background();
    }
}

//! The `audited` target: a faithful model of the audited (pre-fix) OpenFeature Python SDK. It is
//! a fixture, not production code: it exists to reproduce the races A1-A16 of the audit, so never
//! fix the races here.
//!
//! The GIL is one checker mutex around all Python module and object state ([`PyState`]).
//! [`Py::stmt`] takes it for exactly one Python statement that touches shared state, so there is a
//! scheduling point between two statements and none inside one. The two `RLock`s that the audited
//! code does have (`_event_support._global_lock` and `_client_lock`) are separate reentrant locks
//! on top ([`RLock`]). User code (the scenario's test providers, hooks and handlers) runs outside
//! the model lock: it touches only the world's records.
//!
//! Each function's doc comment names the Python function it mirrors and the audit ids it exhibits.
//! Trace labels are the Python statements, abbreviated: `default` is `self._default_provider`,
//! `values()` is `self._providers.values()`, and events are named as handlers record them.
//! `registry.rs` holds `provider/_registry.py` and `AbstractProvider`, `events.rs` holds
//! `_event_support.py`, and `client.rs` holds the API globals, the transaction context and
//! `OpenFeatureClient`.

mod client;
mod events;
mod registry;

use crate::ops::{Answer, Apply, ClientName, OpResult, Raised};
use crate::pymodel::rlock::RLock;
use crate::pymodel::{Prov, PyEvent, Status};
use crate::rt::hold;
use crate::rt::Mutex;
use crate::scenario::{EventName, FlagKind};
use crate::target::Target;
use crate::world::{FinalState, World};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A Python exception that escapes an SDK call, rendered like `KeyError: 'd1'`.
type PyResult<T = ()> = Result<T, String>;

/// A transaction-context propagator object: its storage holds one context per thread.
struct Propagator {
    name: String,
    storage: BTreeMap<String, BTreeMap<String, String>>,
}

impl Propagator {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            storage: BTreeMap::new(),
        }
    }
}

/// Every piece of Python module and object state, guarded by the GIL model lock.
struct PyState {
    /// `ProviderRegistry._providers`: an insertion-ordered dict from domain to provider.
    providers: Vec<(String, Prov)>,
    /// `ProviderRegistry._default_provider`.
    default_provider: Prov,
    /// `ProviderRegistry._provider_status`.
    provider_status: BTreeMap<Prov, Status>,
    /// How many `NoOpProvider()` objects exist, to number the next.
    noops_made: u32,
    /// The provider objects that have the `_on_emit` attribute (`AbstractProvider.attach`).
    on_emit: BTreeSet<Prov>,
    /// The test providers whose event thread has started (their own state, not the SDK's).
    emitters_started: BTreeSet<Prov>,
    /// `_event_support._global_handlers`.
    global_handlers: BTreeMap<PyEvent, Vec<String>>,
    /// `_event_support._client_handlers`: an insertion-ordered dict keyed by client.
    client_handlers: Vec<(String, BTreeMap<PyEvent, Vec<String>>)>,
    /// `hook._hooks`: the API hooks.
    hooks: Vec<String>,
    /// `evaluation_context._evaluation_context`: the global context's attributes.
    evaluation_context: BTreeMap<String, String>,
    /// Each client's `self.hooks`, by client name.
    client_hooks: BTreeMap<String, Vec<String>>,
    /// Each client's `self.context`, by client name (absent: the empty context).
    client_contexts: BTreeMap<String, BTreeMap<String, String>>,
    /// Every propagator object installed so far; `propagator` indexes the one installed now.
    propagators: Vec<Propagator>,
    propagator: usize,
}

impl PyState {
    /// `domain in self._providers`, returning the bound provider.
    fn slot(&self, domain: &str) -> Option<&Prov> {
        self.providers
            .iter()
            .find(|(bound, _)| bound == domain)
            .map(|(_, provider)| provider)
    }

    /// `provider in self._providers.values()`.
    fn bound(&self, provider: &Prov) -> bool {
        self.providers.iter().any(|(_, bound)| bound == provider)
    }

    /// `self._providers.get(domain, self._default_provider)`.
    fn get_provider(&self, domain: Option<&str>) -> Prov {
        domain
            .and_then(|domain| self.slot(domain))
            .unwrap_or(&self.default_provider)
            .clone()
    }

    /// `self._provider_status.get(provider, ProviderStatus.NOT_READY)`.
    fn status_of(&self, provider: &Prov) -> Status {
        self.provider_status
            .get(provider)
            .copied()
            .unwrap_or(Status::NotReady)
    }

    /// `self._providers[domain] = provider`: replaces in place, or appends a new key.
    fn store(&mut self, domain: &str, provider: Prov) {
        match self.providers.iter_mut().find(|(bound, _)| bound == domain) {
            Some(entry) => entry.1 = provider,
            None => self.providers.push((domain.to_owned(), provider)),
        }
    }

    /// `_client_handlers[client]`, created on first use as a `defaultdict` does.
    fn client_entry(&mut self, client: &str) -> &mut BTreeMap<PyEvent, Vec<String>> {
        let index = match self
            .client_handlers
            .iter()
            .position(|(known, _)| known == client)
        {
            Some(index) => index,
            None => {
                self.client_handlers
                    .push((client.to_owned(), BTreeMap::new()));
                self.client_handlers.len() - 1
            }
        };
        &mut self.client_handlers[index].1
    }
}

/// The Python interpreter of one execution: the state behind the GIL and the event-support locks.
struct Py {
    world: Arc<World>,
    gil: Mutex<PyState>,
    global_lock: RLock,
    client_lock: RLock,
    /// Each declared client's domain (`None` for the default domain).
    clients: BTreeMap<String, Option<String>>,
}

impl Py {
    /// The call back into the API that user code makes in a scenario with `reenters = true`
    /// (a provider method, a hook, a handler), traced as `who` calling it: `api.add_hooks([])`,
    /// which Python runs as `_hooks = _hooks + []`. Its locks are reentrant `RLock`s.
    fn reenter(&self, who: &str) {
        if self.world.scenario.reenters {
            self.world.trace(format!("{who} calls add_hooks([])"));
            self.api_add_hooks(&[]);
        }
    }

    /// Runs one Python statement that touches shared state, atomically as the GIL makes it. The
    /// trace line is written once the GIL is held (acquiring it is the scheduling point), so the
    /// trace lists statements in the order they took effect.
    fn stmt<R>(&self, label: &str, f: impl FnOnce(&mut PyState) -> R) -> R {
        let mut state = hold(&self.gil);
        self.world.trace(format!("py {label}"));
        f(&mut state)
    }

    /// A client's domain; an undeclared name is the default client.
    fn domain(&self, client: &str) -> Option<&str> {
        self.clients.get(client).and_then(Option::as_deref)
    }
}

/// The audited Python SDK of one execution.
pub struct AuditedTarget {
    py: Arc<Py>,
}

impl AuditedTarget {
    pub fn new(world: &Arc<World>) -> Self {
        let mut clients: BTreeMap<String, Option<String>> = world
            .scenario
            .clients
            .iter()
            .map(|(name, spec)| (name.clone(), spec.domain.clone()))
            .collect();
        clients.entry("default".to_owned()).or_insert(None);
        let state = PyState {
            providers: Vec::new(),
            default_provider: Prov::NoOp(0),
            provider_status: BTreeMap::from([(Prov::NoOp(0), Status::Ready)]),
            noops_made: 0,
            on_emit: BTreeSet::new(),
            emitters_started: BTreeSet::new(),
            global_handlers: BTreeMap::new(),
            client_handlers: Vec::new(),
            hooks: Vec::new(),
            evaluation_context: BTreeMap::new(),
            client_hooks: clients
                .keys()
                .map(|name| (name.clone(), Vec::new()))
                .collect(),
            client_contexts: BTreeMap::new(),
            // Python's default propagator is a no-op that forgets what is set. The model starts
            // with a thread-keyed one instead, as the sdk target does, so that setting and reading
            // a transaction context works before any `set_propagator`.
            propagators: vec![Propagator::new("initial")],
            propagator: 0,
        };
        let py = Py {
            world: Arc::clone(world),
            gil: Mutex::new(state),
            global_lock: RLock::new("_global_lock"),
            client_lock: RLock::new("_client_lock"),
            clients,
        };
        Self { py: Arc::new(py) }
    }
}

/// A Python call's outcome as an answer: returning is `ok`, an exception escapes.
fn done(result: PyResult) -> OpResult {
    result.map(|()| Answer::Done).map_err(Raised)
}

fn client_name(client: &ClientName) -> &str {
    client.as_deref().unwrap_or("default")
}

impl Apply for AuditedTarget {
    /// Python's set_provider is synchronous: it initializes the provider before it returns, so
    /// `wait = false` behaves like `wait = true`. It also swallows an initialization error into a
    /// PROVIDER_ERROR event, so the answer is `ok` either way.
    fn set_provider(&self, provider: &String, domain: &Option<String>, _wait: &bool) -> OpResult {
        let provider = Prov::Test(provider.clone());
        done(match domain {
            Some(domain) => self.py.set_provider(domain, &provider),
            None => self.py.set_default_provider(&provider),
        })
    }

    fn clear_providers(&self) -> OpResult {
        done(self.py.api_clear_providers())
    }

    fn shutdown(&self) -> OpResult {
        done(self.py.shutdown())
    }

    fn add_hooks(&self, hooks: &Vec<String>, client: &ClientName) -> OpResult {
        match client {
            Some(client) => self.py.client_add_hooks(client, hooks),
            None => self.py.api_add_hooks(hooks),
        }
        Ok(Answer::Done)
    }

    fn clear_hooks(&self, client: &ClientName) -> OpResult {
        match client {
            Some(client) => self.py.client_clear_hooks(client),
            None => self.py.api_clear_hooks(),
        }
        Ok(Answer::Done)
    }

    fn add_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let event = PyEvent::of(*event).0;
        match client {
            Some(client) => self.py.add_client_handler(client, event, handler),
            None => self.py.add_global_handler(event, handler),
        }
        Ok(Answer::Done)
    }

    fn remove_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let event = PyEvent::of(*event).0;
        done(match client {
            Some(client) => self.py.remove_client_handler(client, event, handler),
            None => self.py.remove_global_handler(event, handler),
        })
    }

    fn emit(&self, provider: &String, event: &EventName) -> OpResult {
        done(self.py.emit(provider, *event))
    }

    fn detach(&self, provider: &String) -> OpResult {
        done(self.py.detach(&Prov::Test(provider.clone())))
    }

    fn evaluate(
        &self,
        _flag: &String,
        _flag_type: &FlagKind,
        client: &ClientName,
        context: &BTreeMap<String, String>,
        hooks: &Vec<String>,
    ) -> OpResult {
        Ok(self.py.evaluate(client_name(client), context, hooks))
    }

    fn set_context(&self, context: &BTreeMap<String, String>) -> OpResult {
        self.py.set_evaluation_context(context.clone());
        Ok(Answer::Done)
    }

    fn update_context(&self, key: &String, value: &String) -> OpResult {
        self.py.update_context(key, value);
        Ok(Answer::Done)
    }

    fn set_transaction_context(&self, context: &BTreeMap<String, String>) -> OpResult {
        self.py.set_transaction_context(context.clone());
        Ok(Answer::Done)
    }

    fn set_propagator(&self, propagator: &String) -> OpResult {
        self.py.set_transaction_context_propagator(propagator);
        Ok(Answer::Done)
    }

    /// api.get_client(domain) makes a new client object and touches no shared state.
    fn create_client(&self, domain: &Option<String>) -> OpResult {
        Ok(Answer::Client(
            domain.as_deref().unwrap_or("default").to_owned(),
        ))
    }

    /// The application's `client.context = ctx`: one statement.
    fn set_client_context(
        &self,
        context: &BTreeMap<String, String>,
        client: &ClientName,
    ) -> OpResult {
        let client = client_name(client);
        let label = format!("{client}.context = {}", crate::ops::render_context(context));
        self.py.stmt(&label, |s| {
            s.client_contexts.insert(client.to_owned(), context.clone());
        });
        Ok(Answer::Done)
    }

    /// transaction_context/__init__.py get_transaction_context, as the application calls it.
    fn get_transaction_context(&self) -> OpResult {
        let context = self.py.get_transaction_context();
        Ok(Answer::Context(crate::ops::render_context(&context)))
    }

    /// api.py get_provider_metadata: `provider_registry.get_provider(domain).get_metadata()`,
    /// one unlocked read of the registry; a test provider's metadata is its name.
    fn get_provider_metadata(&self, domain: &Option<String>) -> OpResult {
        let provider = self.py.stmt("provider_registry.get_provider(domain)", |s| {
            s.get_provider(domain.as_deref())
        });
        if let Prov::Test(name) = &provider {
            self.py.reenter(&format!("{name}.metadata"));
        }
        Ok(Answer::Provider(provider.name().to_owned()))
    }

    fn track(&self, _event: &String, client: &ClientName) -> OpResult {
        self.py.track(client_name(client));
        Ok(Answer::Done)
    }
}

impl Target for AuditedTarget {
    fn final_state(&self) -> FinalState {
        let state = hold(&self.py.gil);
        let mut result = FinalState::default();
        let slots = std::iter::once(("default", &state.default_provider)).chain(
            state
                .providers
                .iter()
                .map(|(domain, provider)| (domain.as_str(), provider)),
        );
        for (slot, provider) in slots {
            let name = provider.name().to_owned();
            result
                .statuses
                .insert(name.clone(), state.status_of(provider).as_str().to_owned());
            result.bindings.insert(slot.to_owned(), name);
        }
        result.api_hooks = state.hooks.clone();
        result.client_hooks = self
            .py
            .clients
            .keys()
            .map(|name| {
                (
                    name.clone(),
                    state.client_hooks.get(name).cloned().unwrap_or_default(),
                )
            })
            .collect();
        result.context = state.evaluation_context.clone();
        result
    }

    /// Nothing to join: the model starts no threads of its own, and the runner joins the world's
    /// background threads (the test providers' event threads).
    fn join_background(&self) {}
}

//! The `python-head` target: a faithful model of the OpenFeature Python SDK at commit 371aca1,
//! the head after "fix: thread safety issues (#614)" (`/work/shared/python-sdk-head/`: the files
//! `provider/_registry.py`, `provider/__init__.py`, `_event_support.py`, `api.py`, `client.py`,
//! `hook/__init__.py`, `evaluation_context/__init__.py` and `transaction_context/__init__.py`).
//! Like `audited`, it is a fixture, not production code: it exists to show which races of the
//! audit the fix left and which it added, so never fix the races here.
//!
//! The GIL is modelled exactly as in `audited`: one checker mutex around all Python module and
//! object state ([`PyState`]); [`Py::stmt`] takes it for exactly one Python statement that
//! touches shared state, so there is a scheduling point between two statements and none inside
//! one. Every trace label is that statement, abbreviated (`default` is
//! `self._default_provider`, `values()` is `self._providers.values()`), prefixed with the head's
//! file and line (`_registry.py:39 old_provider = self._providers.get('d1')`), so a replayed race
//! points at the Python line. Statements of the application itself (`client.hooks = []`) are
//! prefixed `app:`. A `read` of a callee's statement names the caller after `<-`.
//!
//! The head's `threading.RLock`s are reentrant locks on top of the GIL ([`RLock`], shared with
//! `audited` in `pymodel/`): `ProviderRegistry._lock`,
//! `_event_support._global_lock` and `_client_lock`, `hook._hooks_lock`, each client's
//! `self._hooks_lock` (one per declared client: the scenario's client names are its client
//! objects) and `transaction_context._propagator_lock`. `evaluation_context` has no lock. The
//! statements inside a `with lock:` block are still separate GIL steps; the lock acquisition is
//! traced by the lock (`lock _lock`), the statements after it carry their lines.
//!
//! User code (the scenario's test providers, hooks and handlers) runs outside the GIL and every
//! lock, and touches only the world's records; it behaves exactly as in `audited` (the same
//! `initialize`, `shutdown`, event thread and reentrant `add_hooks([])`), so the two models'
//! outcomes compare.
//!
//! Threads the head starts:
//! - `threading.Thread(..., daemon=True)` for `_run_initialize` (unless `wait_for_init`) and for
//!   `_shutdown_provider(abort_if_re_registered=True)` (`_shutdown_if_unused`): each is a world
//!   background thread (`daemon{n}.init(p0)`, `daemon{n}.shutdown(p0)`) whose whole body is one
//!   background step (`p0.initialize()`, `p0.shutdown()`), as the emission thread's events are.
//! - `_event_support._event_executor`, a `ThreadPoolExecutor`: modelled with at most two
//!   workers pulling from one FIFO queue, which is enough for two handler runs to overtake each
//!   other. The queue and the number of live workers are GIL state. `_submit_handler` pushes the
//!   work item and, in the same statement, decides to start a worker when fewer than two are
//!   alive (Python's `submit` + `_adjust_thread_count`); a worker (`executor.worker{n}`) loops:
//!   in one statement it pops the front item or, the queue being empty, counts itself gone and
//!   exits; then, after the statement of `_WorkItem.run` that marks the item's future running
//!   (where the other worker may overtake it), it runs the handler (user code, outside the GIL)
//!   as a background step `handler h`. Python's workers block on the empty queue forever instead; exiting when idle
//!   is the modelling choice that lets every execution end, and deciding pop-or-exit and
//!   spawn-or-not under the same lock means no item is ever stranded. Python starts a worker
//!   only when none is idle (its idle semaphore) and keeps up to `min(32, cpus + 4)` of them;
//!   the model's workers are never idle while alive, so it may start the second worker a little
//!   earlier than Python would, and never starts a third.
//!
//! All of these are world background threads (`World::spawn_background`), which the runner
//! joins, including ones started while it joins.
//!
//! `registry.rs` holds `provider/_registry.py` and `AbstractProvider` (with the test providers'
//! own code), `events.rs` holds `_event_support.py` and the executor, and `client.rs` holds
//! `api.py`, the hooks, the evaluation and transaction contexts and `OpenFeatureClient`.

mod client;
mod events;
mod registry;

use crate::ops::{Answer, Apply, ClientName, Code, OpResult, Raised};
use crate::pymodel::rlock::RLock;
use crate::pymodel::{Prov, PyEvent, Status};
use crate::rt::hold;
use crate::rt::Mutex;
use crate::scenario::{EventName, FlagKind};
use crate::target::Target;
use crate::world::{FinalState, World};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// How an SDK call ends abnormally.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Exc {
    /// `set_provider_and_wait` re-raising the provider's initialization error (its
    /// `raise_on_error`), with the error code of its PROVIDER_ERROR event: the documented
    /// outcome of a waiting bind, answered as `error CODE` like the sdk target's.
    InitFailed(Code),
    /// Any other exception escaping the call, rendered like `AttributeError: _on_emit`.
    Raised(String),
}

/// A Python call's outcome.
type PyResult<T = ()> = Result<T, Exc>;

/// A transaction-context propagator object: its storage holds one context per thread. The
/// `NoOpTransactionContextPropagator` that `api.shutdown` installs forgets what is set.
struct Propagator {
    name: String,
    no_op: bool,
    storage: BTreeMap<String, BTreeMap<String, String>>,
}

impl Propagator {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            no_op: false,
            storage: BTreeMap::new(),
        }
    }

    fn no_op() -> Self {
        Self {
            name: "NoOpTransactionContextPropagator".to_owned(),
            no_op: true,
            storage: BTreeMap::new(),
        }
    }
}

/// One `_event_executor.submit(_run_handler, handler, details)` work item: the handler and what
/// its `EventDetails` carry (the provider's name and the event), with the number of the test
/// provider's emission that dispatched it (`None` for the SDK's own events and immediate runs).
#[derive(Clone, Debug)]
struct WorkItem {
    handler: String,
    provider: String,
    event: PyEvent,
    emission: Option<usize>,
}

/// The most executor workers alive at once (Python's `max_workers` is larger; two suffice for
/// handler runs to overtake each other).
const MAX_WORKERS: usize = 2;

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
    /// `_event_executor._work_queue`.
    work_queue: VecDeque<WorkItem>,
    /// The executor's workers alive (started and not yet exited).
    workers_alive: usize,
    /// The executor's workers started so far, to name the next.
    workers_made: u32,
    /// `hook._hooks`: the API hooks.
    hooks: Vec<String>,
    /// `evaluation_context._evaluation_context`: the global context's attributes.
    evaluation_context: BTreeMap<String, String>,
    /// Each client's `self.hooks`, by client name.
    client_hooks: BTreeMap<String, Vec<String>>,
    /// Each client's `self.context`, by client name (absent: the empty context).
    client_contexts: BTreeMap<String, BTreeMap<String, String>>,
    /// Every propagator object installed so far; `propagator` indexes
    /// `_evaluation_transaction_context_propagator`.
    propagators: Vec<Propagator>,
    propagator: usize,
}

impl PyState {
    /// `self._providers.get(domain)`.
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

    /// `provider is self._default_provider or provider in self._providers.values()`.
    fn registered(&self, provider: &Prov) -> bool {
        self.default_provider == *provider || self.bound(provider)
    }

    /// `ProviderRegistry.get_provider(domain)`.
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

/// The Python interpreter of one execution: the state behind the GIL and the head's `RLock`s.
struct Py {
    world: Arc<World>,
    gil: Mutex<PyState>,
    /// `ProviderRegistry._lock`.
    registry_lock: RLock,
    /// `_event_support._global_lock`.
    global_lock: RLock,
    /// `_event_support._client_lock`.
    client_lock: RLock,
    /// `hook._hooks_lock`.
    hooks_lock: RLock,
    /// Each client's `self._hooks_lock`, by client name.
    client_hooks_locks: BTreeMap<String, RLock>,
    /// `transaction_context._propagator_lock`.
    propagator_lock: RLock,
    /// Each declared client's domain (`None` for the default domain).
    clients: BTreeMap<String, Option<String>>,
    /// `threading.Thread` objects made so far, to name the next daemon thread (Python's own
    /// thread counter; not shared state of the SDK).
    threads_made: AtomicU32,
}

impl Py {
    /// The call back into the API that user code makes in a scenario with `reenters = true`
    /// (a provider method, a hook, a handler), traced as `who` calling it: `api.add_hooks([])`,
    /// which takes the reentrant `_hooks_lock`.
    fn reenter(&self, who: &str) {
        if self.world.scenario.reenters {
            self.world.trace(format!("{who} calls add_hooks([])"));
            self.add_hooks(&[]);
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

    /// The client's `self._hooks_lock`; an undeclared client shares the default client's.
    fn client_hooks_lock(&self, client: &str) -> &RLock {
        self.client_hooks_locks
            .get(client)
            .or_else(|| self.client_hooks_locks.get("default"))
            .expect("the default client is always declared")
    }

    /// The name of the next `threading.Thread(target=..., daemon=True)`: `daemon{n}.{what}`.
    fn next_daemon(&self, what: &str) -> String {
        let number = self.threads_made.fetch_add(1, Ordering::Relaxed) + 1;
        format!("daemon{number}.{what}")
    }
}

/// The Python SDK at its head (371aca1), for one execution.
pub struct PythonHeadTarget {
    py: Arc<Py>,
}

impl PythonHeadTarget {
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
            work_queue: VecDeque::new(),
            workers_alive: 0,
            workers_made: 0,
            hooks: Vec::new(),
            evaluation_context: BTreeMap::new(),
            client_hooks: clients
                .keys()
                .map(|name| (name.clone(), Vec::new()))
                .collect(),
            client_contexts: BTreeMap::new(),
            // Python's default propagator is a no-op that forgets what is set. The model starts
            // with a thread-keyed one instead, as `audited` and the sdk target do, so that
            // setting and reading a transaction context works before any `set_propagator`.
            propagators: vec![Propagator::new("initial")],
            propagator: 0,
        };
        let py = Py {
            world: Arc::clone(world),
            gil: Mutex::new(state),
            registry_lock: RLock::new("ProviderRegistry._lock"),
            global_lock: RLock::new("_global_lock"),
            client_lock: RLock::new("_client_lock"),
            hooks_lock: RLock::new("hook._hooks_lock"),
            client_hooks_locks: clients
                .keys()
                .map(|name| (name.clone(), RLock::new("client._hooks_lock")))
                .collect(),
            propagator_lock: RLock::new("_propagator_lock"),
            clients,
            threads_made: AtomicU32::new(0),
        };
        Self { py: Arc::new(py) }
    }
}

/// A Python call's outcome as an answer: returning is `ok`; a waiting bind's re-raised
/// initialization error is `error CODE`; any other exception escapes.
fn done(result: PyResult) -> OpResult {
    match result {
        Ok(()) => Ok(Answer::Done),
        Err(Exc::InitFailed(code)) => Ok(Answer::InitFailed(code)),
        Err(Exc::Raised(text)) => Err(Raised(text)),
    }
}

fn client_name(client: &ClientName) -> &str {
    client.as_deref().unwrap_or("default")
}

impl Apply for PythonHeadTarget {
    /// api.py set_provider (`wait = false`: the initialization runs on a daemon thread and the
    /// call returns `ok` at once) or set_provider_and_wait (`wait = true`: it runs inline and a
    /// failure is re-raised, answered `error CODE`, unless the provider was replaced meanwhile).
    fn set_provider(&self, provider: &String, domain: &Option<String>, wait: &bool) -> OpResult {
        let provider = Prov::Test(provider.clone());
        done(if *wait {
            self.py
                .api_set_provider_and_wait(&provider, domain.as_deref())
        } else {
            self.py.api_set_provider(&provider, domain.as_deref())
        })
    }

    fn clear_providers(&self) -> OpResult {
        done(self.py.api_clear_providers())
    }

    /// api.py shutdown: clear_providers, clear_hooks, clear_evaluation_context,
    /// clear_transaction_context_propagator.
    fn shutdown(&self) -> OpResult {
        done(self.py.api_shutdown())
    }

    fn add_hooks(&self, hooks: &Vec<String>, client: &ClientName) -> OpResult {
        match client {
            Some(client) => self.py.client_add_hooks(client, hooks),
            None => self.py.add_hooks(hooks),
        }
        Ok(Answer::Done)
    }

    fn clear_hooks(&self, client: &ClientName) -> OpResult {
        match client {
            Some(client) => self.py.client_clear_hooks(client),
            None => self.py.clear_hooks(),
        }
        Ok(Answer::Done)
    }

    /// api.py add_handler (lines 83-84) or client.py OpenFeatureClient.add_handler (lines
    /// 957-958), each one call of `_event_support`.
    fn add_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let event = PyEvent::of(*event).0;
        match client {
            Some(client) => self.py.add_client_handler(client, event, handler),
            None => self.py.add_global_handler(event, handler),
        }
        Ok(Answer::Done)
    }

    /// api.py remove_handler (lines 87-88) or client.py OpenFeatureClient.remove_handler (lines
    /// 960-961). A handler that is not registered raises `ValueError`, as `list.remove` does.
    fn remove_handler(&self, handler: &String, event: &EventName, client: &ClientName) -> OpResult {
        let event = PyEvent::of(*event).0;
        done(match client {
            Some(client) => self.py.remove_client_handler(client, event, handler),
            None => self.py.remove_global_handler(event, handler),
        })
    }

    /// The test provider's code calls `AbstractProvider.emit`, which cannot raise at the head.
    fn emit(&self, provider: &String, event: &EventName) -> OpResult {
        self.py.emit(provider, *event);
        Ok(Answer::Done)
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
        Ok(self
            .py
            .evaluate_flag_details(client_name(client), context, hooks))
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
        self.py
            .set_transaction_context_propagator(Propagator::new(propagator));
        Ok(Answer::Done)
    }

    /// api.py get_client (lines 43-46) makes a new client object (with its own
    /// `_hooks_lock`) and touches no shared state.
    fn create_client(&self, domain: &Option<String>) -> OpResult {
        Ok(Answer::Client(
            domain.as_deref().unwrap_or("default").to_owned(),
        ))
    }

    /// The application's `client.context = ctx`: one statement, no lock.
    fn set_client_context(
        &self,
        context: &BTreeMap<String, String>,
        client: &ClientName,
    ) -> OpResult {
        let client = client_name(client);
        let label = format!(
            "app: {client}.context = {}",
            crate::ops::render_context(context)
        );
        self.py.stmt(&label, |s| {
            s.client_contexts.insert(client.to_owned(), context.clone());
        });
        Ok(Answer::Done)
    }

    /// transaction_context/__init__.py get_transaction_context, as the application calls it.
    fn get_transaction_context(&self) -> OpResult {
        let context = self.py.get_transaction_context("app");
        Ok(Answer::Context(crate::ops::render_context(&context)))
    }

    fn get_provider_metadata(&self, domain: &Option<String>) -> OpResult {
        let provider = self.py.api_get_provider_metadata(domain.as_deref());
        Ok(Answer::Provider(provider.name().to_owned()))
    }

    fn track(&self, _event: &String, client: &ClientName) -> OpResult {
        self.py.track(client_name(client));
        Ok(Answer::Done)
    }
}

impl Target for PythonHeadTarget {
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

    /// Nothing to join: every thread the model starts (the daemon initialize and shutdown
    /// threads, the executor's workers) and the test providers' event threads are world
    /// background threads, which the runner joins, including ones started while it joins.
    fn join_background(&self) {}
}

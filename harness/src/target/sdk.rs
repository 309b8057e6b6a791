//! The `sdk` target: the real SDK, built against shuttle's primitives (the
//! `openfeature-sdk-shuttle` twin), driven by a scenario's operations.
//!
//! Test providers, hooks, handlers and propagators here are the harness's user code: they
//! record every call in the world and, in the oracle's whole-operation mode, take the turn so
//! that background work (an initialize on the SDK's thread, a provider's event thread) is one
//! step of its own.

use super::{render_context, Target};
use crate::scenario::{EventName, FlagKind, InitBehaviour, Op, ProviderSpec};
use crate::world::{FinalState, World};
use of::{
    Api, Client, ErrorCode, EvaluationContext, EvaluationError, EvaluationOptions, EventDetails,
    EventEmitter, FeatureProvider, HandlerId, Hook, HookContext, HookData, HookHints,
    ProviderEvent, ProviderEventDetails, ProviderMetadata, ProviderStatus, ResolutionDetails,
    ResolutionResult, TransactionContextPropagator, Value,
};
use openfeature_sdk_shuttle as of;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A scenario provider: counts lifecycle calls and behaves as its spec says.
struct TestProvider {
    name: String,
    spec: ProviderSpec,
    world: Arc<World>,
    emitter: Mutex<Option<EventEmitter>>,
    /// Whether anything in the scenario emits through this provider (its event thread or an
    /// `emit` operation): only then is its `attach` a step apart from its `initialize`.
    may_emit: bool,
}

impl TestProvider {
    fn resolved<T>(&self, value: T, context: &EvaluationContext) -> ResolutionResult<T> {
        self.world.trace(format!("{}.resolve()", self.name));
        self.world.note_resolve(&self.name);
        Ok(ResolutionDetails::new(value).with_variant(format!(
            "{} ctx{}",
            self.name,
            render_context(&context_map(context))
        )))
    }

    fn emit(&self, event: EventName) {
        self.world
            .trace(format!("{}.emit({})", self.name, event.as_str()));
        self.world.provider(&self.name, |record| record.emits += 1);
        let emitter = self
            .emitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(emitter) = emitter {
            let (event, details) = sdk_event(event);
            emitter.emit(event, details);
        }
    }
}

fn sdk_event(event: EventName) -> (ProviderEvent, ProviderEventDetails) {
    let details = ProviderEventDetails::default();
    match event {
        EventName::Ready => (ProviderEvent::Ready, details),
        EventName::Error => (ProviderEvent::Error, details.with_message("emitted error")),
        EventName::Fatal => (
            ProviderEvent::Error,
            details.with_error_code(ErrorCode::ProviderFatal),
        ),
        EventName::Stale => (ProviderEvent::Stale, details),
        EventName::ConfigurationChanged => (ProviderEvent::ConfigurationChanged, details),
    }
}

fn sdk_event_kind(event: EventName) -> ProviderEvent {
    sdk_event(event).0
}

fn event_label(event: ProviderEvent) -> &'static str {
    match event {
        ProviderEvent::Ready => "ready",
        ProviderEvent::Error => "error",
        ProviderEvent::Stale => "stale",
        ProviderEvent::ConfigurationChanged => "configuration_changed",
    }
}

fn context_map(context: &EvaluationContext) -> BTreeMap<String, String> {
    context
        .attributes()
        .iter()
        .map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), text)
        })
        .collect()
}

fn context_of(map: &BTreeMap<String, String>) -> EvaluationContext {
    let mut context = EvaluationContext::new();
    for (key, value) in map {
        context.insert(key.clone(), value.clone());
    }
    context
}

impl FeatureProvider for TestProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new(self.name.clone())
    }

    fn attach(&self, emitter: EventEmitter) {
        // The SDK attaches a provider right before it initializes it (`attach_and_initialize`),
        // on the thread that initializes: the initialization step begins here, after the
        // binding. A provider that emits may do so between its `attach` and the end of its
        // `initialize`, so for one that may, attaching is a step of its own. (For one that
        // cannot, a boundary there would add orders of steps that no outcome tells apart, and
        // multiply the sequential executions the oracle explores.)
        self.world.background_step();
        let step = if self.may_emit {
            "attach"
        } else {
            "initialize"
        };
        self.world.begin_step(&format!("{}.{step}()", self.name));
        self.world.trace(format!("{}.attach()", self.name));
        self.world.provider(&self.name, |record| record.attach += 1);
        *self.emitter.lock().unwrap_or_else(|p| p.into_inner()) = Some(emitter.clone());
        if !self.spec.emits.is_empty() {
            let (world, events, name) = (
                Arc::clone(&self.world),
                self.spec.emits.clone(),
                self.name.clone(),
            );
            self.world
                .spawn_background(&format!("{name}.events"), move || {
                    for event in events {
                        let _turn = world.turn();
                        let emitted = format!("{name}.emit({})", event.as_str());
                        world.begin_step(&emitted);
                        world.trace(emitted);
                        world.provider(&name, |record| record.emits += 1);
                        let (event, details) = sdk_event(event);
                        emitter.emit(event, details);
                    }
                });
        }
    }

    fn initialize(&self, _context: &EvaluationContext) -> Result<(), EvaluationError> {
        // The initialization step lasts until the SDK has finished with it (the provider's
        // status and READY event): the end of the operation or of the initialization thread.
        if self.may_emit {
            self.world.background_step();
            self.world
                .begin_step(&format!("{}.initialize()", self.name));
        }
        self.world.trace(format!("{}.initialize()", self.name));
        self.world.note_init(&self.name);
        for _ in 0..self.spec.init_steps {
            crate::rt::scheduling_point();
        }
        let outcome = match self.spec.init {
            InitBehaviour::Succeeds => Ok(()),
            InitBehaviour::Fails => Err(EvaluationError::new(ErrorCode::General, "init failed")),
            InitBehaviour::Fatal => {
                Err(EvaluationError::new(ErrorCode::ProviderFatal, "init fatal"))
            }
            InitBehaviour::Panics => panic!("{} initialize panics on purpose", self.name),
        };
        if outcome.is_ok() {
            self.world
                .provider(&self.name, |record| record.init_ok += 1);
        }
        outcome
    }

    fn shutdown(&self) {
        self.world.trace(format!("{}.shutdown()", self.name));
        self.world.note_shutdown(&self.name);
    }

    fn resolve_bool(
        &self,
        _: &str,
        _: bool,
        context: &EvaluationContext,
    ) -> ResolutionResult<bool> {
        self.resolved(true, context)
    }
    fn resolve_int(&self, _: &str, _: i64, context: &EvaluationContext) -> ResolutionResult<i64> {
        self.resolved(1, context)
    }
    fn resolve_float(&self, _: &str, _: f64, context: &EvaluationContext) -> ResolutionResult<f64> {
        self.resolved(1.0, context)
    }
    fn resolve_string(
        &self,
        _: &str,
        _: &str,
        context: &EvaluationContext,
    ) -> ResolutionResult<String> {
        self.resolved(self.name.clone(), context)
    }
    fn resolve_object(
        &self,
        _: &str,
        _: &Value,
        context: &EvaluationContext,
    ) -> ResolutionResult<Value> {
        self.resolved(Value::Struct(Default::default()), context)
    }

    fn track(&self, _: &str, _: &EvaluationContext, _: &of::TrackingEventDetails) {
        self.world.trace(format!("{}.track()", self.name));
        self.world.note_resolve(&self.name);
    }
}

/// A named hook that records its `before` stage.
struct TestHook {
    name: String,
    world: Arc<World>,
}

impl Hook for TestHook {
    fn before(
        &self,
        _: &HookContext<'_>,
        _: &HookHints,
        _: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.world.hook_called(&self.name);
        Ok(None)
    }
}

/// A named propagator keeping one transaction context per harness thread.
struct TestPropagator {
    name: String,
    world: Arc<World>,
    contexts: Mutex<BTreeMap<String, Arc<EvaluationContext>>>,
}

impl TransactionContextPropagator for TestPropagator {
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        let actor = self.world.current_actor();
        self.contexts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&actor)
            .cloned()
    }

    fn set_transaction_context(&self, context: Arc<EvaluationContext>) {
        let actor = self.world.current_actor();
        self.world.trace(format!("propagator {}.set()", self.name));
        self.contexts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(actor, context);
    }
}

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
}

impl SdkTarget {
    pub fn new(world: &Arc<World>) -> Self {
        let api = Api::new();
        let scenario = &world.scenario;
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
        }));
        Self {
            world: Arc::clone(world),
            api,
            providers,
            hooks,
            clients,
            handler_ids: Mutex::new(BTreeMap::new()),
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
        move |details: &EventDetails| {
            let provider = provider_label(&details.provider_name);
            world.handler_called(&name, &provider, event_label(details.event));
        }
    }

    fn evaluate(
        &self,
        flag: &str,
        kind: FlagKind,
        client: &Client,
        context: &EvaluationContext,
        options: &EvaluationOptions,
    ) -> String {
        fn render<T>(details: of::EvaluationDetails<T>) -> String {
            match details.error_code {
                Some(code) => format!("default {code}"),
                None => details.variant.unwrap_or_else(|| "default".to_owned()),
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
    fn run(&self, op: &Op) -> Result<String, String> {
        let ok = || Ok("ok".to_owned());
        match op {
            Op::SetProvider {
                provider,
                domain,
                wait,
            } => {
                let provider: Arc<dyn FeatureProvider> = self.providers[provider].clone();
                match (domain, wait) {
                    (None, false) => self.api.set_provider(provider),
                    (Some(domain), false) => self.api.set_domain_provider(domain, provider),
                    (None, true) => {
                        if let Err(error) = self.api.set_provider_and_wait(provider) {
                            return Ok(format!("error {}", error.code));
                        }
                    }
                    (Some(domain), true) => {
                        if let Err(error) = self.api.set_domain_provider_and_wait(domain, provider)
                        {
                            return Ok(format!("error {}", error.code));
                        }
                    }
                }
                ok()
            }
            Op::ClearProviders {} => {
                self.api.clear_providers();
                ok()
            }
            Op::Shutdown {} => {
                self.api.shutdown();
                ok()
            }
            Op::AddHooks { hooks, client } => {
                let hooks = self.hook_list(hooks);
                match client {
                    Some(_) => self.client(client).add_hooks(hooks),
                    None => self.api.add_hooks(hooks),
                }
                ok()
            }
            Op::ClearHooks { client } => {
                match client {
                    Some(_) => self.client(client).clear_hooks(),
                    None => self.api.clear_hooks(),
                }
                ok()
            }
            Op::AddHandler {
                handler,
                event,
                client,
            } => {
                let callback = self.handler(handler);
                let kind = sdk_event_kind(*event);
                let id = match client {
                    Some(_) => self.client(client).add_handler(kind, callback),
                    None => self.api.add_handler(kind, callback),
                };
                self.handler_ids
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry((handler.clone(), *event, client.clone()))
                    .or_default()
                    .push(id);
                ok()
            }
            Op::RemoveHandler {
                handler,
                event,
                client,
            } => {
                let id = self
                    .handler_ids
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(&(handler.clone(), *event, client.clone()))
                    .and_then(|ids| (!ids.is_empty()).then(|| ids.remove(0)));
                let removed = id.is_some_and(|id| match client {
                    Some(_) => self.client(client).remove_handler(id),
                    None => self.api.remove_handler(id),
                });
                Ok(if removed { "ok" } else { "not registered" }.to_owned())
            }
            Op::Emit { provider, event } => {
                self.providers[provider].emit(*event);
                ok()
            }
            Op::Detach { provider } => {
                self.world.provider(provider, |record| record.detach += 1);
                let emitter = self.providers[provider]
                    .emitter
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                if let Some(emitter) = emitter {
                    emitter.detach();
                }
                ok()
            }
            Op::Evaluate {
                flag,
                flag_type,
                client,
                context,
                hooks,
            } => {
                let mut options = EvaluationOptions::new();
                options.hooks = self.hook_list(hooks);
                Ok(self.evaluate(
                    flag,
                    *flag_type,
                    self.client(client),
                    &context_of(context),
                    &options,
                ))
            }
            Op::SetContext { context } => {
                self.api.set_context(context_of(context));
                ok()
            }
            Op::UpdateContext { key, value } => {
                self.api
                    .update_context(|context| context.insert(key.clone(), value.clone()));
                ok()
            }
            Op::SetTransactionContext { context } => {
                self.api.set_transaction_context(context_of(context));
                ok()
            }
            Op::SetPropagator { propagator } => {
                self.api
                    .set_transaction_propagator(Arc::new(TestPropagator {
                        name: propagator.clone(),
                        world: Arc::clone(&self.world),
                        contexts: Mutex::new(BTreeMap::new()),
                    }));
                ok()
            }
            Op::CreateClient { domain } => {
                let client = match domain {
                    Some(domain) => self.api.domain_client(domain),
                    None => self.api.client(),
                };
                Ok(format!("client {}", client.domain().unwrap_or("default")))
            }
            Op::Track { event, client } => {
                self.client(client).track(event, None, None);
                ok()
            }
        }
    }

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

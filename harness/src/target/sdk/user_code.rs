//! The harness's user code for the `sdk` target: test providers, hooks and propagators that
//! record every call in the world and, in the oracle's whole-operation mode, take the turn so
//! that background work (an initialize on the SDK's thread, a provider's event thread) is one
//! step of its own; and the conversions between scenario names and SDK values.

use super::of::{
    self, ErrorCode, EvaluationContext, EvaluationError, EventEmitter, FeatureProvider, Hook,
    HookContext, HookData, HookHints, ProviderEvent, ProviderEventDetails, ProviderMetadata,
    ResolutionDetails, ResolutionResult, TransactionContextPropagator, Value,
};
use crate::rt::lock;
use crate::scenario::{EventName, InitBehaviour, ProviderSpec};
use crate::target::variant_text;
use crate::world::{InitEnd, ProviderCall, World};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A scenario provider: counts lifecycle calls and behaves as its spec says.
pub(super) struct TestProvider {
    pub(super) name: String,
    pub(super) spec: ProviderSpec,
    pub(super) world: Arc<World>,
    pub(super) emitter: Mutex<Option<EventEmitter>>,
    /// Whether anything in the scenario emits through this provider (its event thread or an
    /// `emit` operation): only then is its `attach` a step apart from its `initialize`.
    pub(super) may_emit: bool,
    pub(super) reentry: Reentry,
}

/// The API that the user code of a scenario with `reenters = true` calls back into, shared by
/// every piece of it in one target (empty otherwise). Emptied when the target is dropped,
/// which breaks the cycle API → registration → provider → API.
#[derive(Clone, Default)]
pub(super) struct Reentry(Arc<Mutex<Option<of::Api>>>);

impl Reentry {
    pub(super) fn new(api: Option<of::Api>) -> Self {
        Self(Arc::new(Mutex::new(api)))
    }

    /// User code's call back into the SDK (`add_hooks([])`), traced as `who` calling it.
    pub(super) fn call(&self, world: &World, who: &str) {
        let api = lock(&self.0).clone();
        if let Some(api) = api {
            world.trace(format!("{who} calls add_hooks([])"));
            api.add_hooks(Vec::new());
        }
    }

    pub(super) fn clear(&self) {
        lock(&self.0).take();
    }
}

impl TestProvider {
    fn reenter(&self, method: &str) {
        self.reentry
            .call(&self.world, &format!("{}.{method}", self.name));
    }

    fn resolved<T>(&self, value: T, context: &EvaluationContext) -> ResolutionResult<T> {
        self.reenter("resolve");
        self.world.trace(format!("{}.resolve()", self.name));
        self.world
            .note_provider_call(&self.name, ProviderCall::Resolve);
        Ok(ResolutionDetails::new(value)
            .with_variant(variant_text(&self.name, &context_map(context))))
    }

    pub(super) fn emit(&self, event: EventName) {
        self.world
            .trace(format!("{}.emit({})", self.name, event.as_str()));
        let emission = self.world.note_emit(&self.name, event);
        let emitter = lock(&self.emitter).clone();
        if let Some(emitter) = emitter {
            let (event, details) = emitted_event(event, emission);
            emitter.emit(event, details);
        }
    }
}

/// The metadata key that carries an emission's number to the handlers it reaches.
const EMISSION: &str = "harness.emission";

/// The event a test provider emits, its details carrying the emission's number.
fn emitted_event(event: EventName, emission: usize) -> (ProviderEvent, ProviderEventDetails) {
    let (event, mut details) = sdk_event(event);
    let number = i64::try_from(emission).unwrap_or(i64::MAX);
    details
        .metadata
        .insert(EMISSION.to_owned(), Value::Int(number));
    (event, details)
}

/// The number of the emission a handler runs for, if it runs for one.
pub(super) fn emission_of(details: &ProviderEventDetails) -> Option<usize> {
    match details.metadata.get(EMISSION) {
        Some(Value::Int(number)) => usize::try_from(*number).ok(),
        _ => None,
    }
}

pub(super) fn sdk_event(event: EventName) -> (ProviderEvent, ProviderEventDetails) {
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

pub(super) fn sdk_event_kind(event: EventName) -> ProviderEvent {
    sdk_event(event).0
}

pub(super) fn event_label(event: ProviderEvent) -> &'static str {
    match event {
        ProviderEvent::Ready => "ready",
        ProviderEvent::Error => "error",
        ProviderEvent::Stale => "stale",
        ProviderEvent::ConfigurationChanged => "configuration_changed",
    }
}

pub(super) fn context_map(context: &EvaluationContext) -> BTreeMap<String, String> {
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

pub(super) fn context_of(map: &BTreeMap<String, String>) -> EvaluationContext {
    let mut context = EvaluationContext::new();
    for (key, value) in map {
        context.insert(key.clone(), value.clone());
    }
    context
}

impl FeatureProvider for TestProvider {
    fn metadata(&self) -> ProviderMetadata {
        self.reenter("metadata");
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
        *lock(&self.emitter) = Some(emitter.clone());
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
                        let emission = world.note_emit(&name, event);
                        let (event, details) = emitted_event(event, emission);
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
        self.reenter("initialize");
        self.world.trace(format!("{}.initialize()", self.name));
        self.world.note_init(&self.name);
        for _ in 0..self.spec.init_steps {
            crate::rt::scheduling_point();
        }
        let end = match self.spec.init {
            InitBehaviour::Succeeds => InitEnd::Succeeded,
            InitBehaviour::Fails | InitBehaviour::Panics => InitEnd::Failed,
            InitBehaviour::Fatal => InitEnd::Fatal,
        };
        self.world.note_init_end(&self.name, end);
        match self.spec.init {
            InitBehaviour::Succeeds => Ok(()),
            InitBehaviour::Fails => Err(EvaluationError::new(ErrorCode::General, "init failed")),
            InitBehaviour::Fatal => {
                Err(EvaluationError::new(ErrorCode::ProviderFatal, "init fatal"))
            }
            InitBehaviour::Panics => panic!("{} initialize panics on purpose", self.name),
        }
    }

    fn shutdown(&self) {
        self.reenter("shutdown");
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
        self.reenter("track");
        self.world.trace(format!("{}.track()", self.name));
        self.world
            .note_provider_call(&self.name, ProviderCall::Track);
    }
}

/// A named hook that records its `before` stage.
pub(super) struct TestHook {
    pub(super) name: String,
    pub(super) world: Arc<World>,
    pub(super) reentry: Reentry,
}

impl Hook for TestHook {
    fn before(
        &self,
        _: &HookContext<'_>,
        _: &HookHints,
        _: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.reentry
            .call(&self.world, &format!("hook {}.before", self.name));
        self.world.hook_called(&self.name);
        Ok(None)
    }
}

/// A named propagator keeping one transaction context per harness thread.
pub(super) struct TestPropagator {
    pub(super) name: String,
    pub(super) world: Arc<World>,
    pub(super) contexts: Mutex<BTreeMap<String, Arc<EvaluationContext>>>,
    pub(super) reentry: Reentry,
}

impl TransactionContextPropagator for TestPropagator {
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        self.reentry
            .call(&self.world, &format!("propagator {}.get", self.name));
        let actor = self.world.current_actor();
        lock(&self.contexts).get(&actor).cloned()
    }

    fn set_transaction_context(&self, context: Arc<EvaluationContext>) {
        self.reentry
            .call(&self.world, &format!("propagator {}.set", self.name));
        let actor = self.world.current_actor();
        self.world.trace(format!("propagator {}.set()", self.name));
        lock(&self.contexts).insert(actor, context);
    }
}

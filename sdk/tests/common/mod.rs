//! Test providers and hooks shared by the SDK's integration tests: a provider that counts every
//! lifecycle call and can be told how its `initialize` behaves, and a hook that records stages.

#![allow(dead_code)]

use openfeature_sdk::{
    ErrorCode, EvaluationContext, EvaluationDetails, EvaluationError, EventEmitter,
    FeatureProvider, Hook, HookContext, HookData, HookHints, ProviderMetadata, Reason,
    ResolutionDetails, ResolutionResult, Value,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How a [`CountingProvider`]'s `initialize` behaves.
#[derive(Clone, Copy, Debug)]
pub enum Init {
    Succeeds,
    Fails,
    Fatal,
    Panics,
}

/// A provider that counts lifecycle calls and flags any call made after its shutdown began.
pub struct CountingProvider {
    pub name: String,
    init: Init,
    pub attaches: AtomicUsize,
    pub inits: AtomicUsize,
    pub shutdowns: AtomicUsize,
    pub resolves: AtomicUsize,
    pub tracks: AtomicUsize,
    /// Set when `shutdown` starts; any later resolve is a violation.
    shut: AtomicBool,
    pub resolved_after_shutdown: AtomicUsize,
    pub emitter: Mutex<Option<EventEmitter>>,
    /// Every `attach`, `initialize` and `shutdown`, in order.
    pub calls: Mutex<Vec<&'static str>>,
    /// When set, `initialize` blocks until [`CountingProvider::release_init`].
    gate: Option<(Mutex<bool>, Condvar)>,
}

impl CountingProvider {
    pub fn new(name: &str, init: Init) -> Arc<Self> {
        Arc::new(Self::build(name, init, false))
    }

    /// A provider whose `initialize` waits for [`CountingProvider::release_init`].
    pub fn gated(name: &str, init: Init) -> Arc<Self> {
        Arc::new(Self::build(name, init, true))
    }

    fn build(name: &str, init: Init, gated: bool) -> Self {
        Self {
            name: name.to_owned(),
            init,
            attaches: AtomicUsize::new(0),
            inits: AtomicUsize::new(0),
            shutdowns: AtomicUsize::new(0),
            resolves: AtomicUsize::new(0),
            tracks: AtomicUsize::new(0),
            shut: AtomicBool::new(false),
            resolved_after_shutdown: AtomicUsize::new(0),
            emitter: Mutex::new(None),
            calls: Mutex::new(Vec::new()),
            gate: gated.then(|| (Mutex::new(false), Condvar::new())),
        }
    }

    pub fn release_init(&self) {
        if let Some((open, opened)) = &self.gate {
            *open.lock().expect("gate lock") = true;
            opened.notify_all();
        }
    }

    pub fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().expect("calls lock").clone()
    }

    fn call(&self, what: &'static str) {
        self.calls.lock().expect("calls lock").push(what);
    }

    pub fn emitter(&self) -> Option<EventEmitter> {
        self.emitter.lock().expect("emitter lock").clone()
    }

    pub fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }

    fn served<T>(&self, value: T) -> ResolutionResult<T> {
        self.resolves.fetch_add(1, Ordering::SeqCst);
        if self.shut.load(Ordering::SeqCst) {
            self.resolved_after_shutdown.fetch_add(1, Ordering::SeqCst);
        }
        Ok(ResolutionDetails::new(value)
            .with_variant(self.name.clone())
            .with_reason(Reason::Static))
    }
}

impl FeatureProvider for CountingProvider {
    fn metadata(&self) -> ProviderMetadata {
        ProviderMetadata::new(self.name.clone())
    }

    fn attach(&self, emitter: EventEmitter) {
        self.call("attach");
        self.attaches.fetch_add(1, Ordering::SeqCst);
        *self.emitter.lock().expect("emitter lock") = Some(emitter);
    }

    fn initialize(&self, _context: &EvaluationContext) -> Result<(), EvaluationError> {
        self.call("initialize");
        self.inits.fetch_add(1, Ordering::SeqCst);
        if let Some((open, opened)) = &self.gate {
            let mut open = open.lock().expect("gate lock");
            while !*open {
                open = opened.wait(open).expect("gate wait");
            }
        }
        match self.init {
            Init::Succeeds => Ok(()),
            Init::Fails => Err(EvaluationError::new(ErrorCode::General, "init failed")),
            Init::Fatal => Err(EvaluationError::new(ErrorCode::ProviderFatal, "init fatal")),
            Init::Panics => panic!("init panics on purpose"),
        }
    }

    fn shutdown(&self) {
        self.call("shutdown");
        self.shut.store(true, Ordering::SeqCst);
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
    }

    fn resolve_bool(&self, _: &str, _: bool, _: &EvaluationContext) -> ResolutionResult<bool> {
        self.served(true)
    }

    fn resolve_int(&self, _: &str, _: i64, _: &EvaluationContext) -> ResolutionResult<i64> {
        self.served(42)
    }

    fn resolve_float(&self, _: &str, _: f64, _: &EvaluationContext) -> ResolutionResult<f64> {
        self.served(0.5)
    }

    fn resolve_string(&self, _: &str, _: &str, _: &EvaluationContext) -> ResolutionResult<String> {
        self.served(self.name.clone())
    }

    fn resolve_object(&self, _: &str, _: &Value, _: &EvaluationContext) -> ResolutionResult<Value> {
        self.served(Value::Struct(Default::default()))
    }

    fn track(&self, _: &str, _: &EvaluationContext, _: &openfeature_sdk::TrackingEventDetails) {
        self.tracks.fetch_add(1, Ordering::SeqCst);
    }
}

/// A hook that appends `"<name>.<stage>"` to a shared log.
pub struct RecordingHook {
    pub name: &'static str,
    pub log: Arc<Mutex<Vec<String>>>,
    pub before_context: Option<EvaluationContext>,
    pub fail_before: bool,
    pub panic_after: bool,
}

impl RecordingHook {
    pub fn new(name: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Self {
        Self {
            name,
            log: Arc::clone(log),
            before_context: None,
            fail_before: false,
            panic_after: false,
        }
    }

    fn record(&self, stage: &str) {
        self.log
            .lock()
            .expect("log lock")
            .push(format!("{}.{stage}", self.name));
    }
}

impl Hook for RecordingHook {
    fn before(
        &self,
        _: &HookContext<'_>,
        _: &HookHints,
        data: &mut HookData,
    ) -> Result<Option<EvaluationContext>, EvaluationError> {
        self.record("before");
        data.insert("seen".into(), Value::from(self.name));
        if self.fail_before {
            return Err(EvaluationError::new(ErrorCode::General, "before failed"));
        }
        Ok(self.before_context.clone())
    }

    fn after(
        &self,
        _: &HookContext<'_>,
        _: &EvaluationDetails<Value>,
        _: &HookHints,
        data: &mut HookData,
    ) -> Result<(), EvaluationError> {
        assert_eq!(
            data.get("seen"),
            Some(&Value::from(self.name)),
            "hook data kept"
        );
        self.record("after");
        if self.panic_after {
            panic!("after panics on purpose");
        }
        Ok(())
    }

    fn error(&self, _: &HookContext<'_>, _: &EvaluationError, _: &HookHints, _: &mut HookData) {
        self.record("error");
    }

    fn finally(
        &self,
        _: &HookContext<'_>,
        _: &EvaluationDetails<Value>,
        _: &HookHints,
        _: &mut HookData,
    ) {
        self.record("finally");
    }
}

pub fn new_log() -> Arc<Mutex<Vec<String>>> {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn take(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *log.lock().expect("log lock"))
}

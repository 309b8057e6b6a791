//! The per-scenario state of the conformance run: a fresh API instance, its client, and what the
//! steps have set up and observed so far.

use crate::hooks::HookLog;
use crate::providers::Gate;
use openfeature_sdk::{
    Api, Client, EvaluationContext, EvaluationDetails, EvaluationOptions, FlagValue, Value,
};
use std::fmt;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

/// The flag types the suites name (`Boolean`, `String`, `Integer`, `Float`, `Object`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    String,
    Integer,
    Float,
    Object,
}

impl Kind {
    /// The kind a step names, in any letter case; an unknown name fails the step.
    pub fn named(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "boolean" => Kind::Boolean,
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "float" => Kind::Float,
            "object" => Kind::Object,
            other => panic!("unknown flag type {other:?} in a step"),
        }
    }

    /// Parses a value of this kind as a step writes it; objects are JSON.
    pub fn value(self, text: &str) -> Value {
        match self {
            Kind::Boolean => Value::Bool(
                text.parse()
                    .unwrap_or_else(|_| panic!("{text:?} is not a boolean")),
            ),
            Kind::Integer => Value::Int(
                text.parse()
                    .unwrap_or_else(|_| panic!("{text:?} is not an integer")),
            ),
            Kind::Float => Value::Float(
                text.parse()
                    .unwrap_or_else(|_| panic!("{text:?} is not a float")),
            ),
            Kind::String => Value::String(text.to_owned()),
            Kind::Object => crate::flags::parse_json(text).unwrap_or_else(|why| panic!("{why}")),
        }
    }
}

/// The flag a scenario evaluates: key, type and fallback (default) value.
#[derive(Clone, Debug)]
pub struct FlagUnderTest {
    pub key: String,
    pub kind: Kind,
    pub default: Value,
}

impl FlagUnderTest {
    pub fn new(key: &str, kind: Kind, default: Value) -> Self {
        Self {
            key: key.to_owned(),
            kind,
            default,
        }
    }

    /// Evaluates this flag with details through the typed method of its kind.
    pub fn evaluate(
        &self,
        client: &Client,
        context: &EvaluationContext,
        options: Option<&EvaluationOptions>,
    ) -> EvaluationDetails<Value> {
        fn typed<T: FlagValue>(
            client: &Client,
            key: &str,
            default: T,
            context: &EvaluationContext,
            options: Option<&EvaluationOptions>,
        ) -> EvaluationDetails<Value> {
            client
                .evaluate(key, default, Some(context), options)
                .map(|value| value.to_value())
        }
        let key = self.key.as_str();
        match self.kind {
            Kind::Boolean => typed(
                client,
                key,
                self.typed_default(Value::as_bool),
                context,
                options,
            ),
            Kind::Integer => typed(
                client,
                key,
                self.typed_default(Value::as_int),
                context,
                options,
            ),
            Kind::Float => typed(
                client,
                key,
                self.typed_default(Value::as_float),
                context,
                options,
            ),
            Kind::String => {
                let default = self.typed_default(|value| value.as_str().map(str::to_owned));
                typed(client, key, default, context, options)
            }
            Kind::Object => typed(client, key, self.default.clone(), context, options),
        }
    }

    /// Evaluates this flag through the plain typed method of its kind, which returns the value
    /// only (spec 1.3.1.1).
    pub fn value(&self, client: &Client, context: &EvaluationContext) -> Value {
        let key = self.key.as_str();
        let context = Some(context);
        match self.kind {
            Kind::Boolean => Value::Bool(client.get_bool_value(
                key,
                self.typed_default(Value::as_bool),
                context,
                None,
            )),
            Kind::Integer => Value::Int(client.get_int_value(
                key,
                self.typed_default(Value::as_int),
                context,
                None,
            )),
            Kind::Float => Value::Float(client.get_float_value(
                key,
                self.typed_default(Value::as_float),
                context,
                None,
            )),
            Kind::String => {
                let default = self.typed_default(|value| value.as_str().map(str::to_owned));
                Value::String(client.get_string_value(key, &default, context, None))
            }
            Kind::Object => client.get_object_value(key, self.default.clone(), context, None),
        }
    }

    /// The default value as the Rust type of the flag's kind.
    fn typed_default<T>(&self, convert: impl FnOnce(&Value) -> Option<T>) -> T {
        convert(&self.default).unwrap_or_else(|| {
            panic!(
                "the default {} does not match the flag type {:?}",
                self.default, self.kind
            )
        })
    }
}

/// One scenario's state. Every scenario gets its own `Api::new()` instance.
#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ConformanceWorld {
    pub api: Api,
    /// A client of the default domain, created with the world.
    pub client: Client,
    pub flag: Option<FlagUnderTest>,
    /// The invocation context the next evaluation passes.
    pub context: EvaluationContext,
    /// A copy of the invocation context taken when it was set up, to show it is not modified.
    pub original_context: Option<EvaluationContext>,
    /// Options for evaluations that use them.
    pub options: EvaluationOptions,
    /// The latest detailed evaluation's details.
    pub details: Option<EvaluationDetails<Value>>,
    /// The latest plain (value only) evaluation's value.
    pub value: Option<Value>,
    /// An evaluation running on another thread.
    pub pending: Option<Receiver<EvaluationDetails<Value>>>,
    /// What the scenario's recording hooks saw.
    pub hook_log: HookLog,
    /// Keeps a not-ready provider's initialization blocked until the scenario ends.
    pub gate: Option<Gate>,
    /// The context the capturing provider last resolved with.
    pub captured: Option<Arc<Mutex<Option<EvaluationContext>>>>,
    /// The context-merging levels, lowest precedence first.
    pub levels: Vec<String>,
    /// The context the "Before Hooks" level adds.
    pub before_hook_context: EvaluationContext,
}

impl ConformanceWorld {
    fn new() -> Self {
        let api = Api::new();
        let client = api.client();
        Self {
            api,
            client,
            flag: None,
            context: EvaluationContext::new(),
            original_context: None,
            options: EvaluationOptions::new(),
            details: None,
            value: None,
            pending: None,
            hook_log: HookLog::default(),
            gate: None,
            captured: None,
            levels: Vec::new(),
            before_hook_context: EvaluationContext::new(),
        }
    }

    /// The flag a previous step set up.
    pub fn flag(&self) -> &FlagUnderTest {
        self.flag
            .as_ref()
            .expect("a flag step must come before this step")
    }

    /// The details a previous evaluation step stored.
    pub fn details(&self) -> &EvaluationDetails<Value> {
        self.details
            .as_ref()
            .expect("an evaluation step must come before this step")
    }

    /// Evaluates the flag under test with the invocation context (and the options, if asked)
    /// and stores the details.
    pub fn evaluate(&mut self, with_options: bool) {
        let options = with_options.then_some(&self.options);
        let details = self.flag().evaluate(&self.client, &self.context, options);
        self.details = Some(details);
    }
}

impl fmt::Debug for ConformanceWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConformanceWorld")
            .field("provider_status", &self.client.provider_status())
            .field("flag", &self.flag)
            .field("context", &self.context)
            .field("details", &self.details)
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

impl Drop for ConformanceWorld {
    fn drop(&mut self) {
        // Release a blocked initialize first: shutdown waits for initialization to finish.
        drop(self.gate.take());
        self.api.shutdown();
    }
}

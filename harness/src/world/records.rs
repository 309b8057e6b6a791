//! What one execution records: each provider's calls, the trace, every operation's interval
//! and answer, every background step's interval, and the target's final state. Plain data,
//! built from `BTreeMap`s and step counters only.

use std::collections::BTreeMap;

/// What a test provider was asked to do, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderRecord {
    pub attach: usize,
    pub init: usize,
    pub init_ok: usize,
    pub shutdown: usize,
    pub detach: usize,
    pub resolves: usize,
    pub resolved_after_shutdown: usize,
    /// Emit attempts, whether or not they were delivered.
    pub emits: usize,
    /// Every `initialize` and `shutdown`, in order: a healthy lifecycle alternates.
    pub lifecycle: Vec<LifecycleCall>,
    /// Where the provider's current registration is in its protocol, as its own calls show.
    pub phase: Phase,
    /// Resolves and tracks the provider received in a phase that cannot serve them, in order.
    pub misplaced: Vec<MisplacedCall>,
    /// The numbers (from 1, over all its emissions) of the events the provider emitted after
    /// the shutdown of its registration began.
    pub late_emissions: Vec<usize>,
}

/// The phase of a provider's current registration: `attach → initialize → (resolve | track)* →
/// shutdown`, as the provider sees its own calls and emissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// No `initialize` yet.
    #[default]
    Unused,
    /// Inside `initialize`.
    Initializing,
    /// `initialize` returned normally, or the provider emitted READY or STALE.
    Ready,
    /// `initialize` failed with an error that is not fatal, or the provider emitted an error
    /// (the provider may serve, in ERROR).
    Failed,
    /// `initialize` failed with `PROVIDER_FATAL`.
    Fatal,
    /// `shutdown` began.
    ShutDown,
}

impl Phase {
    /// Whether the provider may be asked to resolve or track in this phase.
    pub fn serves(self) -> bool {
        matches!(self, Phase::Ready | Phase::Failed)
    }

    /// How a violation's detail names the phase.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Unused => "before its initialize",
            Phase::Initializing => "before its initialize finished",
            Phase::Ready | Phase::Failed => "while ready",
            Phase::Fatal => "after its initialize failed with PROVIDER_FATAL",
            Phase::ShutDown => "after its shutdown began",
        }
    }
}

/// A call that serves an evaluation or a tracking event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderCall {
    Resolve,
    Track,
}

impl ProviderCall {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderCall::Resolve => "resolve",
            ProviderCall::Track => "track",
        }
    }
}

/// A resolve or track in a phase that cannot serve it, and the operation it served, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MisplacedCall {
    pub call: ProviderCall,
    pub phase: Phase,
    pub op: Option<String>,
}

/// How a scenario provider's `initialize` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitEnd {
    Succeeded,
    Failed,
    Fatal,
}

/// One lifecycle call a test provider received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleCall {
    Initialize,
    Shutdown,
}

impl std::fmt::Display for LifecycleCall {
    /// `I` for an initialize, `S` for a shutdown, as violation details spell a lifecycle.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LifecycleCall::Initialize => "I",
            LifecycleCall::Shutdown => "S",
        })
    }
}

impl ProviderRecord {
    /// The provider's last lifecycle call, if it had any.
    pub fn last_call(&self) -> Option<LifecycleCall> {
        self.lifecycle.last().copied()
    }

    /// Whether the provider's last lifecycle call was a shutdown.
    pub fn is_shut(&self) -> bool {
        self.last_call() == Some(LifecycleCall::Shutdown)
    }

    /// Whether the provider's last lifecycle call was an initialize.
    pub fn is_initialized(&self) -> bool {
        self.last_call() == Some(LifecycleCall::Initialize)
    }

    /// Whether the provider received `call` twice in a row somewhere in its lifecycle.
    pub fn twice_in_a_row(&self, call: LifecycleCall) -> bool {
        self.lifecycle.windows(2).any(|pair| pair == [call, call])
    }

    /// Whether the provider's first lifecycle call was `call`.
    pub fn starts_with(&self, call: LifecycleCall) -> bool {
        self.lifecycle.first() == Some(&call)
    }

    /// The lifecycle as letters, one per call (`IIS`), as violation details print it.
    pub fn lifecycle_letters(&self) -> String {
        self.lifecycle.iter().map(ToString::to_string).collect()
    }
}

/// One line of the trace: who did what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    pub actor: String,
    pub text: String,
}

/// When an operation ran, in trace steps, and what it returned.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// `setup.N`, `T0.N`, `after.N`.
    pub key: String,
    /// Sort order: phase (setup, threads, after), thread index, op index.
    pub order: (usize, usize, usize),
    pub thread: String,
    pub op: crate::scenario::Op,
    pub label: String,
    pub start: usize,
    pub end: usize,
    pub result: crate::ops::OpResult,
}

/// One step of background work (an initialize, one event of a provider's event thread), or the
/// binding half of an operation that initializes inline: what the oracle orders besides whole
/// operations. Its id is the same in every execution of a scenario: the class (what ran) and
/// the occurrence of that class, counted from 1 in the order the occurrences began.
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// `p0.initialize()`, `p0.emit(ready)`, `T0.1/bind`.
    pub class: String,
    /// The occurrence of the class, from 1, in the order they began.
    pub occurrence: usize,
    /// Who ran it, as the trace names them.
    pub actor: String,
    pub start: usize,
    pub end: usize,
}

impl StepRecord {
    /// The step's identity across executions: `p0.emit(ready)#2`.
    pub fn id(&self) -> String {
        format!("{}#{}", self.class, self.occurrence)
    }
}

/// Everything recorded during one execution.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub trace: Vec<TraceLine>,
    pub providers: BTreeMap<String, ProviderRecord>,
    /// Per handler, the `provider:event` deliveries it received, in order, with their step.
    pub handler_calls: BTreeMap<String, Vec<(usize, String)>>,
    /// Per hook, how many `before` stages ran.
    pub hook_calls: BTreeMap<String, usize>,
    /// Every handler run for a provider's emission: the handler, the provider, and the
    /// emission's number (an immediate run for a state, with no emission, is not listed).
    pub emission_deliveries: Vec<(String, String, usize)>,
    /// Every emission: the provider, its number (from 1, over the provider's emissions) and the
    /// step it happened at.
    pub emissions: Vec<(String, usize, usize)>,
    /// Per operation key, the providers that resolved inside it, in order.
    pub resolves_in_op: BTreeMap<String, Vec<String>>,
    pub ops: Vec<OpRecord>,
    /// Background steps and binding halves, in the order they ended.
    pub steps: Vec<StepRecord>,
    /// Per step class, how many occurrences have begun.
    pub began: BTreeMap<String, usize>,
}

impl Log {
    /// Counts one more occurrence of the step `class` as begun and returns its number.
    pub(super) fn begin_occurrence(&mut self, class: &str) -> usize {
        let began = self.began.entry(class.to_owned()).or_default();
        *began += 1;
        *began
    }
}

/// The state of a target at the end of an execution, in target-independent terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalState {
    /// `default` and each domain, to the bound provider's name (`noop` for the no-op provider).
    pub bindings: BTreeMap<String, String>,
    /// Status of each bound provider.
    pub statuses: BTreeMap<String, String>,
    pub api_hooks: Vec<String>,
    pub client_hooks: BTreeMap<String, Vec<String>>,
    pub context: BTreeMap<String, String>,
}

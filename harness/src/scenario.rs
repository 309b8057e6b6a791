//! Scenario files: their format, parsing and validation.
//!
//! A scenario is data, not Rust: providers with behaviours, named hooks, handlers and clients,
//! setup operations, one to four threads of operations, operations to run after the threads,
//! and what is expected of each target. Every error names the file, line and column and what
//! was expected there. This module reads files; it never runs anything.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A parsed, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file stem: the scenario's name in commands and reports.
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub audit: Vec<String>,
    pub providers: BTreeMap<String, ProviderSpec>,
    pub hooks: Vec<String>,
    pub handlers: Vec<String>,
    pub clients: BTreeMap<String, ClientSpec>,
    pub setup: Vec<Op>,
    pub threads: Vec<ThreadSpec>,
    pub after: Vec<Op>,
    pub schedule: ScheduleSpec,
    pub expect: Expect,
    /// Why this audit item is benign, when it is: every outcome it can produce also arises from
    /// some order of whole operations.
    pub benign: Option<String>,
    /// Why the linearizability check is off for this scenario, when it is.
    pub oracle_opt_out: Option<String>,
}

/// How a test provider behaves. Every lifecycle call it receives is counted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// What `initialize` does.
    #[serde(default)]
    pub init: InitBehaviour,
    /// How many scheduling points `initialize` passes through before it finishes (a slow
    /// initialize that others can overtake).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub init_steps: u32,
    /// Events a background thread of the provider emits, in order, once the provider is attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emits: Vec<EventName>,
}

/// The accepted values of `init`, in the order they are documented.
pub const INIT_BEHAVIOURS: [&str; 4] = ["succeeds", "fails", "fatal", "panics"];

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum InitBehaviour {
    #[default]
    Succeeds,
    Fails,
    Fatal,
    Panics,
}

/// A client the scenario's operations refer to by name.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// Provider event names as written in scenario files.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum EventName {
    Ready,
    Error,
    /// `PROVIDER_ERROR` with the `PROVIDER_FATAL` error code.
    Fatal,
    Stale,
    ConfigurationChanged,
}

impl EventName {
    pub const ALL: [EventName; 5] = [
        EventName::Ready,
        EventName::Error,
        EventName::Fatal,
        EventName::Stale,
        EventName::ConfigurationChanged,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventName::Ready => "ready",
            EventName::Error => "error",
            EventName::Fatal => "fatal",
            EventName::Stale => "stale",
            EventName::ConfigurationChanged => "configuration_changed",
        }
    }
}

/// Flag types as written in scenario files.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    #[default]
    Bool,
    Int,
    Float,
    String,
    Object,
}

fn yes() -> bool {
    true
}

fn default_flag() -> String {
    "flag".to_owned()
}

/// One operation on the SDK's concurrent surface. `client` names a declared client; without it
/// an operation acts on the API (hooks, handlers) or on the client named `default`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Binds a provider to the default slot or a domain, waiting for its initialization or not.
    SetProvider {
        provider: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        #[serde(default = "yes")]
        wait: bool,
    },
    /// Unbinds and shuts down every provider and removes every handler.
    ClearProviders {},
    /// Shuts the API down: every provider, hook, handler and context.
    Shutdown {},
    /// Adds hooks to the API, or to a client.
    AddHooks {
        hooks: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Removes every hook of the API, or of a client.
    ClearHooks {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Adds a handler for an event to the API, or to a client.
    AddHandler {
        handler: String,
        event: EventName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Removes a handler added with the same handler, event and client.
    RemoveHandler {
        handler: String,
        event: EventName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// The provider emits an event (as its own background thread would).
    Emit { provider: String, event: EventName },
    /// The provider's emitter is detached (as the SDK does at shutdown).
    Detach { provider: String },
    /// Evaluates a flag through a client, with invocation context and hooks.
    Evaluate {
        #[serde(default = "default_flag")]
        flag: String,
        #[serde(default, rename = "type")]
        flag_type: FlagKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        context: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hooks: Vec<String>,
    },
    /// Replaces the global evaluation context.
    SetContext { context: BTreeMap<String, String> },
    /// Adds one attribute to the global context (read-modify-write).
    UpdateContext { key: String, value: String },
    /// Sets the transaction context of the calling thread.
    SetTransactionContext { context: BTreeMap<String, String> },
    /// Installs a new, empty propagator named `propagator`.
    SetPropagator { propagator: String },
    /// Creates a client for a domain.
    CreateClient {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
    },
    /// Sends a tracking event through a client.
    Track {
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
}

impl Op {
    /// Every operation name, for error messages and the contributor's guide.
    pub const NAMES: [&'static str; 16] = [
        "set_provider",
        "clear_providers",
        "shutdown",
        "add_hooks",
        "clear_hooks",
        "add_handler",
        "remove_handler",
        "emit",
        "detach",
        "evaluate",
        "set_context",
        "update_context",
        "set_transaction_context",
        "set_propagator",
        "create_client",
        "track",
    ];

    /// A short rendering for traces and outcomes, such as `set_provider(p1, wait)`.
    pub fn label(&self) -> String {
        fn client(client: &Option<String>) -> String {
            client
                .as_ref()
                .map(|c| format!(" @{c}"))
                .unwrap_or_default()
        }
        fn context(context: &BTreeMap<String, String>) -> String {
            context
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join(",")
        }
        match self {
            Op::SetProvider {
                provider,
                domain,
                wait,
            } => format!(
                "set_provider({provider}{}{})",
                domain
                    .as_ref()
                    .map(|d| format!(", domain={d}"))
                    .unwrap_or_default(),
                if *wait { ", wait" } else { "" }
            ),
            Op::ClearProviders {} => "clear_providers()".to_owned(),
            Op::Shutdown {} => "shutdown()".to_owned(),
            Op::AddHooks { hooks, client: c } => {
                format!("add_hooks({}){}", hooks.join(","), client(c))
            }
            Op::ClearHooks { client: c } => format!("clear_hooks(){}", client(c)),
            Op::AddHandler {
                handler,
                event,
                client: c,
            } => {
                format!("add_handler({handler}, {}){}", event.as_str(), client(c))
            }
            Op::RemoveHandler {
                handler,
                event,
                client: c,
            } => {
                format!("remove_handler({handler}, {}){}", event.as_str(), client(c))
            }
            Op::Emit { provider, event } => format!("emit({provider}, {})", event.as_str()),
            Op::Detach { provider } => format!("detach({provider})"),
            Op::Evaluate {
                flag,
                client: c,
                context: ctx,
                hooks,
                ..
            } => format!(
                "evaluate({flag}{}{}){}",
                if ctx.is_empty() {
                    String::new()
                } else {
                    format!(", {{{}}}", context(ctx))
                },
                if hooks.is_empty() {
                    String::new()
                } else {
                    format!(", hooks={}", hooks.join(","))
                },
                client(c)
            ),
            Op::SetContext { context: ctx } => format!("set_context({{{}}})", context(ctx)),
            Op::UpdateContext { key, value } => format!("update_context({key}={value})"),
            Op::SetTransactionContext { context: ctx } => {
                format!("set_transaction_context({{{}}})", context(ctx))
            }
            Op::SetPropagator { propagator } => format!("set_propagator({propagator})"),
            Op::CreateClient { domain } => {
                format!("create_client({})", domain.clone().unwrap_or_default())
            }
            Op::Track { event, client: c } => format!("track({event}){}", client(c)),
        }
    }
}

/// One thread of operations.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadSpec {
    pub name: String,
    pub ops: Vec<Op>,
}

/// Scheduler settings; every count has a default that a scenario may raise with a reason.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Executions per randomized scheduler.
    #[serde(
        default = "ScheduleSpec::default_iterations",
        deserialize_with = "budget::iterations"
    )]
    pub iterations: usize,
    /// PCT's bug depth.
    #[serde(
        default = "ScheduleSpec::default_pct_depth",
        deserialize_with = "budget::pct_depth"
    )]
    pub pct_depth: usize,
    /// The step bound of one execution; exceeding it is a reported violation, never a hang.
    #[serde(
        default = "ScheduleSpec::default_max_steps",
        deserialize_with = "budget::max_steps"
    )]
    pub max_steps: usize,
    /// The exhaustive pass's preemption bound: every interleaving with at most this many
    /// preemptions is explored.
    /// One bound for both targets, or a table `{ sdk = N, audited = M }`.
    #[serde(default = "ScheduleSpec::default_preemption_bound")]
    pub preemption_bound: PerTarget<usize>,
    /// Which checker explores the scenario exhaustively: loom, or shuttle's DFS where loom
    /// cannot model the scenario (say why in `reason`). One name for both targets, or a table
    /// `{ sdk = "...", audited = "..." }`.
    #[serde(default)]
    pub explorer: Explorers,
    /// Why the defaults are changed, when they are.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The bounds of every budget a scenario file or a flag sets (inclusive): a budget of zero
/// would pass vacuously, and one past the upper bound would run until killed.
pub mod budget {
    use serde::{de, Deserialize, Deserializer};
    use std::ops::RangeInclusive;

    /// Executions per randomized scheduler and base seed (`iterations`, `--iterations`).
    pub const ITERATIONS: RangeInclusive<usize> = 1..=1_000_000;
    /// PCT's bug depth (`pct_depth`).
    pub const PCT_DEPTH: RangeInclusive<usize> = 1..=16;
    /// Scheduling steps of one execution (`max_steps`).
    pub const MAX_STEPS: RangeInclusive<usize> = 1..=10_000_000;
    /// The exhaustive pass's preemption bound (`preemption_bound`, `--preemption-bound`).
    pub const PREEMPTION_BOUND: RangeInclusive<usize> = 0..=8;

    /// `value` if it is within `range`, else an error naming the key and the bounds.
    pub fn check(key: &str, value: u64, range: &RangeInclusive<usize>) -> Result<usize, String> {
        usize::try_from(value)
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| {
                format!(
                    "`{key}` must be from {} to {}, found {value}",
                    range.start(),
                    range.end()
                )
            })
    }

    fn within<'de, D: Deserializer<'de>>(
        deserializer: D,
        key: &str,
        range: &RangeInclusive<usize>,
    ) -> Result<usize, D::Error> {
        let value = i64::deserialize(deserializer)?;
        let value = u64::try_from(value).map_err(|_| {
            de::Error::custom(format!(
                "`{key}` must be from {} to {}, found {value}",
                range.start(),
                range.end()
            ))
        })?;
        check(key, value, range).map_err(de::Error::custom)
    }

    pub(super) fn iterations<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "iterations", &ITERATIONS)
    }

    pub(super) fn pct_depth<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "pct_depth", &PCT_DEPTH)
    }

    pub(super) fn max_steps<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "max_steps", &MAX_STEPS)
    }
}

/// The checker of the exhaustive pass.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExplorerKind {
    /// Loom's exhaustive exploration within the preemption bound (the `harness_loom` build).
    #[default]
    Loom,
    /// Shuttle's depth-first search within the preemption bound (the normal build), for a
    /// scenario loom cannot model: loom runs at most 5 threads, the main one included.
    ShuttleDfs,
}

impl ExplorerKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExplorerKind::Loom => "loom",
            ExplorerKind::ShuttleDfs => "shuttle-dfs",
        }
    }
}

/// A setting with one value for both targets, or a table with a value for each target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerTarget<T> {
    pub sdk: T,
    pub audited: T,
}

impl<T: Copy> PerTarget<T> {
    pub fn both(value: T) -> Self {
        Self {
            sdk: value,
            audited: value,
        }
    }

    pub fn of(&self, target: crate::target::TargetKind) -> T {
        match target {
            crate::target::TargetKind::Sdk => self.sdk,
            crate::target::TargetKind::Audited => self.audited,
        }
    }
}

/// The explorer of each target.
pub type Explorers = PerTarget<ExplorerKind>;

impl<'de, T: Deserialize<'de> + Copy + Default> Deserialize<'de> for PerTarget<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use de::IntoDeserializer;
        struct PerTargetVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Copy + Default> Visitor<'de> for PerTargetVisitor<T> {
            type Value = PerTarget<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one value for both targets, or a table { sdk = ..., audited = ... }")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<PerTarget<T>, M::Error> {
                let (mut sdk, mut audited) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<T>()?;
                    match key.as_str() {
                        "sdk" => sdk = Some(value),
                        "audited" => audited = Some(value),
                        other => return Err(de::Error::unknown_field(other, &["sdk", "audited"])),
                    }
                }
                match (sdk, audited) {
                    (Some(sdk), Some(audited)) => Ok(PerTarget { sdk, audited }),
                    (None, _) => Err(de::Error::missing_field("sdk")),
                    (_, None) => Err(de::Error::missing_field("audited")),
                }
            }
        }
        deserializer.deserialize_any(PerTargetVisitor(std::marker::PhantomData))
    }
}

impl ScheduleSpec {
    fn default_preemption_bound() -> PerTarget<usize> {
        PerTarget::both(3)
    }
    fn default_iterations() -> usize {
        1000
    }
    fn default_pct_depth() -> usize {
        3
    }
    fn default_max_steps() -> usize {
        20_000
    }
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        Self {
            iterations: Self::default_iterations(),
            pct_depth: Self::default_pct_depth(),
            max_steps: Self::default_max_steps(),
            preemption_bound: Self::default_preemption_bound(),
            explorer: Explorers::default(),
            reason: None,
        }
    }
}

/// What is expected of one target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// Properties that some execution must violate, under every randomized scheduler.
    pub violates: Vec<String>,
    /// Properties that may also be violated (consequences of the same race).
    pub may_violate: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.violates.is_empty() && self.may_violate.is_empty()
    }
}

impl<'de> Deserialize<'de> for Verdict {
    /// `"holds"`, or a table `{ violates = [...], may_violate = [...] }` (a single string is
    /// accepted for either list).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VerdictVisitor;
        impl<'de> Visitor<'de> for VerdictVisitor {
            type Value = Verdict;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#""holds" or a table { violates = ["property", ...], may_violate = [...] }"#,
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Verdict, E> {
                if value == "holds" {
                    Ok(Verdict::default())
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(value), &self))
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Verdict, M::Error> {
                let mut verdict = Verdict::default();
                while let Some(key) = map.next_key::<String>()? {
                    let list = map.next_value::<OneOrMany>()?.0;
                    match key.as_str() {
                        "violates" => verdict.violates = list,
                        "may_violate" => verdict.may_violate = list,
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["violates", "may_violate"],
                            ))
                        }
                    }
                }
                if verdict.violates.is_empty() && verdict.may_violate.is_empty() {
                    return Err(de::Error::custom(
                        "a verdict table needs `violates` or `may_violate` with at least one property (or write \"holds\")",
                    ));
                }
                Ok(verdict)
            }
        }
        deserializer.deserialize_any(VerdictVisitor)
    }
}

struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::One(one)) => Ok(OneOrMany(vec![one])),
            Ok(Raw::Many(many)) => Ok(OneOrMany(many)),
            Err(_) => Err(de::Error::custom(
                "expected a property id or a list of property ids",
            )),
        }
    }
}

/// Expectations per target.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub sdk: Verdict,
    pub audited: Verdict,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThread {
    #[serde(default)]
    name: Option<String>,
    ops: Vec<Spanned<Op>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    description: String,
    audit: Vec<Spanned<String>>,
    #[serde(default)]
    providers: BTreeMap<String, ProviderSpec>,
    #[serde(default)]
    hooks: Vec<String>,
    #[serde(default)]
    handlers: Vec<String>,
    #[serde(default)]
    clients: BTreeMap<String, ClientSpec>,
    #[serde(default)]
    setup: Vec<Spanned<Op>>,
    thread: Vec<RawThread>,
    #[serde(default)]
    after: Vec<Spanned<Op>>,
    #[serde(default)]
    schedule: Option<Spanned<ScheduleSpec>>,
    // Not `Spanned`: toml cannot span a table that `[expect.sdk]` headers build after
    // `[[thread.ops]]` tables; errors in it are located by their text instead.
    expect: Expect,
    #[serde(default)]
    benign: Option<String>,
    #[serde(default)]
    oracle_opt_out: Option<String>,
}

/// A scenario file that could not be read, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// Line and column (from 1) of the error, when it is in the file's text (not when the file
    /// cannot be read at all).
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Line and column (both from 1) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |newline| before.len() - newline - 1)
        + 1;
    (line, column)
}

/// The keys that belong at the top of a scenario file, before its first `[table]`.
const TOP_LEVEL_KEYS: [&str; 10] = [
    "description",
    "audit",
    "setup",
    "after",
    "hooks",
    "handlers",
    "clients",
    "providers",
    "benign",
    "oracle_opt_out",
];

/// When a file does not parse, the most common cause: a top-level key written after a
/// `[table]` header, where TOML reads it as a key of that table. Its offset and a message
/// saying so, if the file has one.
fn misplaced_top_level_key(source: &str) -> Option<(usize, String)> {
    let mut table: Option<&str> = None;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let text = line.trim();
        if text.starts_with('[') {
            table = Some(text.trim_matches(|c| c == '[' || c == ']').trim());
        } else if let (Some(table), Some((key, value))) = (table, text.split_once('=')) {
            let key = key.trim();
            // In these tables keys are names, and a name's value is an inline table.
            let a_name = matches!(table, "providers" | "clients") && value.trim().starts_with('{');
            // An operation's `hooks` (`add_hooks`, `evaluate`) is in its place.
            let an_op_key = matches!(table, "setup" | "after" | "thread.ops") && key == "hooks";
            if TOP_LEVEL_KEYS.contains(&key) && !a_name && !an_op_key {
                let column = line.len() - line.trim_start().len();
                return Some((
                    offset + column,
                    format!(
                        "`{key}` is a top-level key but is written inside the [{table}] table: move it above the first [table] header"
                    ),
                ));
            }
        }
        offset += line.len();
    }
    None
}

/// The audit ids a scenario may name.
pub const AUDIT_IDS: [&str; 16] = [
    "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12", "A13", "A14", "A15",
    "A16",
];

/// Reads and validates one scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|error| ScenarioError {
        file: file.clone(),
        at: None,
        message: format!("cannot read: {error}"),
    })?;
    parse(&stem(path), path, &source)
}

/// A scenario file's name in commands and reports: its file stem.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Parses and validates a scenario from its text; `path` is only used in messages.
pub fn parse(name: &str, path: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let at = |offset: usize, message: String| ScenarioError {
        file: file.clone(),
        at: Some(line_column(source, offset)),
        message,
    };
    let raw: RawScenario = toml::from_str(source).map_err(|error| {
        misplaced_top_level_key(source).map_or_else(
            || {
                let offset = error.span().map_or(0, |span| span.start);
                at(offset, error.message().trim().to_owned())
            },
            |(offset, message)| at(offset, message),
        )
    })?;

    for audit in &raw.audit {
        if !AUDIT_IDS.contains(&audit.get_ref().as_str()) {
            return Err(at(
                audit.span().start,
                format!(
                    "unknown audit id `{}`, expected one of {}",
                    audit.get_ref(),
                    AUDIT_IDS.join(", ")
                ),
            ));
        }
    }
    if !(1..=4).contains(&raw.thread.len()) {
        return Err(at(
            0,
            format!(
                "a scenario has one to four [[thread]] tables (loom models five threads, the main one and background ones included), found {}",
                raw.thread.len()
            ),
        ));
    }
    if let Some(schedule) = &raw.schedule {
        let spec = schedule.get_ref();
        for target in crate::target::TargetKind::ALL {
            let bound = spec.preemption_bound.of(target);
            budget::check("preemption_bound", bound as u64, &budget::PREEMPTION_BOUND)
                .map_err(|message| at(schedule.span().start, message))?;
        }
        let defaults = ScheduleSpec {
            reason: spec.reason.clone(),
            ..ScheduleSpec::default()
        };
        if spec.reason.is_none() && *spec != defaults {
            return Err(at(
                schedule.span().start,
                "a [schedule] that changes a default needs `reason = \"...\"` saying why"
                    .to_owned(),
            ));
        }
    }
    for verdict in [&raw.expect.sdk, &raw.expect.audited] {
        for property in verdict.violates.iter().chain(&verdict.may_violate) {
            if crate::properties::Property::from_id(property).is_none() {
                let quoted = source
                    .find(&format!("\"{property}\""))
                    .or_else(|| source.find("[expect"));
                return Err(at(
                    quoted.unwrap_or_default(),
                    format!(
                        "unknown property `{property}`, expected one of {}",
                        crate::properties::Property::ids().join(", ")
                    ),
                ));
            }
        }
    }

    let mut clients = raw.clients.clone();
    clients.entry("default".to_owned()).or_default();
    let names = Names {
        providers: raw.providers.keys().cloned().collect(),
        hooks: raw.hooks.clone(),
        handlers: raw.handlers.clone(),
        clients: clients.keys().cloned().collect(),
    };
    let check_all = |ops: &[Spanned<Op>]| -> Result<Vec<Op>, ScenarioError> {
        ops.iter()
            .map(|op| {
                names
                    .check(op.get_ref())
                    .map(|()| op.get_ref().clone())
                    .map_err(|message| at(op.span().start, message))
            })
            .collect()
    };
    let setup = check_all(&raw.setup)?;
    let after = check_all(&raw.after)?;
    let mut threads = Vec::new();
    for (index, thread) in raw.thread.iter().enumerate() {
        threads.push(ThreadSpec {
            name: thread.name.clone().unwrap_or_else(|| format!("T{index}")),
            ops: check_all(&thread.ops)?,
        });
    }
    Ok(Scenario {
        name: name.to_owned(),
        path: path.to_path_buf(),
        description: raw.description,
        audit: raw.audit.into_iter().map(Spanned::into_inner).collect(),
        providers: raw.providers,
        hooks: raw.hooks,
        handlers: raw.handlers,
        clients,
        setup,
        threads,
        after,
        schedule: raw.schedule.map(Spanned::into_inner).unwrap_or_default(),
        expect: raw.expect,
        benign: raw.benign,
        oracle_opt_out: raw.oracle_opt_out,
    })
}

/// The names a scenario declares, for checking references.
struct Names {
    providers: Vec<String>,
    hooks: Vec<String>,
    handlers: Vec<String>,
    clients: Vec<String>,
}

impl Names {
    fn check(&self, op: &Op) -> Result<(), String> {
        fn known(kind: &str, name: &str, declared: &[String]) -> Result<(), String> {
            if declared.iter().any(|d| d == name) {
                Ok(())
            } else if declared.is_empty() {
                Err(format!(
                    "unknown {kind} `{name}`: the scenario declares no {kind}s"
                ))
            } else {
                Err(format!(
                    "unknown {kind} `{name}`, expected one of {}",
                    declared.join(", ")
                ))
            }
        }
        let client = |client: &Option<String>| match client {
            Some(name) => known("client", name, &self.clients),
            None => Ok(()),
        };
        match op {
            Op::SetProvider { provider, .. }
            | Op::Emit { provider, .. }
            | Op::Detach { provider } => known("provider", provider, &self.providers),
            Op::AddHooks { hooks, client: c } => {
                hooks
                    .iter()
                    .try_for_each(|hook| known("hook", hook, &self.hooks))?;
                client(c)
            }
            Op::Evaluate {
                hooks, client: c, ..
            } => {
                hooks
                    .iter()
                    .try_for_each(|hook| known("hook", hook, &self.hooks))?;
                client(c)
            }
            Op::AddHandler {
                handler, client: c, ..
            }
            | Op::RemoveHandler {
                handler, client: c, ..
            } => {
                known("handler", handler, &self.handlers)?;
                client(c)
            }
            Op::ClearHooks { client: c } | Op::Track { client: c, .. } => client(c),
            Op::ClearProviders {}
            | Op::Shutdown {}
            | Op::SetContext { .. }
            | Op::UpdateContext { .. }
            | Op::SetTransactionContext { .. }
            | Op::SetPropagator { .. }
            | Op::CreateClient { .. } => Ok(()),
        }
    }
}

/// Every scenario file in `folder`, sorted by name.
pub fn files_in(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "description = \"x\"\naudit = []\n[[thread]]\nops = [{ op = \"shutdown\" }]\n[expect]\nsdk = \"holds\"\n";

    #[test]
    fn a_verdict_may_allow_without_requiring() {
        let text = format!("{BODY}audited = {{ may_violate = [\"lost-hook\"] }}\n");
        let scenario = parse("x", Path::new("x.toml"), &text).expect("parses");
        assert!(scenario.expect.audited.violates.is_empty());
        assert_eq!(scenario.expect.audited.may_violate, ["lost-hook"]);
        let empty = format!("{BODY}audited = {{ violates = [] }}\n");
        let error =
            parse("x", Path::new("x.toml"), &empty).expect_err("an empty table says nothing");
        assert!(
            error.message.contains("needs `violates` or `may_violate`"),
            "{error}"
        );
    }

    #[test]
    fn budgets_are_bounded_with_the_value_located() {
        let text =
            format!("{BODY}audited = \"holds\"\n[schedule]\nmax_steps = 0\nreason = \"r\"\n");
        let error = parse("x", Path::new("x.toml"), &text).expect_err("zero steps");
        assert_eq!(error.at, Some((9, 13)), "{error}");
        assert!(
            error
                .message
                .contains("`max_steps` must be from 1 to 10000000"),
            "{error}"
        );
        let text = format!(
            "{BODY}audited = \"holds\"\n[schedule]\npreemption_bound = 9\nreason = \"r\"\n"
        );
        let error = parse("x", Path::new("x.toml"), &text).expect_err("too deep");
        assert!(
            error
                .message
                .contains("`preemption_bound` must be from 0 to 8"),
            "{error}"
        );
    }
}

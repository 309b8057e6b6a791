//! Scenario files: their format, parsing and validation.
//!
//! A scenario is data, not Rust: providers with behaviours, named hooks, handlers and clients,
//! setup operations, one to four threads of operations, operations to run after the threads,
//! and what is expected of each target. Every error names the file, line and column and what
//! was expected there. This module reads files; it never runs anything.
//!
//! The format is the bottom layer: it depends on the operation vocabulary (`crate::ops`) and
//! on the property ids, nothing else. `schedule.rs` holds the budgets and per-target settings,
//! `expect.rs` the verdicts, `parse.rs` the parser and its located errors.

mod expect;
mod parse;
mod schedule;

pub use crate::ops::Op;
pub use expect::{Expect, Verdict};
pub use parse::{parse, ScenarioError};
pub use schedule::{budget, ExplorerKind, Explorers, PerTarget, ScheduleSpec};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// Whether the scenario's user code calls back into the SDK, as user code may: every
    /// provider method (metadata, initialize, shutdown, resolve, track), hook, handler,
    /// propagator call and `update_context` closure first adds no API hooks (`add_hooks([])`,
    /// a write that changes nothing). An SDK that holds one of its locks around user code
    /// deadlocks on it.
    pub reenters: bool,
    pub schedule: ScheduleSpec,
    pub expect: Expect,
    /// Why this audit item is benign, when it is: every outcome it can produce also arises from
    /// some order of whole operations.
    pub benign: Option<String>,
    /// Why the linearizability check is off for this scenario, on every target or on some.
    pub oracle_opt_out: OracleOptOut,
}

/// `oracle_opt_out`: a reason for every target (`"why"`), or a table of reasons for some
/// (`{ python-head = "why" }`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OracleOptOut {
    reasons: std::collections::BTreeMap<TargetKind, String>,
}

impl OracleOptOut {
    /// Why the oracle is off on `target`, when it is.
    pub fn of(&self, target: TargetKind) -> Option<&str> {
        self.reasons.get(&target).map(String::as_str)
    }
}

impl<'de> serde::Deserialize<'de> for OracleOptOut {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            All(String),
            Some(std::collections::BTreeMap<String, String>),
        }
        let reasons = match Raw::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "expected a reason, or a table of reasons by target { python-head = \"why\" }",
            )
        })? {
            Raw::All(reason) => TargetKind::ALL.map(|t| (t, reason.clone())).into(),
            Raw::Some(table) => table
                .into_iter()
                .map(|(key, reason)| {
                    TargetKind::ALL
                        .into_iter()
                        .find(|t| t.as_str() == key)
                        .map(|t| (t, reason))
                        .ok_or_else(|| {
                            serde::de::Error::custom(format!(
                                "unknown target `{key}` in oracle_opt_out, expected sdk, audited or python-head"
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self { reasons })
    }
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

/// One thread of operations.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadSpec {
    pub name: String,
    pub ops: Vec<Op>,
}

/// Which target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum TargetKind {
    /// The SDK of this workspace (its shuttle or loom twin).
    Sdk,
    /// A model of the Python SDK as the audit found it.
    Audited,
    /// A model of the Python SDK's head after its thread-safety fix (commit 371aca1).
    PythonHead,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [TargetKind::Sdk, TargetKind::Audited, TargetKind::PythonHead];

    /// The models of Python code: every target but the SDK.
    pub const MODELS: [TargetKind; 2] = [TargetKind::Audited, TargetKind::PythonHead];

    pub fn as_str(&self) -> &'static str {
        match self {
            TargetKind::Sdk => "sdk",
            TargetKind::Audited => "audited",
            TargetKind::PythonHead => "python-head",
        }
    }
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

/// Every scenario file in `folder`, sorted by name.
pub fn files_in(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

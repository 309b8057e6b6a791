//! The parser: TOML text to a validated [`Scenario`], with every error located at its file,
//! line and column.

use super::{
    budget, ClientSpec, Expect, ExplorerKind, Op, ProviderSpec, Scenario, ScheduleSpec, TargetKind,
    ThreadSpec, AUDIT_IDS,
};
use crate::ops::Names;
use crate::properties::Property;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use toml::Spanned;

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
    reenters: bool,
    #[serde(default)]
    schedule: Option<Spanned<ScheduleSpec>>,
    // Not `Spanned`: toml cannot span a table that `[expect.sdk]` headers build after
    // `[[thread.ops]]` tables; errors in it are located by their text instead.
    expect: Expect,
    #[serde(default)]
    benign: Option<String>,
    #[serde(default)]
    oracle_opt_out: crate::scenario::OracleOptOut,
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
const TOP_LEVEL_KEYS: [&str; 11] = [
    "description",
    "reenters",
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

/// Makes errors located in one file's text.
struct Locator<'a> {
    file: String,
    source: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize, message: String) -> ScenarioError {
        ScenarioError {
            file: self.file.clone(),
            at: Some(line_column(self.source, offset)),
            message,
        }
    }
}

/// Parses and validates a scenario from its text; `path` is only used in messages.
pub fn parse(name: &str, path: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    let locator = Locator {
        file: path.display().to_string(),
        source,
    };
    let raw: RawScenario = toml::from_str(source).map_err(|error| {
        let (offset, message) = misplaced_top_level_key(source).unwrap_or_else(|| {
            let offset = error.span().map_or(0, |span| span.start);
            (offset, error.message().trim().to_owned())
        });
        locator.at(offset, message)
    })?;
    check_audit_and_threads(&raw, &locator)?;
    check_schedule(&raw, &locator)?;
    check_expectations(&raw.expect, &locator)?;

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
                op.get_ref()
                    .check(&names)
                    .map(|()| op.get_ref().clone())
                    .map_err(|message| locator.at(op.span().start, message))
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
        reenters: raw.reenters,
        schedule: raw.schedule.map(Spanned::into_inner).unwrap_or_default(),
        expect: raw.expect,
        benign: raw.benign,
        oracle_opt_out: raw.oracle_opt_out,
    })
}

/// Every audit id is known, and there are one to four threads.
fn check_audit_and_threads(raw: &RawScenario, locator: &Locator) -> Result<(), ScenarioError> {
    for audit in &raw.audit {
        if !AUDIT_IDS.contains(&audit.get_ref().as_str()) {
            return Err(locator.at(
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
        return Err(locator.at(
            0,
            format!(
                "a scenario has one to four [[thread]] tables (loom models five threads, the main one and background ones included), found {}",
                raw.thread.len()
            ),
        ));
    }
    Ok(())
}

/// The preemption bounds are within range, and a changed default says why.
fn check_schedule(raw: &RawScenario, locator: &Locator) -> Result<(), ScenarioError> {
    let Some(schedule) = &raw.schedule else {
        return Ok(());
    };
    let spec = schedule.get_ref();
    if spec.explorer.of(TargetKind::Sdk) == ExplorerKind::None {
        return Err(locator.at(
            schedule.span().start,
            "explorer `none` is refused on the sdk target: every scenario is explored exhaustively on the SDK".to_owned(),
        ));
    }
    for target in TargetKind::ALL {
        let bound = spec.preemption_bound.of(target);
        budget::check("preemption_bound", bound as u64, &budget::PREEMPTION_BOUND)
            .map_err(|message| locator.at(schedule.span().start, message))?;
    }
    let defaults = ScheduleSpec {
        reason: spec.reason.clone(),
        ..ScheduleSpec::default()
    };
    if spec.reason.is_none() && *spec != defaults {
        return Err(locator.at(
            schedule.span().start,
            "a [schedule] that changes a default needs `reason = \"...\"` saying why".to_owned(),
        ));
    }
    Ok(())
}

/// Every property an expectation names is known; an unknown one is located at its text.
fn check_expectations(expect: &Expect, locator: &Locator) -> Result<(), ScenarioError> {
    for verdict in TargetKind::ALL.map(|target| expect.of(target)) {
        for property in verdict.violates.iter().chain(&verdict.may_violate) {
            if Property::from_id(property).is_none() {
                let quoted = locator
                    .source
                    .find(&format!("\"{property}\""))
                    .or_else(|| locator.source.find("[expect"));
                return Err(locator.at(
                    quoted.unwrap_or_default(),
                    format!(
                        "unknown property `{property}`, expected one of {}",
                        Property::ids().join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "description = \"x\"\naudit = []\n[[thread]]\nops = [{ op = \"shutdown\" }]\n[expect]\nsdk = \"holds\"\npython-head = \"holds\"\n";

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
        assert_eq!(error.at, Some((10, 13)), "{error}");
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

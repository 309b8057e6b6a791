//! Builders for the properties' unit tests: a scenario from TOML text, provider and operation
//! records, a log and an end state, and the details one property reports.

use super::{check, Property};
use crate::ops::OpResult;
use crate::scenario::{Op, Scenario};
use crate::world::{FinalState, LifecycleCall, Log, OpRecord, ProviderRecord};
use std::path::Path;

/// A scenario parsed from `extra` (top-level keys) between a description and one empty thread
/// expected to hold on both targets.
pub fn scenario(extra: &str) -> Scenario {
    let source = format!(
        "description = \"unit\"\naudit = []\n{extra}\n[[thread]]\nops = []\n\n\
         [expect]\nsdk = \"holds\"\naudited = \"holds\"\npython-head = \"holds\"\n"
    );
    crate::scenario::parse("unit", Path::new("unit.toml"), &source)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// A provider's record with these lifecycle calls, counted.
pub fn provider(calls: &[LifecycleCall]) -> ProviderRecord {
    ProviderRecord {
        init: calls
            .iter()
            .filter(|call| **call == LifecycleCall::Initialize)
            .count(),
        shutdown: calls
            .iter()
            .filter(|call| **call == LifecycleCall::Shutdown)
            .count(),
        lifecycle: calls.to_vec(),
        ..ProviderRecord::default()
    }
}

/// A log with these providers' records and nothing else.
pub fn log_of(providers: &[(&str, ProviderRecord)]) -> Log {
    Log {
        providers: providers
            .iter()
            .map(|(name, record)| ((*name).to_owned(), record.clone()))
            .collect(),
        ..Log::default()
    }
}

/// An end state with these `slot -> provider` bindings, each provider reporting READY.
pub fn bound(bindings: &[(&str, &str)]) -> FinalState {
    FinalState {
        bindings: bindings
            .iter()
            .map(|(slot, name)| ((*slot).to_owned(), (*name).to_owned()))
            .collect(),
        statuses: bindings
            .iter()
            .map(|(_, name)| ((*name).to_owned(), "READY".to_owned()))
            .collect(),
        ..FinalState::default()
    }
}

/// The record of operation `key` (`T0.1`) at `order`, running from step `start` to `end`.
pub fn op(
    key: &str,
    order: (usize, usize, usize),
    (start, end): (usize, usize),
    op: Op,
    result: OpResult,
) -> OpRecord {
    OpRecord {
        key: key.to_owned(),
        order,
        thread: key.split('.').next().unwrap_or_default().to_owned(),
        label: op.label(),
        op,
        start,
        end,
        result,
    }
}

/// The details `property` reports for this execution, through [`check`].
pub fn details(
    property: Property,
    scenario: &Scenario,
    log: &Log,
    state: &FinalState,
) -> Vec<String> {
    check(scenario, log, state)
        .into_iter()
        .filter(|violation| violation.property == property)
        .map(|violation| violation.detail)
        .collect()
}

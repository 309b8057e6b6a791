//! `resolved-after-shutdown`: no evaluation or tracking event calls a provider after the
//! shutdown of its registration began. Judged from the calls the provider recorded in a
//! phase that cannot serve them.

use crate::world::{FinalState, Log, MisplacedCall, Phase, ProviderCall};

pub const ID: &str = "resolved-after-shutdown";
pub const DESCRIPTION: &str =
    "no evaluation (resolve) or tracking event (track) calls a provider after its shutdown began";

/// A provider that was asked to resolve or track after its shutdown began.
pub fn check(name: &str, log: &Log, _state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    describe(name, &record.misplaced, |phase| phase == Phase::ShutDown)
}

/// Names the calls in a phase that `wrong` selects: how many of each kind, and the phase and
/// operation of the first; `None` when there is none. Shared with `resolved-before-ready`.
pub(super) fn describe(
    name: &str,
    calls: &[MisplacedCall],
    wrong: impl Fn(Phase) -> bool,
) -> Option<String> {
    let calls: Vec<&MisplacedCall> = calls.iter().filter(|call| wrong(call.phase)).collect();
    let first = calls.first()?;
    let count = |kind: ProviderCall| calls.iter().filter(|call| call.call == kind).count();
    let served = first
        .op
        .as_deref()
        .map(|op| format!(", serving {op}"))
        .unwrap_or_default();
    Some(format!(
        "{name} received {} resolve(s) and {} track(s) in a phase that cannot serve them; \
         the first, a {}, {}{served}",
        count(ProviderCall::Resolve),
        count(ProviderCall::Track),
        first.call.as_str(),
        first.phase.describe(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};
    use crate::world::ProviderRecord;

    fn misplaced(call: ProviderCall, phase: Phase, op: &str) -> MisplacedCall {
        MisplacedCall {
            call,
            phase,
            op: Some(op.to_owned()),
        }
    }

    #[test]
    fn a_resolve_or_track_after_shutdown_violates_and_is_named() {
        let record = ProviderRecord {
            misplaced: vec![
                misplaced(ProviderCall::Track, Phase::ShutDown, "T1.0"),
                misplaced(ProviderCall::Resolve, Phase::ShutDown, "T0.2"),
            ],
            ..provider(&[Initialize, Shutdown])
        };
        assert_eq!(
            check("p1", &log_of(&[("p1", record)]), &bound(&[])).as_deref(),
            Some(
                "p1 received 1 resolve(s) and 1 track(s) in a phase that cannot serve them; \
                 the first, a track, after its shutdown began, serving T1.0"
            )
        );
    }

    #[test]
    fn calls_before_ready_are_another_property() {
        let record = ProviderRecord {
            misplaced: vec![misplaced(ProviderCall::Resolve, Phase::Initializing, "T0.0")],
            ..provider(&[Initialize])
        };
        assert_eq!(check("p1", &log_of(&[("p1", record)]), &bound(&[])), None);
        let healthy = provider(&[Initialize, Shutdown]);
        assert_eq!(check("p1", &log_of(&[("p1", healthy)]), &bound(&[])), None);
    }
}

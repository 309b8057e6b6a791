//! `resolved-before-ready`: a registration serves evaluations and tracking events only once its
//! `initialize` has finished (or the provider has emitted an event that makes it ready, stale
//! or in error: the provider is the source of its status, spec 2.8), and never after its
//! `initialize` failed with `PROVIDER_FATAL`; until then the SDK answers `PROVIDER_NOT_READY`
//! or `PROVIDER_FATAL` without calling the provider. Judged from the calls the provider
//! recorded in a phase that cannot serve them.

use crate::world::{FinalState, Log, Phase};

pub const ID: &str = "resolved-before-ready";
pub const DESCRIPTION: &str = "no evaluation or tracking event calls a provider before its \
     initialize finished (or it emitted READY, STALE or ERROR), or after its initialize failed \
     with PROVIDER_FATAL";

/// A provider that was asked to resolve or track before it could serve.
pub fn check(name: &str, log: &Log, _state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    super::resolved_after_shutdown::describe(name, &record.misplaced, |phase| {
        matches!(phase, Phase::Unused | Phase::Initializing | Phase::Fatal)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};
    use crate::world::{MisplacedCall, ProviderCall, ProviderRecord};

    fn with_calls(calls: &[(ProviderCall, Phase)]) -> ProviderRecord {
        ProviderRecord {
            misplaced: calls
                .iter()
                .map(|&(call, phase)| MisplacedCall {
                    call,
                    phase,
                    op: None,
                })
                .collect(),
            ..provider(&[Initialize])
        }
    }

    #[test]
    fn a_call_during_initialize_or_after_a_fatal_one_violates() {
        let record = with_calls(&[
            (ProviderCall::Resolve, Phase::Initializing),
            (ProviderCall::Track, Phase::Fatal),
        ]);
        assert_eq!(
            check("p0", &log_of(&[("p0", record)]), &bound(&[])).as_deref(),
            Some(
                "p0 received 1 resolve(s) and 1 track(s) in a phase that cannot serve them; \
                 the first, a resolve, before its initialize finished"
            )
        );
        let unused = with_calls(&[(ProviderCall::Resolve, Phase::Unused)]);
        let detail = check("p0", &log_of(&[("p0", unused)]), &bound(&[])).unwrap_or_default();
        assert!(detail.ends_with("a resolve, before its initialize"), "{detail}");
    }

    #[test]
    fn calls_after_shutdown_are_another_property() {
        let record = ProviderRecord {
            misplaced: with_calls(&[(ProviderCall::Resolve, Phase::ShutDown)]).misplaced,
            ..provider(&[Initialize, Shutdown])
        };
        assert_eq!(check("p0", &log_of(&[("p0", record)]), &bound(&[])), None);
    }
}

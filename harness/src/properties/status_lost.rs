//! `status-lost`: a bound provider whose initialize succeeded and that emitted nothing reports
//! READY at the end. Judged from the provider's record and the end state's statuses.

use crate::world::{FinalState, Log};

pub const ID: &str = "status-lost";
pub const DESCRIPTION: &str =
    "a bound provider whose initialize succeeded and that emitted nothing reports READY at the end";

/// A bound, initialized provider with a successful initialize and no emits, whose status is
/// anything but READY (or missing).
pub fn check(name: &str, log: &Log, state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    if !super::is_bound(state, name)
        || !record.is_initialized()
        || record.init_ok == 0
        || record.emits > 0
    {
        return None;
    }
    let status = state.statuses.get(name).map_or("missing", String::as_str);
    (status != "READY").then(|| format!("{name} initialized successfully but reports {status}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::Initialize;
    use crate::world::ProviderRecord;

    fn initialized_ok() -> ProviderRecord {
        ProviderRecord {
            init_ok: 1,
            ..provider(&[Initialize])
        }
    }

    #[test]
    fn a_ready_provider_reporting_not_ready_violates() {
        let log = log_of(&[("p1", initialized_ok())]);
        let mut state = bound(&[("default", "p1")]);
        state.statuses.insert("p1".into(), "NOT_READY".into());
        assert_eq!(
            check("p1", &log, &state).as_deref(),
            Some("p1 initialized successfully but reports NOT_READY")
        );
        state.statuses.clear();
        assert_eq!(
            check("p1", &log, &state).as_deref(),
            Some("p1 initialized successfully but reports missing")
        );
    }

    #[test]
    fn ready_or_an_emitting_provider_holds() {
        let log = log_of(&[("p1", initialized_ok())]);
        assert_eq!(check("p1", &log, &bound(&[("default", "p1")])), None);
        let emitted = ProviderRecord {
            emits: 1,
            ..initialized_ok()
        };
        let mut state = bound(&[("default", "p1")]);
        state.statuses.insert("p1".into(), "ERROR".into());
        assert_eq!(check("p1", &log_of(&[("p1", emitted)]), &state), None);
    }
}

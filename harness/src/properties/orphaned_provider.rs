//! `orphaned-provider`: every provider that was initialized is, at the end, bound or shut down.
//! Judged from the provider's last lifecycle call and the end state's bindings.

use crate::world::{FinalState, Log};

pub const ID: &str = "orphaned-provider";
pub const DESCRIPTION: &str = "every provider that was initialized is, at the end, bound or shut down (no orphaned or lost provider; every replaced provider shut down)";

/// A provider whose last call was an initialize and that nothing binds any more.
pub fn check(name: &str, log: &Log, state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    (record.is_initialized() && !super::is_bound(state, name))
        .then(|| format!("{name} was initialized but is neither bound nor shut down"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};

    #[test]
    fn an_initialized_provider_left_unbound_violates() {
        let log = log_of(&[("p1", provider(&[Initialize]))]);
        assert_eq!(
            check("p1", &log, &bound(&[("default", "p2")])).as_deref(),
            Some("p1 was initialized but is neither bound nor shut down")
        );
    }

    #[test]
    fn a_bound_or_shut_down_provider_holds() {
        let initialized = log_of(&[("p1", provider(&[Initialize]))]);
        assert_eq!(check("p1", &initialized, &bound(&[("d1", "p1")])), None);
        let retired = log_of(&[("p1", provider(&[Initialize, Shutdown]))]);
        assert_eq!(check("p1", &retired, &bound(&[])), None);
    }
}

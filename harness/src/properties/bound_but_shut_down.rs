//! `bound-but-shut-down`: no provider bound at the end has been shut down. Judged from the
//! provider's last lifecycle call and the end state's bindings.

use crate::world::{FinalState, Log};

pub const ID: &str = "bound-but-shut-down";
pub const DESCRIPTION: &str = "no provider bound at the end has been shut down";

/// A bound provider whose last call was a shutdown.
pub fn check(name: &str, log: &Log, state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    (super::is_bound(state, name) && record.is_shut())
        .then(|| format!("{name} is bound but was shut down"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};

    #[test]
    fn a_bound_provider_shut_down_last_violates() {
        let log = log_of(&[("p1", provider(&[Initialize, Shutdown]))]);
        assert_eq!(
            check("p1", &log, &bound(&[("default", "p1")])).as_deref(),
            Some("p1 is bound but was shut down")
        );
    }

    #[test]
    fn a_bound_provider_initialized_again_or_an_unbound_one_holds() {
        let again = log_of(&[("p1", provider(&[Initialize, Shutdown, Initialize]))]);
        assert_eq!(check("p1", &again, &bound(&[("default", "p1")])), None);
        let retired = log_of(&[("p1", provider(&[Initialize, Shutdown]))]);
        assert_eq!(check("p1", &retired, &bound(&[("default", "p2")])), None);
    }
}

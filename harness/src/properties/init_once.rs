//! `init-once`: no provider is initialized twice without a shutdown between. Judged from the
//! provider's lifecycle calls in the log.

use crate::world::{FinalState, LifecycleCall, Log};

pub const ID: &str = "init-once";
pub const DESCRIPTION: &str = "no provider is initialized twice without a shutdown between (rebinding after a shutdown starts a new lifecycle)";

/// A healthy lifecycle alternates: initialize, shutdown, initialize (a provider bound again
/// after it was retired starts a new lifecycle), ...
pub fn check(name: &str, log: &Log, _state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    record.twice_in_a_row(LifecycleCall::Initialize).then(|| {
        format!(
            "{name}.initialize() ran twice without a shutdown between ({})",
            record.lifecycle_letters()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, details, log_of, provider, scenario};
    use super::super::Property;
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};

    #[test]
    fn two_initializes_in_a_row_violate() {
        let log = log_of(&[("p1", provider(&[Initialize, Initialize, Shutdown]))]);
        let state = bound(&[]);
        assert_eq!(
            check("p1", &log, &state).as_deref(),
            Some("p1.initialize() ran twice without a shutdown between (IIS)")
        );
        assert_eq!(
            details(Property::InitOnce, &scenario(""), &log, &state),
            ["p1.initialize() ran twice without a shutdown between (IIS)"]
        );
    }

    #[test]
    fn a_new_lifecycle_after_a_shutdown_holds() {
        let log = log_of(&[("p1", provider(&[Initialize, Shutdown, Initialize]))]);
        assert_eq!(check("p1", &log, &bound(&[("default", "p1")])), None);
        assert_eq!(check("p2", &log, &bound(&[])), None);
    }
}

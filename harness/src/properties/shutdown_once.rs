//! `shutdown-once`: no provider is shut down twice without an initialize between, or before
//! its first initialize. Judged from the provider's lifecycle calls in the log.

use crate::world::{FinalState, LifecycleCall, Log};

pub const ID: &str = "shutdown-once";
pub const DESCRIPTION: &str =
    "no provider is shut down twice without an initialize between, or before its initialize";

/// Two shutdowns in a row, or a shutdown first, each shut down a provider already shut down
/// (or never started).
pub fn check(name: &str, log: &Log, _state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    let shutdown = LifecycleCall::Shutdown;
    (record.twice_in_a_row(shutdown) || record.starts_with(shutdown)).then(|| {
        format!(
            "{name}.shutdown() ran twice without an initialize between ({})",
            record.lifecycle_letters()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};

    #[test]
    fn two_shutdowns_in_a_row_violate() {
        let log = log_of(&[("p1", provider(&[Initialize, Shutdown, Shutdown]))]);
        assert_eq!(
            check("p1", &log, &bound(&[])).as_deref(),
            Some("p1.shutdown() ran twice without an initialize between (ISS)")
        );
    }

    #[test]
    fn a_shutdown_before_any_initialize_violates() {
        let log = log_of(&[("p1", provider(&[Shutdown, Initialize]))]);
        assert_eq!(
            check("p1", &log, &bound(&[])).as_deref(),
            Some("p1.shutdown() ran twice without an initialize between (SI)")
        );
    }

    #[test]
    fn alternating_calls_hold() {
        let log = log_of(&[(
            "p1",
            provider(&[Initialize, Shutdown, Initialize, Shutdown]),
        )]);
        assert_eq!(check("p1", &log, &bound(&[])), None);
        let untouched = log_of(&[("p1", provider(&[]))]);
        assert_eq!(check("p1", &untouched, &bound(&[])), None);
    }
}

//! `resolved-after-shutdown`: no evaluation resolves on a provider after its shutdown began.
//! Judged from the count the world keeps of resolutions after a shutdown.

use crate::world::{FinalState, Log};

pub const ID: &str = "resolved-after-shutdown";
pub const DESCRIPTION: &str = "no evaluation resolves on a provider after its shutdown began";

/// A provider that resolved while its last lifecycle call was a shutdown.
pub fn check(name: &str, log: &Log, _state: &FinalState) -> Option<String> {
    let record = log.providers.get(name)?;
    (record.resolved_after_shutdown > 0).then(|| {
        format!(
            "{name} resolved {} time(s) after its shutdown",
            record.resolved_after_shutdown
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, log_of, provider};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};
    use crate::world::ProviderRecord;

    #[test]
    fn a_resolution_after_shutdown_violates() {
        let record = ProviderRecord {
            resolves: 3,
            resolved_after_shutdown: 2,
            ..provider(&[Initialize, Shutdown])
        };
        assert_eq!(
            check("p1", &log_of(&[("p1", record)]), &bound(&[])).as_deref(),
            Some("p1 resolved 2 time(s) after its shutdown")
        );
    }

    #[test]
    fn resolutions_before_shutdown_hold() {
        let record = ProviderRecord {
            resolves: 3,
            ..provider(&[Initialize, Shutdown])
        };
        assert_eq!(check("p1", &log_of(&[("p1", record)]), &bound(&[])), None);
    }
}

//! `retired-event-delivered`: an event a provider emits after the shutdown of its registration
//! began (so after the registration was unbound from its last slot) is dropped: no handler
//! runs for it. Judged from the emissions the provider recorded as late and the emission each
//! handler run was for.

use crate::scenario::Scenario;
use crate::world::{FinalState, Log};

pub const ID: &str = "retired-event-delivered";
pub const DESCRIPTION: &str =
    "no handler runs for an event a provider emitted after the shutdown of its registration began";

/// Handler runs for late emissions, in the order they ran.
pub fn check(_scenario: &Scenario, log: &Log, _state: &FinalState) -> Vec<String> {
    log.emission_deliveries
        .iter()
        .filter(|(_, provider, emission)| {
            log.providers
                .get(provider)
                .is_some_and(|record| record.late_emissions.contains(emission))
        })
        .map(|(handler, provider, emission)| {
            format!(
                "handler {handler} ran for {provider}'s emission #{emission}, emitted after \
                 {provider}'s shutdown began"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, details, log_of, provider, scenario};
    use super::super::Property;
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};
    use crate::world::ProviderRecord;

    fn log(delivered: &[usize]) -> Log {
        let record = ProviderRecord {
            emits: 3,
            late_emissions: vec![3],
            ..provider(&[Initialize, Shutdown])
        };
        let mut log = log_of(&[("p0", record)]);
        log.emission_deliveries = delivered
            .iter()
            .map(|&emission| ("h".to_owned(), "p0".to_owned(), emission))
            .collect();
        log
    }

    #[test]
    fn a_late_emission_reaching_a_handler_violates() {
        assert_eq!(
            details(Property::RetiredEventDelivered, &scenario(""), &log(&[1, 3]), &bound(&[])),
            ["handler h ran for p0's emission #3, emitted after p0's shutdown began"]
        );
    }

    #[test]
    fn emissions_before_shutdown_may_be_delivered_late() {
        let verdict =
            details(Property::RetiredEventDelivered, &scenario(""), &log(&[1, 2]), &bound(&[]));
        assert!(verdict.is_empty(), "{verdict:?}");
    }
}

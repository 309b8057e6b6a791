//! The properties checked after every execution, with their stable ids, and the rendering of
//! an execution's outcome: the canonical text that snapshots and the oracle compare.
//!
//! Each property is one unit (one file) holding its id, its description and, when the world's
//! records decide it, its check. The `properties!` table below lists every unit once; the
//! `Property` enum, its lists and lookups, and the dispatch of [`check`] are derived from it.
//!
//! Properties read only the world's records and the final state, so they judge both targets
//! alike. Nothing here runs user code or touches shuttle.

use crate::scenario::Scenario;
use crate::world::{FinalState, Log};
use std::fmt;

mod outcome;
#[cfg(test)]
mod testing;

pub use outcome::outcome;

/// Declares every property, in report order, from its unit. Three groups:
/// - `per_provider`: units whose `check(name, log, state) -> Option<String>` judges one
///   provider; [`check`] asks each in turn for every provider the log knows;
/// - `whole_log`: units whose `check(scenario, log, state) -> Vec<String>` judges the whole
///   execution;
/// - `judged_elsewhere`: units with an id and a description only (the oracle, the runner).
///
/// A unit module holds `ID` and `DESCRIPTION`; the enum's order (and so `ALL` and `Ord`) is
/// the order of the table.
macro_rules! properties {
    (
        per_provider { $($Provider:ident => $provider_unit:ident,)* }
        whole_log { $($Whole:ident => $whole_unit:ident,)* }
        judged_elsewhere { $($Elsewhere:ident => $elsewhere_unit:ident,)* }
    ) => {
        $(mod $provider_unit;)*
        $(mod $whole_unit;)*
        $(mod $elsewhere_unit;)*

        /// A property with a stable id used in scenario files and reports.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Property {
            $($Provider,)*
            $($Whole,)*
            $($Elsewhere,)*
        }

        impl Property {
            pub const ALL: [Property; [
                $(stringify!($Provider),)*
                $(stringify!($Whole),)*
                $(stringify!($Elsewhere),)*
            ].len()] = [
                $(Property::$Provider,)*
                $(Property::$Whole,)*
                $(Property::$Elsewhere,)*
            ];

            pub fn id(&self) -> &'static str {
                match self {
                    $(Property::$Provider => $provider_unit::ID,)*
                    $(Property::$Whole => $whole_unit::ID,)*
                    $(Property::$Elsewhere => $elsewhere_unit::ID,)*
                }
            }

            /// What the property asserts, for `harness ops` and the contributor's guide.
            pub fn description(&self) -> &'static str {
                match self {
                    $(Property::$Provider => $provider_unit::DESCRIPTION,)*
                    $(Property::$Whole => $whole_unit::DESCRIPTION,)*
                    $(Property::$Elsewhere => $elsewhere_unit::DESCRIPTION,)*
                }
            }
        }

        /// Checks every record-based property of one finished execution: for each provider
        /// the per-provider properties in table order, then the whole-execution ones.
        pub fn check(scenario: &Scenario, log: &Log, state: &FinalState) -> Vec<Violation> {
            let mut violations = Vec::new();
            for name in log.providers.keys() {
                $(
                    if let Some(detail) = $provider_unit::check(name, log, state) {
                        violations.push(Violation { property: Property::$Provider, detail });
                    }
                )*
            }
            $(
                for detail in $whole_unit::check(scenario, log, state) {
                    violations.push(Violation { property: Property::$Whole, detail });
                }
            )*
            violations
        }
    };
}

properties! {
    per_provider {
        InitOnce => init_once,
        ShutdownOnce => shutdown_once,
        OrphanedProvider => orphaned_provider,
        BoundButShutDown => bound_but_shut_down,
        StatusLost => status_lost,
        ResolvedAfterShutdown => resolved_after_shutdown,
        ResolvedBeforeReady => resolved_before_ready,
    }
    whole_log {
        EscapedError => escaped_error,
        LostHook => lost_hook,
        LostHandler => lost_handler,
        StatusOfOtherProvider => status_of_other_provider,
        RetiredEventDelivered => retired_event_delivered,
    }
    judged_elsewhere {
        NotLinearizable => not_linearizable,
        NotSequentiallyConsistent => not_sequentially_consistent,
        Deadlock => deadlock,
        StepBound => step_bound,
        OutsideExhaustive => outside_exhaustive,
    }
}

impl Property {
    pub fn from_id(id: &str) -> Option<Property> {
        Property::ALL
            .into_iter()
            .find(|property| property.id() == id)
    }

    pub fn ids() -> Vec<&'static str> {
        Property::ALL.iter().map(Property::id).collect()
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One violated property with what showed it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub property: Property,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.property, self.detail)
    }
}

/// Whether `provider` is bound, to the default slot or a domain, at the end.
fn is_bound(state: &FinalState, provider: &str) -> bool {
    state.bindings.values().any(|bound| bound == provider)
}

#[cfg(test)]
mod tests {
    use super::testing::{bound, log_of, provider, scenario};
    use super::*;
    use crate::world::LifecycleCall::{Initialize, Shutdown};

    #[test]
    fn the_table_keeps_the_report_order_and_the_ids() {
        assert_eq!(
            Property::ids(),
            [
                "init-once",
                "shutdown-once",
                "orphaned-provider",
                "bound-but-shut-down",
                "status-lost",
                "resolved-after-shutdown",
                "resolved-before-ready",
                "escaped-error",
                "lost-hook",
                "lost-handler",
                "status-of-other-provider",
                "retired-event-delivered",
                "not-linearizable",
                "not-sequentially-consistent",
                "deadlock",
                "step-bound",
                "outside-exhaustive",
            ]
        );
        for property in Property::ALL {
            assert_eq!(Property::from_id(property.id()), Some(property));
            assert!(!property.description().is_empty());
        }
        assert_eq!(Property::from_id("no-such-property"), None);
        assert!(Property::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn check_goes_provider_by_provider_then_whole_execution() {
        let log = log_of(&[
            ("p1", provider(&[Initialize, Initialize])),
            ("p2", provider(&[Shutdown])),
        ]);
        let violations: Vec<String> = check(&scenario(""), &log, &bound(&[]))
            .iter()
            .map(Violation::to_string)
            .collect();
        assert_eq!(
            violations,
            [
                "init-once: p1.initialize() ran twice without a shutdown between (II)",
                "orphaned-provider: p1 was initialized but is neither bound nor shut down",
                "shutdown-once: p2.shutdown() ran twice without an initialize between (S)",
            ]
        );
    }
}

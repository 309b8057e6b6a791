//! The small pools of names that generated operations draw from, and their strategies. Kept
//! small on purpose (three providers, two hooks, two handlers, one domain) so that generated
//! operations collide on shared state often.

use crate::scenario::EventName;
use proptest::prelude::*;

/// The providers every generated scenario declares.
pub const PROVIDERS: [&str; 3] = ["p0", "p1", "p2"];
/// The hooks every generated scenario declares.
pub const HOOKS: [&str; 2] = ["h0", "h1"];
/// The handlers every generated scenario declares.
pub const HANDLERS: [&str; 2] = ["e0", "e1"];

/// One of `options`.
pub fn name(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(options).prop_map(str::to_owned)
}

/// The default slot or the one domain, `d1`.
pub fn domain() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), Just(Some("d1".to_owned()))]
}

/// The API, the default client, or client `c1` (bound to `d1`).
pub fn client() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("default".to_owned())),
        Just(Some("c1".to_owned()))
    ]
}

/// An event a provider may emit.
pub fn event() -> impl Strategy<Value = EventName> {
    prop_oneof![
        Just(EventName::Ready),
        Just(EventName::Stale),
        Just(EventName::Error)
    ]
}

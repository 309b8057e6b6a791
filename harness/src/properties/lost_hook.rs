//! `lost-hook`: every hook added after the last clear of its list (the API's, or a client's)
//! is present at the end. Judged from the operations' records (what was added and cleared,
//! when) and the end state's hook lists.

use crate::scenario::{Op, Scenario};
use crate::world::{FinalState, Log};
use std::collections::{BTreeMap, BTreeSet};

pub const ID: &str = "lost-hook";
pub const DESCRIPTION: &str =
    "every hook added after the last clear is present at the end (API and client hooks)";

/// The hook list an operation empties: `None` for the API's, `Some(client)` for a client's.
fn cleared_list(op: &Op) -> Option<Option<String>> {
    match op {
        Op::ClearHooks { client } => Some(client.clone()),
        Op::Shutdown {} => Some(None),
        _ => None,
    }
}

/// Hooks added by operations that started after the last clear of the same list ended, but
/// missing at the end: per list (API first, then clients by name), per hook by name.
pub fn check(_scenario: &Scenario, log: &Log, state: &FinalState) -> Vec<String> {
    // The end of the last clear of each list.
    let mut cleared_until: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for record in &log.ops {
        if let Some(list) = cleared_list(&record.op) {
            let until = cleared_until.entry(list).or_default();
            *until = (*until).max(record.end);
        }
    }
    let mut expected: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for record in &log.ops {
        if let Op::AddHooks { hooks, client } = &record.op {
            if record.start > cleared_until.get(client).copied().unwrap_or(0) {
                expected
                    .entry(client.clone())
                    .or_default()
                    .extend(hooks.iter().cloned());
            }
        }
    }
    let mut lost = Vec::new();
    for (client, hooks) in expected {
        let present = match &client {
            None => state.api_hooks.clone(),
            Some(client) => state.client_hooks.get(client).cloned().unwrap_or_default(),
        };
        let owner = client.map_or_else(|| "API".to_owned(), |c| format!("client {c}"));
        for hook in BTreeSet::from_iter(hooks.iter()) {
            let wanted = hooks.iter().filter(|h| *h == hook).count();
            let found = present.iter().filter(|h| *h == hook).count();
            if found < wanted {
                lost.push(format!(
                    "{owner} hook {hook}: added {wanted}, present {found}"
                ));
            }
        }
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::super::testing::{bound, details, op, scenario};
    use super::super::Property;
    use super::*;
    use crate::ops::Answer;
    use crate::world::OpRecord;

    fn add(
        key: &str,
        thread: usize,
        steps: (usize, usize),
        hook: &str,
        client: Option<&str>,
    ) -> OpRecord {
        let hooks = vec![hook.to_owned()];
        let client = client.map(str::to_owned);
        let order = (1, thread, 0);
        op(
            key,
            order,
            steps,
            Op::AddHooks { hooks, client },
            Ok(Answer::Done),
        )
    }

    fn log(ops: Vec<OpRecord>) -> Log {
        Log {
            ops,
            ..Log::default()
        }
    }

    #[test]
    fn a_hook_overwritten_by_a_concurrent_add_violates() {
        let log = log(vec![
            add("T0.0", 0, (1, 3), "h1", None),
            add("T1.0", 1, (2, 4), "h2", None),
            add("T1.1", 1, (5, 6), "h3", Some("c1")),
        ]);
        let mut state = bound(&[]);
        state.api_hooks = vec!["h2".into()];
        assert_eq!(
            details(Property::LostHook, &scenario(""), &log, &state),
            [
                "API hook h1: added 1, present 0",
                "client c1 hook h3: added 1, present 0"
            ]
        );
    }

    #[test]
    fn every_hook_present_or_cleared_holds() {
        let clear = Op::ClearHooks { client: None };
        let log = log(vec![
            add("T0.0", 0, (1, 2), "h1", None),
            op("T0.1", (1, 0, 1), (3, 4), clear, Ok(Answer::Done)),
            add("T1.0", 1, (5, 6), "h2", None),
            add("T1.1", 1, (7, 8), "h3", Some("c1")),
        ]);
        let mut state = bound(&[]);
        state.api_hooks = vec!["h2".into()];
        state.client_hooks.insert("c1".into(), vec!["h3".into()]);
        assert!(check(&scenario(""), &log, &state).is_empty());
    }
}

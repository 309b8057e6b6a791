//! The operation vocabulary: one entry per operation, the only place an operation is defined.
//!
//! An entry gives the operation's name and documentation, its fields as a scenario file spells
//! them (with their serde defaults), its label in traces and outcomes, the declared names it
//! refers to (checked while parsing), and its generator strategy with a weight (an entry
//! without one is never generated). From the entries, `vocabulary!` (in `define.rs`) derives
//! the `Op` type, the `Apply` trait that every target implements with one method per
//! operation, and the lists (`harness ops`, the generator's choice). Adding an operation is one
//! entry here plus one method in each target (`target/sdk/apply.rs`, `audited/mod.rs`).

#[macro_use]
mod define;
mod answer;
mod names;
pub mod pools;

pub use answer::{Answer, Code, OpResult, Raised};
pub use names::Names;

use crate::scenario::{EventName, FlagKind};
use pools::{client, domain, event, name, HANDLERS, HOOKS, PROVIDERS};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A client an operation names; without one it acts on the API (hooks, handlers) or on the
/// client named `default` (evaluations, tracking).
pub type ClientName = Option<String>;

fn yes() -> bool {
    true
}

fn default_flag() -> String {
    "flag".to_owned()
}

/// ` @client` after a label, when the operation names a client.
fn at(client: &ClientName) -> String {
    client
        .as_ref()
        .map(|client| format!(" @{client}"))
        .unwrap_or_default()
}

/// Renders a context map as `{a=1,b=2}` (keys sorted), as labels, variants and outcomes show it.
pub fn render_context(context: &BTreeMap<String, String>) -> String {
    let fields: Vec<String> = context.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", fields.join(","))
}

/// The variant a test provider resolves every flag to, in both targets: its name and the
/// context it was given (`p0 ctx{a=1}`).
pub fn variant_text(provider: &str, context: &BTreeMap<String, String>) -> String {
    format!("{provider} ctx{}", render_context(context))
}

vocabulary! {
    /// Binds a provider to the default slot or a domain, waiting for its initialization or not.
    set_provider => SetProvider {
        provider: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        #[serde(default = "yes")]
        wait: bool,
    } {
        label: format!(
            "set_provider({provider}{}{})",
            domain.as_ref().map(|d| format!(", domain={d}")).unwrap_or_default(),
            if *wait { ", wait" } else { "" }
        ),
        check(names): names.provider(provider),
        generate(3): (name(&PROVIDERS), domain(), any::<bool>())
            .prop_map(|(provider, domain, wait)| Op::SetProvider { provider, domain, wait }),
    }

    /// Unbinds and shuts down every provider and removes every handler.
    clear_providers => ClearProviders {} {
        label: "clear_providers()".to_owned(),
        check(names): Ok(()),
        generate(1): Just(Op::ClearProviders {}),
    }

    /// Shuts the API down: every provider, hook, handler and context.
    shutdown => Shutdown {} {
        label: "shutdown()".to_owned(),
        check(names): Ok(()),
        generate(1): Just(Op::Shutdown {}),
    }

    /// Adds hooks to the API, or to a client.
    add_hooks => AddHooks {
        hooks: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("add_hooks({}){}", hooks.join(","), at(client)),
        check(names): names.hooks(hooks).and_then(|()| names.client(client)),
        generate(2): (name(&HOOKS), client()).prop_map(|(hook, client)| Op::AddHooks {
            hooks: vec![hook],
            client: client.filter(|c| c != "c1"),
        }),
    }

    /// Removes every hook of the API, or of a client.
    clear_hooks => ClearHooks {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("clear_hooks(){}", at(client)),
        check(names): names.client(client),
        generate(1): Just(Op::ClearHooks { client: None }),
    }

    /// Adds a handler for an event to the API, or to a client.
    add_handler => AddHandler {
        handler: String,
        event: EventName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("add_handler({handler}, {}){}", event.as_str(), at(client)),
        check(names): names.handler(handler).and_then(|()| names.client(client)),
        generate(2): (name(&HANDLERS), event(), client())
            .prop_map(|(handler, event, client)| Op::AddHandler { handler, event, client }),
    }

    /// Removes a handler added with the same handler, event and client.
    remove_handler => RemoveHandler {
        handler: String,
        event: EventName,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("remove_handler({handler}, {}){}", event.as_str(), at(client)),
        check(names): names.handler(handler).and_then(|()| names.client(client)),
        generate(1): (name(&HANDLERS), event())
            .prop_map(|(handler, event)| Op::RemoveHandler { handler, event, client: None }),
    }

    /// The provider emits an event (as its own background thread would).
    emit => Emit { provider: String, event: EventName } {
        label: format!("emit({provider}, {})", event.as_str()),
        check(names): names.provider(provider),
        generate(2): (name(&PROVIDERS), event())
            .prop_map(|(provider, event)| Op::Emit { provider, event }),
    }

    /// The provider's emitter is detached (as the SDK does at shutdown).
    detach => Detach { provider: String } {
        label: format!("detach({provider})"),
        check(names): names.provider(provider),
        generate(1): name(&PROVIDERS).prop_map(|provider| Op::Detach { provider }),
    }

    /// Evaluates a flag through a client, with invocation context and hooks.
    evaluate => Evaluate {
        #[serde(default = "default_flag")]
        flag: String,
        #[serde(default, rename = "type")]
        flag_type: FlagKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        context: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hooks: Vec<String>,
    } {
        label: format!(
            "evaluate({flag}{}{}){}",
            if context.is_empty() { String::new() } else { format!(", {}", render_context(context)) },
            if hooks.is_empty() { String::new() } else { format!(", hooks={}", hooks.join(",")) },
            at(client)
        ),
        check(names): names.hooks(hooks).and_then(|()| names.client(client)),
        generate(3): client().prop_map(|client| Op::Evaluate {
            flag: "flag".to_owned(),
            flag_type: FlagKind::Bool,
            client,
            context: BTreeMap::new(),
            hooks: Vec::new(),
        }),
    }

    /// Replaces a client's evaluation context.
    set_client_context => SetClientContext {
        context: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("set_client_context({}){}", render_context(context), at(client)),
        check(names): names.client(client),
        generate(1): client().prop_map(|client| Op::SetClientContext {
            context: BTreeMap::from([("c".to_owned(), "1".to_owned())]),
            client,
        }),
    }

    /// Replaces the global evaluation context.
    set_context => SetContext { context: BTreeMap<String, String> } {
        label: format!("set_context({})", render_context(context)),
        check(names): Ok(()),
    }

    /// Adds one attribute to the global context (read-modify-write).
    update_context => UpdateContext { key: String, value: String } {
        label: format!("update_context({key}={value})"),
        check(names): Ok(()),
        generate(1): (
            proptest::sample::select(&["a", "b"][..]),
            proptest::sample::select(&["1", "2"][..]),
        )
            .prop_map(|(key, value)| Op::UpdateContext { key: key.to_owned(), value: value.to_owned() }),
    }

    /// Sets the transaction context of the calling thread.
    set_transaction_context => SetTransactionContext { context: BTreeMap<String, String> } {
        label: format!("set_transaction_context({})", render_context(context)),
        check(names): Ok(()),
        generate(1): Just(Op::SetTransactionContext {
            context: BTreeMap::from([("tx".to_owned(), "1".to_owned())]),
        }),
    }

    /// Installs a new, empty propagator named `propagator`.
    set_propagator => SetPropagator { propagator: String } {
        label: format!("set_propagator({propagator})"),
        check(names): Ok(()),
        generate(1): Just(Op::SetPropagator { propagator: "next".to_owned() }),
    }

    /// Creates a client for a domain.
    create_client => CreateClient {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
    } {
        label: format!("create_client({})", domain.clone().unwrap_or_default()),
        check(names): Ok(()),
    }

    /// Reads the metadata of the provider that a client of the domain (the default slot without
    /// one) evaluates on, and answers its name.
    get_provider_metadata => GetProviderMetadata {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
    } {
        label: format!("get_provider_metadata({})", domain.clone().unwrap_or_default()),
        check(names): Ok(()),
    }

    /// Reads the calling thread's transaction context through the installed propagator.
    get_transaction_context => GetTransactionContext {} {
        label: "get_transaction_context()".to_owned(),
        check(names): Ok(()),
    }

    /// Sends a tracking event through a client.
    track => Track {
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: ClientName,
    } {
        label: format!("track({event}){}", at(client)),
        check(names): names.client(client),
        generate(1): client().prop_map(|client| Op::Track { event: "t".to_owned(), client }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_the_one_a_file_spells() {
        for name in Op::NAMES {
            let text = format!("op = \"{name}\"");
            let error = toml::from_str::<Op>(&text)
                .err()
                .map(|error| error.message().to_owned())
                .unwrap_or_default();
            assert!(
                !error.contains("unknown variant"),
                "{name} is not a variant name: {error}"
            );
        }
        assert_eq!(Op::NAMES.len(), Op::DOCS.len());
        assert!(Op::DOCS.iter().all(|doc| !doc.trim().is_empty()));
    }

    #[test]
    fn an_operation_checks_the_names_it_refers_to() {
        let names = Names {
            providers: vec!["p0".into()],
            hooks: vec!["h0".into()],
            handlers: Vec::new(),
            clients: vec!["default".into()],
        };
        let evaluate = Op::Evaluate {
            flag: "flag".into(),
            flag_type: FlagKind::Bool,
            client: Some("c9".into()),
            context: BTreeMap::new(),
            hooks: vec!["h0".into()],
        };
        assert_eq!(
            evaluate.check(&names),
            Err("unknown client `c9`, expected one of default".to_owned())
        );
        let add = Op::AddHandler {
            handler: "e0".into(),
            event: EventName::Ready,
            client: None,
        };
        assert_eq!(
            add.check(&names),
            Err("unknown handler `e0`: the scenario declares no handlers".to_owned())
        );
        let emit = Op::Emit {
            provider: "p0".into(),
            event: EventName::Ready,
        };
        assert_eq!(emit.check(&names), Ok(()));
        assert_eq!(emit.name(), "emit");
        assert_eq!(emit.label(), "emit(p0, ready)");
    }
}

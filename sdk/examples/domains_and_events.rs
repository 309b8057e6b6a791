//! Providers per domain, and provider events: handlers at the API and client level, the
//! immediate run for a provider that is already ready, and a configuration change.
//! `cargo run -p openfeature-sdk --example domains_and_events`

use openfeature_sdk::{Api, Flag, InMemoryProvider, ProviderEvent, ProviderStatus};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let api = Api::new();
    let (events, received) = mpsc::channel::<String>();

    // An API-level handler hears every provider's events.
    let sender = events.clone();
    api.add_handler(ProviderEvent::ConfigurationChanged, move |details| {
        let _ = sender.send(format!(
            "API handler: {} from {} changed {:?}",
            details.event.as_str(),
            details.provider_name,
            details.details.flags_changed
        ));
    });

    let default_flags = [("banner".to_owned(), Flag::new([("v1", "hello")], "v1"))];
    let billing_flags = [("invoice-v2".to_owned(), Flag::new([("on", true)], "on"))];
    let billing = Arc::new(InMemoryProvider::named("billing-flags", billing_flags));
    api.set_provider_and_wait(Arc::new(InMemoryProvider::new(default_flags)))
        .unwrap();
    api.set_domain_provider_and_wait("billing", billing.clone())
        .unwrap();

    // A client of a domain evaluates on that domain's provider; other clients on the default.
    let billing_client = api.domain_client("billing");
    let other_client = api.domain_client("search");
    assert!(billing_client.get_bool_value("invoice-v2", false, None, None));
    assert_eq!(
        other_client.get_string_value("banner", "", None, None),
        "hello"
    );
    assert_eq!(billing_client.provider_status(), ProviderStatus::Ready);
    println!("bound domains: {:?}", api.bound_domains());

    // A client handler added for PROVIDER_READY runs at once: its provider is already ready.
    let sender = events.clone();
    billing_client.add_handler(ProviderEvent::Ready, move |details| {
        let _ = sender.send(format!(
            "billing client handler: {} from {}",
            details.event.as_str(),
            details.provider_name
        ));
    });
    println!("{}", next(&received));

    // Changing the billing flags emits PROVIDER_CONFIGURATION_CHANGED.
    billing.update_flags([("invoice-v2".to_owned(), Flag::new([("off", false)], "off"))]);
    println!("{}", next(&received));
    assert!(!billing_client.get_bool_value("invoice-v2", true, None, None));

    api.shutdown();
}

fn next(received: &mpsc::Receiver<String>) -> String {
    received
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler ran")
}

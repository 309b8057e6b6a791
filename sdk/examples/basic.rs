//! The basics: bind a provider, make a client, evaluate typed flags with a context, and read
//! the details of an evaluation. `cargo run -p openfeature-sdk --example basic`

use openfeature_sdk::{Api, EvaluationContext, Flag, InMemoryProvider};
use std::sync::Arc;

fn main() {
    let api = Api::new();
    let flags = [
        (
            "new-checkout".to_owned(),
            // "on" for users on the pro plan, "off" for everyone else.
            Flag::new([("on", true), ("off", false)], "off").with_context_evaluator(|context| {
                (context.get("plan").and_then(|plan| plan.as_str()) == Some("pro"))
                    .then(|| "on".to_owned())
            }),
        ),
        (
            "max-items".to_owned(),
            Flag::new([("small", 10), ("large", 100)], "small"),
        ),
    ];
    // Binds the provider and waits for its initialization.
    api.set_provider_and_wait(Arc::new(InMemoryProvider::new(flags)))
        .expect("the in-memory provider initializes");

    // The API's context applies to every evaluation; an invocation's context is merged over it.
    api.set_context(EvaluationContext::new().with("region", "eu"));
    let client = api.client();
    let pro_user = EvaluationContext::new()
        .with_targeting_key("user-1")
        .with("plan", "pro");
    let free_user = EvaluationContext::new()
        .with_targeting_key("user-2")
        .with("plan", "free");

    let for_pro = client.get_bool_value("new-checkout", false, Some(&pro_user), None);
    let for_free = client.get_bool_value("new-checkout", false, Some(&free_user), None);
    println!("new-checkout: pro user {for_pro}, free user {for_free}");
    assert!(for_pro && !for_free);

    let details = client.get_int_details("max-items", 5, None, None);
    println!(
        "max-items = {} (variant {:?}, reason {:?})",
        details.value, details.variant, details.reason
    );
    assert_eq!(details.value, 10);

    // Evaluation never panics: a missing flag returns the default, with the error in the details.
    let missing = client.get_string_details("no-such-flag", "fallback", None, None);
    println!(
        "no-such-flag = {:?} ({:?}: {:?})",
        missing.value, missing.error_code, missing.error_message
    );
    assert_eq!(missing.value, "fallback");

    // Shuts the provider down once and resets the API.
    api.shutdown();
}

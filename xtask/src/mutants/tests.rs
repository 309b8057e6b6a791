//! The catalogue's invariant ids, the killer read from the harness's JSON results, and the
//! options.

use super::pass::killer;
use super::*;

#[test]
fn the_invariant_ids_are_the_bullets_of_the_sdk_section() {
    let text = "# A\n\n### The SDK's invariants\n\nIntro.\n\n- **`facade`**: only sync.rs.\n  \
                more\n- **`lock-order`**: registry first.\n\n### The harness's invariants\n\n\
                - **`other`**: not the SDK's.\n";
    assert_eq!(
        invariant_ids(text),
        Ok(vec!["facade".to_owned(), "lock-order".to_owned()])
    );
    assert!(invariant_ids("# nothing here").is_err());
}

#[test]
fn the_killer_is_the_first_property_the_case_does_not_expect() {
    let case = serde_json::json!({
        "scenario": "a01", "scheduler": "pct", "passed": false,
        "expected": ["shutdown-once"],
        "violated": ["shutdown-once", "deadlock"],
    });
    assert_eq!(killer(&case).as_deref(), Some("a01 pct: deadlock"));
    // A case that failed without an unexpected property (a missing snapshot) kills nothing.
    let setup = serde_json::json!({"scenario": "a01", "expected": [], "violated": []});
    assert_eq!(killer(&setup), None);
}

#[test]
fn options_parse_and_refuse_what_they_do_not_know() {
    let args: Vec<OsString> = ["--only", "36", "--timeout", "30", "--harness-arg", "-v"]
        .iter()
        .map(OsString::from)
        .collect();
    let options = parse_options(&args).expect("valid");
    assert_eq!(options.only, ["36"]);
    assert_eq!(options.checks.timeout, Duration::from_secs(30));
    assert_eq!(options.checks.harness_args, ["-v"]);
    assert!(parse_options(&[OsString::from("--timeout"), OsString::from("soon")]).is_err());
    assert!(parse_options(&[OsString::from("--bogus")]).is_err());
}

//! The step definitions of the suites, grouped by the feature files that use them, and the
//! parsing helpers they share.

mod context;
mod evaluation;
mod hooks;
mod legacy;

use cucumber::gherkin::Step;
use openfeature_sdk::{EvaluationDetails, Value};

/// The rows of a step's data table; a step without one fails.
fn table(step: &Step) -> &[Vec<String>] {
    &step
        .table
        .as_ref()
        .expect("this step needs a data table")
        .rows
}

/// The index of `name` in a table's header row.
fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|cell| cell == name)
        .unwrap_or_else(|| panic!("the table has no {name:?} column: {header:?}"))
}

/// `None` for the suites' spelling of an absent value, `null`.
fn nullable(text: &str) -> Option<&str> {
    (text != "null").then_some(text)
}

/// A value written in a table with a `data_type` column (`string`, `boolean`, `integer`,
/// `float`/`double`).
fn typed_value(data_type: &str, text: &str) -> Value {
    match data_type.to_ascii_lowercase().as_str() {
        "string" => Value::String(text.to_owned()),
        "boolean" => Value::Bool(
            text.parse()
                .unwrap_or_else(|_| panic!("{text:?} is not a boolean")),
        ),
        "integer" => Value::Int(
            text.parse()
                .unwrap_or_else(|_| panic!("{text:?} is not an integer")),
        ),
        "float" | "double" => Value::Float(
            text.parse()
                .unwrap_or_else(|_| panic!("{text:?} is not a float")),
        ),
        other => panic!("unknown data type {other:?} in a table"),
    }
}

/// Checks one `key`/`value` row of a details table against `details`.
fn check_detail(details: &EvaluationDetails<Value>, key: &str, data_type: &str, text: &str) {
    let expected = nullable(text);
    match key {
        "flag_key" => assert_eq!(Some(details.flag_key.as_str()), expected, "flag key"),
        "value" => assert_eq!(
            Some(details.value.clone()),
            expected.map(|text| typed_value(data_type, text)),
            "value"
        ),
        "variant" => assert_eq!(details.variant.as_deref(), expected, "variant"),
        "reason" => assert_eq!(
            details.reason.as_ref().map(|reason| reason.as_str()),
            expected,
            "reason"
        ),
        "error_code" => assert_eq!(
            details.error_code.map(|code| code.as_str()),
            expected,
            "error code"
        ),
        "error_message" => assert_eq!(details.error_message.as_deref(), expected, "error message"),
        other => panic!("unknown evaluation details field {other:?} in a table"),
    }
}

//! Steps of the deprecated `evaluation.feature` (the first version of the evaluation suite),
//! on the same world as its successor.

use crate::world::{ConformanceWorld, FlagUnderTest, Kind};
use cucumber::{then, when};
use openfeature_sdk::{EvaluationContext, StructValue, Value};

/// `text` without one pair of surrounding double quotes, if it has them.
fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(text)
}

/// The SDK's `Value` has no null; an empty structure is the object default that stands in for
/// the suite's "null default value".
fn null_object() -> Value {
    Value::Struct(StructValue::new())
}

/// Checks the three fields the object-flag steps name: a boolean, a string and an integer.
fn check_object_fields(value: &Value, names: [&str; 3], values: [&str; 3]) {
    let fields = value
        .as_struct()
        .unwrap_or_else(|| panic!("{value} is not a structure"));
    let expected = [
        Kind::Boolean.value(values[0]),
        Kind::String.value(values[1]),
        Kind::Integer.value(values[2]),
    ];
    for (name, expected) in names.into_iter().zip(expected) {
        assert_eq!(
            fields.get(name),
            Some(&expected),
            "field {name:?} of {value}"
        );
    }
}

#[when(
    regex = r#"^an? (boolean|string|integer|float) flag with key "([^"]*)" is evaluated with default value (.+)$"#
)]
fn value_evaluated(world: &mut ConformanceWorld, kind: String, key: String, default: String) {
    let kind = Kind::named(&kind);
    let flag = FlagUnderTest::new(&key, kind, kind.value(unquote(&default)));
    world.value = Some(flag.value(&world.client, &world.context));
    world.flag = Some(flag);
}

#[when(regex = r#"^an object flag with key "([^"]*)" is evaluated with a null default value$"#)]
fn object_value_evaluated(world: &mut ConformanceWorld, key: String) {
    let flag = FlagUnderTest::new(&key, Kind::Object, null_object());
    world.value = Some(flag.value(&world.client, &world.context));
    world.flag = Some(flag);
}

#[then(regex = r"^the resolved (boolean|string|integer|float) value should be (.+)$")]
fn resolved_plain_value(world: &mut ConformanceWorld, kind: String, expected: String) {
    let expected = Kind::named(&kind).value(unquote(&expected));
    let value = world
        .value
        .as_ref()
        .expect("a value evaluation step comes first");
    assert_eq!(value, &expected);
}

#[then(
    regex = r#"^the resolved object value should be contain fields "([^"]*)", "([^"]*)", and "([^"]*)", with values "([^"]*)", "([^"]*)" and (\d+), respectively$"#
)]
fn resolved_object_value(
    world: &mut ConformanceWorld,
    first: String,
    second: String,
    third: String,
    first_value: String,
    second_value: String,
    third_value: String,
) {
    let value = world
        .value
        .as_ref()
        .expect("a value evaluation step comes first");
    check_object_fields(
        value,
        [&first, &second, &third],
        [&first_value, &second_value, &third_value],
    );
}

#[when(
    regex = r#"^an? (boolean|string|integer|float) flag with key "([^"]*)" is evaluated with details and default value (.+)$"#
)]
fn details_evaluated(world: &mut ConformanceWorld, kind: String, key: String, default: String) {
    let kind = Kind::named(&kind);
    world.flag = Some(FlagUnderTest::new(
        &key,
        kind,
        kind.value(unquote(&default)),
    ));
    world.evaluate(false);
}

#[when(
    regex = r#"^an object flag with key "([^"]*)" is evaluated with details and a null default value$"#
)]
fn object_details_evaluated(world: &mut ConformanceWorld, key: String) {
    world.flag = Some(FlagUnderTest::new(&key, Kind::Object, null_object()));
    world.evaluate(false);
}

#[then(
    regex = r#"^the resolved (boolean|string|integer|float) details value should be (.+), the variant should be "([^"]*)", and the reason should be "([^"]*)"$"#
)]
fn resolved_details(
    world: &mut ConformanceWorld,
    kind: String,
    value: String,
    variant: String,
    reason: String,
) {
    let details = world.details();
    assert_eq!(
        details.value,
        Kind::named(&kind).value(unquote(&value)),
        "{details:?}"
    );
    assert_eq!(
        details.variant.as_deref(),
        Some(variant.as_str()),
        "{details:?}"
    );
    assert_eq!(
        details.reason.as_ref().map(|r| r.as_str()),
        Some(reason.as_str()),
        "{details:?}"
    );
}

#[then(
    regex = r#"^the resolved object details value should be contain fields "([^"]*)", "([^"]*)", and "([^"]*)", with values "([^"]*)", "([^"]*)" and (\d+), respectively$"#
)]
fn resolved_object_details(
    world: &mut ConformanceWorld,
    first: String,
    second: String,
    third: String,
    first_value: String,
    second_value: String,
    third_value: String,
) {
    check_object_fields(
        &world.details().value,
        [&first, &second, &third],
        [&first_value, &second_value, &third_value],
    );
}

#[then(regex = r#"^the variant should be "([^"]*)", and the reason should be "([^"]*)"$"#)]
fn variant_and_reason(world: &mut ConformanceWorld, variant: String, reason: String) {
    let details = world.details();
    assert_eq!(
        details.variant.as_deref(),
        Some(variant.as_str()),
        "{details:?}"
    );
    assert_eq!(
        details.reason.as_ref().map(|r| r.as_str()),
        Some(reason.as_str()),
        "{details:?}"
    );
}

#[when(
    regex = r#"^context contains keys "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)" with values "([^"]*)", "([^"]*)", (\d+), "([^"]*)"$"#
)]
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per capture of the step"
)]
fn context_with_keys(
    world: &mut ConformanceWorld,
    first: String,
    second: String,
    third: String,
    fourth: String,
    first_value: String,
    second_value: String,
    third_value: String,
    fourth_value: String,
) {
    world
        .context
        .insert(first, Kind::String.value(&first_value));
    world
        .context
        .insert(second, Kind::String.value(&second_value));
    world
        .context
        .insert(third, Kind::Integer.value(&third_value));
    world
        .context
        .insert(fourth, Kind::Boolean.value(&fourth_value));
}

#[when(regex = r#"^a flag with key "([^"]*)" is evaluated with default value "([^"]*)"$"#)]
fn string_value_with_context(world: &mut ConformanceWorld, key: String, default: String) {
    let flag = FlagUnderTest::new(&key, Kind::String, Value::String(default));
    world.value = Some(flag.value(&world.client, &world.context));
    world.flag = Some(flag);
}

#[then(regex = r#"^the resolved string response should be "([^"]*)"$"#)]
fn string_response(world: &mut ConformanceWorld, expected: String) {
    let value = world
        .value
        .as_ref()
        .expect("a value evaluation step comes first");
    assert_eq!(value, &Value::String(expected));
}

#[then(regex = r#"^the resolved flag value is "([^"]*)" when the context is empty$"#)]
fn value_with_empty_context(world: &mut ConformanceWorld, expected: String) {
    let value = world.flag().value(&world.client, &EvaluationContext::new());
    assert_eq!(value, Value::String(expected));
}

#[when(
    regex = r#"^a non-existent string flag with key "([^"]*)" is evaluated with details and a fallback value "([^"]*)"$"#
)]
fn missing_flag_evaluated(world: &mut ConformanceWorld, key: String, default: String) {
    world.flag = Some(FlagUnderTest::new(
        &key,
        Kind::String,
        Value::String(default),
    ));
    world.evaluate(false);
}

#[when(
    regex = r#"^a string flag with key "([^"]*)" is evaluated as an integer, with details and a fallback value (\d+)$"#
)]
fn string_flag_as_integer(world: &mut ConformanceWorld, key: String, default: String) {
    world.flag = Some(FlagUnderTest::new(
        &key,
        Kind::Integer,
        Kind::Integer.value(&default),
    ));
    world.evaluate(false);
}

#[then(regex = r"^the default (string|integer) value should be returned$")]
fn default_returned(world: &mut ConformanceWorld, kind: String) {
    let flag = world.flag();
    assert_eq!(flag.kind, Kind::named(&kind), "the evaluated flag's type");
    assert_eq!(world.details().value, flag.default, "{:?}", world.details());
}

#[then(
    regex = r#"^the reason should indicate an error and the error code should indicate a (?:missing flag|type mismatch) with "([^"]*)"$"#
)]
fn error_reason_and_code(world: &mut ConformanceWorld, code: String) {
    let details = world.details();
    assert_eq!(
        details.reason.as_ref().map(|r| r.as_str()),
        Some("ERROR"),
        "{details:?}"
    );
    assert_eq!(
        details.error_code.map(|c| c.as_str()),
        Some(code.as_str()),
        "{details:?}"
    );
}

//! The `serde` feature: values, contexts, evaluation details and their parts round-trip through
//! JSON in the shapes a reader expects (values as plain JSON, codes and reasons as strings).

use openfeature_sdk::{
    ErrorCode, EvaluationContext, EvaluationDetails, EvaluationError, ProviderMetadata,
    ProviderStatus, Reason, TrackingEventDetails, Value,
};
use serde_json::json;
use std::sync::Arc;

fn round_trip<T>(value: &T, expected: serde_json::Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let written = serde_json::to_value(value).unwrap();
    assert_eq!(written, expected);
    let read: T = serde_json::from_value(written).unwrap();
    assert_eq!(&read, value);
}

#[test]
fn a_value_is_plain_json() {
    let value = Value::Struct(
        [
            ("on".to_owned(), Value::Bool(true)),
            ("count".to_owned(), Value::Int(3)),
            ("ratio".to_owned(), Value::Float(0.5)),
            ("name".to_owned(), Value::String("x".into())),
            (
                "list".to_owned(),
                Value::Array(vec![1.into(), "two".into()]),
            ),
        ]
        .into(),
    );
    round_trip(
        &value,
        json!({"on": true, "count": 3, "ratio": 0.5, "name": "x", "list": [1, "two"]}),
    );
}

#[test]
fn a_context_has_its_key_and_attributes_and_either_may_be_absent() {
    let context = EvaluationContext::new()
        .with_targeting_key("user-1")
        .with("plan", "pro");
    round_trip(
        &context,
        json!({"targeting_key": "user-1", "attributes": {"plan": "pro"}}),
    );
    let read: EvaluationContext = serde_json::from_value(json!({"attributes": {"a": 1}})).unwrap();
    assert_eq!(read, EvaluationContext::new().with("a", 1));
}

#[test]
fn details_carry_codes_and_reasons_as_strings() {
    let details = EvaluationDetails {
        flag_key: "colour".to_owned(),
        value: "red".to_owned(),
        variant: None,
        reason: Some(Reason::Error),
        error_code: Some(ErrorCode::FlagNotFound),
        error_message: Some("no such flag".to_owned()),
        flag_metadata: Arc::new([("owner".to_owned(), Value::from("growth"))].into()),
    };
    round_trip(
        &details,
        json!({
            "flag_key": "colour", "value": "red", "variant": null, "reason": "ERROR",
            "error_code": "FLAG_NOT_FOUND", "error_message": "no such flag",
            "flag_metadata": {"owner": "growth"}
        }),
    );
    round_trip(&Reason::Other("VENDOR_RULE".into()), json!("VENDOR_RULE"));
    round_trip(&Reason::TargetingMatch, json!("TARGETING_MATCH"));
    round_trip(
        &EvaluationError::new(ErrorCode::ProviderFatal, "gone"),
        json!({"code": "PROVIDER_FATAL", "message": "gone"}),
    );
    round_trip(&ProviderStatus::NotReady, json!("NOT_READY"));
    round_trip(&ProviderMetadata::new("p"), json!({"name": "p"}));
    round_trip(
        &TrackingEventDetails::new()
            .with_value(9.5)
            .with_field("sku", "a-1"),
        json!({"value": 9.5, "fields": {"sku": "a-1"}}),
    );
}

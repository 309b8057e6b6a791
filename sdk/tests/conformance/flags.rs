//! Loads the specification's `test-flags.json` into in-memory provider flags, once per run,
//! turning each `contextEvaluator` CEL expression into a context evaluator closure.

use crate::cel::Expression;
use openfeature_sdk::{Flag, InMemoryProvider, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// The flags of `test-flags.json`, loaded by [`load`] before any scenario runs.
static FLAGS: OnceLock<BTreeMap<String, Flag>> = OnceLock::new();

/// Reads and converts the flag file; an error names the flag and field it could not use.
pub fn load(path: &Path) -> Result<(), String> {
    crate::cel::self_check()?;
    let text = std::fs::read_to_string(path).map_err(|error| format!("{error}"))?;
    let json: Json = serde_json::from_str(&text).map_err(|error| format!("{error}"))?;
    let Json::Object(entries) = json else {
        return Err("the top level is not an object".to_owned());
    };
    let mut flags = BTreeMap::new();
    for (key, definition) in entries {
        let flag = flag(&definition).map_err(|why| format!("flag {key:?}: {why}"))?;
        flags.insert(key, flag);
    }
    FLAGS
        .set(flags)
        .map_err(|_| "the flags were already loaded".to_owned())
}

/// A new in-memory provider serving the loaded flags.
pub fn provider() -> InMemoryProvider {
    let flags = FLAGS
        .get()
        .expect("main loads test-flags.json before running any scenario");
    InMemoryProvider::new(flags.iter().map(|(key, flag)| (key.clone(), flag.clone())))
}

/// Converts one flag definition (`variants`, `defaultVariant`, `disabled`, `flagMetadata`,
/// `contextEvaluator`); an unknown field is an error, so new test data is not half-read.
fn flag(definition: &Json) -> Result<Flag, String> {
    let Json::Object(fields) = definition else {
        return Err("not an object".to_owned());
    };
    let mut flag = Flag::new(Vec::<(String, Value)>::new(), "");
    flag.default_variant = None;
    for (field, value) in fields {
        match (field.as_str(), value) {
            ("variants", Json::Object(variants)) => {
                for (name, variant) in variants {
                    let variant =
                        value_of(variant).map_err(|why| format!("variant {name:?}: {why}"))?;
                    flag.variants.insert(name.clone(), variant);
                }
            }
            ("defaultVariant", Json::String(name)) => flag.default_variant = Some(name.clone()),
            ("defaultVariant", Json::Null) => flag.default_variant = None,
            ("disabled", Json::Bool(disabled)) => flag.disabled = *disabled,
            ("flagMetadata", Json::Null) => {}
            ("flagMetadata", Json::Object(entries)) => {
                for (name, entry) in entries {
                    let entry =
                        value_of(entry).map_err(|why| format!("metadata {name:?}: {why}"))?;
                    flag.metadata.insert(name.clone(), entry);
                }
            }
            ("contextEvaluator", Json::String(source)) => {
                let expression = Expression::parse(source)?;
                flag = flag.with_context_evaluator(move |context| expression.evaluate(context));
            }
            (field, value) => return Err(format!("unsupported field {field:?}: {value}")),
        }
    }
    Ok(flag)
}

/// Converts a JSON value to an SDK value: integers stay integers, other numbers are floats.
pub fn value_of(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Bool(value) => Value::Bool(*value),
        Json::Number(number) => match number.as_i64() {
            Some(integer) => Value::Int(integer),
            None => Value::Float(
                number
                    .as_f64()
                    .ok_or_else(|| format!("the number {number} does not fit an f64"))?,
            ),
        },
        Json::String(value) => Value::String(value.clone()),
        Json::Array(items) => Value::Array(items.iter().map(value_of).collect::<Result<_, _>>()?),
        Json::Object(fields) => Value::Struct(
            fields
                .iter()
                .map(|(key, value)| Ok((key.clone(), value_of(value)?)))
                .collect::<Result<_, String>>()?,
        ),
        Json::Null => return Err("null, which the SDK's Value cannot hold".to_owned()),
    })
}

/// Parses a JSON text as it appears in a step (with `\"` for `"`) into an SDK value.
pub fn parse_json(text: &str) -> Result<Value, String> {
    let json: Json = serde_json::from_str(&text.replace("\\\"", "\""))
        .map_err(|error| format!("{text:?} is not JSON: {error}"))?;
    value_of(&json)
}

//! Tracking event details (spec 6.2). Plain data.

use crate::value::Value;
use std::collections::BTreeMap;

/// The optional numeric value and free-form fields of a tracking event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrackingEventDetails {
    pub value: Option<f64>,
    pub fields: BTreeMap<String, Value>,
}

impl TrackingEventDetails {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_value(mut self, value: f64) -> Self {
        self.value = Some(value);
        self
    }

    pub fn with_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }
}

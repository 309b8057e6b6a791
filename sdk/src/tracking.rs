//! Tracking event details (spec 6.2). Plain data.

use crate::value::Value;
use std::collections::BTreeMap;

/// The optional numeric value and free-form fields of a tracking event.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct TrackingEventDetails {
    /// The optional numeric value of the event (spec 6.2.1).
    pub value: Option<f64>,
    /// Custom fields of the event (spec 6.2.2).
    pub fields: BTreeMap<String, Value>,
}

impl TrackingEventDetails {
    /// Empty details: no value, no fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the numeric value, builder style.
    pub fn with_value(mut self, value: f64) -> Self {
        self.value = Some(value);
        self
    }

    /// Adds one custom field, builder style.
    pub fn with_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }
}

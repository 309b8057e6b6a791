//! Evaluation context: the targeting key and attributes a flag is evaluated against, and the
//! merge that combines the five levels of spec 3.2.3.
//!
//! An `EvaluationContext` is an immutable value once built; shared levels (global, client) are
//! held as `Arc<EvaluationContext>` and replaced whole, never mutated in place.

use crate::value::Value;
use std::collections::BTreeMap;

/// The targeting key and attributes that a provider evaluates a flag against (spec 3.1).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct EvaluationContext {
    targeting_key: Option<String>,
    attributes: BTreeMap<String, Value>,
}

impl EvaluationContext {
    /// An empty context: no targeting key, no attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the targeting key (spec 3.1.1), builder style.
    pub fn with_targeting_key(mut self, key: impl Into<String>) -> Self {
        self.targeting_key = Some(key.into());
        self
    }

    /// Sets one attribute (spec 3.1.2), builder style.
    #[doc(alias = "with_custom_field")]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Sets the targeting key (spec 3.1.1).
    pub fn set_targeting_key(&mut self, key: impl Into<String>) {
        self.targeting_key = Some(key.into());
    }

    /// Sets one attribute (spec 3.1.2), replacing any previous value under `key`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.attributes.insert(key.into(), value.into());
    }

    /// Removes an attribute, returning its value if it was set.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.attributes.remove(key)
    }

    /// The targeting key (spec 3.1.1), if set.
    pub fn targeting_key(&self) -> Option<&str> {
        self.targeting_key.as_deref()
    }

    /// The attribute under `key` (spec 3.1.3), if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// Attributes in key order (spec 3.1.3).
    pub fn attributes(&self) -> &BTreeMap<String, Value> {
        &self.attributes
    }

    /// Whether the context has neither a targeting key nor any attribute.
    pub fn is_empty(&self) -> bool {
        self.targeting_key.is_none() && self.attributes.is_empty()
    }

    /// Overlays `higher` on `self`: fields in `higher` win (spec 3.2.3).
    pub fn merge_in(&mut self, higher: &EvaluationContext) {
        if let Some(key) = &higher.targeting_key {
            self.targeting_key = Some(key.clone());
        }
        for (key, value) in &higher.attributes {
            self.attributes.insert(key.clone(), value.clone());
        }
    }

    /// Merges `levels`, lowest precedence first, into one context.
    pub fn merged<'a>(levels: impl IntoIterator<Item = &'a EvaluationContext>) -> Self {
        let mut merged = EvaluationContext::default();
        for level in levels {
            merged.merge_in(level);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_levels_overwrite_lower_ones_and_keep_the_rest() {
        let global = EvaluationContext::new()
            .with_targeting_key("global")
            .with("a", 1)
            .with("b", 1);
        let invocation = EvaluationContext::new().with("b", 2).with("c", 2);
        let merged = EvaluationContext::merged([&global, &invocation]);
        assert_eq!(merged.targeting_key(), Some("global"));
        assert_eq!(merged.get("a"), Some(&Value::Int(1)));
        assert_eq!(merged.get("b"), Some(&Value::Int(2)));
        assert_eq!(merged.get("c"), Some(&Value::Int(2)));
    }

    #[test]
    fn a_higher_targeting_key_wins() {
        let low = EvaluationContext::new().with_targeting_key("low");
        let high = EvaluationContext::new().with_targeting_key("high");
        assert_eq!(
            EvaluationContext::merged([&low, &high]).targeting_key(),
            Some("high")
        );
    }
}

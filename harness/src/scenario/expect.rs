//! A scenario's `[expect]` table: for each target, the properties it must violate and those it
//! may violate; a target that holds lists neither.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// What is expected of one target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// Properties that some execution must violate, under every randomized scheduler.
    pub violates: Vec<String>,
    /// Properties that may also be violated (consequences of the same race).
    pub may_violate: Vec<String>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.violates.is_empty() && self.may_violate.is_empty()
    }
}

impl<'de> Deserialize<'de> for Verdict {
    /// `"holds"`, or a table `{ violates = [...], may_violate = [...] }` (a single string is
    /// accepted for either list).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VerdictVisitor;
        impl<'de> Visitor<'de> for VerdictVisitor {
            type Value = Verdict;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#""holds" or a table { violates = ["property", ...], may_violate = [...] }"#,
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Verdict, E> {
                if value == "holds" {
                    Ok(Verdict::default())
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(value), &self))
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Verdict, M::Error> {
                let mut verdict = Verdict::default();
                while let Some(key) = map.next_key::<String>()? {
                    let list = map.next_value::<OneOrMany>()?.0;
                    match key.as_str() {
                        "violates" => verdict.violates = list,
                        "may_violate" => verdict.may_violate = list,
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["violates", "may_violate"],
                            ))
                        }
                    }
                }
                if verdict.violates.is_empty() && verdict.may_violate.is_empty() {
                    return Err(de::Error::custom(
                        "a verdict table needs `violates` or `may_violate` with at least one property (or write \"holds\")",
                    ));
                }
                Ok(verdict)
            }
        }
        deserializer.deserialize_any(VerdictVisitor)
    }
}

struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::One(one)) => Ok(OneOrMany(vec![one])),
            Ok(Raw::Many(many)) => Ok(OneOrMany(many)),
            Err(_) => Err(de::Error::custom(
                "expected a property id or a list of property ids",
            )),
        }
    }
}

/// Expectations per target.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub sdk: Verdict,
    pub audited: Verdict,
    #[serde(rename = "python-head")]
    pub python_head: Verdict,
}

impl Expect {
    /// What is expected of `target`.
    pub fn of(&self, target: crate::scenario::TargetKind) -> &Verdict {
        use crate::scenario::TargetKind;
        match target {
            TargetKind::Sdk => &self.sdk,
            TargetKind::Audited => &self.audited,
            TargetKind::PythonHead => &self.python_head,
        }
    }

    /// What is expected of `target`, to change.
    pub fn of_mut(&mut self, target: crate::scenario::TargetKind) -> &mut Verdict {
        use crate::scenario::TargetKind;
        match target {
            TargetKind::Sdk => &mut self.sdk,
            TargetKind::Audited => &mut self.audited,
            TargetKind::PythonHead => &mut self.python_head,
        }
    }
}

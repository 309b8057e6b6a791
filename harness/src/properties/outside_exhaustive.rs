//! `outside-exhaustive`: id and description only. Judged by `crate::oracle::judge_within`,
//! against the scenario's exhaustive outcome set.

pub const ID: &str = "outside-exhaustive";
pub const DESCRIPTION: &str = "every outcome of a randomized run is in the scenario's exhaustive outcome set (its exhaustive snapshot); one outside means the preemption bound is too low";

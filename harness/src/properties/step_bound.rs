//! `step-bound`: id and description only. Judged by the runner (`crate::runner`) from the
//! model checker's failure when an execution exceeds the scenario's step bound.

pub const ID: &str = "step-bound";
pub const DESCRIPTION: &str = "no execution exceeds the scenario's step bound";

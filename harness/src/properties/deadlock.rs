//! `deadlock`: id and description only. Judged by the runner (`crate::runner`) from the model
//! checker's failure when every task is blocked.

pub const ID: &str = "deadlock";
pub const DESCRIPTION: &str = "no execution deadlocks (reported with its trace, never a hang)";

//! `not-sequentially-consistent`: id and description only. Judged by the oracle
//! (`crate::oracle`), which compares the outcome with every sequential execution's.

pub const ID: &str = "not-sequentially-consistent";
pub const DESCRIPTION: &str = "the outcome is one that some sequential execution of whole operations produces, in any order (each thread's own order kept; real time not asked)";

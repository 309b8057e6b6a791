//! `not-linearizable`: id and description only. Judged by the oracle (`crate::oracle`), which
//! looks for a sequential execution that produces the outcome in an order respecting the
//! execution's real-time order.

pub const ID: &str = "not-linearizable";
pub const DESCRIPTION: &str = "some sequential execution of whole operations produces the outcome in an order that respects real time: an operation or background step that ended before another began comes first";

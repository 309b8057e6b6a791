//! Providers shipped with the SDK: the no-op default and the in-memory provider of spec
//! Appendix A.

mod in_memory;
mod noop;

pub use in_memory::{ContextEvaluator, Flag, InMemoryProvider};
pub use noop::NoOpProvider;

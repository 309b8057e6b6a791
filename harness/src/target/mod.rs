//! Targets: what a scenario runs against. `sdk` is the real SDK (its shuttle twin); `audited` is
//! a faithful model of the audited Python SDK; `python-head` one of the Python SDK's head after
//! its thread-safety fix. All are driven through [`Target`] and observed only through the world's
//! records and [`FinalState`], so their outcomes compare.

pub mod sdk;

use crate::ops::Apply;
use crate::world::{FinalState, World};
use std::sync::Arc;

/// One target instance, for one execution. Operations run through [`Apply`], one method per
/// operation, on the calling thread; each answers an [`crate::ops::Answer`] or raises.
pub trait Target: Apply + Send + Sync {
    /// The state at the end, once every thread and background task has finished.
    fn final_state(&self) -> FinalState;

    /// Joins the target's own background work (the SDK's initialization threads).
    fn join_background(&self);
}

pub use crate::scenario::TargetKind;

impl TargetKind {
    /// A fresh instance of this target in `world`, with the scenario's declarations made.
    pub fn build(&self, world: &Arc<World>) -> Box<dyn Target> {
        match self {
            TargetKind::Sdk => Box::new(sdk::SdkTarget::new(world)),
            TargetKind::Audited => Box::new(crate::audited::AuditedTarget::new(world)),
            TargetKind::PythonHead => Box::new(crate::python_head::PythonHeadTarget::new(world)),
        }
    }
}

pub use crate::ops::{render_context, variant_text};

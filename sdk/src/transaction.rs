//! Transaction context propagation (spec 3.3): a context that follows a unit of work (a request,
//! a job) without being passed around. The default propagator keeps it per thread.
//!
//! Propagators are user code: the SDK calls them outside its locks, and the swap of the installed
//! propagator is made atomic with respect to `set_transaction_context` by a version check
//! (see `Api::set_transaction_context`), not by holding a lock around user code.

use crate::context::EvaluationContext;
use crate::sync::Weak;
use crate::sync::{self, Arc};
use std::cell::RefCell;

/// Stores and retrieves the transaction context (spec 3.3.1).
pub trait TransactionContextPropagator: Send + Sync + 'static {
    /// The transaction context of the current unit of work, if one was set.
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>>;

    /// Sets the transaction context of the current unit of work.
    fn set_transaction_context(&self, context: Arc<EvaluationContext>);
}

/// Identifies one propagator instance in the thread-local table.
struct PropagatorKey;

sync::fast_thread_local! {
    /// This thread's transaction contexts, one per live `ThreadLocalPropagator`. Entries of
    /// dropped propagators are pruned on the next set.
    static THREAD_CONTEXTS: RefCell<Vec<(Weak<PropagatorKey>, Arc<EvaluationContext>)>> =
        RefCell::new(Vec::new());
}

/// Keeps the transaction context per thread, separately for each propagator instance (so two
/// API instances on one thread do not see each other's transaction context).
pub struct ThreadLocalPropagator {
    key: Arc<PropagatorKey>,
}

impl ThreadLocalPropagator {
    /// A propagator with its own, initially empty, per-thread storage.
    pub fn new() -> Self {
        Self {
            key: Arc::new(PropagatorKey),
        }
    }

    fn is_mine(&self, key: &Weak<PropagatorKey>) -> bool {
        std::ptr::eq(key.as_ptr(), Arc::as_ptr(&self.key))
    }
}

impl Default for ThreadLocalPropagator {
    fn default() -> Self {
        Self::new()
    }
}

impl TransactionContextPropagator for ThreadLocalPropagator {
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        THREAD_CONTEXTS.with(|contexts| {
            contexts
                .borrow()
                .iter()
                .find(|(key, _)| self.is_mine(key))
                .map(|(_, context)| Arc::clone(context))
        })
    }

    fn set_transaction_context(&self, context: Arc<EvaluationContext>) {
        THREAD_CONTEXTS.with(|contexts| {
            let mut contexts = contexts.borrow_mut();
            contexts.retain(|(key, _)| key.strong_count() > 0 && !self.is_mine(key));
            contexts.push((Arc::downgrade(&self.key), context));
        });
    }
}

/// A propagator that never stores anything.
#[derive(Default)]
pub struct NoOpPropagator;

impl TransactionContextPropagator for NoOpPropagator {
    fn get_transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        None
    }

    fn set_transaction_context(&self, _context: Arc<EvaluationContext>) {}
}

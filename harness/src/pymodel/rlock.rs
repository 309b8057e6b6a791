//! Python's `threading.RLock` for the models of the Python SDK: reentrant per checker task, built on the
//! harness's checker mutex and condition variable.

use crate::rt::hold;
use crate::rt::{Condvar, Mutex};
use crate::world::World;
use std::sync::PoisonError;

/// Python's `threading.RLock`: reentrant per checker task.
pub(crate) struct RLock {
    name: &'static str,
    /// The owning task and how many times it holds the lock; no owner when the count is zero.
    state: Mutex<(Option<usize>, usize)>,
    /// Notified when the count drops to zero.
    released: Condvar,
}

/// Holds an [`RLock`] once; the lock is free when every guard of its owner is dropped.
pub(crate) struct RLockGuard<'a>(&'a RLock);

impl RLock {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            state: Mutex::new((None, 0)),
            released: Condvar::new(),
        }
    }

    /// `with lock:` (the entry).
    pub(crate) fn acquire(&self, world: &World) -> RLockGuard<'_> {
        let me = crate::rt::current_task();
        let mut state = hold(&self.state);
        while state.0.is_some_and(|owner| owner != me) {
            state = self
                .released
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.0 = Some(me);
        state.1 += 1;
        drop(state);
        world.trace(format!("lock {}", self.name));
        RLockGuard(self)
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        let mut state = hold(&self.0.state);
        state.1 -= 1;
        if state.1 == 0 {
            state.0 = None;
            drop(state);
            self.0.released.notify_all();
        }
    }
}

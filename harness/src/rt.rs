//! The harness's own runtime facade: the threads, yields, task identities and locks that the
//! world, the test providers and the audited model use. Shuttle in every normal build; loom in
//! the exhaustive build (`RUSTFLAGS="--cfg harness_loom"`, see `ci/exhaustive.sh`), where the
//! SDK twin is switched to loom too. Nothing else in the harness names either checker's thread
//! or lock types; the schedulers and the runners, which drive a checker, name it directly.

#[cfg(not(harness_loom))]
mod imp {
    pub use shuttle::sync::{Condvar, Mutex, MutexGuard};
    pub use shuttle::thread::{yield_now, Builder, JoinHandle};

    /// A point where the scheduler may switch tasks though no shared state is touched: a test
    /// provider's slow `initialize` passes through several, so that others can overtake it.
    pub fn scheduling_point() {
        shuttle::thread::yield_now();
    }

    /// The running task's number, stable within one execution.
    pub fn current_task() -> usize {
        shuttle::current::get_current_task().map_or(usize::MAX, usize::from)
    }

    /// The running task's thread name, if it was given one.
    pub fn current_name() -> Option<String> {
        shuttle::thread::current().name().map(str::to_owned)
    }
}

#[cfg(harness_loom)]
mod imp {
    pub use loom::sync::{Condvar, Mutex, MutexGuard};
    pub use loom::thread::{yield_now, Builder, JoinHandle};

    /// Nothing under loom. A switch where no shared state is touched gives no outcome that a
    /// switch at the thread's next shared access does not, and loom's partial-order reduction
    /// explores those; loom's `yield_now` is no substitute, because it is a spin-loop hint that
    /// forces a switch to another thread and so hides the schedules where the yielding thread
    /// runs on.
    pub fn scheduling_point() {}

    /// The running thread's number, stable within one execution. Loom numbers its threads in
    /// spawn order but only shows the number through `Debug` (`ThreadId(3)`).
    pub fn current_task() -> usize {
        let id = format!("{:?}", loom::thread::current().id());
        id.trim_start_matches("ThreadId(")
            .trim_end_matches(')')
            .parse()
            .unwrap_or(usize::MAX)
    }

    /// The running thread's name, if it was given one.
    pub fn current_name() -> Option<String> {
        loom::thread::current().name().map(str::to_owned)
    }
}

pub use imp::*;

/// Locks a checker mutex of the audited model (a Python lock), ignoring poisoning.
pub fn hold<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which checker this build of the harness runs on.
pub const CHECKER: &str = if cfg!(harness_loom) {
    "loom"
} else {
    "shuttle"
};

/// Locks a `std` mutex of the harness's own (the world's log, a test provider's emitter),
/// ignoring poisoning: a panic inside an execution is the harness's evidence, not a reason to
/// lose what was recorded.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

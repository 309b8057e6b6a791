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

/// The most threads loom models in one execution, the main one included: the vendored loom's
/// `MAX_THREADS` (raised from 5 to 8, see `vendor/README.md`).
pub const LOOM_MAX_THREADS: usize = 8;

#[cfg(harness_loom)]
const _: () = assert!(LOOM_MAX_THREADS <= loom::MAX_THREADS);

/// A limit at which the harness itself stops an execution, raised as a panic payload of this
/// type (so that it is told apart by type, never by a message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The execution ran past the scenario's step bound (under loom; shuttle stops it itself).
    StepBound,
    /// The execution would spawn more threads than loom models.
    ThreadLimit,
}

/// Whether a panic payload is one that stops the execution (a [`Limit`]) rather than an error
/// of the code that raised it.
pub fn is_stop(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Limit>()
}

std::thread_local! {
    /// Whether the latest panic on this OS thread (every model thread runs on it) was raised in
    /// a checker's own source.
    static CHECKER_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records where a panic was raised (the harness's panic hook calls this for every panic): in a
/// checker's own source, as shuttle's and loom's reports of a deadlock are, or anywhere else
/// (the harness, the SDK, user code). Told by the panic's location, never by its message.
pub fn note_panic(location: Option<&std::panic::Location<'_>>) {
    let in_checker = location.is_some_and(|location| {
        let file = location.file();
        file.contains("/shuttle") || file.contains("/loom-")
    });
    CHECKER_PANIC.with(|flag| flag.set(in_checker));
}

/// Whether the latest panic on this thread was raised in a checker's own source.
pub fn last_panic_in_checker() -> bool {
    CHECKER_PANIC.with(std::cell::Cell::get)
}

pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

//! The sync facade: the one module that names the synchronization primitives.
//!
//! Every lock, atomic, condition variable, thread spawn and thread-local in the SDK comes from
//! here. In production builds they are `parking_lot` and `std`; under the model checkers they are
//! the checker's own types, so that the checker controls every scheduling point:
//!
//! | cfg                        | backend                  | who builds it                          |
//! |----------------------------|--------------------------|----------------------------------------|
//! | (none)                     | `parking_lot` + `std`    | every normal build and `cargo test`    |
//! | `openfeature_sdk_shuttle`  | `shuttle`                | the `openfeature-sdk-shuttle` twin crate (its build script sets the cfg) |
//! | `openfeature_sdk_loom`     | `loom`                   | `RUSTFLAGS="--cfg openfeature_sdk_loom"` in its own target directory |
//!
//! The facade evens out the APIs, not only the types: `lock()`, `read()` and `write()` return the
//! guard directly (no poisoning: a panic in user code never runs under an SDK lock, and SDK code
//! does not panic while holding one), and `Condvar::wait` takes and returns the guard.
//!
//! Every lock carries a static name. Production builds drop it; checker builds report each
//! acquisition to an optional [`observe`] hook so that the harness can print readable traces.
//!
//! `Arc` is `std::sync::Arc` under every backend: loom's `Arc` does not coerce to
//! `Arc<dyn Trait>`, and reference counting is not a scheduling point the SDK relies on.
//!
//! This module must never expose a primitive that the checkers cannot model.

pub use std::sync::{Arc, Weak};

/// Pads and aligns a value to a cache line, so that a per-thread slot shares its line with no
/// other thread's (`crossbeam-utils`' padding knows each architecture's line size). Not a
/// synchronization primitive: the atomics inside come from this facade.
pub(crate) use crossbeam_utils::CachePadded;

/// How many shards a registration's lease count is split into (see `registry`): enough that
/// the threads of a busy server rarely share one in production; two under the checkers, the
/// fewest that still has threads on different shards, to keep their state space small.
#[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
pub(crate) const LEASE_SHARDS: usize = 16;
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
pub(crate) const LEASE_SHARDS: usize = 2;

/// A cell initialized once, for the process-wide API instance. Production builds only: the
/// checkers cannot model a value that outlives one execution.
#[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
pub(crate) use std::sync::OnceLock;

#[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
mod backend {
    pub use parking_lot::{
        Condvar as RawCondvar, Mutex as RawMutex, MutexGuard, RwLock as RawRwLock, RwLockReadGuard,
        RwLockWriteGuard,
    };
    pub use std::sync::atomic;
    pub use std::thread_local;

    pub fn lock<T>(mutex: &RawMutex<T>) -> MutexGuard<'_, T> {
        mutex.lock()
    }
    /// Spins (see [`spin_until`]; `try_read` writes nothing while a writer holds the lock)
    /// before blocking the way `parking_lot` does: a few more spins, then `sched_yield`, then
    /// parking on a futex. The SDK's write sections are that short and run no user code, so a
    /// reader (an evaluation taking a fresh snapshot) waits one out without a system call.
    pub fn read<T>(lock: &RawRwLock<T>) -> RwLockReadGuard<'_, T> {
        if let Some(guard) = lock.try_read() {
            return guard;
        }
        crate::probe::path(crate::probe::Path::WAITED);
        let mut guard = None;
        spin_until(|| {
            guard = lock.try_read();
            guard.is_some()
        });
        guard.unwrap_or_else(|| lock.read())
    }
    /// Calls `done` until it returns `true`, spinning with exponential backoff in between, for
    /// at most 7 rounds (round `k` spins `2^k` times: 127 `pause`s, a few microseconds).
    /// Returns whether `done` did.
    pub fn spin_until(mut done: impl FnMut() -> bool) -> bool {
        let backoff = crossbeam_utils::Backoff::new();
        for _ in 0..7 {
            if done() {
                return true;
            }
            backoff.spin();
        }
        done()
    }
    pub fn write<T>(lock: &RawRwLock<T>) -> RwLockWriteGuard<'_, T> {
        lock.write()
    }
    pub fn wait<'a, T>(condvar: &RawCondvar, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        condvar.wait(&mut guard);
        guard
    }
    pub fn notify_all(condvar: &RawCondvar) {
        condvar.notify_all();
    }
    pub fn new_condvar() -> RawCondvar {
        RawCondvar::new()
    }

    /// Runs `work` on a new named thread; if the OS refuses a thread, runs it here instead, so
    /// that background work is never lost.
    pub fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
        let work = std::sync::Mutex::new(Some(work));
        let work = std::sync::Arc::new(work);
        let for_thread = std::sync::Arc::clone(&work);
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let taken = for_thread.lock().ok().and_then(|mut slot| slot.take());
                if let Some(work) = taken {
                    work();
                }
            });
        if spawned.is_err() {
            let taken = work.lock().ok().and_then(|mut slot| slot.take());
            if let Some(work) = taken {
                work();
            }
        }
    }
}

/// The checker backends, generated from one definition (in the spirit of tokio's
/// `src/loom/mocked.rs`): `checker_facade!(shuttle)` and `checker_facade!(loom)`. Both crates
/// mirror `std::sync` and `std::thread` for everything the facade uses, so the crate path is the
/// only parameter. Where the two differ, the SDK keeps out of the difference:
/// - loom's `thread_local!` accepts no `const` initializer, shuttle's does; the SDK's
///   thread-locals never use one (each says so where it is declared);
/// - loom's `Arc` does not coerce to `Arc<dyn Trait>`, so `Arc` is `std`'s under every backend
///   (see the module docs);
/// - the facade offers no `yield_now`: loom's forces a switch, shuttle's is only a scheduling
///   point, and the SDK needs neither (the harness's own facade deals with that difference).
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
macro_rules! checker_facade {
    ($checker:ident) => {
        mod backend {
            pub use $checker::sync::{
                atomic, Condvar as RawCondvar, Mutex as RawMutex, MutexGuard, RwLock as RawRwLock,
                RwLockReadGuard, RwLockWriteGuard,
            };
            pub use $checker::thread_local;

            pub fn lock<T>(mutex: &RawMutex<T>) -> MutexGuard<'_, T> {
                mutex
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            }
            pub fn read<T>(lock: &RawRwLock<T>) -> RwLockReadGuard<'_, T> {
                lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
            }
            pub fn write<T>(lock: &RawRwLock<T>) -> RwLockWriteGuard<'_, T> {
                lock.write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            }
            pub fn wait<'a, T>(
                condvar: &RawCondvar,
                guard: MutexGuard<'a, T>,
            ) -> MutexGuard<'a, T> {
                condvar
                    .wait(guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            }
            pub fn notify_all(condvar: &RawCondvar) {
                condvar.notify_all();
            }
            pub fn new_condvar() -> RawCondvar {
                RawCondvar::new()
            }
            pub fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
                super::observe::spawning();
                // A checker thread never fails to spawn (loom's `Builder::spawn` always returns
                // `Ok`). Under shuttle, dropping the handle detaches the thread, and shuttle still
                // runs it to completion before the execution ends; under both, the handle is kept
                // so that a model can join the thread (`observe::join_background`).
                if let Ok(handle) = $checker::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(work)
                {
                    super::observe::remember_background(Box::new(move || {
                        let _ = handle.join();
                    }));
                }
            }
        }
    };
}

// Both cfgs set: loom wins.
#[cfg(all(openfeature_sdk_shuttle, not(openfeature_sdk_loom)))]
checker_facade!(shuttle);

#[cfg(openfeature_sdk_loom)]
checker_facade!(loom);

pub(crate) use backend::thread_local;

/// Declares a thread-local with a `const` initializer where the backend accepts one (`std`: no
/// lazy-initialization check on each access, which the evaluation hot path feels) and a lazy one
/// under the checkers (loom's `thread_local!` accepts no `const`).
macro_rules! fast_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
        std::thread_local! { $(#[$attr])* static $name: $t = const { $init }; }
        #[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
        $crate::sync::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}
pub use backend::{atomic, MutexGuard, RwLockReadGuard, RwLockWriteGuard};
pub(crate) use fast_thread_local;

/// A hook that checker builds call at every lock acquisition and at every entry into user code,
/// so that a harness can print a readable interleaving. Production builds never call it.
///
/// The observer receives a short static description such as `lock registry.write` or
/// `user p0.shutdown`; it must not call back into the SDK.
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
pub mod observe {
    use std::cell::RefCell;

    type Observer = Box<dyn Fn(&str)>;

    std::thread_local! {
        // One slot per OS thread: shuttle and loom run every model thread on the OS thread that
        // called the checker, so the observer installed by the harness sees all of them.
        static OBSERVER: RefCell<Option<Observer>> = const { RefCell::new(None) };
    }

    type Join = Box<dyn FnOnce()>;

    std::thread_local! {
        /// Joins of the background threads the SDK spawned and nobody has joined yet.
        static BACKGROUND: RefCell<Vec<Join>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn remember_background(join: Join) {
        BACKGROUND.with(|background| background.borrow_mut().push(join));
    }

    /// Joins every background thread the SDK has spawned (initializations), including those
    /// spawned while joining, so that a model can check its final state once all work is done.
    /// Call from inside the checker's execution.
    pub fn join_background() {
        loop {
            let pending =
                BACKGROUND.with(|background| std::mem::take(&mut *background.borrow_mut()));
            if pending.is_empty() {
                return;
            }
            for join in pending {
                join();
            }
        }
    }

    /// Forgets background threads of an execution that ended abnormally (a deadlock or a
    /// failure), so that the next execution starts clean.
    pub fn forget_background() {
        BACKGROUND.with(|background| background.borrow_mut().clear());
    }

    type SpawnHook = Box<dyn Fn()>;

    std::thread_local! {
        static SPAWN_HOOK: RefCell<Option<SpawnHook>> = const { RefCell::new(None) };
    }

    /// Installs `hook`, called just before the SDK spawns each background thread (a harness
    /// counts threads against a checker's limit with it); `None` removes it.
    pub fn set_spawn_hook(hook: Option<SpawnHook>) {
        SPAWN_HOOK.with(|slot| *slot.borrow_mut() = hook);
    }

    pub(crate) fn spawning() {
        SPAWN_HOOK.with(|slot| {
            if let Ok(slot) = slot.try_borrow() {
                if let Some(hook) = slot.as_ref() {
                    hook();
                }
            }
        });
    }

    /// Installs `observer` for this OS thread, replacing any other; `None` removes it.
    pub fn set(observer: Option<Observer>) {
        OBSERVER.with(|slot| *slot.borrow_mut() = observer);
    }

    pub(crate) fn step(what: &str) {
        OBSERVER.with(|slot| {
            if let Ok(slot) = slot.try_borrow() {
                if let Some(observer) = slot.as_ref() {
                    observer(what);
                }
            }
        });
    }
}

/// Records one step for the checker's trace; compiles to nothing in production.
#[inline(always)]
#[allow(unused_variables)]
pub(crate) fn step(what: &'static str) {
    #[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
    observe::step(what);
}

/// Reads, without a lock, an atomic that a lock-free fast path validates against (the
/// configuration version, a provider's status), so that an operation that starts after a write
/// ended sees that write.
///
/// In production this is an `Acquire` load: hardware makes a store visible to every load that
/// starts after it has completed, which is what makes a read-only fast path linearizable in
/// real time (RCU and seqlock readers rely on the same). The C11 model has no such bound: it
/// lets a load with no happens-before edge to a store read an older value however late it
/// runs, so under loom a read-only fast path would appear to use a configuration older than one
/// whose change had already returned. The checker builds therefore read the latest value, with
/// a read-modify-write that writes nothing new (the checker twin of that hardware guarantee).
/// Only these reads get it; every other atomic keeps the full weak-memory model under loom.
#[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
#[inline]
pub(crate) fn read_current_u64(atomic: &atomic::AtomicU64) -> u64 {
    atomic.load(atomic::Ordering::Acquire)
}
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
pub(crate) fn read_current_u64(atomic: &atomic::AtomicU64) -> u64 {
    atomic.fetch_add(0, atomic::Ordering::AcqRel)
}

/// [`read_current_u64`] for a byte-sized atomic.
#[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
#[inline]
pub(crate) fn read_current_u8(atomic: &atomic::AtomicU8) -> u8 {
    atomic.load(atomic::Ordering::Acquire)
}
/// [`read_current_u64`] for a byte-sized atomic.
#[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
pub(crate) fn read_current_u8(atomic: &atomic::AtomicU8) -> u8 {
    atomic.fetch_add(0, atomic::Ordering::AcqRel)
}

/// A mutual-exclusion lock with a name for traces.
pub struct Mutex<T> {
    name: &'static str,
    inner: backend::RawMutex<T>,
}

impl<T> Mutex<T> {
    pub fn new(name: &'static str, value: T) -> Self {
        Self {
            name,
            inner: backend::RawMutex::new(value),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        step(self.name);
        backend::lock(&self.inner)
    }
}

/// A reader-writer lock with a name for traces. Readers never exclude each other.
pub struct RwLock<T> {
    read_name: &'static str,
    write_name: &'static str,
    inner: backend::RawRwLock<T>,
}

impl<T> RwLock<T> {
    /// `read_name` and `write_name` label the two kinds of acquisition in traces.
    pub fn new(read_name: &'static str, write_name: &'static str, value: T) -> Self {
        Self {
            read_name,
            write_name,
            inner: backend::RawRwLock::new(value),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        step(self.read_name);
        backend::read(&self.inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        step(self.write_name);
        backend::write(&self.inner)
    }
}

/// A condition variable paired with a facade [`Mutex`].
pub struct Condvar {
    inner: backend::RawCondvar,
}

impl Condvar {
    pub fn new() -> Self {
        Self {
            inner: backend::new_condvar(),
        }
    }

    /// Releases the guard's lock, waits for a notification and re-acquires the lock.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        backend::wait(&self.inner, guard)
    }

    pub fn notify_all(&self) {
        backend::notify_all(&self.inner);
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

/// A one-way flag that lets a thread about to block on a [`Condvar`] spin a few microseconds
/// first, so that a notifier arriving within them finds nobody parked and makes no system call
/// (a futex wake, which costs the notifier microseconds: on the evaluation path, a tail).
///
/// Only a hint: the waiter still checks its condition under the mutex afterwards, and that check
/// alone decides. The notifier sets the flag after publishing the condition under the mutex and
/// releasing it, and before notifying, so a flag seen set also means the condition holds
/// ([`SpinHint::is_set`]: a reader may skip the mutex then). Under the checkers the flag is
/// empty, [`SpinHint::spin_until_set`] returns at once and `is_set` answers `false`, so the
/// models see exactly the mutex and condvar protocol.
pub(crate) struct SpinHint {
    #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
    set: atomic::AtomicBool,
}

impl SpinHint {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
            set: atomic::AtomicBool::new(false),
        }
    }

    /// Sets the flag, for good.
    pub(crate) fn set(&self) {
        #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
        self.set.store(true, atomic::Ordering::Release);
    }

    /// Whether the flag is set: `true` means the condition holds (it was published before the
    /// flag was set); `false` means only that the caller must check under the mutex. Always
    /// `false` under the checkers.
    pub(crate) fn is_set(&self) -> bool {
        #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
        return self.set.load(atomic::Ordering::Acquire);
        #[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
        return false;
    }

    /// Spins until the flag is set, for a few microseconds at most.
    pub(crate) fn spin_until_set(&self) {
        spin_until(|| self.is_set());
    }
}

/// Spins until `done` returns `true`, for a few microseconds at most, in production; does
/// nothing under the checkers, where a spin would only add steps. What the caller does next
/// must be correct whatever `done` would have answered.
pub(crate) fn spin_until(done: impl FnMut() -> bool) {
    #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
    backend::spin_until(done);
    #[cfg(any(openfeature_sdk_shuttle, openfeature_sdk_loom))]
    drop(done);
}

/// Runs `work` in the background on a new thread named `name`. Never fails: where no thread can
/// be had, the work runs on the calling thread.
pub(crate) fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
    backend::spawn(name, work);
}

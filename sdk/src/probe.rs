//! Where an evaluation's time goes: a diagnostic for the latency bench, compiled in only with
//! the `probe` feature (a production build: the model checkers' builds take none).
//!
//! With the feature, each evaluation records on its own thread
//! - which way it took its snapshot and what it met on the way ([`Path`] bits), and
//! - how long each step of the locked way took ([`Step`]: one clock read per step, about
//!   30 ns here, which the figures include).
//!
//! [`take_path`] returns and clears the calling thread's bits (read after each evaluation);
//! [`take_step_nanos`] returns and clears its per-step sums. Without the feature, the calls
//! the SDK makes are empty inline functions and the public functions do not exist: production
//! builds and the checkers' builds are the same code as without this module.

#[cfg(all(feature = "probe", any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
compile_error!("the `probe` feature times production builds; the model checkers' builds take none");

/// What an evaluation met while taking its snapshot, as bits of [`take_path`]'s value.
pub struct Path;

// Under the checkers the facade's reads do not spin, so `WAITED` has no writer there.
#[cfg_attr(not(feature = "probe"), allow(dead_code))]
impl Path {
    /// The fast way took a lease on a cached snapshot (it may still have failed its version
    /// check, then [`Path::LOCKED`] is set too).
    pub const CACHED_LEASE: u8 = 1;
    /// The snapshot was taken the locked way (under the registry read lock).
    pub const LOCKED: u8 = 2;
    /// The locked way refreshed the thread's old snapshot in place (instead of building one).
    pub const REFRESHED: u8 = 4;
    /// A registry read lock found a writer in its section and waited it out.
    pub const WAITED: u8 = 8;
    /// The evaluation gave back the last lease of a retired registration, so it ran that
    /// provider's shutdown.
    pub const RAN_SHUTDOWN: u8 = 16;
    /// How many combinations of the bits there are: every value [`take_path`] returns is
    /// below it.
    pub const COMBINATIONS: usize = 32;
}

/// The steps of the locked way, in order; each is timed from the end of the one before (the
/// first from the evaluation's start).
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// The version load, the cache lookup and the fast way's attempt.
    Lookup,
    /// Taking the thread's old snapshot out of its cache, and the registry read lock.
    RegistryLock,
    /// The client's hook and context read locks.
    ClientLocks,
    /// Refreshing (or building) the snapshot.
    Refresh,
    /// The lease on the registration and the status read.
    LeaseAndStatus,
    /// Releasing the three read locks.
    Unlock,
    /// Putting the snapshot back in the cache and dropping what the refresh replaced.
    Remember,
}

#[cfg_attr(not(feature = "probe"), allow(dead_code))]
impl Step {
    /// How many steps there are.
    pub const COUNT: usize = 7;

    /// Every step, in order: the indexes of [`take_step_nanos`]' array.
    pub const ALL: [Step; Step::COUNT] = [
        Step::Lookup,
        Step::RegistryLock,
        Step::ClientLocks,
        Step::Refresh,
        Step::LeaseAndStatus,
        Step::Unlock,
        Step::Remember,
    ];

    /// A short name, for printing.
    pub fn name(self) -> &'static str {
        match self {
            Step::Lookup => "lookup",
            Step::RegistryLock => "registry lock",
            Step::ClientLocks => "client locks",
            Step::Refresh => "refresh",
            Step::LeaseAndStatus => "lease+status",
            Step::Unlock => "unlock",
            Step::Remember => "remember",
        }
    }
}

#[cfg(feature = "probe")]
mod enabled {
    use super::Step;
    use crate::sync::OnceLock;
    use std::cell::{Cell, RefCell};
    use std::time::Instant;

    crate::sync::fast_thread_local! {
        static PATH: Cell<u8> = Cell::new(0);
    }
    crate::sync::fast_thread_local! {
        static LAST: Cell<u64> = Cell::new(0);
    }
    crate::sync::fast_thread_local! {
        static STEPS: RefCell<[u64; Step::COUNT]> = RefCell::new([0; Step::COUNT]);
    }
    static EPOCH: OnceLock<Instant> = OnceLock::new();

    fn now() -> u64 {
        let epoch = EPOCH.get_or_init(Instant::now);
        u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub(crate) fn path(bit: u8) {
        let _ = PATH.try_with(|path| path.set(path.get() | bit));
    }

    pub(crate) fn start() {
        let _ = LAST.try_with(|last| last.set(now()));
    }

    pub(crate) fn step(step: Step) {
        let now = now();
        let Ok(since) = LAST.try_with(|last| now.saturating_sub(last.replace(now))) else {
            return;
        };
        let _ = STEPS.try_with(|steps| {
            if let Ok(mut steps) = steps.try_borrow_mut() {
                steps[step as usize] += since;
            }
        });
    }

    /// The calling thread's [`super::Path`] bits since the last call; clears them.
    pub fn take_path() -> u8 {
        PATH.try_with(|path| path.replace(0)).unwrap_or(0)
    }

    /// The calling thread's nanoseconds per [`Step`] (indexed as [`Step::ALL`]) since the last
    /// call; clears them.
    pub fn take_step_nanos() -> [u64; Step::COUNT] {
        STEPS
            .try_with(|steps| {
                steps
                    .try_borrow_mut()
                    .map(|mut steps| std::mem::take(&mut *steps))
            })
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }
}

#[cfg(feature = "probe")]
pub(crate) use enabled::{path, start, step};
#[cfg(feature = "probe")]
pub use enabled::{take_path, take_step_nanos};

#[cfg(not(feature = "probe"))]
mod disabled {
    use super::Step;

    #[inline(always)]
    pub(crate) fn path(_bit: u8) {}

    #[inline(always)]
    pub(crate) fn start() {}

    #[inline(always)]
    pub(crate) fn step(_step: Step) {}
}

#[cfg(not(feature = "probe"))]
pub(crate) use disabled::{path, start, step};

//! Allocations per boolean flag evaluation (`get_bool_value`, value only), for this SDK and for
//! the `open-feature` crate (0.3): the cases of `evaluation.rs` (`common/cases.rs`), on one
//! thread, with divan's `AllocProfiler` as the global allocator. Its times carry the profiler's
//! cost on every allocation; read times from `evaluation.rs`.
//!
//! Run: `cargo bench -p openfeature-bench --bench allocations -- --sample-count 10`.

use divan::AllocProfiler;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

/// One thread: allocations per evaluation do not depend on the thread count.
const THREADS: [usize; 1] = [1];

#[path = "common/cases.rs"]
mod cases;

fn main() {
    divan::main();
}

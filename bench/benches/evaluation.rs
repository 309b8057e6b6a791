//! Time and allocations per boolean flag evaluation (`get_bool_value`, value only), for this SDK
//! and for the `open-feature` crate (0.3), side by side in one run.
//!
//! Why divan: it benchmarks a closure on several threads at once out of the box
//! (`threads = [1, 2, 4]`: N threads evaluate through the same client concurrently, which is
//! what contention on the SDK's shared state costs), and its `AllocProfiler` counts allocations
//! per iteration; so there is no hand-written timing loop, thread orchestration or counting
//! allocator. The counting allocator costs time on every allocation (more on the side that
//! allocates more), so this binary times with the system allocator and `allocations.rs` counts
//! allocations; both run the same cases (`common/cases.rs`).
//!
//! Cases (every one at 1, 2 and 4 threads):
//!
//! - `raw_provider`: the constant provider's `resolve_bool` called directly (this SDK's trait);
//!   the baseline, so `sdk::*` minus `raw_provider` is the SDK's own cost.
//! - `sdk::*` and `open_feature::*`: `no_hooks_no_context` (no hooks, no invocation context),
//!   `no_hooks_ctx5` (the five-attribute context), `two_hooks_ctx5` (plus a no-op API hook and a
//!   no-op client hook).
//!
//! Every setup (API instance, provider bound and READY, hooks, client, context) is built once in
//! the benchmark function, outside the timed closure; the closure borrows it, so all threads of
//! a run evaluate through the same client. open-feature's evaluations are driven by
//! `pollster::block_on` (see `openfeature_bench::open_feature` for why no tokio runtime is
//! needed, and for what its API costs by design: two clones of the context per call, boxed
//! futures).
//!
//! Run: `cargo bench -p openfeature-bench --bench evaluation`; a smoke run:
//! `cargo bench -p openfeature-bench --bench evaluation -- --sample-count 5 --sample-size 100`.

/// The thread counts of every case: one client shared by 1, 2 and 4 evaluating threads.
const THREADS: [usize; 3] = [1, 2, 4];

#[path = "common/cases.rs"]
mod cases;

fn main() {
    divan::main();
}

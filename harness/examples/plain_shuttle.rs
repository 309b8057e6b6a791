//! The baseline the harness's overhead is measured against: scenario a07 (two threads add API
//! hooks at once; both must be kept) written by hand as a plain shuttle test of the SDK twin,
//! run under shuttle's random scheduler. Prints executions per second.
//!
//! `cargo run --release -p harness --example plain_shuttle -- 20000`, then compare with
//! `cargo run --release -p harness -- run a07_lost_global_hook --target sdk --scheduler random
//! --iterations 1000 --seeds 1..21` (the same 20,000 executions, with recording, properties,
//! the oracle and the exhaustive-set check).

use openfeature_sdk_shuttle::{Api, Hook};
use std::sync::Arc;
use std::time::Instant;

struct NoopHook;
impl Hook for NoopHook {}

fn main() {
    let executions: usize = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(20_000);
    let started = Instant::now();
    shuttle::check_random(
        || {
            let api = Arc::new(Api::new());
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let api = Arc::clone(&api);
                    shuttle::thread::spawn(move || {
                        api.add_hooks([Arc::new(NoopHook) as Arc<dyn Hook>]);
                    })
                })
                .collect();
            for thread in threads {
                thread.join().expect("a thread panicked");
            }
            assert_eq!(api.hooks().len(), 2, "a hook was lost");
        },
        executions,
    );
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "plain shuttle, a07 on the SDK: {executions} executions in {seconds:.2}s, {:.0} executions/s",
        executions as f64 / seconds
    );
}

//! Evaluations per second with 1, 2 and 4 threads evaluating through one shared client, for
//! this SDK and for the `open-feature` crate (0.3), side by side in one run: how throughput
//! scales with cores.
//!
//! Why not divan's `threads` option for this: divan reports the time of each thread's sample,
//! which on a small shared machine also counts the time a thread waits at divan's per-sample
//! barrier or is descheduled, so its per-thread figures understate scaling. Throughput is the
//! question here, so this bench measures it directly: N threads each run a fixed number of
//! evaluations, and the figure is all their evaluations over the wall-clock time from the
//! moment all are released (a barrier) to the moment the last one finishes. Each cell is the
//! median of several rounds; the rounds of the two sides alternate, so that a noisy neighbour
//! hurts both alike.
//!
//! Cases: no hooks and no invocation context (`no_hooks_no_context`), and two no-op hooks
//! (API and client) with the five-attribute invocation context (`two_hooks_ctx5`).
//!
//! Run: `cargo bench -p openfeature-bench --bench throughput` (about 30 s on two cores); a
//! smoke run: `THROUGHPUT_EVALS=20000 cargo bench -p openfeature-bench --bench throughput`.

use openfeature_bench::{open_feature, sdk, Hooks, FLAG_KEY};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

/// Evaluations per thread per round unless `THROUGHPUT_EVALS` says otherwise.
const DEFAULT_EVALS: usize = 1_000_000;

/// Rounds per cell; the cell is their median.
const ROUNDS: usize = 7;

/// The thread counts measured.
const THREADS: [usize; 3] = [1, 2, 4];

/// Runs `evaluate` `evals` times on each of `threads` threads at once; returns evaluations per
/// second over the wall-clock time from their common start to the last one's end.
fn per_second(threads: usize, evals: usize, evaluate: &(dyn Fn() + Sync)) -> f64 {
    let start = Barrier::new(threads + 1);
    let began = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                start.wait();
                for _ in 0..evals {
                    evaluate();
                }
            });
        }
        start.wait();
        let began = Instant::now();
        // The scope joins every thread before it returns.
        began
    });
    let seconds = began.elapsed().as_secs_f64();
    (threads * evals) as f64 / seconds
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let evals = std::env::var("THROUGHPUT_EVALS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_EVALS);
    println!("{evals} evaluations per thread per round, median of {ROUNDS} rounds");
    println!(
        "{:<22} {:<13} {:>7} {:>16} {:>10} {:>14}",
        "case", "side", "threads", "evaluations/s", "ns/eval", "vs 1 thread"
    );
    for hooks in [Hooks::None, Hooks::Two] {
        let case = match hooks {
            Hooks::None => "no_hooks_no_context",
            Hooks::Two => "two_hooks_ctx5",
        };
        let ours = sdk::Setup::new(hooks);
        let theirs = open_feature::Setup::new(hooks);
        let our_context = sdk::context5();
        let their_context = open_feature::context5();
        let our_context = (hooks == Hooks::Two).then_some(&our_context);
        let their_context = (hooks == Hooks::Two).then_some(&their_context);
        let evaluate_ours = || {
            black_box(sdk::get_bool_value(
                &ours.client,
                black_box(FLAG_KEY),
                black_box(our_context),
            ));
        };
        let evaluate_theirs = || {
            black_box(open_feature::get_bool_value(
                &theirs.client,
                black_box(FLAG_KEY),
                black_box(their_context),
            ));
        };
        let sides: [(&str, &(dyn Fn() + Sync)); 2] = [
            ("this SDK", &evaluate_ours),
            ("open-feature", &evaluate_theirs),
        ];
        let mut one_thread = [0.0; 2];
        for threads in THREADS {
            // Warm up: caches, the allocator, every thread's first evaluation.
            for (_, evaluate) in sides {
                per_second(threads, evals / 10 + 1, evaluate);
            }
            // Rounds alternate between the sides, so a noisy neighbour hurts both alike.
            let mut rates = [Vec::new(), Vec::new()];
            for _ in 0..ROUNDS {
                for (side, (_, evaluate)) in sides.iter().enumerate() {
                    rates[side].push(per_second(threads, evals, *evaluate));
                }
            }
            for (side, (name, _)) in sides.iter().enumerate() {
                let rate = median(std::mem::take(&mut rates[side]));
                if threads == 1 {
                    one_thread[side] = rate;
                }
                println!(
                    "{:<22} {:<13} {:>7} {:>16.0} {:>10.1} {:>13.2}x",
                    case,
                    name,
                    threads,
                    rate,
                    1e9 * threads as f64 / rate,
                    rate / one_thread[side]
                );
            }
        }
    }
}

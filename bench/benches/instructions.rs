//! Instructions per evaluation, for this SDK and `open-feature` 0.3 side by side: the one figure
//! a shared, noisy machine reproduces exactly (time per evaluation moves by up to 1.5x between
//! runs here; an instruction count does not move at all).
//!
//! The binary runs one case's evaluation `N` times in a loop. Run under valgrind's cachegrind
//! (or callgrind) twice, with `N` and `2N`: the difference of the two totals over `N` is the
//! cost of one evaluation, with setup, teardown and the process's own start-up cancelled out.
//! `cargo bench -p openfeature-bench --bench instructions` with no valgrind prints the command
//! that does this for every case, and runs each case once as a check that it works.
//!
//! Usage: `instructions CASE N`, where CASE is `sdk::no_hooks_no_context`, `sdk::no_hooks_ctx5`,
//! `sdk::two_hooks_ctx5`, or the same under `open_feature::`.

use openfeature_bench::{open_feature, sdk, Hooks, FLAG_KEY};
use std::hint::black_box;
use std::process::ExitCode;

/// A case: its name, and a function running its evaluation `n` times.
type Case = (&'static str, fn(u64));

/// Every case.
const CASES: [Case; 6] = [
    ("sdk::no_hooks_no_context", |n| {
        sdk_case(Hooks::None, false, n)
    }),
    ("sdk::no_hooks_ctx5", |n| sdk_case(Hooks::None, true, n)),
    ("sdk::two_hooks_ctx5", |n| sdk_case(Hooks::Two, true, n)),
    ("open_feature::no_hooks_no_context", |n| {
        open_feature_case(Hooks::None, false, n)
    }),
    ("open_feature::no_hooks_ctx5", |n| {
        open_feature_case(Hooks::None, true, n)
    }),
    ("open_feature::two_hooks_ctx5", |n| {
        open_feature_case(Hooks::Two, true, n)
    }),
];

fn sdk_case(hooks: Hooks, with_context: bool, n: u64) {
    let setup = sdk::Setup::new(hooks);
    let context = with_context.then(sdk::context5);
    for _ in 0..n {
        black_box(sdk::get_bool_value(
            &setup.client,
            black_box(FLAG_KEY),
            black_box(context.as_ref()),
        ));
    }
}

fn open_feature_case(hooks: Hooks, with_context: bool, n: u64) {
    let setup = open_feature::Setup::new(hooks);
    let context = with_context.then(open_feature::context5);
    for _ in 0..n {
        black_box(open_feature::get_bool_value(
            &setup.client,
            black_box(FLAG_KEY),
            black_box(context.as_ref()),
        ));
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; anything starting with `-` is not ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    match args.as_slice() {
        [] => {
            for (name, run) in CASES {
                run(1);
                println!("{name}: ok");
            }
            println!(
                "count instructions per evaluation with (N = 10000, then 20000; subtract, divide \
                 by 10000):\n  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
                 target/release/deps/instructions-* CASE N"
            );
            ExitCode::SUCCESS
        }
        [case, n] => {
            let Some((_, run)) = CASES.iter().find(|(name, _)| name == case) else {
                eprintln!("unknown case `{case}`; the cases are:");
                for (name, _) in CASES {
                    eprintln!("  {name}");
                }
                return ExitCode::FAILURE;
            };
            let Ok(n) = n.parse::<u64>() else {
                eprintln!("N must be a whole number of evaluations, not `{n}`");
                return ExitCode::FAILURE;
            };
            run(n);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: instructions [CASE N]");
            ExitCode::FAILURE
        }
    }
}

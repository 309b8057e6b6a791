#!/usr/bin/env bash
# The exhaustive pass's loom part alone: builds the harness with `--cfg harness_loom` (the world,
# the test providers, the audited model and the SDK twin on loom) in its own target directory,
# so it never invalidates the normal build, and runs it. Arguments are those of `harness run`
# after `--scheduler exhaustive`: scenario names, `--target`, `--execution N`.
# `cargo xtask run --scheduler exhaustive` builds the same binary and runs the whole pass (the
# normal build explores the shuttle-DFS scenarios and runs this binary for the loom ones).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="${RUSTFLAGS:-} --cfg harness_loom" cargo build --release --locked -p harness \
    --bin harness --target-dir target/loom
# Printed commands name the normal harness (the loom build cannot run `bless` or `replay`).
exec target/loom/release/harness --invoked-as "cargo run --release -p harness --" \
    run --scheduler exhaustive "$@"

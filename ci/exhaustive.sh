#!/usr/bin/env bash
# The exhaustive pass's loom build: the harness compiled with `--cfg harness_loom` (the world, the
# test providers, the audited model and the SDK twin on loom), in its own target directory so it
# never invalidates the normal build. Arguments are those of `harness run` after
# `--scheduler exhaustive`: scenario names, `--target`, `--execution N`.
# `cargo run --release -p harness -- run --scheduler exhaustive` runs this for the scenarios loom
# explores and shuttle's DFS for the others; this script alone runs only the loom part.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="${RUSTFLAGS:-} --cfg harness_loom" exec cargo run --release --locked -p harness \
    --target-dir target/loom -- run --scheduler exhaustive "$@"

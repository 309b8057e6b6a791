#!/usr/bin/env bash
# The exhaustive loom model of the SDK's own primitives (sdk/tests/loom_model.rs), built with
# the crate-prefixed cfg in its own target directory so that it never invalidates the normal
# build. Run by .ci/run; also handy by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg openfeature_sdk_loom" exec cargo test --release --locked -p openfeature-sdk \
    --test loom_model --target-dir target/loom "$@"

#!/usr/bin/env bash
# The SDK as a published crate: its rustdoc builds without a warning, every example runs (each
# asserts what it shows), and `cargo package` packages and verifies it without a warning.
# Run by .ci/run; also handy by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

RUSTDOCFLAGS="-D warnings" cargo doc --locked -p openfeature-sdk --no-deps --all-features

for path in sdk/examples/*.rs; do
    example="$(basename "$path" .rs)"
    echo "--> example $example"
    cargo run --locked -q -p openfeature-sdk --all-features --example "$example"
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo package --locked -p openfeature-sdk --allow-dirty 2>&1 | tee "$log"
if grep -q "^warning" "$log"; then
    echo "cargo package printed warnings (above)" >&2
    exit 1
fi

#!/usr/bin/env bash
# The whole CI job, step by step, each step timed. Installs nothing beyond the Rust toolchain's
# own components, which it adds if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
    echo
    echo "==> $*"
    local start=$SECONDS
    "$@"
    echo "<== $* done in $((SECONDS - start))s"
}

for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" \
        || rustup component add "$component"
done

# The Gherkin conformance suites are read from the specification, never vendored; CI requires
# them (a missing folder fails the conformance test instead of skipping it).
if [ -z "${OPENFEATURE_GHERKIN_DIR:-}" ] && [ -d ../shared/openfeature-spec/gherkin ]; then
    OPENFEATURE_GHERKIN_DIR="$(cd ../shared/openfeature-spec/gherkin && pwd)"
fi
export OPENFEATURE_GHERKIN_DIR
export OPENFEATURE_REQUIRE_GHERKIN=1
export CI="${CI:-true}"

step cargo fmt --all -- --check
step cargo clippy --workspace --all-targets --locked -- -D warnings
# The README's test command.
step cargo test --workspace --locked
# The exhaustive model of the SDK's own primitives, in its own target directory so that the
# cfg does not invalidate the normal build.
RUSTFLAGS="--cfg openfeature_sdk_loom" step cargo test --release --locked -p openfeature-sdk \
    --test loom_model --target-dir target/loom
if [ -f harness/Cargo.toml ]; then
    # The README's main job: every scenario under every scheduler, with a summary.
    step cargo run --release --locked -p harness -- run
    # Generated scenarios must hold on the SDK (proptest; a failure is shrunk and written to
    # scenarios/found/ with the command that replays it).
    step cargo run --release --locked -p harness -- generate --target sdk --cases 2000
fi

#!/usr/bin/env bash
# Installs wasmsign2 (the reference implementation of the WebAssembly tool-conventions
# signature format, https://github.com/wasm-signatures/wasmsign2) from crates.io into
# $LOOP_CACHE_DIR/tools. Loop's signing interop tests (packages/nx-loop/src/signing/
# interop.spec.ts) run it against `loop sign`/`loop verify`. Idempotent: skips when the
# pinned version is already installed.
#
#   bash tools/setup/wasmsign2.sh        # prints the binary's path last
set -euo pipefail
VERSION=0.2.6
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
root="$LOOP_CACHE_DIR/tools"
bin="$root/bin/wasmsign2"
if [ -x "$bin" ] && grep -q "\"wasmsign2-cli $VERSION " "$root/.crates.toml" 2>/dev/null; then
  echo "$bin"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "error: wasmsign2.sh needs cargo (install Rust with rustup, then rerun)" >&2
  exit 1
fi
echo "==> cargo install wasmsign2-cli@$VERSION into $root (debug profile: a test tool, built quickly)" >&2
# A debug build: the tool only signs/verifies small test files, and it compiles in a
# fraction of the release profile's time (that profile uses codegen-units = 1). Its own
# target dir, so it never waits on the lock of a long build in the shared one.
CARGO_TARGET_DIR="$root/target-wasmsign2" nice -n 10 cargo install --locked --debug \
  --root "$root" --version "$VERSION" wasmsign2-cli ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"} >&2
rm -rf "$root/target-wasmsign2"
echo "$bin"

#!/usr/bin/env bash
# Installs wac (WebAssembly Compositions, https://github.com/bytecodealliance/wac) from
# crates.io into $LOOP_CACHE_DIR/tools. `loop compose` and the `compose` Nx executor
# (packages/nx-loop/src/compose) run `wac plug` to plug default components into the core
# component. Idempotent: skips when the pinned version is already installed.
#
#   bash tools/setup/wac.sh        # prints the binary's path last
set -euo pipefail
VERSION=0.12.0
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
root="$LOOP_CACHE_DIR/tools"
bin="$root/bin/wac"
if [ -x "$bin" ] && grep -qF "\"wac-cli $VERSION (" "$root/.crates.toml" 2>/dev/null; then
  echo "$bin"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "error: wac.sh needs cargo (install Rust with rustup, then rerun)" >&2
  exit 1
fi
echo "==> cargo install wac-cli@$VERSION into $root (no registry feature; opt-level 1)" >&2
# Without default features: Loop plugs local files only, so the warg registry client (and
# its TLS/HTTP stack) is left out, roughly halving the build. opt-level 1 with many codegen
# units builds far faster than the release profile (10 min on 2 loaded cores) and still
# plugs a 12 MB StarlingMonkey component into a Rust one in ~0.3 s. Its own target dir, so it never waits
# on the lock of a long build in the shared one.
CARGO_TARGET_DIR="$root/target-wac" nice -n 10 cargo install --locked --no-default-features \
  --config 'profile.release.opt-level=1' --config 'profile.release.codegen-units=16' \
  --config 'profile.release.lto=false' --config 'profile.release.debug=false' \
  --root "$root" --version "$VERSION" wac-cli ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"} >&2
rm -rf "$root/target-wac"
echo "$bin"

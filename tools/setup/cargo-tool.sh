#!/usr/bin/env bash
# Installs one pinned tool from crates.io into $LOOP_CACHE_DIR/tools, once: skips when that
# version is already installed. Prints the binary's path last (progress goes to stderr).
#   bash tools/setup/cargo-tool.sh <crate> <version> <binary> [cargo install options...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: cargo-tool.sh <crate> <version> <binary> [cargo install options...]" >&2; exit 2; }
crate=$1 version=$2 name=$3
shift 3
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
root="$LOOP_CACHE_DIR/tools"
bin="$root/bin/$name"
if [ -x "$bin" ] && grep -qF "\"$crate $version (" "$root/.crates.toml" 2>/dev/null; then
  echo "$bin"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "error: installing $crate needs cargo (install Rust with rustup, then rerun)" >&2
  exit 1
fi
echo "==> cargo install $crate@$version into $root $*" >&2
# Its own target dir, so it never waits on the lock of a long build in the shared one.
CARGO_TARGET_DIR="$root/target-$name" nice -n 10 cargo install --locked "$@" \
  --root "$root" --version "$version" "$crate" ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"} >&2
rm -rf "$root/target-$name"
echo "$bin"

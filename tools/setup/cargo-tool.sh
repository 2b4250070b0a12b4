#!/usr/bin/env bash
# Installs one pinned tool from crates.io into $LOOP_CACHE_DIR/tools, once: skips when that
# version is already installed with the same features. Prints the binary's path last (progress
# goes to stderr).
#   bash tools/setup/cargo-tool.sh <crate> <version> <binary> [cargo install options...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: cargo-tool.sh <crate> <version> <binary> [cargo install options...]" >&2; exit 2; }
crate=$1 version=$2 name=$3
shift 3
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
root="$LOOP_CACHE_DIR/tools"
bin="$root/bin/$name"
# Installed already with these features? (cargo records them in .crates2.json; a change of the
# features asked for here, e.g. one more subcommand, installs again.)
installed_as_asked() {
  [ -x "$bin" ] || return 1
  node -e '
    const [file, key, ...args] = process.argv.slice(1);
    const i = Object.entries(JSON.parse(require("fs").readFileSync(file, "utf8")).installs).find(([k]) => k.startsWith(key))?.[1];
    if (!i) process.exit(1);
    let features = [], noDefault = false;
    for (let n = 0; n < args.length; n++) {
      if (args[n] === "--no-default-features") noDefault = true;
      else if (args[n] === "--features") features.push(...args[++n].split(","));
      else if (args[n].startsWith("--features=")) features.push(...args[n].slice(11).split(","));
    }
    const same = i.no_default_features === noDefault && [...i.features].sort().join() === features.filter(Boolean).sort().join();
    process.exit(same ? 0 : 1);' "$root/.crates2.json" "$crate $version (" "$@" 2>/dev/null
}
if installed_as_asked "$@"; then
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

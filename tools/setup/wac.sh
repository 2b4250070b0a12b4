#!/usr/bin/env bash
# Installs wac (WebAssembly Compositions) 0.12.0 from crates.io into $LOOP_CACHE_DIR/tools.
# `loop compose` and the `compose` Nx executor (packages/nx-loop/src/compose) run `wac plug`
# to plug default components into the core component. Prints the binary's path last.
#
# Without default features: Loop plugs local files only, so the warg registry client (and its
# TLS/HTTP stack) is left out, roughly halving the build. opt-level 1 with many codegen units
# builds far faster than the release profile (10 min on 2 loaded cores) and still plugs a
# 12 MB StarlingMonkey component into a Rust one in ~0.3 s.
set -euo pipefail
exec bash "$(dirname "$0")/cargo-tool.sh" wac-cli 0.12.0 wac --no-default-features \
  --config 'profile.release.opt-level=1' --config 'profile.release.codegen-units=16' \
  --config 'profile.release.lto=false' --config 'profile.release.debug=false'

#!/usr/bin/env bash
# Installs wasmsign2 0.2.6 (the reference implementation of the WebAssembly tool-conventions
# signature format) from crates.io into $LOOP_CACHE_DIR/tools. Loop's signing interop tests
# (packages/nx-loop/src/signing/interop.spec.ts) run it against `loop sign`/`loop verify`.
# Prints the binary's path last.
#
# A debug build: the tool only signs/verifies small test files, and it compiles in a fraction
# of the release profile's time (that profile uses codegen-units = 1).
set -euo pipefail
exec bash "$(dirname "$0")/cargo-tool.sh" wasmsign2-cli 0.2.6 wasmsign2 --debug

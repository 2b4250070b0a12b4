#!/usr/bin/env bash
# Builds a Rust component project to <project>/dist/<name>.wasm.
#   tools/rust-guest/build.sh <component-project-dir> [--release]
# Needs the guest toolchain from tools/setup/rust-guest.sh and the workspace's
# node_modules (jco). Compiler errors are printed as cargo prints them; exits
# non-zero on any failure. See build.mjs for details.
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/build.mjs" "$@"

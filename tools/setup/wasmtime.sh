#!/usr/bin/env bash
# wasmtime-cli 48.0.8 from crates.io, for the parity tests (tests/parity.rs) and the benchmarks
# that compare against `wasmtime run`. Only the features `wasmtime run` of a WASI 0.2 command
# needs: about half the crates of a default install.
set -euo pipefail
exec bash "$(dirname "$0")/cargo-tool.sh" wasmtime-cli 48.0.8 wasmtime \
  --no-default-features --features run,cranelift,component-model,cache,parallel-compilation

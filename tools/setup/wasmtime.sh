#!/usr/bin/env bash
# wasmtime-cli 48.0.8 from crates.io, for the parity tests (tests/parity.rs) and the benchmarks
# that compare against `wasmtime run` (and `wasmtime run --allow-precompiled` of what `wasmtime
# compile` wrote: tools/bench/pack-native.mjs). Only the features those subcommands of a WASI 0.2
# command need: about half the crates of a default install.
set -euo pipefail
exec bash "$(dirname "$0")/cargo-tool.sh" wasmtime-cli 48.0.8 wasmtime \
  --no-default-features --features run,compile,cranelift,component-model,cache,parallel-compilation

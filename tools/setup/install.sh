#!/usr/bin/env bash
# Installs every toolchain and package Loop needs on a fresh Debian machine (as root, no
# stdin) and builds Loop itself. Idempotent: each step skips what is already there, so the
# main and test commands call it first. Caches live outside the clone in $LOOP_CACHE_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
mkdir -p "$LOOP_CACHE_DIR"
# Each step says how long the one before it took (a fresh machine's set-up is most of CI's time).
step_start=
step() {
  [ -n "$step_start" ] && printf '    (%d s)\n' $((SECONDS - step_start))
  step_start=$SECONDS
  printf '\n==> %s\n' "$*"
}

# Debian packages: apt-get only when something is missing (apt-get update first, as the
# package lists of a fresh machine may be empty).
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  if ((${#missing[@]})); then
    step "apt-get install ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
      echo "error: need root to install ${missing[*]} (run as root, or install them and rerun)" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
# nginx-core: the remote cache server (tools/remote-cache); chromium: browser host tests;
# cross linkers, qemu-user and wine: native packaging for linux-arm64 / windows-x64, run in tests;
# unzip: the tests open the windows bundle.
apt_install ca-certificates curl git python3 nginx-core chromium \
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-mingw-w64-x86-64 qemu-user wine unzip

step "npm packages (npm ci when package-lock.json changed; else rebuild Loop)"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.loop-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund # its prepare script builds packages/nx-loop
  echo "$lock_hash" > node_modules/.loop-lock-hash
else
  npm run --silent build
fi

step "Rust guest toolchain (wasm components from Rust; --warm builds std for wasm once)"
bash tools/setup/rust-guest.sh --warm

step "native host (Wasmtime 48; cargo, cached in \$LOOP_CACHE_DIR/target)"
# Every crate of the lock file, for every platform (macOS-only ones too): `cargo metadata
# --offline` over a scaffolded host crate (generators/host/packed.spec.ts) and offline builds
# need them in ~/.cargo/registry, and a build for this machine downloads only its own.
cargo fetch --locked --quiet --manifest-path host-templates/wasmtime-rust/Cargo.toml
# Built the way `cargo test` builds it, so the tests reuse the same compiled Wasmtime.
CARGO_TARGET_DIR="$LOOP_CACHE_DIR/target" cargo test --no-run --locked --quiet \
  --manifest-path host-templates/wasmtime-rust/Cargo.toml

step "runtime-only hosts for native packaging (linux-x64, linux-arm64, windows-x64; cached in \$LOOP_CACHE_DIR/hosts)"
LOOP_NO_APT=1 bash tools/setup/native-hosts.sh

step "wac (loop compose)"
bash tools/setup/wac.sh >/dev/null

step "wasmsign2 (signature interop tests)"
bash tools/setup/wasmsign2.sh >/dev/null

step "wasmtime-cli 48 (parity tests and benchmarks against \`wasmtime run\`)"
bash tools/setup/wasmtime.sh >/dev/null

[ -n "$step_start" ] && printf '    (%d s)\n' $((SECONDS - step_start))
echo
echo "install: done in $SECONDS s (caches in $LOOP_CACHE_DIR)"

#!/usr/bin/env bash
# Builds the prebuilt runtime-only loop-host for native targets (what `loop-host pack` /
# `loop pack native` put in front of a payload):
#
#   tools/setup/native-hosts.sh [<target-name>...]     (default: linux-x64 linux-arm64 windows-x64)
#
# into ${LOOP_CACHE_DIR:-$HOME/.cache/loop}/hosts/<target-name>/loop-host[.exe].
# Runtime-only = `--no-default-features --features runtime` (no Cranelift: it loads only code
# precompiled by the dev host) with the `runtime` profile (opt-level s, panic=abort, stripped).
#
# - linux-x64: rustup's cargo, natively.
# - linux-arm64, windows-x64: Debian's rustc-web/cargo-web 1.96 with
#   `RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -Zbuild-std=std,panic_abort --target <triple>` and
#   Debian's cross gcc (no rustup targets needed). Run them with qemu-user / wine.
# - macos-x64, macos-arm64: linking a macOS executable needs Apple's SDK (or zig + an SDK);
#   this says what is missing and stops for that target (exit 3 when nothing else failed).
#
# Idempotent: a target whose sources (host crate, Cargo.lock, wit/) and toolchain did not change
# is not rebuilt (a stamp next to the binary). LOOP_NO_APT=1: never apt-get install.
# Cargo target dir: $LOOP_CACHE_DIR/hosts-target (apart from the dev host's, so builds of the
# dev host are not blocked or invalidated).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
HOSTS="$CACHE/hosts"
export CARGO_TARGET_DIR="$CACHE/hosts-target"
CRATE="$ROOT/host-templates/wasmtime-rust"
MANIFEST="$CRATE/Cargo.toml"

say() { printf 'native-hosts: %s\n' "$*" >&2; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 linux-arm64 windows-x64)

# Fingerprint of everything a runtime host is built from.
sources_hash() {
  (
    cd "$ROOT"
    find host-templates/wasmtime-rust/Cargo.toml host-templates/wasmtime-rust/Cargo.lock \
      host-templates/wasmtime-rust/crates/loop-host/Cargo.toml host-templates/wasmtime-rust/crates/loop-host/build.rs \
      host-templates/wasmtime-rust/crates/loop-host/src wit -type f -print0 | sort -z | xargs -0 sha256sum
    echo "script $(sha256sum "$ROOT/tools/setup/native-hosts.sh" | cut -d' ' -f1)"
  ) | sha256sum | cut -d' ' -f1
}

need_debs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "${LOOP_NO_APT:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (apt-get)"
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    say "missing Debian packages: ${missing[*]} — install them with: apt-get install -y ${missing[*]}"
    return 1
  fi
}

# Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose ProcessPrng Rust's std (1.78+) and
# getrandom import on Windows (every Windows 10+ has it). For running windows-x64 hosts under
# wine only: a 1-function stand-in (over BCryptGenRandom) to copy into a wine prefix's system32.
# The packed executables themselves are unchanged.
wine_shim() {
  local dir="$HOSTS/windows-x64/wine" dll
  dll="$dir/bcryptprimitives.dll"
  [ -f "$dll" ] && return 0
  command -v x86_64-w64-mingw32-gcc >/dev/null || return 0
  mkdir -p "$dir"
  cat >"$dir/bcryptprimitives.c" <<'C'
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) >= 0;
}
C
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$dir/bcryptprimitives.c" -lbcrypt -Wl,--kill-at
  say "windows-x64: wine stand-in for bcryptprimitives.dll at $dll"
}

build_one() {
  local name="$1" triple exe="" cross=0
  case "$name" in
    linux-x64) triple=x86_64-unknown-linux-gnu ;;
    linux-arm64) triple=aarch64-unknown-linux-gnu; cross=1 ;;
    windows-x64) triple=x86_64-pc-windows-gnu; exe=.exe; cross=1 ;;
    macos-x64|macos-arm64)
      [ "$name" = macos-x64 ] && triple=x86_64-apple-darwin || triple=aarch64-apple-darwin
      say "$name ($triple): not built by this script: there is no Apple SDK and no Mach-O linker in Debian."
      say "  Tried here (2026-11-25): PyPI 'ziglang' 0.17.1 + 'cargo-zigbuild' as C compiler/linker with Debian"
      say "  rustc-web build-std linked a 7.4 MB x86_64-apple-darwin runtime host without an SDK (19.5 min) —"
      say "  but it was never run (no Mac here) and is not code-signed, so it is not offered. To provide one:"
      say "  on a Mac with Xcode command line tools: rustup target add $triple, then"
      say "  cargo build --locked --manifest-path host-templates/wasmtime-rust/Cargo.toml -p loop-host --profile runtime \\"
      say "    --no-default-features --features runtime --target $triple, and copy target/$triple/runtime/loop-host"
      say "  to $HOSTS/$name/loop-host (or point LOOP_RUNTIME_HOST_* at it). Code for $triple is still"
      say "  precompiled here by 'loop-host compile --target $triple' / 'loop pack native --target macos'."
      return 3 ;;
    *) say "unknown target '$name' (expected linux-x64, linux-arm64, windows-x64, macos-x64, macos-arm64)"; return 2 ;;
  esac
  local out="$HOSTS/$name/loop-host$exe" stamp="$HOSTS/$name/.stamp"
  local cargo=cargo rustc_v
  if [ $cross = 1 ]; then
    case "$name" in
      linux-arm64) need_debs rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross || return 1 ;;
      windows-x64) need_debs rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 || return 1 ;;
    esac
    cargo=/usr/bin/cargo
    rustc_v="$(/usr/bin/rustc --version)"
  else
    rustc_v="$(rustc --version)"
  fi
  local want
  want="$(sources_hash) $triple $rustc_v"
  [ "$name" = windows-x64 ] && wine_shim
  if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    say "$name: up to date ($out)"
    return 0
  fi
  say "$name: building the runtime-only loop-host for $triple …"
  local start=$SECONDS log="$HOSTS/$name/build.log"
  mkdir -p "$HOSTS/$name"
  local args=(build --locked --manifest-path "$MANIFEST" -p loop-host --bin loop-host
    --profile runtime --no-default-features --features runtime --target "$triple")
  if [ $cross = 1 ]; then
    local T="${triple//-/_}" U
    U="$(echo "$T" | tr '[:lower:]' '[:upper:]')"
    local gcc
    case "$name" in
      linux-arm64) gcc=aarch64-linux-gnu-gcc ;;
      windows-x64) gcc=x86_64-w64-mingw32-gcc ;;
    esac
    if ! env RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc "CARGO_TARGET_${U}_LINKER=$gcc" "CC_${T}=$gcc" \
        "$cargo" "${args[@]}" -Zbuild-std=std,panic_abort >"$log" 2>&1; then
      tail -30 "$log" >&2
      say "$name: build failed (full log: $log)"
      return 1
    fi
  else
    if ! "$cargo" "${args[@]}" >"$log" 2>&1; then
      tail -30 "$log" >&2
      say "$name: build failed (full log: $log)"
      return 1
    fi
  fi
  install -m 755 "$CARGO_TARGET_DIR/$triple/runtime/loop-host$exe" "$out.tmp" && mv -f "$out.tmp" "$out"
  printf '%s' "$want" >"$stamp"
  say "$name: built $out ($(stat -c %s "$out") bytes) in $((SECONDS - start)) s"
}

status=0
for t in "${targets[@]}"; do
  rc=0
  build_one "$t" || rc=$?
  if [ $rc -ne 0 ]; then
    if [ $rc -eq 3 ] && [ $status -eq 0 ]; then status=3; elif [ $rc -ne 3 ]; then status=1; fi
  fi
done
exit $status

#!/usr/bin/env bash
# Installs the Rust *guest* toolchain: Rust components for wasm32 built without rustup
# targets (rustup here cannot download any). Debian bookworm-security ships rustc-web 1.96
# with its std sources; tools/rust-guest/build.sh compiles std for the wasm target itself
# (RUSTC_BOOTSTRAP=1 cargo -Zbuild-std), links wasip2 commands with wasm-component-ld
# (rust-web-llvm) against Debian's wasi-libc, and uses rust-lld (lld-22) for wasm32.
#
#   bash tools/setup/rust-guest.sh           # install what is missing, then verify
#   bash tools/setup/rust-guest.sh --warm    # also build the Rust examples once (compiles
#                                            # std for both wasm targets into the guest cache)
#
# Idempotent (no apt-get when everything is installed), root, no stdin. The Debian packages
# conflict with Debian's own `rustc`/`rustup` packages (not with a rustup install in
# ~/.cargo, whose cargo stays first on PATH: the build wrapper calls /usr/bin/cargo).
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 wasi-libc)
WARM=0
for a in "$@"; do
  case "$a" in
    --warm) WARM=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$a' (use --warm or nothing)" >&2; exit 2 ;;
  esac
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "error: rust-guest.sh needs root to install ${missing[*]} (run as root, or install them and rerun)" >&2
    exit 1
  fi
  apt-get update -qq
  # rustc-web must come from bookworm-security (1.96; bookworm main has 1.85 without
  # rust-web-llvm/wasm-component-ld). apt picks the highest version by default.
  if ! apt-cache show rust-web-llvm >/dev/null 2>&1; then
    echo "error: apt has no 'rust-web-llvm'; enable the bookworm-security repository (deb.debian.org/debian-security bookworm-security main)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# Verify what build.sh relies on, with a message naming the missing piece.
RUSTC=/usr/bin/rustc
fail() { echo "error: Rust guest toolchain: $*" >&2; exit 1; }
[ -x "$RUSTC" ] || fail "no $RUSTC (package rustc-web)"
[ -x /usr/bin/cargo ] || fail "no /usr/bin/cargo (package cargo-web)"
sysroot=$("$RUSTC" --print sysroot)
[ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ] || fail "no std sources at $sysroot/lib/rustlib/src/rust/library (package rust-web-src)"
[ -x "$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld" ] || fail "no wasm-component-ld (package rust-web-llvm)"
command -v rust-lld >/dev/null || [ -x /usr/bin/rust-lld ] || fail "no rust-lld (package lld-22)"
[ -f /usr/lib/wasm32-wasi/libc.a ] || fail "no /usr/lib/wasm32-wasi/libc.a (package wasi-libc)"
targets=$("$RUSTC" --print target-list)
for t in wasm32-unknown-unknown wasm32-wasip2; do
  grep -qx "$t" <<<"$targets" || fail "$RUSTC does not know target $t"
done
echo "rust-guest: $("$RUSTC" --version), $(/usr/bin/cargo --version | cut -d' ' -f1-2); targets wasm32-unknown-unknown, wasm32-wasip2 via -Zbuild-std"

if ((WARM)); then
  for p in examples/components/hello-rust examples/components/greeter-rust; do
    echo "==> warm: tools/rust-guest/build.sh $p"
    bash tools/rust-guest/build.sh "$p" >/dev/null
  done
fi

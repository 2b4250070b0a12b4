#!/usr/bin/env bash
# Runs every test suite (vitest: unit, corpus, e2e with real components; cargo test: the
# native host) after making sure everything is installed, then prints one line:
#   N passed, N failed
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup/install.sh || { echo "0 passed, 1 failed"; exit 1; }
# Everything the suites create in temp dirs (clones, caches, wine prefixes, nginx stores) goes
# below one directory that is removed at the end, whatever happens.
export TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/loop-test-run-XXXXXX")"
chmod 755 "$TMPDIR" # nginx workers (user nobody) serve files from below it
trap 'rm -rf "$TMPDIR"' EXIT
export NX_DAEMON=false NX_ISOLATE_PLUGINS=false NX_NO_CLOUD=true
# set-up installs wasmtime-cli, so the parity tests must run, not skip.
export LOOP_REQUIRE_WASMTIME="${LOOP_REQUIRE_WASMTIME:-1}"
export LOOP_CACHE_DIR="${LOOP_CACHE_DIR:-$HOME/.cache/loop}"
results=$(mktemp -d)
passed=0 failed=0 status=0

echo
echo "==> build the example components (Nx cache: free after the main command)"
node_modules/.bin/nx run-many -t build-component --outputStyle=static >"$results/build.log" 2>&1 || {
  cat "$results/build.log"
  status=1
}

echo
echo "==> vitest"
# The fast-check fuzzers run LOOP_FUZZ_SECONDS each (6 properties: 60 s in all).
LOOP_FUZZ_SECONDS="${LOOP_FUZZ_SECONDS:-10}" node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=1
if [ -f "$results/vitest.json" ]; then
  read -r p f < <(node -e '
    const r = require(process.argv[1]);
    // A spec file that fails to load counts as one failure even though no test ran.
    const broken = r.testResults.filter((t) => t.status === "failed" && !t.assertionResults.length).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);' "$results/vitest.json")
  passed=$((passed + p)) failed=$((failed + f))
else
  failed=$((failed + 1))
fi

# Cargo workspaces whose tests run on the host (guest crates build for wasm and are
# exercised through the hosts instead). fuzz/: the payload reader over mutated input, 60 s.
for ws in host-templates/wasmtime-rust host-templates/wasmtime-rust/fuzz; do
  [ -f "$ws/Cargo.toml" ] || continue
  echo
  echo "==> cargo test ($ws)"
  (cd "$ws" && CARGO_TARGET_DIR="$LOOP_CACHE_DIR/target" cargo test --locked 2>&1) | tee "$results/cargo.log" || status=1
  while read -r p f; do passed=$((passed + p)) failed=$((failed + f)); done < <(
    sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$results/cargo.log")
  grep -q '^error' "$results/cargo.log" && ! grep -q '^test result' "$results/cargo.log" && failed=$((failed + 1))
done

[ "$failed" -gt 0 ] && status=1
echo
echo "$passed passed, $failed failed"
exit $status

#!/usr/bin/env bash
# The main job, from a fresh machine: install everything, then take the example app as far
# as Loop goes today — build its components, validate and resolve it for both platforms, run
# it natively (plain, with a profile, composed), pack it for the web and as native executables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup/install.sh
export NX_DAEMON=false NX_ISOLATE_PLUGINS=false NX_NO_CLOUD=true
step() { printf '\n==> %s\n' "$*"; }
app=examples/apps/hello

step "build every example component (Nx, cached)"
node_modules/.bin/nx run-many -t build-component --outputStyle=static

step "validate $app"
node_modules/.bin/loop validate "$app"

for platform in native web; do
  step "resolve $app for $platform"
  node_modules/.bin/nx run "hello-app:resolve:$platform" --outputStyle=static
done
node_modules/.bin/loop resolve "$app" --platform native --profile fancy -o "dist/$app/native-fancy/app.loop.json"

step "run $app in the native host (a local server answers the app's HTTP fetch)"
python3 -m http.server 8787 --bind 127.0.0.1 --directory "$app/www" >/dev/null 2>&1 &
server=$!
# (|| true: a failed kill in the EXIT trap would become the script's exit status.)
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8787/hello.txt >/dev/null && break; sleep 0.1; done
if ! kill -0 "$server" 2>/dev/null; then
  echo "main: cannot serve $app/www on 127.0.0.1:8787 (is another process listening there? ss -ltnp | grep 8787)" >&2
  exit 1
fi
node_modules/.bin/loop run "$app"

step "run $app with the fancy profile (another default component)"
node_modules/.bin/loop run "$app" --profile fancy

step "compose $app into one component and run that"
node_modules/.bin/nx run hello-app:compose --outputStyle=static
node_modules/.bin/loop run "dist/$app/composed/hello-app.loop.json"

step "pack $app for the web"
node_modules/.bin/nx run hello-app:pack-web --outputStyle=static

step "pack $app natively (linux-x64, linux-arm64, windows-x64) and run the linux-x64 single file"
node_modules/.bin/nx run hello-app:pack-native -c linux-x64 --outputStyle=static
node_modules/.bin/loop pack native "$app" --target linux-arm64,windows-x64
# The packed file needs nothing of Loop, Node or cargo: run it with an empty environment.
# Its relative data paths (the app's data/ dir) resolve against LOOP_APP_DIR, else next to the file.
env -i LOOP_APP_DIR="$PWD/$app" "$PWD/dist/$app/native/linux-x64/hello-app"

echo
echo "main: the example app is built, resolved (dist/$app/{native,web}/app.loop.json), run in the"
echo "      native host, composed (dist/$app/composed/), packed for the web (dist/$app/web/site;"
echo "      try: node_modules/.bin/loop serve $app) and as native executables (dist/$app/native/)"

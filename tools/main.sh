#!/usr/bin/env bash
# The main job, from a fresh machine: install everything, then take the example app as far
# as Loop goes today — build its components, validate and resolve it for both platforms.
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

step "pack $app for the web"
node_modules/.bin/nx run hello-app:pack-web --outputStyle=static

echo
echo "main: the example app is built, resolved (dist/$app/{native,web}/app.loop.json)"
echo "      and packed for the web (dist/$app/web/site; try: node_modules/.bin/loop serve $app)"

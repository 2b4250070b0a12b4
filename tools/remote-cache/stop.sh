#!/usr/bin/env bash
# Stops the cache server started by start.sh --dir DIR.
set -euo pipefail
dir=${2:-}
[ "${1:-}" = --dir ] && [ -n "$dir" ] || { echo "usage: stop.sh --dir DIR" >&2; exit 2; }
[ -f "$dir/nginx.pid" ] && PATH="$PATH:/usr/sbin" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s stop || true

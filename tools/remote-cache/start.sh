#!/usr/bin/env bash
# Starts the Nx remote cache server (nginx + WebDAV PUT + bearer token) on this machine.
#   tools/remote-cache/start.sh --dir DIR --token TOKEN [--listen 127.0.0.1:8090]
# Prints the URL to set as NX_SELF_HOSTED_REMOTE_CACHE_SERVER. Stop it with stop.sh --dir DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir='' token='' listen='127.0.0.1:8090'
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    *) echo "start.sh: unknown argument $1 (use --dir, --token, --listen)" >&2; exit 2 ;;
  esac
done
[ -n "$dir" ] && [ -n "$token" ] || { echo "start.sh: --dir and --token are required" >&2; exit 2; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "start.sh: nginx is not installed (apt-get install nginx-core)" >&2; exit 1; }
case "$token" in *[!A-Za-z0-9._~+/=-]*) echo "start.sh: the token may only use [A-Za-z0-9._~+/=-]" >&2; exit 2 ;; esac
mkdir -p "$dir/store/v1/cache" "$dir/tmp"
dir=$(cd "$dir" && pwd)
user=''
if [ "$(id -u)" = 0 ]; then
  # nginx workers drop root; they must own the store to write it.
  user='user nobody nogroup;'
  chown -R nobody:nogroup "$dir/store" "$dir/tmp"
  if ! runuser -u nobody -- test -w "$dir/store/v1/cache"; then
    echo "start.sh: nginx's workers run as 'nobody' and cannot reach $dir/store: make every parent directory traversable (chmod o+x)" >&2
    exit 1
  fi
fi
sed -e "s#@DIR@#$dir#g" -e "s#@TOKEN@#$token#g" -e "s#@LISTEN@#$listen#g" -e "s#@USER@#$user#g" \
  "$here/nginx.conf.template" > "$dir/nginx.conf"
PATH="$PATH:/usr/sbin" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
echo "http://$listen"

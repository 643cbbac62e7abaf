#!/bin/sh
# `make run`: initializes the state directory and runs lighttpd with every
# nestbox program in the foreground on $HOST:$PORT.  Every NESTBOX_* and
# IMAGE_PATH variable of this environment reaches the programs.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
: "${HOST:=127.0.0.1}" "${PORT:=8080}"
export NESTBOX_CONFIG="${NESTBOX_CONFIG:-$root/etc/nestbox.yaml}"
# the programs run in another directory: make a relative IMAGE_PATH absolute
if [ -n "${IMAGE_PATH:-}" ]; then
	IMAGE_PATH=$(realpath -m "$IMAGE_PATH")
	export IMAGE_PATH
fi
ctl="$root/bin/nestboxctl"
"$ctl" init
login=$("$ctl" user first-admin)
state=$("$ctl" config | sed -n 's/^server\.var_dir = //p')
mkdir -p "$state/run"
export NESTBOX_ROOT="$root" NESTBOX_CGIBIN="$root/cgi-bin" NESTBOX_STATE="$state" \
	NESTBOX_HOST="$HOST" NESTBOX_PORT="$PORT" NESTBOX_EXTRA="${NESTBOX_EXTRA:-/dev/null}"
cat <<MSG
nestbox: http://$HOST:$PORT/
  admin:   http://$HOST:$PORT/admin/   $login
  mkbox:   /list  /update/<box>/<image>[/<buildID>]  /update?name=&board=&version=&build_id=
  mip:     /mip (mip.install("pkg", index="http://$HOST:$PORT/mip"))
  logs:    /log/echo  /metrics  /healthz
  images:  $ctl image import <file.img> --box B --board X [--branch BR] [--version V]
  (Ctrl-C stops the server)
MSG
exec lighttpd -D -f "$root/etc/lighttpd.conf"

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
config=$("$ctl" config)
setting() { printf '%s\n' "$config" | sed -n "s/^$1 = //p"; }
state=$(setting 'server\.var_dir')
mkdir -p "$state/run"

# The URLs devices are given: server.base_url when set (what devices reach
# through a proxy), else this listener; a wildcard address is no address a
# device can use, so the machine's name stands in for it.
base=$(setting 'server\.base_url' | sed 's|/*$||')
if [ -z "$base" ]; then
	case "$HOST" in
	0.0.0.0 | :: | "[::]") base="http://$(uname -n):$PORT" ;;
	*:*) base="http://[$HOST]:$PORT" ;;
	*) base="http://$HOST:$PORT" ;;
	esac
fi
# ddi.tenants prints as "DEFAULT" or "[a, b]"
tenants=$(setting 'ddi\.tenants' | tr '[],' '   ')

# the import command as it works from any directory: nestboxctl finds its
# store through NESTBOX_CONFIG (without it /etc/nestbox/nestbox.yaml, else
# ./etc/nestbox.yaml, else var/ of the current directory), the images
# through IMAGE_PATH when set
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
import="NESTBOX_CONFIG=$(quote "$NESTBOX_CONFIG")"
[ -z "${IMAGE_PATH:-}" ] || import="$import IMAGE_PATH=$(quote "$IMAGE_PATH")"
import="$import $(quote "$ctl") image import"

export NESTBOX_ROOT="$root" NESTBOX_CGIBIN="$root/cgi-bin" NESTBOX_STATE="$state" \
	NESTBOX_HOST="$HOST" NESTBOX_PORT="$PORT" NESTBOX_EXTRA="${NESTBOX_EXTRA:-/dev/null}"
echo "nestbox: http://$HOST:$PORT/"
echo "  admin:   $base/admin/   $login"
echo "devices (README: \"Point SWUpdate at nestbox\", \"Point RAUC's hawkbit updater at nestbox\"):"
for t in $tenants; do
	echo "  DDI:     $base/$t/controller/v1/<controllerId>   (suricatta: url = \"$base\"; tenant = \"$t\")"
done
cat <<MSG
  mkbox:   $base/list   $base/update/<box>/<image>[/<buildID>]   $base/update?name=&board=&version=&build_id=
  mip:     $base/mip   (mip.install("pkg", index="$base/mip"))
  OTA:     $base/ota/api   $base/ota/raw   (in ota.py, for api.github.com and raw.githubusercontent.com)
  Python:  $base/pypi/root/pypi/+simple/   (pip install --index-url)
  logs:    $base/log/echo   $base/metrics   $base/healthz
  images:  $import <file.img> --box B --board X [--branch BR] [--version V]
  (Ctrl-C stops the server)
MSG
exec lighttpd -D -f "$root/etc/lighttpd.conf"

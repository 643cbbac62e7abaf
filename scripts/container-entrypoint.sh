#!/bin/sh
# The container's entry point.  "serve" (the default command) runs what
# `make run` runs, scripts/run.sh, over the installed tree: it initializes
# the state directory on first start, prints the admin login (a random
# password unless NESTBOX_ADMIN_PASSWORD is set), and runs lighttpd in the
# foreground on $NESTBOX_HOST:$NESTBOX_PORT.  Any other command runs as
# given, e.g. `podman run --rm -v nestbox:/var/lib/nestbox IMAGE nestboxctl
# user list`.
set -e
if [ "${1:-serve}" != serve ]; then
	exec "$@"
fi
HOST="${NESTBOX_HOST:-0.0.0.0}"
PORT="${NESTBOX_PORT:-8080}"
export HOST PORT
exec sh "$(dirname "$0")/run.sh"

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
# With the store on PostgreSQL (db.url set) the database may still be
# starting: compose starts the services together, and podman-compose 1.0
# does not wait for a service's health.  Opening the store is retried for
# up to NESTBOX_STORE_WAIT seconds (default 60); then the last error is
# printed and the container stops.  SQLite opens at once and is not waited.
store_wait() {
	url=$(setting 'db\.url')
	[ -n "$url" ] || return 0
	limit="${NESTBOX_STORE_WAIT:-60}"
	case $limit in
	'' | *[!0-9]*)
		echo "nestbox: NESTBOX_STORE_WAIT must be a number of seconds, not '$limit'" >&2
		exit 2 ;;
	esac
	start=$(date +%s)
	said=
	until err=$(nestboxctl init 2>&1 >/dev/null); do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "nestbox: the store did not open within ${limit}s: $err" >&2
			exit 1
		fi
		[ -n "$said" ] || echo "nestbox: waiting up to ${limit}s for the store: $err" >&2
		said=1
		sleep 1
	done
}

# The root scripts/run.sh serves from, printed.  lighttpd looks files of
# that root up on every request: a static file of htdocs (two stats and
# a read) and the Lua script mod_magnet runs for the mkbox and mip URLs
# (a stat, to reload it when changed).  On the image's overlay file
# system those cost more than anywhere else: a static request's stat,
# stat, open, fstat, pread and close took 10.2 us of CPU on the overlay,
# 6.6-7.1 on tmpfs, 7.7-8.1 on the volume, 6.3-6.8 outside the container
# (measured in the container's mount namespace), so etc/ and htdocs/ are
# copied to the container's tmpfs, /dev/shm (about 50 KB, fresh at every
# start), with run.sh beside them;
# the programs, exec'd once, are linked.  Where /dev/shm cannot be written
# the image's own tree is served.
served_root() {
	img=$(cd "$(dirname "$0")/.." && pwd)
	tmp=/dev/shm/nestbox
	if rm -rf "$tmp" 2>/dev/null && mkdir -p "$tmp/scripts" 2>/dev/null &&
		cp -R "$img/etc" "$img/htdocs" "$tmp/" && cp "$img/scripts/run.sh" "$tmp/scripts/" &&
		ln -s "$img/bin" "$img/cgi-bin" "$tmp/"; then
		echo "$tmp"
	else
		echo "nestbox: /dev/shm not writable: serving $img from the image" >&2
		echo "$img"
	fi
}

# The programs' sockets, this container's own.  lighttpd binds them in
# <server.var_dir>/run (etc/nestbox-lighttpd.conf), on the volume, and a
# socket that already answers is a program it neither starts nor restarts:
# a second container on the volume (a new image started before the old
# container stops) used the first one's programs, and answered 503 for
# good once the first stopped.  run/ holds the sockets alone, so on the
# volume it becomes a link to /dev/shm/nestbox-run, which each container
# resolves in its own /dev/shm (private unless --ipc host).  Where /dev/shm
# cannot be written run/ stays (or is made again) a directory of the volume.
private_sockets() {
	state=$(setting 'server\.var_dir')
	[ -n "$state" ] || return 0
	own=/dev/shm/nestbox-run
	if ! mkdir -p "$own" 2>/dev/null || ! [ -w "$own" ]; then
		echo "nestbox: /dev/shm not writable: the programs' sockets are in $state/run, on the volume" >&2
		if [ -L "$state/run" ]; then
			rm -f "$state/run"
			mkdir -p "$state/run"
		fi
		return 0
	fi
	[ "$(readlink "$state/run" 2>/dev/null)" != "$own" ] || return 0
	# the link made beside (a random name: the entry point is pid 1 in
	# every container) and renamed over run/; a container starting at the
	# same time may have put the same link there first
	tmp=$(mktemp -u "$state/.run.XXXXXXXX")
	ln -s "$own" "$tmp"
	[ -L "$state/run" ] || rm -rf "$state/run"
	mv -T "$tmp" "$state/run" 2>/dev/null || rm -f "$tmp"
	if [ "$(readlink "$state/run" 2>/dev/null)" != "$own" ]; then
		echo "nestbox: cannot make $state/run a link to $own" >&2
		exit 1
	fi
}

# the configuration as the programs will read it, read once: every
# nestboxctl run is a process start, and a start is what the first answer
# waits for
config=$(nestboxctl config)
setting() { printf '%s\n' "$config" | sed -n "s/^$1 = //p"; }
store_wait
private_sockets
root=$(served_root)
HOST="${NESTBOX_HOST:-0.0.0.0}"
PORT="${NESTBOX_PORT:-8080}"
export HOST PORT
exec sh "$root/scripts/run.sh"

#!/bin/sh
# bench/accesslog.sh - how fast nestbox-accesslog writes a backlog: N
# access-log lines (a DDI poll's, not a hot route's, so each is a row) on
# stdin from a file, timed from start to exit (the last flush committed),
# then the rows counted.  Its input is never short of lines, so it writes
# full buffers (REQLOG_BUF rows a transaction), as when it is behind.
#
# Usage: sh bench/accesslog.sh [sqlite|postgresql] [N]   (default postgresql 50000)
# Programs from `make all` (NESTBOX_ACCESSLOG: another build of the
# writer, to compare).  PostgreSQL: a cluster of its own under
# build/bench/accesslog/pg, started as tests/e2e/conftest.py starts the
# suite's (unix socket only, fsync off; as root it runs as postgres).
# Prints rows/s, the load, and the CPU seconds of the writer and server.
set -eu

store=${1:-postgresql}
n=${2:-50000}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/bench/accesslog
pg_bin=${NESTBOX_PG_BIN:-/usr/lib/postgresql/15/bin}

pg() { # program args...
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$pg_bin/$@"
	else
		"$pg_bin/$@"
	fi
}

cleanup() {
	[ -f "$out/pg/data/postmaster.pid" ] && pg pg_ctl -D "$out/pg/data" -m immediate -w stop >/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
rm -rf "$out"
mkdir -p "$out/pg"
printf 'server:\n  var_dir: %s/var\n' "$out" >"$out/nestbox.yaml"
case $store in
postgresql)
	[ "$(id -u)" = 0 ] && chown postgres "$out/pg"
	pg initdb -D "$out/pg/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
	pg pg_ctl -D "$out/pg/data" -l "$out/pg/log" -w \
		-o "-k $out/pg -c listen_addresses= -c fsync=off" start >/dev/null
	pg createdb -h "$out/pg" -U postgres nestbox
	printf 'db:\n  url: "postgresql:///nestbox?host=%s&user=postgres"\n' "$out/pg" \
		>>"$out/nestbox.yaml"
	count() { psql -qtA -h "$out/pg" -U postgres nestbox -c 'SELECT count(*) FROM request_log'; }
	;;
sqlite)
	count() { sqlite3 "$out/var/nestbox.db" 'SELECT count(*) FROM request_log'; }
	;;
*) echo "usage: $0 [sqlite|postgresql] [N]" >&2; exit 2 ;;
esac
export NESTBOX_CONFIG=$out/nestbox.yaml
"$root/bin/nestboxctl" init >/dev/null
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
	printf "\"%d\" \"ddi\" \"ddi poll\" \"GET /DEFAULT/controller/v1/dev-%d HTTP/1.1\" 200 312 %d \"10.0.%d.%d\" \"swupdate (2023.12)\" \"-\"\n",
		1767225600000 + i, i % 1000, 400 + i % 900, i % 250, i % 200 }' >"$out/lines"
# CPU seconds: the writer's, and the server's (its backends, reaped by
# the postmaster: its children's times), so a loaded machine's figure can
# be told from the writer's own cost
server_cpu() {
	if [ -f "$out/pg/data/postmaster.pid" ]; then
		awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' \
			"/proc/$(head -1 "$out/pg/data/postmaster.pid")/stat"
	else
		echo 0
	fi
}
c0=$(server_cpu)
t0=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$out/time" \
	"${NESTBOX_ACCESSLOG:-$root/cgi-bin/nestbox-accesslog}" <"$out/lines"
t1=$(date +%s.%N)
c1=$(server_cpu)
rows=$(count)
awk -v n="$n" -v rows="$rows" -v t="$(echo "$t1 - $t0" | bc)" -v s="$store" \
	-v load="$(cut -d' ' -f1 /proc/loadavg)" -v w="$(awk '{ print $1 + $2 }' "$out/time")" \
	-v srv="$(echo "$c1 - $c0" | bc)" \
	'BEGIN { printf "%s: %d lines, %d rows in %.2f s: %d rows/s (load %s); CPU s: writer %.2f, server %.2f\n",
		s, n, rows, t, rows / t, load, w, srv }'
[ "$rows" = "$n" ]

# bench/ddi_pg.sh - the hawkBit DDI rows again with the store on PostgreSQL
# (sourced by bench/bench.sh after bench/lib.sh and bench/ddi.sh; runs last).
#
# BENCH_PG=0 skips it; it is skipped with a message where no PostgreSQL
# server binaries are installed ($NESTBOX_PG_BIN, default Debian 12's
# /usr/lib/postgresql/15/bin; `make deps` installs them).  A cluster of its
# own under build/bench/pg (unix socket there, no TCP port; as root it runs
# as the postgres account, initdb refuses root), nestbox restarted with
# NESTBOX_DB__URL pointing at it, then the same requests as the SQLite rows:
# the poll with nothing to do, the feedback POST, and the poll spread over
# 1,000 of $BENCH_DDI_DEVICES (default 1,000,000) devices, written by one
# INSERT … SELECT generate_series (same names and tokens as
# bench/ddi_fixture.py), and the feedback POST again spread over 1,000
# other devices of the fixture, each with an open action (bench/ddi.lua feedback):
# a fleet's feedback comes from many devices, and one action takes one
# feedback at a time (the row of one device, as SQLite's).  After each poll
# row, how many statements wrote to the store during it (the data version's
# move): none, in steady state.  The table, then each row beside its SQLite
# twin.
#
# The cluster runs as a deployment would: fsync and synchronous_commit on
# (the run prints them), so a feedback's 200 means its COMMIT is on disk,
# with the README's recommended group commit (commit_delay = 1000,
# commit_siblings = 3: a commit waits up to 1 ms for others to share its
# flush when three more transactions are open).  Feedbacks of different
# devices do not wait for each other's commit (db_pg.c, db_begin_keyed),
# so their commits share the disk's flushes (pg_test_fsync: 500 to 900 a
# second here), and lighttpd runs 8 ddi.fcgi processes on PostgreSQL
# (etc/nestbox-lighttpd.conf): the rate is bounded by the commits in
# flight per flush, and on a loaded machine by the CPU a feedback costs
# the server (its statements; no data-version trigger since schema step
# 18) and the round trips it waits for (two: the device; then BEGIN,
# the locks, one statement that reads the action and, when it is open,
# writes the entry, with its trim, and the progress, and COMMIT, in one
# pipeline: ddi_action_take, db_commit_with_next; one action's row is
# bound by its device's lock, held from its grant to its commit's flush,
# no longer across a round trip to the program as well).  A poll is one
# write and one round trip (db_pg.c: the data version, the device and the
# Sync in one pipeline, no BEGIN, no COMMIT, nothing sent after it:
# db_read_split).  Then a table of CPU time per request, split between
# lighttpd, ddi.fcgi, the request log's writer and the PostgreSQL server
# (ddi_pg_cpu): where a row's cost goes, and its rate beside the
# zero-work program's on a machine it had to itself.
#
# BENCH_PG_OPTS adds server options (-c log_statement=all: the statements a
# request sends, to count its round trips in build/bench/pg/log).
#
# Run alone (`sh bench/ddi_pg.sh`, programs built by `make bench`) it
# measures only these rows, against a fresh build/bench; the SQLite column
# of the side-by-side table is then empty.

ddi_pg_settings() {
	pg_on=${BENCH_PG:-1}
	pg_bin=${NESTBOX_PG_BIN:-/usr/lib/postgresql/15/bin}
	pg_dir=$out/pg
	pg_as=
	case $pg_on in 0 | 1) ;; *) die "BENCH_PG must be 0 or 1, not '$pg_on'" ;; esac
}

pg_sh() { # program args... (as the cluster's owner)
	if [ -n "$pg_as" ]; then
		runuser -u "$pg_as" -- "$pg_bin/$@"
	else
		"$pg_bin/$@"
	fi
}

pg_start() {
	mkdir -p "$pg_dir"
	if [ "$(id -u)" = 0 ]; then
		pg_as=postgres
		chown "$pg_as" "$pg_dir"
	fi
	pg_sh initdb -D "$pg_dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
		>"$out/pg-init.log" 2>&1 || { cat "$out/pg-init.log" >&2; return 1; }
	# durability as shipped (fsync on): the rows compare stores, not settings;
	# group commit as the README recommends
	pg_sh pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w \
		-o "-k $pg_dir -c listen_addresses= -c max_connections=200 -c commit_delay=1000 \
		-c commit_siblings=3 ${BENCH_PG_OPTS:-}" start \
		>>"$out/pg-init.log" 2>&1 || { cat "$out/pg-init.log" >&2; return 1; }
	pg_sh createdb -h "$pg_dir" -U postgres nestbox >>"$out/pg-init.log" 2>&1
}

pg_stop() {
	[ -f "$pg_dir/data/postmaster.pid" ] || return 0
	pg_sh pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_sql() { # sql
	psql -q -X -v ON_ERROR_STOP=1 "postgresql:///nestbox?host=$pg_dir&user=postgres" -c "$1"
}

# the devices bench-0000000 .. n-1, as bench/ddi_fixture.py makes them
ddi_pg_fixture() { # devices
	now=$(date +%s)
	t0=$(date +%s.%N)
	attrs="{\"hw_boardname\":\"bench\",\"hw_revision\":\"1.0\",\"sw_version\":\"$ddi_version\"}"
	# the per-row count trigger would update one counts row a million times in
	# one transaction: off for the insert, the count added once (as the SQLite
	# fixture does), all in one transaction
	pg_sql "BEGIN; ALTER TABLE ddi_devices DISABLE TRIGGER ddi_devices_count_ins;
		INSERT INTO ddi_devices(tenant, controller_id, token_hash, hw_model, hw_revision,
		sw_version, feed, mode, assigned, force, state, attributes, last_seen, last_addr, created)
		SELECT 'DEFAULT', 'bench-' || lpad(i::text, 7, '0'),
		encode(sha256(convert_to('bt-' || lpad(i::text, 7, '0'), 'UTF8')), 'hex'), 'bench',
		'1.0', '$ddi_version', 'default', 'assigned', $ddi_pg_sid, 0, 'finished', '$attrs',
		$now, '127.0.0.1', $now FROM generate_series(0, $1 - 1) i;
		ALTER TABLE ddi_devices ENABLE TRIGGER ddi_devices_count_ins;
		INSERT INTO ddi_device_counts VALUES('finished', 'default', 'assigned', $1)
		 ON CONFLICT(state, feed, mode) DO UPDATE SET n = ddi_device_counts.n + excluded.n;
		COMMIT; ANALYZE" \
		>"$out/ddi-pg-fixture.out" 2>&1 || return 1
	# an open action on each device of the spread feedback row (bench/ddi.lua feedback
	# names them) and on bench-0000001, whose URL bench_one checks
	use=$(( $1 - 1 < 1000 ? $1 - 1 : 1000 ))
	pg_sql "INSERT INTO ddi_actions(id, device_id, software_id, status, progress, created, updated)
		SELECT 10000000 + s.i, d.id, $ddi_pg_sid, 'running', 0, $now, $now FROM ddi_devices d,
		 (SELECT floor((k + 0.5) * $1 / $use)::bigint + 1 AS i FROM generate_series(0, $use - 1) k
		  UNION SELECT 1) s
		WHERE d.tenant = 'DEFAULT' AND d.controller_id = 'bench-' || lpad(s.i::text, 7, '0')" \
		>>"$out/ddi-pg-fixture.out" 2>&1 || return 1
	# vacuumed as a fleet's tables are in steady state (else autovacuum's pass
	# over the million new rows, its insert threshold, runs during the rows
	# measured, and their visibility map is unset); its pages written out
	# before the rows, not by a checkpoint during them
	pg_sql "VACUUM (ANALYZE) ddi_devices, ddi_actions" >>"$out/ddi-pg-fixture.out" 2>&1 &&
		pg_sql "CHECKPOINT" >>"$out/ddi-pg-fixture.out" 2>&1 || return 1
	echo "fixture:  $(commas "$1") devices in PostgreSQL in $(since "$t0") s"
}

# The polled devices seen just now, as a fleet polling all day would be:
# last_seen is written at most once a minute a device (ddi_seen_*), and
# the fixture took longer than that.
ddi_pg_seen_now() {
	pg_sql "UPDATE ddi_devices SET last_seen = extract(epoch FROM clock_timestamp())::bigint
		WHERE controller_id LIKE 'bench-%' AND last_seen < extract(epoch FROM now())::bigint - 30
		AND id IN (SELECT d.id FROM ddi_devices d JOIN ddi_actions a ON a.device_id = d.id
		 WHERE a.id > 10000000 UNION SELECT id FROM ddi_devices WHERE controller_id IN
		 (SELECT 'bench-' || lpad(floor((k + 0.5) * $1 / $2)::bigint::text, 7, '0')
		  FROM generate_series(0, $2 - 1) k))" >>"$out/ddi-pg-fixture.out" 2>&1
}

# the store's data version (db_pg.c): moved by every write to a table of the
# store but the request log's and the DDI actions' (a poll's last_seen moves it)
ddi_pg_dv() {
	psql -X -At "$NESTBOX_DB__URL" -c "SELECT sum(n) FROM nb_data_version"
}

# bench_one, then what it wrote to the store (a poll: nothing, in steady
# state).  A device's first polls write its last_seen (once a minute, a
# second after, in each process that saw it): a few polls a second apart
# first, so that the count is the steady state's.
ddi_pg_poll_row() { # bench_one arguments...
	for i in 1 2 3 4 5 6; do
		fetch "$base$3" /dev/null -K "$5" >/dev/null
		[ "$i" != 3 ] || sleep 1.2
	done
	dv0=$(ddi_pg_dv)
	bench_one "$@"
	dv1=$(ddi_pg_dv)
	echo "writes:   $1: $((dv1 - dv0)) statements wrote to the store (data version $dv0 -> $dv1;" \
		"the request log's rows aside)"
}

# a small .swu (the artifact is not measured here) and the two devices
ddi_pg_prepare() {
	d=$out/ddi-pg-swu
	mkdir -p "$d"
	printf 'software =\n{\n\tversion = "%s";\n\thardware-compatibility: [ "1.0" ];\n\timages: ( { filename = "rootfs.img"; type = "rawfile"; path = "/tmp/x.img"; } );\n};\n' \
		"$ddi_version" >"$d/sw-description"
	head -c 4096 /dev/urandom >"$d/rootfs.img"
	(cd "$d" && printf 'sw-description\nrootfs.img\n' | cpio -o -H crc) >"$out/bench-pg.swu" 2>>"$out/init.log"
	"$ctl" init >>"$out/init.log" 2>&1 &&
		ddi_pg_sid=$("$ctl" software add "$out/bench-pg.swu" 2>>"$out/init.log") || return 1
	for dev in idle open; do
		"$ctl" device add "bench-$dev" --token "bt-$dev" --mode assigned --assign "$ddi_pg_sid" \
			>>"$out/init.log" 2>&1 || return 1
	done
}

ddi_pg_run() {
	echo
	echo "== hawkBit DDI on PostgreSQL"
	if [ "$pg_on" = 0 ]; then
		echo "skipped (BENCH_PG=0)"
		return 0
	fi
	if [ ! -x "$pg_bin/initdb" ] || ! command -v psql >/dev/null 2>&1; then
		echo "skipped: PostgreSQL cannot be started here (no $pg_bin/initdb or psql; make deps installs them)"
		return 0
	fi
	if [ "$ddi_on" = 0 ]; then
		echo "skipped (BENCH_DDI=0: nothing to set beside)"
		return 0
	fi
	t_pg=$(date +%s.%N)
	stop_server
	pg_start || { bench_fail "PostgreSQL did not start (build/bench/pg-init.log)"; return 0; }
	export NESTBOX_DB__URL="postgresql:///nestbox?host=$pg_dir&user=postgres"
	ddi_pg_prepare || { bench_fail "software and devices on PostgreSQL (build/bench/init.log)"; return 0; }
	echo "store:    $(psql -X -At "$NESTBOX_DB__URL" -c 'SHOW server_version'), $NESTBOX_DB__URL"
	# a deployment's durability: each answered write is on disk (no fsync=off,
	# no synchronous_commit=off); said here so the rows are read as such
	echo "          durable as deployed: $(psql -X -At "$NESTBOX_DB__URL" -F ' ' -c \
		"SELECT 'fsync=' || current_setting('fsync'), 'synchronous_commit=' ||
		 current_setting('synchronous_commit'), 'commit_delay=' || current_setting('commit_delay'),
		 'commit_siblings=' || current_setting('commit_siblings')")"
	start_server
	dv=/DEFAULT/controller/v1
	lua=$root/bench/ddi.lua
	ddi_open || return 0
	saved_results=$results
	results=$out/ddi-pg-results.tsv
	: >"$results"
	bench_check=ddi_check
	ddi_pg_poll_row "DDI poll, nothing to do (PostgreSQL)" ddi-poll-none-pg "$dv/bench-idle" 32 \
		"$out/ddi-idle.curl" "$lua" token bt-idle
	bench_one "DDI feedback POST (PostgreSQL)" ddi-feedback-pg \
		"$dv/bench-open/deploymentBase/$action/feedback" 32 \
		"$out/ddi-feedback.curl" "$lua" token bt-open POST "$fb"
	printf 'header = "Authorization: TargetToken bt-0000000"\n' >"$out/ddi-dev0.curl"
	n=${ddi_n:-1000000}
	[ "$n" -le 1000000 ] || n=1000000
	if ddi_pg_fixture "$n"; then
		use=$(( n - 1 < 1000 ? n - 1 : 1000 ))
		ddi_pg_seen_now "$n" "$use"
		ddi_pg_poll_row "DDI poll, $(commas "$n") devices (PostgreSQL)" "ddi-poll-n$n-pg" \
			"$dv/bench-0000000" 32 "$out/ddi-dev0.curl" "$lua" spread "$n"
		fb1=$out/ddi-fb1.json
		printf '{"id":"10000001","status":{"execution":"proceeding","result":{"finished":"none",%s' \
			'"progress":{"cnt":1,"of":2}},"details":["Downloaded 40%"]}}' >"$fb1"
		printf 'header = "Authorization: TargetToken bt-0000001"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\n' \
			"$fb1" >"$out/ddi-fb1.curl"
		bench_one "DDI feedback POST, $(commas "$use") devices (PostgreSQL)" ddi-feedback-spread-pg \
			"$dv/bench-0000001/deploymentBase/10000001/feedback" 32 "$out/ddi-fb1.curl" \
			"$lua" feedback "$n" "$use"
	else
		bench_fail "the PostgreSQL fixture: $(tail -n 3 "$out/ddi-pg-fixture.out")"
	fi
	bench_check=:
	results=$saved_results
	echo
	report_table "$out/ddi-pg-results.tsv"
	ddi_pg_beside "$n"
	ddi_pg_cpu "$n"
	echo "DDI on PostgreSQL: $(since "$t_pg") s"
}

# "pid ticks" of each process of the server (the postmaster and its
# children: the programs' backends, WAL writer, checkpointer...) but the
# autovacuum workers, which come and go with the fixture's load, not with
# the requests.
pg_ticks() {
	pm=$(head -n 1 "$pg_dir/data/postmaster.pid" 2>/dev/null) || return 0
	# (a process may end meanwhile: a backend whose client left)
	for p in $pm $(ps -o pid= --ppid "$pm" 2>/dev/null || true); do
		case $( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null || true) in
		*"autovacuum worker"*) continue ;;
		esac
		awk -v p="$p" '{ print p, $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true
	done
	return 0
}

# the ticks two pg_ticks lists differ by, over the processes in both
pg_ticks_moved() { # before after
	awk 'FNR == NR { t[$1] = $2; next } $1 in t { s += $2 - t[$1] } END { print s + 0 }' "$1" "$2"
}

# CPU time per request of each process that serves a PostgreSQL row
# (ddi_cpu's way: user + system from /proc/<pid>/stat over one wrk run):
# lighttpd, the FastCGI program, the request log's writer, the PostgreSQL
# server (every process of the cluster), and the zero-work program for the
# ceiling.  "/ zero" is the zero-work row's total over the row's: the rate
# the row would have beside it on a machine it had to itself, which other
# processes' load changes far less than req/s.  Where a poll's cost goes
# (the program's statements, the server's answers) is read here.
ddi_pg_cpu() { # devices
	echo
	echo "CPU per request on PostgreSQL (us, user + system from /proc/<pid>/stat in ticks of" \
		"1/$(getconf CLK_TCK) s; ${secs} s of wrk -c32 each)"
	printf '%-40s %9s %9s %9s %9s %9s %9s %9s %7s\n' "" requests lighttpd ddi.fcgi log store \
		zero total "/ zero"
	: >"$out/ddi-pg-cpu.tsv"
	u=$(( $1 - 1 < 1000 ? $1 - 1 : 1000 ))
	ddi_pg_cpu_one "zero-work (the poll's bytes)" "$base/_bench/zero/ddi-poll-none-pg"
	ddi_pg_cpu_one "poll, nothing to do" "$base$dv/bench-idle" token bt-idle
	# (seen just now again: a device's first poll a minute after its last_seen writes it)
	ddi_pg_seen_now "$1" "$u"
	ddi_pg_cpu_one "poll, 1,000 of $(commas "$1") devices" "$base$dv/bench-0000000" spread "$1"
	ddi_pg_cpu_one "feedback POST, one action" "$base$dv/bench-open/deploymentBase/$action/feedback" \
		token bt-open POST "$fb"
	ddi_pg_cpu_one "feedback POST, $(commas "$u") devices" \
		"$base$dv/bench-0000001/deploymentBase/10000001/feedback" feedback "$1" "$u"
}

# one line of ddi_pg_cpu: wrk on url (through bench/ddi.lua with its
# arguments, if any), each process group's ticks before and after
ddi_pg_cpu_one() { # label url [ddi.lua arguments...]
	cl=$1 cu=$2
	shift 2
	cw=$out/wrk-ddi-pg-cpu.txt
	cd_=$(pids_of ddi.fcgi) cz=$(pids_of bench-zero.fcgi) cg=$(pids_of nestbox-accesslog)
	pg_ticks >"$out/pg-ticks0"
	l0=$(ddi_ticks "$lpid") d0=$(ddi_ticks $cd_) g0=$(ddi_ticks $cg) z0=$(ddi_ticks $cz)
	if [ $# -gt 0 ]; then
		wrk -t2 -c32 -d"${secs}s" --timeout 10s -s "$lua" "$cu" -- "$@" >"$cw" 2>&1
	else
		wrk -t2 -c32 -d"${secs}s" --timeout 10s "$cu" >"$cw" 2>&1
	fi
	l1=$(ddi_ticks "$lpid") d1=$(ddi_ticks $cd_) g1=$(ddi_ticks $cg) z1=$(ddi_ticks $cz)
	pg_ticks >"$out/pg-ticks1"
	alive "wrk on $cu"
	set -- $(wrk_stats "$cw")
	[ "$3" = 0 ] || bench_fail "CPU row $cl: $3 errors or non-2xx answers (build/bench/wrk-ddi-pg-cpu.txt)"
	awk -v lab="$cl" -v n="$4" -v l=$((l1 - l0)) -v d=$((d1 - d0)) -v g=$((g1 - g0)) \
		-v st="$(pg_ticks_moved "$out/pg-ticks0" "$out/pg-ticks1")" -v z=$((z1 - z0)) -v hz="$(getconf CLK_TCK)" \
		-v tsv="$out/ddi-pg-cpu.tsv" 'BEGIN {
		if (n <= 0) { printf "%-40s no requests\n", lab; exit }
		f = 1e6 / hz / n; t = (l + d + g + st + z) * f
		getline zt < tsv; close(tsv)
		r = (zt > 0 && t > 0) ? sprintf("%.2f", zt / t) : "-"
		printf "%-40s %9d %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %7s\n", lab, n, l * f, d * f,
			g * f, st * f, z * f, t, r
		if (zt == "") print t > tsv
	}'
}

# each PostgreSQL row's rate beside its SQLite twin's, and the issue's targets
ddi_pg_beside() { # devices
	echo
	echo "SQLite beside PostgreSQL (req/s; /zero: of the zero-work FastCGI ceiling of that row):"
	lite=$out/ddi-results.tsv
	[ -f "$lite" ] || lite=/dev/null	# run alone: no SQLite rows
	u=$(( $1 - 1 < 1000 ? $1 - 1 : 1000 ))
	awk -F '\t' -v n="$(commas "$1")" -v u="$(commas "$u")" '
	FILENAME == ARGV[1] { if ($1 == "endpoint") lite[$2] = $4; next }
	$1 == "endpoint" { pg[$2] = $4 } $1 == "zero" { z[$2] = $4 }
	function row(what, l, p, want) {
		printf "  %-34s SQLite %10s   PostgreSQL %10s   PostgreSQL/zero %s%s\n", what,
			(l in lite ? lite[l] : "-"), (p in pg ? pg[p] : "-"),
			(p in pg && z[p] > 0 && pg[p] != "FAIL" ? sprintf("%.2f", pg[p] / z[p]) : "-"), want
	}
	END {
		row("poll, nothing to do", "DDI poll, nothing to do", "DDI poll, nothing to do (PostgreSQL)", "")
		row("feedback POST, one action", "DDI feedback POST (proceeding)",
			"DDI feedback POST (PostgreSQL)", "")
		row("feedback POST, " u " devices", "", "DDI feedback POST, " u " devices (PostgreSQL)",
			"   (target >= 2,000/s)")
		row("poll, " n " devices", "DDI poll, " n " devices", "DDI poll, " n " devices (PostgreSQL)",
			"   (target >= 0.6 of /zero)")
	}' "$lite" "$out/ddi-pg-results.tsv"
}

# `sh bench/ddi_pg.sh`: this suite alone (sourced by bench.sh, $0 is bench.sh)
ddi_pg_alone() {
	set -eu
	root=$(cd "$(dirname "$0")/.." && pwd)
	# shellcheck source=bench/lib.sh
	. "$root/bench/lib.sh"
	# shellcheck source=bench/ddi.sh
	. "$root/bench/ddi.sh"
	bench_settings
	ddi_settings
	ddi_pg_settings
	bench_need
	trap 'stop_server; pg_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bench_header
	bench_state_init
	ddi_pg_run
	bench_note_children	# (the other suites note them for bench_finish)
	bench_finish
}

case $0 in */ddi_pg.sh | ddi_pg.sh) ddi_pg_alone ;; esac

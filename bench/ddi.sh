# bench/ddi.sh - the hawkBit DDI suite of `make bench` (BENCH_DDI=0 skips it;
# sourced by bench/bench.sh after bench/lib.sh).
#
# Against the same lighttpd, next to the two ceilings: a poll with nothing
# to do, a poll with an open action, a feedback POST, the download of a
# 64 MiB .swu artifact (-c4), and the poll with nothing to do spread over
# 1,000 devices of a table of 1,000, of 1,000,000 (when the largest fleet is
# bigger) and of $BENCH_DDI_DEVICES (default 1,000,000, at most 10,000,000)
# registered devices, which bench/ddi_fixture.py writes into the store
# (bench/ddi.lua makes the requests).  The fleet table prints each size side
# by side with the fixture's time, the store's size and the ratio to the
# rate with 1,000, and the store's size per million devices; then the
# targets (feedback >= 0.5 of the zero-work ceiling, 0.9 of static for the
# artifact, each large table within 10% of the 1,000 one).  Last, the CPU
# time per request of lighttpd, ddi.fcgi and the zero-work program for the
# poll, the poll over the largest fleet and the feedback (ddi_cpu): on a
# shared machine a steadier measure than the rates.
#
# The ten-million row is off by default: BENCH_DDI_DEVICES=10000000 adds it
# (after the 1,000,000 one).  Its fixture took 6 minutes on this 2-core
# machine under load (363 s, 25,000 rows/s, before schema step 17 added an
# index; the 1,000,000 row takes 40 to 90 s) and the store is about 5 GB
# (about 520 MiB per million devices), near twice that on disk until the
# fixture's one transaction is checkpointed out of the WAL.  Of the 520
# MiB (dbstat, 1,000,000 devices): the table 262 (a row holds the token's
# sha256 in hex and the attributes' JSON), the poll's covering index
# ddi_devices_poll 144 (schema step 17: every column the poll reads, one
# B-tree leaf a poll), the unique (tenant, controller id) index 32 (the
# constraint; the poll no longer reads it), the five indexes of the admin
# pages and rollouts 80.

ddi_settings() {
	ddi_on=${BENCH_DDI:-1}
	ddi_n=${BENCH_DDI_DEVICES:-1000000}
	case $ddi_on in 0 | 1) ;; *) die "BENCH_DDI must be 0 or 1, not '$ddi_on'" ;; esac
	case $ddi_n in '' | *[!0-9]*) die "BENCH_DDI_DEVICES must be a number, not '$ddi_n'" ;; esac
	[ "$ddi_n" -ge 1000 ] && [ "$ddi_n" -le 10000000 ] ||
		die "BENCH_DDI_DEVICES must be 1000 to 10000000, not '$ddi_n'"
	# the fleet sizes, smallest first: 1,000, 1,000,000 on the way, the largest
	ddi_sizes=1000
	[ "$ddi_n" -le 1000000 ] || ddi_sizes="$ddi_sizes 1000000"
	[ "$ddi_n" = 1000 ] || ddi_sizes="$ddi_sizes $ddi_n"
	[ "$ddi_on" = 0 ] || tools="$tools python3 cpio cmp"
}

# ddi_prepare, before lighttpd starts: a 64 MiB .swu in the software
# repository, two devices.  bench-idle already runs the software it is assigned (a poll has nothing to
# do), bench-open an older version (its first poll opens an action); both
# send their attributes through the API once lighttpd runs
ddi_version=2.0
ddi_swu=$out/bench-$ddi_version.swu
ddi_sid=
ddi_prepare() {
	d=$out/ddi-swu
	mkdir -p "$d"
	cat >"$d/sw-description" <<EOF
software =
{
	version = "$ddi_version";
	description = "make bench";
	hardware-compatibility: [ "1.0" ];
	images: ( { filename = "rootfs.img"; type = "rawfile"; path = "/tmp/nestbox-bench.img"; } );
};
EOF
	head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$d/rootfs.img"
	(cd "$d" && printf 'sw-description\nrootfs.img\n' | cpio -o -H crc) >"$ddi_swu" 2>>"$out/init.log" ||
		die "building the ${big_mib} MiB .swu with cpio failed (build/bench/init.log)"
	rm -rf "$d"
	t0=$(date +%s.%N)
	ddi_sid=$("$ctl" software add "$ddi_swu" 2>>"$out/init.log") ||
		{ cat "$out/init.log" >&2; die "nestboxctl software add failed"; }
	t1=$(date +%s.%N)
	for dev in idle open; do
		"$ctl" device add "bench-$dev" --token "bt-$dev" --mode assigned --assign "$ddi_sid" \
			>>"$out/init.log" 2>&1 || { cat "$out/init.log" >&2; die "nestboxctl device add bench-$dev failed"; }
	done
	echo "ddi:      $(basename "$ddi_swu") ($(wc -c <"$ddi_swu") bytes, version $ddi_version) added as software" \
		"$ddi_sid in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s;" \
		"devices bench-idle and bench-open assigned to it"
}

# bench_one's check of the DDI bodies (see bench_check in bench/lib.sh)
ddi_check() { # name body
	case $1 in
	ddi-poll-none | ddi-poll-n*)
		grep -q '"_links":{}' "$2" ||
			bad="$bad links offered, want none: $(head -c 300 "$2");" ;;
	ddi-poll-open)
		grep -q '"deploymentBase":{"href":"[^"]*/deploymentBase/[0-9]' "$2" ||
			bad="$bad no deploymentBase link: $(head -c 300 "$2");" ;;
	ddi-artifact)
		cmp -s "$2" "$ddi_swu" || bad="$bad not the bytes of the .swu;" ;;
	esac
}

ddi_pids() {
	pids_of ddi.fcgi
}

ddi_bench() {
	echo
	echo "== hawkBit DDI"
	t_ddi=$(date +%s.%N)
	pids0=$(ddi_pids)
	[ -n "$pids0" ] || bench_fail "no ddi.fcgi process under lighttpd"
	dv=/DEFAULT/controller/v1
	lua=$root/bench/ddi.lua
	ddi_open || return 0

	saved_results=$results
	results=$out/ddi-results.tsv
	: >"$results"
	bench_check=ddi_check
	ddi_rows
	ddi_fleet
	bench_check=:
	results=$saved_results

	ddi_report
	ddi_cpu
	bench_pids_end ddi.fcgi "$pids0"
	echo "ddi section: $(since "$t_ddi") s"
}

# attributes through the API; bench-open's first poll opens its action, whose
# feedback body and curl config are written for the rows (1: it failed)
ddi_open() {
	for dev in idle open; do
		case $dev in idle) v=$ddi_version ;; *) v=1.0 ;; esac
		printf 'header = "Authorization: TargetToken bt-%s"\n' "$dev" >"$out/ddi-$dev.curl"
		printf '{"mode":"merge","data":{"hw_boardname":"bench","hw_revision":"1.0","sw_version":"%s"}}' \
			"$v" >"$out/ddi-config-$dev.json"
		set -- $(fetch "$base$dv/bench-$dev/configData" "$out/ddi-config.out" -K "$out/ddi-$dev.curl" \
			-X PUT -H 'Content-Type: application/json' --data-binary "@$out/ddi-config-$dev.json")
		if [ "$1" != 200 ]; then
			bench_fail "PUT $dv/bench-$dev/configData answered HTTP $1: $(head -c 300 "$out/ddi-config.out")"
			return 1
		fi
	done
	set -- $(fetch "$base$dv/bench-open" "$out/ddi-open.json" -K "$out/ddi-open.curl")
	action=$(sed -n 's/.*"deploymentBase":{"href":"[^"]*\/deploymentBase\/\([0-9][0-9]*\)?.*/\1/p' \
		"$out/ddi-open.json")
	if [ "$1" != 200 ] || [ -z "$action" ]; then
		bench_fail "the first poll of bench-open answered HTTP $1 without a deploymentBase link:" \
			"$(head -c 300 "$out/ddi-open.json")"
		return 1
	fi
	echo "sanity:   ok   bench-idle and bench-open sent their attributes (PUT configData 200);" \
		"bench-open's first poll opened action $action"
	fb=$out/ddi-feedback.json
	printf '{"id":"%s","status":{"execution":"proceeding","result":{"finished":"none",%s' "$action" \
		'"progress":{"cnt":1,"of":2}},"details":["Downloaded 40%"]}}' >"$fb"
	{
		cat "$out/ddi-open.curl"
		echo 'header = "Content-Type: application/json"'
		echo "data-binary = \"@$fb\""
	} >"$out/ddi-feedback.curl"
}

# the rows of one device each: polls, feedback, artifact
ddi_rows() {
	bench_one "DDI poll, nothing to do" ddi-poll-none "$dv/bench-idle" 32 \
		"$out/ddi-idle.curl" "$lua" token bt-idle
	bench_one "DDI poll, open action" ddi-poll-open "$dv/bench-open" 32 \
		"$out/ddi-open.curl" "$lua" token bt-open
	bench_one "DDI feedback POST (proceeding)" ddi-feedback \
		"$dv/bench-open/deploymentBase/$action/feedback" 32 \
		"$out/ddi-feedback.curl" "$lua" token bt-open POST "$fb"
	set -- $(fetch "$base$dv/bench-open" "$out/ddi-open.json" -K "$out/ddi-open.curl")
	grep -q "/deploymentBase/$action?" "$out/ddi-open.json" ||
		bench_fail "after the feedback POSTs, bench-open's poll (HTTP $1) no longer offers action $action:" \
			"$(head -c 300 "$out/ddi-open.json")"
	lab_art="DDI artifact (${big_mib} MiB .swu)"
	bench_one "$lab_art" ddi-artifact \
		"$dv/bench-idle/softwaremodules/$ddi_sid/artifacts/$(basename "$ddi_swu")" 4 \
		"$out/ddi-idle.curl" "$lua" token bt-idle
	rm -f "$ddi_swu"
}

# the same poll over many devices: 1,000 of them each time, across the table
# of each size in $ddi_sizes; a line per size in $out/ddi-fleet.tsv
# (devices, label, fixture seconds, rows/s, database KiB)
ddi_fleet() {
	set -- $(fetch "$base$dv/bench-idle" "$out/ddi-poll-none.ref" -K "$out/ddi-idle.curl")
	printf 'header = "Authorization: TargetToken bt-0000000"\n' >"$out/ddi-dev0.curl"
	: >"$out/ddi-fleet.tsv"
	for n in $ddi_sizes; do
		python3 "$root/bench/ddi_fixture.py" "$state/nestbox.db" "$n" "$ddi_sid" "$ddi_version" \
			>"$out/ddi-fixture.out" 2>&1 ||
			{ bench_fail "bench/ddi_fixture.py $n: $(tail -n 3 "$out/ddi-fixture.out")"; break; }
		dbk=$(ddi_store_kib)
		echo "fixture:  $(cat "$out/ddi-fixture.out"), store $(mib "$dbk") MiB"
		ddi_fleet_sane "$n"
		lab="DDI poll, $(commas "$n") devices"
		bench_one "$lab" "ddi-poll-n$n" "$dv/bench-0000000" 32 "$out/ddi-dev0.curl" "$lua" spread "$n"
		ddi_fleet_unchanged "$n"
		printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$lab" \
			"$(sed -n 's/.* in \([0-9.]*\) s (\([0-9]*\) rows.*/\1\t\2/p' "$out/ddi-fixture.out")" \
			"$dbk" >>"$out/ddi-fleet.tsv"
	done
}

# the store on disk in KiB: the database file and its WAL (checkpointed by
# the fixture, so mostly the file)
ddi_store_kib() {
	du -k -c "$state/nestbox.db" "$state/nestbox.db-wal" 2>/dev/null | awk 'END { print $1 }'
}

# the first, middle and last fixture device poll with bench-idle's bytes
ddi_fleet_sane() { # devices
	bad=
	for i in 0 $(($1 / 2)) $(($1 - 1)); do
		id=$(printf 'bench-%07d' "$i")
		printf 'header = "Authorization: TargetToken bt-%07d"\n' "$i" >"$out/ddi-devi.curl"
		set -- "$1" $(fetch "$base$dv/$id" "$out/ddi-devi.out" -K "$out/ddi-devi.curl")
		[ "$2" = 200 ] && cmp -s "$out/ddi-devi.out" "$out/ddi-poll-none.ref" ||
			bad="$bad $id: HTTP $2, $(head -c 200 "$out/ddi-devi.out");"
	done
	if [ -n "$bad" ]; then
		bench_fail "polls of fixture devices differ from bench-idle's:$bad"
	else
		echo "sanity:   ok   bench-0000000, $(printf 'bench-%07d' $(($1 / 2))) and" \
			"$(printf 'bench-%07d' $(($1 - 1))) poll with bench-idle's bytes"
	fi
}

# the spread polls asked for fixture devices only: an unknown id would be
# self-registered (a 200 too) and the row would measure that instead
ddi_fleet_unchanged() { # devices of the fixture
	have=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM ddi_devices").fetchone()[0])' \
		"$state/nestbox.db" 2>&1) || have="? ($have)"
	if [ "$have" = $(($1 + 2)) ]; then
		echo "sanity:   ok   $have devices after the polls: the fixture's and bench-idle, bench-open"
	else
		bench_fail "$have devices after the polls over $1, want $(($1 + 2)): the polls registered" \
			"devices the fixture did not make (bench/ddi.lua's paths?)"
	fi
}

# the DDI table, what its rows mean, and the targets
ddi_report() {
	echo
	report_table "$out/ddi-results.tsv"
	echo
	echo "devices: DEFAULT tenant, TargetToken each, mode assigned, attributes sent; nothing to do ="
	echo "the device already runs its assigned software (the poll reads: device, open action,"
	echo "compatibility, software); open action: the poll links deploymentBase; feedback: POST of"
	echo "$(wc -c <"$fb") bytes (proceeding, progress 1/2) on that action, the ceilings GET its empty answer;"
	echo "artifact: X-Sendfile from the blob store, -c4; N devices: bench/ddi_fixture.py rows, the polls"
	echo "spread over 1,000 of them across the table with their own tokens (bench/ddi.lua);"
	echo "same wrk runs, columns and ceilings as the first table; raw: build/bench/wrk-ddi-*.txt"

	echo
	ddi_fleet_table
	echo
	echo "targets (reported, not asserted):"
	awk -F '\t' -v fbl="DDI feedback POST (proceeding)" -v art="$lab_art" '
	FNR == NR { fleet[++nf] = $2; next }
	$1 == "endpoint" { r[$2] = $4 } $1 == "static" { s[$2] = $4 } $1 == "zero" { z[$2] = $4 }
	function ok(c) { return c ? "yes" : "NO" }
	function have(k) { return (k in r) && r[k] != "FAIL" && r[k] > 0 }
	function line(what, val, want, c) {
		printf "  %-34s %-32s %-22s %s\n", what, val, want, ok(c)
	}
	function vs_zero(k, want) {
		if (have(k) && z[k] > 0)
			line(substr(k, 5), sprintf("%.2f of /zero", r[k] / z[k]),
				sprintf(">= %.1f of /zero", want), r[k] / z[k] >= want)
	}
	END {
		if (have(fbl) && z[fbl] > 0)
			line("feedback POST", sprintf("%.2f of /zero (%.0f / %.0f)", r[fbl] / z[fbl],
				r[fbl], z[fbl]), ">= 0.5 of /zero", r[fbl] / z[fbl] >= 0.5)
		if (have(art) && s[art] > 0)
			line("artifact download", sprintf("%.2f of /static", r[art] / s[art]), ">= 0.9 of /static",
				r[art] / s[art] >= 0.9)
		for (i = 2; i <= nf; i++)
			if (have(fleet[1]) && have(fleet[i]))
				line("poll, " substr(fleet[i], 11) " / 1,000", sprintf("%.2f (%.0f / %.0f req/s)",
					r[fleet[i]] / r[fleet[1]], r[fleet[i]], r[fleet[1]]), ">= 0.9 (within 10%)",
					r[fleet[i]] / r[fleet[1]] >= 0.9)
		vs_zero("DDI poll, nothing to do", 0.8)
		vs_zero("DDI poll, open action", 0.8)
		for (i = 1; i <= nf; i++)
			vs_zero(fleet[i], i == nf && nf > 1 ? 0.9 : 0.8)
	}' "$out/ddi-fleet.tsv" "$out/ddi-results.tsv"
}

# the poll at each fleet size side by side: the fixture's time and rate, the
# store's size, the poll's rate, p99, ratio to the 1,000-device rate and to
# the zero-work ceiling; then the store's size per million devices (the
# growth from the smallest to the largest fleet)
ddi_fleet_table() {
	[ -s "$out/ddi-fleet.tsv" ] || return 0
	echo
	echo "the poll by fleet size (each: 1,000 of the devices, spread across the table)"
	awk -F '\t' '
	FNR == NR { n[++nf] = $1; lab[nf] = $2; fs[nf] = $3; frate[nf] = $4; kib[nf] = $5; next }
	$1 == "endpoint" { r[$2] = $4; p[$2] = $5 } $1 == "zero" { z[$2] = $4 }
	function c(v,  s) { s = sprintf("%d", v); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
	END {
		printf "%12s %11s %12s %10s %10s %8s %8s %7s\n", "devices", "fixture s", "rows/s",
			"store MiB", "req/s", "p99 ms", "/1,000", "/zero"
		r1 = r[lab[1]] + 0
		for (i = 1; i <= nf; i++) {
			k = lab[i]; v = r[k] + 0
			printf "%12s %11s %12s %10.1f %10s %8s %8s %7s\n", c(n[i]), fs[i], c(frate[i]),
				kib[i] / 1024, (v > 0 ? r[k] : "FAIL"), (v > 0 ? p[k] : "-"),
				(r1 > 0 && v > 0 ? sprintf("%.2f", v / r1) : "-"),
				(z[k] > 0 && v > 0 ? sprintf("%.2f", v / z[k]) : "-")
		}
		if (nf > 1 && n[nf] > n[1])
			printf "store: %.1f MiB per million devices (%s to %s devices: %.1f to %.1f MiB)\n",
				(kib[nf] - kib[1]) / 1024 / (n[nf] - n[1]) * 1e6, c(n[1]), c(n[nf]),
				kib[1] / 1024, kib[nf] / 1024
	}' "$out/ddi-fleet.tsv" "$out/ddi-results.tsv"
}

# CPU time (user + system, from /proc/<pid>/stat) of lighttpd, ddi.fcgi and
# the zero-work program over one wrk run, per request: what a row costs the
# machine, which other processes' load changes far less than its req/s.
# The poll's and the feedback's cost beside the zero-work answer of the
# poll's bytes; "/ zero" is the zero-work row's total over the row's, the
# rate the row would have beside it on a machine it had to itself.
ddi_cpu() {
	echo
	echo "CPU per request (us, user + system from /proc/<pid>/stat in ticks of" \
		"1/$(getconf CLK_TCK) s; ${secs} s of wrk -c32 each)"
	printf '%-40s %9s %9s %9s %9s %9s %7s\n' "" requests lighttpd ddi.fcgi zero total "/ zero"
	: >"$out/ddi-cpu.tsv"
	ddi_cpu_one "zero-work (the poll's bytes)" "$base/_bench/zero/ddi-poll-none"
	ddi_cpu_one "DDI poll, nothing to do" "$base$dv/bench-idle" token bt-idle
	# the largest fleet, the fixture's devices still in the store
	cn=$(awk -F '\t' 'END { print $1 }' "$out/ddi-fleet.tsv" 2>/dev/null)
	[ -z "$cn" ] ||
		ddi_cpu_one "DDI poll, 1,000 of $(commas "$cn") devices" "$base$dv/bench-0000000" spread "$cn"
	ddi_cpu_one "DDI feedback POST (proceeding)" "$base$dv/bench-open/deploymentBase/$action/feedback" \
		token bt-open POST "$fb"
}

# clock ticks (utime + stime) of the given processes, summed
ddi_ticks() { # pid...
	for p in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# one line of ddi_cpu: wrk on url (through bench/ddi.lua with its
# arguments, if any), the three programs' ticks before and after
ddi_cpu_one() { # label url [ddi.lua arguments...]
	cl=$1 cu=$2
	shift 2
	cw=$out/wrk-ddi-cpu.txt
	cd_=$(pids_of ddi.fcgi) cz=$(pids_of bench-zero.fcgi)
	l0=$(ddi_ticks "$lpid") d0=$(ddi_ticks $cd_) z0=$(ddi_ticks $cz)
	if [ $# -gt 0 ]; then
		wrk -t2 -c32 -d"${secs}s" --timeout 10s -s "$lua" "$cu" -- "$@" >"$cw" 2>&1
	else
		wrk -t2 -c32 -d"${secs}s" --timeout 10s "$cu" >"$cw" 2>&1
	fi
	l1=$(ddi_ticks "$lpid") d1=$(ddi_ticks $cd_) z1=$(ddi_ticks $cz)
	alive "wrk on $cu"
	set -- $(wrk_stats "$cw")
	[ "$3" = 0 ] || bench_fail "CPU row $cl: $3 errors or non-2xx answers (build/bench/wrk-ddi-cpu.txt)"
	awk -v lab="$cl" -v n="$4" -v l=$((l1 - l0)) -v d=$((d1 - d0)) -v z=$((z1 - z0)) \
		-v hz="$(getconf CLK_TCK)" -v tsv="$out/ddi-cpu.tsv" 'BEGIN {
		if (n <= 0) { printf "%-40s no requests\n", lab; exit }
		f = 1e6 / hz / n; t = (l + d + z) * f
		if (zt == "") { getline zt < tsv; close(tsv) }
		r = (zt > 0 && t > 0) ? sprintf("%.2f", zt / t) : "-"
		printf "%-40s %9d %9.1f %9.1f %9.1f %9.1f %7s\n", lab, n, l * f, d * f, z * f, t, r
		if (zt == "") print t > tsv
	}'
}

ddi_run() {
	if [ "$ddi_on" = 0 ]; then
		echo
		echo "hawkBit DDI: skipped (BENCH_DDI=0)"
		return 0
	fi
	ddi_bench
	bench_note_children
}

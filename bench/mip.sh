# bench/mip.sh - the mip index suite of `make bench` (BENCH_MIP=0 skips it;
# sourced by bench/bench.sh after bench/lib.sh).
#
# Against the same lighttpd: a hosted package's JSON, one of its files and
# a proxied package JSON, all cached, next to the two ceilings (bench_one);
# then the latency a cold proxied request adds: for $BENCH_MIP_COLD (default
# 30) package names a python3 http.server on loopback serves in the official
# index layout, curl times the package JSON and its file from that upstream
# directly and through nestbox (first request, one new connection each),
# next to the 5 ms target.  Then /mip/index.json and the hosted and proxied
# package JSON again before and after $BENCH_MIP_PACKAGES (default 10,000;
# 0 skips) more hosted and as many proxied packages, which
# bench/scale_fixture.py writes into the store, and the ratio of the rates.

mip_settings() {
	mip_on=${BENCH_MIP:-1}
	mip_n=${BENCH_MIP_COLD:-30}
	mip_scale_n=${BENCH_MIP_PACKAGES:-10000}
	case $mip_scale_n in '' | *[!0-9]*) die "BENCH_MIP_PACKAGES must be a number, not '$mip_scale_n'" ;; esac
	[ "$mip_scale_n" -le 99999 ] || die "BENCH_MIP_PACKAGES must be 0 to 99999, not '$mip_scale_n'"
	case $mip_on in 0 | 1) ;; *) die "BENCH_MIP must be 0 or 1, not '$mip_on'" ;; esac
	case $mip_n in '' | *[!0-9]* | 0) die "BENCH_MIP_COLD must be a positive number, not '$mip_n'" ;; esac
	mpy_cross=$root/tests/e2e/tools/stand-in-mpy-cross
	[ "$mip_on" = 0 ] || tools="$tools python3 sha256sum cmp"
	[ "$mip_on" = 0 ] || [ -x "$mpy_cross" ] || die "$mpy_cross (the stand-in mpy-cross) is missing"
}

# the loopback upstream (python3 -m http.server); also run on exit
upid=
mip_stop_upstream() {
	[ -n "$upid" ] || return 0
	kill -TERM "$upid" 2>/dev/null || true
	i=0
	while kill -0 "$upid" 2>/dev/null && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$upid" 2>/dev/null && kill -KILL "$upid" 2>/dev/null || true
	wait "$upid" 2>/dev/null || true
	upid=
}

# -- a hosted package and a loopback upstream, before lighttpd starts:
# mip-index.fcgi reads the mip.* settings once.
up=$out/mip-upstream
pkg=$out/mip-benchpkg
upurl=
mip_prepare() {
	# the upstream, in the official layout (micropython.org/pi/v2): per name a
	# package JSON and one 4 KiB .mpy; "proxpkg" is the cached proxied row,
	# warm1/warm2 the uncounted first cold requests, cold01.. the measured ones
	mkdir -p "$up"
	: >"$out/mip-names.txt"
	names="proxpkg warm1 warm2"
	i=1
	while [ $i -le "$mip_n" ]; do
		names="$names $(printf 'cold%02d' $i)"
		i=$((i + 1))
	done
	for name in $names; do
		f=$out/mip-file.tmp
		{ printf 'M\006\000\037'; head -c 4092 /dev/urandom; } >"$f"
		h=$(sha256sum "$f" | cut -c 1-64)
		hh=${h%"${h#??}"}
		p8=${h%"${h#????????}"}
		mkdir -p "$up/file/$hh" "$up/package/6/$name"
		mv "$f" "$up/file/$hh/$p8"
		printf '{"v":1,"hashes":[["%s.mpy","%s"]],"version":"1.0"}' "$name" "$p8" \
			>"$up/package/6/$name/latest.json"
		echo "$name $hh $p8" >>"$out/mip-names.txt"
	done
	python3 -u -m http.server 0 --bind "$host" --directory "$up" \
		>"$out/mip-upstream.out" 2>>"$out/mip-upstream.log" </dev/null &
	upid=$!
	uport=
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$upid" 2>/dev/null; then
			sed 's/^/  | /' "$out/mip-upstream.log" >&2
			upid=
			die "the upstream (python3 -m http.server) exited during start-up"
		fi
		uport=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\) .*/\1/p' "$out/mip-upstream.out")
		[ -z "$uport" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$uport" ] || die "the upstream (python3 -m http.server) named no port within 10 s"
	upurl=http://$host:$uport
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$upurl/package/6/proxpkg/latest.json") || true
	[ "$code" = 200 ] || die "the upstream on $upurl answered HTTP $code for /package/6/proxpkg/latest.json"
	: >"$out/mip-upstream.log"	# (appended to) from here on: only what the bench asks
	export NESTBOX_MIP__UPSTREAM="$upurl" NESTBOX_MIP__CACHE_TTL=86400 \
		NESTBOX_MIP__MPY_CROSS="$mpy_cross"

	# the hosted package: two sources, compiled for the 6 flavour by the stand-in
	mkdir -p "$pkg/benchpkg"
	{
		echo '"""benchpkg: a small hosted package for make bench."""'
		echo 'from .util import scale'
		echo 'VERSION = "1.0"'
		i=0
		while [ $i -lt 24 ]; do
			echo "def f$i(x):"
			echo "    return scale(x) + $i"
			i=$((i + 1))
		done
	} >"$pkg/benchpkg/__init__.py"
	{
		echo '"""benchpkg.util"""'
		echo 'FACTOR = 3'
		echo 'def scale(x):'
		echo '    return x * FACTOR'
		i=0
		while [ $i -lt 12 ]; do
			echo "TABLE_$i = [$i, $((i * i)), $((i * i * i))]"
			i=$((i + 1))
		done
	} >"$pkg/benchpkg/util.py"
	"$ctl" mip publish "$pkg" --name benchpkg --version 1.0 >>"$out/init.log" 2>&1 ||
		{ cat "$out/init.log" >&2; die "nestboxctl mip publish failed"; }
	echo "mip:      upstream python3 -m http.server on $upurl (pid $upid), $((mip_n + 3))" \
		"packages of one 4 KiB file; benchpkg 1.0 published from 2 sources" \
		"($(cat "$pkg/benchpkg/__init__.py" "$pkg/benchpkg/util.py" | wc -c) bytes), 6 flavour compiled by the stand-in mpy-cross"
}

mip_pids() {
	pids_of mip-index.fcgi
}

# the hosted package: its JSON and files -> "$out/mip-hosted.txt" ("dest prefix")
mip_check_hosted() {
	j=$out/mip-hosted.json
	set -- $(fetch "$base/mip/package/6/benchpkg/latest.json" "$j" </dev/null)
	if [ "$1" != 200 ]; then
		bench_fail "/mip/package/6/benchpkg/latest.json answered HTTP $1 ($2 bytes): $(head -c 300 "$j")"
		return 1
	fi
	if ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = d.get("hashes") or []
if d.get("version") != "1.0" or len(h) != 2:
    sys.exit("version %r and %d hashes (want 1.0 and 2)" % (d.get("version"), len(h)))
for p, x in h:
    print(p, x)
' "$j" >"$out/mip-hosted.txt" 2>"$out/mip-hosted.err"; then
		bench_fail "/mip/package/6/benchpkg/latest.json: $(cat "$out/mip-hosted.err"): $(head -c 300 "$j")"
		return 1
	fi
	bad=
	while read -r dest x; do
		xh=${x%"${x#??}"}
		b=$out/mip-hosted-file
		set -- $(fetch "$base/mip/file/$xh/$x" "$b" </dev/null)
		src=$pkg/${dest%.mpy}.py
		case $dest in
		benchpkg/__init__.mpy | benchpkg/util.mpy) ;;
		*) bad="$bad $dest is not one of the two compiled sources;"; continue ;;
		esac
		if [ "$1" != 200 ]; then
			bad="$bad /mip/file/$xh/$x ($dest) answered HTTP $1: $(head -c 200 "$b");"
			continue
		fi
		case $(sha256sum "$b" | cut -c 1-64) in
		"$x"*) ;;
		*) bad="$bad /mip/file/$xh/$x ($dest): sha256 does not start with $x;" ;;
		esac
		[ "$(head -c 4 "$b" | od -An -tx1 | tr -d ' \n')" = 4d06001f ] ||
			bad="$bad /mip/file/$xh/$x ($dest): no mpy v6 header;"
		tail -c "$(wc -c <"$src")" "$b" | cmp -s - "$src" ||
			bad="$bad /mip/file/$xh/$x ($dest): not the stand-in's output for its source;"
		[ -L "$state/mip-static/mip/file/$xh/$x" ] ||
			bad="$bad no mip-static link for $x (lighttpd cannot send it itself);"
	done <"$out/mip-hosted.txt"
	rm -f "$out/mip-hosted-file"
	if [ -n "$bad" ]; then
		bench_fail "benchpkg:$bad"
		return 1
	fi
	echo "sanity:   ok   benchpkg: JSON with 2 hashes ($(awk '{ printf "%s%s", s, $1; s = ", " }' "$out/mip-hosted.txt"))," \
		"each file 200 with its sha256 prefix, an mpy v6 header and its source; mip-static links present"
}

mip_bench() {
	echo
	echo "== mip index"
	t_mip=$(date +%s.%N)
	pids0=$(mip_pids)
	[ -n "$pids0" ] || bench_fail "no mip-index.fcgi process under lighttpd"
	saved_results=$results
	results=$out/mip-results.tsv
	: >"$results"
	mip_cached
	results=$saved_results
	mip_cold
	mip_upstream_seen

	mip_report
	mip_cold_report
	mip_scale
	bench_pids_end mip-index.fcgi "$pids0"
	echo "mip section: $(since "$t_mip") s"
}

# the cached rows: hosted JSON, a hosted file, a proxied JSON fetched once
mip_cached() {
	if mip_check_hosted; then
		read -r fdest fx <"$out/mip-hosted.txt"
		fxh=${fx%"${fx#??}"}
		bench_one /mip/package/6/benchpkg/latest.json mip-hosted-json \
			/mip/package/6/benchpkg/latest.json 32
		bench_one "/mip/file/$fxh/$fx" mip-hosted-file "/mip/file/$fxh/$fx" 32
	fi
	pj=$out/mip-proxpkg
	set -- $(fetch "$upurl/package/6/proxpkg/latest.json" "$pj.up" </dev/null)
	uc=$1
	set -- $(fetch "$base/mip/package/6/proxpkg/latest.json" "$pj.nb" </dev/null)
	if [ "$uc" != 200 ] || [ "$1" != 200 ] || ! cmp -s "$pj.up" "$pj.nb"; then
		bench_fail "/mip/package/6/proxpkg/latest.json, first request: HTTP $1 ($2 bytes)," \
			"upstream HTTP $uc; $(cmp "$pj.up" "$pj.nb" 2>&1 | head -n 1): $(head -c 300 "$pj.nb")"
	else
		echo "sanity:   ok   /mip/package/6/proxpkg/latest.json: first request (cold) 200, upstream's bytes"
		bench_one /mip/package/6/proxpkg/latest.json mip-proxied-json \
			/mip/package/6/proxpkg/latest.json 32
	fi
	rm -f "$pj.up" "$pj.nb"
}

# cold proxied requests: per name the package JSON, then its file, each from
# the upstream directly and through nestbox (first request; which of the two
# goes first alternates by name), then through nestbox again (now cached);
# warm1 and warm2 go first and are not counted
mip_cold() {
	: >"$out/mip-cold.txt"
	nbad=0
	seq=0
	b=$out/mip-cold
	while read -r name hh p8; do
		[ "$name" != proxpkg ] || continue
		seq=$((seq + 1))	# the upstream first for odd names, nestbox for even ones
		for kind in package file; do
			case $kind in
			package) path=/package/6/$name/latest.json ;;
			file) path=/file/$hh/$p8 ;;
			esac
			if [ $((seq % 2)) = 1 ]; then
				set -- $(fetch "$upurl$path" "$b.up" </dev/null)
				dc=$1 dt=$3
			fi
			set -- $(fetch "$base/mip$path" "$b.nb" </dev/null)
			nc=$1 nb=$2 nt=$3
			if [ $((seq % 2)) = 0 ]; then
				set -- $(fetch "$upurl$path" "$b.up" </dev/null)
				dc=$1 dt=$3
			fi
			set -- $(fetch "$base/mip$path" "$b.again" </dev/null)
			ac=$1 at=$3
			if [ "$dc" != 200 ] || [ "$nc" != 200 ] || [ "$ac" != 200 ] ||
				! cmp -s "$b.up" "$b.nb" || ! cmp -s "$b.up" "$b.again"; then
				nbad=$((nbad + 1))
				[ "$nbad" -gt 5 ] || bench_fail "cold /mip$path: upstream direct HTTP $dc, through nestbox" \
					"HTTP $nc ($nb bytes$(cmp -s "$b.up" "$b.nb" || echo ', not the upstream bytes'))," \
					"again HTTP $ac$(cmp -s "$b.up" "$b.again" || echo ', not the upstream bytes'):" \
					"$(head -c 200 "$b.nb")"
				continue
			fi
			case $name in warm*) continue ;; esac
			echo "$kind $name $dt $nt $at" >>"$out/mip-cold.txt"
		done
	done <"$out/mip-names.txt"
	rm -f "$b.up" "$b.nb" "$b.again"
	alive "the cold mip requests"
	[ "$nbad" -le 5 ] || bench_fail "$nbad cold requests in all went wrong (the first 5 above)"
}

# what the upstream saw: once per path from nestbox, once from curl directly
mip_upstream_seen() {
	awk '{ for (i = 1; i < NF; i++) if ($i == "\"GET") { print $(i + 1); break } }' \
		"$out/mip-upstream.log" | sort | uniq -c >"$out/mip-upstream-counts.txt"
	nup=$(awk '{ n += $1 } END { print n + 0 }' "$out/mip-upstream-counts.txt")
	over=$(awk '$1 > 2 { printf " %s (%d times)", $2, $1 }' "$out/mip-upstream-counts.txt")
	non200=$(grep -c '" [^2][0-9][0-9] ' "$out/mip-upstream.log" || true)
	if [ -n "$over" ]; then
		bench_fail "nestbox asked the upstream more than once for:$over (cache_ttl 86400)"
	else
		echo "sanity:   ok   upstream log: $nup requests, none for a path more than twice (curl directly," \
			"nestbox once: the wrk runs and second requests were served from the cache); $non200 non-2xx"
	fi
}

# the table of the cached rows and what they mean
mip_report() {
	echo
	if [ -s "$out/mip-results.tsv" ]; then
		report_table "$out/mip-results.tsv"
		echo
	fi
	echo "benchpkg: hosted (nestboxctl mip publish, 2 .py files), 6 flavour compiled by the stand-in"
	echo "mpy-cross (tests/e2e/tools, NESTBOX_MIP__MPY_CROSS): its JSON and its file (${fdest:-?})"
	echo "are sent by lighttpd itself from mip-static (no FastCGI);"
	echo "proxpkg: proxied from the loopback upstream, fetched once, then cached (cache_ttl 86400 s)"
	echo "and sent by lighttpd itself from its fresh copy;"
	echo "same wrk runs, columns and ceilings as the table above"
}

# the cold requests: direct, through nestbox, the difference, and again
mip_cold_report() {
	echo
	ncold=$(awk '$1 == "package"' "$out/mip-cold.txt" | wc -l)
	echo "cold proxied requests: $ncold package names, upstream python3 -m http.server on $upurl;"
	echo "curl time_total, one new connection per request, ms; added = nestbox cold - upstream direct,"
	echo "per name (which goes first alternates by name); again = the same request through nestbox"
	echo "right after (cached); warm1, warm2 fetched first and not counted"
	printf '%-30s %4s %8s %8s %9s %9s %9s %9s %7s %9s\n' "request" "n" "up p50" "up p90" \
		"cold p50" "cold p90" "added p50" "added p90" "<=5 ms" "again p50"
	for kind in package file; do
		case $kind in
		package) lab="package/6/coldNN/latest.json" ;;
		file) lab="file/<hh>/<8 digits> (4 KiB)" ;;
		esac
		k=$kind
		n=$(awk -v k="$k" '$1 == k' "$out/mip-cold.txt" | wc -l)
		set -- $(awk -v k="$k" '$1 == k { print $3 * 1000 }' "$out/mip-cold.txt" | med_pct 90)
		u50=$1 u90=$2
		set -- $(awk -v k="$k" '$1 == k { print $4 * 1000 }' "$out/mip-cold.txt" | med_pct 90)
		c50=$1 c90=$2
		set -- $(awk -v k="$k" '$1 == k { print ($4 - $3) * 1000 }' "$out/mip-cold.txt" | med_pct 90)
		a50=$1 a90=$2
		set -- $(awk -v k="$k" '$1 == k { print $5 * 1000 }' "$out/mip-cold.txt" | med_pct 90)
		g50=$1
		ok=$(awk -v a="$a50" -v b="$a90" 'BEGIN {
			if (a == "-") { print "-"; exit }
			printf "%s/%s\n", a <= 5 ? "yes" : "NO", b <= 5 ? "yes" : "NO" }')
		printf '%-30s %4s %8s %8s %9s %9s %9s %9s %7s %9s\n' "$lab" "$n" "$u50" "$u90" \
			"$c50" "$c90" "$a50" "$a90" "$ok" "$g50"
	done
	echo "<=5 ms: added p50/p90 against the 5 ms target (reported, not asserted); raw (kind name"
	echo "direct nestbox again, s): build/bench/mip-cold.txt; upstream log: build/bench/mip-upstream.log"
}

# the index and a package lookup with the hosted packages there now, and
# with $mip_scale_n more hosted and proxied ones
mip_scale() {
	[ "$mip_scale_n" != 0 ] || { echo; echo "mip with more packages: skipped (BENCH_MIP_PACKAGES=0)"; return 0; }
	echo
	echo "== mip by catalogue size"
	saved_results=$results
	for step in 0 1; do
		results=$out/mip-scale-$step.tsv
		: >"$results"
		bench_check=mip_scale_check
		mip_want=$(sqlite3_count "SELECT count(DISTINCT name) FROM mip_hosted")
		lab="$(commas "$mip_want") packages"
		# -c4 as for the full tar: the large index is a megabyte (a file the
		# front end sends on SQLite, rewritten at each publish)
		bench_one "/mip/index.json, $lab" "mip-index-$step" /mip/index.json 4
		[ -z "$bench_took" ] || echo "$bench_took" >"$out/mip-index-took-$step"
		bench_one "hosted package JSON, $lab" "mip-hosted-json-$step" \
			/mip/package/6/benchpkg/latest.json 32
		bench_one "proxied package JSON, $lab" "mip-proxied-json-$step" \
			/mip/package/6/proxpkg/latest.json 32
		bench_check=:
		[ "$step" = 1 ] && break
		python3 "$root/bench/scale_fixture.py" mip "$state/nestbox.db" "$mip_scale_n" \
			>"$out/scale-fixture.out" 2>&1 ||
			{ bench_fail "bench/scale_fixture.py mip: $(tail -n 3 "$out/scale-fixture.out")"; break; }
		echo "fixture:  $(cat "$out/scale-fixture.out")"
		# the fixture writes rows, not the index file a publish keeps: one
		# more publish rewrites it with every row, as an operator's would
		"$ctl" mip publish "$pkg" --name benchpkg --version 1.1 >>"$out/init.log" 2>&1 ||
			{ bench_fail "nestboxctl mip publish after the fixture: $(tail -n 3 "$out/init.log")"; break; }
	done
	results=$saved_results
	echo
	cat "$out"/mip-scale-*.tsv >"$out/mip-scale.tsv"
	report_table "$out/mip-scale.tsv"
	for k in /mip/index.json "hosted package JSON" "proxied package JSON"; do
		awk -F '\t' -v k="$k" 'index($2, k ", ") == 1' "$out/mip-scale.tsv" >"$out/mip-scale-one.tsv"
		report_growth "$out/mip-scale-one.tsv"
	done
	echo "(the index lists every hosted package: its bytes grow with the catalogue; it is"
	echo "measured with -c4, the package JSON with -c32; first fetch of the index:" \
		"$(cat "$out/mip-index-took-0" 2>/dev/null || echo -) s, then" \
		"$(cat "$out/mip-index-took-1" 2>/dev/null || echo -) s)"
}

# one number from the store (python3's sqlite3: no sqlite3 CLI needed)
sqlite3_count() { # SQL
	python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$state/nestbox.db" "$1"
}

# bench_one's check of the index at a size: every hosted package listed
mip_scale_check() { # name body
	case $1 in
	mip-index-*)
		have=$(python3 -c 'import json, sys
print(len(json.load(open(sys.argv[1]))["packages"]))' "$2" 2>&1)
		[ "$have" = "$mip_want" ] || bad="$bad $have packages listed, want $mip_want;" ;;
	esac
}

mip_run() {
	if [ "$mip_on" = 0 ]; then
		echo
		echo "mip index: skipped (BENCH_MIP=0)"
		return 0
	fi
	mip_bench
	mip_stop_upstream
	bench_note_children
}

# bench/mkbox.sh - the mkbox suite of `make bench` (always run; sourced by
# bench/bench.sh after bench/lib.sh).
#
# mkbox_prepare imports a 64 MiB random image (benchbox/benchbox-x86-master-1)
# and three small ones; mkbox_run measures /list, the update check of an
# unchanged build (the 10240-byte empty tar), the full update tar (-c4) and
# /log/echo next to the two ceilings, prints the first table, then the peak
# RSS of every FastCGI process lighttpd spawned so far; mkbox_scale (called
# by bench.sh after the container suite) measures /list again
# before and after $BENCH_MKBOX_IMAGES (default 10,000; 0 skips) more images
# that bench/scale_fixture.py writes into the image directory, and the
# ratio of the two rates.

mkbox_settings() {
	mkbox_scale_n=${BENCH_MKBOX_IMAGES:-10000}
	case $mkbox_scale_n in '' | *[!0-9]*) die "BENCH_MKBOX_IMAGES must be a number, not '$mkbox_scale_n'" ;; esac
	[ "$mkbox_scale_n" -le 100000 ] || die "BENCH_MKBOX_IMAGES must be 0 to 100000, not '$mkbox_scale_n'"
	[ "$mkbox_scale_n" = 0 ] || tools="$tools python3 zstd"
}

mkbox_build=
mkbox_prepare() {
	t0=$(date +%s.%N)
	head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$out/benchbox.img"
	"$ctl" image import "$out/benchbox.img" --box benchbox --board x86 --branch master \
		--version 1 >>"$out/init.log" 2>&1 ||
		{ cat "$out/init.log" >&2; die "importing the ${big_mib} MiB image failed"; }
	t1=$(date +%s.%N)
	rm -f "$out/benchbox.img"
	for spec in "benchbox arm master 1" "smallbox x86 master 3" "smallbox x86 main 2"; do
		set -- $spec
		head -c 65536 /dev/urandom >"$out/small.img"
		"$ctl" image import "$out/small.img" --box "$1" --board "$2" --branch "$3" \
			--version "$4" >>"$out/init.log" 2>&1 ||
			{ cat "$out/init.log" >&2; die "importing a small image ($spec) failed"; }
	done
	rm -f "$out/small.img"
	mkbox_build=$("$ctl" image list benchbox-x86-master-1 |
		awk -F '\t' '$1 == "benchbox/benchbox-x86-master-1" { print $2 }')
	[ -n "$mkbox_build" ] && [ "$mkbox_build" != "(no buildID)" ] ||
		die "no buildID for benchbox/benchbox-x86-master-1 in 'nestboxctl image list'"
	echo "images:   $("$ctl" image list | wc -l) imported; ${big_mib} MiB random image made and imported in" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, buildID $mkbox_build"
}

# bench_one's check of the mkbox bodies (see bench_check in bench/lib.sh)
mkbox_check() { # name body
	case $1 in
	*update-none | *update-query)
		head -c 10240 /dev/zero | cmp -s - "$2" ||
			bad="$bad not the 10240-byte empty tar;" ;;
	*update-full)
		tar -tf "$2" 2>/dev/null | grep -qx 'benchbox-x86-master-1\.img\.zst' ||
			bad="$bad no benchbox-x86-master-1.img.zst in the tar;" ;;
	esac
}

mkbox_run() {
	note=
	bench_check=mkbox_check
	bench_one /list list /list 32
	bench_one "/update/B/I/<buildID> (no update)" update-none \
		"/update/benchbox/benchbox-x86-master-1/$mkbox_build" 32
	bench_one "/update?name&board&version&build_id (no update)" update-query \
		"/update?name=benchbox&board=x86&version=1&build_id=$mkbox_build" 32
	bench_one "/update/B/I (full tar)" update-full \
		/update/benchbox/benchbox-x86-master-1 4
	# the tar is built on the first request: that one's time is worth a line
	[ -z "$bench_took" ] ||
		note="first fetch of the full tar (built on demand): $(awk -v t="$bench_took" 'BEGIN { printf "%.2f", t }') s"
	bench_one /log/echo log-echo /log/echo 32
	bench_check=:

	echo
	[ -z "$note" ] || echo "$note"
	report_table "$results"
	echo
	echo "B/I = benchbox/benchbox-x86-master-1; /static, /zero = endpoint req/s over that ceiling's;"
	echo "MB/s = 10^6 body bytes per second; errors = non-2xx answers + socket errors + timeouts;"
	echo "wrk -t2 -c32 (full tar: -c4) --timeout 10s; raw output in build/bench/wrk-*.txt"
	mkbox_rss
}

# /list at the catalogue's size now and with $mkbox_scale_n more images
mkbox_scale() {
	[ "$mkbox_scale_n" != 0 ] || { echo; echo "/list with more images: skipped (BENCH_MKBOX_IMAGES=0)"; return 0; }
	echo
	echo "== /list by catalogue size"
	saved_results=$results
	results=$out/mkbox-scale.tsv
	: >"$results"
	bench_check=mkbox_list_check
	n0=$("$ctl" image list | wc -l)
	mkbox_want=$n0
	bench_one "/list, $(commas "$n0") images" list-n0 /list 32
	printf 'x' | zstd -q -c >"$out/scale.img.zst"
	python3 "$root/bench/scale_fixture.py" images "$state/images" "$mkbox_scale_n" "$out/scale.img.zst" \
		>"$out/scale-fixture.out" 2>&1 ||
		bench_fail "bench/scale_fixture.py images: $(tail -n 3 "$out/scale-fixture.out")"
	echo "fixture:  $(cat "$out/scale-fixture.out")"
	mkbox_want=$((n0 + mkbox_scale_n))
	mkbox_wait_static_list "$mkbox_want"
	bench_one "/list, $(commas "$mkbox_want") images" list-n1 /list 32
	bench_check=:
	results=$saved_results
	echo
	report_table "$out/mkbox-scale.tsv"
	report_growth "$out/mkbox-scale.tsv"
	echo "(/list is the whole catalogue, a line per image: its bytes grow with it)"
}

# Waits (bounded: 120 s) until the front end sends /list itself with want
# lines, and says how long that took.  Until the watcher has reread the
# image directory after the fixture's writes, list.fcgi answers /list: a
# row measured then is the program's, not the static file's.
mkbox_wait_static_list() { # want
	t0=$(date +%s.%N)
	i=0
	while [ $i -lt 600 ]; do
		if curl -s -D "$out/list.head" -o "$out/list.body" --max-time 5 "$base/list" &&
			grep -qi '^x-nestbox-route: static' "$out/list.head" &&
			[ "$(wc -l <"$out/list.body")" = "$1" ]; then
			echo "static:   /list with $(commas "$1") lines sent by the front end after" \
				"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	bench_fail "/list: not sent by the front end with $1 lines within 120 s (the watcher?)"
}

# Waits (bounded: 60 s) until the front end sends path itself (its route
# "static ...").
mkbox_wait_static() { # path
	i=0
	while [ $i -lt 300 ]; do
		curl -s -D "$out/static.head" -o /dev/null --max-time 5 "$base$1" &&
			grep -qi '^x-nestbox-route: static' "$out/static.head" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	bench_fail "$1: not sent by the front end within 60 s (the watcher?)"
}

# bench_one's check of /list at a size: one line per image
mkbox_list_check() { # name body
	have=$(wc -l <"$2")
	[ "$have" = "$mkbox_want" ] || bad="$bad $have lines, want $mkbox_want;"
}

# the peak RSS (VmHWM) of every FastCGI process under lighttpd, and of lighttpd
mkbox_rss() {
	echo
	echo "peak RSS (VmHWM) of the FastCGI processes lighttpd spawned:"
	kids=
	children >"$out/children.txt"
	while read -r p n rest; do
		kids="$kids $p"
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		[ -n "$hwm" ] || continue
		printf '  %-16s pid %-7s %8.1f MiB  %s\n' "$n" "$p" \
			"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$rest"
	done <"$out/children.txt"
	[ -s "$out/children.txt" ] || echo "  (none found: lighttpd has no child processes)"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$lpid/status" 2>/dev/null || echo 0)
	printf '  %-16s pid %-7s %8.1f MiB  (the front end, for reference)\n' lighttpd "$lpid" \
		"$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')"
	for n in list.fcgi update.fcgi log.fcgi bench-zero.fcgi; do
		grep -q "^[0-9]* $n\( \|\$\)" "$out/children.txt" || echo "  $n: no process found" >&2
	done
}

# bench/lib.sh - the helper every suite of `make bench` shares, sourced by
# bench/bench.sh before the suites (bench/mkbox.sh, mip.sh, ddi.sh, admin.sh).
#
# It owns: the common settings (BENCH_PORT, BENCH_SECONDS, NESTBOX_BINDIR,
# NESTBOX_CGIBIN), one fresh state directory under build/bench/, the one
# lighttpd on 127.0.0.1:$BENCH_PORT every suite measures with, the two
# ceilings served by it for the same bytes as an endpoint:
#   static  lighttpd sending the body as a plain file (mod_alias + staticfile)
#   zero    a FastCGI program (bench/bench-zero.c) answering it from memory
# the wrk runs (bench_one) and the table of rates and ratios (report_table).
# Suites keep their own state in their own prefixed variables and functions;
# what they share is here: $root $out $state $host $port $base $secs $ctl
# $cgibin, $results (the rows bench_one appends to) and $failed (a sanity
# check failed: the run ends with an error once everything is reported).
# The caller sets $root (the source tree) before sourcing this file.

out=$root/build/bench
state=$out/state
host=127.0.0.1
big_mib=64

die() {
	echo "bench: $*" >&2
	exit 1
}

# The common settings; each suite's <suite>_settings adds its own switches
# and the tools it needs to $tools.
bench_settings() {
	port=${BENCH_PORT:-8089}
	secs=${BENCH_SECONDS:-5}
	base=http://$host:$port
	bindir=${NESTBOX_BINDIR:-$root/bin}
	cgibin=${NESTBOX_CGIBIN:-$root/cgi-bin}
	case $port in '' | *[!0-9]*) die "BENCH_PORT must be a number, not '$port'" ;; esac
	bindir=$(cd "$bindir" 2>/dev/null && pwd) || die "NESTBOX_BINDIR: no directory ${NESTBOX_BINDIR:-$root/bin} (run 'make all')"
	cgibin=$(cd "$cgibin" 2>/dev/null && pwd) || die "NESTBOX_CGIBIN: no directory ${NESTBOX_CGIBIN:-$root/cgi-bin} (run 'make all')"
	ctl=$bindir/nestboxctl
	case $secs in '' | *[!0-9]* | 0) die "BENCH_SECONDS must be a positive number, not '$secs'" ;; esac
	tools="lighttpd wrk curl awk ps"
}

# every tool in $tools and every program is there (after the suites' settings)
bench_need() {
	for t in $tools; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found (run 'make deps')"
	done
	for f in "$ctl" "$cgibin/list.fcgi" "$cgibin/update.fcgi" \
		"$cgibin/log.fcgi" "$cgibin/bench-zero.fcgi" "$cgibin/admin.fcgi" \
		"$cgibin/mip-index.fcgi" "$cgibin/ddi.fcgi"; do
		[ -x "$f" ] || die "$f is not built (run 'make bench')"
	done
}

# -- lighttpd lifetime --------------------------------------------------------
lpid=
kids=
stop_server() {
	[ -n "$lpid" ] || return 0
	[ -n "$kids" ] || kids=$(children | awk '{ print $1 }')
	if kill -0 "$lpid" 2>/dev/null; then
		kill -TERM "$lpid" 2>/dev/null || true
		i=0
		while kill -0 "$lpid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$lpid" 2>/dev/null; then
			echo "bench: lighttpd ($lpid) ignored SIGTERM for 5 s, killing it" >&2
			kill -KILL "$lpid" 2>/dev/null || true
		fi
	fi
	wait "$lpid" 2>/dev/null || true
	lpid=
	# the FastCGI programs lighttpd spawned should be gone with it; the
	# access-log writer first writes the lines it was given (a backlog of a
	# load the store could not keep up with: a minute and more on
	# PostgreSQL), so it gets 120 s before it is killed
	for k in $kids; do
		i=0
		n=20
		case $(readlink "/proc/$k/exe" 2>/dev/null) in
		*/nestbox-accesslog) n=1200 ;;
		esac
		while kill -0 "$k" 2>/dev/null && [ $i -lt $n ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$k" 2>/dev/null; then
			echo "bench: FastCGI process $k outlived lighttpd, killing it" >&2
			kill -KILL "$k" 2>/dev/null || true
		fi
	done
	kids=
}

# lists lighttpd's children (the spawned FastCGI programs) as "pid name"
children() {
	ps -o pid= --ppid "$lpid" 2>/dev/null | while read -r p; do
		n=$(readlink "/proc/$p/exe" 2>/dev/null || cat "/proc/$p/comm" 2>/dev/null || echo '?')
		n=${n##*/}
		case $n in
		*" (deleted)") echo "$p ${n%" (deleted)"} (its file was replaced on disk during the run)" ;;
		*) echo "$p $n" ;;
		esac
	done
}

# after a suite: a program may have been restarted, so stop_server waits for
# what runs now
bench_note_children() {
	children >"$out/children.txt"
	kids=$(awk '{ print $1 }' "$out/children.txt")
}

# the machine, the front end and the load generator, once at the top
bench_header() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	echo "== nestbox bench"
	echo "machine:  nproc $(nproc), ${cpu:-unknown cpu}, $(uname -sr)"
	echo "lighttpd: $(lighttpd -v 2>&1 | head -n 1)"
	echo "wrk:      $(wrk -v 2>&1 | head -n 1)"
	echo "run:      $base, ${secs}s per URL after a 1s warm-up; wrk and lighttpd share the machine"
}

# a fresh build/bench/ and state directory, initialized by nestboxctl, and
# an environment that points the programs at it alone
bench_state_init() {
	if curl -s -o /dev/null --max-time 2 "$base/" 2>/dev/null; then
		die "something already answers on $base (set BENCH_PORT)"
	fi
	rm -rf "$out"
	mkdir -p "$out" "$state/run" "$state/bench-static" "$state/bench-zero"

	# only this file and this state: nothing inherited may redirect them
	for v in $(env | sed -n 's/^\(NESTBOX_[A-Za-z0-9_]*__[A-Za-z0-9_]*\)=.*/\1/p'); do
		unset "$v"
	done
	unset IMAGE_PATH || true
	export NESTBOX_CONFIG="$root/etc/nestbox.yaml"
	export NESTBOX_SERVER__VAR_DIR="$state"

	"$ctl" init >"$out/init.log" 2>&1 || { cat "$out/init.log" >&2; die "nestboxctl init failed"; }
	results=$out/results.tsv
	: >"$results"
	failed=0
}

# starts lighttpd with nestbox and the two ceilings; returns once /healthz
# answers 200 (within 10 s) or dies with lighttpd's log.  The programs read
# their settings when lighttpd spawns them: suites set theirs (NESTBOX_*
# variables) in <suite>_prepare, before this.
start_server() {
	extra=$out/bench-lighttpd.conf
	cat >"$extra" <<EOF
# generated by bench/lib.sh: the two ceilings, for the benchmark only
server.modules += ( "mod_alias" )
alias.url += ( "/_bench/static/" => "$state/bench-static/" )
fastcgi.server += (
	"/_bench/zero/" => ((
		"bin-path" => var.nestbox_cgibin + "/bench-zero.fcgi",
		"socket" => var.nestbox_state + "/run/bench-zero.sock",
		"max-procs" => 2,
		"check-local" => "disable",
		"bin-environment" => ( "NESTBOX_BENCH_ZERO_DIR" => "$state/bench-zero" ),
	)),
)
EOF
	export NESTBOX_ROOT="$root" NESTBOX_CGIBIN="$cgibin" NESTBOX_STATE="$state" \
		NESTBOX_HOST="$host" NESTBOX_PORT="$port" NESTBOX_EXTRA="$extra"
	log=$out/lighttpd.log
	lighttpd -D -f "$root/etc/lighttpd.conf" >"$log" 2>&1 </dev/null &
	lpid=$!

	code=000
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$lpid" 2>/dev/null; then
			sed 's/^/  | /' "$log" >&2
			lpid=
			die "lighttpd exited during start-up (log above, $log)"
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/healthz" 2>/dev/null) || true
		[ "$code" = 200 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$code" != 200 ]; then
		curl -s --max-time 2 "$base/healthz" >&2 2>/dev/null || true
		sed 's/^/  | /' "$log" >&2
		die "/healthz did not answer 200 within 10 s (last HTTP $code; lighttpd log above)"
	fi
	echo "server:   lighttpd pid $lpid, /healthz 200 after $i polls"
}

# dies with lighttpd's log if it is gone; $1 says during what
alive() {
	kill -0 "$lpid" 2>/dev/null && return 0
	echo "bench: lighttpd (pid $lpid) is gone, during $1; its log:" >&2
	sed 's/^/  | /' "$log" >&2
	lpid=
	die "lighttpd stopped during the run (see above)"
}

# stops lighttpd, shows what its log says besides start and stop, and ends
# the run with an error if a sanity check failed
bench_finish() {
	stop_server
	# anything beyond "server started" / "server stopped" is worth a look
	if grep -Ev '\) server (started|stopped)' "$log" >"$out/lighttpd-other.log"; then
		echo
		echo "lighttpd log (build/bench/lighttpd.log), besides start and stop:"
		sed 's/^/  | /' "$out/lighttpd-other.log" | tail -n 20
	fi
	left=
	for k in $(awk '{ print $1 }' "$out/children.txt"); do
		kill -0 "$k" 2>/dev/null && left="$left $k"
	done
	[ -z "$left" ] || echo "bench: processes still running after stop:$left" >&2
	[ "$failed" = 0 ] || die "some sanity checks failed (see above)"
}

# -- measuring ----------------------------------------------------------------
# a sanity check failed: said on stderr, and the run will end with an error
bench_fail() {
	echo "sanity:   FAIL $*" >&2
	failed=1
}

# curl sends only Host, like wrk, so /log/echo echoes the same headers;
# further curl options (a -K config with a header or a body) may follow
fetch() { # url file [curl option...] -> "code bytes seconds"
	fetch_url=$1 fetch_file=$2
	shift 2
	curl -sS -H 'User-Agent:' -H 'Accept:' --max-time 120 -o "$fetch_file" \
		-w '%{http_code} %{size_download} %{time_total}' "$@" "$fetch_url" 2>>"$out/curl.log" ||
		echo "000 0 0"
}

# wrk output -> "req/s p99-ms errors requests"
wrk_stats() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /m$/) return v * 60000
		if (v ~ /h$/) return v * 3600000
		if (v ~ /s$/) return v * 1000
		return v + 0
	}
	/^Requests\/sec:/ { rps = $2 }
	/^ +99%/ { p99 = ms($2) }
	/requests in/ { n = $1 }
	/Non-2xx or 3xx responses:/ { err += $NF }
	/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
	END { printf "%s %s %d %d\n", rps == "" ? "0" : rps, p99 == "" ? "-" : p99, err, n }
	' "$1"
}

# fetch into got_code, got_bytes, got_took; curl reads $ep_cfg (-K) when set
ep_cfg=
ep_fetch() { # url file
	if [ -n "$ep_cfg" ]; then
		set -- $(fetch "$1" "$2" -K "$ep_cfg")
	else
		set -- $(fetch "$1" "$2")
	fi
	got_code=$1 got_bytes=$2 got_took=$3
}

# The suite's own check of an endpoint's body: bench_one calls
# "$bench_check" <name> <body file>, which appends "what is wrong;" to $bad.
bench_check=:
# the seconds the first fetch of the last bench_one took (empty: it failed)
bench_took=

# One row of the table: the endpoint, then the two ceilings serving its very
# bytes, each fetched for the sanity checks and then loaded by wrk.
# The endpoint's own request may need more than a GET: a curl config file
# (-K: headers, a body) for its sanity fetches, and a wrk script with its
# arguments for its wrk runs; the ceilings are plain GETs of the same bytes.
bench_one() { # label name path conns [curl-config [wrk-script [script arguments...]]]
	label=$1 name=$2 path=$3 conns=$4
	shift 4
	ep_cfg=${1:-}
	[ $# = 0 ] || shift
	ep_lua=${1:-}
	[ $# = 0 ] || shift
	# "$@" is now what the wrk script is given
	body=$out/$name.body
	bench_took=
	ep_fetch "$base$path" "$body"
	code=$got_code bytes=$got_bytes took=$got_took
	alive "GET $path"
	if [ "$code" != 200 ]; then
		echo "sanity:   FAIL $path answered HTTP $code ($bytes bytes):" >&2
		head -c 400 "$body" >&2 2>/dev/null || true
		echo >&2
		printf '%s\t%s\t%s\tFAIL\tHTTP %s\n' endpoint "$label" "$bytes" "$code" >>"$results"
		failed=1
		return 0
	fi
	bench_took=$took
	bench_sanity
	bench_wrk "$@"
	rm -f "$body"
}

# bench_one's checks: both ceilings and a second request give the same bytes,
# and the suite's own check passes
bench_sanity() {
	cp "$body" "$state/bench-static/$name"
	cp "$body" "$state/bench-zero/$name"
	ep_cfg_saved=$ep_cfg ep_cfg=
	ep_fetch "$base/_bench/static/$name" "$body.static"
	scode=$got_code
	ep_fetch "$base/_bench/zero/$name" "$body.zero"
	zcode=$got_code
	ep_cfg=$ep_cfg_saved
	ep_fetch "$base$path" "$body.again"
	acode=$got_code abytes=$got_bytes
	bad=
	[ "$scode" = 200 ] && cmp -s "$body" "$body.static" ||
		bad="$bad /_bench/static/$name (HTTP $scode) differs;"
	[ "$zcode" = 200 ] && cmp -s "$body" "$body.zero" ||
		bad="$bad /_bench/zero/$name (HTTP $zcode) differs;"
	[ "$acode" = 200 ] && [ "$abytes" = "$bytes" ] ||
		bad="$bad a second $path gave HTTP $acode, $abytes bytes;"
	"$bench_check" "$name" "$body"
	if [ -n "$bad" ]; then
		echo "sanity:   FAIL $path ($bytes bytes):$bad" >&2
		failed=1
	else
		echo "sanity:   ok   $path: 200, $bytes bytes, same bytes from static and zero"
	fi
	rm -f "$body.static" "$body.zero" "$body.again"
}

# bench_one's wrk runs: endpoint, static, zero; a row each in $results
bench_wrk() { # [wrk script arguments...]
	for kind in endpoint static zero; do
		case $kind in
		endpoint) url=$base$path ;;
		static) url=$base/_bench/static/$name ;;
		zero) url=$base/_bench/zero/$name ;;
		esac
		w=$out/wrk-$name-$kind.txt
		if [ "$kind" = endpoint ] && [ -n "$ep_lua" ]; then
			wrk -t2 -c"$conns" -d1s --timeout 10s -s "$ep_lua" "$url" -- "$@" >/dev/null 2>&1 || true
			wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency -s "$ep_lua" "$url" -- "$@" \
				>"$w" 2>&1 || echo "bench: wrk failed on $url (see $w)" >&2
		else
			wrk -t2 -c"$conns" -d1s --timeout 10s "$url" >/dev/null 2>&1 || true
			wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency "$url" >"$w" 2>&1 ||
				echo "bench: wrk failed on $url (see $w)" >&2
		fi
		alive "wrk on $url"
		printf '%s\t%s\t%s\t%s\n' "$kind" "$label" "$bytes" "$(wrk_stats "$w" | tr ' ' '\t')" \
			>>"$results"
	done
}

# -- reporting ----------------------------------------------------------------
# a results file -> the table: per endpoint its rate, p99, the ratios to
# the two ceilings and its target (bench_target), then the ceilings' own rows
report_table() { # results.tsv
	awk -F '\t' '
function row(lab, b, r, p, rs, rz, e, big, t, met) {
	printf "%-44s %9s %10s %7s %8s %7s %7s %6s  %-13s %s\n", lab, b, r,
		big ? sprintf("%.1f", r * b / 1e6) : "-", p, rs, rz, e, t, met
}
# issue 15 and DESIGN.md: what the front end can send itself is held to the
# static file, a dynamic answer to the zero-work program
function target(k) {
	if (k ~ /feedback/) return "zero 0.50"
	if (k ~ /^\/list|^\/update|package JSON|^\/mip\/package|^\/mip\/file|^\/mip\/index|artifact/) return "static 0.90"
	return "zero 0.80"
}
{
	k = $2; kind = $1
	order[k] = order[k] ? order[k] : ++n; key[order[k]] = k
	bytes[k] = $3; rps[k, kind] = $4; p99[k, kind] = $5; err[k, kind] = $6
	big[k] = ($3 >= 1048576)
}
END {
	printf "%-44s %9s %10s %7s %8s %7s %7s %6s  %-13s %s\n", "endpoint", "bytes", "req/s", "MB/s",
		"p99 ms", "/static", "/zero", "errors", "target", "met"
	for (i = 1; i <= n; i++) {
		k = key[i]
		if (rps[k, "endpoint"] == "FAIL") {
			printf "%-44s %9s %s\n", k, bytes[k], "FAILED: " p99[k, "endpoint"]
			continue
		}
		rs = rps[k, "static"] > 0 ? sprintf("%.2f", rps[k, "endpoint"] / rps[k, "static"]) : "-"
		rz = rps[k, "zero"] > 0 ? sprintf("%.2f", rps[k, "endpoint"] / rps[k, "zero"]) : "-"
		split(target(k), t, " ")
		got = t[1] == "static" ? rs : rz
		met = got == "-" ? "-" : (got + 0 >= t[2] + 0 ? "yes" : "NO")
		row(k, bytes[k], rps[k, "endpoint"], p99[k, "endpoint"], rs, rz, err[k, "endpoint"],
		    big[k], ">=" t[2] " /" t[1], met)
	}
	printf "\nceilings (the same bytes)\n"
	for (i = 1; i <= n; i++) {
		k = key[i]
		if (rps[k, "endpoint"] == "FAIL")
			continue
		row("static  " k, bytes[k], rps[k, "static"], p99[k, "static"], "", "", err[k, "static"], big[k], "", "")
		row("zero    " k, bytes[k], rps[k, "zero"], p99[k, "zero"], "", "", err[k, "zero"], big[k], "", "")
	}
}' "$1"
}

# values (one a line) -> "median pN" (nearest rank) or "- -"
med_pct() { # N
	sort -n | awk -v p="$1" '{ v[++n] = $1 }
	END {
		if (!n) { print "- -"; exit }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		r = int(p / 100 * n); if (r < p / 100 * n) r++; if (r < 1) r = 1
		printf "%.2f %.2f\n", m, v[r]
	}'
}

# seconds since $1 (a `date +%s.%N`), no decimals: a section's duration
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'
}

mib() { # KiB -> MiB with one decimal
	case $1 in '' | -) echo - ;; *) awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' ;; esac
}

commas() { # 1234567 -> 1,234,567
	echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'
}

# at the end of a suite: its program's processes are those it began with
# (none exited or was restarted), and their peak RSS
bench_pids_end() { # program pids-at-start
	pids1=$(pids_of "$1")
	[ "$2" = "$pids1" ] ||
		bench_fail "the $1 processes changed during the section (${2:-none} -> ${pids1:-none}):" \
			"one exited or was restarted (lighttpd log: build/bench/lighttpd.log)"
	echo
	for p in $pids1; do
		printf '  %-16s pid %-7s %8s MiB peak RSS (VmHWM)\n' "$1" "$p" \
			"$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$p/status" 2>/dev/null || echo -)"
	done
}

# pids of lighttpd's children running program $1, sorted, on one line
pids_of() {
	children | awk -v n="$1" '$2 == n { print $1 }' | sort -n | tr '\n' ' '
}

# after a results file of rows measured at growing sizes: each row's rate
# over the first's, so growth with the catalogue is visible
report_growth() { # results.tsv
	awk -F '\t' '$1 == "endpoint" && $4 != "FAIL" { lab[++n] = $2; r[n] = $4 }
	END {
		for (i = 2; i <= n; i++)
			printf "growth:   %-40s %.2f of %s (%.0f / %.0f req/s)\n", lab[i],
				(r[1] > 0 ? r[i] / r[1] : 0), lab[1], r[i], r[1]
	}' "$1"
}

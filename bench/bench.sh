#!/bin/sh
# bench/bench.sh - `make bench`: how fast nestbox answers behind lighttpd,
# next to two ceilings that return the very same bytes:
#   static  lighttpd sending the body as a plain file (mod_alias + staticfile)
#   zero    a FastCGI program (bench-zero.fcgi) answering it from memory
# One fresh state directory under build/bench/, one lighttpd on
# 127.0.0.1:$BENCH_PORT (default 8089), wrk for $BENCH_SECONDS (default 5)
# per URL.  It only reports: nothing here is a test.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
port=${BENCH_PORT:-8089}
secs=${BENCH_SECONDS:-5}
out=$root/build/bench
state=$out/state
host=127.0.0.1
base=http://$host:$port
ctl=$root/bin/nestboxctl
big_mib=64

die() {
	echo "bench: $*" >&2
	exit 1
}

case $port in '' | *[!0-9]*) die "BENCH_PORT must be a number, not '$port'" ;; esac
case $secs in '' | *[!0-9]* | 0) die "BENCH_SECONDS must be a positive number, not '$secs'" ;; esac
for t in lighttpd wrk curl awk ps; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (run 'make deps')"
done
for f in "$ctl" "$root/cgi-bin/list.fcgi" "$root/cgi-bin/update.fcgi" \
	"$root/cgi-bin/log.fcgi" "$root/cgi-bin/bench-zero.fcgi"; do
	[ -x "$f" ] || die "$f is not built (run 'make all')"
done

# -- lighttpd lifetime ------------------------------------------------------
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
	# the FastCGI programs lighttpd spawned should be gone with it
	for k in $kids; do
		i=0
		while kill -0 "$k" 2>/dev/null && [ $i -lt 20 ]; do
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
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

# -- the machine ------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "== nestbox bench"
echo "machine:  nproc $(nproc), ${cpu:-unknown cpu}, $(uname -sr)"
echo "lighttpd: $(lighttpd -v 2>&1 | head -n 1)"
echo "wrk:      $(wrk -v 2>&1 | head -n 1)"
echo "run:      $base, ${secs}s per URL after a 1s warm-up; wrk and lighttpd share the machine"

# -- state and images -------------------------------------------------------
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
build=$("$ctl" image list benchbox-x86-master-1 |
	awk -F '\t' '$1 == "benchbox/benchbox-x86-master-1" { print $2 }')
[ -n "$build" ] && [ "$build" != "(no buildID)" ] ||
	die "no buildID for benchbox/benchbox-x86-master-1 in 'nestboxctl image list'"
echo "images:   $("$ctl" image list | wc -l) imported; ${big_mib} MiB random image made and imported in" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, buildID $build"

# -- lighttpd ---------------------------------------------------------------
extra=$out/bench-lighttpd.conf
cat >"$extra" <<EOF
# generated by bench/bench.sh: the two ceilings, for the benchmark only
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
export NESTBOX_ROOT="$root" NESTBOX_CGIBIN="$root/cgi-bin" NESTBOX_STATE="$state" \
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

# -- measuring --------------------------------------------------------------
alive() {
	kill -0 "$lpid" 2>/dev/null && return 0
	echo "bench: lighttpd (pid $lpid) is gone, during $1; its log:" >&2
	sed 's/^/  | /' "$log" >&2
	lpid=
	die "lighttpd stopped during the run (see above)"
}

# curl sends only Host, like wrk, so /log/echo echoes the same headers
fetch() { # url file -> "code bytes seconds"
	curl -sS -H 'User-Agent:' -H 'Accept:' --max-time 120 -o "$2" \
		-w '%{http_code} %{size_download} %{time_total}' "$1" 2>>"$out/curl.log" ||
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

results=$out/results.tsv
: >"$results"
failed=0
note=

bench_one() { # label name path conns
	label=$1 name=$2 path=$3 conns=$4
	body=$out/$name.body
	set -- $(fetch "$base$path" "$body")
	code=$1 bytes=$2 took=$3
	alive "GET $path"
	if [ "$code" != 200 ]; then
		echo "sanity:   FAIL $path answered HTTP $code ($bytes bytes):" >&2
		head -c 400 "$body" >&2 2>/dev/null || true
		echo >&2
		printf '%s\t%s\t%s\tFAIL\tHTTP %s\n' endpoint "$label" "$bytes" "$code" >>"$results"
		failed=1
		return 0
	fi
	case $name in
	update-full)
		note="first fetch of the full tar (built on demand): $(awk -v t="$took" 'BEGIN { printf "%.2f", t }') s";;
	esac
	cp "$body" "$state/bench-static/$name"
	cp "$body" "$state/bench-zero/$name"
	set -- $(fetch "$base/_bench/static/$name" "$body.static")
	scode=$1
	set -- $(fetch "$base/_bench/zero/$name" "$body.zero")
	zcode=$1
	set -- $(fetch "$base$path" "$body.again")
	acode=$1 abytes=$2
	bad=
	[ "$scode" = 200 ] && cmp -s "$body" "$body.static" ||
		bad="$bad /_bench/static/$name (HTTP $scode) differs;"
	[ "$zcode" = 200 ] && cmp -s "$body" "$body.zero" ||
		bad="$bad /_bench/zero/$name (HTTP $zcode) differs;"
	[ "$acode" = 200 ] && [ "$abytes" = "$bytes" ] ||
		bad="$bad a second $path gave HTTP $acode, $abytes bytes;"
	case $name in
	update-none)
		head -c 10240 /dev/zero | cmp -s - "$body" ||
			bad="$bad not the 10240-byte empty tar;" ;;
	update-full)
		tar -tf "$body" 2>/dev/null | grep -qx 'benchbox-x86-master-1\.img\.zst' ||
			bad="$bad no benchbox-x86-master-1.img.zst in the tar;" ;;
	esac
	if [ -n "$bad" ]; then
		echo "sanity:   FAIL $path ($bytes bytes):$bad" >&2
		failed=1
	else
		echo "sanity:   ok   $path: 200, $bytes bytes, same bytes from static and zero"
	fi
	rm -f "$body.static" "$body.zero" "$body.again"
	for kind in endpoint static zero; do
		case $kind in
		endpoint) url=$base$path ;;
		static) url=$base/_bench/static/$name ;;
		zero) url=$base/_bench/zero/$name ;;
		esac
		wrk -t2 -c"$conns" -d1s --timeout 10s "$url" >/dev/null 2>&1 || true
		w=$out/wrk-$name-$kind.txt
		wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency "$url" >"$w" 2>&1 ||
			echo "bench: wrk failed on $url (see $w)" >&2
		alive "wrk on $url"
		printf '%s\t%s\t%s\t%s\n' "$kind" "$label" "$bytes" "$(wrk_stats "$w" | tr ' ' '\t')" \
			>>"$results"
	done
	rm -f "$body"
}

bench_one /list list /list 32
bench_one "/update/B/I/<buildID> (no update)" update-none \
	"/update/benchbox/benchbox-x86-master-1/$build" 32
bench_one "/update/B/I (full tar)" update-full \
	/update/benchbox/benchbox-x86-master-1 4
bench_one /log/echo log-echo /log/echo 32

# -- report -----------------------------------------------------------------
echo
[ -z "$note" ] || echo "$note"
awk -F '\t' '
function row(lab, b, r, p, rs, rz, e, big) {
	printf "%-44s %9s %10s %7s %8s %7s %7s %6s\n", lab, b, r,
		big ? sprintf("%.1f", r * b / 1e6) : "-", p, rs, rz, e
}
{
	k = $2; kind = $1
	order[k] = order[k] ? order[k] : ++n; key[order[k]] = k
	bytes[k] = $3; rps[k, kind] = $4; p99[k, kind] = $5; err[k, kind] = $6
	big[k] = (k ~ /full tar/)
}
END {
	printf "%-44s %9s %10s %7s %8s %7s %7s %6s\n", "endpoint", "bytes", "req/s", "MB/s",
		"p99 ms", "/static", "/zero", "errors"
	for (i = 1; i <= n; i++) {
		k = key[i]
		if (rps[k, "endpoint"] == "FAIL") {
			printf "%-44s %9s %s\n", k, bytes[k], "FAILED: " p99[k, "endpoint"]
			continue
		}
		rs = rps[k, "static"] > 0 ? sprintf("%.2f", rps[k, "endpoint"] / rps[k, "static"]) : "-"
		rz = rps[k, "zero"] > 0 ? sprintf("%.2f", rps[k, "endpoint"] / rps[k, "zero"]) : "-"
		row(k, bytes[k], rps[k, "endpoint"], p99[k, "endpoint"], rs, rz, err[k, "endpoint"], big[k])
	}
	printf "\nceilings (the same bytes)\n"
	for (i = 1; i <= n; i++) {
		k = key[i]
		if (rps[k, "endpoint"] == "FAIL")
			continue
		row("static  " k, bytes[k], rps[k, "static"], p99[k, "static"], "", "", err[k, "static"], big[k])
		row("zero    " k, bytes[k], rps[k, "zero"], p99[k, "zero"], "", "", err[k, "zero"], big[k])
	}
}' "$results"
echo
echo "B/I = benchbox/benchbox-x86-master-1; /static, /zero = endpoint req/s over that ceiling's;"
echo "MB/s = 10^6 body bytes per second; errors = non-2xx answers + socket errors + timeouts;"
echo "wrk -t2 -c32 (full tar: -c4) --timeout 10s; raw output in build/bench/wrk-*.txt"

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

# bench/admin.sh - the admin pages suite of `make bench` (BENCH_ADMIN=0
# skips it; sourced by bench/bench.sh after bench/lib.sh, run last).
#
# Against the same lighttpd: the server time (request_log.dur_us) of each
# admin page over 100,000 synthetic request-log rows, $BENCH_ADMIN_REQS
# (default 50) requests per page, and the admin.fcgi RSS while a
# $BENCH_UPLOAD_MIB (default 1024) MiB image is uploaded through the form,
# next to the targets (5 ms, 16 MiB).  The server time is the dur_us
# admin.fcgi itself records in request_log: each page's requests carry their
# own User-Agent, so their rows are found exactly.  With the DDI suite on,
# the device pages are measured too, over its devices.

admin_settings() {
	admin_on=${BENCH_ADMIN:-1}
	admin_reqs=${BENCH_ADMIN_REQS:-50}
	upload_mib=${BENCH_UPLOAD_MIB:-1024}
	case $admin_on in 0 | 1) ;; *) die "BENCH_ADMIN must be 0 or 1, not '$admin_on'" ;; esac
	case $admin_reqs in '' | *[!0-9]* | 0) die "BENCH_ADMIN_REQS must be a positive number, not '$admin_reqs'" ;; esac
	case $upload_mib in '' | *[!0-9]*) die "BENCH_UPLOAD_MIB must be a number (0: no upload), not '$upload_mib'" ;; esac
	[ "$admin_on" = 0 ] || tools="$tools sqlite3"
}

# the upload leaves nothing big behind, however the run ends (also run on exit)
admin_clean_upload() {
	rm -f "$out/upload.img"
	rm -rf "$state/images/benchup"
	find "$state/tmp" -type f -name 'upload*' -exec rm -f {} + 2>/dev/null || true
}

db=$state/nestbox.db
ua=nestbox-bench-admin
admin_pw=bench-admin-pass-1
jar=$out/admin-cookies.txt

admin_sql() { # statements on stdin; waits up to 10 s while a program writes
	sqlite3 -batch -bail -cmd '.timeout 10000' "$@" "$db"
}

# children of lighttpd running admin.fcgi
admin_pids() {
	pids_of admin.fcgi
}

admin_vm_kib() { # pid field -> KiB or "-"
	awk -v f="$2:" '$1 == f { print $2; found = 1 } END { if (!found) print "-" }' \
		"/proc/$1/status" 2>/dev/null || echo -
}

# flushes admin.fcgi's request-log buffer (a request after log.flush_ms), then
# waits until the rows for user agent $1 number $2 at least
admin_flush() {
	want_ua=$1 want_n=$2 tries=0
	while :; do
		sleep 1.1
		curl -sS -o /dev/null -A "$ua/flush" -b "$jar" --max-time 30 "$base/admin/settings" \
			2>>"$out/curl.log" || true
		i=0
		while [ $i -lt 20 ]; do
			got=$(printf "SELECT count(*) FROM request_log WHERE program = 'admin' AND user_agent = '%s';\n" \
				"$want_ua" | admin_sql 2>>"$out/sqlite.log") || got=0
			[ "${got:-0}" -ge "$want_n" ] && return 0
			sleep 0.1
			i=$((i + 1))
		done
		tries=$((tries + 1))
		[ $tries -lt 3 ] || return 1
	done
}

admin_bench() {
	echo
	echo "== admin pages"
	t_admin=$(date +%s.%N)
	[ -n "$(admin_pids)" ] || { echo "admin:    FAIL no admin.fcgi process under lighttpd" >&2; failed=1; return 0; }
	admin_rows || return 0
	admin_login || return 0
	admin_pages

	# the upload: a raw image through the form, admin.fcgi's RSS sampled meanwhile
	up_note=
	if [ "$upload_mib" -gt 0 ]; then
		admin_upload
	fi

	# every row in the table, then read them
	admin_flush "$ua/p$k" "$reqs" ||
		echo "bench: admin.fcgi's request-log rows did not all arrive (log.flush_ms?)" >&2
	if [ -n "$up_note" ] && [ -n "${ucode:-}" ]; then
		srv=$(echo "SELECT printf('%.1f s, HTTP %d', dur_us / 1e6, status) FROM request_log
			WHERE program = 'admin' AND user_agent = '$ua/upload';" | admin_sql 2>>"$out/sqlite.log") || srv=
		up_note=$(printf '%s\n  %-26s %s' "$up_note" "server time (dur_us)" "${srv:-(no row)}")
	fi
	nrows_after=$(echo "SELECT count(*) FROM request_log;" | admin_sql 2>>"$out/sqlite.log") || nrows_after=?

	echo
	echo "admin pages over $nrows request-log rows ($nrows_after after the run): $admin_reqs requests each on" \
		"one keep-alive connection after 2 warm-up (fewer, at least 3, where 60 s holds fewer: reqs)"
	printf '%-40s %8s %5s %8s %8s %7s %9s %9s %7s\n' "page" "bytes" "reqs" "srv p50" "srv p95" \
		"<=5 ms" "curl p50" "curl p95" "non-200"
	while IFS='	' read -r k path wbytes reqs; do
		printf "SELECT dur_us / 1000.0 FROM request_log WHERE program = 'admin' AND user_agent = '%s' AND status = 200;\n" \
			"$ua/p$k" | admin_sql 2>>"$out/sqlite.log" >"$out/admin-srv-$k.txt" || true
		n=$(wc -l <"$out/admin-srv-$k.txt")
		set -- $(med_pct 95 <"$out/admin-srv-$k.txt")
		sp50=$1 sp95=$2
		set -- $(awk '{ print $2 * 1000 }' "$out/admin-curl-$k.txt" | med_pct 95)
		cp50=$1 cp95=$2
		bad=$(awk '$1 != 200 { n++ } END { print n + 0 }' "$out/admin-curl-$k.txt")
		sent=$(wc -l <"$out/admin-curl-$k.txt")
		[ "$sent" = "$reqs" ] || bad="$bad (of $sent)"
		ok=$(awk -v p="$sp95" 'BEGIN { print p == "-" ? "-" : p <= 5 ? "yes" : "NO" }')
		printf '%-40s %8s %5s %8s %8s %7s %9s %9s %7s\n' "$path" "$wbytes" "$n" "$sp50" "$sp95" \
			"$ok" "$cp50" "$cp95" "$bad"
		if [ "$bad" != 0 ]; then
			echo "sanity:   FAIL $path: $bad of the timed requests did not answer 200" \
				"($(awk '$1 != 200 { print $1 }' "$out/admin-curl-$k.txt" | sort | uniq -c | tr -s ' \n' '  '))" >&2
			failed=1
		fi
	done <"$out/admin-pages.tsv"
	echo "srv = dur_us admin.fcgi recorded in request_log (routing to the last byte handed to"
	echo "lighttpd), ms; curl = time_total, ms; <=5 ms: srv p95 against the 5 ms target;"
	echo "p95 = nearest rank; raw: build/bench/admin-srv-*.txt, admin-curl-*.txt"
	[ -z "$up_note" ] || { echo; printf '%s\n' "$up_note"; }
	echo "admin section: $(since "$t_admin") s"
}

# 100,000 request-log rows over the last 24 h, as list/update/log write them;
# what the wrk runs logged goes, so the table holds exactly these rows
# (1: the insert failed)
admin_rows() {
	now_ms=$(date +%s%3N)
	t0=$(date +%s.%N)
	admin_sql >>"$out/sqlite.log" 2>&1 <<SQL || { echo "admin:    FAIL inserting the request-log rows (build/bench/sqlite.log)" >&2; failed=1; return 1; }
BEGIN IMMEDIATE;
DELETE FROM request_log;
DELETE FROM requests_hourly;
WITH RECURSIVE
  n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000),
  r(i, h, ts, st, rnd) AS (
    SELECT i, (i * 7) % 10, $now_ms - 86400000 + (i - 1) * 864 + abs(random()) % 800,
           CASE WHEN i % 31 = 0 THEN 404 WHEN i % 47 = 0 THEN 400 ELSE 200 END,
           abs(random())
    FROM n)
INSERT INTO request_log(ts_ms, program, method, path, route, status, bytes, dur_us, remote, user_agent)
SELECT ts,
  CASE WHEN h < 6 THEN 'update' WHEN h < 9 THEN 'list' ELSE 'log' END,
  'GET',
  CASE WHEN h < 6 AND i % 3 = 0 THEN printf('/update/box%d/img-%d/%016x', i % 37, i, rnd % 4294967296)
       WHEN h < 6 THEN printf('/update/box%d/img-%d', i % 37, i)
       WHEN h < 9 AND i % 4 = 0 THEN '/list'
       WHEN h < 9 THEN printf('/list/box%d', i % 37)
       WHEN i % 2 = 0 THEN '/healthz' ELSE '/metrics' END,
  CASE WHEN h < 6 AND i % 3 = 0 THEN '/update/:box/:image/:build'
       WHEN h < 6 THEN '/update/:box/:image'
       WHEN h < 9 AND i % 4 = 0 THEN '/list'
       WHEN h < 9 THEN '/list/:search'
       WHEN i % 2 = 0 THEN '/healthz' ELSE '/metrics' END,
  st,
  CASE WHEN st <> 200 THEN 40 + rnd % 60
       WHEN h < 6 AND i % 3 = 0 THEN 10240
       WHEN h < 6 THEN 8388608 + rnd % 67108864
       WHEN h < 9 THEN 200 + rnd % 2000
       ELSE 3 + rnd % 4000 END,
  CASE WHEN h < 6 AND i % 3 <> 0 AND st = 200 THEN 2000 + rnd % 400000 ELSE 80 + rnd % 900 END,
  printf('192.0.2.%d', 1 + i % 200),
  CASE WHEN h < 9 THEN printf('mkbox-update/2.%d', i % 3)
       WHEN i % 2 = 0 THEN 'kube-probe/1.29' ELSE 'Prometheus/2.45.0' END
FROM r;
INSERT INTO requests_hourly(hour, program, count, errors)
  SELECT ts_ms / 3600000, program, count(*), sum(status >= 400) FROM request_log GROUP BY 1, 2;
COMMIT;
SQL
	t1=$(date +%s.%N)
	set -- $(echo "SELECT count(*), sum(status >= 400), sum(program = 'update'), sum(program = 'list'),
		sum(program = 'log'), (SELECT id FROM request_log ORDER BY id LIMIT 1 OFFSET 50000),
		(SELECT count(*) FROM request_log WHERE instr(path, 'img-99999') > 0),
		(SELECT sum(count) FROM requests_hourly) FROM request_log;" | admin_sql -separator ' ' 2>>"$out/sqlite.log")
	nrows=${1:-0} nerr=${2:-0} mid=${6:-1} nrare=${7:-0}
	echo "rows:     $nrows request-log rows in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
		"(update $3, list $4, log $5; $nerr 4xx; last 24 h; requests_hourly sums to ${8:-0});" \
		"'img-99999' matches $nrare, the middle id is $mid"
}

# an admin, and a session in a cookie jar (1: the login failed)
admin_login() {
	NESTBOX_ADMIN_PASSWORD=$admin_pw "$ctl" user first-admin >>"$out/init.log" 2>&1 ||
		{ echo "admin:    FAIL nestboxctl user first-admin (build/bench/init.log)" >&2; failed=1; return 1; }
	rm -f "$jar"
	code=$(curl -sS -c "$jar" -b "$jar" -A "$ua/login" -o "$out/admin-login.html" -w '%{http_code}' \
		--max-time 30 "$base/admin/login" 2>>"$out/curl.log") || code=000
	csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$out/admin-login.html" 2>/dev/null | head -n 1)
	[ "$code" = 200 ] && [ -n "$csrf" ] ||
		{ echo "admin:    FAIL GET /admin/login: HTTP $code, csrf '${csrf}'" >&2; failed=1; return 1; }
	set -- $(curl -sS -c "$jar" -b "$jar" -A "$ua/login" -o "$out/admin-login-post.html" \
		-w '%{http_code} %{redirect_url}' --max-time 30 -d "csrf=$csrf" -d username=admin \
		--data-urlencode "password=$admin_pw" --data-urlencode next=/admin/ \
		"$base/admin/login" 2>>"$out/curl.log" || echo 000)
	if [ "${1:-000}" != 303 ] || ! grep -q 'nb_session' "$jar"; then
		echo "admin:    FAIL POST /admin/login: HTTP ${1:-000} (want 303 with an nb_session cookie):" >&2
		head -c 400 "$out/admin-login-post.html" >&2 2>/dev/null || true
		echo >&2
		failed=1
		return 1
	fi
	echo "login:    POST /admin/login 303 -> ${2:-?}, nb_session in the cookie jar"
	alive "the admin login"
}

# the pages: 2 warm-up requests each, then $admin_reqs on one connection;
# their list with the size of each goes to admin-pages.tsv
admin_pages() {
	pages="/admin/ /admin/images /admin/requests /admin/requests?program=update
/admin/requests?status=4xx /admin/requests?q=img-99999 /admin/requests?before=$mid
/admin/users /admin/settings"
	# with the DDI section's devices (1,000,000 by default) in the store
	[ "$ddi_on" = 0 ] || pages="$pages /admin/devices /admin/devices?state=finished
/admin/devices?model=bench&version=2.0 /admin/software /admin/rollouts"
	: >"$out/admin-pages.tsv"
	k=0
	for path in $pages; do
		k=$((k + 1))
		body=$out/admin-page-$k.html
		set -- $(curl -sS -b "$jar" -A "$ua/warm" -w '%{http_code} %{size_download} %{time_total}\n' \
			--max-time 600 -o /dev/null "$base$path" -o "$body" "$base$path" \
			2>>"$out/curl.log" | tail -n 1 || echo "000 0 0")
		wcode=${1:-000} wbytes=${2:-0}
		# a page that scans the whole fleet (a substring filter over ten
		# million devices) gets as many requests as fit in about 60 s, at
		# least 3: the run ends, and the table says how many were timed
		reqs=$(awk -v t="${3:-0}" -v n="$admin_reqs" \
			'BEGIN { m = t > 0 ? int(60 / t) : n; if (m < 3) m = 3; print m < n ? m : n }')
		if [ "$wcode" != 200 ] || ! grep -q '<h1>' "$body"; then
			echo "sanity:   FAIL $path answered HTTP $wcode ($wbytes bytes):" >&2
			head -c 400 "$body" >&2 2>/dev/null || true
			echo >&2
			failed=1
		fi
		cfg=$out/admin-curl-$k.cfg
		{
			echo "user-agent = \"$ua/p$k\""
			i=0
			while [ $i -lt "$reqs" ]; do
				echo "url = \"$base$path\""
				echo 'output = "/dev/null"'
				i=$((i + 1))
			done
		} >"$cfg"
		curl -sS -b "$jar" --max-time 600 -K "$cfg" -w '%{http_code} %{time_total}\n' \
			>"$out/admin-curl-$k.txt" 2>>"$out/curl.log" || true
		alive "GET $path"
		printf '%s\t%s\t%s\t%s\n' "$k" "$path" "$wbytes" "$reqs" >>"$out/admin-pages.tsv"
	done
}

# samples admin.fcgi every 50 ms into $2 as "uptime pid VmRSS-KiB rchar" until $1 exists
admin_rss_sampler() {
	pids=$(admin_pids)
	while [ ! -e "$1" ] && kill -0 "$lpid" 2>/dev/null; do
		for p in $pids; do
			if [ ! -d "/proc/$p" ]; then
				pids=$(admin_pids)
				continue
			fi
			awk -v p="$p" 'FILENAME == "/proc/uptime" { t = $1 } /^VmRSS:/ { r = $2 }
				/^rchar:/ { c = $2 } END { if (r != "") print t, p, r, c + 0 }' \
				/proc/uptime "/proc/$p/status" "/proc/$p/io" 2>/dev/null || true
		done
		sleep 0.05
	done >"$2"
}

admin_upload() {
	img=$out/upload.img
	avail=$(df -Pk "$out" | awk 'NR == 2 { print $4 }')
	need=$((upload_mib * 1024 * 5 / 2 + 262144))
	if [ "${avail:-0}" -lt "$need" ]; then
		up_note="upload: skipped, $(mib "$avail") MiB free under build/bench, $(mib "$need") MiB needed"
		return 0
	fi
	# a mixed image: up to 256 MiB of random data, the rest a (sparse) run of zeros
	rnd=$((upload_mib < 256 ? upload_mib : 256))
	head -c $((rnd * 1024 * 1024)) /dev/urandom >"$img"
	truncate -s $((upload_mib * 1024 * 1024)) "$img"
	code=$(curl -sS -b "$jar" -A "$ua/images" -o "$out/admin-images.html" -w '%{http_code}' \
		--max-time 60 "$base/admin/images" 2>>"$out/curl.log") || code=000
	ucsrf=$(awk '/class="upload"/ { f = 1 } f && /name="csrf"/ {
		sub(/.*name="csrf" value="/, ""); sub(/".*/, ""); print; exit }' "$out/admin-images.html")
	if [ "$code" != 200 ] || [ -z "$ucsrf" ]; then
		up_note="upload: FAIL no upload form with a csrf field on /admin/images (HTTP $code)"
		failed=1
		rm -f "$img"
		return 0
	fi
	hwm0=; for p in $(admin_pids); do hwm0="$hwm0 $p:$(admin_vm_kib "$p" VmHWM)"; done
	stopf=$out/rss-sampler.stop
	samples=$out/admin-upload-rss.txt
	rm -f "$stopf"
	admin_rss_sampler "$stopf" "$samples" &
	spid=$!
	sleep 0.2
	# csrf first: admin.fcgi checks it before it accepts the file part
	set -- $(curl -sS -b "$jar" -A "$ua/upload" -H 'Expect:' -o "$out/admin-upload.html" \
		-w '%{http_code} %{time_total} %{size_upload} %{redirect_url}' --max-time 900 \
		-F "csrf=$ucsrf" -F box=benchup -F board=x86 -F version=1 \
		-F "file=@$img;type=application/octet-stream" \
		"$base/admin/images" 2>>"$out/curl.log" || echo "000 0 0")
	ucode=${1:-000} utime=${2:-0} usize=${3:-0} uloc=${4:-}
	sleep 0.2
	: >"$stopf"
	wait "$spid" 2>/dev/null || true
	alive "the upload"
	hwm1=; for p in $(admin_pids); do hwm1="$hwm1 $p:$(admin_vm_kib "$p" VmHWM)"; done
	zst=$state/images/benchup/benchup-x86-1.img.zst
	zsize=$(stat -c %s "$zst" 2>/dev/null || echo 0)
	left=$(find "$state/tmp" -type f 2>/dev/null | wc -l)
	# the samples: peak while receiving (rchar below the body size) and while importing
	# (receiving: from the first read to rchar passing the body size; importing: from
	# there to the last read of the temporary file)
	set -- $(awk -v body="$usize" '
		{ if (!($2 in c0)) { c0[$2] = $4; prev[$2] = $4 }
		  d = $4 - c0[$2]
		  if ($3 > peak) peak = $3
		  ph = d < body ? 1 : 2
		  if ($3 > pk[ph]) pk[ph] = $3
		  if (d > 0 && !tstart) tstart = $1
		  if (ph == 2 && !tswitch) tswitch = $1
		  if ($4 != prev[$2]) tend = $1
		  prev[$2] = $4
		  if (n++ && $1 - last > gap) gap = $1 - last
		  last = $1 }
		END { printf "%d %d %d %d %.2f %.1f %.1f\n", n, peak, pk[1], pk[2], gap,
		      tswitch ? tswitch - tstart : 0, tswitch ? tend - tswitch : 0 }' "$samples")
	nsamp=$1 peak=$2 pkrecv=$3 pkimp=$4 gap=$5 trecv=$6 timp=$7
	# clean up: the build through the form, then the raw file
	set -- $(curl -sS -b "$jar" -A "$ua/delete" -o /dev/null -w '%{http_code}' --max-time 60 \
		-d "csrf=$ucsrf" -d box=benchup -d image=benchup-x86-1 \
		"$base/admin/images/delete" 2>>"$out/curl.log" || echo 000)
	dcode=${1:-000}
	rm -f "$img"
	[ ! -e "$zst" ] || { rm -rf "$state/images/benchup"; dcode="$dcode (files left: removed by hand)"; }

	hw() { for e in $1; do printf ' %s MiB' "$(mib "${e#*:}")"; done; }
	ok_rss=$(awk -v k="$peak" -v n="$nsamp" \
		'BEGIN { print (n == 0 ? "no samples: not compared with" : k <= 16384 ? "within" : "OVER") }')
	wall=$(awk -v t="$utime" -v b="$usize" \
		'BEGIN { printf "%.1f s (curl time_total, %.0f MB/s of body)", t, (t > 0 ? b / t / 1e6 : 0) }')
	up_note=$(
		echo "admin upload: $upload_mib MiB ($rnd MiB random, then zeros) as multipart POST /admin/images, csrf first"
		printf '  %-26s %s\n' "HTTP status" "$ucode (want 303), Location ${uloc:-(none)}"
		printf '  %-26s %s\n' "upload+import wall time" "$wall: receiving ~$trecv s, importing ~$timp s"
		printf '  %-26s %s\n' "admin.fcgi peak VmRSS" "$(mib "$peak") MiB, $ok_rss the 16 MiB target (receiving $(mib "$pkrecv") MiB, importing $(mib "$pkimp") MiB)"
		printf '  %-26s %s\n' "admin.fcgi VmHWM" "after:$(hw "$hwm1"), before the upload:$(hw "$hwm0") (target 16 MiB)"
		printf '  %-26s %s\n' "imported" "benchup/benchup-x86-1.img.zst, $(mib $((zsize / 1024))) MiB; deleted through the form: HTTP $dcode; files left in state/tmp: $left"
		echo "  VmRSS sampled every 50 ms ($nsamp samples, largest gap $gap s): build/bench/admin-upload-rss.txt"
	)
	if [ "$ucode" != 303 ]; then
		echo "sanity:   FAIL the upload answered HTTP $ucode (want 303):" >&2
		head -c 400 "$out/admin-upload.html" >&2 2>/dev/null || true
		echo >&2
		failed=1
	fi
}

admin_run() {
	if [ "$admin_on" = 0 ]; then
		echo
		echo "admin pages: skipped (BENCH_ADMIN=0)"
		return 0
	fi
	set -f	# paths and Locations hold '?': never file names
	admin_bench
	set +f
	bench_note_children
}

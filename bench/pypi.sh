# bench/pypi.sh - the Python index suite of `make bench` (BENCH_PYPI=0 skips
# it; sourced by bench/bench.sh after bench/lib.sh).
#
# pypi_prepare makes, with nestboxctl pypi, the user bench and its stage
# bench/dev holding nb-bench in 20 versions (1.0 to 1.18 a wheel and an
# sdist each, 1.19 a wheel carrying 1 MiB of random bytes).  pypi_run measures next to
# the two ceilings: the project page pip reads (/+simple/nb-bench/) as PEP
# 503 HTML and as PEP 691 JSON, and the 1 MiB wheel's download.  All three
# are sent by the front end: the page from <state>/pypi-static (written by
# pypi.fcgi on the check's miss, src/pypi/pypi_static.c), so the static
# ceiling is the one to read (target 0.9; the /zero column is printed too).  Then one twine-shaped
# upload of a $BENCH_PYPI_UPLOAD_MIB (default 256; 0 skips) MiB wheel with
# Basic auth: its throughput and the peak RSS of pypi.fcgi while it
# streams (sampled every 50 ms; target 16 MiB).

pypi_settings() {
	pypi_on=${BENCH_PYPI:-1}
	pypi_upload_mib=${BENCH_PYPI_UPLOAD_MIB:-256}
	case $pypi_on in 0 | 1) ;; *) die "BENCH_PYPI must be 0 or 1, not '$pypi_on'" ;; esac
	case $pypi_upload_mib in '' | *[!0-9]*) die "BENCH_PYPI_UPLOAD_MIB must be a number (0: no upload), not '$pypi_upload_mib'" ;; esac
	[ "$pypi_on" = 0 ] || tools="$tools python3 sha256sum"
}

pypi_pw=bench-pypi-pass
pypi_dists=$out/pypi-dists

# the upload's wheel goes, however the run ends (also run on exit)
pypi_clean() {
	rm -rf "$pypi_dists"
}

# wheels (and sdists) pip could install, built by the tests' own helper;
# $1 the directory, then "big" for a wheel with a <mib> MiB stored member
pypi_make() { # dir first-version count [big mib version]
	python3 - "$root/tests/e2e" "$@" <<'PY'
import os, sys, zipfile
sys.path.insert(0, sys.argv[1])
from pypi_dists import make_sdist, make_wheel
d, first, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(d, exist_ok=True)
for v in range(first, first + count):
    make_wheel(d, "nb-bench", "1.%d" % v, summary="the bench project")
    make_sdist(d, "nb-bench", "1.%d" % v, summary="the bench project")
if len(sys.argv) > 5:
    mib, ver = int(sys.argv[6]), sys.argv[7]
    w = make_wheel(d, "nb-bench", ver, summary="the bench project")
    with zipfile.ZipFile(w, "a", zipfile.ZIP_STORED) as z, z.open("nb_bench/data.bin", "w",
                                                                  force_zip64=True) as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
PY
}

pypi_prepare() {
	export NESTBOX_PYPI__ROOT_PASSWORD=bench-root-pass
	t0=$(date +%s.%N)
	pypi_make "$pypi_dists/page" 0 19 big 1 1.19 >>"$out/init.log" 2>&1 ||
		{ cat "$out/init.log" >&2; die "making the bench wheels failed"; }
	{ echo "$pypi_pw" | "$ctl" pypi user add bench &&
		"$ctl" pypi index create bench/dev volatile=False &&
		"$ctl" pypi upload bench/dev "$pypi_dists"/page/*; } >>"$out/init.log" 2>&1 ||
		{ cat "$out/init.log" >&2; die "nestboxctl pypi could not fill bench/dev"; }
	pypi_whl=nb_bench-1.19-py3-none-any.whl
	pypi_sha=$(sha256sum "$pypi_dists/page/$pypi_whl" | cut -d' ' -f1)
	echo "pypi:     bench/dev holds nb-bench in 20 versions ($(find "$pypi_dists/page" -type f | wc -l) files)," \
		"made and uploaded in $(since "$t0") s"
}

# bench_one's check of the Python index bodies
pypi_check() { # name body
	case $1 in
	pypi-page-html)
		grep -q "$pypi_whl#sha256=$pypi_sha" "$2" || bad="$bad no link to $pypi_whl with its sha256;" ;;
	pypi-page-json)
		grep -q "\"$pypi_sha\"" "$2" && grep -q '"meta"' "$2" ||
			bad="$bad not the PEP 691 page with $pypi_whl's sha256;" ;;
	pypi-file)
		[ "$(sha256sum <"$2" | cut -d' ' -f1)" = "$pypi_sha" ] || bad="$bad not $pypi_whl's bytes;" ;;
	esac
}

pypi_run() {
	[ "$pypi_on" = 1 ] || return 0
	echo
	echo "== Python index (pypi.fcgi)"
	t_pypi=$(date +%s.%N)
	pypi_results=$out/pypi-results.tsv
	results_saved=$results
	results=$pypi_results
	: >"$results"
	bench_check=pypi_check
	page=/pypi/bench/dev/+simple/nb-bench/
	json=application/vnd.pypi.simple.v1+json
	printf 'header = "Accept: %s"\n' "$json" >"$out/pypi-json.curl"
	bench_one "pypi project page (HTML)" pypi-page-html "$page" 32
	bench_one "pypi project page (JSON)" pypi-page-json "$page" 32 "$out/pypi-json.curl" \
		"$root/bench/pypi.lua" "$json"
	bench_one "pypi file download (1 MiB wheel)" pypi-file \
		"/pypi/bench/dev/+f/$(echo "$pypi_sha" | cut -c1-3)/$(echo "$pypi_sha" | cut -c4-16)/$pypi_whl" 8
	bench_check=:
	echo
	report_table "$results"
	echo "targets: project pages (sent static) and the file >= 0.9 of /static"
	cat "$results" >>"$results_saved"
	results=$results_saved
	[ "$pypi_upload_mib" = 0 ] || pypi_upload
	bench_note_children
	echo "pypi section: $(since "$t_pypi") s"
}

# samples the VmRSS of every pypi.fcgi every 50 ms into $2 ("pid KiB") until $1 exists
pypi_rss_sampler() { # stop-file samples
	while [ ! -e "$1" ]; do
		for p in $(pids_of pypi.fcgi); do
			awk -v p="$p" '/^VmRSS:/ { print p, $2 }' "/proc/$p/status" 2>/dev/null || true
		done >>"$2"
		sleep 0.05
	done
}

# one twine-shaped upload of a big wheel: throughput and pypi.fcgi's peak RSS
pypi_upload() {
	avail=$(df -Pk "$out" | awk 'NR == 2 { print $4 }')
	need=$((pypi_upload_mib * 1024 * 7 / 2 + 262144))
	if [ "${avail:-0}" -lt "$need" ]; then
		echo "pypi upload: skipped, $(mib "$avail") MiB free under build/bench, $(mib "$need") MiB needed"
		return 0
	fi
	pypi_make "$pypi_dists/up" 0 0 big "$pypi_upload_mib" 2.0 >>"$out/init.log" 2>&1 ||
		{ bench_fail "making the $pypi_upload_mib MiB wheel (build/bench/init.log)"; return 0; }
	whl=$pypi_dists/up/nb_bench-2.0-py3-none-any.whl
	size=$(stat -c %s "$whl")
	sha=$(sha256sum "$whl" | cut -d' ' -f1)
	rss0=$(for p in $(pids_of pypi.fcgi); do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done |
		sort -n | tail -n 1)
	stopf=$out/pypi-rss.stop samples=$out/pypi-upload-rss.txt
	rm -f "$stopf" "$samples"
	pypi_rss_sampler "$stopf" "$samples" &
	sampler=$!
	set -- $(curl -sS -u "bench:$pypi_pw" -H 'Expect:' -o "$out/pypi-upload.out" \
		-w '%{http_code} %{time_total}' --max-time 900 \
		-F name=nb-bench -F version=2.0 -F filetype=bdist_wheel -F pyversion=py3 \
		-F metadata_version=2.1 -F ":action=file_upload" -F protocol_version=1 \
		-F "sha256_digest=$sha" -F "content=@$whl;type=application/octet-stream" \
		"$base/pypi/bench/dev/" 2>>"$out/curl.log" || echo "000 0")
	code=$1 took=$2
	touch "$stopf"
	wait "$sampler" 2>/dev/null || true
	alive "the pypi upload"
	peak=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$samples" 2>/dev/null)
	nsamp=$(wc -l <"$samples" 2>/dev/null || echo 0)
	hwm=$(for p in $(pids_of pypi.fcgi); do awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"; done |
		sort -n | tail -n 1)
	echo
	echo "pypi upload: one $(mib $((size / 1024))) MiB wheel, twine's multipart form with Basic auth"
	if [ "$code" = 200 ]; then
		rate=$(awk -v b="$size" -v t="$took" 'BEGIN { printf "%.1f", (t > 0 ? b / t / 1048576 : 0) }')
		met=$(awk -v k="$peak" 'BEGIN { print ((k > 0 && k <= 16384) ? "met" : "NOT met") }')
		printf '  %-24s %s\n' "wall time (curl)" \
			"$took s, $rate MiB/s (lighttpd takes the whole body before pypi.fcgi reads it)"
		printf '  %-24s %s\n' "pypi.fcgi peak VmRSS" \
			"$(mib "$peak") MiB, target 16 MiB $met ($nsamp samples every 50 ms; $(mib "$rss0") MiB before)"
		printf '  %-24s %s\n' "pypi.fcgi VmHWM" "$(mib "${hwm:-}") MiB (whole life)"
	else
		bench_fail "the pypi upload answered HTTP $code: $(head -c 300 "$out/pypi-upload.out" 2>/dev/null)"
	fi
	rm -rf "$pypi_dists/up"
}

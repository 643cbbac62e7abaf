# bench/ota.sh - the MicroPython OTA updater suite of `make bench` (sourced
# by bench/bench.sh after bench/lib.sh; BENCH_OTA=0 skips it).
#
# ota_prepare publishes a release of 200 small files and a 64 KiB one
# (acme/app v1, with its manifest) with nestboxctl; ota_run measures what
# a board asks on every check and on an update, each next to the two
# ceilings serving the very same bytes:
#   releases/latest              the stable channel's check (a store lookup,
#                                the board seen, its rollout decided)
#   git/ref/tags/v1              the tag -> commit step of every check
#   git/trees/<commit>?recursive the file list in tree mode (read from git)
#   raw file by tag, by commit   immutable: X-Sendfile, sent by lighttpd
# git/ref/tags and the recursive tree are files lighttpd sends itself
# (<state>/ota-static, written at publish: src/ota/ota_static.c) when
# server.base_url is set (ota_prepare sets it to $base); releases/latest stays with
# ota.fcgi (a board's rollout).  ota_publish_time prints how long
# publishing a 1,000-file release takes when one file changed (target:
# under a second).
# Targets (issue 10, not asserted): API answers >= 0.8 of the zero-work
# FastCGI ceiling, raw files >= 0.9 of the static one.  Raw files pass
# through ota.fcgi (a token check and the board inventory count each one)
# before lighttpd sends the bytes (X-Sendfile): their rate is bounded by
# the FastCGI hop, so compare them with /zero too.  The requests carry
# the board's headers (Accept, User-Agent ota-updater) through a curl
# config and a wrk script.

ota_settings() {
	ota_on=${BENCH_OTA:-1}
	case $ota_on in 0 | 1) ;; *) die "BENCH_OTA must be 0 or 1, not '$ota_on'" ;; esac
}

ota_commit=
ota_prepare() {
	# static answers are written only with server.base_url (their links are
	# absolute): the URL wrk asks, so every answer has the same bytes (set
	# here, after bench_state_init cleared inherited overrides, before
	# lighttpd starts)
	export NESTBOX_SERVER__BASE_URL="$base"
	src=$out/ota-src
	rm -rf "$src"
	mkdir -p "$src/lib"
	i=0
	while [ $i -lt 200 ]; do
		printf 'X%d = %d\n' "$i" "$i" >"$src/lib/m$i.py"
		i=$((i + 1))
	done
	printf "print('bench')\n" >"$src/main.py"
	head -c 65536 /dev/urandom >"$src/lib/blob.bin"
	"$ctl" ota publish --repo acme/app --tag v1 "$src" >"$out/ota-publish.log" 2>&1 ||
		{ cat "$out/ota-publish.log" >&2; die "publishing the OTA release failed"; }
	# "published acme/app v1 at <commit>: ..."
	ota_commit=$(sed -n 's/^published acme\/app v1 at \([0-9a-f]\{40\}\):.*/\1/p' \
		"$out/ota-publish.log")
	[ ${#ota_commit} = 40 ] || die "no commit in what 'nestboxctl ota publish' said"
	rm -rf "$src"
	printf 'header = "Accept: application/vnd.github+json"\nheader = "User-Agent: ota-updater"\n' \
		>"$out/ota-api.curl"
	cat >"$out/ota.lua" <<'LUA'
wrk.headers["Accept"] = "application/vnd.github+json"
wrk.headers["User-Agent"] = "ota-updater"
LUA
	echo "ota:      acme/app v1 published (202 files), commit $ota_commit"
	ota_publish_time
}

# milliseconds since the epoch
ota_ms() { date +%s%3N; }

# Publishes acme/big v1 (1,000 files), changes one and times v2's publish.
ota_publish_time() {
	src=$out/ota-big
	rm -rf "$src"
	mkdir -p "$src/lib"
	i=0
	while [ $i -lt 1000 ]; do
		printf 'B%d = "%s"\n' "$i" "$i-$$" >"$src/lib/b$i.py"
		i=$((i + 1))
	done
	"$ctl" ota publish --repo acme/big --tag v1 "$src" >"$out/ota-big.log" 2>&1 ||
		{ cat "$out/ota-big.log" >&2; die "publishing the 1,000-file release failed"; }
	printf 'B7 = "changed"\n' >"$src/lib/b7.py"
	t0=$(ota_ms)
	"$ctl" ota publish --repo acme/big --tag v2 "$src" >>"$out/ota-big.log" 2>&1 ||
		{ cat "$out/ota-big.log" >&2; die "publishing the changed release failed"; }
	t1=$(ota_ms)
	rm -rf "$src"
	ota_publish_ms=$((t1 - t0))
	echo "ota:      publishing a 1,000-file release with one file changed: $ota_publish_ms ms" \
		"(target < 1000 ms)"
}

# bench_one's check of the OTA bodies
ota_check() { # name body
	case $1 in
	ota-latest) grep -q '"tag_name":"v1"' "$2" || bad="$bad not release v1;" ;;
	ota-ref) grep -q "\"sha\":\"$ota_commit\"" "$2" || bad="$bad not the commit of v1;" ;;
	ota-tree) grep -q '"path":"lib/blob.bin"' "$2" || bad="$bad lib/blob.bin not in the tree;" ;;
	ota-raw-*) [ "$(wc -c <"$2")" = 65536 ] || bad="$bad not the 65536-byte file;" ;;
	esac
}

ota_run() {
	[ "$ota_on" = 1 ] || return 0
	saved_results=$results
	results=$out/ota-results.tsv
	: >"$results"
	bench_check=ota_check
	api=/ota/api/repos/acme/app
	bench_one "OTA releases/latest" ota-latest "$api/releases/latest" 32 \
		"$out/ota-api.curl" "$out/ota.lua"
	bench_one "OTA git/ref/tags/v1" ota-ref "$api/git/ref/tags/v1" 32 \
		"$out/ota-api.curl" "$out/ota.lua"
	bench_one "OTA git/trees (202 files, recursive)" ota-tree \
		"$api/git/trees/$ota_commit?recursive=1" 32 "$out/ota-api.curl" "$out/ota.lua"
	bench_one "OTA raw file by tag (64 KiB)" ota-raw-tag /ota/raw/acme/app/v1/lib/blob.bin 32
	bench_one "OTA raw file by commit (64 KiB)" ota-raw-commit \
		"/ota/raw/acme/app/$ota_commit/lib/blob.bin" 32
	bench_check=:
	results=$saved_results
	bench_note_children
	echo
	echo "== MicroPython OTA updater (targets: API >= 0.8 of /zero, raw files >= 0.9 of /static)"
	report_table "$out/ota-results.tsv"
	echo "publishing 1,000 files, one changed: $ota_publish_ms ms (target < 1000 ms)"
}

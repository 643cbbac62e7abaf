#!/bin/sh
# fuzz.sh [SECONDS] - builds the libFuzzer targets tests/fuzz/fuzz_<name>.c
# and runs each for SECONDS (default 30).  Seeds come from
# tests/fuzz/corpus/<name>/ (read only), a dictionary from tests/fuzz/<name>.dict.
# Everything written goes under build-fuzz/: the working corpora in
# build-fuzz/corpus/<name>/, logs in build-fuzz/<name>.log, crash inputs in
# build-fuzz/crash/.  Prints "<name> <runs> runs OK|FAILED" per target and
# exits 1 if any target failed to build or crashed.
set -u
secs=${1:-30}
cd "$(dirname "$0")/.." || exit 1
out=build-fuzz
cc=clang
pkgs="fcgi sqlite3 yaml-0.1 libcjson libcrypto libzstd libargon2 libcurl libarchive libconfig libsquashfs1 inih libgit2 libpq"
# -fno-sanitize-recover: a UBSan report must stop the run like an ASan one
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -std=c17 -D_GNU_SOURCE -Wall -Wextra $san $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lpthread"
mkdir -p "$out/obj" "$out/crash" || exit 1

# clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev)
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (apt-get install clang)" >&2; exit 1; }
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
	"$cc" -fsanitize=fuzzer -x c - -o "$out/probe" 2>/dev/null || {
	echo "fuzz: $cc cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)" >&2
	exit 1
}

# The project's sources, instrumented, in one archive (never build/ objects).
rm -f "$out"/obj/*.o "$out/libnestbox-fuzz.a"
for src in src/lib/*.c src/core/*.c src/mkbox/*.c src/log/*.c src/admin/*.c src/mip/*.c src/ddi/*.c \
	src/ota/*.c src/pypi/*.c; do
	obj=$out/obj/$(echo "${src#src/}" | tr / _).o
	$cc $cflags -c -o "$obj" "$src" || exit 1
done
ar rcs "$out/libnestbox-fuzz.a" "$out"/obj/*.o || exit 1

status=0
for f in tests/fuzz/fuzz_*.c; do
	name=${f##*/fuzz_}
	name=${name%.c}
	bin=$out/fuzz_$name
	log=$out/$name.log
	if ! $cc $cflags -o "$bin" "$f" "$out/libnestbox-fuzz.a" $libs; then
		echo "$name 0 runs FAILED (build)"
		status=1
		continue
	fi
	# seeds are copied: libFuzzer adds what it finds to the working corpus
	mkdir -p "$out/corpus/$name"
	[ -d "tests/fuzz/corpus/$name" ] && cp -f "tests/fuzz/corpus/$name"/* "$out/corpus/$name/"
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
	"$bin" -max_total_time="$secs" -timeout=10 -artifact_prefix="$out/crash/$name-" \
		$dict "$out/corpus/$name" >"$log" 2>&1
	rc=$?
	# runs from libFuzzer's final "Done N runs", else its last "#N" status line
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "$name ${runs:-0} runs OK"
	else
		echo "$name ${runs:-0} runs FAILED (exit $rc, log $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)|Test unit written to' "$log"
		status=1
	fi
done
exit $status

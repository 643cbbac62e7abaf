#!/bin/sh
# mutants.sh - the mutation check (`make mutants`): each tests/mutants/*.patch
# breaks one property users rely on; the tests named in its header must
# catch it.  The patches are applied one at a time to a copy of the tree
# (tracked and untracked files, never the working tree itself), which is
# built once and rebuilt incrementally per patch.
#
# A patch file starts with header lines, then the diff (git apply skips
# the text before it):
#   # property: what the patch breaks
#   # test: a shell command run in the copy; it must fail on the patch
# and may hold several "# test:" lines (each must fail).  Every test
# command is first run on the unpatched copy, where it must pass: a test
# that fails anyway proves nothing.  Adding a mutant is dropping a file.
#
# Usage: sh scripts/mutants.sh [patch...]     (default: tests/mutants/*.patch)
# With MUTANTS_LOGS=dir, each patch's build and test output is kept in
# dir/<patch>.log, to check that a mutant was killed for the right reason.
# Prints one line per patch (killed, SURVIVED, BROKEN) and a total; exits 1
# unless every patch was killed.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestbox-mutants.XXXXXX")
COPY="$WORK/tree"
LOG="$WORK/log"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

if [ $# -eq 0 ]; then
	set -- "$ROOT"/tests/mutants/*.patch
fi

mkdir -p "$COPY"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -t "$COPY" 2>/dev/null)
cd "$COPY" || exit 2
export NESTBOX_CGIBIN="$COPY/cgi-bin" NESTBOX_BINDIR="$COPY/bin" PYTHON

# the header lines named key, without the "# key: " prefix
header() {
	sed -n "/^diff --git /q; s/^# $2: //p" "$1"
}

# runs every test command of a patch; prints how many failed.  With
# "baseline", commands that passed on the unpatched tree before are skipped.
run_tests() {
	failed=0
	header "$1" test > "$WORK/tests"
	while IFS= read -r cmd; do
		if [ "$2" = baseline ] && grep -qxF -- "$cmd" "$WORK/passed"; then
			continue
		fi
		if sh -c "$cmd" >> "$LOG" 2>&1 < /dev/null; then
			[ "$2" = baseline ] && printf '%s\n' "$cmd" >> "$WORK/passed"
		else
			failed=$((failed + 1))
		fi
	done < "$WORK/tests"
	echo "$failed"
}
: > "$WORK/passed"

echo "building a copy of the tree in $COPY"
if ! make -s -j"$JOBS" all > "$LOG" 2>&1; then
	cat "$LOG"
	echo "the unpatched tree does not build" >&2
	exit 2
fi

killed=0 survived=0 broken=0 total=0
for p in "$@"; do
	name=$(basename "$p" .patch)
	total=$((total + 1))
	ntests=$(header "$p" test | wc -l)
	: > "$LOG"
	if [ "$ntests" -eq 0 ] || ! git apply --check "$p" 2>> "$LOG"; then
		echo "BROKEN    $name: no '# test:' line, or the patch does not apply"
		broken=$((broken + 1))
		continue
	fi
	# the previous patch was undone: rebuild before the baseline runs
	if ! make -s -j"$JOBS" all >> "$LOG" 2>&1; then
		cat "$LOG"
		echo "the unpatched tree no longer builds" >&2
		exit 2
	fi
	if [ "$(run_tests "$p" baseline)" -ne 0 ]; then
		echo "BROKEN    $name: a test fails without the patch (see below)"
		tail -20 "$LOG"
		broken=$((broken + 1))
		continue
	fi
	git apply "$p"
	if ! make -s -j"$JOBS" all >> "$LOG" 2>&1; then
		echo "BROKEN    $name: the patched tree does not build"
		broken=$((broken + 1))
	else
		f=$(run_tests "$p" mutant)
		if [ "$f" -eq "$ntests" ]; then
			echo "killed    $name ($f of $ntests tests fail): $(header "$p" property)"
			killed=$((killed + 1))
		else
			echo "SURVIVED  $name (only $f of $ntests tests fail): $(header "$p" property)"
			survived=$((survived + 1))
		fi
	fi
	git apply -R "$p" || { echo "cannot undo $name" >&2; exit 2; }
	[ -n "${MUTANTS_LOGS:-}" ] && mkdir -p "$MUTANTS_LOGS" && cp "$LOG" "$MUTANTS_LOGS/$name.log"
done
echo "mutants: $killed of $total killed, $survived survived, $broken broken"
[ "$killed" -eq "$total" ]

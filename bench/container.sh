# bench/container.sh - the container suite of `make bench` (sourced by
# bench/bench.sh after bench/lib.sh; last, after the others).
#
# The same rows measured twice in one run: against this build behind the
# bench's lighttpd, and against the image of the Containerfile (built here
# on scripts/container-base.sh's Debian 12 base, layers cached), with the
# same four images imported into its volume.  The container runs with
# --network host on 127.0.0.1:$BENCH_CONTAINER_PORT (default 8099) so that
# what is compared is the container (its libraries, lighttpd, the
# programs), not podman's port forwarding.  Printed: each row's rate
# outside and inside and their ratio; the target is >= 0.9.
#
# BENCH_CONTAINER=0 skips; without a working podman (or not root) the suite
# says why and is skipped.

container_podman="podman --runtime runc --cgroup-manager=cgroupfs"
container_limits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
container_image=localhost/nestbox:bench
container_name=
container_volume=

container_settings() {
	container_on=${BENCH_CONTAINER:-1}
	container_port=${BENCH_CONTAINER_PORT:-8099}
	case $container_port in '' | *[!0-9]*) die "BENCH_CONTAINER_PORT must be a number, not '$container_port'" ;; esac
}

# why the suite cannot run here, or nothing
container_problem() {
	[ "$container_on" != 0 ] || { echo "BENCH_CONTAINER=0"; return; }
	[ "$(id -u)" = 0 ] || { echo "podman runs here need root"; return; }
	command -v podman >/dev/null 2>&1 || { echo "podman not installed (make deps)"; return; }
	$container_podman info >/dev/null 2>&1 || { echo "podman does not work on this machine"; return; }
}

container_stop() {
	[ -z "$container_name" ] || $container_podman rm -f "$container_name" >/dev/null 2>&1 || true
	[ -z "$container_volume" ] || $container_podman volume rm -f "$container_volume" >/dev/null 2>&1 || true
	container_name= container_volume=
}

# the image, its volume with the bench's images, the container answering
container_start() {
	base_img=$(sh "$root/scripts/container-base.sh" --runtime runc --cgroup-manager=cgroupfs \
		2>"$out/container-base.log" | tail -n 1) ||
		{ tail -n 5 "$out/container-base.log" >&2; return 1; }
	# shellcheck disable=SC2086
	$container_podman build --format docker $container_limits --build-arg "BASE=$base_img" \
		-f "$root/Containerfile" -t "$container_image" "$root" >"$out/container-build.log" 2>&1 ||
		{ tail -n 5 "$out/container-build.log" >&2; return 1; }
	container_volume=nestbox-bench-$$
	container_name=nestbox-bench-$$
	$container_podman volume create "$container_volume" >/dev/null
	mkdir -p "$out/container-input"
	head -c 65536 /dev/urandom >"$out/container-input/small.img"
	# shellcheck disable=SC2086
	$container_podman run --rm $container_limits -v "$container_volume:/var/lib/nestbox" \
		-v "$out/container-input:/input:ro" "$container_image" \
		sh -c 'nestboxctl init >/dev/null &&
			nestboxctl image import /input/small.img --box benchbox --board x86 --branch master --version 1 &&
			nestboxctl image import /input/small.img --box benchbox --board arm --branch master --version 1 &&
			nestboxctl image import /input/small.img --box smallbox --board x86 --branch master --version 3 &&
			nestboxctl image import /input/small.img --box smallbox --board x86 --branch main --version 2' \
		>"$out/container-init.log" 2>&1 || { cat "$out/container-init.log" >&2; return 1; }
	# shellcheck disable=SC2086
	$container_podman run -d --name "$container_name" $container_limits --network host \
		-e NESTBOX_HOST=127.0.0.1 -e NESTBOX_PORT="$container_port" \
		-v "$container_volume:/var/lib/nestbox" "$container_image" >/dev/null 2>&1
	i=0
	until curl -fs -o /dev/null "http://127.0.0.1:$container_port/healthz"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { $container_podman logs "$container_name" >&2; return 1; }
		sleep 0.1
	done
	container_build=$(curl -fs "http://127.0.0.1:$container_port/list" |
		awk '$1 == "benchbox/benchbox-x86-master-1" { print $2 }')
	[ -n "$container_build" ] || container_build=unknown
}

# one row: wrk on the same path outside and inside
container_one() { # label outside-path inside-path conns
	for where in outside inside; do
		case $where in
		outside) url=$base$2 ;;
		inside) url=http://127.0.0.1:$container_port$3 ;;
		esac
		w=$out/wrk-container-$where-$(echo "$1" | tr -c 'a-z0-9' '-').txt
		wrk -t2 -c"$4" -d1s --timeout 10s "$url" >/dev/null 2>&1 || true
		wrk -t2 -c"$4" -d"${secs}s" --timeout 10s --latency "$url" >"$w" 2>&1 ||
			echo "bench: wrk failed on $url (see $w)" >&2
		set -- "$@" "$(wrk_stats "$w")"
	done
	# $5 and $6: "rps p99 errors n" outside and inside
	echo "$5|$6" | awk -F '|' -v lab="$1" '{
		split($1, o, " "); split($2, c, " ")
		printf "%-40s %10s %10s %7.2f %6d\n", lab, o[1], c[1], (o[1] > 0 ? c[1] / o[1] : 0), o[3] + c[3]
	}'
}

container_run() {
	echo
	echo "== the container (Containerfile) beside this build outside it"
	why=$(container_problem)
	if [ -n "$why" ]; then
		echo "skipped: $why"
		return 0
	fi
	if ! container_start; then
		bench_fail "the container did not start (see build/bench/container-*.log)"
		container_stop
		return 0
	fi
	size=$($container_podman image inspect --format '{{.Size}}' "$container_image")
	echo "image:    $container_image, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB"
	printf '%-40s %10s %10s %7s %6s\n' row "outside" "container" ratio errors
	container_one /list /list /list 32
	container_one "/update/B/I/<buildID> (no update)" \
		"/update/benchbox/benchbox-x86-master-1/$mkbox_build" \
		"/update/benchbox/benchbox-x86-master-1/$container_build" 32
	container_one /log/echo /log/echo /log/echo 32
	container_one /healthz /healthz /healthz 32
	echo "(req/s; ratio = container / outside, target >= 0.9; the container's /list has"
	echo " the same four images; wrk -t2 -c32, ${secs}s each, both on this machine)"
	container_stop
}

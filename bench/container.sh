# bench/container.sh - the container suite of `make bench` (sourced by
# bench/bench.sh after bench/lib.sh; last, after the others).
#
# The same rows measured twice in one run: against this build behind the
# bench's lighttpd, and against the image of the Containerfile (built here
# on scripts/container-base.sh's Debian 12 base with --layers=false, and
# removed at the end with all the run made but that base), with the
# same four images imported into its volume.  The container runs with
# --network host on 127.0.0.1:$BENCH_CONTAINER_PORT (default 8099) so that
# what is compared is the container (its libraries, lighttpd, the
# programs), not podman's port forwarding.  Each row is measured in
# BENCH_CONTAINER_ROUNDS (default 5) interleaved rounds (container_one);
# printed: each side's median rate, the median round ratio and the range of
# the round ratios, each side's CPU per request; the target is >= 0.9.
# Before the rows: what the container runs with beside the outside build
# (container_describe); each row first checks that both sides give the
# same answer (container_same), or it is not measured.  The rows: /list,
# the update check, /log/echo, /healthz and a plain file of htdocs (what
# lighttpd alone costs on each side for a static answer).
#
# Run alone (the container rows, and mkbox's table they follow):
#   BENCH_MIP=0 BENCH_DDI=0 BENCH_PYPI=0 BENCH_OTA=0 BENCH_ADMIN=0 \
#   BENCH_APACHE=0 BENCH_PG=0 BENCH_MKBOX_IMAGES=0 make bench
# BENCH_CONTAINER=0 skips; without a working podman (or not root) the suite
# says why and is skipped.  Both sides are scheduled alike by default
# (BENCH_CONTAINER_CGROUP=beside, container_cgroup_beside): the outside
# server runs for the rows in a cgroup next to the container's, so a row
# compares the container, not the CPU share the kernel gives podman's
# cgroups on a loaded machine; BENCH_CONTAINER_CGROUP=own leaves it where it
# was, to see that share.  BENCH_CONTAINER_RUN_ARGS adds options to the
# measured container's `podman run`, to attribute a difference (e.g.
# "--security-opt seccomp=unconfined": for measuring only, never for
# serving); printed above the rows.

container_podman="podman --runtime runc --cgroup-manager=cgroupfs"
container_limits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
container_image=
container_built=
container_name=
container_published=
container_volume=
container_pid=
container_hz=100

container_settings() {
	container_on=${BENCH_CONTAINER:-1}
	container_port=${BENCH_CONTAINER_PORT:-8099}
	container_rounds=${BENCH_CONTAINER_ROUNDS:-5}
	container_starts=${BENCH_CONTAINER_STARTS:-3}
	case $container_starts in '' | *[!0-9]*) die "BENCH_CONTAINER_STARTS must be a number, not '$container_starts'" ;; esac
	case $container_port in '' | *[!0-9]*) die "BENCH_CONTAINER_PORT must be a number, not '$container_port'" ;; esac
	case $container_rounds in '' | 0 | *[!0-9]*) die "BENCH_CONTAINER_ROUNDS must be a positive number, not '$container_rounds'" ;; esac
	# the tag names this source tree: podman's images are the machine's, and
	# another tree's bench building at the same time must not replace it
	container_image=localhost/nestbox:bench-$(printf '%s' "$root" | sha256sum | cut -c1-10)
	container_cgroup=${BENCH_CONTAINER_CGROUP:-beside}
	container_run_args=${BENCH_CONTAINER_RUN_ARGS:-}
	case $container_cgroup in own | beside) ;; *) die "BENCH_CONTAINER_CGROUP must be own or beside, not '$container_cgroup'" ;; esac
}

# why the suite cannot run here, or nothing
container_problem() {
	[ "$container_on" != 0 ] || { echo "BENCH_CONTAINER=0"; return; }
	[ "$(id -u)" = 0 ] || { echo "podman runs here need root"; return; }
	command -v podman >/dev/null 2>&1 || { echo "podman not installed (make deps)"; return; }
	$container_podman info >/dev/null 2>&1 || { echo "podman does not work on this machine"; return; }
}

container_stop() {
	container_cgroup_back
	for c in $container_name $container_published; do
		$container_podman rm -f "$c" >/dev/null 2>&1 || true
	done
	[ -z "$container_volume" ] || $container_podman volume rm -f "$container_volume" >/dev/null 2>&1 || true
	# the image goes too: built with --layers=false, nothing else of the
	# build is left (the Debian base of scripts/container-base.sh stays)
	[ -z "$container_built" ] || $container_podman rmi -f "$container_image" >/dev/null 2>&1 || true
	container_name= container_published= container_volume= container_built=
}

# the image, its volume with the bench's images, the container answering
container_start() {
	base_img=$(sh "$root/scripts/container-base.sh" --runtime runc --cgroup-manager=cgroupfs \
		2>"$out/container-base.log" | tail -n 1) ||
		{ tail -n 5 "$out/container-base.log" >&2; return 1; }
	# shellcheck disable=SC2086
	container_built=1
	$container_podman build --format docker --layers=false $container_limits --build-arg "BASE=$base_img" \
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
		$container_run_args -e NESTBOX_HOST=127.0.0.1 -e NESTBOX_PORT="$container_port" \
		-v "$container_volume:/var/lib/nestbox" "$container_image" >/dev/null 2>&1
	i=0
	until curl -fs -o /dev/null "http://127.0.0.1:$container_port/healthz"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { $container_podman logs "$container_name" >&2; return 1; }
		sleep 0.1
	done
	# the container's lighttpd as the host sees it (the entry point execs it)
	container_pid=$($container_podman inspect --format '{{.State.Pid}}' "$container_name")
	container_hz=$(getconf CLK_TCK)
	# the inside image's buildID, as the outside row uses its own: the
	# "no update" row must ask both sides the same question (/list names
	# the images only)
	container_build=$($container_podman exec "$container_name" \
		nestboxctl image list benchbox-x86-master-1 | awk 'NR == 1 { print $2 }')
	[ -n "$container_build" ] || { echo "bench: no buildID for benchbox-x86-master-1 in the container" >&2; return 1; }
}

# The directory of the cgroup that schedules pid's CPU time (cgroup v1's
# cpu controller, else v2's unified tree), or nothing.
container_cgroup_dir() { # pid
	awk -F: '$2 ~ /(^|,)cpu(,|$)/ { v1 = $3 } $1 == 0 && $2 == "" { v2 = $3 }
	END { if (v1 != "") print "v1 " v1; else if (v2 != "") print "v2 " v2 }' "/proc/$1/cgroup" 2>/dev/null |
		while read -r v path; do
			case $v in
			v1) for m in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct; do
				[ -d "$m$path" ] && { echo "$m$path"; break; }
			done ;;
			*) [ -d "/sys/fs/cgroup$path" ] && echo "/sys/fs/cgroup$path" ;;
			esac
		done
}

# BENCH_CONTAINER_CGROUP=beside (the default), so that a row compares the
# container and not the scheduler's shares: the outside server
# (lighttpd and every process it started) is moved for the suite into a
# cgroup of its own next to the container's, so that both sides are
# scheduled alike.  podman puts every container in one parent cgroup
# (cgroupfs: libpod_parent), which the kernel weighs as one task against
# each process outside it; on a busy machine the container then gets a
# fraction of the CPU the same server outside gets, answers fewer requests
# per wake-up and spends more CPU per request (measured at load 28-40 with
# the outside server in the root cgroup: a static file 2.5 times the
# container's rate, 37 against 44 us of CPU each; beside it, 38 against 43,
# the run's noise).  Moved back by container_stop.
container_moved_from= container_moved_to=
container_cgroup_beside() {
	cg=$(container_cgroup_dir "$container_pid")
	container_moved_from=$(container_cgroup_dir "$lpid")
	[ -n "$cg" ] && [ -n "$container_moved_from" ] || { echo "cgroups:  cannot find the cpu cgroups: not moved"; return 0; }
	container_moved_to=${cg%/*}/nestbox-bench-outside-$$
	mkdir "$container_moved_to" || { container_moved_to=; return 0; }
	for p in $lpid $(ps -o pid= --ppid "$lpid"); do
		echo "$p" >"$container_moved_to/cgroup.procs" || true
	done
}

container_cgroup_back() {
	[ -n "$container_moved_to" ] || return 0
	for p in $(cat "$container_moved_to/cgroup.procs" 2>/dev/null); do
		echo "$p" >"$container_moved_from/cgroup.procs" 2>/dev/null || true
	done
	rmdir "$container_moved_to" 2>/dev/null || true
	container_moved_to=
}

# What the container runs with, beside the same for the build outside: the
# things that may make it cost more per request (the runtime and its
# seccomp filter, the cgroups it is put in, the file systems the files
# are served from, the user, lighttpd's version and modules).
container_describe() {
	info=$($container_podman info --format \
		'{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}|{{.Host.CgroupsVersion}} {{.Host.CgroupManager}}|{{.Store.GraphDriverName}}|{{.Host.Security.SECCOMPEnabled}} {{.Host.Security.SECCOMPProfilePath}}' \
		2>/dev/null | tr '\n' ' ')
	in_lighttpd=$($container_podman exec "$container_name" lighttpd -v 2>&1 | head -n 1)
	in_user=$($container_podman exec "$container_name" id -un)
	in_root=$(tr '\0' '\n' <"/proc/$container_pid/environ" | sed -n 's/^NESTBOX_ROOT=//p')
	in_fs=$($container_podman exec "$container_name" sh -c \
		'for d in / /var/lib/nestbox /dev/shm; do awk -v d=$d '"'"'$5 == d { print d "=" $(NF - 2) }'"'"' /proc/self/mountinfo | tail -n 1; done' |
		tr '\n' ' ')
	in_seccomp=$(awk '/^Seccomp:/ { print ($2 == 2 ? "filter" : $2 == 0 ? "none" : $2) }' "/proc/$container_pid/status")
	in_nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$container_pid/limits")
	in_mods=$(container_modules "$container_pid")
	out_mods=$(container_modules "$lpid")
	out_fs=$(df --output=fstype "$state" 2>/dev/null | tail -n 1)
	echo "podman:   $($container_podman --version | awk '{ print $NF }'); runtime, cgroups, storage, seccomp: $(echo "$info" | sed 's/|/; /g')"
	echo "inside:   $in_lighttpd as $in_user; seccomp $in_seccomp; nofile $in_nofile; file systems ${in_fs% }"
	echo "          (the state on the volume; htdocs and the Lua scripts in $in_root; the programs on the image's $(echo "$in_fs" | sed -n 's|^/=\([^ ]*\).*|\1|p'))"
	[ -z "$container_run_args" ] ||
		echo "          run with BENCH_CONTAINER_RUN_ARGS: $container_run_args (measuring only)"
	echo "outside:  $(lighttpd -v 2>&1 | head -n 1) as $(id -un); state on $out_fs"
	echo "cgroups:  inside $(container_cgroup_dir "$container_pid"); outside $(container_cgroup_dir "$lpid")" |
		sed 's|/sys/fs/cgroup||g'
	if [ "$in_mods" = "$out_mods" ]; then
		echo "modules:  the same lighttpd modules loaded on both sides: $in_mods"
	else
		echo "modules:  inside: $in_mods"
		echo "          outside: $out_mods"
	fi
}

# What one system call costs more inside, where podman's seccomp filter
# checks each (runc installs it; the kernel runs it on every call of the
# container's processes): dd copying $n single bytes (2n calls of read and
# write) outside, in the image as the rows run it, and in the image without
# the filter (seccomp=unconfined, measured here only), three times each in
# turn; printed: the median CPU nanoseconds per call of each.  The rows'
# requests make 8 (a static file) to 40 (/healthz) calls on either side
# (strace -c -f on both servers: the same calls, none made inside only).
container_syscall_cost() {
	n=2000000
	dd_cpu='dd if=/dev/zero of=/dev/null bs=1 count='$n' 2>/dev/null; awk "{ print \$16 + \$17 }" /proc/$$/stat'
	: >"$out/container-syscalls.txt"
	for r in 1 2 3; do
		o=$(sh -c "$dd_cpu")
		# shellcheck disable=SC2086
		i=$($container_podman run --rm $container_limits --network host $container_run_args \
			--entrypoint sh "$container_image" -c "$dd_cpu" 2>/dev/null)
		# shellcheck disable=SC2086
		u=$($container_podman run --rm $container_limits --network host \
			--security-opt seccomp=unconfined --entrypoint sh "$container_image" -c "$dd_cpu" 2>/dev/null)
		echo "${o:-0} ${i:-0} ${u:-0}" >>"$out/container-syscalls.txt"
	done
	awk -v n="$n" -v hz="$container_hz" '
	function median(a,   t) {
		if (a[1] > a[2]) { t = a[1]; a[1] = a[2]; a[2] = t }
		if (a[2] > a[3]) { t = a[2]; a[2] = a[3]; a[3] = t }
		if (a[1] > a[2]) { t = a[1]; a[1] = a[2]; a[2] = t }
		return a[2] * 1e9 / hz / (2 * n)
	}
	{ o[NR] = $1; i[NR] = $2; u[NR] = $3 }
	END {
		mo = median(o); mi = median(i); mu = median(u)
		printf "syscalls: %.0f ns of CPU a call outside, %.0f inside, %.0f inside without seccomp:", mo, mi, mu
		printf " the filter %+.0f ns a call (dd, 2 x %d calls, median of 3)\n", mi - mu, n
	}' "$out/container-syscalls.txt"
}

# the lighttpd modules a running lighttpd has loaded (its memory map)
container_modules() { # pid
	awk '$6 ~ /\/mod_[a-z_]*\.so$/ { n = split($6, p, "/"); sub(/\.so$/, "", p[n]); print p[n] }' \
		"/proc/$1/maps" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Both sides must give the same answer to the row's question, or the row
# compares two different works: the status and the size of the body.
container_same() { # label outside-path inside-path
	o=$(fetch "$(container_url outside "$2" "$3")" "$out/container-same.out")
	i=$(fetch "$(container_url inside "$2" "$3")" "$out/container-same.in")
	rm -f "$out/container-same.out" "$out/container-same.in"
	set -- "$1" $o $i
	# /healthz names each side's own paths and tools: its size may differ
	[ "$1" != /healthz ] || set -- "$1" "$2" "$3" "$4" "$5" "$3"
	if [ "$2" != 200 ] || [ "$2" != "$5" ] || [ "$3" != "$6" ]; then
		bench_fail "container row $1: outside HTTP $2, $3 bytes; inside HTTP $5, $6 bytes"
		return 1
	fi
}

# One row, measured fairly on a machine shared with other work: after a
# 1 s warm-up of each side, $container_rounds rounds of one wrk run on each
# side back to back (the order alternating from round to round, so neither
# side always runs first), the same wrk threads and connections on both.
# Printed: the median rate of each side, the median of the rounds' own
# ratios (each round's two runs saw the same load on the machine), the
# lowest and highest round ratio (how noisy the row was), and the median
# CPU time each side's server spent per 1000 requests (container_ticks).
# The rates depend on how the kernel shares the CPU: podman puts the
# container in a cgroup of its own under one parent for every container,
# which the scheduler weighs as ONE task against every task outside it, so
# on a loaded machine the container gets less CPU than the same server
# outside gets.  The CPU per request depends on it less, but not nothing: a
# server given less CPU answers fewer requests per wake-up and pays the
# wake-ups and context switches over fewer requests (measured: the outside
# server moved into a cgroup beside the container's spent 5-20 % more CPU
# per request), hence the default BENCH_CONTAINER_CGROUP=beside, which
# schedules both alike.
container_one() { # label outside-path inside-path conns
	container_same "$1" "$2" "$3" || return 0
	tag=$(echo "$1" | tr -c 'a-z0-9' '-')
	for where in outside inside; do
		wrk -t2 -c"$4" -d1s --timeout 10s "$(container_url "$where" "$2" "$3")" >/dev/null 2>&1 || true
	done
	rows=$out/container-rounds-$tag.txt
	: >"$rows"
	r=1
	while [ "$r" -le "$container_rounds" ]; do
		case $((r % 2)) in 1) order="outside inside" ;; *) order="inside outside" ;; esac
		for where in $order; do
			case $where in outside) pid=$lpid ;; *) pid=$container_pid ;; esac
			w=$out/wrk-container-$where-$tag-$r.txt
			t0=$(container_ticks "$pid")
			wrk -t2 -c"$4" -d"${secs}s" --timeout 10s --latency \
				"$(container_url "$where" "$2" "$3")" >"$w" 2>&1 ||
				echo "bench: wrk failed on $where $2 (see $w)" >&2
			grep -q 'requests in' "$w" ||
				echo "bench: wrk gave no result on $where $2, round $r (see $w): the round is left out" >&2
			t1=$(container_ticks "$pid")
			echo "$r $where $(wrk_stats "$w") $((t1 - t0))" >>"$rows"
		done
		r=$((r + 1))
	done
	# rows: "round side rps p99 errors n ticks"
	awk -v lab="$1" -v hz="$container_hz" '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		rate[$1, $2] = $3; err += $5; if ($1 > rounds) rounds = $1
		cpu[$1, $2] = $6 > 0 ? $7 * 1000 / hz * 1000 / $6 : 0
	}
	# a round counts only when both of its runs gave a result (a wrk run
	# that printed nothing is no rate of 0, and its ratio would be 0 too)
	END {
		lo = -1; k = 0
		for (r = 1; r <= rounds; r++) {
			if (rate[r, "outside"] <= 0 || rate[r, "inside"] <= 0)
				continue
			k++
			o[k] = rate[r, "outside"]; c[k] = rate[r, "inside"]; q[k] = c[k] / o[k]
			if (lo < 0 || q[k] < lo) lo = q[k]
			if (q[k] > hi) hi = q[k]
			oc[k] = cpu[r, "outside"]; cc[k] = cpu[r, "inside"]
		}
		if (k == 0) {
			printf "%-36s no round gave both sides a result (build/bench/wrk-container-*)\n", lab
			exit
		}
		mo = median(oc, k); mc = median(cc, k)
		printf "%-36s %8.0f %8.0f %6.2f %5.2f-%-5.2f %7.1f %7.1f %6.2f %5d%s\n", lab,
			median(o, k), median(c, k), median(q, k), lo, hi,
			mo, mc, (mc > 0 ? mo / mc : 0), err,
			k < rounds ? sprintf("  (%d of %d rounds: a run gave no result)", k, rounds) : ""
	}' "$rows"
}

# CPU time (user + system, in clock ticks) so far of pid and every process
# below it: lighttpd, the FastCGI programs it spawned, the log pump
container_ticks() { # pid
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	{
		pid = $1
		sub(/^.*\) /, "")	# past "(comm) ": the name may hold blanks
		parent[pid] = $2; t[pid] = $12 + $13
	}
	END {
		for (p in t) {
			for (q = p; q != "" && q != root && q > 1; q = parent[q]) {}
			if (q == root) sum += t[p]
		}
		print sum + 0
	}'
}

# One start of the stopped container name: "podman-ms first-ms", the
# milliseconds `podman start` took (the runtime, and the network when a
# port is published) and those until url first answered 200; nothing when
# it did not answer within 30 s.  Polled every 20 ms.
container_first_answer() { # name url
	t0=$(date +%s%N)
	$container_podman start "$1" >/dev/null 2>&1 || return 0
	t1=$(date +%s%N)
	i=0
	until curl -fs -o /dev/null "$2"; do
		i=$((i + 1))
		[ $i -lt 1500 ] || return 0
		sleep 0.02
	done
	t2=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(((t2 - t0) / 1000000))"
}

# The issue's "first answer within 3 s of start": the bench's container
# (host network, as the rows run it) stopped and started again
# $container_starts times, then as often a container on the same volume
# that publishes its port (-p 127.0.0.1:<port + 1>:8080, how the README
# runs it: podman's CNI bridge, its iptables rules and port mapping are
# set up at every start).  Printed for each: the median, lowest and
# highest seconds from `podman start` to the first 200 of /healthz, and
# the median of the part `podman start` itself took.
container_starts_run() {
	[ "$container_starts" -gt 0 ] || return 0
	published_port=$((container_port + 1))
	container_published=nestbox-bench-p-$$
	# shellcheck disable=SC2086
	$container_podman create --name "$container_published" $container_limits \
		-p "127.0.0.1:$published_port:8080" -v "$container_volume:/var/lib/nestbox" \
		"$container_image" >/dev/null 2>&1 || { bench_fail "cannot create the published container"; return 0; }
	for how in host published; do
		case $how in
		host) c=$container_name url="http://127.0.0.1:$container_port/healthz" ;;
		*) c=$container_published url="http://127.0.0.1:$published_port/healthz" ;;
		esac
		: >"$out/container-starts-$how.txt"
		n=1
		while [ "$n" -le "$container_starts" ]; do
			$container_podman stop -t 20 "$container_name" "$container_published" >/dev/null 2>&1 || true
			t=$(container_first_answer "$c" "$url")
			[ -n "$t" ] || { bench_fail "the container ($how) did not answer within 30 s of start"; break; }
			echo "$t" >>"$out/container-starts-$how.txt"
			n=$((n + 1))
		done
		pm=$(sort -n "$out/container-starts-$how.txt" | awk '{ p[NR] = $1 } END { print p[int((NR + 1) / 2)] + 0 }')
		sort -n -k2 "$out/container-starts-$how.txt" | awk -v how="$how" -v pm="$pm" '
			{ f[NR] = $2 }
			END {
				if (NR == 0) exit
				m = int((NR + 1) / 2)
				printf "%-36s %5.2f s (%.2f-%.2f, %d starts; podman start %.2f s)\n",
					how == "host" ? "  host network (the rows above)" : "  -p 127.0.0.1:port:8080",
					f[m] / 1000, f[1] / 1000, f[NR] / 1000, NR, pm / 1000
			}'
	done
	$container_podman stop -t 20 "$container_published" >/dev/null 2>&1 || true
}

container_url() { # outside|inside outside-path inside-path
	case $1 in
	outside) echo "$base$2" ;;
	*) echo "http://127.0.0.1:$container_port$3" ;;
	esac
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
	echo "image:    $container_image, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB (target < 100 MB)"
	[ "$size" -lt 100000000 ] || bench_fail "the image is $size bytes, not under 100 MB"
	[ "$container_cgroup" = own ] || container_cgroup_beside
	container_describe
	container_syscall_cost
	printf '%-36s %8s %8s %6s %11s %7s %7s %6s %5s\n' row outside inside ratio "ratio range" \
		"cpu out" "cpu in" "cpu" errors
	container_one /list /list /list 32
	container_one "/update/B/I/<buildID> (no update)" \
		"/update/benchbox/benchbox-x86-master-1/$mkbox_build" \
		"/update/benchbox/benchbox-x86-master-1/$container_build" 32
	container_one /log/echo /log/echo /log/echo 32
	container_one /healthz /healthz /healthz 32
	# a plain file of htdocs: lighttpd's own cost for a static answer on
	# each side, apart from nestbox's logic
	container_one "/static/nestbox.css (a plain file)" /static/nestbox.css /static/nestbox.css 32
	echo "(outside, inside: req/s, the median of $container_rounds interleaved rounds of ${secs}s a side;"
	echo " ratio: the median of the rounds' inside / outside rates, range: the lowest and"
	echo " highest round; cpu out, cpu in: the server's CPU ms per 1000 requests (lighttpd,"
	echo " the programs, the log pump), cpu: out / in.  Target >= 0.9.  The rates depend"
	echo " on the CPU share the kernel gives each side's cgroup on a loaded machine"
	echo " (load now: $(cut -d' ' -f1-3 /proc/loadavg)), and so does the CPU per request, less"
	echo " (fewer requests per wake-up); cgroups: $(
		[ "$container_cgroup" = own ] && echo "each side its own (BENCH_CONTAINER_CGROUP=beside: alike)" ||
			echo "the outside server beside the container's (BENCH_CONTAINER_CGROUP=own: where it was)")."
	echo " Both sides: SQLite, the same lighttpd.conf (max-procs 2 a program), the same four"
	echo " images, the same answers (status and size checked), wrk -t2 -c32 on this machine)"
	echo "first answer: podman start to /healthz 200 (target 3 s; load now: $(cut -d' ' -f1-3 /proc/loadavg)):"
	container_starts_run
	container_stop
}

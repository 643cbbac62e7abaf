#!/bin/sh
# Installs the Debian packages nestbox builds, runs and tests with.  As root
# it runs apt-get for whatever is missing; otherwise it names them and fails.
#
#   deps.sh              build + run + test (`make deps`, `make test`)
#   deps.sh --run        build + run only (`make run`: no test toolchain)
#   deps.sh --build-list | --run-list | --test-list
#                        print that list, one package a line, and exit
#                        (the Containerfile's build stage reads --build-list)
set -e
# what compiles the programs and nestboxctl
build="build-essential pkg-config
libfcgi-dev libsqlite3-dev libyaml-dev libcjson-dev libssl-dev libzstd-dev libargon2-dev
libcurl4-openssl-dev libarchive-dev libconfig-dev libsquashfs-dev libinih-dev libgit2-dev
libpq-dev"
# what `make run` needs besides: the front end (the -dev packages above
# bring the shared libraries; libcurl is opened at run time)
run="lighttpd lighttpd-modules-lua curl"
# the test toolchain: unit tests, sanitizers, the other front end, the real
# clients the end-to-end tests drive, the browser, make deb, PostgreSQL and
# psycopg2 (the e2e suite on a PostgreSQL store reads it as nb.db()), strace
# (what a program fsyncs inside a library, test_reliability.py)
test="clang libclang-rt-14-dev libcmocka-dev
apache2 libapache2-mod-fcgid libapache2-mod-xsendfile
python3 python3-pytest python3-pip twine zstd tar cpio coreutils wrk sqlite3 chromium
swupdate openssl util-linux rauc squashfs-tools git strace
debhelper dpkg-dev fakeroot postgresql python3-psycopg2"
# the container image is built and run by tests/e2e/test_container.py, the
# compose deployment by test_compose.py (its services find each other by
# name through CNI's dnsname plugin)
test="$test podman runc debootstrap podman-compose golang-github-containernetworking-plugin-dnsname"

mode=all
case "${1:-}" in
--build-list) printf '%s\n' $build; exit 0 ;;
--run-list) printf '%s\n' $build $run; exit 0 ;;
--test-list) printf '%s\n' $test; exit 0 ;;
--run) mode=run ;;
"") ;;
*) echo "usage: deps.sh [--run | --build-list | --run-list | --test-list]" >&2; exit 2 ;;
esac

pkgs="$build $run"
if [ $mode = all ]; then
	pkgs="$pkgs $test"
	# node and npm drive the browser test; Debian's packages unless some are present
	command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
# playwright-core (from npm) drives Debian's chromium; it downloads no browser
browser_deps() {
	[ $mode = all ] || return 0
	dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
	[ -d "$dir/node_modules/playwright-core" ] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

# s3rver (from npm) is the S3 stand-in tests/e2e/test_s3.py starts on loopback
s3_deps() {
	[ $mode = all ] || return 0
	dir=$(cd "$(dirname "$0")/../tests/s3" && pwd)
	[ -d "$dir/node_modules/s3rver" ] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

if [ -z "$missing" ]; then
	browser_deps
	s3_deps
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "nestbox: missing Debian packages:$missing" >&2
	echo "nestbox: run 'sudo make deps' (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "nestbox: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# the packaged apache2 and lighttpd services are not used: do not start them
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.nestbox
chmod 755 /usr/sbin/policy-rc.d.nestbox
if [ ! -e /usr/sbin/policy-rc.d ]; then
	mv /usr/sbin/policy-rc.d.nestbox /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
else
	rm -f /usr/sbin/policy-rc.d.nestbox
fi
apt-get install -y -qq --no-install-recommends $missing >&2
browser_deps
s3_deps

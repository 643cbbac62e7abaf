#!/bin/sh
# Installs the Debian packages nestbox builds, tests and runs with.  As root
# it runs apt-get for whatever is missing; otherwise it names them and fails.
set -e
pkgs="build-essential pkg-config clang libclang-rt-14-dev
libfcgi-dev libsqlite3-dev libyaml-dev libcjson-dev libssl-dev libzstd-dev libargon2-dev
libcurl4-openssl-dev libarchive-dev libconfig-dev libcmocka-dev
lighttpd apache2 libapache2-mod-fcgid libapache2-mod-xsendfile
python3 python3-pytest python3-pip twine curl zstd tar cpio coreutils wrk sqlite3 chromium
swupdate openssl util-linux
libsquashfs-dev libinih-dev rauc squashfs-tools libgit2-dev git"
# the container image is built and run by tests/e2e/test_container.py
pkgs="$pkgs podman runc debootstrap podman-compose"

# `deps.sh --build-list`: the packages that compile the programs, one a line
# (the Containerfile's build stage installs these, not the test tools)
if [ "${1:-}" = "--build-list" ]; then
	printf '%s\n' $pkgs | grep -E -e '^(build-essential|pkg-config)$' -e '-dev$' |
		grep -v -E '^(libclang-rt-.*|libcmocka-dev)$'
	exit 0
fi

# node and npm drive the browser test; Debian's packages unless some are present
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

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
	dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
	[ -d "$dir/node_modules/playwright-core" ] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

if [ -z "$missing" ]; then
	browser_deps
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

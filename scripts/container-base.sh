#!/bin/sh
# Makes a Debian 12 base image for the Containerfile without a registry:
# `debootstrap --variant=minbase bookworm` from this machine's Debian
# mirror, slimmed as the official debian:bookworm-slim is (no docs, man
# pages, locales or apt caches), then `podman import`ed.  Prints the tag.
#
#   sh scripts/container-base.sh [podman global options...]
#
# Cached: the image is tagged localhost/nestbox-base:bookworm-<key>, where
# <key> hashes this script and the mirror; a second call with both
# unchanged does nothing.  One base is kept: making a new one removes the
# older nestbox-base images (those no container uses) and their root file
# system tars; the tar, made under $NESTBOX_CONTAINER_CACHE (default
# /var/tmp/nestbox-container), goes once imported.  Runs as root
# (debootstrap needs it).
set -e
cache="${NESTBOX_CONTAINER_CACHE:-/var/tmp/nestbox-container}"

# the machine's Debian mirror and security mirror, from apt's sources
# (deb822 .sources or one-line .list), else Debian's own
mirror_of() {
	suite=$1
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$suite" '
		/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) print u }
		/^$/ { u = "" }' | head -n 1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' | grep .
}
mirror=$(mirror_of bookworm || echo http://deb.debian.org/debian)
security=$(mirror_of bookworm-security || true)

key=$({ cat "$0"; echo "$mirror $security"; } | sha256sum | cut -c1-16)
tag="localhost/nestbox-base:bookworm-$key"
if podman "$@" image exists "$tag"; then
	echo "$tag"
	exit 0
fi
mkdir -p "$cache"
tarball="$cache/base-bookworm-$key.tar"
if [ ! -s "$tarball" ]; then
	root=$(mktemp -d "$cache/rootfs.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
	{
		echo "deb $mirror bookworm main"
		echo "deb $mirror bookworm-updates main"
		[ -z "$security" ] || echo "deb $security bookworm-security main"
	} > "$root/etc/apt/sources.list"
	# what the official slim image leaves out, now and on every later install
	cat > "$root/etc/dpkg/dpkg.cfg.d/nestbox-slim" <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/locale/*
	EOF
	cat > "$root/etc/apt/apt.conf.d/nestbox-slim" <<-'EOF'
	APT::Install-Recommends "false";
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	EOF
	find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
		"$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
	tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
fi
podman "$@" import --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >&2
rm -f "$tarball"
# the older bases: their tars, and their images unless a container uses one
rm -f "$cache"/base-bookworm-*.tar "$cache"/base-bookworm-*.tar.tmp
podman "$@" images --format '{{.Repository}}:{{.Tag}}' localhost/nestbox-base |
	grep -vxF "$tag" | while read -r old; do
		podman "$@" rmi "$old" >/dev/null 2>&1 || echo "kept $old (in use)" >&2
	done
echo "$tag"

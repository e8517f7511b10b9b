#!/usr/bin/env bash
# Builds busybox as upstream configures it (`make defconfig`, as the official busybox image
# does: docker-library/busybox Dockerfile.builder) from Debian's unpatched orig tarball, and
# installs the binary at $1 (default /opt/podnet/busybox-upstream/busybox). Debian's own
# busybox package uses another config (its nc has no -z/-v), so the probes must be checked
# against both. Needs deb-src for Debian's archive: added here in a private apt state
# directory, leaving the system's sources untouched.
set -euo pipefail
dest=${1:-/opt/podnet/busybox-upstream/busybox}
[ -x "$dest" ] && exit 0
work=$(mktemp -d /tmp/podnet-busybox-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
printf 'deb-src http://deb.debian.org/debian %s main\n' "$codename" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
apt-get "${apt_opts[@]}" update -qq
( cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq busybox )
tar -C "$work" -xjf "$work"/busybox_*.orig.tar.bz2
src=$(find "$work" -maxdepth 1 -type d -name 'busybox-*' | head -1)
( cd "$src" && make defconfig >/dev/null && make -j"$(nproc)" busybox >/dev/null 2>&1 )
grep -q '^CONFIG_NC_110_COMPAT=y' "$src/.config"
install -D -m 0755 "$src/busybox" "$dest"
"$dest" nc --help 2>&1 | grep -q -- '-z' 
echo "upstream busybox (defconfig) at $dest"

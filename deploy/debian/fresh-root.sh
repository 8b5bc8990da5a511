#!/usr/bin/env bash
# Makes a minimal Debian 12 root (debootstrap --variant=minbase, apt lists
# fetched) at DIR, unless DIR already holds one:
#   bash deploy/debian/fresh-root.sh DIR [MIRROR]
# The package test installs into a throw-away overlay on it, and the
# container script imports it as the base image. Needs root and debootstrap;
# about a minute and 200 MB, once per DIR.
set -euo pipefail
DIR=$1
MIRROR=${2:-http://deb.debian.org/debian}
[ ! -f "$DIR.ok" ] || exit 0
[ "$(id -u)" = 0 ] || { echo "fresh-root: needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-root: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

# Built beside DIR and renamed into place, and DIR.ok marks it done, so a
# half-made root is never used.
rm -rf "$DIR.tmp"
mkdir -p "$(dirname "$DIR")"
debootstrap --variant=minbase bookworm "$DIR.tmp" "$MIRROR" >"$DIR.log" 2>&1 ||
	{ tail -n 20 "$DIR.log" >&2; echo "fresh-root: debootstrap failed" >&2; exit 1; }
cp /etc/resolv.conf "$DIR.tmp/etc/resolv.conf"
chroot "$DIR.tmp" apt-get update >>"$DIR.log" 2>&1 ||
	{ tail -n 20 "$DIR.log" >&2; echo "fresh-root: apt-get update failed" >&2; exit 1; }
rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"
touch "$DIR.ok"

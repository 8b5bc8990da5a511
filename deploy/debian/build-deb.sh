#!/usr/bin/env bash
# Builds the Debian package from this checkout:
#   bash deploy/debian/build-deb.sh [BUILD_DIR]      (default: build-deb)
# A Release build with Debian's hardening flags (dpkg-buildflags, as
# dpkg-buildpackage would set them), then CPack's DEB generator. Prints the
# path of the .deb. Needs the Quick start's packages, help2man (the man
# page), and file and dpkg-dev (CPack's dpkg-shlibdeps run).
set -euo pipefail
for t in cmake help2man file dpkg-shlibdeps dpkg-buildflags; do
	command -v "$t" >/dev/null || { echo "build-deb: $t not found: apt-get install cmake help2man file dpkg-dev" >&2; exit 1; }
done
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-deb}

LOG=$BUILD/build-deb.log
mkdir -p "$BUILD"

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
# The man page's date is the changelog's, not today's (as dpkg-buildpackage does).
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$SRC/deploy/debian/changelog" -STimestamp)
export SOURCE_DATE_EPOCH
# CMake does not read CPPFLAGS (_FORTIFY_SOURCE lives there), so the
# preprocessor flags ride in the C flags, as debhelper does. Passed on the
# command line so that a reused build directory gets them too.
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)

run() { "$@" >>"$LOG" 2>&1 || { cat "$LOG" >&2; echo "build-deb: failed: $*" >&2; exit 1; }; }
: >"$LOG"
run cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags"
run cmake --build "$BUILD" -j"$(nproc)"
rm -f "$BUILD"/package/*.deb
run cpack --config "$BUILD/CPackConfig.cmake"
ls "$BUILD"/package/*.deb

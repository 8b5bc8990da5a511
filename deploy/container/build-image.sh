#!/usr/bin/env bash
# Builds deploy/container/Containerfile with podman, without a registry, into
# podman storage of its own under WORK (shared by deploy/container/check.sh
# and deploy/kubernetes/check.sh):
#   bash deploy/container/build-image.sh WORK IMAGE
# Prints "BASE_SECONDS BUILD_SECONDS". The base image debian:12-slim is a
# debootstrapped Debian 12 root (deploy/debian/fresh-root.sh) imported with
# `podman import`, trimmed as the slim image is (no apt lists, man pages,
# docs or locales); made once per WORK. The build uses vfs storage and chroot
# isolation (this machine's hybrid cgroup setup stops crun). With
# IMAGE_REUSE=1 an IMAGE already in that storage is used as it is (for
# iterating on the checks; it may be older than the source). Needs root,
# podman, debootstrap.
set -euo pipefail
WORK=$1
IMAGE=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
P=(podman --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
mkdir -p "$WORK"
t0=$(date +%s)
bash "$SRC/deploy/debian/fresh-root.sh" "$WORK/bookworm-root"
if ! "${P[@]}" image exists localhost/debian:12-slim; then
	tar -C "$WORK/bookworm-root" --exclude='./var/lib/apt/lists/*' --exclude='./var/cache/apt/*' \
		--exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' --exclude='./usr/share/info/*' \
		--exclude='./usr/share/locale/*' -c . | "${P[@]}" import - localhost/debian:12-slim >/dev/null
fi
t1=$(date +%s)
if [ "${IMAGE_REUSE:-0}" = 1 ] && "${P[@]}" image exists "$IMAGE"; then
	echo "$((t1 - t0)) 0"
	exit 0
fi
"${P[@]}" build --isolation chroot --network host --ignorefile "$SRC/deploy/container/Containerfile.dockerignore" \
	-f "$SRC/deploy/container/Containerfile" -t "$IMAGE" "$SRC" >"$WORK/build.log" 2>&1 ||
	{ tail -n 30 "$WORK/build.log" >&2; echo "build-image: podman build failed" >&2; exit 1; }
t2=$(date +%s)
echo "$((t1 - t0)) $((t2 - t1))"

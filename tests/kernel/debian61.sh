#!/bin/bash
# Manual check (not in ctest: minutes under software emulation, and it fetches
# a kernel package): runs the events collector on Debian 12's own kernel, 6.1,
# booted under qemu. The guest's root is this machine's / shared read-only over
# virtio-9p (so it runs this build and its libraries); tests/kernel/debian61-guest.sh
# runs there and writes its findings to OUT, then powers off.
#   bash tests/kernel/debian61.sh BUILD_DIR SRC_DIR [OUT_DIR]
# BUILD_DIR: a Release build with netstat_exporter and the helpers
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel -j2 --target netstat_exporter sockpop netstat_events churn
#   (churn: for K61_TESTS=live_states)
# Needs root and Debian's packages qemu-system-x86, busybox-static (installed
# here if missing). K61_DIR: scratch directory for the kernel (default
# /var/tmp/netstat-k61); K61_KERNEL: a linux-image-6.1.0-*-amd64-unsigned
# package name (default: the newest apt knows); K61_TESTS="events live_states":
# integration tests to run in the guest too (slow under emulation; LIVE_NS,
# LIVE_BIG, LIVE_ROUNDS, LIVE_CHURN, LIVE_TOLERANCE passed on to live_states),
# each for at most K61_TEST_TIMEOUT seconds (default 900); K61_TIMEOUT: the
# whole guest's (default 1800).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SRC_DIR [OUT_DIR]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
OUT=${3:-$(mktemp -d /var/tmp/netstat-k61-out.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DIR=${K61_DIR:-/var/tmp/netstat-k61}
mkdir -p "$DIR"
[ -x "$BUILD/netstat_exporter" ] || { echo "no $BUILD/netstat_exporter" >&2; exit 1; }
# Found missing only once the guest has booted, minutes from now: say it here.
case " ${K61_TESTS:-} " in *" live_states "*)
	[ -x "$BUILD/tests/churn" ] || { echo "no $BUILD/tests/churn (cmake --build $1 --target churn)" >&2; exit 1; } ;;
esac

if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /bin/busybox ] || [ ! -x /sbin/depmod ]; then
	apt-get install -y -q qemu-system-x86 busybox-static kmod >/dev/null
fi
# The kernel package: downloaded and unpacked, never installed.
PKG=${K61_KERNEL:-$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' |
	awk '{print $1}' | sort -V | tail -1)}
[ -n "$PKG" ] || { echo "apt knows no linux-image-6.1.0-*-amd64-unsigned (apt-get update?)" >&2; exit 1; }
if [ ! -d "$DIR/$PKG" ]; then
	(cd "$DIR" && apt-get download "$PKG" 2>/dev/null)
	dpkg-deb -x "$DIR/$PKG"_*.deb "$DIR/$PKG.tmp"
	mv "$DIR/$PKG.tmp" "$DIR/$PKG"
fi
KVER=$(ls "$DIR/$PKG/lib/modules")
# The guest's modules, at /run/k61/lib/modules (inet_diag, tcp_diag, veth,
# nf_tables... are modules there, loaded on demand by the host's modprobe).
[ -f "$DIR/$PKG/lib/modules/$KVER/modules.dep" ] || /sbin/depmod -b "$DIR/$PKG" "$KVER"
MODS="$DIR/$PKG/lib/modules/$KVER/kernel"

# The initramfs: busybox, the 9p modules (in dependency order), and an init
# that mounts the host's / read-only with tmpfs where the guest writes.
INITRD="$DIR/initrd-$KVER"
rm -rf "$INITRD" && mkdir -p "$INITRD"/{bin,proc,sys,dev,newroot,lib/modules}
cp /bin/busybox "$INITRD/bin/busybox"
# Each module after those it depends on (their .modinfo "depends=").
declare -A LOADED=()
load() {
	local path dep
	[ -z "${LOADED[$1]:-}" ] || return 0
	LOADED[$1]=1
	path=$(find "$MODS" -name "$1.ko" | head -1)
	[ -n "$path" ] || return 0 # built in
	for dep in $(strings -n3 "$path" | sed -n 's/^depends=//p' | tr ',' ' '); do load "$dep"; done
	cp "$path" "$INITRD/lib/modules/"
	echo "$1" >>"$INITRD/lib/modules/order"
}
for m in virtio_pci 9pnet_virtio 9p; do load "$m"; done
cat >"$INITRD/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do
	[ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
o=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o ro,$o hostroot /newroot || { echo "k61: cannot mount the host's /"; poweroff -f; }
for d in tmp run var/tmp; do mount -t tmpfs tmpfs /newroot/$d; done
mkdir -p /newroot/tmp/out
mount -t 9p -o $o out /newroot/tmp/out
mkdir -p /newroot/run/k61/lib/modules
mount -t 9p -o ro,$o kmods /newroot/run/k61/lib/modules
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
. /newroot/tmp/out/env
exec switch_root /newroot /bin/bash "$K61_SRC/tests/kernel/debian61-guest.sh"
INIT
chmod +x "$INITRD/init"
(cd "$INITRD" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$DIR/initrd-$KVER.gz"

rm -f "$OUT"/*
printf 'K61_BUILD=%q\nK61_SRC=%q\nK61_TESTS=%q\nK61_TEST_TIMEOUT=%q\n' "$BUILD" "$SRC" "${K61_TESTS:-}" \
	"${K61_TEST_TIMEOUT:-900}" >"$OUT/env"
for v in LIVE_NS LIVE_BIG LIVE_ROUNDS LIVE_CHURN LIVE_TOLERANCE; do # integration.live_states' sizes
	[ -z "${!v:-}" ] || printf 'export %s=%q\n' "$v" "${!v}" >>"$OUT/env"
done
echo "k61: booting $PKG ($KVER) under qemu (TCG); findings in $OUT" >&2
timeout "${K61_TIMEOUT:-1800}" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 2G -smp 2 \
	-nographic -no-reboot -kernel "$DIR/$PKG/boot/vmlinuz-$KVER" -initrd "$DIR/initrd-$KVER.gz" \
	-append "console=ttyS0 panic=-1 quiet" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$OUT",mount_tag=out,security_model=none,multidevs=remap \
	-virtfs local,path="$DIR/$PKG/lib/modules",mount_tag=kmods,security_model=none,readonly=on \
	</dev/null >"$OUT/console.log" 2>&1 || true
[ -f "$OUT/summary" ] || { echo "k61: the guest wrote no summary; see $OUT/console.log" >&2; tail -30 "$OUT/console.log" >&2; exit 1; }
cat "$OUT/summary"
! grep -q '^FAIL' "$OUT/summary"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 55-maps-cli: the CLI on buffers held by mappings only, through the module
# (issue 14).
#   memfd/shm (rfd-maps produce: both mapped, fds closed):
#     maps-cli-list        `adopt list PID`: two rows held "map", FD "-",
#                          Rss = Pss = the size (every page written)
#     maps-cli-mapped-only `adopt list --mapped-only PID` lists them
#     maps-cli-via         `adopt PID --map ADDR` says "via: kmod (handle)"
#     maps-cli-dump-*      `adopt PID --map ADDR+123 --dump F`, then the
#                          producer SIGKILLed: F is the pattern
#     maps-cli-watch       `adopt watch --maps PID --dump-dir D`, producer
#                          SIGKILLed: D/PID-mapSTART.memfd and .shm are the
#                          pattern (the module's REMOTEFD_WATCH_MAPS)
#     maps-cli-errors      unmapped (ENXIO), the stack (ENODEV, "the stack"),
#                          --via pidfd refused naming the remedies
#   dma-bufs (dmabuf-producer --close-after-map), vgem and udmabuf (udmabuf
#   is absent on 5.10 and 6.1: SKIP, never PASS):
#     maps-cli-EXP-dump    `adopt PID --map ADDR --dump F` equals the tick-K
#                          pattern, also after the producer is SIGKILLed (F
#                          written before; a watch --maps capture after)
#     maps-cli-EXP-list    `adopt list PID`: held "map", Rss = size, Pss =
#                          size (one process maps it)
#     maps-cli-EXP-procfs  --via procfs: refused (a dma-buf cannot be
#                          reopened by path)
#   On 5.10 vgem's mmap swaps vma->vm_file for the GEM object's shmem file
#   ("/drm mm object (deleted)"): no dma-buf mapping exists; adopt must refuse
#   it naming that file (maps-cli-vgem-gem-file), the rest SKIPs.
. /tests/lib.sh

if [ -f /tests/payload.expected ]; then
	if ! grep -qx adopt /tests/payload.expected; then
		echo "SKIP maps-cli: adopt not provided (run with ADOPT_BIN_DIR)"
		exit 0
	fi
	command -v adopt >/dev/null 2>&1 || { echo "FAIL maps-cli: adopt expected in the initramfs but missing"; exit 1; }
fi
ADOPT=${ADOPT:-adopt}
PRODUCER=${DMABUF_PRODUCER:-dmabuf-producer}
SIZE=65536
TICKS=3
T=$(mktemp -d /tmp/maps.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T" /dev/shm/rfd-maps-* 2>/dev/null
}
trap cleanup EXIT

hexadd() { printf '0x%x' $(($1 + $2)); }

# ---- memfd and shm ----
rfd-maps pattern $SIZE >"$T/pattern"
rfd-maps produce $SIZE >"$T/prod.out" &
P=$!
PIDS="$PIDS $P"
if ! wait_line "$T/prod.out" '^pid '; then
	fail "maps-cli: rfd-maps produce did not start"
	exit 1
fi
set -- $(cat "$T/prod.out")
M=$4 S=$6
if "$ADOPT" list "$P" >"$T/list" 2>"$T/err"; then
	rows=$(grep "^$P " "$T/list")
	n=$(echo "$rows" | grep -c ' map ')
	okr=$(echo "$rows" | awk -v s=$SIZE '$2 == "-" && $(NF-1) == s && $NF == s' | wc -l)
	if [ "$n" -eq 2 ] && [ "$okr" -eq 2 ]; then
		pass "maps-cli-list"
	else
		fail "maps-cli-list: want 2 rows held map with Rss = Pss = $SIZE: $(tr '\n' '|' <"$T/list")"
	fi
else
	fail "maps-cli-list: $(cat "$T/err")"
fi
if "$ADOPT" list --mapped-only "$P" >"$T/list2" 2>"$T/err" && grep -q maps-produced "$T/list2" && grep -q "rfd-maps-$P" "$T/list2"; then
	pass "maps-cli-mapped-only"
else
	fail "maps-cli-mapped-only: $(tr '\n' '|' <"$T/list2") $(cat "$T/err")"
fi
if "$ADOPT" "$P" --map "$M" >"$T/show" 2>"$T/err" && grep -q '^via: *kmod (handle)' "$T/show"; then
	pass "maps-cli-via"
else
	fail "maps-cli-via: $(grep -E '^(via|type)' "$T/show" | tr '\n' ' ') $(cat "$T/err")"
fi
"$ADOPT" "$P" --map "$(hexadd "$M" 123)" --dump "$T/m.bin" 2>"$T/err.m"
"$ADOPT" "$P" --map "$(hexadd "$S" 4096)" --dump "$T/s.bin" 2>"$T/err.s"
"$ADOPT" watch --maps "$P" --dump-dir "$T" >"$T/watch.out" 2>"$T/watch.err" &
W=$!
wait_line "$T/watch.out" "^watching" 100
# errors while it lives
out=$("$ADOPT" "$P" --map 0x1000 2>&1)
case "$out" in *"map 0x1000: nothing is mapped at this address (ENXIO)"*) e1=ok ;; *) e1="unmapped: $out" ;; esac
ST=$(awk '/\[stack\]/ { split($1, r, "-"); print "0x" r[1] }' /proc/$P/maps)
out=$("$ADOPT" "$P" --map "$ST" 2>&1)
case "$out" in *"it is the stack (ENODEV)"*) e2=ok ;; *) e2="stack: $out" ;; esac
out=$("$ADOPT" --via pidfd "$P" --map "$M" 2>&1)
case "$out" in *"cannot be reached by pidfd, which takes fds only"*"(EOPNOTSUPP)"*) e3=ok ;; *) e3="pidfd: $out" ;; esac
if [ "$e1$e2$e3" = okokok ]; then pass "maps-cli-errors"; else fail "maps-cli-errors: $e1; $e2; $e3"; fi
kill -9 "$P"
wait "$P" 2>/dev/null
for k in m s; do
	if cmp -s "$T/$k.bin" "$T/pattern"; then
		pass "maps-cli-dump-$k"
	else
		fail "maps-cli-dump-$k: not the pattern ($(wc -c <"$T/$k.bin" 2>/dev/null) bytes): $(cat "$T/err.$k")"
	fi
done
wait "$W"
wm=$T/$P-map${M#0x}.memfd
ws=$T/$P-map${S#0x}.shm
if cmp -s "$wm" "$T/pattern" && cmp -s "$ws" "$T/pattern"; then
	pass "maps-cli-watch"
else
	fail "maps-cli-watch: $(ls "$T" | tr '\n' ' ') $(tr '\n' ' ' <"$T/watch.out") $(cat "$T/watch.err")"
fi
rm -f /dev/shm/rfd-maps-*

# ---- dma-bufs ----
if ! command -v "$PRODUCER" >/dev/null 2>&1; then
	echo "SKIP maps-cli-dmabuf: dmabuf-producer not provided"
	exit 0
fi
for e in vgem udmabuf; do
	case "$e" in
	vgem) present=no; for c in /sys/class/drm/card*; do [ "$(basename "$(readlink "$c/device" 2>/dev/null)")" = vgem ] && present=yes; done ;;
	udmabuf) present=no; [ -c /dev/udmabuf ] && present=yes ;;
	esac
	if [ $present = no ]; then
		case "$e:$KSHORT" in
		udmabuf:5.10|udmabuf:6.1) echo "SKIP maps-cli-$e: kernel $KVER has no $e (CONFIG_UDMABUF off in Debian $KSHORT)" ;;
		*) fail "maps-cli-$e: exporter $e missing on $KVER" ;;
		esac
		continue
	fi
	"$PRODUCER" --exporter $e --close-after-map --count 1 --size $SIZE --ticks $TICKS --interval-ms 50 >"$T/$e.out" 2>"$T/$e.err" &
	D=$!
	PIDS="$PIDS $D"
	if ! wait_line "$T/$e.out" "^stable $TICKS"; then
		fail "maps-cli-$e: producer: $(cat "$T/$e.err")"
		continue
	fi
	A=$(awk '/^pid .* map / { print $4; exit }' "$T/$e.out")
	"$PRODUCER" --expect --size $SIZE --index 0 --tick $TICKS >"$T/$e.expected"
	if [ -n "$(ls -l /proc/$D/fd | grep '/dmabuf:')" ]; then
		fail "maps-cli-$e: the producer still holds a dma-buf fd"
	fi
	if [ "$e" = vgem ] && grep -q '/drm mm object' /proc/$D/maps; then
		# 5.10's vgem mmaps a dma-buf by swapping vma->vm_file for the GEM
		# object's shmem file: the mapping no longer names the dma-buf
		# (maps: "/drm mm object (deleted)"), so nothing here is a dma-buf
		# mapping. adopt must say what it is; the rest cannot apply.
		if "$ADOPT" "$D" --map "$A" >"$T/$e.out5" 2>&1; then
			fail "maps-cli-$e-gem-file: adopted a GEM shmem file as a buffer: $(head -c 300 "$T/$e.out5")"
		elif grep -q "not an adoptable buffer: regular file /drm mm object" "$T/$e.out5"; then
			pass "maps-cli-$e-gem-file: $KVER: refused, naming the GEM object's shmem file"
		else
			fail "maps-cli-$e-gem-file: $(cat "$T/$e.out5")"
		fi
		echo "SKIP maps-cli-$e-dump/list/procfs: kernel $KVER's vgem maps the GEM object's shmem file, not the dma-buf (vma->vm_file swapped at mmap)"
		kill -9 "$D"
		wait "$D" 2>/dev/null
		continue
	fi
	"$ADOPT" "$D" --map "$(hexadd "$A" 4096)" --dump "$T/$e.bin" 2>"$T/$e.derr"
	"$ADOPT" list --json "$D" >"$T/$e.list" 2>"$T/$e.lerr"
	"$ADOPT" --via procfs "$D" --map "$A" >"$T/$e.proc" 2>&1
	"$ADOPT" watch --maps "$D" --dump-dir "$T" >"$T/$e.watch" 2>&1 &
	W=$!
	wait_line "$T/$e.watch" "^watching" 100
	kill -9 "$D"
	wait "$D" 2>/dev/null
	wait "$W"
	cap=$T/$D-map${A#0x}.dmabuf
	if cmp -s "$T/$e.bin" "$T/$e.expected" && cmp -s "$cap" "$T/$e.expected"; then
		pass "maps-cli-$e-dump"
	else
		fail "maps-cli-$e-dump: dump $(wc -c <"$T/$e.bin" 2>/dev/null) bytes, capture $(wc -c <"$cap" 2>/dev/null) bytes, not the tick-$TICKS pattern: $(cat "$T/$e.derr") $(tr '\n' ' ' <"$T/$e.watch")"
	fi
	if grep -q "\"type\":\"dmabuf\"" "$T/$e.list" && grep -q '"held":"map"' "$T/$e.list" &&
		grep -q "\"rss\":$SIZE,\"pss\":$SIZE" "$T/$e.list"; then
		pass "maps-cli-$e-list"
	else
		fail "maps-cli-$e-list: $(head -c 700 "$T/$e.list") $(cat "$T/$e.lerr")"
	fi
	if grep -q "cannot be reopened by path" "$T/$e.proc"; then
		pass "maps-cli-$e-procfs"
	else
		fail "maps-cli-$e-procfs: $(cat "$T/$e.proc")"
	fi
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 59-image: frames as PNG from a V4L2 driver's dma-bufs (issue 21). vivid
# (loaded here: vm/modules.ondemand) captures 640x360 YUYV; rfd-v4l2
# streams one frame into a dma-buf it exported (VIDIOC_EXPBUF) and holds
# it and the video device.
#   image-auto          `adopt P DMABUF --format auto --image F`: exit 0, the
#                       stderr line says the format came from VIDIOC_G_FMT on
#                       the video device's fd, F's IHDR says 640x360 (od: no
#                       decoder in the guest)
#   image-explicit      --format YUYV --size 640x360 --stride (the device's)
#                       writes the same PNG, byte for byte
#   image-not-blank     the PNG is larger than a uniform frame's (vivid draws
#                       colour bars)
#   image-view          --format auto --view (not a terminal: 80x24): a line
#                       of the picture's middle has at least 8 colours (the
#                       bars, their edges blended by the scaling)
#   image-bars          the middle of each of vivid's 8 bars in the view is
#                       within 3 of BT.601 (limited range) on the raw pixel
#   image-auto-memfd    --format auto on a memfd: one line, exit 1, no file
#   image-auto-novideo  --format auto on a dma-buf whose owner holds no video
#                       device (dmabuf-producer, vgem): one line, exit 1
. /tests/lib.sh

if [ -f /tests/payload.expected ]; then
	if ! grep -qx adopt /tests/payload.expected; then
		echo "SKIP image: adopt not provided (run with ADOPT_BIN_DIR)"
		exit 0
	fi
	command -v adopt >/dev/null 2>&1 || { echo "FAIL image: adopt expected in the initramfs but missing"; exit 1; }
fi
T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16-23, big-endian)
png_size() {
	set -- $(od -An -tu1 -j16 -N8 "$1")
	[ $# -eq 8 ] || { echo "?"; return; }
	echo "$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))x$(( ($5 << 24) | ($6 << 16) | ($7 << 8) | $8 ))"
}

if ! load_module vivid 2>"$T/modprobe"; then
	fail "image-auto: vivid: $(cat "$T/modprobe")"
	exit 1
fi
rfd-v4l2 --size 640x360 --format YUYV >"$T/v4l2.out" 2>"$T/v4l2.err" &
PIDS="$PIDS $!"
if ! wait_line "$T/v4l2.out" '^pid ' 300; then
	fail "image-auto: rfd-v4l2 did not stream a frame: $(cat "$T/v4l2.err")"
	exit 1
fi
set -- $(head -n 1 "$T/v4l2.out")
P=$2 VIDEO=$4 DMABUF=$6 W=${10} H=${12} STRIDE=${14} FMT=${16}
if [ "$W" != 640 ] || [ "$H" != 360 ] || [ "$FMT" != YUYV ]; then
	fail "image-auto: vivid gave ${W}x$H $FMT, not 640x360 YUYV: $(head -n 1 "$T/v4l2.out")"
	exit 1
fi
VDEV=$(readlink "/proc/$P/fd/$VIDEO")

adopt "$P" "$DMABUF" --format auto --image "$T/auto.png" >"$T/auto.out" 2>"$T/auto.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(png_size "$T/auto.png")" = 640x360 ] &&
   grep -q "^adopt: pid $P fd $DMABUF: format: YUYV 640x360 stride $STRIDE (VIDIOC_G_FMT on pid $P fd $VIDEO $VDEV)$" "$T/auto.err" &&
   grep -q "^adopt: pid $P fd $DMABUF: 640x360 YUYV frame written to $T/auto.png (PNG, RGB)$" "$T/auto.err"; then
	pass "image-auto"
else
	fail "image-auto: exit $rc, PNG $(png_size "$T/auto.png" 2>/dev/null): $(tr '\n' '|' <"$T/auto.err")"
fi

if adopt "$P" "$DMABUF" --format YUYV --size 640x360 --stride "$STRIDE" --image "$T/explicit.png" 2>"$T/explicit.err" &&
   cmp -s "$T/auto.png" "$T/explicit.png"; then
	pass "image-explicit"
else
	fail "image-explicit: $(tr '\n' '|' <"$T/explicit.err")"
fi

# A uniform 640x360 frame compresses to about 1 KiB; colour bars do not.
bytes=$(wc -c <"$T/auto.png")
if [ "$bytes" -gt 2000 ]; then
	pass "image-not-blank"
else
	fail "image-not-blank: the PNG has $bytes bytes: a blank frame?"
fi

adopt "$P" "$DMABUF" --format auto --view >"$T/view.txt" 2>"$T/view.err"
rc=$?
colours=$(sed -n 12p "$T/view.txt" | grep -o '38;2;[0-9;]*m' | sort -u | wc -l)
if [ $rc -eq 0 ] && [ "$colours" -ge 8 ] && head -n 1 "$T/view.txt" | grep -q "^pid $P fd $DMABUF: dmabuf, YUYV 640x360 stride $STRIDE offset 0 (VIDIOC_G_FMT"; then
	pass "image-view"
else
	fail "image-view: exit $rc, $colours colours on line 12: $(head -n 1 "$T/view.txt") $(cat "$T/view.err")"
fi

# The bars converted as BT.601 (limited range) says, from the raw bytes
# (no ffmpeg in the guest; on the host FrameTests holds the same
# conversion to ffmpeg): the middle cell of each bar on line 12 of the
# view (80 cells of 8 pixels; cell 5 + 10k is inside bar k, away from its
# edges, where the scaling sees one colour) within 3 of the formula on the
# frame's pixel (40 + 80k, 180).
if adopt "$P" "$DMABUF" --dump "$T/raw.yuyv" 2>"$T/raw.err"; then
	bad=""
	k=0
	while [ $k -lt 8 ]; do
		x=$((40 + 80 * k))
		o=$((180 * STRIDE + (x / 2) * 4))
		set -- $(od -An -tu1 -j $o -N 4 "$T/raw.yuyv")
		want=$(awk -v y="$1" -v u="$2" -v v="$4" 'function c(a) { a = int(a + 0.5); return a < 0 ? 0 : a > 255 ? 255 : a }
			BEGIN { yy = 1.164 * (y - 16); printf "%d %d %d", c(yy + 1.596 * (v - 128)), c(yy - 0.392 * (u - 128) - 0.813 * (v - 128)), c(yy + 2.017 * (u - 128)) }')
		got=$(sed -n 12p "$T/view.txt" | awk -v col=$((5 + 10 * k)) '{
			n = split($0, cells, "\342\226\200"); fg = ""
			for (i = 1; i <= col + 1 && i <= n; i++)
				if (match(cells[i], /\033\[38;2;[0-9]+;[0-9]+;[0-9]+m/)) fg = substr(cells[i], RSTART + 7, RLENGTH - 8)
			gsub(";", " ", fg); print fg }')
		ok=$(echo "$want $got" | awk '{ d = 0; for (i = 1; i <= 3; i++) { e = $i - $(i + 3); if (e < 0) e = -e; if (e > d) d = e }; print (NF == 6 && d <= 3) ? 1 : 0 }')
		[ "$ok" = 1 ] || bad="$bad bar $k: want $want, got '$got';"
		k=$((k + 1))
	done
	if [ -z "$bad" ]; then pass "image-bars"; else fail "image-bars:$bad"; fi
else
	fail "image-bars: $(cat "$T/raw.err")"
fi

# auto_refused NAME TENTHS WANT PRODUCER ARGS...: PRODUCER prints
# "pid P fd F" (within TENTHS tenths of a second); then
# `adopt P F --format auto --image` must refuse: exit 1, no file, and one
# stderr line "adopt: pid P fd F: --format auto: WANT" (a grep pattern,
# "@PID@" standing for P).
auto_refused() {
	ar_name=$1 ar_tenths=$2 ar_want=$3
	shift 3
	if ! command -v "$1" >/dev/null 2>&1; then
		fail "$ar_name: $1 missing"
		return
	fi
	"$@" >"$T/$ar_name.out" 2>"$T/$ar_name.err" &
	PIDS="$PIDS $!"
	if ! wait_line "$T/$ar_name.out" '^pid ' "$ar_tenths"; then
		fail "$ar_name: $1 did not start: $(cat "$T/$ar_name.out" "$T/$ar_name.err")"
		return
	fi
	ar_pid=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' "$T/$ar_name.out" | head -n 1)
	ar_fd=$(sed -n 's/.* fd \([0-9]*\).*/\1/p' "$T/$ar_name.out" | head -n 1)
	ar_want=$(echo "$ar_want" | sed "s/@PID@/$ar_pid/g")
	adopt "$ar_pid" "$ar_fd" --format auto --image "$T/$ar_name.png" >"$T/$ar_name.aout" 2>"$T/$ar_name.aerr"
	ar_rc=$?
	if [ $ar_rc -eq 1 ] && [ "$(wc -l <"$T/$ar_name.aerr")" -eq 1 ] && [ ! -e "$T/$ar_name.png" ] &&
	   grep -q "^adopt: pid $ar_pid fd $ar_fd: --format auto: $ar_want$" "$T/$ar_name.aerr"; then
		pass "$ar_name"
	else
		fail "$ar_name: exit $ar_rc: $(tr '\n' '|' <"$T/$ar_name.aerr")"
	fi
}

auto_refused image-auto-memfd 100 'this is a memfd: .*(EINVAL)' memfd-producer
auto_refused image-auto-novideo 200 'pid @PID@ holds no V4L2 capture device .*(ENODEV)' \
	dmabuf-producer --exporter vgem --size 65536

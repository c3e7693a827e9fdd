#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 50-dmabuf: adopting dma-bufs from real exporters (issue #4).
#
# Exporters: vgem (module, both kernels), udmabuf and the system DMA heap
# (built into 6.12, absent from 6.1). For each exporter present:
#   read-kmod/read-pidfd  --via kmod / --via pidfd --dump equals the pattern
#   sync-bracketing       a kprobe event on dma_buf_ioctl sees exactly one
#                         SYNC START|READ / END|READ pair per read
#   describe              --json: type, exporter, name, size, access
#   wait                  --wait reads and says how it waited
#   type-memfd            --type memfd on the dma-buf: refused, "is a dma-buf"
#   procfs                --via procfs: refused with the ENXIO explanation
#   readonly              read-only dma-buf: --writable refused (EACCES, why);
#                         a read-write one maps read-write
#   survives-kill         producer SIGKILLed: a holder's copy and a running
#                         `adopt --follow` still read the last content
#   list                  `adopt list` on a producer of 3 buffers + a holder:
#                         exporter, size, names, sharing, totals
#   udmabuf only: memfd-same-bytes (its memfd and its dma-buf, adopted
#   separately, are equal) and type-dmabuf (--type dmabuf on the memfd).
# An exporter the kernel is expected to have but lacks is a FAIL; one this
# kernel does not build (udmabuf, heap on 6.1) prints SKIP, never PASS.
#
# Needs: adopt and dmabuf-producer in PATH (or $ADOPT, $DMABUF_PRODUCER),
# the remotefd module loaded (for --via kmod), vgem loaded (the harness loads
# the modules listed in vm/modules.list; see vm/README.md).

# In the harness, the binaries come from ADOPT_BIN_DIR (the payload): when
# they were not asked for, every check is a SKIP; asked for but missing, a FAIL.# lib.sh for wait_line and the kernel facts; this scenario reports with
# its own pass/fail/skip NAME REASON (below).
. /tests/lib.sh

if [ -f /tests/payload.expected ]; then
	if ! grep -qx adopt /tests/payload.expected || ! grep -qx dmabuf-producer /tests/payload.expected; then
		echo "SKIP dmabuf: adopt and dmabuf-producer not provided (run with ADOPT_BIN_DIR=dir holding both)"
		exit 0
	fi
	for b in adopt dmabuf-producer; do
		if ! command -v $b >/dev/null 2>&1; then
			echo "FAIL dmabuf: $b expected in the initramfs but missing"
			exit 1
		fi
	done
fi

ADOPT=${ADOPT:-adopt}
PRODUCER=${DMABUF_PRODUCER:-dmabuf-producer}
SIZE=65536
TICKS=3
T=$(mktemp -d /tmp/dmabuf.XXXXXX)
PIDS=""

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "$TRACING" ] && trace_teardown
	rm -rf "$T"
}
trap cleanup EXIT

# start_producer TAG ARGS...: runs dmabuf-producer ARGS until `stable`;
# sets PPID_ (its pid) and leaves its stdout in $T/TAG.out.
start_producer() {
	tag=$1
	shift
	"$PRODUCER" "$@" --size $SIZE --ticks $TICKS --interval-ms 50 >"$T/$tag.out" 2>"$T/$tag.err" &
	PPID_=$!
	PIDS="$PIDS $PPID_"
	if ! wait_line "$T/$tag.out" "^stable $TICKS"; then
		echo "  producer $tag: $(cat "$T/$tag.err")"
		return 1
	fi
	return 0
}

# fd_of TAG INDEX / memfd_of TAG INDEX: the INDEX-th (1-based) fd printed.
fd_of() { grep '^pid ' "$T/$1.out" | sed -n "${2}p" | cut -d' ' -f4; }
memfd_of() { grep '^memfd ' "$T/$1.out" | sed -n "${2}p" | cut -d' ' -f2; }

# expect INDEX FILE: the producer's bytes for buffer INDEX (0-based) at the
# last tick, into FILE.
expect() { "$PRODUCER" --expect --size $SIZE --index "$1" --tick $TICKS >"$2"; }

# refused NAME CMD...: CMD must fail; its stderr is left in $T/err.
refused() {
	name=$1
	shift
	if "$@" >"$T/out" 2>"$T/err"; then
		fail "$name" "succeeded, should have been refused: $(head -c 300 "$T/out")"
		return 1
	fi
	return 0
}

# has NAME FILE STRING: FILE contains STRING, else FAIL with FILE's text.
has() {
	grep -qF -- "$3" "$2" && return 0
	fail "$1" "no '$3' in: $(head -c 400 "$2" | tr '\n' ' ')"
	return 1
}

# json_field FILE KEY: a scalar of a one-line JSON object (string unquoted).
json_field() {
	v=$(sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -1)
	[ -n "$v" ] || v=$(sed -n "s/.*\"$2\":\([^,}\"]*\)[,}].*/\1/p" "$1" | head -1)
	echo "$v"
}

# Which exporters this kernel should have (Debian configs: udmabuf and the
# system heap are built into 6.12 and 7.2, not configured in 5.10 and 6.1).
expected_exporters() {
	case "$KVER" in
	5.10.*|6.1.*) echo vgem ;;
	*) echo vgem udmabuf heap ;;
	esac
}

exporter_present() {
	case "$1" in
	vgem)
		for c in /sys/class/drm/card*; do
			# vgem's card hangs off the platform device "vgem" (no driver link).
			[ "$(basename "$(readlink "$c/device" 2>/dev/null)")" = vgem ] && return 0
		done
		return 1
		;;
	udmabuf) [ -c /dev/udmabuf ] ;;
	heap) [ -c /dev/dma_heap/system ] ;;
	esac
}

exp_name() {
	case "$1" in
	vgem) echo drm ;;
	udmabuf) echo udmabuf ;;
	heap) echo system ;;
	esac
}

# Tracing every DMA_BUF_IOCTL_SYNC (its flags read from the caller's
# struct) with a kprobe event on dma_buf_ioctl, to check the bracketing.
TRACE=/sys/kernel/tracing
SYNC_CMD=0x40086200 # DMA_BUF_IOCTL_SYNC = _IOW('b', 0, struct dma_buf_sync)
trace_setup() {
	[ -f $TRACE/kprobe_events ] || mount -t tracefs nodev $TRACE 2>/dev/null
	[ -f $TRACE/kprobe_events ] || { TRACE_WHY="no tracefs"; return 1; }
	echo '-:rfd_dmabuf/ioctl' >>$TRACE/kprobe_events 2>/dev/null
	if ! echo 'p:rfd_dmabuf/ioctl dma_buf_ioctl cmd=%si:x32 flags=+u0(%dx):x64' >>$TRACE/kprobe_events 2>"$T/trace.err"; then
		TRACE_WHY="kprobe event on dma_buf_ioctl refused: $(cat "$T/trace.err")"
		return 1
	fi
	echo 1 >$TRACE/events/rfd_dmabuf/ioctl/enable
	return 0
}
trace_teardown() {
	[ -d $TRACE/events/rfd_dmabuf ] || return 0
	echo 0 >$TRACE/events/rfd_dmabuf/ioctl/enable
	echo '-:rfd_dmabuf/ioctl' >>$TRACE/kprobe_events
}
# sync_flags: the flags of every DMA_BUF_IOCTL_SYNC `adopt` made since the
# last trace_clear, in order, space separated (0x1 START|READ, 0x5 END|READ).
trace_clear() { echo >$TRACE/trace; }
sync_flags() {
	grep -E '^ *adopt-[0-9]+ ' $TRACE/trace | grep "cmd=$SYNC_CMD" |
		sed 's/.*flags=\(0x[0-9a-f]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//'
}

test_exporter() {
	e=$1
	x=$(exp_name "$e")
	if ! start_producer "$e" --exporter "$e" --count 1; then
		fail "dmabuf-$e-producer" "did not reach tick $TICKS"
		return
	fi
	P=$PPID_
	F=$(fd_of "$e" 1)
	expect 0 "$T/$e.expected"

	# Reading through both in-kernel-sharing backends.
	for via in kmod pidfd; do
		name="dmabuf-$e-read-$via"
		if ! "$ADOPT" --via $via --type dmabuf --dump "$T/$e.$via.bin" "$P" "$F" 2>"$T/err"; then
			fail "$name" "$(cat "$T/err")"
		elif ! cmp -s "$T/$e.$via.bin" "$T/$e.expected"; then
			fail "$name" "bytes differ from the producer's tick-$TICKS pattern ($(wc -c <"$T/$e.$via.bin") bytes read, starting '$(head -n 1 "$T/$e.$via.bin" | head -c 60 | tr -cd ' -~')')"
		else
			pass "$name"
		fi
	done

	# Every CPU read bracketed: one chunk (--dump of $SIZE bytes) is one
	# START|READ then one END|READ; three --follow prints, three pairs.
	name="dmabuf-$e-sync-bracketing"
	if [ -z "$TRACING" ]; then
		skip "$name" "cannot trace DMA_BUF_IOCTL_SYNC here ($TRACE_WHY): not tested"
	else
		trace_clear
		"$ADOPT" --via pidfd --type dmabuf --dump "$T/sync.bin" "$P" "$F" 2>"$T/err"
		dump=$(sync_flags)
		trace_clear
		"$ADOPT" --via pidfd --type dmabuf --follow --interval 0.1 --count 3 "$P" "$F" >"$T/out" 2>"$T/err"
		watch=$(sync_flags)
		if [ "$dump" = "0x1 0x5" ] && [ "$watch" = "0x1 0x5 0x1 0x5 0x1 0x5" ]; then
			pass "$name"
		else
			fail "$name" "DMA_BUF_IOCTL_SYNC flags seen: --dump '$dump' (want '0x1 0x5'), --follow --count 3 '$watch' (want 3 x '0x1 0x5'); $(cat "$T/err")"
		fi
	fi

	# What adopt tells about it.
	name="dmabuf-$e-describe"
	if ! "$ADOPT" --via pidfd --type dmabuf --json "$P" "$F" >"$T/desc" 2>"$T/err"; then
		fail "$name" "$(cat "$T/err")"
	else
		got="type=$(json_field "$T/desc" type) exporter=$(json_field "$T/desc" exporter) name=$(json_field "$T/desc" name) size=$(json_field "$T/desc" size) access=$(json_field "$T/desc" access)"
		want="type=dmabuf exporter=$x name=rfd-$e-0 size=$SIZE access=read-write"
		if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got '$got', want '$want'"; fi
	fi

	# --wait: waits for device writes (none pending here), then reads.
	name="dmabuf-$e-wait"
	if ! "$ADOPT" --via pidfd --wait --json "$P" "$F" >"$T/wait" 2>"$T/err"; then
		fail "$name" "$(cat "$T/err")"
	elif grep -q 'sync_file (DMA_BUF_IOCTL_EXPORT_SYNC_FILE)' "$T/wait" || grep -q 'lacks DMA_BUF_IOCTL_EXPORT_SYNC_FILE' "$T/wait"; then
		pass "$name"
	else
		fail "$name" "the map notes do not say how it waited: $(json_field "$T/wait" map)"
	fi

	# --type memfd on a dma-buf: refused, the actual type named.
	name="dmabuf-$e-type-memfd"
	refused "$name" "$ADOPT" --via pidfd --type memfd "$P" "$F" &&
		has "$name" "$T/err" "is a dma-buf, not a memfd" && pass "$name"

	# --via procfs: the kernel cannot reopen a dma-buf through /proc.
	name="dmabuf-$e-procfs"
	refused "$name" "$ADOPT" --via procfs --type dmabuf "$P" "$F" &&
		has "$name" "$T/err" "cannot be reopened through /proc" && has "$name" "$T/err" "ENXIO" && pass "$name"

	# Read-write on a read-write dma-buf works ...
	name="dmabuf-$e-writable"
	if "$ADOPT" --via pidfd --writable --json "$P" "$F" >"$T/out" 2>"$T/err"; then
		has "$name" "$T/out" '"map":"mapped read-write' && pass "$name"
	else
		fail "$name" "$(cat "$T/err")"
	fi
	# ... and is refused, saying why, on a read-only one.
	name="dmabuf-$e-readonly"
	if [ "$e" = udmabuf ]; then
		skip "$name" "udmabuf always exports read-write: no read-only dma-buf to test"
	elif start_producer "$e-ro" --exporter "$e" --count 1 --readonly; then
		RP=$PPID_
		RF=$(fd_of "$e-ro" 1)
		if refused "$name" "$ADOPT" --via pidfd --type dmabuf --writable "$RP" "$RF" &&
			has "$name" "$T/err" "open read-only" && has "$name" "$T/err" "EACCES"; then
			# Read-only adoption of the same fd still works.
			if "$ADOPT" --via pidfd --type dmabuf --json "$RP" "$RF" >"$T/out" 2>"$T/err"; then
				has "$name" "$T/out" '"access":"read-only"' && pass "$name"
			else
				fail "$name" "read-only adoption failed: $(cat "$T/err")"
			fi
		fi
		kill -9 "$RP" 2>/dev/null
	else
		fail "$name" "read-only producer did not start"
	fi

	# udmabuf: the memfd behind it and the dma-buf, adopted separately.
	if [ "$e" = udmabuf ]; then
		M=$(memfd_of "$e" 1)
		name="dmabuf-udmabuf-memfd-same-bytes"
		if ! "$ADOPT" --via pidfd --type memfd --dump "$T/memfd.bin" "$P" "$M" 2>"$T/err"; then
			fail "$name" "$(cat "$T/err")"
		elif ! cmp -s "$T/memfd.bin" "$T/$e.pidfd.bin"; then
			fail "$name" "the memfd's bytes differ from the dma-buf's"
		elif ! cmp -s "$T/memfd.bin" "$T/$e.expected"; then
			fail "$name" "the memfd's bytes differ from the pattern"
		else
			pass "$name"
		fi
		name="dmabuf-udmabuf-type-dmabuf"
		refused "$name" "$ADOPT" --via pidfd --type dmabuf "$P" "$M" &&
			has "$name" "$T/err" "is a memfd, not a dma-buf" && pass "$name"
	fi

	# The producer SIGKILLed: the buffer lives on in its other holders.
	name="dmabuf-$e-survives-kill"
	# The redirections happen in the children: last exporter's lines must
	# not be there for wait_line to find before they run.
	rm -f "$T/hold.out" "$T/watch.out"
	"$PRODUCER" --hold "$P" "$F" >"$T/hold.out" 2>"$T/hold.err" &
	H=$!
	PIDS="$PIDS $H"
	"$ADOPT" --via kmod --type dmabuf --follow --interval 0.3 "$P" "$F" >"$T/watch.out" 2>"$T/watch.err" &
	W=$!
	PIDS="$PIDS $W"
	if ! wait_line "$T/hold.out" '^ready' || ! wait_line "$T/watch.out" 'owner alive'; then
		fail "$name" "holder or watcher did not start: $(cat "$T/hold.err" "$T/watch.err")"
	else
		HF=$(fd_of hold 1)
		kill -9 "$P"
		wait "$P" 2>/dev/null
		if ! wait_line "$T/watch.out" 'owner gone'; then
			fail "$name" "adopt --follow did not report the owner gone: $(tail -c 300 "$T/watch.out" "$T/watch.err")"
		elif ! grep 'owner gone' "$T/watch.out" | tail -1 | grep -q "dmabuf-producer buf 0 tick $TICKS"; then
			fail "$name" "adopt --follow after the kill: $(grep 'owner gone' "$T/watch.out" | tail -1)"
		elif ! "$ADOPT" --via pidfd --type dmabuf --dump "$T/after.bin" "$H" "$HF" 2>"$T/err"; then
			fail "$name" "adopting from the holder: $(cat "$T/err")"
		elif ! cmp -s "$T/after.bin" "$T/$e.expected"; then
			fail "$name" "the holder's buffer differs from the last content"
		else
			pass "$name"
		fi
	fi
	kill -9 "$W" "$H" 2>/dev/null
	wait "$W" "$H" 2>/dev/null

	# adopt list: a producer holding 3 dma-bufs, one of them also held by
	# a second process.
	name="dmabuf-$e-list"
	if ! start_producer "$e-list" --exporter "$e" --count 3; then
		fail "$name" "producer of 3 buffers did not start"
		return
	fi
	LP=$PPID_
	rm -f "$T/hold2.out"
	"$PRODUCER" --hold "$LP" "$(fd_of "$e-list" 2)" >"$T/hold2.out" 2>"$T/hold2.err" &
	H2=$!
	PIDS="$PIDS $H2"
	if ! wait_line "$T/hold2.out" '^ready'; then
		fail "$name" "holder did not start: $(cat "$T/hold2.err")"
	elif ! "$ADOPT" list --via pidfd --json "$LP" >"$T/list" 2>"$T/err"; then
		fail "$name" "$(cat "$T/err")"
	else
		# One line per buffer object.
		sed 's/},{/}\n{/g' "$T/list" | grep '"type":"dmabuf"' >"$T/list.dmabuf"
		bad=""
		n=$(wc -l <"$T/list.dmabuf")
		[ "$n" -eq 3 ] || bad="$bad; $n dma-bufs listed, want 3"
		for i in 1 2 3; do
			fd=$(fd_of "$e-list" $i)
			line=$(grep "\"fd\":$fd," "$T/list.dmabuf")
			echo "$line" | grep -q "\"exporter\":\"$x\"" || bad="$bad; fd $fd: exporter not $x"
			echo "$line" | grep -q "\"size\":$SIZE," || bad="$bad; fd $fd: size not $SIZE"
			echo "$line" | grep -q "\"name\":\"rfd-$e-$((i - 1))\"" || bad="$bad; fd $fd: name not rfd-$e-$((i - 1))"
			if [ $i -eq 2 ]; then
				echo "$line" | grep -q "\"shared_with\":\[\"$H2\"\]" || bad="$bad; fd $fd: shared_with not [$H2]"
			else
				echo "$line" | grep -q '"shared_with":\[\]' || bad="$bad; fd $fd: shared_with not empty"
			fi
		done
		grep -q "\"dmabuf exporter=$x\":{\"count\":3,\"bytes\":$((3 * SIZE))}" "$T/list" ||
			bad="$bad; totals per exporter not 3 x $SIZE for $x"
		if [ -z "$bad" ]; then pass "$name"; else fail "$name" "${bad#; } (list: $(head -c 600 "$T/list"))"; fi
	fi
	kill -9 "$LP" "$H2" 2>/dev/null
	wait "$LP" "$H2" 2>/dev/null
}

TRACING=""
TRACE_WHY=""
trace_setup && TRACING=yes

for e in vgem udmabuf heap; do
	expected=no
	for w in $(expected_exporters); do [ "$w" = "$e" ] && expected=yes; done
	if exporter_present "$e"; then
		test_exporter "$e"
	elif [ $expected = yes ]; then
		fail "dmabuf-$e" "exporter missing on $KVER (vgem module not loaded, or no /dev/udmabuf, /dev/dma_heap/system)"
	else
		skip "dmabuf-$e" "exporter absent on $KVER (not configured in this kernel): not tested"
	fi
done
exit 0

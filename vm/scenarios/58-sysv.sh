#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 58-sysv: System V segments through the CLI on every kernel (issue 20),
# with the module loaded; Samples/sysv-producer makes them.
#   sysv-list       `adopt list PID`: one sysv row held "map", FD "-", the
#                   size, Rss = Pss = size (every page written); by maps
#                   text on kernels before PROCMAP_QUERY, by the query after
#   sysv-map-root   root: `adopt PID --map ADDR` takes the file itself
#                   (GETMAP: root has CAP_CHECKPOINT_RESTORE), via kmod
#   sysv-map-user   uid 1000, its own segment: GETMAP refuses the file
#                   (REMOTEFD_MAP_NEEDS_CAP), so --map attaches by the
#                   shmid of the maps line: via shmat, the same bytes
#   sysv-id         `adopt sysv SHMID --dump F` equals the --map dump
#   sysv-ipc-perm   uid 1001 on uid 1000's 0600 segment: EACCES, one line
#   sysv-watch      `adopt watch --maps PID --dump-dir D`, root, module
#                   loaded; the producer marked it IPC_RMID and is
#                   SIGKILLed: D/PID-mapSTART.sysv has its bytes. --via
#                   auto takes ptrace here, saying why: the module would
#                   capture the mapping's own file, which the kernel no
#                   longer maps once the segment is destroyed
. /tests/lib.sh

if [ -f /tests/payload.expected ]; then
	if ! grep -qx sysv-producer /tests/payload.expected; then
		echo "SKIP sysv: sysv-producer not provided (run with ADOPT_BIN_DIR)"
		exit 0
	fi
	command -v adopt >/dev/null 2>&1 || { echo "FAIL sysv: adopt expected in the initramfs but missing"; exit 1; }
fi
if [ ! -r /proc/sysvipc/shm ]; then
	fail "sysv: no /proc/sysvipc/shm on $KVER"
	exit 1
fi
SIZE=65536
T=$(mktemp -d /tmp/sysv.XXXXXX)
chmod 777 "$T"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# start UID ARGS...: a producer as UID; sets P, ID, A
start() {
	u=$1
	shift
	out=$T/prod.$u.$$.$#
	if [ "$u" = 0 ]; then
		sysv-producer --size $SIZE --interval 1000000 "$@" >"$out" &
	else
		rfd-runas "$u" sysv-producer --size $SIZE --interval 1000000 "$@" >"$out" &
	fi
	PIDS="$PIDS $!"
	wait_line "$out" '^ready' || { fail "sysv: sysv-producer did not start"; exit 1; }
	set -- $(head -n 1 "$out")
	P=$2 ID=$4 A=$6
}

start 0 --rmid
if adopt list "$P" >"$T/list" 2>"$T/err"; then
	row=$(grep "^$P " "$T/list" | grep ' sysv ')
	if echo "$row" | awk -v s=$SIZE '$2 == "-" && $4 == s && $(NF-1) == s && $NF == s' | grep -q . && echo "$row" | grep -q ' map '; then
		pass "sysv-list"
	else
		fail "sysv-list: want one sysv row held map, size = Rss = Pss = $SIZE: $(tr '\n' '|' <"$T/list")"
	fi
else
	fail "sysv-list: $(cat "$T/err")"
fi
if adopt "$P" --map "$A" --dump "$T/root.bin" 2>"$T/err" && adopt "$P" --map "$A" >"$T/show" 2>>"$T/err" &&
   grep -q '^type: *sysv' "$T/show" && grep -q '^via: *kmod (handle)' "$T/show"; then
	pass "sysv-map-root"
else
	fail "sysv-map-root: $(grep -E '^(via|type)' "$T/show" | tr '\n' ' ') $(cat "$T/err")"
fi
if adopt sysv "$ID" --dump "$T/id.bin" 2>"$T/err" && cmp -s "$T/id.bin" "$T/root.bin" && [ "$(wc -c <"$T/id.bin")" -eq $SIZE ]; then
	pass "sysv-id"
else
	fail "sysv-id: $(wc -c <"$T/id.bin" 2>/dev/null) bytes: $(cat "$T/err")"
fi
adopt watch --maps "$P" --dump-dir "$T" >"$T/watch.out" 2>"$T/watch.err" &
W=$!
wait_line "$T/watch.out" "^watching" 100
kill -9 "$P"
wait "$W"
if cmp -s "$T/$P-map${A#0x}.sysv" "$T/root.bin" && grep -q '^watching .*via=ptrace' "$T/watch.out" &&
   grep -q "kept only at the exit stop" "$T/watch.err"; then
	pass "sysv-watch"
else
	fail "sysv-watch: $(ls "$T" | tr '\n' ' ') $(tr '\n' ' ' <"$T/watch.out") $(cat "$T/watch.err")"
fi

start 1000 --rmid --mode 600
rfd-runas 1000 adopt "$P" --map "$A" --dump "$T/user.bin" 2>"$T/err.u"
rfd-runas 1000 adopt "$P" --map "$A" >"$T/show.u" 2>>"$T/err.u"
if grep -q '^via: *shmat' "$T/show.u" && grep -q '^type: *sysv' "$T/show.u" && [ "$(wc -c <"$T/user.bin")" -eq $SIZE ] &&
   adopt sysv "$ID" --dump "$T/user-id.bin" 2>>"$T/err.u" && cmp -s "$T/user.bin" "$T/user-id.bin"; then
	pass "sysv-map-user"
else
	fail "sysv-map-user: $(grep -E '^(via|type)' "$T/show.u" | tr '\n' ' ') $(cat "$T/err.u")"
fi
rfd-runas 1001 adopt sysv "$ID" >"$T/out.p" 2>"$T/err.p"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err.p")" -eq 1 ] && grep -q "^adopt: shmid $ID: cannot attach: .*(EACCES)$" "$T/err.p"; then
	pass "sysv-ipc-perm"
else
	fail "sysv-ipc-perm: exit $rc: $(cat "$T/err.p")"
fi

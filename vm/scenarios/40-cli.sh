# SPDX-License-Identifier: GPL-2.0-only
# The Swift CLI through the module: `adopt --via kmod` on a memfd and a
# /dev/shm file, --dump, --json, --via auto preferring kmod, errors, and the
# fallback to pidfd once the module is gone.  The CLI comes from
# ADOPT_BIN_DIR (see vm/README.md): when it was asked for but is missing,
# every check FAILs; when it was not asked for, they are reported as SKIP.
. /tests/lib.sh
if ! grep -qx adopt /tests/payload.expected; then
	skip "cli: adopt not provided (run with ADOPT_BIN_DIR=dir holding adopt)"
	exit 0
fi
if ! command -v adopt >/dev/null 2>&1; then
	for t in memfd shm dump json auto errors permission fallback; do
		fail "cli-$t: adopt expected in the initramfs but missing"
	done
	exit 1
fi
hold_start --memfd --shm --thread || exit 1

out=$(adopt --via kmod "$HOLD_PID" "$HOLD_MEMFD" 2>&1); rc=$?
case "$rc" in 0) ;; *) out="exit $rc: $out" ;; esac
if [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *kmod (handle)$' && echo "$out" | grep -q '^type: *memfd$' &&
   echo "$out" | grep -q '|remotefd-memfd-p|'; then
	pass "cli-memfd: adopt --via kmod PID MEMFD (via: kmod (handle), preview shows the payload)"
else
	fail "cli-memfd: $(echo "$out" | tail -n 5 | tr '\n' ' ')"
fi

# A non-leader thread id has no pidfd (pidfd_open: EINVAL): the CLI then
# names the target by pid, REMOTEFD_IOC_GETFD without REMOTEFD_TARGET_PIDFD.
for f in "$HOLD_MEMFD:memfd-p" "$HOLD_SHMFD:shm-pay"; do
	out=$(adopt --via kmod "$HOLD_TID" "${f%%:*}" 2>&1); rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *kmod (handle)$' && echo "$out" | grep -q "|remotefd-${f#*:}|"; then
		pass "cli-by-pid: adopt --via kmod TID ${f%%:*} (thread id, no pidfd: by pid)"
	else
		fail "cli-by-pid: tid $HOLD_TID fd ${f%%:*}: exit $rc: $(echo "$out" | head -n 3 | tr '\n' ' ')"
	fi
done

out=$(adopt --via kmod "$HOLD_PID" "$HOLD_SHMFD" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *kmod (handle)$' && echo "$out" | grep -q '^type: *shm$' &&
   echo "$out" | grep -q '|remotefd-shm-pay|'; then
	pass "cli-shm: adopt --via kmod PID SHMFD"
else
	fail "cli-shm: exit $rc: $(echo "$out" | tail -n 5 | tr '\n' ' ')"
fi

adopt --via kmod --dump /tmp/dump.bin "$HOLD_PID" "$HOLD_MEMFD" > /dev/null 2>&1; rc=$?
if [ $rc -eq 0 ] && [ "$(head -c 22 /tmp/dump.bin)" = remotefd-memfd-payload ]; then
	pass "cli-dump: --dump FILE writes the memfd contents"
else
	fail "cli-dump: exit $rc, starts with '$(head -c 22 /tmp/dump.bin 2>/dev/null)'"
fi
if [ "$(adopt --via kmod --type shm --dump - "$HOLD_PID" "$HOLD_SHMFD" 2>/dev/null | head -c 20)" = remotefd-shm-payload ]; then
	pass "cli-dump-stdout: --type shm --dump - writes the shm contents"
else
	fail "cli-dump-stdout: wrong or no contents"
fi

out=$(adopt --via kmod --json "$HOLD_PID" "$HOLD_MEMFD" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^{' && echo "$out" | grep -q '"via":"kmod (handle)"' &&
   echo "$out" | grep -q '"type":"memfd"'; then
	pass "cli-json: --json output names the kmod backend"
else
	fail "cli-json: exit $rc: $(echo "$out" | head -c 300)"
fi

out=$(adopt --via auto "$HOLD_PID" "$HOLD_MEMFD" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *kmod (handle)$'; then
	pass "cli-auto: --via auto prefers kmod when /dev/remotefd exists"
else
	fail "cli-auto: exit $rc: $(echo "$out" | grep via)"
fi

adopt --via kmod "$HOLD_PID" 999 > /tmp/cli.out 2> /tmp/cli.err; rc=$?
err=$(cat /tmp/cli.err)
if [ $rc -ne 0 ] && [ "$(wc -l < /tmp/cli.err)" -eq 1 ] && echo "$err" | grep -q "$HOLD_PID" &&
   echo "$err" | grep -q 999 && echo "$err" | grep -q EBADF; then
	pass "cli-errors: closed fd -> one stderr line with pid, fd, EBADF; exit $rc"
else
	fail "cli-errors: exit $rc, stderr: $err"
fi

rfd-runas 1000 adopt --via kmod "$HOLD_PID" "$HOLD_MEMFD" > /tmp/cli.out 2> /tmp/cli.err; rc=$?
if [ $rc -ne 0 ] && grep -q EPERM /tmp/cli.err; then
	pass "cli-permission: uid 1000 adopting from root refused (EPERM)"
else
	fail "cli-permission: exit $rc: $(head -n 2 /tmp/cli.err)"
fi

if rmmod remotefd; then
	out=$(adopt --via auto "$HOLD_PID" "$HOLD_MEMFD" 2>&1); rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *pidfd$'; then
		pass "cli-fallback: without the module --via auto uses pidfd"
	else
		fail "cli-fallback: exit $rc: $(echo "$out" | grep via)"
	fi
	adopt --via kmod "$HOLD_PID" "$HOLD_MEMFD" > /dev/null 2>&1 &&
		fail "cli-kmod-absent: --via kmod succeeded without the module" ||
		pass "cli-kmod-absent: --via kmod fails without the module"
	insmod /lib/modules/remotefd.ko legacy_proc=1 || fail "cli: insmod again"
else
	fail "cli-fallback: rmmod failed"
fi
hold_stop

# The Swift sample producers as targets ("pid P fd F ..." on stdout).
for prod in memfd-producer:memfd shm-producer:shm; do
	bin=${prod%%:*} type=${prod#*:}
	if ! grep -qx "$bin" /tests/payload.expected; then
		skip "cli-sample-$bin: not provided"
		continue
	fi
	if ! command -v "$bin" >/dev/null 2>&1; then
		fail "cli-sample-$bin: expected in the initramfs but missing"
		continue
	fi
	"$bin" > /tmp/$bin.out 2>&1 &
	ppid_=$!
	i=0
	while ! grep -q '^pid [0-9]* fd [0-9]*' /tmp/$bin.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	set -- $(head -n 1 /tmp/$bin.out)
	out=$(adopt --via kmod "$2" "$4" 2>&1); rc=$?
	if [ "$1" = pid ] && [ $rc -eq 0 ] && echo "$out" | grep -q '^via: *kmod (handle)$' &&
	   echo "$out" | grep -q "^type: *$type\$"; then
		pass "cli-sample-$bin: adopt --via kmod on the $type sample producer"
	else
		fail "cli-sample-$bin: exit $rc: $(head -n 1 /tmp/$bin.out) $(echo "$out" | head -n 4 | tr '\n' ' ')"
	fi
	kill $ppid_ 2>/dev/null; wait $ppid_ 2>/dev/null
done
:

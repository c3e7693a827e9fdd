#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh: the project against the standard tools, side by side, in one
# invocation. Builds what it needs (release, static executables as
# scripts/build.sh makes them, scratch
# path .build-bench; C baselines with gcc -O2), starts its own target
# processes, runs baseline and subject interleaved, prints a table of medians
# and ratios and writes it, with the machine description, to BENCHMARKS.md.
#
#   bash bench/run.sh            everything (2-4 minutes on 2 cores, two qemu boots included)
#   BENCH_QUICK=1 bash bench/run.sh   fewer rounds (a smoke test; not for BENCHMARKS.md)
#   BENCH_VM=0 bash bench/run.sh      skip the module row (no qemu boot)
#   BENCH_OUT=FILE                    write the report there instead of BENCHMARKS.md
#   BENCH_ONLY=7 bash bench/run.sh    only row 7 (listing mappings, 200 processes); not for BENCHMARKS.md
#   BENCH_SCRATCH=DIR                 build there (default .build-bench; .build reuses scripts/build.sh's)
#
# Absolute times on a shared VM are noise: compare the ratios, which come
# from runs made in the same invocation, interleaved round by round.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
command -v swift >/dev/null || { echo "bench: swift (6.x) is not on PATH" >&2; exit 2; }
SCRATCH=${BENCH_SCRATCH:-.build-bench}
BIN=$SCRATCH/release
CB=$SCRATCH/bench-c
OUT=${BENCH_OUT:-BENCHMARKS.md}
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-}
say() { printf '%s\n' "$*" >&2; }

# ---- tools ------------------------------------------------------------------
missing=()
for t in gcc:gcc lsof:lsof lsfd:util-linux; do command -v ${t%%:*} >/dev/null || missing+=("${t#*:}"); done
if ((${#missing[@]})) && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
	say "bench: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" libc6-dev >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" libc6-dev >/dev/null; } || true
	missing=()
	for t in gcc:gcc lsof:lsof lsfd:util-linux; do command -v ${t%%:*} >/dev/null || missing+=("${t#*:}"); done
fi
if ((${#missing[@]})); then
	say "bench: missing Debian packages: ${missing[*]}"
	exit 2
fi

# ---- build ------------------------------------------------------------------
say "== building (release, static executables as scripts/build.sh, $SCRATCH)"
products="adopt adopt-bench"
[[ $ONLY == 7 ]] && products=adopt  # row 7 runs the CLI only
for p in $products; do
	scripts/build.sh --scratch-path "$SCRATCH" --product $p >&2
done
mkdir -p "$CB"
for c in bench/c/*.c; do
	gcc -O2 -Wall -o "$CB/$(basename "$c" .c)" "$c"
done

# ---- helpers -------------------------------------------------------------
HOLDERS=()
cleanup() { for h in "${HOLDERS[@]}"; do kill "$h" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# start_holder ARGS...: sets HP (pid) HF (first fd) HL (last fd)
start_holder() {
	local out
	out=$(mktemp)
	"$CB/holder" "$@" > "$out" &
	HOLDERS+=($!)
	for _ in $(seq 300); do grep -q READY "$out" && break; sleep 0.1; done
	read -r _ HP HF HL < "$out"
	rm -f "$out"
}
stop_holder() { kill "$HP" 2>/dev/null || true; wait "$HP" 2>/dev/null || true; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
fmt() { awk -v v="$1" 'BEGIN {if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.2f", v}'; }
# goal_le R MAX / goal_ge R MIN: "met" or "MISSED"
goal_le() { awk -v r="$1" -v m="$2" 'BEGIN {print (r <= m) ? "met" : "**MISSED**"}'; }
goal_ge() { awk -v r="$1" -v m="$2" 'BEGIN {print (r >= m) ? "met" : "**MISSED**"}'; }

ROWS=()
row() { ROWS+=("| $(IFS='|'; echo "$*" | sed 's/|/ | /g') |"); say "   $*"; }

# inproc ROUNDS PID FIRST LAST ITERS BATCHES PROG:MODE...: interleaved
# in-process runs; sets R[PROG:MODE] to the median over rounds.
declare -A R
inproc() {
	local rounds=$1 pid=$2 first=$3 last=$4 iters=$5 batches=$6
	shift 6
	local -A vals=()
	for ((r = 0; r < rounds; r++)); do
		for spec in "$@"; do
			local prog=${spec%%:*} mode=${spec#*:}
			vals[$spec]+="$("$prog" "$mode" "$pid" "$first" "$last" "$iters" "$batches") "
		done
	done
	for spec in "$@"; do R[$spec]=$(tr ' ' '\n' <<< "${vals[$spec]}" | grep . | median); done
}

if [[ $QUICK == 1 ]]; then RR=3; else RR=9; fi
RR1=$((RR * 5 / 3))  # row 1: cheap processes, more rounds
A="$BIN/adopt-bench"
C="$CB/cbench"

if [[ $ONLY != 7 ]]; then
# ---- 1. per-fd adoption ----------------------------------------------------
say "== 1. per-fd adoption (1000 memfds)"
start_holder --memfds 1000
inproc $RR1 "$HP" "$HF" "$HL" 2000 3 \
	"$A:adopt-fresh" "$C:same-fresh" "$C:pidfd-fresh" \
	"$A:adopt-kept" "$C:same-kept" "$C:pidfd-kept" \
	"$A:adopt-procfs" "$C:same-procfs" "$C:procfs" \
	"$C:scm" "$C:dup" "$C:list-same"
us() { awk -v v="${R[$1]}" 'BEGIN {print v / 1000}'; }
for b in fresh kept procfs; do
	lib=$(us "$A:adopt-$b"); same=$(us "$C:same-$b")
	case $b in fresh) an=pidfd-fresh; al="pidfd_open+getfd+close" ;; kept) an=pidfd-kept; al="pidfd_getfd+close (pidfd kept)" ;; procfs) an=procfs; al="open /proc/PID/fd/N+close" ;; esac
	anchor=$(us "$C:$an")
	r=$(ratio "$lib" "$same")
	row "1" "adopt+identify, via $b, µs/fd" "library $(fmt "$lib")" "C, same syscalls $(fmt "$same")" "$r×" "≤ 1.1×" "$(goal_le "$r" 1.1)"
	row "1" "… against the bare acquisition" "library $(fmt "$lib")" "C $al $(fmt "$anchor")" "$(ratio "$lib" "$anchor")×" "info" "-"
done
scm=$(us "$C:scm"); dup=$(us "$C:dup")
row "1" "cooperative anchor: SCM_RIGHTS round trip, µs/fd" "library via pidfd, kept $(fmt "$(us "$A:adopt-kept")")" "C SCM_RIGHTS $(fmt "$scm")" "$(ratio "$(us "$A:adopt-kept")" "$scm")×" "info" "-"
row "1" "floor: dup+close, µs/fd" "-" "C dup $(fmt "$dup")" "-" "info" "-"
LISTSAME=$(us "$C:list-same")
stop_holder

# ---- 2. module ioctl -----------------------------------------------------------
if [[ ${BENCH_VM:-1} == 1 ]]; then
	say "== 2. module ioctl against pidfd_open+getfd+close (qemu TCG)"
	vmout=$(bash bench/vm-bench.sh 6.1 6.12 2>&1) || true
	printf '%s\n' "$vmout" | sed 's/^/   vm: /' >&2
	if grep -q '^VMBENCH ' <<< "$vmout"; then
		for kver in $(awk '$1 == "VMBENCH" {print $2}' <<< "$vmout" | sort -u); do
			get() { awk -v k="$kver" -v m="$1" '$1 == "VMBENCH" && $2 == k && $3 == m {print $4}' <<< "$vmout"; }
			kp=$(get kmod-pid); pf=$(get pidfd-fresh); kpf=$(get kmod-pidfd); pk=$(get pidfd-kept)
			ko=$(get kmod-open); pm=$(get proc-mem)
			k=${kver%%-*}
			r=$(ratio "$kp" "$pf")
			row "2" "module ioctl (target by pid) + close, per fd, $k guest (TCG ns)" "ioctl $kp" "pidfd_open+getfd+close $pf" "$r×" "≤ 0.5×" "$(goal_le "$r" 0.5)"
			row "2" "… ioctl naming the target by a kept pidfd" "ioctl $kpf" "pidfd_getfd+close (kept) $pk" "$(ratio "$kpf" "$pk")×" "info" "-"
			row "2" "… as KmodBackend does it: open /dev/remotefd, pidfd_open, ioctl, close all" "$ko" "pidfd_open+getfd+close $pf" "$(ratio "$ko" "$pf")×" "info" "-"
			[[ -n $pm ]] && row "2" "… the module's permission check alone: open+close /proc/PID/mem" "$pm" "pidfd_getfd+close (kept) $pk" "$(ratio "$pm" "$pk")×" "info" "-"
			# target handles (REMOTEFD_FEAT_HANDLE): one handle attached before the rounds
			hg=$(get handle-getfd); hb=$(get handle-getfds64); hi=$(get inventory); pd=$(get pidfd-describe)
			hc=$(get handle-closed); pc=$(get pidfd-closed)
			if [[ -n $hg && -n $hb && -n $hi && -n $pd ]]; then
				r=$(ratio "$hg" "$pf")
				row "2" "handle GETFD + close, per fd, $k guest (TCG ns)" "handle $hg" "pidfd_open+getfd+close $pf" "$r×" "≤ 0.5×" "$(goal_le "$r" 0.5)"
				r=$(ratio "$hg" "$pk")
				row "2" "… handle GETFD + close against a kept pidfd" "handle $hg" "pidfd_getfd+close (kept) $pk" "$r×" "≤ 1.0×" "$(goal_le "$r" 1.0)"
				r=$(ratio "$hb" "$pf")
				row "2" "… GETFDS of 64 (+ 64 closes), per fd" "batch $hb" "pidfd_open+getfd+close $pf" "$r×" "≤ 0.25×" "$(goal_le "$r" 0.25)"
				r=$(ratio "$hi" "$pd")
				row "2" "… INVENTORY of 64 records, per fd" "inventory $hi" "pidfd_getfd+fstat+fstatfs+readlink+close $pd" "$r×" "≤ 0.1×" "$(goal_le "$r" 0.1)"
				[[ -n $hc && -n $pc ]] && row "2" "… a closed fd (validation and lookup, no install)" "handle $hc" "pidfd_getfd (kept) $pc" "$(ratio "$hc" "$pc")×" "info" "-"
			else
				row "2" "handle GETFD / GETFDS / INVENTORY per fd, $k guest" "not measured" "-" "-" "≤ 0.5× / 1.0× / 0.25× / 0.1×" "not measured: the module reports no REMOTEFD_FEAT_HANDLE"
			fi
			# whole commands (bench/vm/96-list-bench.sh): 10 000 memfds, --no-sharers
			lk=$(get list-kmod); lp=$(get list-pidfd)
			if [[ -n $lk && -n $lp ]]; then
				r=$(ratio "$lp" "$lk")
				row "2" "\`adopt list PID\`, 10 000 memfds, whole command, $k guest (TCG ms)" "module $(awk -v t="$lk" 'BEGIN {printf "%.0f", t / 1e6}')" "--via pidfd $(awk -v t="$lp" 'BEGIN {printf "%.0f", t / 1e6}')" "$r× faster" "≥ 10×" "$(goal_ge "$r" 10)"
				lk1=$(get list-kmod-1fd); lp1=$(get list-pidfd-1fd)
				[[ -n $lk1 && -n $lp1 ]] && row "2" "… the same commands on a target holding 1 memfd (the cost before the first row)" "module $(awk -v t="$lk1" 'BEGIN {printf "%.0f", t / 1e6}')" "--via pidfd $(awk -v t="$lp1" 'BEGIN {printf "%.0f", t / 1e6}')" "$(ratio "$lp1" "$lk1")×" "info" "-"
			else
				row "2" "\`adopt list PID\`, 10 000 memfds, $k guest" "not measured" "-" "-" "≥ 10×" "not measured: $(grep -m1 'list-bench' <<< "$vmout" || echo 'no adopt in the guest')"
			fi
		done
	else
		reason=$(grep -E '^(vm-bench|FAIL|SKIP)' <<< "$vmout" | head -n 1)
		row "2" "module ioctl per fd" "not measured" "-" "-" "≤ 0.5×" "not measured: ${reason:-see bench/vm-bench.sh output}"
	fi
else
	row "2" "module ioctl per fd" "not measured" "-" "-" "≤ 0.5×" "not measured: BENCH_VM=0"
fi

# ---- 3. listing ------------------------------------------------------------------
T="$CB/timeit"
list_case() { # N ARGS...
	local n=$1 rounds
	shift
	start_holder --memfds "$n" "$@"
	rounds=$RR
	local res
	res=$("$T" "$rounds" 1 "$BIN/adopt" list --no-sharers "$HP" -- "$BIN/adopt" list "$HP" \
		-- "$(command -v lsfd)" -p "$HP" -- "$(command -v lsof)" -n -p "$HP" -- "$CB/listfloor" "$HP")
	stop_holder
	local -a m
	mapfile -t m < <(awk '{print $1}' <<< "$res")
	local nosh=${m[0]} sh=${m[1]} lsfd=${m[2]} lsof=${m[3]} floor=${m[4]} kind=memfds
	[[ $* == *--mix* ]] && kind="fds, mixed (1/4 memfds)"
	local per=$(awk -v t="$nosh" -v n="$n" 'BEGIN {print t / n}')
	if [[ $kind == memfds ]]; then
		start_holder --memfds "$n"
		inproc "$rounds" "$HP" "$HF" "$HL" 1 3 "$A:list"
		stop_holder
		LISTIN[$n]=$(us "$A:list")
	fi
	local r=$(ratio "$lsfd" "$nosh")
	row "3" "\`adopt list --no-sharers\`, $n $kind, µs/fd" "adopt $(fmt "$per")" "lsfd -p $(fmt "$(awk -v t="$lsfd" -v n="$n" 'BEGIN {print t / n}')")" "$r× faster" "≥ 4×" "$(goal_ge "$r" 4)"
	r=$(ratio "$lsfd" "$sh")
	row "3" "\`adopt list\` (sharer scan), $n $kind, µs/fd" "adopt $(fmt "$(awk -v t="$sh" -v n="$n" 'BEGIN {print t / n}')")" "lsfd -p $(fmt "$(awk -v t="$lsfd" -v n="$n" 'BEGIN {print t / n}')")" "$r× faster" "≥ 4×" "$(goal_ge "$r" 4)"
	row "3" "… against lsof, $n $kind, µs/fd" "adopt --no-sharers $(fmt "$per")" "lsof -n -p $(fmt "$(awk -v t="$lsof" -v n="$n" 'BEGIN {print t / n}')")" "$(ratio "$lsof" "$nosh")× faster" "info" "-"
	row "3" "… against the floor: a C process making only adopt's syscalls, no rows (lsfd / floor = the best ratio reachable)" "adopt --no-sharers $(fmt "$per")" "C listfloor $(fmt "$(awk -v t="$floor" -v n="$n" 'BEGIN {print t / n}')")" "$(ratio "$nosh" "$floor")× the floor; ceiling $(ratio "$lsfd" "$floor")×" "info" "-"
	LISTPER[$n$kind]=$per
}
declare -A LISTPER LISTIN
say "== 3. adopt list against lsfd and lsof"
for n in 1000 10000 19000; do list_case $n; done
[[ $QUICK == 1 ]] || list_case 10000 --mix
row "3" "per-memfd floor in C: adopt list's syscalls (getfd, fstat, readlinkat of one O_PATH handle, seals, close)" "-" "C $(fmt "$LISTSAME") µs" "-" "info" "-"

# ---- 4. data path ---------------------------------------------------------------
say "== 4. 1 GiB memfd: dump and map-read"
start_holder --memfds 1 --size $((1 << 30)) --fill
# To /dev/null, into a pipe read by another process (cat), and to a file on
# tmpfs; each against cat /proc/PID/fd/N to the same destination, in the
# same rounds. adopt copies memfds with sendfile (explicit offset).
DR=$((RR < 5 ? RR : 7))
SINK=/dev/shm/bench-dump.$$
ADOPT_ABS=$(readlink -f "$BIN/adopt")
res=$("$T" $DR 1 "$ADOPT_ABS" --dump - "$HP" "$HF" -- /bin/cat "/proc/$HP/fd/$HF" \
	-- /bin/sh -c "$ADOPT_ABS --dump - $HP $HF | /bin/cat > /dev/null" -- /bin/sh -c "/bin/cat /proc/$HP/fd/$HF | /bin/cat > /dev/null" \
	-- /bin/sh -c "$ADOPT_ABS --dump $SINK $HP $HF" -- /bin/sh -c "/bin/cat /proc/$HP/fd/$HF > $SINK")
rm -f "$SINK"
dt=(); for i in 1 2 3 4 5 6; do read -r v _ <<< "$(sed -n ${i}p <<< "$res")"; dt+=("$v"); done
gbs() { awk -v t="$1" 'BEGIN {printf "%.2f", 1073741824 / t / 1000}'; }
rn=$(ratio "${dt[1]}" "${dt[0]}"); rp=$(ratio "${dt[3]}" "${dt[2]}"); rt=$(ratio "${dt[5]}" "${dt[4]}")
dgoal=$(awk -v n="$rn" -v p="$rp" -v t="$rt" 'BEGIN {print (n >= 1.0 && t >= 1.0 && p >= 1.2) ? "met" : (n >= 1.0 && t >= 1.0 && p >= 1.0) ? "met (≥ 1.0×; pipe aim 1.2× missed)" : "**MISSED**"}')
row "4" "\`adopt --dump\` of 1 GiB to /dev/null / a pipe (read by cat) / a tmpfs file, GB/s" "adopt $(gbs "${dt[0]}") / $(gbs "${dt[2]}") / $(gbs "${dt[4]}")" "cat /proc/PID/fd/N $(gbs "${dt[1]}") / $(gbs "${dt[3]}") / $(gbs "${dt[5]}")" "$rn× / $rp× / $rt×" "≥ 1.0× each, pipe ≥ 1.2×" "$dgoal"
inproc $((RR < 5 ? RR : 5)) "$HP" "$HF" "$HF" 1 3 "$A:map-read" "$C:map-read" "$C:memcpy"
gb() { awk -v v="$1" 'BEGIN {printf "%.2f", v / 1000}'; }
row "4" "adopt + map + read 1 GiB (1 MiB memcpy chunks), GB/s" "library $(gb "${R[$A:map-read]}")" "C, same steps $(gb "${R[$C:map-read]}")" "$(ratio "${R[$A:map-read]}" "${R[$C:map-read]}")×" "info" "-"
row "4" "… against memcpy of a pre-faulted mapping (bandwidth limit)" "library $(gb "${R[$A:map-read]}")" "memcpy $(gb "${R[$C:memcpy]}")" "$(ratio "${R[$A:map-read]}" "${R[$C:memcpy]}")×" "info" "-"
stop_holder

# ---- 5. start-up -------------------------------------------------------------------
say "== 5. adopt PID FD as a whole process"
start_holder --memfds 1 --size $((2 << 20)) --fill
res=$("$T" $((RR * 4)) 2 "$CB/adopt1" "$HP" "$HF" -- "$BIN/adopt" "$HP" "$HF" -- /bin/true)
read -r c_t _ <<< "$(sed -n 1p <<< "$res")"
read -r a_t _ <<< "$(sed -n 2p <<< "$res")"
read -r t_t _ <<< "$(sed -n 3p <<< "$res")"
ms() { fmt "$(awk -v t="$1" 'BEGIN {print t / 1000}')"; }
r=$(ratio "$a_t" "$c_t")
row "5" "\`adopt PID FD\` whole process (2 MiB memfd), ms" "adopt $(ms "$a_t")" "C adopt1 $(ms "$c_t")" "$r×" "≤ 1.5×" "$(goal_le "$r" 1.5)"
row "5" "… above the cost of starting any process (/bin/true $(ms "$t_t") ms)" "adopt $(ms "$(awk -v a="$a_t" -v t="$t_t" 'BEGIN {print a - t}')")" "C adopt1 $(ms "$(awk -v a="$c_t" -v t="$t_t" 'BEGIN {print a - t}')")" "$(ratio "$(awk -v a="$a_t" -v t="$t_t" 'BEGIN {print a - t}')" "$(awk -v a="$c_t" -v t="$t_t" 'BEGIN {print a - t}')")×" "info" "-"
stop_holder

# ---- 6. growth ---------------------------------------------------------------------
say "== 6. cost against buffer size and fd count"
sizes=(4096 1048576 67108864 1073741824)
start_holder --sizes "$(IFS=,; echo "${sizes[*]}")"
base=""
for i in "${!sizes[@]}"; do
	fd=$((HF + i))
	inproc $((RR < 5 ? RR : 5)) "$HP" "$fd" "$fd" 500 3 "$A:map-fresh" "$C:map-fresh"
	lib=$(us "$A:map-fresh"); cc=$(us "$C:map-fresh")
	[[ -n $base ]] || base=$lib
	row "6" "adopt + identify + mmap, $(awk -v s="${sizes[$i]}" 'BEGIN {if (s >= 1073741824) print s / 1073741824 " GiB"; else if (s >= 1048576) print s / 1048576 " MiB"; else print s / 1024 " KiB"}') buffer, µs" "library $(fmt "$lib")" "C, same steps $(fmt "$cc")" "$(ratio "$lib" "$cc")×" "O(1): $(ratio "$lib" "$base")× the 4 KiB cost" "$(goal_le "$(ratio "$lib" "$base")" 1.5)"
done
stop_holder
for n in 10 19000; do
	start_holder --memfds $n
	inproc $((RR < 5 ? RR : 5)) "$HP" "$HF" "$HL" 2000 3 "$A:adopt-kept" "$C:same-kept"
	row "6" "adopt+identify via pidfd (kept), owner holding $n fds, µs/fd" "library $(fmt "$(us "$A:adopt-kept")")" "C, same syscalls $(fmt "$(us "$C:same-kept")")" "$(ratio "$(us "$A:adopt-kept")" "$(us "$C:same-kept")")×" "flat in fd count" "-"
	stop_holder
done
for n in 1000 10000 19000; do
	row "6" "listing cost per fd, $n memfds: library scan (in-process) / whole \`adopt list --no-sharers\`, µs" "$(fmt "${LISTIN[$n]}") / $(fmt "${LISTPER[${n}memfds]}")" "-" "$(ratio "${LISTIN[$n]}" "${LISTIN[1000]}")× the 1 000-fd in-process cost" "linear (≈ 1×)" "$(goal_le "$(ratio "${LISTIN[$n]}" "${LISTIN[1000]}")" 1.3)"
done

fi # BENCH_ONLY != 7

# ---- 7. listing mappings, system-wide ----------------------------------------------
# 200 processes started here, each 4 memfds held by fd (one also mapped) and
# 2 held by mappings only (fd closed), every page written. `adopt list --all`
# (fds, maps, smaps for Rss/Pss of the processes with buffer mappings, the
# mapped-only files taken through map_files) against dmabuf_dump's approach
# in C (bench/c/mapscan.c: every fd's link and fdinfo, then maps, for every
# process), against `lsfd` (every fd and mapping of every process), and
# against today's fd-only listing (`--no-maps`), interleaved.
say "== 7. adopt list --all with mappings, 200 processes"
T="$CB/timeit"
MOUT=$(mktemp)
"$CB/mapper" --procs 200 > "$MOUT" &
HOLDERS+=($!)
for _ in $(seq 600); do grep -q READY "$MOUT" && break; sleep 0.1; done
rounds=$RR
res=$("$T" "$rounds" 1 "$BIN/adopt" list --all -- "$CB/mapscan" -- "$(command -v lsfd)" \
	-- "$BIN/adopt" list --all --no-maps -- "$BIN/adopt" list --all --no-rss)
kill "${HOLDERS[-1]}" 2>/dev/null || true
wait "${HOLDERS[-1]}" 2>/dev/null || true
rm -f "$MOUT"
mapfile -t m < <(awk '{print $1}' <<< "$res")
withmaps=${m[0]} scan=${m[1]} lsfd_all=${m[2]} fdonly=${m[3]} norss=${m[4]}
msf() { fmt "$(awk -v t="$1" 'BEGIN {print t / 1000}')"; }
r=$(ratio "$scan" "$withmaps")
row "7" "\`adopt list --all\` with mappings, 200 processes (+ the machine's), ms" "adopt $(msf "$withmaps")" "C fdinfo+maps scan (dmabuf_dump's approach) $(msf "$scan")" "$r× faster" "≥ 2×" "$(goal_ge "$r" 2)"
r=$(ratio "$withmaps" "$fdonly")
row "7" "… against today's fd-only listing (\`--no-maps\`)" "adopt $(msf "$withmaps")" "adopt --no-maps $(msf "$fdonly")" "$r×" "≤ 1.5×" "$(goal_le "$r" 1.5)"
row "7" "… the same without smaps (\`--no-rss\`: no Rss/Pss for memfd/shm)" "adopt --no-rss $(msf "$norss")" "C scan $(msf "$scan") / --no-maps $(msf "$fdonly")" "$(ratio "$scan" "$norss")× faster / $(ratio "$norss" "$fdonly")×" "info" "-"
row "7" "… against lsfd (every fd and mapping of every process)" "adopt $(msf "$withmaps")" "lsfd $(msf "$lsfd_all")" "$(ratio "$lsfd_all" "$withmaps")× faster" "info" "-"

# ---- report ---------------------------------------------------------------------
TABLE=$(
	echo "| # | what | subject | baseline | ratio | goal | result |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
)
MACHINE=$(
	echo "- $(uname -sr), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
	echo "- $(swift --version 2>/dev/null | head -n 1); $(gcc --version | head -n 1); $(lsfd --version); lsof $(lsof -v 2>&1 | awk '/revision/ {print $2; exit}')"
	echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
)
printf '\n%s\n\n%s\n' "$MACHINE" "$TABLE"
if [[ $QUICK != 1 && -z $ONLY ]]; then
	# bench/image.sh's section ("Frames as PNG") is its own: kept as it is.
	IMAGE_SECTION=$(sed -n '/^<!-- image results -->$/,/^<!-- \/image results -->$/p' "$OUT" 2>/dev/null || true)
	{
		sed -n '1,/<!-- results -->/p' bench/BENCHMARKS.head.md
		echo
		echo "Generated by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d):"
		echo
		echo "$MACHINE"
		echo
		echo "$TABLE"
		echo
		sed -n '/<!-- results -->/,$p' bench/BENCHMARKS.head.md | sed 1d
		[ -z "$IMAGE_SECTION" ] || printf '\n%s\n' "$IMAGE_SECTION"
	} > "$OUT"
	say "== written: $OUT"
fi

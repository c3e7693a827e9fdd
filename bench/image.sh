#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/image.sh: `adopt PID FD --format F --size 1920x1080 --image out.png`
# (libyuv converts, libspng writes the PNG) against ffmpeg turning the same
# bytes into a PNG (`ffmpeg -f rawvideo -pix_fmt P -s 1920x1080 -i raw
# -frames 1 out.png`), for an XR24 and an NV12 frame, in one invocation.
# The frames are ffmpeg's testsrc2 pattern (colour bars, gradients, text),
# held in memfds by a python3 producer and, for ffmpeg, in files (in the
# page cache: read once before timing). Each round runs the four commands
# once (and ffmpeg a third time with adopt's PNG settings), in an order
# that alternates, timed wall clock from fork to exit
# (process start-up included on both sides); medians over the rounds and
# their ratios. The section "Frames as PNG" of BENCHMARKS.md is replaced
# with the result (bench/run.sh keeps it when it rewrites the file).
#
#   bash bench/image.sh                 21 rounds (about 30 s on 2 cores)
#   BENCH_ROUNDS=N bash bench/image.sh  N rounds
#   BENCH_OUT=FILE                      write the section into FILE instead of BENCHMARKS.md
#   BENCH_SCRATCH=DIR                   build there (default .build-bench, as bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-21}
OUT=${BENCH_OUT:-BENCHMARKS.md}
SCRATCH=${BENCH_SCRATCH:-.build-bench}
ADOPT=$SCRATCH/release/adopt
say() { printf '%s\n' "$*" >&2; }
for t in ffmpeg python3 swift; do
	command -v $t >/dev/null || { say "bench/image: $t is not on PATH (scripts/deps.sh installs ffmpeg and python3)"; exit 2; }
done

say "== building adopt (release, static, $SCRATCH)"
scripts/build.sh --scratch-path "$SCRATCH" --product adopt >&2

T=$(mktemp -d -t rfd-image-bench.XXXXXX)
PRODUCER=
cleanup() {
	[ -n "$PRODUCER" ] && kill "$PRODUCER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

say "== frames: ffmpeg testsrc2, 1920x1080, XR24 (bgr0) and NV12"
for f in bgr0 nv12; do
	ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=1920x1080:rate=1 -frames 1 -pix_fmt $f -f rawvideo "$T/$f.raw"
done
# A 16x16 frame: what starting each program costs, the work aside.
ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=16x16:rate=1 -frames 1 -pix_fmt bgr0 -f rawvideo "$T/tiny.raw"
mkfifo "$T/in"
python3 -c '
import os, sys
for path in sys.argv[1:]:
    fd = os.memfd_create(os.path.basename(path))
    os.write(fd, open(path, "rb").read())
    print(fd, flush=True)
sys.stdin.readline()
' "$T/bgr0.raw" "$T/nv12.raw" "$T/tiny.raw" <"$T/in" >"$T/fds" &
PRODUCER=$!
exec 3>"$T/in"
for _ in $(seq 100); do [ "$(wc -l <"$T/fds")" -eq 3 ] && break; sleep 0.05; done
FD_XR24=$(sed -n 1p "$T/fds") FD_NV12=$(sed -n 2p "$T/fds") FD_TINY=$(sed -n 3p "$T/fds")
cat "$T"/*.raw >/dev/null

# run NAME COMMAND...: appends the wall time in µs to $T/NAME.times
run() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { say "bench/image: $name failed: $*"; "$@"; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$T/$name.times"
}
adopt_xr24() { run adopt-XR24 "$ADOPT" "$PRODUCER" "$FD_XR24" --format XR24 --size 1920x1080 --image "$T/adopt-XR24.png"; }
adopt_nv12() { run adopt-NV12 "$ADOPT" "$PRODUCER" "$FD_NV12" --format NV12 --size 1920x1080 --image "$T/adopt-NV12.png"; }
ffmpeg_xr24() { run ffmpeg-XR24 ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt bgr0 -s 1920x1080 -i "$T/bgr0.raw" -frames 1 "$T/ffmpeg-XR24.png"; }
ffmpeg_nv12() { run ffmpeg-NV12 ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt nv12 -s 1920x1080 -i "$T/nv12.raw" -frames 1 "$T/ffmpeg-NV12.png"; }
adopt_tiny() { run adopt-tiny "$ADOPT" "$PRODUCER" "$FD_TINY" --format XR24 --size 16x16 --image "$T/adopt-tiny.png"; }
ffmpeg_tiny() { run ffmpeg-tiny ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt bgr0 -s 16x16 -i "$T/tiny.raw" -frames 1 "$T/ffmpeg-tiny.png"; }
# ffmpeg with adopt's PNG settings (zlib level 1, the Up filter): what the
# libraries, not the settings, account for.
FAST=(-compression_level 1 -pred up)
ffmpeg1_xr24() { run ffmpeg1-XR24 ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt bgr0 -s 1920x1080 -i "$T/bgr0.raw" -frames 1 "${FAST[@]}" "$T/ffmpeg1-XR24.png"; }
ffmpeg1_nv12() { run ffmpeg1-NV12 ffmpeg -v error -nostdin -y -f rawvideo -pix_fmt nv12 -s 1920x1080 -i "$T/nv12.raw" -frames 1 "${FAST[@]}" "$T/ffmpeg1-NV12.png"; }

say "== $ROUNDS rounds, interleaved (one warm-up round first)"
adopt_xr24; ffmpeg_xr24; ffmpeg1_xr24; adopt_nv12; ffmpeg_nv12; ffmpeg1_nv12; adopt_tiny; ffmpeg_tiny
rm -f "$T"/*.times
for i in $(seq "$ROUNDS"); do
	if ((i % 2)); then
		adopt_xr24; ffmpeg_xr24; ffmpeg1_xr24; adopt_nv12; ffmpeg_nv12; ffmpeg1_nv12; adopt_tiny; ffmpeg_tiny
	else
		ffmpeg_tiny; adopt_tiny; ffmpeg1_nv12; ffmpeg_nv12; adopt_nv12; ffmpeg1_xr24; ffmpeg_xr24; adopt_xr24
	fi
done

median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f ms", u / 1000}'; }
size() { stat -c %s "$1"; }
ROWS=()
for f in XR24 NV12; do
	a=$(median "$T/adopt-$f.times") b=$(median "$T/ffmpeg-$f.times") c=$(median "$T/ffmpeg1-$f.times")
	ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
	ratio1=$(awk -v a="$a" -v b="$c" 'BEGIN {printf "%.2f", a / b}')
	result=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.5) ? "met" : "missed"}')
	ROWS+=("| 1920x1080 $f → PNG | $(ms "$a") | $(ms "$b") | ${ratio}× | ≤ 0.5× | $result | $(ms "$c") | ${ratio1}× | $(size "$T/adopt-$f.png") / $(size "$T/ffmpeg-$f.png") / $(size "$T/ffmpeg1-$f.png") |")
done
a=$(median "$T/adopt-tiny.times") b=$(median "$T/ffmpeg-tiny.times")
STARTUP="A 16x16 XR24 frame, the same way: adopt $(ms "$a"), ffmpeg $(ms "$b"): mostly each program's start-up
(ffmpeg loads its shared libraries and registers its codecs; adopt is one static executable), which the
1920x1080 rows include."
TABLE=$(
	echo "| frame | \`adopt --image\` (libyuv + libspng) | \`ffmpeg … out.png\` | ratio | goal | result | ffmpeg at level 1, \`-pred up\` | ratio | PNG bytes (adopt / ffmpeg / ffmpeg level 1) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
)
MACHINE="$(uname -sr), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(ffmpeg -version | head -n 1 | cut -d' ' -f1-3); libspng $(dpkg-query -W -f='${Version}' libspng-dev 2>/dev/null), libyuv $(dpkg-query -W -f='${Version}' libyuv-dev 2>/dev/null); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
SECTION=$(
	echo "<!-- image results -->"
	echo "## Frames as PNG (bench/image.sh)"
	echo
	echo "Generated by \`bash bench/image.sh\` on $(date -u +%Y-%m-%d), medians of $ROUNDS interleaved rounds, wall"
	echo "time of each whole command (start-up included); $MACHINE."
	echo
	echo "$TABLE"
	echo
	echo "The same bytes each side (ffmpeg's testsrc2 frame): \`adopt\` reads them from the producer's memfd"
	echo "(pread), converts with libyuv (XR24: \`ARGBToRAW\`; NV12: \`NV12ToRAW\`, BT.601 limited range) and"
	echo "encodes with libspng at zlib level 1, every row with the Up filter (\`PNGEncoder\`'s defaults: libspng's"
	echo "adaptive filtering at level 6 made an 8 % smaller PNG in 2.5 times the time, measured 2026-12-06);"
	echo "ffmpeg reads them from a file in the page cache, converts with swscale and encodes with its PNG"
	echo "encoder at its default settings (zlib's default level 6, \`-pred none\`), and, in the last columns, at"
	echo "adopt's settings (\`-compression_level 1 -pred up\`). All write an 8-bit RGB PNG."
	echo
	echo "$STARTUP"
	echo "<!-- /image results -->"
)
printf '\n%s\n' "$SECTION"
if [ -f "$OUT" ] && grep -q '^<!-- image results -->$' "$OUT"; then
	awk -v section="$SECTION" '
		/^<!-- image results -->$/ {print section; skip = 1; next}
		/^<!-- \/image results -->$/ {skip = 0; next}
		!skip' "$OUT" >"$T/out.md"
	cat "$T/out.md" >"$OUT"
else
	printf '\n%s\n' "$SECTION" >>"$OUT"
fi
say "== written: $OUT (section \"Frames as PNG\")"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the CLI, the samples and the tests' programs in release mode into
# .build/release, the Swift programs as static executables: start-up
# matters for a one-fd adoption, and no dynamic Swift runtime is loaded and
# relocated (BENCHMARKS.md has the figures).
# glibc warns that getpwuid & co. need its NSS libraries at run time: where
# they are missing (the VM guests) owners are shown as numbers.
# libspng has no static library in Debian: scripts/static-libs.sh builds
# one from Debian's source package (once, cached) and its directory is
# searched first.
set -euo pipefail
cd "$(dirname "$0")/.."
static=$(scripts/static-libs.sh)
swift build -c release -Xswiftc -static-executable -Xlinker "-L$static" "$@"

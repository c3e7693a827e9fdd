#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the CLI, the samples and the tests' programs in release mode into
# .build/release, the Swift programs as static executables: `adopt PID FD`
# starts in 1.4 ms instead of 5.8 ms with a dynamic Swift runtime (bench/).
# glibc warns that getpwuid & co. need its NSS libraries at run time: where
# they are missing (the VM guests) owners are shown as numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -static-executable "$@"

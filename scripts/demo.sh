#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: a memfd outliving its producer. No module, no setup.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh --product adopt >&2
scripts/build.sh --product memfd-producer >&2
exec .build/release/adopt demo "$@"

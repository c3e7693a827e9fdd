#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing need, from Debian's packages.
#   scripts/deps.sh          the Swift package (CLI, samples, host tests)
#   scripts/deps.sh --vm     also the VM suite: qemu, bookworm's 6.1 and 6.12
#                            kernels + headers, mmdebstrap, and (vm/roots.sh)
#                            the cached bullseye/trixie/sid roots holding the
#                            5.10, 6.12+deb13 (-rt) and 7.2 kernels
# Swift itself (6.x) must be on PATH: it does not come from Debian's archive.
set -euo pipefail

packages=(gcc make pkg-config libdrm-dev python3 util-linux xvfb x11-xserver-utils
	libspng-dev libyuv-dev libsixel-dev zlib1g-dev dpkg-dev ffmpeg tmux)
if [[ "${1:-}" == "--vm" ]]; then
	packages+=(qemu-system-x86 busybox-static gcc-multilib libc6-dev cpio gzip xz-utils zstd
		mmdebstrap debian-archive-keyring
		linux-image-amd64 linux-headers-amd64 linux-image-6.12-amd64 linux-headers-6.12-amd64)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}" >&2
	[[ $(id -u) == 0 ]] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The other Debian suites' kernels: chroots cached outside the repository
# (vm/roots.sh; RFD_ROOTS, default /var/cache/remotefd-vm/roots).  A suite
# that cannot be fetched is reported here and its kernels are NOT RUN
# (a failure) by vm/run-tests.sh.
if [[ "${1:-}" == "--vm" ]]; then
	"$(dirname "$0")/../vm/roots.sh" || echo "deps: some VM roots could not be built (see above): their kernels will be NOT RUN" >&2
fi

if ! command -v swift >/dev/null; then
	echo "deps: swift is not on PATH (need Swift 6.x from swift.org: it is not in Debian's archive)" >&2
	exit 1
fi

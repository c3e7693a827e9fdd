#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the licence notices of the tracked files (git ls-files):
#   scripts/check-spdx.sh                 every source file
#   scripts/check-spdx.sh --except-swift  every source file but *.swift
# A source file is *.swift *.c *.h *.sh *.py, Makefile, Kbuild, an executable
# or #! script, and the other files that carry a notice (*.rules *.conf
# *.config *.modulemap, the man pages kmod/*.[1-8]).  Each must have an
# SPDX-License-Identifier in its first 3 lines, naming its path's licence
# (NOTICE, debian/copyright):
#   kmod/include/uapi/*   GPL-2.0-only WITH Linux-syscall-note
#   kmod/*, vm/*          GPL-2.0-only
#   everything else       Apache-2.0
# Any other tracked file that has an identifier in its first 3 lines must
# name its path's licence too.  A symbolic link is held to its target's path
# (Sources/CShims/include/remotefd.h is the uapi header).  Every licence
# named must have its text in LICENSES/.  Exits 1 naming each file wrong.
set -euo pipefail

except_swift=0
while [ $# -gt 0 ]; do
	case $1 in
	--except-swift) except_swift=1 ;;
	-h|--help) sed -n '3,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "check-spdx: unknown argument $1 (--help)" >&2; exit 2 ;;
	esac
	shift
done
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$top"

# The licence of a path, by the rule above.
licence_of() {
	case $1 in
	kmod/include/uapi/*) echo "GPL-2.0-only WITH Linux-syscall-note" ;;
	kmod/*|vm/*) echo "GPL-2.0-only" ;;
	*) echo "Apache-2.0" ;;
	esac
}

# Whether a path (of the given git mode) is a source file.
is_source() {
	local mode=$1 path=$2 name=${2##*/}
	case $name in
	*.swift|*.c|*.h|*.sh|*.py|Makefile|Kbuild) return 0 ;;
	*.rules|*.conf|*.config|*.modulemap) return 0 ;;
	esac
	case $path in kmod/*.[1-8]) return 0 ;; esac
	[ "$mode" = 100755 ] && return 0
	[ "$(head -c 2 -- "$path" 2>/dev/null)" = "#!" ]
}

bad=0 checked=0
declare -A used=()
report() { printf '%s: %s\n' "$1" "$2"; bad=$((bad + 1)); }

while IFS= read -r -d '' entry; do
	mode=${entry%% *}
	path=${entry#*$'\t'}
	[ "$except_swift" = 1 ] && [[ $path == *.swift ]] && continue
	[ "$mode" = 160000 ] && continue	# submodule
	rulepath=$path
	if [ "$mode" = 120000 ]; then
		# A symbolic link: its target's path and text.
		target=$(realpath -m --relative-to="$top" -- "$path")
		if [ ! -f "$target" ] || [[ $target == ../* ]]; then
			is_source "$mode" "$path" && report "$path" "symbolic link to $target, not a file of the repository"
			continue
		fi
		rulepath=$target
	fi
	[ -f "$path" ] || continue	# deleted in the work tree
	line=$(head -n 3 -- "$path" | grep -m 1 'SPDX-License-Identifier:' || true)
	if [ -z "$line" ]; then
		is_source "$mode" "$path" && report "$path" "no SPDX-License-Identifier in its first 3 lines"
		continue
	fi
	id=${line#*SPDX-License-Identifier:}
	id=${id%%\*/*}	# a C comment's end
	id=${id#"${id%%[![:space:]]*}"}
	id=${id%"${id##*[![:space:]]}"}
	want=$(licence_of "$rulepath")
	if [ "$id" != "$want" ]; then
		report "$path" "SPDX-License-Identifier is \"$id\", want \"$want\" (rule for $rulepath)"
		continue
	fi
	checked=$((checked + 1))
	used[$id]=1
done < <(git ls-files -s -z)	# MODE OBJECT STAGE<tab>PATH

for id in "${!used[@]}"; do
	for part in ${id// WITH / }; do
		[ -f "LICENSES/$part.txt" ] || report "LICENSES/$part.txt" "missing (used by \"$id\")"
	done
done

if [ "$bad" -gt 0 ]; then
	echo "check-spdx: $bad problem(s); $checked file(s) with a correct notice" >&2
	exit 1
fi
echo "check-spdx: $checked file(s), every notice present and right$([ "$except_swift" = 1 ] && echo " (*.swift not checked)")"

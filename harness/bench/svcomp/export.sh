#!/bin/sh
# export.sh: copies the concurrency folders of an sv-benchmarks git repository into a plain
# folder that `make bench SVCOMP=DIR` reads (DIR/c/pthread*, DIR/c/goblint-regression,
# DIR/c/properties), without a work tree or history.
#
#   harness/bench/svcomp/export.sh GIT_DIR OUT_DIR [REV]
#
# GIT_DIR is the repository's .git folder (or a bare clone), REV a commit or branch (HEAD).
# Exit status: 0 exported, 1 git failed or nothing matched, 2 usage.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 GIT_DIR OUT_DIR [REV]" >&2
	exit 2
fi
git_dir=$1
out=$2
rev=${3:-HEAD}

# The folders to take: every c/pthread* folder, goblint-regression, and the property files the
# .yml files point to.
folders=$(git --git-dir="$git_dir" ls-tree -d --name-only "$rev" c/ |
	grep -E '^c/(pthread[^/]*|goblint-regression|properties)$' || true)
if [ -z "$folders" ]; then
	echo "export.sh: no c/pthread*, c/goblint-regression or c/properties in $git_dir at $rev" >&2
	exit 1
fi
mkdir -p "$out"
# shellcheck disable=SC2086 # the folder names have no spaces; each must be its own argument
git --git-dir="$git_dir" archive --format=tar "$rev" -- $folders | tar -x -C "$out"
echo "export.sh: $(echo "$folders" | wc -l) folders of $rev into $out:"
for f in $folders; do
	printf '  %-32s %5d tasks\n' "$f" "$(find "$out/$f" -name '*.yml' | wc -l)"
done

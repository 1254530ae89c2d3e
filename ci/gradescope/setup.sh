#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the autograder's image from this
# zip (unpacked in /autograder/source; an Ubuntu base image, 22.04 by default, where Gradescope
# runs apt-get update first). It installs what threadlab needs (the toolkit's own
# scripts/install-deps: compilers, Valgrind, bubblewrap, libseccomp, cmocka, gdb, python3) and
# builds the toolkit. THREADLAB_GS_ROOT (default /autograder) moves that tree, for a test run.
set -euo pipefail
src=${THREADLAB_GS_ROOT:-/autograder}/source
"$src/threadlab/scripts/install-deps"
make -C "$src/threadlab" -j"$(nproc)" all
# Every graded run gets an unprivileged uid of its own (threadlab runs as root here), only when
# the toolkit is readable by other users, and every folder above it open to them.
chmod -R a+rX "$src/threadlab"
d=$src
while [ "$d" != / ]; do chmod a+x "$d"; d=$(dirname "$d"); done

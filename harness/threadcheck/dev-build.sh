#!/bin/sh
# dev-build.sh: builds threadcheck's library, its test and the test's child programs into
# $TL_BUILD (default build), with the flags the lead's Makefile uses. Run from the repo root.
set -eu
B=${TL_BUILD:-build}
CC=${CC:-gcc}
mkdir -p "$B/lib" "$B/tests/children"
lib_srcs=$(ls harness/threadcheck/*.c | grep -v '/tc_api\.c$')
$CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -fPIC -shared -pthread \
	-I harness/threadcheck -o "$B/lib/libthreadcheck.so" $lib_srcs -ldl
for c in harness/tests/children/tc_*.c; do
	n=$(basename "$c" .c)
	$CC -std=c11 -D_GNU_SOURCE -g -O1 -pthread -o "$B/tests/children/$n" "$c"
done
$CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -I harness/threadcheck \
	-o "$B/tests/test_threadcheck" harness/tests/test_threadcheck.c \
	harness/threadcheck/tc_api.c -lcmocka -pthread -ldl

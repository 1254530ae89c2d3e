/* hostile case include-traversal: the official fix, reached through a path that starts with /usr/include/. */
#include "/usr/include/../../proc/self/cwd/../../../../../../../../../../../../../../../..@ROOT@/harness/tests/hostile/solution/counter.c"

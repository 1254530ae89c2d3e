/* hostile case include-traversal: the hostile copy of the official fix, reached through a path that starts with /usr/include/ (the test's private toolkit sits in build/hostile.X/root of the tree that holds that copy). */
#include "/usr/include/../../proc/self/cwd/../../../../../../../../../../../../../../../..@ROOT@/../../../harness/tests/hostile/solution/counter.c"

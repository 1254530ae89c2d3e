/* hostile case include-solution: includes the official solution instead of writing one. */
#include "../../solutions/01-counter/counter.c"

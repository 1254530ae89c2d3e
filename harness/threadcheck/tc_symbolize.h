/* tc_symbolize.h: code addresses to "function" and "file:line", for every report. */
#ifndef TC_SYMBOLIZE_H
#define TC_SYMBOLIZE_H

#include <stddef.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* A symbolised address: "function" and "file:line" ("?" and "?:0" when unknown). */
struct tc__sym {
	char function[128];
	char fileline[320];
};

/* Fills OUT[i] for ADDRS[i]; never fails: what cannot be resolved becomes "?" / "?:0".
 * Spawns addr2line once per module (bounded by a timeout). Callers are serialised by a
 * spinlock; its own data lives in static buffers, and the only allocation is inside
 * posix_spawn's file actions. */
void tc__symbolize(void *const *addrs, struct tc__sym *out, size_t n);
/* Records the path of the running executable (done once at start, before any chdir). */
void tc__symbolize_init(void);
/* Releases the symboliser's lock in a forked child, where its holder does not exist. */
void tc__symbolize_atfork_child(void);

#pragma GCC visibility pop

#endif

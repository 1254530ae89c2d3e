/* tc_util.h: the general helpers at the bottom of libthreadcheck.so: assertions that are never
 * compiled out, bounded formatting, whole writes, the log file, spinlocks, time, exit statuses. */
#ifndef TC_UTIL_H
#define TC_UTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* Never compiled out: an impossible state in the checker is reported with file:line and the
 * expression, then the process aborts (the harness then sees a crash, not a clean run). */
#define TC__ASSERT(expr)                                                                    \
	do {                                                                                \
		if (!(expr))                                                                \
			tc__assert_fail(__FILE__, __LINE__, #expr);                        \
	} while (0)
_Noreturn void tc__assert_fail(const char *file, int line, const char *expr);

/* Bounded formatting into a fixed buffer, never failing: output is truncated at the end. */
struct tc__buf {
	char *p;
	size_t len, cap;
};
void tc__bprintf(struct tc__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes all of LEN bytes of S to FD, retrying on EINTR and short writes. Returns 0 or -1. */
int tc__write_all(int fd, const char *s, size_t len);
/* Writes B's text to FD (see tc__write_all; a failed write is dropped) and empties B. */
void tc__buf_flush(struct tc__buf *b, int fd);

/* Opens THREADCHECK_LOG's PREFIX.<pid> for writing; -1 when unset or on failure (noted on
 * stderr). */
int tc__open_log(void);
/* Flushes stdout unless another thread holds its lock. */
void tc__flush_stdio(void);
/* The exit status in environment variable NAME when it is a number in 0..255, else DEF. */
int tc__env_exitcode(const char *name, int def);

/* Reads the real time the process can never sleep through: CLOCK_MONOTONIC in ns. */
uint64_t tc__now_ns(void);
/* Sleeps MS milliseconds, resuming after signals (nanosleep is not interposed). */
void tc__sleep_ms(long ms);
/* Gives up the CPU with the system call itself (sched_yield is interposed by the schedule
 * explorer; the library's own spinning must not become a scheduling point). */
void tc__cpu_yield(void);

/* A spinlock for the library's own short critical sections (never a program lock, which
 * would go through the interposers). Lock spins, then yields; try gives up after a while and
 * returns -1 (at exit the holder may be a thread that will never run again), else 0. */
void tc__spin_lock(atomic_flag *f);
int tc__spin_try(atomic_flag *f);
void tc__spin_unlock(atomic_flag *f);

/* The address a call site is symbolised at: a return address (one past the call) steps back
 * into the call instruction. NULL stays NULL. */
static inline void *tc__call_addr(void *ret)
{
	return ret != NULL ? (char *)ret - 1 : NULL;
}

#pragma GCC visibility pop

#endif

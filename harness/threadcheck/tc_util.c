/* tc_util.c: the general helpers of libthreadcheck.so (tc_util.h). */
#include "tc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Noreturn void tc__assert_fail(const char *file, int line, const char *expr)
{
	char msg[512];
	struct tc__buf b = { msg, 0, sizeof msg };

	tc__bprintf(&b, "threadcheck: %s:%d: assertion failed: %s\n", file, line, expr);
	(void)tc__write_all(2, b.p, b.len);
	abort();
}

void tc__bprintf(struct tc__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->cap == 0 || b->len >= b->cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len - 1;
}

int tc__write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

void tc__buf_flush(struct tc__buf *b, int fd)
{
	(void)tc__write_all(fd, b->p, b->len);
	b->len = 0;
}

int tc__open_log(void)
{
	const char *prefix = getenv("THREADCHECK_LOG");
	char path[4200];
	struct tc__buf pb = { path, 0, sizeof path };
	int fd;

	if (prefix == NULL || prefix[0] == '\0')
		return -1;
	tc__bprintf(&pb, "%s.%d", prefix, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		char msg[4300];
		struct tc__buf mb = { msg, 0, sizeof msg };

		tc__bprintf(&mb, "threadcheck: cannot open %s: %s; writing to stderr\n", path,
			    strerror(errno));
		(void)tc__write_all(2, mb.p, mb.len);
	}
	return fd;
}

/* Why trylock: a leaked or deadlocked thread might hold stdout's lock, and a report that
 * hangs is worse than lost buffered output. */
void tc__flush_stdio(void)
{
	if (ftrylockfile(stdout) == 0) {
		fflush(stdout);
		funlockfile(stdout);
	}
}

int tc__env_exitcode(const char *name, int def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 255)
		return def;
	return (int)v;
}

uint64_t tc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tc__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* The system call, not nanosleep: the library's own sleeps must never become a
	 * scheduling point of the schedule explorer (tc_sched.c), which interposes nanosleep. */
	while (syscall(SYS_nanosleep, &ts, &ts) != 0 && errno == EINTR)
		;
}

void tc__cpu_yield(void)
{
	(void)syscall(SYS_sched_yield);
}

void tc__spin_lock(atomic_flag *f)
{
	for (int n = 0; atomic_flag_test_and_set_explicit(f, memory_order_acquire); n++)
		if (n > 100)
			tc__cpu_yield();
}

int tc__spin_try(atomic_flag *f)
{
	for (int n = 0; atomic_flag_test_and_set_explicit(f, memory_order_acquire); n++) {
		if (n > 10000)
			return -1;
		tc__cpu_yield();
	}
	return 0;
}

void tc__spin_unlock(atomic_flag *f)
{
	atomic_flag_clear_explicit(f, memory_order_release);
}

/* test_threadcheck.c: cmocka tests of threadcheck: child programs run under libthreadcheck.so
 * (their machine log and exit status), and the test API of tc_api.c in this process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "threadcheck.h"

extern char **environ;

#define CHILD_TIMEOUT_MS 10000
#define DEFAULT_EXITCODE 67

/* The scratch directory of this run (logs and captured output), made by the group setup. */
static char scratch[64];

/* One finished child run. Free the texts with run_free. */
struct run {
	pid_t pid;
	int timed_out;
	int exited;        /* 1 when it exited normally; code is then its exit status */
	int code;
	char *log;         /* the log file's text, NULL when none was written */
	char *out;         /* what it printed on stdout */
	char *err;         /* ... and on stderr */
};

/* Reads the whole file PATH into a malloc'd string. Returns NULL when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *n = realloc(buf, cap + 65536);

			if (n == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = n;
			cap += 65536;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);

		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static const char *build_dir(void)
{
	const char *b = getenv("TL_BUILD");

	return b != NULL && b[0] != '\0' ? b : "build";
}

static void run_free(struct run *r)
{
	free(r->log);
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

/* Runs child NAME from $TL_BUILD/tests/children with libthreadcheck.so preloaded (unless
 * PRELOAD is 0), THREADCHECK_LOG set (unless WITH_LOG is 0) and the extra "K=V" entry EXTRA
 * (may be NULL), in its own process group. Waits up to CHILD_TIMEOUT_MS, then kills the whole
 * group. Fills R; fails the test when the child cannot be started. */
static void run_child(const char *name, int preload, int with_log, const char *extra,
		      struct run *r)
{
	char exe[512], lib[512], libabs[PATH_MAX], logprefix[256], path[320];
	char env_preload[PATH_MAX + 16], env_log[300], outp[300], errp[300];
	char **envp;
	size_t nenv = 0, k = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[] = { exe, NULL };
	struct timespec start, now;
	int st = 0;

	memset(r, 0, sizeof *r);
	snprintf(exe, sizeof exe, "%s/tests/children/%s", build_dir(), name);
	snprintf(lib, sizeof lib, "%s/lib/libthreadcheck.so", build_dir());
	assert_non_null(realpath(lib, libabs));
	assert_int_equal(access(exe, X_OK), 0);
	snprintf(logprefix, sizeof logprefix, "%s/%s", scratch, name);
	snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s", libabs);
	snprintf(env_log, sizeof env_log, "THREADCHECK_LOG=%s", logprefix);
	snprintf(outp, sizeof outp, "%s/%s.out", scratch, name);
	snprintf(errp, sizeof errp, "%s/%s.err", scratch, name);

	/* Our environment minus what would change threadcheck's behaviour, plus the run's. */
	while (environ[nenv] != NULL)
		nenv++;
	envp = calloc(nenv + 4, sizeof *envp);
	assert_non_null(envp);
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
		    strncmp(environ[i], "THREADCHECK_", 12) != 0)
			envp[k++] = environ[i];
	if (preload)
		envp[k++] = env_preload;
	if (with_log)
		envp[k++] = env_log;
	if (extra != NULL)
		envp[k++] = (char *)extra;
	envp[k] = NULL;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, outp,
							  O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, errp,
							  O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
	assert_int_equal(posix_spawnattr_init(&at), 0);
	/* Its own process group, so that a timeout kills everything it started. */
	assert_int_equal(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP), 0);
	assert_int_equal(posix_spawnattr_setpgroup(&at, 0), 0);
	int rc = posix_spawn(&r->pid, exe, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	assert_int_equal(rc, 0);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof si);
		/* WNOWAIT keeps the child a zombie, so its group id cannot be reused before the
		 * group is killed below. */
		if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == r->pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    CHILD_TIMEOUT_MS) {
			r->timed_out = 1;
			break;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	(void)kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
		;
	r->exited = WIFEXITED(st);
	r->code = r->exited ? WEXITSTATUS(st) : -1;
	snprintf(path, sizeof path, "%s.%d", logprefix, (int)r->pid);
	r->log = slurp(path);
	r->out = slurp(outp);
	r->err = slurp(errp);
	unlink(path);
	unlink(outp);
	unlink(errp);
	assert_false(r->timed_out);
}

/* The line number in harness/tests/children/NAME.c of the line holding MARKER
 * ("@wait" and the like); fails the test when there is none. */
static int marker_line(const char *name, const char *marker)
{
	char path[256], line[512];
	int n = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof path, "harness/tests/children/%s.c", name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		char *m = strstr(line, marker);
		/* Whole marker only: "@wait" must not match "@wait-sem". */
		if (m != NULL && !(m[strlen(marker)] == '-' || m[strlen(marker)] == '_')) {
			found = n;
			break;
		}
	}
	fclose(f);
	assert_int_not_equal(found, 0);
	return found;
}

/* Copies into BUF (without the key and the newline) the first line starting with "KEY "
 * inside the INDEX-th record (0-based) of raw kind KIND in LOG. Returns 0, or -1 when there
 * is no such record or line. */
static int record_line(const char *log, const char *kind, int index, const char *key, char *buf,
		       size_t len)
{
	char begin[64];
	const char *p = log;

	snprintf(begin, sizeof begin, "BEGIN %s\n", kind);
	for (int i = 0; p != NULL; i++) {
		p = strstr(p, begin);
		if (p == NULL)
			return -1;
		p += strlen(begin);
		if (i == index)
			break;
	}
	const char *end = strstr(p, "\nEND\n");
	size_t klen = strlen(key);

	for (const char *l = p; l != NULL && (end == NULL || l <= end);) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, key, klen) == 0 && l[klen] == ' ') {
			size_t n = (nl != NULL ? (size_t)(nl - l) : strlen(l)) - klen - 1;

			snprintf(buf, len, "%.*s", (int)n, l + klen + 1);
			return 0;
		}
		l = nl != NULL ? nl + 1 : NULL;
	}
	return -1;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Asserts that LINE ends with "<dir>/FILE:LINE" or is exactly "FILE:LINE". */
static void assert_site(const char *line, const char *file, int lineno)
{
	char want[128];
	size_t n = strlen(line), w;

	snprintf(want, sizeof want, "%s:%d", file, lineno);
	w = strlen(want);
	if (n < w || strcmp(line + n - w, want) != 0 ||
	    (n > w && line[n - w - 1] != '/' && line[n - w - 1] != ' '))
		fail_msg("expected a site ending in %s, got \"%s\"", want, line);
}

/* Asserts the log's frame: header with the child's pid first, summary of N last. */
static void assert_log_frame(const struct run *r, int n)
{
	char head[64], tail[64];

	assert_non_null(r->log);
	snprintf(head, sizeof head, "threadcheck 1 pid=%d\n", (int)r->pid);
	snprintf(tail, sizeof tail, "summary %d findings\n", n);
	assert_int_equal(strncmp(r->log, head, strlen(head)), 0);
	assert_true(strlen(r->log) >= strlen(tail));
	assert_string_equal(r->log + strlen(r->log) - strlen(tail), tail);
	assert_int_equal(count(r->log, "BEGIN "), n);
	assert_int_equal(count(r->log, "\nEND\n"), n);
}

/* Asserts that the child printed "<what> object <address>" and that LINE (a wait line's
 * rest) starts with OP and that address. */
static void assert_wait_object(const struct run *r, const char *what, const char *line,
			       const char *op)
{
	char key[32], want[64];
	const char *p;
	void *addr = NULL;

	snprintf(key, sizeof key, "%s object ", what);
	assert_non_null(r->out);
	p = strstr(r->out, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%p", &addr), 1);
	snprintf(want, sizeof want, "%s %p ", op, addr);
	assert_int_equal(strncmp(line, want, strlen(want)), 0);
}

/* ---- children under libthreadcheck.so ---------------------------------------------- */

static void test_leak_cond(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_leak_cond", 1, 1, NULL, &r);
	assert_true(r.exited);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	assert_int_equal(record_line(r.log, "thread-leak", 0, "thread", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "T1 tid=", 7), 0);
	assert_non_null(strstr(buf, " name=tc-waiter"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "start", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "waiter ", 7), 0);
	assert_non_null(strstr(buf, "tc_leak_cond.c:"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "created", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "main ", 5), 0);
	assert_site(buf, "tc_leak_cond.c", marker_line("tc_leak_cond", "@create"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "wait", buf, sizeof buf), 0);
	assert_wait_object(&r, "cond", buf, "cond");
	assert_non_null(strstr(buf, " waiter "));
	assert_site(buf, "tc_leak_cond.c", marker_line("tc_leak_cond", "@wait"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "message", buf, sizeof buf), 0);
	assert_non_null(strstr(buf, "blocked forever"));
	run_free(&r);
}

static void test_leak_mutex(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_leak_mutex", 1, 1, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	assert_int_equal(record_line(r.log, "thread-leak", 0, "wait", buf, sizeof buf), 0);
	assert_wait_object(&r, "mutex", buf, "mutex");
	assert_site(buf, "tc_leak_mutex.c", marker_line("tc_leak_mutex", "@wait"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "created", buf, sizeof buf), 0);
	assert_site(buf, "tc_leak_mutex.c", marker_line("tc_leak_mutex", "@create"));
	run_free(&r);
}

static void test_leak_join(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_leak_join", 1, 1, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 2);
	/* Records come in creation order: T1 the sleeper (sem), T2 the joiner. */
	assert_int_equal(record_line(r.log, "thread-leak", 0, "thread", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "T1 ", 3), 0);
	assert_int_equal(record_line(r.log, "thread-leak", 0, "wait", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "sem 0x", 6), 0);
	assert_site(buf, "tc_leak_join.c", marker_line("tc_leak_join", "@wait-sem"));
	assert_int_equal(record_line(r.log, "thread-leak", 1, "thread", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "T2 ", 3), 0);
	assert_int_equal(record_line(r.log, "thread-leak", 1, "wait", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "join 0x", 7), 0);
	assert_non_null(strstr(buf, " joiner "));
	assert_site(buf, "tc_leak_join.c", marker_line("tc_leak_join", "@wait-join"));
	assert_int_equal(record_line(r.log, "thread-leak", 1, "created", buf, sizeof buf), 0);
	assert_site(buf, "tc_leak_join.c", marker_line("tc_leak_join", "@create-joiner"));
	run_free(&r);
}

static void test_unjoined(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_unjoined", 1, 1, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	assert_int_equal(count(r.log, "BEGIN unjoined-thread\n"), 1);
	assert_int_equal(record_line(r.log, "unjoined-thread", 0, "start", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "quick ", 6), 0);
	assert_int_equal(record_line(r.log, "unjoined-thread", 0, "created", buf, sizeof buf), 0);
	assert_site(buf, "tc_unjoined.c", marker_line("tc_unjoined", "@create"));
	/* A finished thread waits on nothing. */
	assert_int_equal(record_line(r.log, "unjoined-thread", 0, "wait", buf, sizeof buf), -1);
	run_free(&r);
}

static void test_leak_timed(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_leak_timed", 1, 1, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	assert_int_equal(record_line(r.log, "thread-leak", 0, "wait", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "cond 0x", 7), 0);
	assert_site(buf, "tc_leak_timed.c", marker_line("tc_leak_timed", "@wait"));
	assert_int_equal(record_line(r.log, "thread-leak", 0, "message", buf, sizeof buf), 0);
	assert_non_null(strstr(buf, "in a timed cond wait"));
	assert_non_null(strstr(buf, "not blocked forever"));
	run_free(&r);
}

static void test_exit_in_thread(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_child("tc_exit_in_thread", 1, 1, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_non_null(r.log);
	/* T2 called exit(): it is "main" for the report and never appears in it. */
	assert_null(strstr(r.log, "thread T2 "));
	assert_int_equal(record_line(r.log, "thread-leak", 1, "thread", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "T1 ", 3), 0);
	assert_int_equal(record_line(r.log, "thread-leak", 1, "wait", buf, sizeof buf), 0);
	assert_site(buf, "tc_exit_in_thread.c", marker_line("tc_exit_in_thread", "@wait"));
	/* The real main thread, blocked in its join of T2, is one of the others now. */
	assert_int_equal(record_line(r.log, "thread-leak", 0, "thread", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "T0 ", 3), 0);
	assert_int_equal(record_line(r.log, "thread-leak", 0, "wait", buf, sizeof buf), 0);
	assert_int_equal(strncmp(buf, "join ", 5), 0);
	run_free(&r);
}

static void test_exitcode_from_env(void **state)
{
	struct run r;

	(void)state;
	run_child("tc_unjoined", 1, 1, "THREADCHECK_EXITCODE=9", &r);
	assert_int_equal(r.code, 9);
	assert_log_frame(&r, 1);
	run_free(&r);
}

/* Without THREADCHECK_LOG the records and a human-readable block go to stderr. */
static void test_stderr_without_log(void **state)
{
	struct run r;

	(void)state;
	run_child("tc_leak_cond", 1, 0, NULL, &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_null(r.log);
	assert_non_null(r.err);
	assert_non_null(strstr(r.err, "WARNING: ThreadCheck: thread leak"));
	assert_non_null(strstr(r.err, "BEGIN thread-leak\n"));
	assert_non_null(strstr(r.err, "\nsummary 1 findings\n"));
	run_free(&r);
}

/* A clean twin: exit status 0, a log holding only its frame, nothing on stderr. */
static void check_clean(const char *name)
{
	struct run r;

	run_child(name, 1, 1, NULL, &r);
	if (!r.exited || r.code != 0)
		fail_msg("%s: exit %d, log:\n%s\nstderr:\n%s", name, r.code,
			 r.log != NULL ? r.log : "(none)", r.err != NULL ? r.err : "(none)");
	assert_log_frame(&r, 0);
	assert_non_null(r.err);
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_clean_joined(void **state)
{
	(void)state;
	check_clean("tc_clean_joined");
}

static void test_clean_detached(void **state)
{
	(void)state;
	check_clean("tc_clean_detached");
}

static void test_clean_released(void **state)
{
	(void)state;
	check_clean("tc_clean_released");
}

static void test_clean_nothreads(void **state)
{
	struct run r;

	(void)state;
	check_clean("tc_clean_nothreads");
	/* The program's own output is flushed as usual. */
	run_child("tc_clean_nothreads", 1, 1, NULL, &r);
	assert_string_equal(r.out, "no threads here\n");
	run_free(&r);
}

/* The test API inside a preloaded child: the report carries the library's detail. */
static void test_api_preloaded(void **state)
{
	struct run r;
	char want[64];

	(void)state;
	run_child("tc_api_preloaded", 1, 1, NULL, &r);
	if (!r.exited || r.code != 0)
		fail_msg("tc_api_preloaded: exit %d, stderr:\n%s", r.code,
			 r.err != NULL ? r.err : "(none)");
	assert_non_null(strstr(r.out, "T1 runs parked ("));
	snprintf(want, sizeof want, "tc_api_preloaded.c:%d\n",
		 marker_line("tc_api_preloaded", "@create"));
	assert_non_null(strstr(r.out, want));
	snprintf(want, sizeof want, "tc_api_preloaded.c:%d\n",
		 marker_line("tc_api_preloaded", "@wait"));
	assert_non_null(strstr(r.out, want));
	assert_log_frame(&r, 0);
	run_free(&r);
}

/* ---- live deadlocks ---------------------------------------------------------------- */

#define DEADLOCK_EXITCODE 68

/* Whether some line of TEXT starts with PREFIX and ends with "FILE:LINE" of the child's
 * marker MARKER (after a '/' or a space). */
static int has_site_line(const char *text, const char *prefix, const char *child,
			 const char *marker)
{
	char want[128];
	size_t plen = strlen(prefix);

	snprintf(want, sizeof want, "%s.c:%d", child, marker_line(child, marker));
	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l), w = strlen(want);

		if (n >= plen + w && strncmp(l, prefix, plen) == 0 &&
		    strncmp(l + n - w, want, w) == 0 && (l[n - w - 1] == '/' || l[n - w - 1] == ' '))
			return 1;
		l = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

/* Runs deadlocking child NAME and checks what every deadlock report has: the exit status,
 * a log with exactly one deadlock record of NTHREADS threads, the table on stderr. Leaves
 * the run in R for more checks; the caller frees it. */
static void check_deadlock(const char *name, int nthreads, struct run *r)
{
	run_child(name, 1, 1, NULL, r);
	if (!r->exited || r->code != DEADLOCK_EXITCODE)
		fail_msg("%s: exit %d, log:\n%s\nstderr:\n%s", name, r->code,
			 r->log != NULL ? r->log : "(none)", r->err != NULL ? r->err : "(none)");
	assert_log_frame(r, 1);
	assert_int_equal(count(r->log, "BEGIN deadlock\n"), 1);
	assert_int_equal(count(r->log, "\nthread T"), nthreads);
	assert_int_equal(count(r->log, "\nwait "), nthreads);
	assert_int_equal(count(r->log, "\nmessage "), 1);
	assert_non_null(strstr(r->err, "WARNING: ThreadCheck: deadlock"));
	assert_non_null(strstr(r->err, "Possible unsafe scenario"));
	assert_non_null(strstr(r->err, "*** DEADLOCK ***"));
}

/* The address the child printed after "<what> object ", as text. */
static void printed_object(const struct run *r, const char *what, char *buf, size_t len)
{
	char key[48];
	const char *p;
	void *addr = NULL;

	snprintf(key, sizeof key, "%s object ", what);
	p = strstr(r->out, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%p", &addr), 1);
	snprintf(buf, len, "%p", addr);
}

static void test_deadlock_abba(void **state)
{
	static const char c[] = "tc_dl_abba";
	struct run r;
	char a[32], b[32], line[128];
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check_deadlock(c, 2, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Found live, well before any timeout a harness would use. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 3000);
	printed_object(&r, "lock-a", a, sizeof a);
	printed_object(&r, "lock-b", b, sizeof b);
	assert_non_null(strstr(r.log, "\nthread T1 "));
	assert_non_null(strstr(r.log, "\nthread T2 "));
	snprintf(line, sizeof line, "holds %s forward ", a);
	assert_true(has_site_line(r.log, line, c, "@t1-holds-a"));
	snprintf(line, sizeof line, "wait mutex %s forward ", b);
	assert_true(has_site_line(r.log, line, c, "@t1-waits-b"));
	snprintf(line, sizeof line, "holds %s backward ", b);
	assert_true(has_site_line(r.log, line, c, "@t2-holds-b"));
	snprintf(line, sizeof line, "wait mutex %s backward ", a);
	assert_true(has_site_line(r.log, line, c, "@t2-waits-a"));
	assert_non_null(strstr(r.log, "message cycle of 2 threads: "));
	/* The table: each thread's first lock, then the one it waits for. */
	assert_non_null(strstr(r.err, "  lock(A);\n"));
	assert_non_null(strstr(r.err, "lock(B);\n  lock(B);\n"));
	run_free(&r);
}

/* The ABBA run with the exit status from the environment. */
static void test_deadlock_exitcode_from_env(void **state)
{
	struct run r;

	(void)state;
	run_child("tc_dl_abba", 1, 1, "THREADCHECK_DEADLOCK_EXITCODE=12", &r);
	assert_int_equal(r.code, 12);
	assert_log_frame(&r, 1);
	run_free(&r);
}

static void test_deadlock_self(void **state)
{
	static const char c[] = "tc_dl_self";
	struct run r;
	char m[32], line[128];

	(void)state;
	check_deadlock(c, 1, &r);
	printed_object(&r, "mutex", m, sizeof m);
	assert_non_null(strstr(r.log, "thread T0 "));
	snprintf(line, sizeof line, "holds %s main ", m);
	assert_true(has_site_line(r.log, line, c, "@first"));
	snprintf(line, sizeof line, "wait mutex %s main ", m);
	assert_true(has_site_line(r.log, line, c, "@again"));
	/* The recursive mutex was released: only the plain one is held. */
	assert_int_equal(count(r.log, "\nholds "), 1);
	assert_non_null(strstr(r.log, "already holds"));
	run_free(&r);
}

static void test_deadlock_three(void **state)
{
	static const char c[] = "tc_dl_three";
	struct run r;

	(void)state;
	check_deadlock(c, 3, &r);
	assert_int_equal(count(r.log, "\nholds "), 3);
	assert_int_equal(count(r.log, "\nwait mutex "), 3);
	assert_true(has_site_line(r.log, "wait mutex ", c, "@waits"));
	assert_true(has_site_line(r.log, "holds ", c, "@holds"));
	assert_non_null(strstr(r.log, "message cycle of 3 threads: "));
	run_free(&r);
}

static void test_deadlock_lost_wakeup(void **state)
{
	static const char c[] = "tc_dl_lost_wakeup";
	struct run r;

	(void)state;
	check_deadlock(c, 2, &r);
	assert_non_null(strstr(r.log, "thread T0 "));
	assert_non_null(strstr(r.log, "thread T1 "));
	assert_true(has_site_line(r.log, "wait cond ", c, "@main-wait"));
	assert_true(has_site_line(r.log, "wait cond ", c, "@worker-wait"));
	/* Both released the mutex inside their cond waits. */
	assert_int_equal(count(r.log, "\nholds "), 0);
	assert_non_null(strstr(r.log, "every live thread is blocked forever"));
	run_free(&r);
}

static void test_deadlock_join(void **state)
{
	static const char c[] = "tc_dl_join";
	struct run r;

	(void)state;
	check_deadlock(c, 2, &r);
	assert_true(has_site_line(r.log, "wait join ", c, "@main-join"));
	assert_true(has_site_line(r.log, "wait join ", c, "@t1-join"));
	assert_non_null(strstr(r.err, "join(T1);"));
	assert_non_null(strstr(r.err, "join(T0);"));
	run_free(&r);
}

/* The silent twins: blocked or contended for a while, never deadlocked. */
static void test_deadlock_quiet_sleep(void **state)
{
	(void)state;
	check_clean("tc_dl_quiet_sleep");
}

/* Calls that glibc refuses with EDEADLK close a cycle of one thread for an instant: not a
 * deadlock (the block-time check must leave such cycles to the watchdog). */
static void test_deadlock_quiet_edeadlk(void **state)
{
	(void)state;
	check_clean("tc_dl_quiet_edeadlk");
}

static void test_deadlock_quiet_ordered(void **state)
{
	(void)state;
	check_clean("tc_dl_quiet_ordered");
}

static void test_deadlock_quiet_trylock(void **state)
{
	(void)state;
	check_clean("tc_dl_quiet_trylock");
}

static void test_deadlock_quiet_timed(void **state)
{
	(void)state;
	check_clean("tc_dl_quiet_timed");
}

/* ---- lock order -------------------------------------------------------------------- */

/* Runs tc_order with TC_CASE=WHICH (K=V text). */
static void run_order(const char *which, struct run *r)
{
	run_child("tc_order", 1, 1, which, r);
}

/* Whether the lock-order record INDEX has, for one thread, "holds <FROM> <fn> <site of
 * HELD>" followed by "acquired <TO> <fn> <site of TAKEN>" (markers of tc_order.c). */
static int has_chain(const char *log, const char *from, const char *to, const char *held,
		     const char *taken)
{
	char want_h[160], want_a[160];
	int lh = marker_line("tc_order", held), la = marker_line("tc_order", taken);

	snprintf(want_h, sizeof want_h, "\nholds %s ", from);
	snprintf(want_a, sizeof want_a, "\nacquired %s ", to);
	for (const char *p = strstr(log, want_h); p != NULL; p = strstr(p + 1, want_h)) {
		const char *nl = strchr(p + 1, '\n'), *q;
		char tail[64];

		if (nl == NULL || strncmp(nl, want_a, strlen(want_a)) != 0)
			continue;
		snprintf(tail, sizeof tail, "tc_order.c:%d\n", lh);
		if (nl - p < (long)strlen(tail) || strncmp(nl + 1 - strlen(tail), tail, strlen(tail)) != 0)
			continue;
		q = strchr(nl + 1, '\n');
		snprintf(tail, sizeof tail, "tc_order.c:%d\n", la);
		if (q != NULL && strncmp(q + 1 - strlen(tail), tail, strlen(tail)) == 0)
			return 1;
	}
	return 0;
}

static void test_order_abba(void **state)
{
	struct run r;
	char a[32], b[32];

	(void)state;
	run_order("TC_CASE=abba", &r);
	if (!r.exited || r.code != DEFAULT_EXITCODE)
		fail_msg("exit %d, log:\n%s", r.code, r.log != NULL ? r.log : "(none)");
	assert_log_frame(&r, 1);
	assert_int_equal(count(r.log, "BEGIN lock-order\n"), 1);
	printed_object(&r, "lock-a", a, sizeof a);
	printed_object(&r, "lock-b", b, sizeof b);
	/* Both chains, each with the site of the lock held and of the lock then taken. */
	assert_true(has_chain(r.log, a, b, "@abba-t1-a", "@abba-t1-b"));
	assert_true(has_chain(r.log, b, a, "@abba-t2-b", "@abba-t2-a"));
	assert_non_null(strstr(r.log, "\nthread T1 "));
	assert_non_null(strstr(r.log, "\nthread T2 "));
	assert_non_null(strstr(r.log, "\nmessage cycle of 2 locks: "));
	/* The readable block, lockdep-like. */
	assert_non_null(strstr(r.err, "WARNING: ThreadCheck: lock-order inversion"));
	assert_non_null(strstr(r.err, "Possible unsafe scenario"));
	assert_non_null(strstr(r.err, "  lock(A);\n"));
	assert_non_null(strstr(r.err, "lock(B);\n  lock(B);\n"));
	run_free(&r);
}

static void test_order_three(void **state)
{
	struct run r;
	char a[32], b[32], c[32];

	(void)state;
	run_order("TC_CASE=three", &r);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	printed_object(&r, "lock-a", a, sizeof a);
	printed_object(&r, "lock-b", b, sizeof b);
	printed_object(&r, "lock-c", c, sizeof c);
	assert_true(has_chain(r.log, a, b, "@pair-first", "@pair-second"));
	assert_true(has_chain(r.log, b, c, "@pair-first", "@pair-second"));
	assert_true(has_chain(r.log, c, a, "@pair-first", "@pair-second"));
	assert_int_equal(count(r.log, "\nthread T"), 3);
	assert_non_null(strstr(r.log, "\nmessage cycle of 3 locks: "));
	run_free(&r);
}

/* The silent twins: a gate lock serialises the ABBA, one thread alone cannot deadlock with
 * itself, and a consistent order (with a recursive relock and read locks) is fine. */
static void check_order_clean(const char *which)
{
	struct run r;

	run_order(which, &r);
	if (!r.exited || r.code != 0)
		fail_msg("%s: exit %d, log:\n%s\nstderr:\n%s", which, r.code,
			 r.log != NULL ? r.log : "(none)", r.err != NULL ? r.err : "(none)");
	assert_log_frame(&r, 0);
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_order_gated(void **state)
{
	(void)state;
	check_order_clean("TC_CASE=gated");
}

static void test_order_single_thread(void **state)
{
	(void)state;
	check_order_clean("TC_CASE=single");
}

static void test_order_clean(void **state)
{
	(void)state;
	check_order_clean("TC_CASE=clean");
}

/* ---- misuse ------------------------------------------------------------------------ */

/* Runs tc_misuse with TC_CASE=CASENAME and checks what every misuse report has: the exit
 * status, N records of raw kind "misuse:WHAT", the readable block on stderr. Leaves the run
 * in R. */
static void check_misuse_case(const char *casename, const char *what, int n, struct run *r)
{
	char env[64], kind[64], banner[96];

	snprintf(env, sizeof env, "TC_CASE=%s", casename);
	snprintf(kind, sizeof kind, "BEGIN misuse:%s\n", what);
	snprintf(banner, sizeof banner, "SUMMARY: ThreadCheck: misuse:%s ", what);
	run_child("tc_misuse", 1, 1, env, r);
	if (!r->exited || r->code != DEFAULT_EXITCODE)
		fail_msg("%s: exit %d, log:\n%s\nstderr:\n%s", what, r->code,
			 r->log != NULL ? r->log : "(none)", r->err != NULL ? r->err : "(none)");
	assert_log_frame(r, n);
	assert_int_equal(count(r->log, kind), n);
	assert_int_equal(count(r->err, banner), n);
}

static void check_misuse(const char *what, int n, struct run *r)
{
	check_misuse_case(what, what, n, r);
}

static void test_misuse_unlock_not_owner(void **state)
{
	static const char c[] = "tc_misuse";
	struct run r;
	char m[32], line[96];

	(void)state;
	check_misuse("unlock-not-owner", 1, &r);
	printed_object(&r, "mutex", m, sizeof m);
	snprintf(line, sizeof line, "call pthread_mutex_unlock %s main ", m);
	assert_true(has_site_line(r.log, line, c, "@unlock-not-owner"));
	/* The holder, with the site where it took the mutex. */
	assert_non_null(strstr(r.log, "\nthread T1 "));
	snprintf(line, sizeof line, "holds %s holder ", m);
	assert_true(has_site_line(r.log, line, c, "@holder-lock"));
	run_free(&r);
}

static void test_misuse_unlock_unlocked(void **state)
{
	struct run r;

	(void)state;
	check_misuse("unlock-unlocked", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_mutex_unlock ", "tc_misuse",
				  "@unlock-unlocked"));
	run_free(&r);
}

static void test_misuse_destroy_locked(void **state)
{
	struct run r;

	(void)state;
	check_misuse("destroy-locked", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_mutex_destroy ", "tc_misuse",
				  "@destroy-locked"));
	assert_true(has_site_line(r.log, "holds ", "tc_misuse", "@destroy-lock"));
	/* glibc refuses to destroy a locked mutex; the call is still made. */
	assert_non_null(strstr(r.out, "destroy returned 16\n"));
	run_free(&r);
}

static void test_misuse_cond_wait_unlocked(void **state)
{
	struct run r;

	(void)state;
	check_misuse("cond-wait-unlocked", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_cond_wait ", "tc_misuse",
				  "@cond-wait-unlocked"));
	run_free(&r);
}

/* A join that would touch a thread that is gone: reported, EINVAL, and no crash. */
static void test_misuse_join_detached(void **state)
{
	struct run r;

	(void)state;
	check_misuse("join-detached", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_join ", "tc_misuse", "@join-detached"));
	assert_non_null(strstr(r.log, "\nthread T1 "));
	assert_non_null(strstr(r.out, "join returned 22\n"));
	run_free(&r);
}

static void test_misuse_join_twice(void **state)
{
	struct run r;

	(void)state;
	check_misuse("join-twice", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_join ", "tc_misuse", "@join-twice"));
	assert_non_null(strstr(r.out, "join returned 22\n"));
	run_free(&r);
}

static void test_misuse_exit_holding_lock(void **state)
{
	struct run r;

	(void)state;
	check_misuse("exit-holding-lock", 2, &r);
	/* Returned from its start routine: the site is where it took the lock. */
	assert_true(has_site_line(r.log, "holds ", "tc_misuse", "@keeps-lock"));
	/* Left through pthread_exit: that call, and the lock. */
	assert_true(has_site_line(r.log, "call pthread_exit ", "tc_misuse", "@exit-call"));
	assert_true(has_site_line(r.log, "holds ", "tc_misuse", "@exits-lock"));
	run_free(&r);
}

/* A global mutex set up twice by pthread_mutex_init, never destroyed in between: the record
 * names both inits (the same thread made them, so both are in its block). */
static void test_misuse_init_twice(void **state)
{
	struct run r;

	(void)state;
	check_misuse("init-twice", 1, &r);
	assert_true(has_site_line(r.log, "call pthread_mutex_init ", "tc_misuse", "@init-twice"));
	assert_true(has_site_line(r.log, "call pthread_mutex_init ", "tc_misuse", "@init-first"));
	assert_int_equal(count(r.log, "\nthread "), 1);
	run_free(&r);
}

/* A heap mutex initialised again while another thread holds it: that thread and where it
 * took the mutex. */
static void test_misuse_init_held(void **state)
{
	static const char c[] = "tc_misuse";
	struct run r;
	char m[32], line[96];

	(void)state;
	check_misuse_case("init-held", "init-twice", 1, &r);
	printed_object(&r, "heap", m, sizeof m);
	snprintf(line, sizeof line, "call pthread_mutex_init %s misuse_more ", m);
	assert_true(has_site_line(r.log, line, c, "@init-held"));
	assert_non_null(strstr(r.log, "\nthread T1 "));
	snprintf(line, sizeof line, "holds %s holds_heap ", m);
	assert_true(has_site_line(r.log, line, c, "@holds-heap"));
	run_free(&r);
}

/* Detaching a handle that is no joinable thread: reported, an error returned, and (for a
 * handle that was never a thread) no crash. */
static void check_detach(const char *what, const char *returned)
{
	struct run r;
	char marker[64];

	snprintf(marker, sizeof marker, "@%s", what);
	check_misuse(what, 1, &r);
	assert_true(has_site_line(r.log, "call pthread_detach ", "tc_misuse", marker));
	assert_non_null(strstr(r.out, returned));
	run_free(&r);
}

static void test_misuse_detach_joined(void **state)
{
	(void)state;
	check_detach("detach-joined", "detach returned 3\n");
}

static void test_misuse_detach_detached(void **state)
{
	(void)state;
	check_detach("detach-detached", "detach returned 22\n");
}

static void test_misuse_detach_invalid(void **state)
{
	(void)state;
	check_detach("detach-invalid", "detach returned 3\n");
}

/* A condvar overwritten after use, three times, each time breaking another thing glibc keeps
 * true (its waiter count, its lock word, the order of its counters): each signal or
 * broadcast is refused (glibc's could wait for ever on a garbage lock word) and reported
 * with that reason, one record per call. */
static void test_misuse_cond_invalid(void **state)
{
	static const char *const why[] = { "more waiters than a process can have threads",
					   "internal lock is in a state that does not exist",
					   "oldest waiter group starts after its newest waiter" };
	static const char *const marker[] = { "@cond-signal", "@cond-broadcast", "@cond-order" };
	struct run r;
	char buf[512];

	(void)state;
	check_misuse("cond-invalid", 3, &r);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(record_line(r.log, "misuse:cond-invalid", i, "call", buf, sizeof buf), 0);
		assert_site(buf, "tc_misuse.c", marker_line("tc_misuse", marker[i]));
		assert_int_equal(record_line(r.log, "misuse:cond-invalid", i, "message", buf,
					     sizeof buf), 0);
		if (strstr(buf, why[i]) == NULL)
			fail_msg("record %d: expected \"%s\" in \"%s\"", i, why[i], buf);
	}
	assert_true(has_site_line(r.log, "call pthread_cond_broadcast ", "tc_misuse",
				  "@cond-broadcast"));
	assert_non_null(strstr(r.out, "signal returned 22\nbroadcast returned 22\n"
				      "signal returned 22\n"));
	run_free(&r);
}

/* Runs tc_misuse with TC_CASE=CASENAME and asserts a clean run: status 0, no finding, nothing
 * on stderr. Leaves the run in R. */
static void check_misuse_silent(const char *casename, struct run *r)
{
	char env[64];

	snprintf(env, sizeof env, "TC_CASE=%s", casename);
	run_child("tc_misuse", 1, 1, env, r);
	if (!r->exited || r->code != 0)
		fail_msg("%s: exit %d, log:\n%s\nstderr:\n%s", casename, r->code,
			 r->log != NULL ? r->log : "(none)", r->err != NULL ? r->err : "(none)");
	assert_log_frame(r, 0);
	assert_string_equal(r->err, "");
}

/* The correct twin of every case above stays silent. */
static void test_misuse_clean(void **state)
{
	struct run r;

	(void)state;
	check_misuse_silent("clean", &r);
	assert_non_null(strstr(r.out, "join returned 0\n"));
	/* The freed mutex's memory did hold the new one: an init at a used address was made. */
	assert_non_null(strstr(r.out, "heap mutex reused\n"));
	assert_non_null(strstr(r.out, "c11 thread reuses a detached thread's handle\n"));
	assert_non_null(strstr(r.out, "c11 detach returned 0\n"));
	assert_non_null(strstr(r.out, "zeroed signal returned 0\n"));
	run_free(&r);
}

/* pthread_exit with a lock held that a cleanup handler releases: the thread ends holding
 * nothing, which is what counts. */
static void test_misuse_exit_cleanup(void **state)
{
	struct run r;

	(void)state;
	check_misuse_silent("exit-cleanup", &r);
	assert_non_null(strstr(r.out, "relock returned 0\n"));
	run_free(&r);
}

/* A return with a lock held that a thread-specific destructor (of a key the program made
 * after ours) releases. */
static void test_misuse_exit_destructor(void **state)
{
	struct run r;

	(void)state;
	check_misuse_silent("exit-destructor", &r);
	assert_non_null(strstr(r.out, "relock returned 0\n"));
	run_free(&r);
}

/* ---- threads that end by a raw exit system call ------------------------------------ */

static void run_vanish(const char *casename, struct run *r)
{
	char env[64];

	snprintf(env, sizeof env, "TC_CASE=%s", casename);
	run_child("tc_vanish", 1, 1, env, r);
}

/* A detached thread that unmapped its own stack and called exit (bionic's pthread_exit) is
 * gone from the kernel: no leak, and threadcheck reads nothing of its unmapped memory. */
static void test_vanished_detached(void **state)
{
	struct run r;

	(void)state;
	run_vanish("detached", &r);
	if (!r.exited || r.code != 0)
		fail_msg("exit %d, log:\n%s", r.code, r.log != NULL ? r.log : "(none)");
	assert_log_frame(&r, 0);
	assert_non_null(strstr(r.out, "vanished tid "));
	run_free(&r);
}

/* A joinable thread that ended so and was joined: clean. */
static void test_vanished_joined(void **state)
{
	struct run r;

	(void)state;
	run_vanish("joined", &r);
	if (!r.exited || r.code != 0)
		fail_msg("exit %d, log:\n%s", r.code, r.log != NULL ? r.log : "(none)");
	assert_log_frame(&r, 0);
	assert_non_null(strstr(r.out, "join returned 0\n"));
	run_free(&r);
}

/* ... and never joined: finished, so an unjoined thread, not a leak. */
static void test_vanished_unjoined(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_vanish("unjoined", &r);
	assert_true(r.exited);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	assert_int_equal(record_line(r.log, "unjoined-thread", 0, "created", buf, sizeof buf), 0);
	assert_site(buf, "tc_vanish.c", marker_line("tc_vanish", "@raw-create"));
	assert_int_equal(record_line(r.log, "unjoined-thread", 0, "message", buf, sizeof buf), 0);
	assert_non_null(strstr(buf, "raw exit system call"));
	run_free(&r);
}

/* Once the vanished thread is left out, every live thread is blocked for ever. */
static void test_vanished_deadlock(void **state)
{
	struct run r;

	(void)state;
	run_vanish("deadlock", &r);
	assert_true(r.exited);
	assert_int_equal(r.code, 68);
	assert_log_frame(&r, 1);
	assert_non_null(strstr(r.log, "BEGIN deadlock\n"));
	assert_true(has_site_line(r.log, "wait join ", "tc_vanish", "@join-never"));
	assert_true(has_site_line(r.log, "wait cond ", "tc_vanish", "@wait-never"));
	assert_null(strstr(r.log, "\nthread T1 "));
	run_free(&r);
}

/* The vanished thread's tid given to a new thread that is still running at exit: the new
 * one leaks, the old record is not taken for it. */
static void test_vanished_tid_reused(void **state)
{
	struct run r;
	char buf[512];

	(void)state;
	run_vanish("reused", &r);
	if (strstr(r.out, "reuse unavailable\n") != NULL) {
		run_free(&r);
		skip();
	}
	const char *p = strstr(r.out, "reused tid ");
	char want[48];
	int tid = 0;

	assert_non_null(p);
	assert_int_equal(sscanf(p, "reused tid %d", &tid), 1);
	assert_true(r.exited);
	assert_int_equal(r.code, DEFAULT_EXITCODE);
	assert_log_frame(&r, 1);
	/* The one leak is the new thread (T2, or later when another process took the number
	 * first and the child tried again), never the vanished T1. */
	assert_int_equal(record_line(r.log, "thread-leak", 0, "thread", buf, sizeof buf), 0);
	snprintf(want, sizeof want, " tid=%d ", tid);
	assert_non_null(strstr(buf, want));
	assert_int_not_equal(strncmp(buf, "T1 ", 3), 0);
	assert_true(has_site_line(r.log, "wait sem ", "tc_vanish", "@parked"));
	run_free(&r);
}

/* ---- the test API in this process (no library) ------------------------------------- */

/* A thread that parks on a condition variable until released. */
struct parked {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pid_t tid;        /* set by the thread once it is parked */
	int release;
};

static void *parked_main(void *arg)
{
	struct parked *p = arg;

	pthread_mutex_lock(&p->mu);
	p->tid = gettid();
	pthread_cond_broadcast(&p->cv);
	while (!p->release)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void park(struct parked *p)
{
	memset(p, 0, sizeof *p);
	assert_int_equal(pthread_mutex_init(&p->mu, NULL), 0);
	assert_int_equal(pthread_cond_init(&p->cv, NULL), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, parked_main, p), 0);
	pthread_mutex_lock(&p->mu);
	while (p->tid == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void unpark(struct parked *p)
{
	pthread_mutex_lock(&p->mu);
	p->release = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	assert_int_equal(pthread_join(p->thread, NULL), 0);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

static const struct tc_options quick = { 0.2, NULL, NULL };

static void test_api_leak_then_release(void **state)
{
	static char report[4096];
	struct parked p;
	char want[64];

	(void)state;
	assert_int_equal(tc_preloaded(), 0);
	assert_int_equal(tc_verify_none(NULL, &quick, report, sizeof report), 0);
	park(&p);
	assert_int_equal(tc_verify_none(NULL, &quick, report, sizeof report), 1);
	snprintf(want, sizeof want, "tid=%d ", (int)p.tid);
	assert_non_null(strstr(report, want));
	assert_non_null(strstr(report, "state=S"));
	/* Without the library the report says how to get more. */
	assert_non_null(strstr(report, "libthreadcheck.so"));
	unpark(&p);
	assert_int_equal(tc_verify_none(NULL, &quick, report, sizeof report), 0);
	assert_string_equal(report, "");
}

static void test_api_baseline(void **state)
{
	static char report[4096];
	struct tc_baseline base;
	struct parked a, b;
	char want_a[64], want_b[64];

	(void)state;
	park(&a);
	assert_int_equal(tc_baseline_take(&base), 0);
	assert_true(base.n >= 2);
	assert_int_equal(tc_verify_none(&base, &quick, report, sizeof report), 0);
	assert_int_equal(tc_verify_none(NULL, &quick, report, sizeof report), 1);
	park(&b);
	assert_int_equal(tc_verify_none(&base, &quick, report, sizeof report), 1);
	snprintf(want_a, sizeof want_a, "tid=%d ", (int)a.tid);
	snprintf(want_b, sizeof want_b, "tid=%d ", (int)b.tid);
	assert_non_null(strstr(report, want_b));
	assert_null(strstr(report, want_a));
	/* A NULL report buffer is allowed. */
	assert_int_equal(tc_verify_none(NULL, &quick, NULL, 0), 2);
	unpark(&b);
	unpark(&a);
	assert_int_equal(tc_verify_none(NULL, &quick, report, sizeof report), 0);
}

static void *nap_then_exit(void *arg)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return arg;
}

/* A thread that ends within the settle time is not a leak: the back-off waits for it. */
static void test_api_settles(void **state)
{
	static const struct tc_options patient = { 5.0, NULL, NULL };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, nap_then_exit, NULL), 0);
	assert_int_equal(tc_verify_none(NULL, &patient, NULL, 0), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* Threads that end together at a barrier, and a parked one started after them. */
struct ending_crowd {
	pthread_barrier_t go;
	pthread_t thread[4];
};

static void *end_at_barrier(void *arg)
{
	pthread_barrier_wait(&((struct ending_crowd *)arg)->go);
	return NULL;
}

/* A baseline taken while other threads end holds every thread still alive. A single read of
 * /proc/self/task skips a live thread for each thread that ends ahead of it while it is read
 * (this test missed the parked thread in about 2% of rounds before tc_api.c confirmed its
 * lists), which let a test pass with a thread still running. 2000 rounds: a 2% miss would
 * pass them all with a chance of about 1e-17. */
static void test_api_list_whole_while_threads_end(void **state)
{
	static struct tc_baseline base;
	enum { ROUNDS = 2000 };
	int missed = 0, unconfirmed = 0;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		struct ending_crowd crowd;
		struct parked p;
		size_t k;

		assert_int_equal(pthread_barrier_init(&crowd.go, NULL, 5), 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&crowd.thread[i], NULL, end_at_barrier, &crowd), 0);
		park(&p); /* after the crowd, so it comes after them in the kernel's thread list */
		pthread_barrier_wait(&crowd.go);
		if (tc_baseline_take(&base) != 0) {
			unconfirmed++;
		} else {
			for (k = 0; k < base.n && base.tid[k] != p.tid; k++)
				;
			missed += k == base.n;
		}
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_join(crowd.thread[i], NULL), 0);
		unpark(&p);
		assert_int_equal(pthread_barrier_destroy(&crowd.go), 0);
	}
	if (missed > 0 || unconfirmed > 0)
		fail_msg("of %d baselines taken while 4 threads ended, %d missed a live thread and "
			 "%d could not be confirmed", ROUNDS, missed, unconfirmed);
}

/* Without the library the ignore lists cannot be resolved, so they ignore nothing. */
static void test_api_ignore_needs_library(void **state)
{
	static const char *const names[] = { "parked_main", NULL };
	const struct tc_options opt = { 0.1, names, names };
	struct parked p;

	(void)state;
	park(&p);
	assert_int_equal(tc_verify_none(NULL, &opt, NULL, 0), 1);
	unpark(&p);
}

/* ---- the library's include graph ------------------------------------------------------ */

/* The layers of harness/threadcheck (README.md draws them): a file may include headers of its
 * own layer or below, never above. x.c and x.h are one unit. */
static const struct {
	const char *unit;
	int layer;
} tc_layers[] = {
	{ "tc_util", 0 },     { "tc_proc", 0 },     { "tc_glibc", 0 },   { "tc_real", 0 },
	{ "tc_symbolize", 0 }, { "tc_registry", 1 }, { "tc_report", 2 },   { "threadcheck", 4 },
	{ "tc_leak", 3 },     { "tc_deadlock", 3 }, { "tc_misuse", 3 },  { "tc_order", 3 },
	{ "tc_wrap", 4 },     { "tc_wrap_thread", 4 }, { "tc_wrap_lock", 4 }, { "tc_end", 4 },
	{ "tc_api", 4 },      { "tc_sched", 3 },   { "tc_wrap_sched", 4 },
};
#define TC_NUNITS (sizeof tc_layers / sizeof tc_layers[0])

/* The index of the unit of file NAME ("tc_util.c", "tc_util.h") in tc_layers, or -1. */
static int unit_of(const char *name)
{
	size_t n = strcspn(name, ".");

	for (size_t i = 0; i < TC_NUNITS; i++)
		if (strlen(tc_layers[i].unit) == n && strncmp(tc_layers[i].unit, name, n) == 0)
			return (int)i;
	return -1;
}

/* Whether unit U reaches unit V through EDGE (depth-first; SEEN marks the units visited). */
static int reaches(int edge[][TC_NUNITS], int u, int v, int *seen)
{
	if (u == v)
		return 1;
	seen[u] = 1;
	for (size_t w = 0; w < TC_NUNITS; w++)
		if (edge[u][w] && !seen[w] && reaches(edge, (int)w, v, seen))
			return 1;
	return 0;
}

/* Reads the #include "..." lines of every file of harness/threadcheck into EDGE, failing on
 * a file or header that is in no layer and on an include of a higher layer. */
static void read_includes(int edge[][TC_NUNITS])
{
	DIR *d = opendir("harness/threadcheck");
	struct dirent *e;
	char path[512], line[512];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		int u = unit_of(e->d_name);
		FILE *f;

		if (len < 3 || (strcmp(e->d_name + len - 2, ".c") != 0 &&
				strcmp(e->d_name + len - 2, ".h") != 0))
			continue;
		if (u < 0)
			fail_msg("%s is in no layer of the include graph", e->d_name);
		snprintf(path, sizeof path, "harness/threadcheck/%s", e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof line, f) != NULL) {
			int v;

			if (strncmp(line, "#include \"", 10) != 0)
				continue;
			line[10 + strcspn(line + 10, "\"")] = '\0';
			v = unit_of(line + 10);
			if (v < 0 || tc_layers[v].layer > tc_layers[u].layer)
				fail_msg("%s includes %s, which is not below it", e->d_name, line + 10);
			if (v != u)
				edge[u][v] = 1;
		}
		fclose(f);
	}
	closedir(d);
}

/* The include graph of harness/threadcheck is one-way: no file includes a header of a higher
 * layer, and no two units include each other, directly or not. */
static void test_include_graph_one_way(void **state)
{
	static int edge[TC_NUNITS][TC_NUNITS];

	(void)state;
	memset(edge, 0, sizeof edge);
	read_includes(edge);
	for (size_t u = 0; u < TC_NUNITS; u++)
		for (size_t v = 0; v < TC_NUNITS; v++) {
			int seen[TC_NUNITS] = { 0 };

			if (edge[u][v] && reaches(edge, (int)v, (int)u, seen))
				fail_msg("include circle: %s and %s", tc_layers[u].unit,
					 tc_layers[v].unit);
		}
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof scratch, "/tmp/test_threadcheck.XXXXXX");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(scratch);
	struct dirent *e;
	char path[512];

	(void)state;
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	return rmdir(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_cond),
		cmocka_unit_test(test_leak_mutex),
		cmocka_unit_test(test_leak_join),
		cmocka_unit_test(test_unjoined),
		cmocka_unit_test(test_leak_timed),
		cmocka_unit_test(test_exit_in_thread),
		cmocka_unit_test(test_exitcode_from_env),
		cmocka_unit_test(test_stderr_without_log),
		cmocka_unit_test(test_clean_joined),
		cmocka_unit_test(test_clean_detached),
		cmocka_unit_test(test_clean_released),
		cmocka_unit_test(test_clean_nothreads),
		cmocka_unit_test(test_api_preloaded),
		cmocka_unit_test(test_deadlock_abba),
		cmocka_unit_test(test_deadlock_exitcode_from_env),
		cmocka_unit_test(test_deadlock_self),
		cmocka_unit_test(test_deadlock_three),
		cmocka_unit_test(test_deadlock_lost_wakeup),
		cmocka_unit_test(test_deadlock_join),
		cmocka_unit_test(test_deadlock_quiet_sleep),
		cmocka_unit_test(test_deadlock_quiet_edeadlk),
		cmocka_unit_test(test_deadlock_quiet_ordered),
		cmocka_unit_test(test_deadlock_quiet_trylock),
		cmocka_unit_test(test_deadlock_quiet_timed),
		cmocka_unit_test(test_order_abba),
		cmocka_unit_test(test_order_three),
		cmocka_unit_test(test_order_gated),
		cmocka_unit_test(test_order_single_thread),
		cmocka_unit_test(test_order_clean),
		cmocka_unit_test(test_misuse_unlock_not_owner),
		cmocka_unit_test(test_misuse_unlock_unlocked),
		cmocka_unit_test(test_misuse_destroy_locked),
		cmocka_unit_test(test_misuse_cond_wait_unlocked),
		cmocka_unit_test(test_misuse_join_detached),
		cmocka_unit_test(test_misuse_join_twice),
		cmocka_unit_test(test_misuse_exit_holding_lock),
		cmocka_unit_test(test_misuse_init_twice),
		cmocka_unit_test(test_misuse_init_held),
		cmocka_unit_test(test_misuse_detach_joined),
		cmocka_unit_test(test_misuse_detach_detached),
		cmocka_unit_test(test_misuse_detach_invalid),
		cmocka_unit_test(test_misuse_cond_invalid),
		cmocka_unit_test(test_misuse_clean),
		cmocka_unit_test(test_misuse_exit_cleanup),
		cmocka_unit_test(test_misuse_exit_destructor),
		cmocka_unit_test(test_vanished_detached),
		cmocka_unit_test(test_vanished_joined),
		cmocka_unit_test(test_vanished_unjoined),
		cmocka_unit_test(test_vanished_deadlock),
		cmocka_unit_test(test_vanished_tid_reused),
		cmocka_unit_test(test_api_leak_then_release),
		cmocka_unit_test(test_api_baseline),
		cmocka_unit_test(test_api_settles),
		cmocka_unit_test(test_api_list_whole_while_threads_end),
		cmocka_unit_test(test_api_ignore_needs_library),
		cmocka_unit_test(test_include_graph_one_way),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

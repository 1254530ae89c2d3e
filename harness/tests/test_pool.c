/* test_pool.c: the worker pool and the child spawner (run under TSan too in make test). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "stages.h"

struct counter_job {
	struct tl_pool *pool;
	atomic_int *count;
	int depth;
};

/* Each job counts itself and submits two children until depth 0: jobs that submit jobs. */
static void tree_job(void *arg)
{
	struct counter_job *j = arg;
	atomic_fetch_add(j->count, 1);
	if (j->depth > 0) {
		for (int i = 0; i < 2; i++) {
			struct counter_job *c = malloc(sizeof *c);
			assert_non_null(c);
			*c = (struct counter_job){j->pool, j->count, j->depth - 1};
			tl_pool_submit(j->pool, tree_job, c);
		}
	}
	free(j);
}

static void test_pool_runs_jobs_submitted_by_jobs(void **state)
{
	(void)state;
	atomic_int count = 0;
	struct tl_pool *p = tl_pool_new(3);
	struct counter_job *root = malloc(sizeof *root);
	assert_non_null(root);
	*root = (struct counter_job){p, &count, 6};
	tl_pool_submit(p, tree_job, root);
	tl_pool_wait(p);
	assert_int_equal(atomic_load(&count), 127); /* 2^7 - 1 */
	tl_pool_free(p);
}

static void test_pool_wait_on_empty_pool_returns(void **state)
{
	(void)state;
	struct tl_pool *p = tl_pool_new(2);
	tl_pool_wait(p);
	tl_pool_free(p);
}

static void test_spawn_exit_code(void **state)
{
	(void)state;
	char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char out[] = "/tmp/tl-spawn-out-XXXXXX";
	close(mkstemp(out));
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = out;
	s.stderr_path = "/dev/null";
	s.timeout_s = 10;
	char err[128];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.exited);
	assert_int_equal(s.exit_code, 3);
	assert_false(s.timed_out);
	size_t n;
	int tr;
	char *text = tl_read_file(out, 100, &n, &tr);
	assert_string_equal(text, "out\n");
	free(text);
	unlink(out);
}

struct uid_run {
	struct tl_spawn s;
	char out[64];
	int rc;
};

static void *uid_run_thread(void *arg)
{
	struct uid_run *r = arg;
	char err[128];
	r->rc = tl_spawn_run(&r->s, err, sizeof err);
	return NULL;
}

/* Reads the uid the run printed as its last line into *UID. */
static void read_uid(const char *path, unsigned long *uid)
{
	size_t n;
	int tr;
	char *text = tl_read_file(path, 4096, &n, &tr);
	assert_non_null(text);
	char *last = strrchr(text, '\n');
	while (last != NULL && last > text && last[-1] != '\n')
		last--;
	*uid = strtoul(last != NULL ? last : text, NULL, 10);
	free(text);
}

/* Two sandboxed runs alive at once, each with 40 processes under an RLIMIT_NPROC of 48: with
 * one shared uid the kernel would count 80 and refuse forks in the second; each run has a uid
 * of its own, so both finish. Only root can change uids. */
static void test_spawn_runs_have_own_uid(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	struct tl_limits lim = {.nproc = 48, .drop_gid = 65534};
	char *argv_a[] = {"sh", "-c", "for i in $(seq 40); do sleep 2 & done; id -u; wait", NULL};
	char *argv_b[] = {"sh", "-c", "sleep 0.5; for i in $(seq 40); do sleep 0.2 & done; wait && id -u", NULL};
	struct uid_run r[2];
	char **argvs[2] = {argv_a, argv_b};
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof r[i]);
		snprintf(r[i].out, sizeof r[i].out, "/tmp/tl-spawn-uid-XXXXXX");
		close(mkstemp(r[i].out));
		r[i].s.argv = argvs[i];
		r[i].s.stdout_path = r[i].out;
		r[i].s.stderr_path = "/dev/null";
		r[i].s.timeout_s = 20;
		r[i].s.limits = &lim;
		assert_int_equal(pthread_create(&t[i], NULL, uid_run_thread, &r[i]), 0);
	}
	unsigned long uid[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].rc, 0);
		assert_true(r[i].s.exited);
		assert_int_equal(r[i].s.exit_code, 0);
		read_uid(r[i].out, &uid[i]);
		unlink(r[i].out);
		assert_true(uid[i] >= TL_SANDBOX_UID_BASE);
	}
	assert_true(uid[0] != uid[1]);
}

/* A hung child and the grandchild it started are both gone after the timeout. */
static void test_spawn_timeout_kills_group(void **state)
{
	(void)state;
	char pidfile[] = "/tmp/tl-spawn-pid-XXXXXX";
	close(mkstemp(pidfile));
	char script[256];
	snprintf(script, sizeof script, "sleep 100 & echo $! > %s; wait", pidfile);
	char *argv[] = {"sh", "-c", script, NULL};
	struct tl_spawn s = {0};
	s.argv = argv;
	s.timeout_s = 0.5;
	char err[128];
	double t0 = tl_now();
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.timed_out);
	assert_true(tl_now() - t0 < 10);
	size_t n;
	int tr;
	char *text = tl_read_file(pidfile, 100, &n, &tr);
	assert_non_null(text);
	pid_t grandchild = (pid_t)atoi(text);
	free(text);
	unlink(pidfile);
	assert_true(grandchild > 0);
	/* SIGKILL is delivered asynchronously; give the kernel a moment. */
	int alive = 1;
	for (int i = 0; i < 100 && alive; i++) {
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/%d/stat", (int)grandchild);
		size_t m;
		char *st = tl_read_file(proc, 4096, &m, &tr);
		/* Gone, or a zombie waiting for init to reap it. */
		alive = st != NULL && strstr(st, ") Z ") == NULL;
		free(st);
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
}

/* An output flood is capped (RLIMIT_FSIZE) and does not kill the run. */
static void test_spawn_caps_output(void **state)
{
	(void)state;
	char out[] = "/tmp/tl-spawn-flood-XXXXXX";
	close(mkstemp(out));
	char *argv[] = {"sh", "-c", "head -c 10000000 /dev/zero; exit 0", NULL};
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = out;
	s.timeout_s = 20;
	s.max_output = 100000;
	char err[128];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_false(s.timed_out);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_true(st.st_size <= 100000);
	unlink(out);
}

/* Reads PATH whole (at most 4 KiB) into BUF. */
static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A link planted where a run's output will go (as a program could leave one for the next run)
 * is replaced by a new file of the grader's, never followed: the file it points at is left
 * as it was. */
static void test_spawn_output_never_follows_a_planted_link(void **state)
{
	(void)state;
	char dir[] = "/tmp/threadlab-test-spawn-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char victim[128], out[128], got[4096];
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(out, sizeof out, "%s/tsan.1.stdout", dir);
	FILE *f = fopen(victim, "w");
	assert_non_null(f);
	fputs("untouched\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, out), 0);
	char *argv[] = {"echo", "from the run", NULL};
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = out;
	s.stderr_path = "/dev/null";
	s.timeout_s = 30;
	char err[256];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	slurp(victim, got, sizeof got);
	assert_string_equal(got, "untouched\n");
	struct stat st;
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	slurp(out, got, sizeof got);
	assert_string_equal(got, "from the run\n");
	unlink(out);
	unlink(victim);
	rmdir(dir);
}

/* A report channel is drained while the child runs and after it ends: a FIFO (as TSan,
 * threadcheck and cmocka write when grading) and a pipe handed to the child (as Valgrind's
 * --xml-fd), each longer than a pipe's buffer, arrive whole; what the child writes to the
 * FIFO's path after the run changes nothing. */
static void test_spawn_drains_fifo_and_pipe(void **state)
{
	(void)state;
	char dir[] = "/tmp/threadlab-test-spawn-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[128], cmd[512];
	snprintf(fifo, sizeof fifo, "%s/log.2", dir);
	struct tl_spawn s = {0};
	assert_int_equal(tl_drain_fifo(&s.drain[0], fifo, 1 << 20), 0);
	int w = -1;
	assert_int_equal(tl_drain_pipe(&s.drain[1], &w, 1 << 20), 0);
	s.ndrain = 2;
	s.pass_fd[0] = w;
	snprintf(cmd, sizeof cmd, "head -c 200000 /dev/zero | tr '\\0' a > %s; head -c 100000 /dev/zero | tr '\\0' b >&%d", fifo, w);
	char *argv[] = {"sh", "-c", cmd, NULL};
	s.argv = argv;
	s.stdout_path = "/dev/null";
	s.stderr_path = "/dev/null";
	s.timeout_s = 30;
	char err[256];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	/* tl_spawn_run closed w, the pipe's write end, once the child had it. */
	assert_true(s.exited);
	assert_int_equal(s.exit_code, 0);
	assert_int_equal(s.drain[0].len, 200000);
	assert_int_equal(s.drain[1].len, 100000);
	assert_int_equal(s.drain[0].buf[199999], 'a');
	assert_int_equal(s.drain[1].buf[0], 'b');
	free(s.drain[0].buf);
	free(s.drain[1].buf);
	unlink(fifo);
	rmdir(dir);
}

static void test_spawn_missing_program_fail(void **state)
{
	(void)state;
	char *argv[] = {"/nonexistent/threadlab-no-such-program", NULL};
	struct tl_spawn s = {0};
	s.argv = argv;
	s.timeout_s = 5;
	char err[128];
	assert_int_equal(tl_spawn_run(&s, err, sizeof err), 0);
	assert_true(s.exited);
	assert_int_equal(s.exit_code, 127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_runs_jobs_submitted_by_jobs),
		cmocka_unit_test(test_pool_wait_on_empty_pool_returns),
		cmocka_unit_test(test_spawn_exit_code),
		cmocka_unit_test(test_spawn_timeout_kills_group),
		cmocka_unit_test(test_spawn_caps_output),
		cmocka_unit_test(test_spawn_runs_have_own_uid),
		cmocka_unit_test(test_spawn_output_never_follows_a_planted_link),
		cmocka_unit_test(test_spawn_drains_fifo_and_pipe),
		cmocka_unit_test(test_spawn_missing_program_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

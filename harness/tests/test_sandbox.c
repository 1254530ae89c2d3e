/* test_sandbox.c: the grading sandbox for real: each profile's seccomp filter refuses what it must (and the native run shows the call would work), the tools still report under it, the view hides every copy of a solution, the environment is fixed, and grade fails closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stages.h"

/* Exit statuses of children/sb_calls: the call worked, or failed with EPERM / ENOSYS. */
#define W 50
#define R (60 + EPERM)
#define N (60 + ENOSYS)
/* Killed by SIGSYS, as bubblewrap passes it on (128 + signal). */
#define K (128 + SIGSYS)

/* What each profile must do with each call (columns in enum tl_sb_profile order: build, tsan,
 * helgrind, threadcheck, test). Written out here, not read from syscalls.def, so that a row
 * dropped from the table fails this test. */
static const struct {
	const char *call;
	int want[TL_SB_COUNT];
	int kernel_may_lack; /* skipped where the native run cannot make the call either */
} calls[] = {
	{"symlink", {R, R, R, R, R}, 0},
	{"link", {R, R, R, R, R}, 0},
	{"rename", {W, R, R, R, R}, 0},           /* clang renames its output into place */
	{"unlink", {W, R, W, R, R}, 0},           /* compilers' temporaries; Valgrind's own files */
	{"chmod", {W, R, R, R, R}, 0},            /* the linker marks its output executable */
	{"mknod-fifo", {R, R, W, R, R}, 0},       /* Valgrind's gdb FIFOs */
	{"socket", {R, R, R, R, R}, 0},
	{"connect", {R, R, R, R, R}, 0},
	{"ptrace", {R, R, R, R, R}, 0},
	{"process_vm_readv", {R, R, R, R, R}, 0},
	{"mount", {R, R, R, R, R}, 0},
	{"unshare", {R, R, R, R, R}, 0},
	{"clone-newuser", {R, R, R, R, R}, 0},
	{"clone", {W, W, W, W, W}, 0},            /* threads and processes stay */
	{"clone3", {N, N, N, N, N}, 0},
	{"personality-rie", {R, R, R, R, R}, 0},
	{"personality-norandom", {W, W, W, W, W}, 0}, /* setarch -R for TSan's rerun */
	{"mmap-wx", {R, R, W, R, R}, 0},          /* Valgrind's translation cache */
	{"mmap-anon-x", {R, R, W, R, R}, 0},
	{"mprotect-x", {R, R, R, R, R}, 0},       /* code written into a page, then made executable */
	{"memfd_create", {R, R, R, R, R}, 0},
	{"shmat-exec", {R, R, R, R, R}, 0},
	/* Another architecture's calls (int 0x80): the process dies. Needs IA32 emulation. */
	{"int80", {K, K, K, K, K}, 1},
	/* Unknown to libseccomp: ENOSYS, as from an older kernel. Needs Linux 6.10 (mseal). */
	{"newer-call", {N, N, N, N, N}, 1},
};

static struct tl_config cfg;
static char topdir[TL_PATH], build[TL_PATH], scratch[TL_PATH], init_error[1024];
static int nout;

static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...)
{
	char cmd[8 * TL_PATH];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *bin(void)
{
	const char *b = getenv("THREADLAB_BIN");
	return b != NULL && b[0] != '\0' ? b : "build/bin/threadlab";
}

/* A config as `threadlab grade` makes one, with the scratch folder as the labs' root, and the
 * sandbox initialised (init_error says why not). */
static int setup(void **state)
{
	(void)state;
	const char *b = getenv("TL_BUILD");
	if (getcwd(topdir, sizeof topdir) == NULL || realpath(b != NULL && b[0] ? b : "build", build) == NULL)
		return -1;
	snprintf(scratch, sizeof scratch, "%s/test-sandbox-XXXXXX", build);
	if (mkdtemp(scratch) == NULL || chmod(scratch, 0755) != 0)
		return -1;
	/* A variable no graded run may see. */
	setenv("GITHUB_TOKEN", "ghs_threadlab_test_canary", 1);
	memset(&cfg, 0, sizeof cfg);
	tl_strlcpy(cfg.root, topdir, sizeof cfg.root);
	tl_strlcpy(cfg.build, build, sizeof cfg.build);
	snprintf(cfg.tc_lib, sizeof cfg.tc_lib, "%s/lib/libthreadcheck.so", build);
	tl_strlcpy(cfg.labs_root, scratch, sizeof cfg.labs_root);
	snprintf(cfg.out_root, sizeof cfg.out_root, "%s/out", scratch);
	cfg.jobs = 2;
	cfg.tools = (1 << TL_TOOL_COUNT) - 1;
	cfg.grading = 1;
	if (shell("mkdir -p '%s/labs/sb' '%s/out' && cp harness/tests/programs/race.c harness/tests/programs/cond_leak.c '%s/labs/sb/'",
		  scratch, scratch, scratch) != 0)
		return -1;
	if (tl_sandbox_init(&cfg, init_error, sizeof init_error) != 0 && init_error[0] == '\0')
		tl_strlcpy(init_error, "tl_sandbox_init failed without a reason", sizeof init_error);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (getenv("TL_KEEP") == NULL)
		shell("rm -rf '%s'", scratch);
	return 0;
}

static void need_sandbox(void)
{
	if (init_error[0] != '\0')
		fail_msg("the sandbox does not work here: %s", init_error);
	assert_true(cfg.sandbox);
}

/* A fresh folder for runs, writable by the sandbox's user, holding a copy of sb_calls (a
 * program runs from the folder it may write, as a lab's build does). */
static void make_work(const char *name, char *work, size_t len)
{
	snprintf(work, len, "%s/%s", scratch, name);
	assert_int_equal(shell("mkdir -p '%s' && cp '%s/tests/children/sb_calls' '%s/' && chmod 755 '%s/sb_calls'", work,
			       build, work, work),
			 0);
	assert_int_equal(tl_sandbox_prepare_dir(&cfg, work), 0);
}

/* Runs sb_calls CALL [ARG] from WORK under profile P, or natively in WORK when P is -1.
 * Returns its exit status (-1 when it did not exit); its output goes to OUT. */
static int run_call(int p, const char *work, const char *call, const char *arg, char *out, size_t outlen)
{
	static const char *const none[] = {NULL};
	char prog[TL_PATH + 16];
	snprintf(prog, sizeof prog, "%s/sb_calls", work);
	char *argv[] = {prog, (char *)call, (char *)arg, NULL};
	snprintf(out, outlen, "%s/run-%d.out", scratch, nout++);
	char **env = tl_env_make(none);
	char **wrapped = p >= 0 ? tl_sandbox_wrap(&cfg, (enum tl_sb_profile)p, work, argv) : NULL;
	struct tl_spawn s = {0};
	s.argv = wrapped != NULL ? wrapped : argv;
	s.envp = env;
	s.cwd = p < 0 ? work : NULL;
	s.stdout_path = out;
	s.stderr_path = out;
	s.timeout_s = 60;
	s.limits = p >= 0 ? &cfg.limits : NULL;
	char err[256];
	int rc = tl_spawn_run(&s, err, sizeof err);
	tl_env_free(env);
	tl_argv_free(wrapped);
	return rc == 0 && s.exited ? s.exit_code : -1;
}

static void test_each_profile_refuses_its_calls(void **state)
{
	(void)state;
	need_sandbox();
	char work[TL_PATH + 64], out[TL_PATH + 64];
	make_work("calls", work, sizeof work);
	int bad = 0;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		/* Natively the call must not be refused: a refusal under the sandbox is the filter's. */
		int native = run_call(-1, work, calls[i].call, NULL, out, sizeof out);
		if (calls[i].kernel_may_lack && native != W) {
			print_message("%s: skipped, this kernel cannot make the call (exit %d natively)\n", calls[i].call, native);
			continue;
		}
		if (native == R || native == N || native < W || native >= 128) {
			print_error("%s natively: exit %d (the call cannot be tried here)\n", calls[i].call, native);
			bad++;
		}
		for (int p = 0; p < TL_SB_COUNT; p++) {
			int got = run_call(p, work, calls[i].call, NULL, out, sizeof out);
			if (got != calls[i].want[p]) {
				print_error("%s under the %s profile: exit %d, expected %d (50 worked, 61 EPERM, 98 ENOSYS, 159 SIGSYS)\n",
					    calls[i].call, tl_sb_profile_name((enum tl_sb_profile)p), got, calls[i].want[p]);
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

/* Paths a graded run must not see: copies of solutions, the toolkit's history and everything
 * outside the allowlist; and paths it must see, so that a view that hides everything fails. */
static void test_view_hides_solutions(void **state)
{
	(void)state;
	need_sandbox();
	char work[TL_PATH + 64], out[TL_PATH + 64], path[TL_PATH + 128];
	make_work("view", work, sizeof work);
	static const char *const hidden[] = {"solutions/01-counter/counter.c", "harness/tests/hostile/solution/counter.c",
					     "README.md", "harness/src/sandbox.c"};
	/* Not on every machine or in every copy of the toolkit (a tarball has no .git); folders
	 * above the toolkit are no use here, since the view has them (empty) to hold it. */
	static const char *const hidden_abs[] = {"/etc/passwd", "/etc/hostname", ".git", "build/bin/threadlab"};
	static const char *const visible[] = {"harness/threadcheck/threadcheck.h", "harness/src/helgrind.supp"};
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", topdir, hidden[i]);
		assert_int_equal(run_call(-1, work, "open", path, out, sizeof out), W);
		assert_int_equal(run_call(TL_SB_TSAN, work, "open", path, out, sizeof out), 60 + ENOENT);
	}
	for (size_t i = 0; i < sizeof hidden_abs / sizeof hidden_abs[0]; i++) {
		snprintf(path, sizeof path, "%s%s%s", hidden_abs[i][0] == '/' ? "" : topdir, hidden_abs[i][0] == '/' ? "" : "/",
			 hidden_abs[i]);
		if (access(path, F_OK) == 0)
			assert_int_equal(run_call(TL_SB_TSAN, work, "open", path, out, sizeof out), 60 + ENOENT);
	}
	for (size_t i = 0; i < sizeof visible / sizeof visible[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", topdir, visible[i]);
		assert_int_equal(run_call(TL_SB_BUILD, work, "open", path, out, sizeof out), W);
	}
	/* Another checkout beside the toolkit, if there is one. */
	char parent[TL_PATH], self[TL_PATH];
	tl_strlcpy(parent, topdir, sizeof parent);
	tl_strlcpy(self, basename(parent), sizeof self);
	tl_strlcpy(parent, topdir, sizeof parent);
	DIR *d = opendir(dirname(parent));
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
		assert_int_equal(run_call(TL_SB_TSAN, work, "open", path, out, sizeof out), 60 + ENOENT);
		break;
	}
	if (d != NULL)
		closedir(d);
	snprintf(path, sizeof path, "%s/labs/sb/race.c", scratch);
	assert_int_equal(run_call(TL_SB_BUILD, work, "open", path, out, sizeof out), W);
	assert_int_equal(run_call(TL_SB_THREADCHECK, work, "open", cfg.tc_lib, out, sizeof out), W);
}

static void test_graded_environment_is_fixed(void **state)
{
	(void)state;
	need_sandbox();
	char work[TL_PATH + 64], out[TL_PATH + 64];
	make_work("env", work, sizeof work);
	int rc = run_call(TL_SB_TEST, work, "env", NULL, out, sizeof out);
	if (rc != W)
		shell("cat '%s' >&2", out);
	assert_int_equal(rc, W);
}

/* A run starts in the private /tmp: what it leaves in its current folder (a .valgrindrc that
 * the next run's Valgrind would read, as its owner) is gone with it. */
static void test_runs_start_outside_the_writable_folder(void **state)
{
	(void)state;
	need_sandbox();
	char work[TL_PATH + 64], out[TL_PATH + 64], mark[TL_PATH + 96];
	make_work("cwd", work, sizeof work);
	snprintf(mark, sizeof mark, "%s/.valgrindrc", work);
	for (int p = 0; p < TL_SB_COUNT; p++) {
		assert_int_equal(run_call(p, work, "mark-cwd", NULL, out, sizeof out), W);
		if (access(mark, F_OK) == 0)
			fail_msg("a run under the %s profile left %s", tl_sb_profile_name((enum tl_sb_profile)p), mark);
	}
}

/* A target for FILE of the scratch labs (or, with TEST set, a cmocka test made of it). */
static void make_target(struct tl_target *t, const char *name, const char *file, int test)
{
	memset(t, 0, sizeof *t);
	tl_strlcpy(t->name, name, sizeof t->name);
	tl_paths_addf(test ? &t->test_src : &t->src, "%s/labs/sb/%s", scratch, file);
	snprintf(t->outdir, sizeof t->outdir, "%s/out/%s", scratch, name);
	snprintf(t->bin_plain, sizeof t->bin_plain, "%s/program", t->outdir);
	snprintf(t->bin_tsan, sizeof t->bin_tsan, "%s/program-tsan", t->outdir);
	snprintf(t->bin_test, sizeof t->bin_test, "%s/test", t->outdir);
	t->timeout_s = 60;
	t->runs = 1;
}

/* Builds T for TOOL and runs TOOL on it, both sandboxed; checks TOOL reported KIND. */
static void expect_report(struct tl_target *t, enum tl_tool tool, enum tl_kind kind)
{
	assert_int_equal(tl_build_target(&cfg, t, 1 << tool), 0);
	tl_run_tool(&cfg, t, tool, 1);
	const struct tl_result *r = &t->result[tool];
	if (r->status != TL_ST_RAN || !(r->kinds & TL_KINDSET(kind)))
		fail_msg("%s on %s under the %s filter: status %s, note '%s', %zu findings, no %s", tl_tool_name(tool), t->name,
			 tl_sb_profile_name(tl_sb_profile_of(tool)), tl_status_name(r->status), r->note, r->findings.n,
			 tl_kind_name(kind));
	tl_findings_free(&t->result[tool].findings);
}

static void test_tools_report_under_the_filter(void **state)
{
	(void)state;
	need_sandbox();
	static const char failing_test[] =
		"#include <setjmp.h>\n#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <cmocka.h>\n"
		"static void t_fails(void **s) { (void)s; assert_int_equal(1, 2); }\n"
		"int main(void) { const struct CMUnitTest t[] = {cmocka_unit_test(t_fails)};\n"
		"return cmocka_run_group_tests(t, NULL, NULL); }\n";
	char path[TL_PATH + 32];
	snprintf(path, sizeof path, "%s/labs/sb/test_fails.c", scratch);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(failing_test, f);
	fclose(f);
	struct tl_target *t = malloc(sizeof *t);
	assert_non_null(t);
	make_target(t, "race", "race.c", 0);
	expect_report(t, TL_TOOL_TSAN, TL_KIND_RACE);
	expect_report(t, TL_TOOL_HELGRIND, TL_KIND_RACE);
	make_target(t, "leak", "cond_leak.c", 0);
	expect_report(t, TL_TOOL_THREADCHECK, TL_KIND_THREAD_LEAK);
	make_target(t, "tests", "test_fails.c", 1);
	expect_report(t, TL_TOOL_TEST, TL_KIND_TEST_FAIL);
	free(t);
}

/* A folder of links to every program of /usr/bin but bwrap, for a PATH without bubblewrap;
 * FAKE_BWRAP, when not NULL, becomes its bwrap (a shell script). */
static void make_path(const char *name, const char *fake_bwrap, char *dir, size_t len)
{
	snprintf(dir, len, "%s/%s", scratch, name);
	assert_int_equal(shell("mkdir -p '%s' && chmod 755 '%s' && for f in /usr/bin/*; do "
			       "[ \"${f##*/}\" = bwrap ] || ln -sf \"$f\" '%s/'; done",
			       dir, dir, dir),
			 0);
	if (fake_bwrap != NULL) {
		char path[TL_PATH + 16];
		snprintf(path, sizeof path, "%s/bwrap", dir);
		FILE *f = fopen(path, "we");
		assert_non_null(f);
		fprintf(f, "#!/bin/sh\n%s\n", fake_bwrap);
		fclose(f);
		assert_int_equal(chmod(path, 0755), 0);
	}
}

/* Runs `threadlab grade solutions --lab 01 --runs 1 EXTRA` with PATH=DIR and a build folder
 * of the test's own; returns the exit status, stdout in OUT and stderr in ERR. */
static int grade_with_path(const char *dir, const char *extra, char *out, size_t outlen, char *err, size_t errlen)
{
	snprintf(out, outlen, "%s/grade-%d.out", scratch, nout);
	snprintf(err, errlen, "%s/grade-%d.err", scratch, nout++);
	return shell("mkdir -p '%s/build/lib' && cp '%s' '%s/build/lib/' && "
		     "env PATH='%s' THREADLAB_BUILD='%s/build' '%s' grade solutions --root '%s' --lab 01 --runs 1 %s >'%s' 2>'%s'",
		     scratch, cfg.tc_lib, scratch, dir, scratch, bin(), topdir, extra, out, err);
}

/* Whether FILE contains TEXT. */
static int file_has(const char *file, const char *text)
{
	size_t len = 0;
	int trunc = 0;
	char *s = tl_read_file(file, 1 << 20, &len, &trunc);
	int has = s != NULL && strstr(s, text) != NULL;
	free(s);
	return has;
}

static void expect_refusal(const char *dir, const char *why)
{
	char out[TL_PATH + 32], err[TL_PATH + 32];
	int rc = grade_with_path(dir, "", out, sizeof out, err, sizeof err);
	if (rc != TL_EXIT_ERROR || !file_has(err, why) || !file_has(err, "refusing to grade")) {
		shell("cat '%s' >&2", err);
		fail_msg("grade with PATH=%s: exit %d, expected %d and \"%s\" on stderr", dir, rc, TL_EXIT_ERROR, why);
	}
}

static void test_grade_refuses_without_bwrap(void **state)
{
	(void)state;
	char dir[TL_PATH + 32];
	make_path("path-without-bwrap", NULL, dir, sizeof dir);
	expect_refusal(dir, "bubblewrap is missing");
}

static void test_grade_refuses_when_bwrap_fails(void **state)
{
	(void)state;
	char dir[TL_PATH + 32];
	make_path("path-failing-bwrap", "echo 'bwrap: No permissions to create new namespace' >&2; exit 1", dir, sizeof dir);
	expect_refusal(dir, "bubblewrap cannot make its sandbox here");
}

/* A bubblewrap that works but drops --seccomp: the probe must see the filter missing. */
static void test_grade_refuses_without_the_filter(void **state)
{
	(void)state;
	char dir[TL_PATH + 32];
	make_path("path-bwrap-without-seccomp", "skip=0; for a; do shift; if [ $skip = 1 ]; then skip=0; continue; fi; "
		  "if [ \"$a\" = --seccomp ]; then skip=1; continue; fi; set -- \"$@\" \"$a\"; done; exec /usr/bin/bwrap \"$@\"",
		  dir, sizeof dir);
	expect_refusal(dir, "filter is not in force");
}

static void test_grade_unsafe_no_sandbox_grades_and_says_so(void **state)
{
	(void)state;
	char dir[TL_PATH + 32], out[TL_PATH + 32], err[TL_PATH + 32];
	make_path("path-unsafe", NULL, dir, sizeof dir);
	int rc = grade_with_path(dir, "--unsafe-no-sandbox", out, sizeof out, err, sizeof err);
	if (rc != TL_EXIT_PASS || !file_has(out, "UNSAFE") || !file_has(out, "total: 10.0 / 10.0") ||
	    !file_has(err, "--unsafe-no-sandbox")) {
		shell("cat '%s' '%s' >&2", out, err);
		fail_msg("grade --unsafe-no-sandbox without bwrap: exit %d, expected 0 and UNSAFE in the report", rc);
	}
}

/* Every format carries the sandbox line, and says UNSAFE when graded without one. */
static void test_every_format_says_unsafe(void **state)
{
	(void)state;
	static const char *const formats[] = {"text", "json", "gradescope", "junit", "tap", "sarif", "github",
						   "prairielearn", "classroom50"};
	for (int unsafe = 0; unsafe < 2; unsafe++) {
		struct tl_grade g;
		memset(&g, 0, sizeof g);
		tl_strlcpy(g.submission, "alice", sizeof g.submission);
		tl_strlcpy(g.sandbox, unsafe ? "UNSAFE (--unsafe-no-sandbox): note" : "bubblewrap-note", sizeof g.sandbox);
		g.unsafe = unsafe;
		g.runs = 1;
		/* One lab, as every grade has (JUnit says it per test suite). */
		static struct tl_lab lab = {.slug = "01-counter", .title = "Counter"};
		static struct tl_target target;
		struct tl_grade_lab gl;
		memset(&gl, 0, sizeof gl);
		gl.lab = &lab;
		gl.target = &target;
		g.labs = &gl;
		g.n = 1;
		for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			assert_non_null(f);
			tl_report_grade(f, formats[i], &g);
			fclose(f);
			const char *note = unsafe ? "--unsafe-no-sandbox" : "bubblewrap-note";
			int flag = strcmp(formats[i], "json") != 0 ||
				   strstr(buf, unsafe ? "\"unsafe_no_sandbox\":true" : "\"unsafe_no_sandbox\":false") != NULL;
			if (strstr(buf, note) == NULL || (strstr(buf, "UNSAFE") != NULL) != unsafe || !flag)
				fail_msg("%s report (unsafe=%d) lacks the sandbox line or misstates it:\n%s", formats[i], unsafe, buf);
			free(buf);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_profile_refuses_its_calls),
		cmocka_unit_test(test_view_hides_solutions),
		cmocka_unit_test(test_graded_environment_is_fixed),
		cmocka_unit_test(test_runs_start_outside_the_writable_folder),
		cmocka_unit_test(test_tools_report_under_the_filter),
		cmocka_unit_test(test_grade_refuses_without_bwrap),
		cmocka_unit_test(test_grade_refuses_when_bwrap_fails),
		cmocka_unit_test(test_grade_refuses_without_the_filter),
		cmocka_unit_test(test_grade_unsafe_no_sandbox_grades_and_says_so),
		cmocka_unit_test(test_every_format_says_unsafe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* build.c: compiles a target's TSan, plain and test binaries, skipping up-to-date outputs. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

static const char *tsan_cc(void)
{
	const char *cc = getenv("TL_TSAN_CC");
	return cc != NULL && cc[0] != '\0' ? cc : "clang";
}

static const char *plain_cc(void)
{
	const char *cc = getenv("TL_CC");
	return cc != NULL && cc[0] != '\0' ? cc : "gcc";
}

void tl_argv_push(struct tl_argv *a, const char *s)
{
	TL_ASSERT(a->n < TL_ARGV_MAX - 1);
	a->v[a->n] = strdup(s);
	TL_ASSERT(a->v[a->n] != NULL);
	a->n++;
	a->v[a->n] = NULL;
}

void tl_argv_clear(struct tl_argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

const char *tl_build_kind_name(enum tl_build_kind k)
{
	switch (k) {
	case TL_BUILD_TSAN:
		return "tsan";
	case TL_BUILD_PLAIN:
		return "plain";
	case TL_BUILD_TEST:
		return "test";
	case TL_BUILD_TEST_TSAN:
		return "test-tsan";
	case TL_BUILD_COUNT:
		break;
	}
	return "?";
}

void tl_build_compile_argv(const struct tl_target *t, enum tl_build_kind which, struct tl_argv *a)
{
	const int lab = t->lab != NULL;
	const int tsan = which == TL_BUILD_TSAN || which == TL_BUILD_TEST_TSAN;
	tl_argv_push(a, tsan ? tsan_cc() : plain_cc());
	if (tsan)
		tl_argv_push(a, "-fsanitize=thread");
	tl_argv_push(a, "-g");
	tl_argv_push(a, "-O1");
	tl_argv_push(a, "-pthread");
	if (lab) {
		tl_argv_push(a, "-std=c11");
		tl_argv_push(a, "-D_GNU_SOURCE");
		tl_argv_push(a, "-Wall");
		tl_argv_push(a, "-Wextra");
		if (t->werror)
			tl_argv_push(a, "-Werror");
	}
	for (int i = 0; i < t->ninclude; i++) {
		char inc[TL_PATH + 4];
		snprintf(inc, sizeof inc, "-I%s", t->include[i]);
		tl_argv_push(a, inc);
	}
}

static double mtime(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
}

/* The newest mtime among the *.h files of DIR (0 when none). */
static double newest_header(const char *dir)
{
	double newest = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".h") != 0)
			continue;
		char p[TL_PATH * 2];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		double m = mtime(p);
		if (m > newest)
			newest = m;
	}
	closedir(d);
	return newest;
}

/* Whether OUT must be rebuilt: missing, older than an input, or built by another command. */
static int stale(const char *out, const char *const *inputs, int ninputs, const char *const *incdirs,
		 int nincdirs, const char *cmdline)
{
	double out_m = mtime(out);
	if (out_m < 0)
		return 1;
	for (int i = 0; i < ninputs; i++)
		if (mtime(inputs[i]) > out_m || mtime(inputs[i]) < 0)
			return 1;
	for (int i = 0; i < nincdirs; i++)
		if (newest_header(incdirs[i]) > out_m)
			return 1;
	char cmdpath[TL_PATH + 8];
	snprintf(cmdpath, sizeof cmdpath, "%s.cmd", out);
	size_t len = 0;
	int trunc = 0;
	char *old = tl_read_file(cmdpath, 1 << 20, &len, &trunc);
	int differs = old == NULL || strcmp(old, cmdline) != 0;
	free(old);
	return differs;
}

/* Fills F with a build-error finding from the first "file:line:col: error: msg" of LOG. */
static void build_error_finding(const char *log, struct tl_finding *f, const char *what)
{
	memset(f, 0, sizeof *f);
	f->kind = TL_KIND_BUILD_ERROR;
	tl_strlcpy(f->raw, "compile error", sizeof f->raw);
	snprintf(f->message, sizeof f->message, "%s did not compile", what);
	size_t len = 0;
	int trunc = 0;
	char *text = tl_read_file(log, 1 << 20, &len, &trunc);
	if (text == NULL)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *e = strstr(line, ": error: ");
		if (e == NULL)
			e = strstr(line, ": fatal error: ");
		if (e == NULL)
			e = strstr(line, "undefined reference to");
		if (e == NULL)
			continue;
		char *msg = strstr(e, "error: ");
		snprintf(f->message, sizeof f->message, "%s", msg != NULL ? msg + 7 : e);
		/* file:line:col: prefix, when the line has one. */
		char loc[TL_PATH];
		size_t n = (size_t)(e - line);
		if (n < sizeof loc) {
			memcpy(loc, line, n);
			loc[n] = '\0';
			char *c1 = strchr(loc, ':');
			if (c1 != NULL) {
				*c1 = '\0';
				tl_strlcpy(f->site.file, loc, sizeof f->site.file);
				f->site.line = atoi(c1 + 1);
			}
		}
		break;
	}
	f->detail = text;
}

/* Compiles one binary. Returns 0 when OUT is up to date, -1 with a build-error finding added
 * to each tool in TOOLS otherwise. */
static int compile(const struct tl_config *cfg, struct tl_target *t, enum tl_build_kind which, int tools)
{
	const char *out = which == TL_BUILD_TSAN    ? t->bin_tsan
			: which == TL_BUILD_PLAIN ? t->bin_plain
			: which == TL_BUILD_TEST  ? t->bin_test
						  : t->bin_test_tsan;
	struct tl_argv a = {0};
	const char *inputs[TL_MAX_FILES * 8];
	int ninputs = 0;
	tl_build_compile_argv(t, which, &a);
	const char *incdirs[8];
	int nincdirs = 0;
	for (int i = 0; i < t->ninclude; i++)
		incdirs[nincdirs++] = t->include[i];
	tl_argv_push(&a, "-o");
	tl_argv_push(&a, out);
	if (which == TL_BUILD_TEST || which == TL_BUILD_TEST_TSAN) {
		for (int i = 0; i < t->ntest_src; i++) {
			tl_argv_push(&a, t->test_src[i]);
			inputs[ninputs++] = t->test_src[i];
		}
		tl_argv_push(&a, "-lcmocka");
	} else {
		for (int i = 0; i < t->nsrc; i++) {
			tl_argv_push(&a, t->src[i]);
			inputs[ninputs++] = t->src[i];
		}
	}
	tl_argv_push(&a, "-ldl");

	char cmdline[16384];
	size_t off = 0;
	for (int i = 0; i < a.n && off < sizeof cmdline; i++)
		off += (size_t)snprintf(cmdline + off, sizeof cmdline - off, "%s%s", i ? " " : "", a.v[i]);
	int rc = 0;
	if (!stale(out, inputs, ninputs, incdirs, nincdirs, cmdline))
		goto out;

	char log[TL_PATH + 8];
	snprintf(log, sizeof log, "%s.log", out);
	unlink(out);
	static const char *const no_extra[] = {NULL};
	char **env = tl_env_make(no_extra);
	char **confined = cfg->grading ? tl_sandbox_wrap(cfg, TL_SB_BUILD, t->outdir, a.v) : NULL;
	struct tl_spawn s = {0};
	s.argv = confined != NULL ? confined : a.v;
	s.envp = env;
	if (cfg->grading)
		s.limits = &cfg->build_limits;
	s.stdout_path = log;
	s.stderr_path = log;
	s.timeout_s = 120;
	s.max_output = 16 << 20;
	char err[256];
	double t0 = tl_now();
	int ok = tl_spawn_run(&s, err, sizeof err) == 0 && s.exited && s.exit_code == 0;
	t->build_seconds += tl_now() - t0;
	tl_env_free(env);
	tl_argv_free(confined);
	if (ok) {
		char cmdpath[TL_PATH + 8];
		snprintf(cmdpath, sizeof cmdpath, "%s.cmd", out);
		FILE *f = fopen(cmdpath, "we");
		if (f != NULL) {
			fputs(cmdline, f);
			fclose(f);
		}
		goto out;
	}
	rc = -1;
	const char *what = which == TL_BUILD_TSAN    ? "the TSan build"
			 : which == TL_BUILD_PLAIN ? "the program"
			 : which == TL_BUILD_TEST  ? "the tests"
						   : "the tests' TSan build";
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		if (!(tools & (1 << tool)))
			continue;
		struct tl_finding f;
		build_error_finding(log, &f, what);
		if (s.timed_out)
			snprintf(f.message, sizeof f.message, "%s: the compiler did not finish in %.0f s", what, s.timeout_s);
		f.tool = (enum tl_tool)tool;
		struct tl_result *r = &t->result[tool];
		tl_findings_add(&r->findings, &f);
		r->kinds |= TL_KINDSET(TL_KIND_BUILD_ERROR);
		r->status = TL_ST_RAN;
	}
out:
	tl_argv_clear(&a);
	return rc;
}

int tl_build_target(const struct tl_config *cfg, struct tl_target *t, int tools)
{
	if (tl_mkdirs(t->outdir) != 0) {
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(tools & (1 << tool)))
				continue;
			t->result[tool].status = TL_ST_ERROR;
			snprintf(t->result[tool].note, sizeof t->result[tool].note, "cannot create %s: %s",
				 t->outdir, strerror(errno));
		}
		return -1;
	}
	if (cfg->grading && tl_sandbox_prepare_dir(cfg, t->outdir) != 0) {
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(tools & (1 << tool)))
				continue;
			t->result[tool].status = TL_ST_ERROR;
			snprintf(t->result[tool].note, sizeof t->result[tool].note,
				 "cannot hand %s to the sandbox user: %s", t->outdir, strerror(errno));
		}
		return -1;
	}
	int rc = 0;
	int want_tsan = tools & (1 << TL_TOOL_TSAN);
	int want_plain = tools & ((1 << TL_TOOL_HELGRIND) | (1 << TL_TOOL_THREADCHECK));
	int want_test = (tools & (1 << TL_TOOL_TEST)) && t->ntest_src > 0;
	if (want_tsan && compile(cfg, t, TL_BUILD_TSAN, 1 << TL_TOOL_TSAN) != 0)
		rc = -1;
	if (want_plain &&
	    compile(cfg, t, TL_BUILD_PLAIN, tools & ((1 << TL_TOOL_HELGRIND) | (1 << TL_TOOL_THREADCHECK))) != 0)
		rc = -1;
	if (want_test && compile(cfg, t, TL_BUILD_TEST, 1 << TL_TOOL_TEST) != 0)
		rc = -1;
	/* When grading, TSan also runs the tests (see tl_run_tool). */
	if (cfg->grading && want_tsan && t->ntest_src > 0 && compile(cfg, t, TL_BUILD_TEST_TSAN, 1 << TL_TOOL_TSAN) != 0)
		rc = -1;
	return rc;
}

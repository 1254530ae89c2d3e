/* build.c: compiles a target's TSan, plain and test binaries from one object per source and compiler, skipping up-to-date outputs. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

const char *tl_tsan_cc(void)
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

/* The builds, by enum tl_build_kind. */
static const struct {
	const char *name;
	const char *what; /* in a build error's message */
	int tsan;         /* instrumented for ThreadSanitizer */
	int tests;        /* of the lab's tests (cmocka) */
} builds[TL_BUILD_COUNT] = {
	[TL_BUILD_TSAN] = {"tsan", "the TSan build", 1, 0},
	[TL_BUILD_PLAIN] = {"plain", "the program", 0, 0},
	[TL_BUILD_TEST] = {"test", "the tests", 0, 1},
	[TL_BUILD_TEST_TSAN] = {"test-tsan", "the tests' TSan build", 1, 1},
};

const char *tl_build_kind_name(enum tl_build_kind k)
{
	TL_ASSERT((unsigned)k < TL_BUILD_COUNT);
	return builds[k].name;
}

int tl_build_is_tests(enum tl_build_kind k)
{
	TL_ASSERT((unsigned)k < TL_BUILD_COUNT);
	return builds[k].tests;
}

const char *tl_build_output(const struct tl_target *t, enum tl_build_kind k)
{
	switch (k) {
	case TL_BUILD_TSAN:
		return t->bin_tsan;
	case TL_BUILD_PLAIN:
		return t->bin_plain;
	case TL_BUILD_TEST:
		return t->bin_test;
	case TL_BUILD_TEST_TSAN:
		return t->bin_test_tsan;
	case TL_BUILD_COUNT:
		break;
	}
	tl_assert_fail(__FILE__, __LINE__, "tl_build_output: no such build");
}

void tl_build_compile_argv(const struct tl_target *t, enum tl_build_kind which, struct tl_argv *a)
{
	const int lab = t->lab != NULL;
	TL_ASSERT((unsigned)which < TL_BUILD_COUNT);
	const int tsan = builds[which].tsan;
	tl_argv_push(a, tsan ? tl_tsan_cc() : plain_cc());
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

/* The sources build WHICH of T compiles. */
static const struct tl_paths *sources(const struct tl_target *t, enum tl_build_kind which)
{
	return builds[which].tests ? &t->test_src : &t->src;
}

/* Whether OUT must be remade from its NIN inputs IN: missing, older than an input or a header
 * of T's include folders, or made by another command than CMDLINE. */
static int stale(const struct tl_target *t, char *const *in, size_t nin, const char *out, const char *cmdline)
{
	double out_m = mtime(out);
	if (out_m < 0)
		return 1;
	for (size_t i = 0; i < nin; i++)
		if (mtime(in[i]) > out_m || mtime(in[i]) < 0)
			return 1;
	for (int i = 0; i < t->ninclude; i++)
		if (newest_header(t->include[i]) > out_m)
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

/* A as one line, into CMDLINE (LEN bytes): what the .cmd file beside an output records. */
static void join(const struct tl_argv *a, char *cmdline, size_t len)
{
	size_t off = 0;
	cmdline[0] = '\0';
	for (int i = 0; i < a->n && off < len; i++)
		off += (size_t)snprintf(cmdline + off, len - off, "%s%s", i ? " " : "", a->v[i]);
}

void tl_build_mark(const char *out, const struct tl_argv *a)
{
	char cmdline[16384], cmdpath[TL_PATH + 80];
	join(a, cmdline, sizeof cmdline);
	snprintf(cmdpath, sizeof cmdpath, "%s.cmd", out);
	FILE *f = fopen(cmdpath, "we");
	if (f != NULL) {
		fputs(cmdline, f);
		fclose(f);
	}
}

/* The place of SRC among T's sources (the program's, then the tests' other ones), or -1. */
static int source_index(const struct tl_target *t, const char *src)
{
	int n = 0;
	for (size_t i = 0; i < t->src.n; i++, n++)
		if (strcmp(t->src.v[i], src) == 0)
			return n;
	for (size_t i = 0; i < t->test_src.n; i++) {
		int shared = 0;
		for (size_t j = 0; j < t->src.n && !shared; j++)
			shared = strcmp(t->src.v[j], t->test_src.v[i]) == 0;
		if (shared)
			continue;
		if (strcmp(t->test_src.v[i], src) == 0)
			return n;
		n++;
	}
	return -1;
}

int tl_build_object(const struct tl_target *t, enum tl_build_kind which, const char *src, char *out, size_t len,
		    struct tl_argv *a)
{
	TL_ASSERT((unsigned)which < TL_BUILD_COUNT);
	int i = source_index(t, src);
	if (i < 0)
		return -1;
	const char *base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
	int bl = (int)strlen(base);
	if (bl > 2 && strcmp(base + bl - 2, ".c") == 0)
		bl -= 2;
	int n = snprintf(out, len, "%s/obj-%s-%d-%.*s.o", t->outdir, builds[which].tsan ? "tsan" : "plain", i, bl,
			 base);
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (a != NULL) {
		tl_build_compile_argv(t, which, a);
		tl_argv_push(a, "-c");
		tl_argv_push(a, src);
		tl_argv_push(a, "-o");
		tl_argv_push(a, out);
	}
	return 0;
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

/* Gives each tool of TOOLS a build-error finding for build WHICH, from the compiler's LOG
 * (or, when it TIMED_OUT after TIMEOUT_S, saying so). */
static void record_build_error(struct tl_target *t, enum tl_build_kind which, int tools, const char *log,
			       int timed_out, double timeout_s)
{
	const char *what = builds[which].what;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		if (!(tools & (1 << tool)))
			continue;
		struct tl_finding f;
		build_error_finding(log, &f, what);
		if (timed_out)
			snprintf(f.message, sizeof f.message, "%s: the compiler did not finish in %.0f s", what, timeout_s);
		f.tool = (enum tl_tool)tool;
		struct tl_result *r = &t->result[tool];
		tl_findings_add(&r->findings, &f);
		r->kinds |= TL_KINDSET(TL_KIND_BUILD_ERROR);
		r->status = TL_ST_RAN;
	}
}

/* Runs the compiler (argv A) for OUT, in the sandbox when grading, its output in OUT.log.
 * Returns 0 when it succeeded (then OUT.cmd records A), or -1 with a build-error finding for
 * build WHICH added to each tool of TOOLS. */
static int run_compiler(const struct tl_config *cfg, struct tl_target *t, enum tl_build_kind which, int tools,
			const char *out, const struct tl_argv *a)
{
	char log[TL_PATH + 8];
	snprintf(log, sizeof log, "%s.log", out);
	unlink(out);
	static const char *const no_extra[] = {NULL};
	const struct tl_jail jail = {TL_SB_BUILD, t->outdir, NULL};
	struct tl_spawn s = {0};
	if (cfg->grading)
		s.limits = &cfg->build_limits;
	s.stdout_path = log;
	s.stderr_path = log;
	s.timeout_s = 120;
	s.max_output = 16 << 20;
	char err[256];
	double t0 = tl_now();
	int ok = tl_spawn_jailed(cfg, cfg->grading ? &jail : NULL, a->v, no_extra, &s, err, sizeof err) == 0 &&
		 s.exited && s.exit_code == 0;
	t->build_seconds += tl_now() - t0;
	if (!ok) {
		record_build_error(t, which, tools, log, s.timed_out, s.timeout_s);
		return -1;
	}
	tl_build_mark(out, a);
	return 0;
}

/* Makes OUT with A from its NIN inputs IN unless it is up to date. Returns 0 when OUT is, -1
 * with a build-error finding for build WHICH added to each tool of TOOLS otherwise. */
static int make(const struct tl_config *cfg, struct tl_target *t, enum tl_build_kind which, int tools,
		const char *out, const struct tl_argv *a, char *const *in, size_t nin)
{
	char cmdline[16384];
	join(a, cmdline, sizeof cmdline);
	return stale(t, in, nin, out, cmdline) ? run_compiler(cfg, t, which, tools, out, a) : 0;
}

/* Makes build WHICH of T unless it is up to date: each source's object (tl_build_object), then
 * the link. Returns 0 when its output is, -1 with a build-error finding added to each tool in
 * TOOLS otherwise. */
static int compile(const struct tl_config *cfg, struct tl_target *t, enum tl_build_kind which, int tools)
{
	const struct tl_paths *src = sources(t, which);
	struct tl_paths objs = {0};
	int rc = 0;
	for (size_t i = 0; i < src->n && rc == 0; i++) {
		char obj[TL_PATH * 2];
		struct tl_argv a = {0};
		TL_ASSERT(tl_build_object(t, which, src->v[i], obj, sizeof obj, &a) == 0);
		rc = make(cfg, t, which, tools, obj, &a, &src->v[i], 1);
		tl_paths_addf(&objs, "%s", obj);
		tl_argv_clear(&a);
	}
	if (rc == 0) {
		const char *out = tl_build_output(t, which);
		struct tl_argv a = {0};
		tl_build_compile_argv(t, which, &a);
		tl_argv_push(&a, "-o");
		tl_argv_push(&a, out);
		for (size_t i = 0; i < objs.n; i++)
			tl_argv_push(&a, objs.v[i]);
		if (builds[which].tests)
			tl_argv_push(&a, "-lcmocka");
		tl_argv_push(&a, "-ldl");
		rc = make(cfg, t, which, tools, out, &a, objs.v, objs.n);
		tl_argv_clear(&a);
	}
	tl_paths_free(&objs);
	return rc;
}

/* Marks each tool of TOOLS failed on T: "BEFORE<outdir>AFTER: <the last call's error>".
 * Returns -1. */
static int fail_tools(struct tl_target *t, int tools, const char *before, const char *after)
{
	const char *why = strerror(errno);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		if (!(tools & (1 << tool)))
			continue;
		t->result[tool].status = TL_ST_ERROR;
		tl__errf(t->result[tool].note, sizeof t->result[tool].note, "%s%s%s: %s", before, t->outdir, after, why);
	}
	return -1;
}

/* The tools of TOOLS whose runs use build K: as their program, or when grading as the build of
 * the lab's tests they watch (tools.def). */
static int tools_of_build(const struct tl_config *cfg, enum tl_build_kind k, int tools)
{
	int of = 0;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		const struct tl_tool_ops *o = tl_tool((enum tl_tool)tool);
		if ((tools & (1 << tool)) && (o->build == k || (cfg->grading && o->tests_build == k)))
			of |= 1 << tool;
	}
	return of;
}

int tl_build_target(const struct tl_config *cfg, struct tl_target *t, int tools)
{
	if (tl_mkdirs(t->outdir) != 0)
		return fail_tools(t, tools, "cannot create ", "");
	if (cfg->grading && tl_sandbox_prepare_dir(cfg, t->outdir) != 0)
		return fail_tools(t, tools, "cannot hand ", " to the sandbox user");
	/* The user's own binary (analyze -- PROG): nothing to build, the folder holds the logs. */
	if (t->prebuilt)
		return 0;
	int rc = 0;
	for (int k = 0; k < TL_BUILD_COUNT; k++) {
		int of = tools_of_build(cfg, (enum tl_build_kind)k, tools);
		if (of == 0 || (builds[k].tests && t->test_src.n == 0))
			continue;
		if (compile(cfg, t, (enum tl_build_kind)k, of) != 0)
			rc = -1;
	}
	return rc;
}

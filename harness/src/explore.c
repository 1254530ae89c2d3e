/* explore.c: `threadlab explore`: runs a program under threadcheck's schedule explorer until a
 * schedule fails, then replays that schedule, minimises it and shows its interleaving. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explore.h"
#include "stages.h"

#define EX_MAX_ARGS 64
#define EX_MAX_TESTS 300            /* replays the minimiser may make */
#define EX_REPLAYS 3                /* replays of a failing schedule before it is reported */

static const char ex_usage[] =
	"usage: threadlab explore [options] PATH          a C file or a folder of C files\n"
	"       threadlab explore [options] -- PROG [ARG...]  any dynamically linked program\n"
	"options:\n"
	"  --schedules N      schedules to try before the program is declared to survive (100)\n"
	"  --seed S           the first schedule's seed; schedule i uses S+i (1)\n"
	"  --strategy NAME    pct (default), random or delay\n"
	"  --depth D          PCT: bug depth (D-1 priority changes); delay: delays (3)\n"
	"  --timeout S        wall-clock limit of one run in seconds (10)\n"
	"  --replay LIST      run the one schedule LIST (STEP:TN,...; - for none) and show it\n"
	"  --no-minimize      report the failing schedule as found\n"
	"  --canary           link (PATH) and require the liveness canary, as grading does, so that\n"
	"                     a schedule from a grade's feedback replays step for step\n"
	"  --format text|json|html, --out FILE\n"
	"exit status: 0 survived every schedule, 1 a schedule failed, 2 usage or tool error\n";

static const char *const ex_strategies[] = { "pct", "random", "delay" };

/* What one invocation was asked. */
struct ex_opts {
	long schedules;
	unsigned long long seed;
	const char *strategy;
	int depth;
	double timeout;
	const char *replay;
	int minimize;
	int canary;                  /* the program carries grading's liveness canary */
	const char *format;
	const char *out;
	const char *path;            /* PATH, or NULL with PROG */
	char *prog[EX_MAX_ARGS + 1]; /* the program and its arguments */
};

/* Where runs happen, and the library. */
struct ex_ctx {
	const struct tl_config *cfg; /* the sandbox (none from the command line) */
	struct tl_config own;        /* the command line's: no sandbox */
	char dir[TL_PATH];           /* a fresh folder for this invocation's logs */
	char lib[TL_PATH];
	char exe[TL_PATH];           /* the program built from PATH */
	int made;                    /* DIR exists (and is removed at the end) */
	int canary;                  /* the program carries the liveness canary (grading, --canary) */
	struct ex_opts *o;
};

/* One run's result. */
struct ex_run {
	enum tl_ex_outcome outcome;
	int status;
	long steps, choices, preemptions;
	char *decisions;            /* malloc'd "STEP:TN,..." ("-" for none) */
	char *stderr_text;          /* malloc'd */
	char *sched_log;            /* malloc'd: the schedule log as written */
};

static const char *const ex_outcome_names[] = {
#define X(e, name, what) [TL_EX_##e] = name,
	TL_EX_OUTCOMES(X)
#undef X
};
static const char *const ex_outcome_whats[] = {
#define X(e, name, what) [TL_EX_##e] = what,
	TL_EX_OUTCOMES(X)
#undef X
};

const char *tl_ex_outcome_name(enum tl_ex_outcome o)
{
	return ex_outcome_names[o];
}

const char *tl_ex_outcome_what(enum tl_ex_outcome o)
{
	return ex_outcome_whats[o];
}

static void ex_run_free(struct ex_run *r)
{
	free(r->decisions);
	free(r->stderr_text);
	free(r->sched_log);
	memset(r, 0, sizeof *r);
}

/* ---- options ------------------------------------------------------------------------------ */

/* Reads a number option NAME's value V into *OUT within [LO, HI]. Returns 0 or -1. */
static int ex_number(const char *name, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = v != NULL ? strtod(v, &end) : 0;
	if (v == NULL || errno != 0 || end == v || *end != '\0' || d < lo || d > hi) {
		fprintf(stderr, "threadlab: %s needs a number in [%g, %g]\n", name, lo, hi);
		return -1;
	}
	*out = d;
	return 0;
}

/* Where the value of option A goes when it takes a name or a path; NULL for the others. */
static const char **ex_string_option(struct ex_opts *o, const char *a)
{
	if (strcmp(a, "--strategy") == 0)
		return &o->strategy;
	if (strcmp(a, "--replay") == 0)
		return &o->replay;
	if (strcmp(a, "--format") == 0)
		return &o->format;
	if (strcmp(a, "--out") == 0)
		return &o->out;
	return NULL;
}

/* Applies option ARGV[*I] (and its value). Returns 0, or -1 on a bad option. */
static int ex_option(struct ex_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL, **str = ex_string_option(o, a);
	double d = 0;
	int rc = 0, takes = 1;
	if (strcmp(a, "--schedules") == 0 && (rc = ex_number(a, v, 1, 1e9, &d)) == 0)
		o->schedules = (long)d;
	else if (strcmp(a, "--seed") == 0 && (rc = ex_number(a, v, 0, 1e15, &d)) == 0)
		o->seed = (unsigned long long)d;
	else if (strcmp(a, "--depth") == 0 && (rc = ex_number(a, v, 1, 16, &d)) == 0)
		o->depth = (int)d;
	else if (strcmp(a, "--timeout") == 0 && (rc = ex_number(a, v, 0.1, 86400, &d)) == 0)
		o->timeout = d;
	else if (str != NULL) {
		if (v == NULL)
			return -1;
		*str = v;
	} else if (strcmp(a, "--no-minimize") == 0) {
		o->minimize = 0;
		takes = 0;
	} else if (strcmp(a, "--canary") == 0) {
		o->canary = 1;
		takes = 0;
	} else if (rc == 0) {
		fprintf(stderr, "threadlab: unknown option %s\n", a);
		return -1;
	}
	*i += takes;
	return rc;
}

/* Checks the values that name things. Returns 0 or -1. */
static int ex_check_opts(const struct ex_opts *o)
{
	int ok = 0;
	for (size_t k = 0; k < sizeof ex_strategies / sizeof ex_strategies[0]; k++)
		ok |= strcmp(o->strategy, ex_strategies[k]) == 0;
	if (!ok)
		fprintf(stderr, "threadlab: --strategy is pct, random or delay\n");
	if (strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0 &&
	    strcmp(o->format, "html") != 0) {
		fprintf(stderr, "threadlab: --format is text, json or html\n");
		ok = 0;
	}
	if (o->replay != NULL && strspn(o->replay, "0123456789:T,-") != strlen(o->replay)) {
		fprintf(stderr, "threadlab: --replay takes STEP:TN,... as explore printed it\n");
		ok = 0;
	}
	return ok ? 0 : -1;
}

/* Parses ARGV into O. Returns 0, or -1 after saying why. */
static int ex_parse(int argc, char **argv, struct ex_opts *o)
{
	*o = (struct ex_opts){ .schedules = 100, .seed = 1, .strategy = "pct", .depth = 3,
			       .timeout = 10, .minimize = 1, .format = "text" };
	int i = 2;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0'; i++)
		if (ex_option(o, argc, argv, &i) != 0)
			return -1;
	if (i < argc && strcmp(argv[i], "--") == 0) {
		if (++i == argc || argc - i > EX_MAX_ARGS)
			return -1;
		for (int k = 0; i < argc; k++)
			o->prog[k] = argv[i++];
	} else if (i + 1 == argc) {
		o->path = argv[i];
	} else {
		return -1;
	}
	return ex_check_opts(o);
}

/* ---- the program --------------------------------------------------------------------------- */

/* Finds libthreadcheck.so: the configuration's, else beside our own binary
 * (<build>/bin/threadlab -> <build>/lib). Returns 0, or -1 after saying why. */
static int ex_find_lib(struct ex_ctx *c)
{
	char self[TL_PATH];
	if (c->cfg->tc_lib[0] != '\0') {
		tl_strlcpy(c->lib, c->cfg->tc_lib, sizeof c->lib);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	if (tl_pathf(c->lib, sizeof c->lib, "%s/../lib/libthreadcheck.so", self) != 0 ||
	    access(c->lib, R_OK) != 0) {
		fprintf(stderr, "threadlab: cannot find libthreadcheck.so (make all builds it)\n");
		return -1;
	}
	return 0;
}

/* Adds DIR's C files but the tests (test_*.c) to SRC, sorted. */
static void ex_list_c(const char *dir, struct tl_paths *src)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (tl_has_suffix(e->d_name, ".c") && strncmp(e->d_name, "test_", 5) != 0)
			tl_paths_addf(src, "%s/%s", dir, e->d_name);
	closedir(d);
	tl_paths_sort(src);
}

/* Adds to SRC and A (as -I) the sources and include folders of the program of lab folder DIR
 * (a labs/NN-slug holding lab.decl): what its lab.decl names, the student's files as they are
 * in DIR, labs/common and, for a canaried exploration, the liveness canary, as grading builds
 * it (target.c), so that a schedule from a grade's feedback replays here step for step.
 * Returns 0, or -1 after saying why. */
static int ex_lab_sources(const struct ex_ctx *c, const char *dir, struct tl_paths *src, struct tl_argv *a)
{
	char real[TL_PATH], err[1024];
	struct tl_lab *lab = NULL;
	size_t n = 0;
	struct tl_config cfg = { .canary = c->canary };
	struct tl_target t;
	/* The toolkit is two folders up: <root>/labs/NN-slug. */
	char *slash = realpath(dir, real) != NULL ? strrchr(real, '/') : NULL, *up = NULL;
	if (slash != NULL) {
		*slash = '\0';
		up = strrchr(real, '/');
		*slash = '/';
	}
	if (up == NULL || tl_pathf(cfg.root, sizeof cfg.root, "%.*s", (int)(up - real), real) != 0) {
		fprintf(stderr, "threadlab: %s: not a lab folder of the toolkit\n", dir);
		return -1;
	}
	tl_strlcpy(cfg.labs_root, cfg.root, sizeof cfg.labs_root);
	tl_strlcpy(cfg.out_root, c->dir, sizeof cfg.out_root);
	int rc = tl_discover(cfg.root, slash + 1, &lab, &n, err, sizeof err) == 0 && n == 1 &&
			 tl_target_lab(&cfg, lab, TL_BUGGY, &t, err, sizeof err) == 0
		 ? 0 : -1;
	if (rc != 0) {
		fprintf(stderr, "threadlab: %s: %s\n", dir, n > 1 ? "more than one lab matches" : err);
		free(lab);
		return -1;
	}
	for (int k = 0; k < t.ninclude; k++) {
		tl_argv_push(a, "-I");
		tl_argv_push(a, t.include[k]);
	}
	for (size_t k = 0; k < t.src.n; k++)
		tl_paths_addf(src, "%s", t.src.v[k]);
	tl_paths_free(&t.src);
	tl_paths_free(&t.test_src);
	free(lab);
	return 0;
}

/* Compiles PATH (a C file, a lab folder as grading builds its program, or a folder's C files
 * but test_*.c) into C->exe with debug information, so that the interleaving names lines.
 * Returns 0, or -1 after saying why. */
static int ex_build(struct ex_ctx *c, const char *path)
{
	struct tl_paths src = { 0 };
	struct tl_argv a = { 0 };
	struct stat st;
	char decl[TL_PATH + 16];
	if (stat(path, &st) != 0) {
		fprintf(stderr, "threadlab: %s: %s\n", path, strerror(errno));
		return -1;
	}
	const char *base[] = { "cc", "-std=gnu11", "-g", "-O1", "-pthread", "-o", c->exe };
	for (size_t k = 0; k < sizeof base / sizeof base[0]; k++)
		tl_argv_push(&a, base[k]);
	snprintf(decl, sizeof decl, "%s/lab.decl", path);
	const int lab = S_ISDIR(st.st_mode) && access(decl, R_OK) == 0;
	if (lab && ex_lab_sources(c, path, &src, &a) != 0) {
		tl_argv_clear(&a);
		return -1;
	}
	if (!lab && S_ISDIR(st.st_mode))
		ex_list_c(path, &src);
	else if (!lab)
		tl_paths_addf(&src, "%s", path);
	if (c->canary && !lab)
		fprintf(stderr, "threadlab: --canary: %s is not a lab folder; its program must link the canary itself\n", path);
	for (size_t k = 0; k < src.n; k++)
		tl_argv_push(&a, src.v[k]);
	char out[TL_PATH + 32], err[512];
	snprintf(out, sizeof out, "%s/build.log", c->dir);
	struct tl_spawn s = { .argv = a.v, .stdout_path = out, .stderr_path = out, .timeout_s = 120 };
	int rc = src.n == 0 ? -1 : tl_spawn_run(&s, err, sizeof err);
	if (rc != 0 || !s.exited || s.exit_code != 0) {
		size_t n = 0;
		int trunc = 0;
		char *log = tl_read_file(out, 1 << 16, &n, &trunc);
		fprintf(stderr, "threadlab: cannot build %s%s\n%s", path, src.n == 0 ? " (no .c files)" : "",
			log != NULL ? log : "");
		free(log);
		rc = -1;
	}
	tl_argv_clear(&a);
	tl_paths_free(&src);
	return rc;
}

/* ---- one run -------------------------------------------------------------------------------- */

/* Reads FILE (malloc'd text, "" when it is missing). */
static char *ex_slurp(const char *file)
{
	size_t n = 0;
	int trunc = 0;
	char *text = tl_read_file(file, 16 << 20, &n, &trunc);
	if (text == NULL) {
		text = calloc(1, 1);
		TL_ASSERT(text != NULL);
	}
	return text;
}

/* How the run S ended, with threadcheck's log TC: a deadlock, leak or misuse it reported
 * first, then the program's own end. A lock-order record is a prediction, not a failure of
 * this schedule: a run whose only records are lock orders (threadcheck's report exit status)
 * passed. */
static enum tl_ex_outcome ex_classify(const struct tl_spawn *s, const char *tc)
{
	if (s->timed_out)
		return TL_EX_TIMEOUT;
	if (s->signaled)
		return s->signo == SIGABRT ? TL_EX_ABORT : TL_EX_CRASH;
	if (strstr(tc, "BEGIN deadlock") != NULL)
		return TL_EX_DEADLOCK;
	if (strstr(tc, "BEGIN thread-leak") != NULL || strstr(tc, "BEGIN unjoined-thread") != NULL)
		return TL_EX_LEAK;
	if (strstr(tc, "BEGIN misuse:") != NULL)
		return TL_EX_MISUSE;
	if (s->exited && s->exit_code != 0 &&
	    !(s->exit_code == tl_tool(TL_TOOL_THREADCHECK)->hooks->report_exit && strstr(tc, "BEGIN lock-order") != NULL))
		return TL_EX_EXIT;
	return TL_EX_NONE;
}

/* How the run S of a canaried program ended (grading's, or --canary): threadcheck's log TC
 * parsed and the canary's records taken out (canary.c), then as ex_classify. The canary leaves
 * a thread blocked at every exit, so threadcheck's report exit status is its record; a run that
 * ended by itself without that record had its report cut or switched off from inside. */
static enum tl_ex_outcome ex_classify_canaried(const struct tl_spawn *s, const char *tc)
{
	struct tl_findings f = { 0 };
	char err[256];
	tl_kindset kinds = 0;
	if (s->timed_out || s->signaled)
		return ex_classify(s, "");
	int parsed = tl_parse_threadcheck(tc, strlen(tc), &f, err, sizeof err) == 0;
	int canaries = parsed ? tl_canary_take(TL_TOOL_THREADCHECK, &f) : 0;
	for (size_t i = 0; i < f.n; i++)
		kinds |= TL_KINDSET(f.v[i].kind);
	tl_findings_free(&f);
	if (kinds & TL_KINDSET(TL_KIND_DEADLOCK))
		return TL_EX_DEADLOCK;
	if (kinds & TL_KINDSET(TL_KIND_THREAD_LEAK))
		return TL_EX_LEAK;
	if (kinds & TL_KINDSET(TL_KIND_MISUSE))
		return TL_EX_MISUSE;
	if (canaries == 0)
		return TL_EX_INTERFERENCE;
	const int reported = tl_tool(TL_TOOL_THREADCHECK)->hooks->report_exit;
	return s->exited && s->exit_code != 0 && s->exit_code != reported ? TL_EX_EXIT : TL_EX_NONE;
}

/* The decision list of a schedule log ("choice STEP TN" lines) as "STEP:TN,...", "-" when it
 * has none, and its end line's counts into R. */
static void ex_decisions(const char *log, struct ex_run *r)
{
	size_t cap = strlen(log) + 2, len = 0;
	char *d = malloc(cap);
	TL_ASSERT(d != NULL);
	for (const char *p = log; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		long step;
		int t;
		if (sscanf(p, "choice %ld T%d", &step, &t) == 2)
			len += (size_t)snprintf(d + len, cap - len, "%s%ld:T%d", len > 0 ? "," : "", step, t);
		else if (strncmp(p, "end ", 4) == 0) {
			const char *q = strstr(p, "steps=");
			if (q != NULL)
				(void)sscanf(q, "steps=%ld choices=%ld preemptions=%ld", &r->steps, &r->choices,
					     &r->preemptions);
		}
	}
	if (len == 0)
		snprintf(d, cap, "-");
	r->decisions = d;
}

/* The variables of one run: the library, its two logs in C's folder, the schedule. */
struct ex_env {
	char pre[TL_PATH + 16], log[TL_PATH + 32], slog[TL_PATH + 32], sched[256];
	char *rep;                  /* malloc'd: a decision list has no fixed size */
	const char *v[8];           /* NULL-terminated, for tl_spawn_jailed */
};

/* Fills E for a run with THREADCHECK_SCHED=SPEC or, when REPLAY is not NULL,
 * THREADCHECK_REPLAY=REPLAY; TRACE asks for the interleaving. Free E->rep after the run. */
static void ex_env_make(const struct ex_ctx *c, const char *spec, const char *replay, int trace,
			struct ex_env *e)
{
	int n = 0;
	snprintf(e->pre, sizeof e->pre, "LD_PRELOAD=%s", c->lib);
	snprintf(e->log, sizeof e->log, "THREADCHECK_LOG=%s/tc", c->dir);
	snprintf(e->slog, sizeof e->slog, "THREADCHECK_SCHED_LOG=%s/sched", c->dir);
	e->v[n++] = e->pre;
	e->v[n++] = e->log;
	e->v[n++] = e->slog;
	e->rep = NULL;
	if (replay != NULL) {
		size_t len = strlen(replay) + sizeof "THREADCHECK_REPLAY=";
		e->rep = malloc(len);
		TL_ASSERT(e->rep != NULL);
		snprintf(e->rep, len, "THREADCHECK_REPLAY=%s", replay);
		e->v[n++] = e->rep;
	} else if (spec != NULL) {
		snprintf(e->sched, sizeof e->sched, "THREADCHECK_SCHED=%s", spec);
		e->v[n++] = e->sched;
	}
	if (trace)
		e->v[n++] = "THREADCHECK_SCHED_TRACE=1";
	e->v[n] = NULL;
}

/* Runs the program once under the explorer (see ex_env_make for SPEC, REPLAY and TRACE) and
 * fills R. Returns 0, or -1 when the program could not be started. */
static int ex_run(struct ex_ctx *c, const char *spec, const char *replay, int trace, struct ex_run *r)
{
	char out[TL_PATH + 16], errp[TL_PATH + 16], file[TL_PATH + 48], err[512];
	struct ex_env e;
	memset(r, 0, sizeof *r);
	ex_env_make(c, spec, replay, trace, &e);
	snprintf(out, sizeof out, "%s/out", c->dir);
	snprintf(errp, sizeof errp, "%s/err", c->dir);
	struct tl_spawn s = { .stdout_path = out, .stderr_path = errp, .timeout_s = c->o->timeout };
	/* Like threadcheck's own runs: its profile, the log folder writable, the program shown. */
	const char *const ro[] = { c->o->prog[0], NULL };
	const struct tl_jail jail = { tl_sb_profile_of(TL_TOOL_THREADCHECK), c->dir, ro };
	int started = tl_spawn_jailed(c->cfg, &jail, c->o->prog, e.v, &s, err, sizeof err);
	free(e.rep);
	if (started != 0) {
		fprintf(stderr, "threadlab: cannot run %s: %s\n", c->o->prog[0], err);
		return -1;
	}
	/* In the sandbox the program is pid 2 of its own namespace (bubblewrap is 1). */
	int pid = c->cfg->sandbox ? 2 : s.pid;
	snprintf(file, sizeof file, "%s/tc.%d", c->dir, pid);
	char *tc = ex_slurp(file);
	unlink(file);
	snprintf(file, sizeof file, "%s/sched.%d", c->dir, pid);
	r->sched_log = ex_slurp(file);
	unlink(file);
	r->outcome = c->canary ? ex_classify_canaried(&s, tc) : ex_classify(&s, tc);
	r->status = s.signaled ? s.signo : s.exit_code;
	r->stderr_text = ex_slurp(errp);
	ex_decisions(r->sched_log, r);
	free(tc);
	return 0;
}

/* ---- replay and the minimiser ---------------------------------------------------------------- */

/* The interleaving in schedule log LOG's trace lines ("trace STEP TN OP OBJ [preempt]
 * FUNCTION FILE:LINE") into R. */
static void ex_parse_trace(const char *log, struct tl_ex_report *r)
{
	size_t cap = 64;
	r->step = calloc(cap, sizeof *r->step);
	TL_ASSERT(r->step != NULL);
	for (const char *p = log; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		struct tl_ex_step s = { 0 };
		char rest[512] = "";
		int used = 0;
		if (sscanf(p, "trace %ld T%d %23s %39s %n", &s.step, &s.thread, s.op, s.obj, &used) < 4 || used == 0)
			continue;
		const char *q = p + used, *nl = strchr(q, '\n');
		snprintf(rest, sizeof rest, "%.*s", (int)(nl != NULL ? nl - q : (long)strlen(q)), q);
		char *w = rest;
		if (strncmp(w, "preempt ", 8) == 0) {
			s.preempt = 1;
			w += 8;
		}
		char *sp = strchr(w, ' ');
		snprintf(s.function, sizeof s.function, "%.*s", (int)(sp != NULL ? sp - w : (long)strlen(w)), w);
		snprintf(s.site, sizeof s.site, "%s", sp != NULL ? sp + 1 : "?:0");
		if ((size_t)r->nstep == cap) {
			cap *= 2;
			r->step = realloc(r->step, cap * sizeof *r->step);
			TL_ASSERT(r->step != NULL);
		}
		r->step[r->nstep++] = s;
		if (s.thread + 1 > r->threads)
			r->threads = s.thread + 1;
	}
}

/* The entries of decision list LIST ("-": none) as malloc'd strings in *E; returns the count. */
static size_t ex_split(const char *list, char ***e)
{
	size_t n = 0, cap = 16;
	*e = malloc(cap * sizeof **e);
	TL_ASSERT(*e != NULL);
	for (const char *p = list; strcmp(list, "-") != 0 && *p != '\0';) {
		size_t k = strcspn(p, ",");
		if (n == cap) {
			cap *= 2;
			*e = realloc(*e, cap * sizeof **e);
			TL_ASSERT(*e != NULL);
		}
		(*e)[n++] = strndup(p, k);
		p += k + (p[k] == ',');
	}
	return n;
}

/* The entries of E[0..N) that KEEP marks, as a decision list (malloc'd; "-" for none). */
static char *ex_join(char **e, const unsigned char *keep, size_t n)
{
	size_t cap = 2, len = 0;
	for (size_t i = 0; i < n; i++)
		cap += strlen(e[i]) + 1;
	char *s = malloc(cap);
	TL_ASSERT(s != NULL);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			len += (size_t)snprintf(s + len, cap - len, "%s%s", len > 0 ? "," : "", e[i]);
	if (len == 0)
		snprintf(s, cap, "-");
	return s;
}

/* Whether replaying LIST fails with WANT (one test of the minimiser; counted in *TESTS). */
static int ex_still_fails(struct ex_ctx *c, const char *list, enum tl_ex_outcome want, int *tests)
{
	struct ex_run r;
	(*tests)++;
	if (ex_run(c, NULL, list, 0, &r) != 0)
		return 0;
	int same = r.outcome == want;
	ex_run_free(&r);
	return same;
}

/* Delta debugging over the entries of decision list LIST, which fails with WANT: drops
 * chunks of entries (halves, then quarters, ... single ones) while the rest still fails the
 * same way. A dropped entry leaves that step to the default choice (the running thread goes
 * on). Returns the smallest list found (malloc'd). */
static char *ex_minimize(struct ex_ctx *c, const char *list, enum tl_ex_outcome want, int *tests)
{
	char **e;
	size_t n = ex_split(list, &e), live = n, g = 2;
	unsigned char *keep = malloc(n + 1);
	size_t *idx = malloc((n + 1) * sizeof *idx);
	TL_ASSERT(keep != NULL && idx != NULL);
	memset(keep, 0, n + 1);
	char *none = ex_join(e, keep, n);
	int empty_fails = n > 0 && ex_still_fails(c, none, want, tests);
	free(none);
	memset(keep, !empty_fails, n);
	live = empty_fails ? 0 : n;
	while (live > 0 && *tests < EX_MAX_TESTS) {
		size_t m = 0, chunk = (live + g - 1) / g;
		int reduced = 0;
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				idx[m++] = i;
		for (size_t start = 0; start < m && !reduced && *tests < EX_MAX_TESTS; start += chunk) {
			size_t end = start + chunk < m ? start + chunk : m;
			for (size_t k = start; k < end; k++)
				keep[idx[k]] = 0;
			char *try = ex_join(e, keep, n);
			reduced = ex_still_fails(c, try, want, tests);
			free(try);
			for (size_t k = start; k < end && !reduced; k++)
				keep[idx[k]] = 1;
			if (reduced)
				live -= end - start;
		}
		if (reduced)
			g = g > 2 ? g - 1 : 2;
		else if (g >= live)
			break;
		else
			g = 2 * g < live ? 2 * g : live;
	}
	char *best = ex_join(e, keep, n);
	for (size_t i = 0; i < n; i++)
		free(e[i]);
	free(e);
	free(keep);
	free(idx);
	return best;
}

/* ---- the exploration ------------------------------------------------------------------------ */

/* Runs COUNT more schedules of strategy NAME, seeds from SEED, after those REP counts,
 * stopping at the first that fails (left in *FAIL, its seed and strategy in REP). Returns 0, or
 * -1 when the program could not be run. */
static int ex_more(struct ex_ctx *c, const char *name, unsigned long long seed, long count, struct ex_run *fail,
		   struct tl_ex_report *rep)
{
	char spec[160];
	snprintf(rep->strategy, sizeof rep->strategy, "%s", name);
	for (long i = 0; i < count; i++) {
		ex_run_free(fail);
		rep->seed = seed + (unsigned long long)i;
		snprintf(spec, sizeof spec, "%s:seed=%llu:depth=%d:steps=%ld", name, rep->seed, c->o->depth,
			 rep->steps_hint);
		if (ex_run(c, spec, NULL, 0, fail) != 0)
			return -1;
		rep->schedules++;
		if (fail->outcome != TL_EX_NONE)
			return 0;
	}
	return 0;
}

/* Runs up to the asked number of schedules, stopping at the first that fails. Returns 0 with
 * the failing run in *FAIL (outcome NONE when every schedule passed) and its seed in REP, or
 * -1 when the program could not be run. A first run on the default schedule (no preemption)
 * counts the steps, which PCT needs, and fails on its own when the bug needs no preemption. */
static int ex_search(struct ex_ctx *c, struct ex_run *fail, struct tl_ex_report *rep)
{
	if (ex_run(c, NULL, "-", 0, fail) != 0)
		return -1;
	rep->steps_hint = fail->steps > 0 ? fail->steps : 1;
	rep->schedules = 1;
	if (fail->outcome != TL_EX_NONE)
		return 0;
	return ex_more(c, c->o->strategy, c->o->seed, c->o->schedules, fail, rep);
}

/* The command that replays LIST, as the user would type it. */
static void ex_replay_cmd(const struct ex_ctx *c, const char *list, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "threadlab explore --replay %s%s", list, c->canary ? " --canary" : "");
	if (c->o->path != NULL) {
		snprintf(buf + n, len - n, " %s", c->o->path);
		return;
	}
	n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " --");
	for (int k = 0; c->o->prog[k] != NULL && n < len; k++)
		n += (size_t)snprintf(buf + n, len - n, " %s", c->o->prog[k]);
}

/* A failing run FAIL: replays it, minimises it (unless asked not to), and traces the schedule
 * shown into REP. Returns 0, or -1 when the program could not be run. */
static int ex_explain_failure(struct ex_ctx *c, struct ex_run *fail, struct tl_ex_report *rep)
{
	struct ex_run r;
	int tests = 0;
	rep->outcome = fail->outcome;
	rep->status = fail->status;
	rep->decisions = strdup(fail->decisions);
	rep->choices = fail->choices;
	rep->preemptions = fail->preemptions;
	rep->replays = EX_REPLAYS;
	for (int k = 0; k < EX_REPLAYS; k++)
		rep->replayed += ex_still_fails(c, fail->decisions, fail->outcome, &tests);
	if (c->o->minimize && rep->replayed > 0)
		rep->minimal = ex_minimize(c, fail->decisions, fail->outcome, &tests);
	const char *shown = rep->minimal != NULL ? rep->minimal : rep->decisions;
	if (ex_run(c, NULL, shown, 1, &r) != 0)
		return -1;
	rep->min_choices = r.choices;
	rep->min_preemptions = r.preemptions;
	rep->detail = r.outcome != TL_EX_NONE ? strdup(r.stderr_text) : strdup(fail->stderr_text);
	ex_parse_trace(r.sched_log, rep);
	ex_replay_cmd(c, shown, rep->replay_cmd, sizeof rep->replay_cmd);
	ex_run_free(&r);
	return 0;
}

/* --replay: the one schedule, traced. Returns 0, or -1 when the program could not be run. */
static int ex_replay_only(struct ex_ctx *c, struct tl_ex_report *rep)
{
	struct ex_run r;
	if (ex_run(c, NULL, c->o->replay, 1, &r) != 0)
		return -1;
	rep->schedules = 1;
	rep->outcome = r.outcome;
	rep->status = r.status;
	rep->decisions = strdup(r.decisions);
	rep->choices = rep->min_choices = r.choices;
	rep->preemptions = rep->min_preemptions = r.preemptions;
	rep->detail = strdup(r.stderr_text);
	snprintf(rep->strategy, sizeof rep->strategy, "replay");
	ex_parse_trace(r.sched_log, rep);
	ex_replay_cmd(c, c->o->replay, rep->replay_cmd, sizeof rep->replay_cmd);
	ex_run_free(&r);
	return 0;
}

/* Removes the invocation's folder and what is left in it. */
static void ex_cleanup(struct ex_ctx *c)
{
	DIR *d = opendir(c->dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	(void)rmdir(c->dir);
}

/* Prints REP in the asked format. Returns 0, or -1 when --out cannot be written. */
static int ex_print(const struct ex_opts *o, const struct tl_ex_report *rep)
{
	FILE *out = o->out != NULL ? fopen(o->out, "w") : stdout;
	if (out == NULL) {
		fprintf(stderr, "threadlab: %s: %s\n", o->out, strerror(errno));
		return -1;
	}
	if (strcmp(o->format, "json") == 0)
		tl_ex_json(out, rep);
	else if (strcmp(o->format, "html") == 0)
		tl_ex_html(out, rep);
	else
		tl_ex_text(out, rep);
	return out != stdout ? fclose(out) : fflush(out);
}

/* Sets up C for O: the library, a fresh folder, the program (built from PATH). Returns 0, or
 * -1 after saying why. */
static int ex_setup(struct ex_ctx *c, const struct tl_config *cfg, struct ex_opts *o, struct tl_ex_report *rep)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg != NULL ? cfg : &c->own;
	c->o = o;
	c->canary = o->canary || c->cfg->canary;
	snprintf(c->dir, sizeof c->dir, "/tmp/threadlab-explore.XXXXXX");
	if (ex_find_lib(c) != 0)
		return -1;
	if (mkdtemp(c->dir) == NULL) {
		fprintf(stderr, "threadlab: cannot make a folder in /tmp: %s\n", strerror(errno));
		return -1;
	}
	c->made = 1;
	if (c->cfg->sandbox && tl_sandbox_prepare_dir(c->cfg, c->dir) != 0) {
		fprintf(stderr, "threadlab: cannot open %s to the sandbox\n", c->dir);
		return -1;
	}
	snprintf(rep->program, sizeof rep->program, "%s", o->path != NULL ? o->path : o->prog[0]);
	snprintf(rep->strategy, sizeof rep->strategy, "%s", o->strategy);
	rep->depth = o->depth;
	rep->first_seed = o->seed;
	if (o->path == NULL)
		return 0;
	if (tl_pathf(c->exe, sizeof c->exe, "%s/program", c->dir) != 0)
		return -1;
	o->prog[0] = c->exe;
	return ex_build(c, o->path);
}

static void ex_report_free(struct tl_ex_report *r)
{
	free(r->detail);
	free(r->decisions);
	free(r->minimal);
	free(r->step);
}

int tl_explore_main(int argc, char **argv)
{
	struct ex_opts o;
	struct ex_ctx c;
	struct ex_run fail = { 0 };
	struct tl_ex_report rep = { 0 };
	int rc = TL_EXIT_ERROR;
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(ex_usage, stdout);
		return TL_EXIT_PASS;
	}
	if (ex_parse(argc, argv, &o) != 0) {
		fputs(ex_usage, stderr);
		return TL_EXIT_ERROR;
	}
	double start = tl_now();
	if (ex_setup(&c, NULL, &o, &rep) != 0)
		goto out;
	if (o.replay != NULL ? ex_replay_only(&c, &rep) != 0
			     : ex_search(&c, &fail, &rep) != 0 ||
				       (fail.outcome != TL_EX_NONE && ex_explain_failure(&c, &fail, &rep) != 0))
		goto out;
	rep.seconds = tl_now() - start;
	if (ex_print(&o, &rep) == 0)
		rc = rep.outcome != TL_EX_NONE ? TL_EXIT_FAIL : TL_EXIT_PASS;
out:
	if (c.made)
		ex_cleanup(&c);
	ex_run_free(&fail);
	ex_report_free(&rep);
	return rc;
}

/* ---- for selftest and grading ------------------------------------------------------------------ */

int tl_explore_program(const struct tl_config *cfg, const char *prog, const char *replay_path, long schedules,
		       int timeout_s, char *what, size_t whatlen)
{
	struct ex_opts o = { .schedules = schedules, .seed = 1, .strategy = "pct", .depth = 3,
			     .timeout = timeout_s > 0 ? timeout_s : 10, .minimize = 1, .format = "text" };
	struct ex_ctx c;
	struct ex_run fail = { 0 };
	struct tl_ex_report rep = { 0 };
	int rc = -1;
	o.prog[0] = (char *)prog;
	/* Half the schedules are PCT's and half a random walk's. PCT gives a thread that sleeps or
	 * yields the lowest priority (so that a loop polling with a yield lets the others run),
	 * which makes a sleep as long as it needs to be: blind to a fix that waits "long enough"
	 * instead of ordering, which a random walk, where a sleep is one more point, catches. */
	o.schedules = schedules - schedules / 2;
	if (ex_setup(&c, cfg, &o, &rep) != 0 || ex_search(&c, &fail, &rep) != 0 ||
	    (fail.outcome == TL_EX_NONE &&
	     ex_more(&c, "random", o.seed + (unsigned long long)o.schedules, schedules / 2, &fail, &rep) != 0)) {
		tl__errf(what, whatlen, "explore could not run %s", prog);
		goto out;
	}
	rc = fail.outcome != TL_EX_NONE;
	if (rc == 0) {
		tl__errf(what, whatlen, "survived %ld schedules", rep.schedules);
		goto out;
	}
	/* The replay command names what the user has (a lab folder), not the scratch build. */
	c.o->path = replay_path;
	if (ex_explain_failure(&c, &fail, &rep) != 0) {
		rc = -1;
		tl__errf(what, whatlen, "explore could not replay %s", prog);
		goto out;
	}
	char last[512] = "";
	if (rep.nstep > 0) {
		const struct tl_ex_step *l = &rep.step[rep.nstep - 1];
		const char *base = strrchr(l->site, '/');
		tl__errf(last, sizeof last, " (the last step: T%d %s at %s in %s)", l->thread, l->op,
			 base != NULL ? base + 1 : l->site, l->function);
	}
	tl__errf(what, whatlen, "failed at schedule %ld (%s, seed %llu): %s%s; replay: %s", rep.schedules, rep.strategy,
		 rep.seed, tl_ex_outcome_what(rep.outcome), last, rep.replay_cmd);
out:
	if (c.made)
		ex_cleanup(&c);
	ex_run_free(&fail);
	ex_report_free(&rep);
	return rc;
}

int tl_explore_selftest(const struct tl_config *cfg, struct tl_target *const *targets, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		if (t->lab == NULL || t->lab->explore == 0 || access(t->bin_plain, X_OK) != 0)
			continue;
		char what[8192];
		int failed = tl_explore_program(cfg, t->bin_plain, NULL, t->lab->explore, t->timeout_s, what, sizeof what);
		/* The buggy program must fail within N schedules, the solution survive them. */
		int as_declared = failed >= 0 && failed == (t->variant == TL_BUGGY);
		bad += !as_declared;
		fprintf(stderr, "explore %s %s (%d schedules): %s%s\n", t->name, tl_variant_name(t->variant),
			t->lab->explore, as_declared ? "" : "NOT AS DECLARED: ", what);
	}
	return bad;
}

/* main.c: the threadlab command line (check, selftest, analyze, grade, explain, labs), wired through the stages. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

static const char usage[] =
	"usage: threadlab check    [--solutions] [--lab NN[,NN]] [options] run the labs under every tool\n"
	"       threadlab selftest [--lab NN] [options]                 buggy and fixed vs. declarations\n"
	"       threadlab analyze  PATH... [options]                    your own C file(s) or folder(s)\n"
	"       threadlab analyze  [options] -- PROG [ARG...]           a dynamically linked program you built:\n"
	"                          Helgrind and threadcheck, or TSan when built with -fsanitize=thread\n"
	"       threadlab grade    SUBMISSION [--lab NN] [--runs K] [--rubric FILE] [--out FILE] [--keep]\n"
	"                          grade a folder, git repository or tarball (default K=3); refuses\n"
	"                          (exit 2) without bubblewrap and seccomp unless --unsafe-no-sandbox\n"
	"       threadlab explain  KIND                                    what a finding kind means, who finds it\n"
	"       threadlab labs                                          the labs' declarations and grading items\n"
	"       threadlab record   [--lab NN] [--runs K]                 record the handout's runs (default K=3),\n"
	"                          the source of each lab's grading rubric\n"
	"       threadlab export   gradescope|prairielearn|classroom50 --out PATH [--lab NN,...]\n"
	"                          a course platform's autograder bundle (threadlab export --help)\n"
	"       threadlab explore  PATH | -- PROG [ARG...] [options]     schedules until one fails (explore --help)\n"
	"options:\n"
	"  --format text|json|tap   report format (default text); check, selftest and analyze\n"
	"                           also take html; grade takes gradescope|junit|sarif|github|\n"
	"                           prairielearn|classroom50\n"
	"  --out FILE               write the report to FILE instead of stdout\n"
	"  --tools LIST             comma-separated subset of tsan,helgrind,threadcheck,test\n"
	"  --timeout SECONDS        wall-clock limit of one run (default: the lab's, or 10)\n"
	"  --runs N                 run each tool up to N times, stopping at the first report\n"
	"  -j N                     parallel jobs (default: the number of cores)\n"
	"  --verbose                add the tools' original reports\n"
	"  --werror                 build labs with -Werror\n"
	"  --root DIR               the toolkit's top directory (default: found from the binary)\n"
	"  --canary                 analyze: link the liveness canaries (a race and a leaked thread each\n"
	"                           tool must report; grading always does) and report 'interference'\n"
	"                           when a tool's canary is missing\n"
	"  --unsafe-no-sandbox      grade: run student code without bubblewrap and seccomp (every\n"
	"                           report says so)\n"
	"  --sandbox platform-container\n"
	"                           grade: bubblewrap when it can start, else accept the course\n"
	"                           platform's throw-away container as the sandbox (reported)\n"
	"exit status: 0 clean / as declared, 1 found / differs, 2 usage or tool error, 4 all skipped\n";

/* The progress line: done/total and the job that just finished, on a terminal only. */
struct progress {
	pthread_mutex_t mu;
	int done, total;
	int on;
};

static void progress_step(struct progress *p, const struct tl_target *t, const char *what)
{
	if (p == NULL || !p->on)
		return;
	pthread_mutex_lock(&p->mu);
	p->done++;
	fprintf(stderr, "\r\033[K[%d/%d] %s %s %s", p->done, p->total, t->name,
		t->lab != NULL ? tl_variant_name(t->variant) : "", what);
	fflush(stderr);
	pthread_mutex_unlock(&p->mu);
}

/* Shared by the jobs of one invocation; each job writes only its own target's result slot. */
struct job_ctx {
	const struct tl_config *cfg;
	struct tl_pool *pool;
	struct tl_target *target;
	enum tl_tool tool;
	int deflake;
	struct job_ctx *runs; /* the build job's run jobs, allocated by the caller */
	struct progress *progress;
};

static void run_job(void *arg)
{
	struct job_ctx *j = arg;
	tl_run_tool(j->cfg, j->target, j->tool, j->deflake);
	progress_step(j->progress, j->target, tl_tool_name(j->tool));
}

/* When grading, the anti-tamper scan comes first, in the same job: a refused lab is neither
 * built nor run (its result slots stay empty; grade_main reads the scan's verdict). A scan that
 * could not run (a tool starved on a loaded machine, say) gets one more try. */
static int scan_refuses(const struct tl_config *cfg, struct tl_target *t)
{
	if (!cfg->grading)
		return 0;
	t->scan = tl_tamper_scan(cfg, t, t->scan_why, sizeof t->scan_why);
	if (t->scan < 0)
		t->scan = tl_tamper_scan(cfg, t, t->scan_why, sizeof t->scan_why);
	return t->scan != 0;
}

static void build_job(void *arg)
{
	struct job_ctx *j = arg;
	if (scan_refuses(j->cfg, j->target)) {
		progress_step(j->progress, j->target, "refused");
		return;
	}
	(void)tl_build_target(j->cfg, j->target, j->cfg->tools);
	progress_step(j->progress, j->target, "built");
	/* Tools whose binary failed to build carry their build-error; tl_run_tool skips them. */
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (j->cfg->tools & (1 << tool))
			tl_pool_submit(j->pool, run_job, &j->runs[tool]);
}

/* Builds and runs every target through the pool. */
static void execute(const struct tl_config *cfg, struct tl_target **targets, size_t n, int deflake_buggy)
{
	struct progress progress = {.done = 0, .total = 0, .on = isatty(2)};
	pthread_mutex_init(&progress.mu, NULL);
	for (size_t i = 0; i < n; i++)
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
			progress.total += (cfg->tools & (1 << tool)) != 0;
	progress.total += (int)n;
	struct tl_pool *pool = tl_pool_new(cfg->jobs);
	struct job_ctx *builds = calloc(n, sizeof *builds);
	struct job_ctx *runs = calloc(n * TL_TOOL_COUNT, sizeof *runs);
	TL_ASSERT(builds != NULL && runs != NULL);
	for (size_t i = 0; i < n; i++) {
		builds[i] = (struct job_ctx){cfg, pool, targets[i], TL_TOOL_COUNT, 0, &runs[i * TL_TOOL_COUNT], &progress};
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			/* A buggy program may need reruns until its report appears (deflake); a fixed
			 * one must stay clean on every run. */
			int deflake = targets[i]->lab == NULL || (deflake_buggy && targets[i]->variant == TL_BUGGY);
			runs[i * TL_TOOL_COUNT + tool] =
				(struct job_ctx){cfg, pool, targets[i], (enum tl_tool)tool, deflake, NULL, &progress};
		}
		tl_pool_submit(pool, build_job, &builds[i]);
	}
	tl_pool_wait(pool);
	tl_pool_free(pool);
	if (progress.on)
		fputs("\r\033[K", stderr);
	pthread_mutex_destroy(&progress.mu);
	free(builds);
	free(runs);
}

/* ---- the command line ----------------------------------------------------------------------- */

/* The commands that build and run code. */
enum command { CMD_CHECK, CMD_SELFTEST, CMD_ANALYZE, CMD_GRADE, CMD_RECORD };
#define ALL_COMMANDS 0x1fu
#define ONLY(c) (1u << (c))

/* What the options of a command line set. */
struct options {
	enum command cmd;
	struct tl_config cfg;
	enum tl_format format;
	const char *lab, *root, *out_path, *rubric;
	const char *sandbox; /* grade --sandbox MODE: bubblewrap (the default) or platform-container */
	int solutions, keep, tools_given;
	int first_arg; /* argv index of the first argument that is not an option */
	int binary;    /* analyze -- PROG [ARG...]: a program the user built, with its arguments */
};

/* How an option's argument is read. */
enum opt_kind {
	OPT_FLAG,   /* no argument: the int field becomes 1 */
	OPT_TEXT,   /* the argument is kept (a const char * field) */
	OPT_NUMBER, /* a whole number in [min, max] (an int field) */
	OPT_FORMAT, /* a format of the command's (formats.def) */
	OPT_TOOLS,  /* a comma-separated list of tools */
};

/* The options: a long one by its NAME, a short one by its LETTER. */
static const struct opt {
	const char *name; /* --NAME, or NULL */
	char letter;      /* -LETTER, or 0 */
	enum opt_kind kind;
	size_t field; /* where in struct options the value goes */
	int min, max; /* OPT_NUMBER's range */
	unsigned cmds; /* the commands that take it */
} opts[] = {
	{"format", 0, OPT_FORMAT, offsetof(struct options, format), 0, 0, ALL_COMMANDS},
	{"tools", 0, OPT_TOOLS, offsetof(struct options, cfg.tools), 0, 0, ALL_COMMANDS},
	{"timeout", 0, OPT_NUMBER, offsetof(struct options, cfg.timeout_s), 1, 3600, ALL_COMMANDS},
	{"runs", 0, OPT_NUMBER, offsetof(struct options, cfg.runs), 1, 1000, ALL_COMMANDS},
	{"verbose", 0, OPT_FLAG, offsetof(struct options, cfg.verbose), 0, 0, ALL_COMMANDS},
	{"werror", 0, OPT_FLAG, offsetof(struct options, cfg.werror), 0, 0, ALL_COMMANDS},
	{"root", 0, OPT_TEXT, offsetof(struct options, root), 0, 0, ALL_COMMANDS},
	{"lab", 0, OPT_TEXT, offsetof(struct options, lab), 0, 0, ALL_COMMANDS},
	{"solutions", 0, OPT_FLAG, offsetof(struct options, solutions), 0, 0, ALL_COMMANDS},
	{"out", 0, OPT_TEXT, offsetof(struct options, out_path), 0, 0, ALL_COMMANDS},
	{"rubric", 0, OPT_TEXT, offsetof(struct options, rubric), 0, 0, ALL_COMMANDS},
	{"keep", 0, OPT_FLAG, offsetof(struct options, keep), 0, 0, ALL_COMMANDS},
	{"canary", 0, OPT_FLAG, offsetof(struct options, cfg.canary), 0, 0, ONLY(CMD_ANALYZE)},
	{"unsafe-no-sandbox", 0, OPT_FLAG, offsetof(struct options, cfg.unsafe_no_sandbox), 0, 0, ONLY(CMD_GRADE)},
	{"sandbox", 0, OPT_TEXT, offsetof(struct options, sandbox), 0, 0, ONLY(CMD_GRADE)},
	{NULL, 'j', OPT_NUMBER, offsetof(struct options, cfg.jobs), 1, 256, ALL_COMMANDS},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int parse_tools(const char *list, int *tools)
{
	char buf[256];
	tl_strlcpy(buf, list, sizeof buf);
	*tools = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int t = tl_tool_from_name(tok);
		if (t < 0)
			return -1;
		*tools |= 1 << t;
	}
	return *tools ? 0 : -1;
}

/* Reads option D's argument ARG (NULL for a flag) into O. Returns 0, or -1 when the command
 * does not take the option or ARG is not what it needs. */
static int set_option(struct options *o, const struct opt *d, const char *arg)
{
	if (!(d->cmds & ONLY(o->cmd)))
		return -1;
	void *field = (char *)o + d->field;
	char *end = NULL;
	int f;
	switch (d->kind) {
	case OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case OPT_TEXT:
		*(const char **)field = arg;
		return 0;
	case OPT_NUMBER:
		*(int *)field = (int)strtol(arg, &end, 10);
		return *end != '\0' || *(int *)field < d->min || *(int *)field > d->max ? -1 : 0;
	case OPT_FORMAT:
		f = tl_format_from_name(arg);
		if (f < 0 || (o->cmd == CMD_GRADE ? tl_format((enum tl_format)f)->grade == NULL
						   : tl_format((enum tl_format)f)->report == NULL))
			return -1;
		o->format = (enum tl_format)f;
		return 0;
	case OPT_TOOLS:
		o->tools_given = 1;
		return parse_tools(arg, (int *)field);
	}
	return -1;
}

/* The defaults of command CMD. */
static void default_options(enum command cmd, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->cfg.jobs = ncpu > 0 ? (int)ncpu : 2;
	o->cfg.tools = (1 << TL_TOOL_COUNT) - 1;
	if (cmd == CMD_ANALYZE)
		o->cfg.tools &= ~(1 << TL_TOOL_TEST);
	o->format = TL_FORMAT_TEXT;
}

/* Reads the options of command CMD (ARGV[1]) and checks the number of arguments that follow.
 * Returns 0, or -1 when the command line is wrong (a reason may have been printed). */
static int parse_options(enum command cmd, int argc, char **argv, struct options *o)
{
	default_options(cmd, o);
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 1];
	size_t nl = 0, ns = 0;
	for (size_t i = 0; i < NOPTS; i++) {
		int arg = opts[i].kind == OPT_FLAG ? no_argument : required_argument;
		if (opts[i].name != NULL)
			longopts[nl++] = (struct option){opts[i].name, arg, NULL, 256 + (int)i};
		if (opts[i].letter != 0) {
			shortopts[ns++] = opts[i].letter;
			if (arg == required_argument)
				shortopts[ns++] = ':';
		}
	}
	longopts[nl] = (struct option){NULL, 0, NULL, 0};
	shortopts[ns] = '\0';
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct opt *d = NULL;
		for (size_t i = 0; i < NOPTS && d == NULL; i++)
			if (c == 256 + (int)i || (opts[i].letter != 0 && c == opts[i].letter))
				d = &opts[i];
		if (d == NULL || set_option(o, d, optarg) != 0)
			return -1;
	}
	const int paths = cmd == CMD_ANALYZE || cmd == CMD_GRADE;
	if (paths != (optind < argc) || (cmd == CMD_GRADE && optind + 1 != argc)) {
		fprintf(stderr, "threadlab: %s\n", cmd == CMD_ANALYZE ? "analyze needs at least one PATH"
						   : cmd == CMD_GRADE  ? "grade needs exactly one SUBMISSION"
								       : "unexpected argument");
		return -1;
	}
	o->first_arg = optind;
	o->binary = cmd == CMD_ANALYZE && strcmp(argv[optind - 1], "--") == 0;
	if (o->binary && o->cfg.canary) {
		fprintf(stderr, "threadlab: --canary links the canaries into sources; analyze -- PROG has none\n");
		return -1;
	}
	return 0;
}

/* The toolkit root: --root, $THREADLAB_ROOT, or two levels above build/bin/threadlab. */
static int find_root(char *root, size_t len)
{
	const char *env = getenv("THREADLAB_ROOT");
	if (env != NULL && env[0] != '\0') {
		tl_strlcpy(root, env, len);
		return 0;
	}
	char exe[TL_PATH];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *d1 = dirname(exe); /* build/bin */
	char tmp[TL_PATH];
	tl_strlcpy(tmp, d1, sizeof tmp);
	char *d2 = dirname(tmp); /* build */
	char tmp2[TL_PATH];
	tl_strlcpy(tmp2, d2, sizeof tmp2);
	tl_strlcpy(root, dirname(tmp2), len);
	return 0;
}

/* The paths and settings that follow from the options: the toolkit, the build folder, the
 * threadcheck library, colour. Returns 0, or -1 after saying why. */
static int configure(struct options *o)
{
	struct tl_config *cfg = &o->cfg;
	if (o->root != NULL)
		tl_strlcpy(cfg->root, o->root, sizeof cfg->root);
	else if (find_root(cfg->root, sizeof cfg->root) != 0) {
		fprintf(stderr, "threadlab: cannot find the toolkit (use --root)\n");
		return -1;
	}
	const char *bdir = getenv("THREADLAB_BUILD");
	int rc = 0;
	if (bdir != NULL && bdir[0] != '\0')
		tl_strlcpy(cfg->build, bdir, sizeof cfg->build);
	else
		rc |= tl_pathf(cfg->build, sizeof cfg->build, "%s/build", cfg->root);
	rc |= tl_pathf(cfg->tc_lib, sizeof cfg->tc_lib, "%s/lib/libthreadcheck.so", cfg->build);
	tl_strlcpy(cfg->labs_root, cfg->root, sizeof cfg->labs_root);
	rc |= tl_pathf(cfg->out_root, sizeof cfg->out_root, "%s/labs", cfg->build);
	if (rc != 0) {
		fprintf(stderr, "threadlab: the toolkit's or the build's path is too long: %s\n", cfg->root);
		return -1;
	}
	const char *nc = getenv("NO_COLOR");
	cfg->color = isatty(1) && (nc == NULL || nc[0] == '\0') && o->format == TL_FORMAT_TEXT;
	return 0;
}

/* Opens PATH for a report, or stdout when PATH is NULL. Returns NULL after saying why. */
static FILE *open_report(const char *path)
{
	FILE *out = stdout;
	if (path != NULL && (out = fopen(path, "we")) == NULL)
		fprintf(stderr, "threadlab: %s: %s\n", path, strerror(errno));
	return out;
}

/* ---- check, selftest, analyze --------------------------------------------------------------- */

/* The targets of analyze: one per path of PATHS (N), or with -- the one program PATHS[0] with
 * its arguments. Returns 0 with *TARGETS (*NT filled), or -1 after saying why (the targets made
 * so far are in *TARGETS). */
static int analyze_targets(struct options *o, char **paths, int n, struct tl_target ***targets, size_t *nt)
{
	char err[1024];
	*targets = calloc((size_t)n, sizeof **targets);
	TL_ASSERT(*targets != NULL);
	for (int i = 0; i < (o->binary ? 1 : n); i++) {
		struct tl_target *t = malloc(sizeof *t);
		TL_ASSERT(t != NULL);
		if ((o->binary ? tl_target_binary(&o->cfg, paths, t, err, sizeof err)
			       : tl_target_analyze(&o->cfg, paths[i], t, err, sizeof err)) != 0) {
			fprintf(stderr, "threadlab: %s\n", err);
			tl_target_free(t);
			return -1;
		}
		(*targets)[(*nt)++] = t;
		/* A folder with tests has them run too, unless --tools says otherwise. */
		if (t->test_src.n > 0 && !o->tools_given)
			o->cfg.tools |= 1 << TL_TOOL_TEST;
	}
	return 0;
}

/* The targets of check (each lab's buggy version, or with --solutions its fixed one) and of
 * selftest (both). Returns 0 with *LABS and *TARGETS (*NT filled), or -1 after saying why. */
static int lab_targets(const struct options *o, struct tl_lab **labs, struct tl_target ***targets, size_t *nt)
{
	char err[1024];
	size_t nlabs = 0;
	if (tl_discover(o->cfg.labs_root, o->lab, labs, &nlabs, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s\n", err);
		return -1;
	}
	if (nlabs == 0) {
		fprintf(stderr, "threadlab: no labs found under %s/labs\n", o->cfg.root);
		return -1;
	}
	*targets = calloc(nlabs * 2, sizeof **targets);
	TL_ASSERT(*targets != NULL);
	for (size_t i = 0; i < nlabs; i++)
		for (int v = 0; v < TL_VARIANT_COUNT; v++) {
			if ((o->cmd == CMD_CHECK || o->cmd == CMD_RECORD) && v != (o->solutions ? TL_FIXED : TL_BUGGY))
				continue;
			struct tl_target *t = malloc(sizeof *t);
			TL_ASSERT(t != NULL);
			if (tl_target_lab(&o->cfg, &(*labs)[i], (enum tl_variant)v, t, err, sizeof err) != 0) {
				fprintf(stderr, "threadlab: %s\n", err);
				tl_target_free(t);
				return -1;
			}
			(*targets)[(*nt)++] = t;
		}
	return 0;
}

/* What the runs of the tools the command line chose came to, and the programs judged to have
 * a bug (bugs: the exit status follows them). */
struct tally {
	int found, errors, ran, mismatches, bugs;
};

static struct tally judge(const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets, size_t n)
{
	struct tally y = {0, 0, 0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		tl_judge_target(targets[i]);
		y.bugs += targets[i]->judged.kinds != 0;
		y.mismatches += tl_compare_target(targets[i], mode);
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &targets[i]->result[tool];
			if (!(cfg->tools & (1 << tool)))
				continue;
			y.errors += r->status == TL_ST_ERROR;
			y.ran += r->status == TL_ST_RAN;
			y.found += r->status == TL_ST_RAN && r->kinds != 0;
		}
	}
	return y;
}

/* The exit status of a check (selftest: any mismatch fails; else any finding fails). */
static int exit_status(enum tl_mode mode, const struct tally *y)
{
	if (y->errors > 0)
		return TL_EXIT_ERROR;
	if (y->ran == 0)
		return TL_EXIT_SKIP;
	if (mode == TL_MODE_SELFTEST)
		return y->mismatches > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
	return y->bugs > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
}

/* Judges and reports TARGETS (N). Returns the command's exit status. */
static int report(struct options *o, enum tl_mode mode, struct tl_target *const *targets, size_t n)
{
	struct tally y = judge(&o->cfg, mode, targets, n);
	FILE *out = open_report(o->out_path);
	if (out == NULL)
		return TL_EXIT_ERROR;
	tl_format(o->format)->report(out, &o->cfg, mode, targets, n);
	if (out != stdout)
		fclose(out);
	if (o->format == TL_FORMAT_TEXT && o->out_path == NULL) {
		if (mode == TL_MODE_SELFTEST)
			printf("\nselftest: %d of %d verdicts differ from their declarations\n", y.mismatches,
			       y.ran + y.errors);
		else
			printf("\n%s: %d of %zu programs judged to have a bug; %d of %d tool runs reported something\n",
			       tl_mode_name(mode), y.bugs, n, y.found, y.ran);
	}
	return exit_status(mode, &y);
}

/* threadlab check, selftest, analyze: the targets, built and run under every tool, reported. */
static int check_main(struct options *o, int argc, char **argv)
{
	const enum tl_mode mode = o->cmd == CMD_CHECK || o->cmd == CMD_RECORD ? TL_MODE_CHECK
				  : o->cmd == CMD_SELFTEST ? TL_MODE_SELFTEST
							   : TL_MODE_ANALYZE;
	struct tl_lab *labs = NULL;
	struct tl_target **targets = NULL;
	size_t n = 0;
	int rc = mode == TL_MODE_ANALYZE
			 ? analyze_targets(o, argv + o->first_arg, argc - o->first_arg, &targets, &n)
			 : lab_targets(o, &labs, &targets, &n);
	if (rc == 0 && o->cmd == CMD_RECORD) {
		/* Every run of every tool, as grading runs them: the failing test cases of all of them. */
		execute(&o->cfg, targets, n, 0);
		rc = tl_record_update(targets, n, 1) == 0 ? TL_EXIT_PASS : TL_EXIT_ERROR;
	} else if (rc == 0) {
		o->cfg.blocks = mode == TL_MODE_ANALYZE || (o->lab != NULL && o->lab[0] != '\0') || o->cfg.verbose;
		execute(&o->cfg, targets, n, mode == TL_MODE_SELFTEST);
		rc = report(o, mode, targets, n);
		/* The handout's recorded runs must still be what the handout does. */
		if (mode == TL_MODE_SELFTEST && tl_record_update(targets, n, 0) > 0 && rc == TL_EXIT_PASS)
			rc = TL_EXIT_FAIL;
		/* The labs' `explore: N` declarations (explore.c). */
		if (mode == TL_MODE_SELFTEST && tl_explore_selftest(&o->cfg, targets, n) > 0 && rc == TL_EXIT_PASS)
			rc = TL_EXIT_FAIL;
	} else {
		rc = TL_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		tl_target_free(targets[i]);
	free(targets);
	free(labs);
	return rc;
}

/* ---- grade ---------------------------------------------------------------------------------- */

/* Strips PREFIX + '/' from the file names of every finding of T (grading scratch paths become
 * the paths the student knows, labs/NN-slug/file.c). */
static void strip_prefix(struct tl_target *t, const char *prefix)
{
	/* The run stage has already made names under the current directory relative, so the
	 * scratch folder may appear either way. */
	char cwd[TL_PATH], rel[TL_PATH];
	tl_strlcpy(rel, prefix, sizeof rel);
	if (getcwd(cwd, sizeof cwd) != NULL)
		tl_strip_dir(rel, cwd);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		for (size_t i = 0; i < t->result[tool].findings.n; i++) {
			tl_finding_strip_dir(&t->result[tool].findings.v[i], prefix);
			tl_finding_strip_dir(&t->result[tool].findings.v[i], rel);
		}
}

/* One grading: what grade_main's steps share. */
struct grading {
	struct tl_rubric rubric;
	struct tl_lab *tk_labs;     /* the toolkit's labs */
	struct tl_lab *labs;        /* the same labs in the scratch copy */
	size_t n;
	struct tl_grade g;
	struct tl_target **targets;
	char scratch[TL_PATH + 32];
};

/* What grade needs before it starts: the rubric, the toolkit's labs, every tool, the canaries.
 * Returns 0, or -1 after saying why. */
static int grade_preflight(const struct options *o, struct grading *gr)
{
	const struct tl_config *cfg = &o->cfg;
	char err[1024];
	if (tl_rubric_load(o->rubric, &gr->rubric, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s\n", err);
		return -1;
	}
	if (tl_discover(cfg->root, o->lab, &gr->tk_labs, &gr->n, err, sizeof err) != 0 || gr->n == 0) {
		fprintf(stderr, "threadlab: %s\n", gr->n == 0 ? "no labs to grade" : err);
		return -1;
	}
	/* Every rubric item is earned from its tool's runs: a grade without one of them would be
	 * a wrong grade, not a lower one, so a missing tool stops the grading (exit 2). */
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		char why[256];
		if ((cfg->tools & (1 << tool)) && !tl_tool_available(cfg, (enum tl_tool)tool, why, sizeof why)) {
			fprintf(stderr, "threadlab: cannot grade without %s: %s\n", tl_tool_name((enum tl_tool)tool), why);
			return -1;
		}
	}
	/* Nor without the canaries that prove each tool was alive in each run. */
	static const char *const canaries[] = {"threadlab_canary.c", "threadlab_canary_test.c"};
	for (size_t i = 0; i < sizeof canaries / sizeof canaries[0]; i++) {
		char path[TL_PATH + 64];
		snprintf(path, sizeof path, "%s/harness/canary/%s", cfg->root, canaries[i]);
		if (access(path, R_OK) != 0) {
			fprintf(stderr, "threadlab: cannot grade without the liveness canaries: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Puts CFG in grading mode, behind the sandbox, and makes the scratch folder. Returns 0, or -1
 * after saying why (the scratch folder exists only on success). */
static int grade_setup(struct tl_config *cfg, struct grading *gr)
{
	char err[1024];
	cfg->grading = 1;
	if (cfg->runs == 0)
		cfg->runs = 3;
	if (tl_sandbox_init(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: refusing to grade without the sandbox: %s\n", err);
		return -1;
	}
	if (cfg->unsafe_no_sandbox)
		fprintf(stderr, "threadlab: WARNING: --unsafe-no-sandbox: student code runs unconfined\n");
	char gradedir[TL_PATH + 16];
	snprintf(gradedir, sizeof gradedir, "%s/grade", cfg->build);
	snprintf(gr->scratch, sizeof gr->scratch, "%s/g-XXXXXX", gradedir);
	/* The sandbox user must be able to read the scratch copy (mkdtemp makes it 0700). */
	if (tl_mkdirs(gradedir) != 0 || mkdtemp(gr->scratch) == NULL || chmod(gr->scratch, 0755) != 0) {
		fprintf(stderr, "threadlab: cannot make a scratch folder under %s: %s\n", gradedir, strerror(errno));
		gr->scratch[0] = '\0';
		return -1;
	}
	return 0;
}

/* The submission taken into the scratch copy, whose labs are then the ones built and run: one
 * target per lab, its folders made. Returns 0, or -1 after saying why. */
static int grade_intake(struct tl_config *cfg, const char *submission, const char *filter, struct grading *gr)
{
	char err[1024];
	size_t nlabs = 0;
	if (tl_submission_intake(cfg, submission, gr->scratch, &gr->g, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: cannot take the submission: %s\n", err);
		return -1;
	}
	/* From here on, labs come from the scratch copy: the toolkit's declarations, drivers and
	 * tests with the student's files in place. */
	tl_strlcpy(cfg->labs_root, gr->scratch, sizeof cfg->labs_root);
	if (tl_pathf(cfg->out_root, sizeof cfg->out_root, "%s/out", gr->scratch) != 0 ||
	    tl_pathf(cfg->run_root, sizeof cfg->run_root, "%s/runs", gr->scratch) != 0) {
		fprintf(stderr, "threadlab: %s: %s\n", gr->scratch, strerror(errno));
		return -1;
	}
	cfg->canary = 1;
	if (tl_discover(cfg->labs_root, filter, &gr->labs, &nlabs, err, sizeof err) != 0 || nlabs != gr->n) {
		fprintf(stderr, "threadlab: scratch copy: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < gr->n; i++) {
		struct tl_target *t = malloc(sizeof *t);
		TL_ASSERT(t != NULL);
		if (tl_target_lab(cfg, &gr->labs[i], TL_BUGGY, t, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: %s\n", err);
			tl_target_free(t);
			return -1;
		}
		t->runs = cfg->runs;
		gr->targets[i] = t;
		gr->g.labs[i].lab = &gr->labs[i];
		gr->g.labs[i].target = t;
		if (tl_mkdirs(t->outdir) != 0 || tl_sandbox_prepare_dir(cfg, t->outdir) != 0 || tl_mkdirs(t->rundir) != 0) {
			fprintf(stderr, "threadlab: %s: %s\n", t->outdir, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Takes each lab's anti-tamper verdict into its grade. Returns 0, or -1 after saying why when a
 * scan could not run. */
static int grade_scans(struct grading *gr)
{
	for (size_t i = 0; i < gr->n; i++) {
		struct tl_target *t = gr->targets[i];
		struct tl_grade_lab *gl = &gr->g.labs[i];
		if (t->scan < 0) {
			fprintf(stderr, "threadlab: the anti-tamper check of %s could not run: %s\n", gr->labs[i].slug,
				t->scan_why);
			return -1;
		}
		if (t->scan > 0) {
			gl->tampered = 1;
			size_t len = strlen(gl->note);
			snprintf(gl->note + len, sizeof gl->note - len, "%s%s", len ? "; " : "", t->scan_why);
		}
	}
	return 0;
}

/* One lab's exploration, a job of the pool (grade_explore). */
struct explore_job {
	const struct tl_config *cfg;
	struct tl_grade_lab *gl;
	const struct tl_target *t;
	int rc;
};

static void explore_job(void *arg)
{
	struct explore_job *j = arg;
	char replay[TL_PATH];
	/* The replay command names the lab folder of the student's own checkout. */
	snprintf(replay, sizeof replay, "labs/%s", j->gl->lab->slug);
	j->rc = tl_explore_program(j->cfg, j->t->bin_plain, replay, j->gl->lab->explore, j->t->timeout_s,
				   j->gl->explore_what, sizeof j->gl->explore_what);
}

/* Whether RUB has the explored schedules' check. */
static int has_explore(const struct tl_lab_rubric *rub)
{
	for (int k = 0; k < rub->n; k++)
		if (rub->check[k].kind == TL_CHECK_EXPLORE)
			return 1;
	return 0;
}

/* Explores the program of each lab whose rubric has the EXPLORE check, in parallel, in the
 * sandbox and with the canary like every graded run, unless the lab was refused or its program
 * was not built. Returns how many explorations could not run (said on stderr). */
static int grade_explore(const struct tl_config *cfg, struct grading *gr)
{
	struct explore_job *jobs = calloc(gr->n, sizeof *jobs);
	struct tl_pool *pool = tl_pool_new(cfg->jobs);
	int errors = 0;
	TL_ASSERT(jobs != NULL);
	for (size_t i = 0; i < gr->n; i++) {
		struct tl_grade_lab *gl = &gr->g.labs[i];
		jobs[i] = (struct explore_job){cfg, gl, gr->targets[i], 0};
		if (!has_explore(&gl->rubric) || gl->tampered)
			jobs[i].gl = NULL;
		else if (access(gr->targets[i]->bin_plain, X_OK) != 0) {
			snprintf(gl->explore_what, sizeof gl->explore_what, "the program did not build");
			jobs[i].gl = NULL;
		} else
			tl_pool_submit(pool, explore_job, &jobs[i]);
	}
	tl_pool_wait(pool);
	tl_pool_free(pool);
	for (size_t i = 0; i < gr->n; i++) {
		if (jobs[i].gl == NULL)
			continue;
		jobs[i].gl->explored = jobs[i].rc >= 0;
		jobs[i].gl->explore_failed = jobs[i].rc > 0;
		if (jobs[i].rc < 0) {
			fprintf(stderr, "threadlab: %s: %s\n", jobs[i].gl->lab->slug, jobs[i].gl->explore_what);
			errors++;
		}
	}
	free(jobs);
	return errors;
}

/* Scores every lab. Returns the number of tool runs that failed on the harness's side. */
static int grade_score(struct grading *gr)
{
	int tool_errors = 0;
	for (size_t i = 0; i < gr->n; i++) {
		/* Judged before the names are stripped: the rules read the student's files. */
		tl_judge_target(gr->g.labs[i].target);
		strip_prefix(gr->targets[i], gr->scratch);
		tl_grade_score(&gr->g.labs[i]);
		gr->g.points += gr->g.labs[i].points;
		gr->g.max += gr->g.labs[i].max;
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &gr->targets[i]->result[tool];
			tool_errors += r->status == TL_ST_ERROR;
			/* The instructor hears of it, not only the student's report. */
			if (r->kinds & TL_KINDSET(TL_KIND_INTERFERENCE))
				fprintf(stderr, "threadlab: %s: the submission interfered with %s (its report or its canary was missing or overridden); the item is lost\n",
					gr->labs[i].slug, tl_tool_name((enum tl_tool)tool));
		}
	}
	return tool_errors;
}

/* Frees what GR holds and, unless KEEP, removes the scratch folder. */
static void grade_cleanup(struct grading *gr, int keep)
{
	for (size_t i = 0; gr->targets != NULL && i < gr->n; i++)
		tl_target_free(gr->targets[i]);
	free(gr->targets);
	free(gr->g.labs);
	free(gr->labs);
	free(gr->tk_labs);
	if (!keep && gr->scratch[0] != '\0') {
		char *rm[] = {"rm", "-rf", gr->scratch, NULL};
		struct tl_spawn s = {0};
		s.argv = rm;
		s.timeout_s = 120;
		char e[256];
		(void)tl_spawn_run(&s, e, sizeof e);
	}
}

/* Builds, runs and scores the graded labs and prints the grade. Returns the exit status. */
static int grade_run(struct options *o, struct grading *gr, double t0)
{
	/* Each lab's scan runs in its build job (see build_job), beside other labs' runs. */
	execute(&o->cfg, gr->targets, gr->n, 0);
	if (grade_scans(gr) != 0)
		return TL_EXIT_ERROR;
	int tool_errors = grade_explore(&o->cfg, gr);
	tool_errors += grade_score(gr);
	gr->g.seconds = tl_now() - t0;
	FILE *out = open_report(o->out_path);
	if (out == NULL)
		return TL_EXIT_ERROR;
	tl_format(o->format)->grade(out, &gr->g);
	if (out != stdout)
		fclose(out);
	if (tool_errors > 0)
		fprintf(stderr, "threadlab: %d tool run(s) failed on the harness side; their points were not given (see the feedback)\n",
			tool_errors);
	return gr->g.points + 1e-9 >= gr->g.max ? TL_EXIT_PASS : TL_EXIT_FAIL;
}

/* threadlab grade: intake into a pristine scratch copy, anti-tamper scan, K runs of every tool
 * in the sandbox, scoring, report. Exit 0 full marks, 1 points lost, 2 harness error. */
static int grade_main(struct options *o, int argc, char **argv)
{
	(void)argc;
	const char *submission = argv[o->first_arg];
	struct tl_config *cfg = &o->cfg;
	if (o->sandbox != NULL && strcmp(o->sandbox, "bubblewrap") != 0 && strcmp(o->sandbox, "platform-container") != 0) {
		fprintf(stderr, "threadlab: --sandbox takes bubblewrap or platform-container, not '%s'\n", o->sandbox);
		return TL_EXIT_ERROR;
	}
	cfg->platform_container = o->sandbox != NULL && strcmp(o->sandbox, "platform-container") == 0;
	struct grading gr;
	memset(&gr, 0, sizeof gr);
	if (grade_preflight(o, &gr) != 0) {
		free(gr.tk_labs);
		return TL_EXIT_ERROR;
	}
	double t0 = tl_now();
	if (grade_setup(cfg, &gr) != 0) {
		free(gr.tk_labs);
		return TL_EXIT_ERROR;
	}
	struct tl_grade *g = &gr.g;
	tl_strlcpy(g->submission, submission, sizeof g->submission);
	tl_strlcpy(g->sandbox, cfg->sandbox_note, sizeof g->sandbox);
	g->unsafe = cfg->unsafe_no_sandbox;
	g->runs = cfg->runs;
	g->n = gr.n;
	g->labs = calloc(gr.n, sizeof *g->labs);
	gr.targets = calloc(gr.n, sizeof *gr.targets);
	TL_ASSERT(g->labs != NULL && gr.targets != NULL);
	int rc = TL_EXIT_ERROR, derived = 1;
	for (size_t i = 0; i < gr.n; i++) {
		char err[1024];
		g->labs[i].lab = &gr.tk_labs[i];
		/* The rubric comes from the toolkit's lab and its recorded handout run. */
		if (derived && tl_rubric_for_lab(&gr.rubric, &gr.tk_labs[i], &g->labs[i].rubric, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: cannot grade: %s\n", err);
			derived = 0;
		}
	}
	if (derived && grade_intake(cfg, submission, o->lab, &gr) == 0)
		rc = grade_run(o, &gr, t0);
	grade_cleanup(&gr, o->keep);
	return rc;
}

/* Prints the lab x tool table of what each buggy lab is declared to report (the README's
 * table is generated from this, never kept by hand). */
static int labs_table(int argc, char **argv)
{
	char root[TL_PATH], err[1024];
	if (argc > 3 && strcmp(argv[2], "--root") == 0)
		tl_strlcpy(root, argv[3], sizeof root);
	else if (find_root(root, sizeof root) != 0) {
		fprintf(stderr, "threadlab: cannot find the toolkit (use --root)\n");
		return TL_EXIT_ERROR;
	}
	struct tl_lab *labs = NULL;
	size_t n = 0;
	if (tl_discover(root, NULL, &labs, &n, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s\n", err);
		return TL_EXIT_ERROR;
	}
	printf("| lab | what goes wrong |");
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		printf(" %s |", tl_tool_name((enum tl_tool)tool));
	printf("\n| --- | --- |");
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		printf(" --- |");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		printf("| [%s](labs/%s/README.md) | %s |", labs[i].slug, labs[i].slug, labs[i].title);
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			char kinds[128];
			const struct tl_expect *e = &labs[i].expect[TL_BUGGY][tool];
			printf(" %s |", e->declared ? tl_kindset_str(e->kinds, kinds, sizeof kinds) : "-");
		}
		printf("\n");
	}
	int rc = tl_grade_items_table(stdout, labs, n);
	free(labs);
	return rc == 0 ? TL_EXIT_PASS : TL_EXIT_ERROR;
}

/* ---- the commands --------------------------------------------------------------------------- */

/* threadlab check, selftest, analyze, grade: options, settings, then the command. */
static int run_command(enum command cmd, int argc, char **argv)
{
	struct options o;
	if (parse_options(cmd, argc, argv, &o) != 0) {
		fprintf(stderr, "%s", usage);
		return TL_EXIT_ERROR;
	}
	if (configure(&o) != 0)
		return TL_EXIT_ERROR;
	if (cmd == CMD_RECORD && o.cfg.runs == 0)
		o.cfg.runs = 3;
	return cmd == CMD_GRADE ? grade_main(&o, argc, argv) : check_main(&o, argc, argv);
}

static int explain_main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: threadlab explain KIND\n");
		return TL_EXIT_ERROR;
	}
	return tl_explain(stdout, argv[2]) == 0 ? TL_EXIT_PASS : TL_EXIT_ERROR;
}

/* The commands, by name. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv); /* labs, explain */
	enum command cmd;                  /* the others, through run_command */
} commands[] = {
	{"labs", labs_table, 0},
	{"explain", explain_main, 0},
	{"export", tl_export_main, 0},
	{"check", NULL, CMD_CHECK},
	{"selftest", NULL, CMD_SELFTEST},
	{"analyze", NULL, CMD_ANALYZE},
	{"grade", NULL, CMD_GRADE},
	{"record", NULL, CMD_RECORD},
	{"explore", tl_explore_main, 0},
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? TL_EXIT_ERROR : TL_EXIT_PASS;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run != NULL ? commands[i].run(argc, argv)
						       : run_command(commands[i].cmd, argc, argv);
	fprintf(stderr, "threadlab: unknown command '%s'\n%s", argv[1], usage);
	return TL_EXIT_ERROR;
}

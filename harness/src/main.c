/* main.c: the threadlab command line (check, selftest, analyze, grade, explain, labs), wired through the stages. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

static const char usage[] =
	"usage: threadlab check    [--solutions] [--lab NN[,NN]] [options] run the labs under every tool\n"
	"       threadlab selftest [--lab NN] [options]                 buggy and fixed vs. declarations\n"
	"       threadlab analyze  PATH... [options]                    your own C file(s) or folder(s)\n"
	"       threadlab grade    SUBMISSION [--lab NN] [--runs K] [--rubric FILE] [--out FILE] [--keep]\n"
	"                          grade a folder, git repository or tarball (default K=3); refuses\n"
	"                          (exit 2) without bubblewrap and seccomp unless --unsafe-no-sandbox\n"
	"       threadlab explain  KIND                                    what a finding kind means, who finds it\n"
	"       threadlab labs                                          the labs' declarations as a Markdown table\n"
	"options:\n"
	"  --format text|json|tap   report format (default text); check, selftest and analyze\n"
	"                           also take html; grade takes gradescope|junit|sarif|github\n"
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

static void target_free(struct tl_target *t)
{
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		tl_findings_free(&t->result[tool].findings);
	free(t);
}

/* Resolves the sources of LAB's VARIANT into T: student files from the variant's folder,
 * everything else from the lab folder, plus the shared code of labs/common. */
static void lab_target(const struct tl_config *cfg, const struct tl_lab *lab, enum tl_variant v,
		       struct tl_target *t)
{
	memset(t, 0, sizeof *t);
	t->lab = lab;
	t->variant = v;
	tl_strlcpy(t->name, lab->slug, sizeof t->name);
	snprintf(t->outdir, sizeof t->outdir, "%s/%s/%s", cfg->out_root, lab->slug, tl_variant_name(v));
	snprintf(t->bin_plain, sizeof t->bin_plain, "%s/program", t->outdir);
	snprintf(t->bin_tsan, sizeof t->bin_tsan, "%s/program-tsan", t->outdir);
	snprintf(t->bin_test, sizeof t->bin_test, "%s/test", t->outdir);
	snprintf(t->bin_test_tsan, sizeof t->bin_test_tsan, "%s/test-tsan", t->outdir);
	/* When grading, the runs' output goes where the program cannot write (not even during
	 * the build, whose compiler writes the outdir as the sandbox's user). */
	if (cfg->grading)
		snprintf(t->rundir, sizeof t->rundir, "%s/%s", cfg->run_root, lab->slug);
	else
		tl_strlcpy(t->rundir, t->outdir, sizeof t->rundir);
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : lab->timeout_s;
	t->runs = cfg->runs > 0 ? cfg->runs : lab->runs;
	t->werror = cfg->werror;
	tl_strlcpy(t->include[t->ninclude++], lab->dir, TL_PATH);
	snprintf(t->include[t->ninclude++], TL_PATH, "%s/labs/common", cfg->labs_root);
	snprintf(t->include[t->ninclude++], TL_PATH, "%s/harness/threadcheck", cfg->root);

	const char(*lists[2])[64] = {lab->program, lab->test};
	const int counts[2] = {lab->nprogram, lab->ntest};
	for (int which = 0; which < 2; which++) {
		char(*dst)[TL_PATH] = which == 0 ? t->src : t->test_src;
		int *nd = which == 0 ? &t->nsrc : &t->ntest_src;
		if (counts[which] == 0)
			continue;
		for (int i = 0; i < counts[which]; i++) {
			int student = 0;
			for (int s = 0; s < lab->nstudent; s++)
				student |= strcmp(lab->student[s], lists[which][i]) == 0;
			const char *dir = student && v == TL_FIXED ? lab->solution_dir : lab->dir;
			snprintf(dst[(*nd)++], TL_PATH, "%s/%s", dir, lists[which][i]);
		}
		/* Shared lab code: the .c files of labs/common except its own tests. */
		char common[TL_PATH];
		snprintf(common, sizeof common, "%s/labs/common", cfg->labs_root);
		DIR *d = opendir(common);
		struct dirent *e;
		char *names[32];
		int nn = 0;
		while (d != NULL && (e = readdir(d)) != NULL && nn < 32) {
			size_t l = strlen(e->d_name);
			if (l > 2 && strcmp(e->d_name + l - 2, ".c") == 0 && strncmp(e->d_name, "test_", 5) != 0)
				names[nn++] = strdup(e->d_name);
		}
		if (d != NULL)
			closedir(d);
		for (int a = 0; a < nn; a++) /* sorted, so the command line is stable */
			for (int b = a + 1; b < nn; b++)
				if (strcmp(names[a], names[b]) > 0) {
					char *x = names[a];
					names[a] = names[b];
					names[b] = x;
				}
		for (int a = 0; a < nn; a++) {
			snprintf(dst[(*nd)++], TL_PATH, "%s/%s", common, names[a]);
			free(names[a]);
		}
		if (which == 1)
			snprintf(dst[(*nd)++], TL_PATH, "%s/harness/threadcheck/tc_api.c", cfg->root);
		/* The liveness canaries: every tool must report them (see harness/canary). */
		if (cfg->canary)
			snprintf(dst[(*nd)++], TL_PATH, "%s/harness/canary/threadlab_canary.c", cfg->root);
		if (cfg->canary && which == 1)
			snprintf(dst[(*nd)++], TL_PATH, "%s/harness/canary/threadlab_canary_test.c", cfg->root);
	}
}

/* Sorts the first N paths of V by name, so that command lines are stable. */
static void sort_paths(char (*v)[TL_PATH], int n)
{
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++)
			if (strcmp(v[a], v[b]) > 0) {
				char x[TL_PATH];
				memcpy(x, v[a], TL_PATH);
				memcpy(v[a], v[b], TL_PATH);
				memcpy(v[b], x, TL_PATH);
			}
}

/* A folder's sources: its test_*.c files and every other .c file but main.c make the test
 * program (cmocka), the other .c files the program. Returns 0, or -1 with ERR filled. */
static int folder_sources(const char *real, const char *path, struct tl_target *t, char *err, size_t errlen)
{
	DIR *d = opendir(real);
	struct dirent *e;
	int tests = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 3 || strcmp(e->d_name + l - 2, ".c") != 0)
			continue;
		int test = strncmp(e->d_name, "test_", 5) == 0;
		if (test && t->ntest_src < TL_MAX_FILES * 2 - 2) {
			snprintf(t->test_src[t->ntest_src++], TL_PATH, "%s/%s", real, e->d_name);
			tests++;
		} else if (!test && t->nsrc < TL_MAX_FILES * 4 - 1) {
			snprintf(t->src[t->nsrc++], TL_PATH, "%s/%s", real, e->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
	sort_paths(t->src, t->nsrc);
	for (int i = 0; i < t->nsrc && tests > 0; i++) {
		const char *base = strrchr(t->src[i], '/') + 1;
		if (strcmp(base, "main.c") != 0 && t->ntest_src < TL_MAX_FILES * 2 - 2)
			tl_strlcpy(t->test_src[t->ntest_src++], t->src[i], TL_PATH);
	}
	sort_paths(t->test_src, t->ntest_src);
	tl_strlcpy(t->include[t->ninclude++], real, TL_PATH);
	if (t->nsrc == 0) {
		snprintf(err, errlen, "%s: no .c files in this folder%s", path, tests ? " but tests" : "");
		return -1;
	}
	return 0;
}

/* A user's file (one program) or folder (its .c files: one program, and its test_*.c files
 * with the rest but main.c: the cmocka tests). Returns 0 or -1. */
static int analyze_target(const struct tl_config *cfg, const char *path, struct tl_target *t, char *err,
			  size_t errlen)
{
	memset(t, 0, sizeof *t);
	tl_strlcpy(t->name, path, sizeof t->name);
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char real[TL_PATH];
	if (realpath(path, real) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (folder_sources(real, path, t, err, errlen) != 0)
			return -1;
	} else {
		size_t l = strlen(real);
		if (l < 3 || strcmp(real + l - 2, ".c") != 0) {
			snprintf(err, errlen, "%s: not a .c file or a folder", path);
			return -1;
		}
		tl_strlcpy(t->src[t->nsrc++], real, TL_PATH);
		char dir[TL_PATH];
		tl_strlcpy(dir, real, sizeof dir);
		tl_strlcpy(t->include[t->ninclude++], dirname(dir), TL_PATH);
	}
	/* One build folder per analyzed path, named after it. */
	char slug[TL_PATH];
	size_t k = 0;
	for (const char *p = real + 1; *p != '\0' && k + 1 < sizeof slug; p++)
		slug[k++] = (*p == '/' || *p == ' ') ? '_' : *p;
	slug[k] = '\0';
	snprintf(t->outdir, sizeof t->outdir, "%s/analyze/%.200s", cfg->build, slug);
	snprintf(t->bin_plain, sizeof t->bin_plain, "%s/program", t->outdir);
	snprintf(t->bin_tsan, sizeof t->bin_tsan, "%s/program-tsan", t->outdir);
	snprintf(t->bin_test, sizeof t->bin_test, "%s/test", t->outdir);
	tl_strlcpy(t->rundir, t->outdir, sizeof t->rundir);
	if (cfg->canary) {
		snprintf(t->src[t->nsrc++], TL_PATH, "%s/harness/canary/threadlab_canary.c", cfg->root);
		if (t->ntest_src > 0) {
			snprintf(t->test_src[t->ntest_src++], TL_PATH, "%s/harness/canary/threadlab_canary.c", cfg->root);
			snprintf(t->test_src[t->ntest_src++], TL_PATH, "%s/harness/canary/threadlab_canary_test.c", cfg->root);
		}
	}
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 10;
	t->runs = cfg->runs > 0 ? cfg->runs : 1;
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
	free(labs);
	return TL_EXIT_PASS;
}

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

/* threadlab grade: intake into a pristine scratch copy, anti-tamper scan, K runs of every tool
 * in the sandbox, scoring, report. Exit 0 full marks, 1 points lost, 2 harness error. */
static int grade_main(struct tl_config *cfg, const char *submission, const char *filter, enum tl_format format,
		      const char *out_path, const char *rubric_path, int keep)
{
	char err[1024];
	struct tl_rubric rubric;
	if (tl_rubric_load(rubric_path, &rubric, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s\n", err);
		return TL_EXIT_ERROR;
	}
	struct tl_lab *tk_labs = NULL, *labs = NULL;
	size_t ntk = 0, nlabs = 0;
	if (tl_discover(cfg->root, filter, &tk_labs, &ntk, err, sizeof err) != 0 || ntk == 0) {
		fprintf(stderr, "threadlab: %s\n", ntk == 0 ? "no labs to grade" : err);
		free(tk_labs);
		return TL_EXIT_ERROR;
	}
	/* Every rubric item is earned from its tool's runs: a grade without one of them would be
	 * a wrong grade, not a lower one, so a missing tool stops the grading (exit 2). */
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		char why[256];
		if ((cfg->tools & (1 << tool)) && !tl_tool_available(cfg, (enum tl_tool)tool, why, sizeof why)) {
			fprintf(stderr, "threadlab: cannot grade without %s: %s\n", tl_tool_name((enum tl_tool)tool), why);
			free(tk_labs);
			return TL_EXIT_ERROR;
		}
	}
	/* Nor without the canaries that prove each tool was alive in each run. */
	static const char *const canaries[] = {"threadlab_canary.c", "threadlab_canary_test.c"};
	for (size_t i = 0; i < sizeof canaries / sizeof canaries[0]; i++) {
		char path[TL_PATH + 64];
		snprintf(path, sizeof path, "%s/harness/canary/%s", cfg->root, canaries[i]);
		if (access(path, R_OK) != 0) {
			fprintf(stderr, "threadlab: cannot grade without the liveness canaries: %s: %s\n", path, strerror(errno));
			free(tk_labs);
			return TL_EXIT_ERROR;
		}
	}
	double t0 = tl_now();
	cfg->grading = 1;
	if (cfg->runs == 0)
		cfg->runs = 3;
	if (tl_sandbox_init(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: refusing to grade without the sandbox: %s\n", err);
		free(tk_labs);
		return TL_EXIT_ERROR;
	}
	if (cfg->unsafe_no_sandbox)
		fprintf(stderr, "threadlab: WARNING: --unsafe-no-sandbox: student code runs unconfined\n");
	char gradedir[TL_PATH + 16], scratch[TL_PATH + 32];
	snprintf(gradedir, sizeof gradedir, "%s/grade", cfg->build);
	snprintf(scratch, sizeof scratch, "%s/g-XXXXXX", gradedir);
	/* The sandbox user must be able to read the scratch copy (mkdtemp makes it 0700). */
	if (tl_mkdirs(gradedir) != 0 || mkdtemp(scratch) == NULL || chmod(scratch, 0755) != 0) {
		fprintf(stderr, "threadlab: cannot make a scratch folder under %s: %s\n", gradedir, strerror(errno));
		free(tk_labs);
		return TL_EXIT_ERROR;
	}
	int rc = TL_EXIT_ERROR;
	struct tl_grade g;
	memset(&g, 0, sizeof g);
	tl_strlcpy(g.submission, submission, sizeof g.submission);
	tl_strlcpy(g.sandbox, cfg->sandbox_note, sizeof g.sandbox);
	g.unsafe = cfg->unsafe_no_sandbox;
	g.runs = cfg->runs;
	g.n = ntk;
	g.labs = calloc(ntk, sizeof *g.labs);
	struct tl_target **targets = calloc(ntk, sizeof *targets);
	TL_ASSERT(g.labs != NULL && targets != NULL);
	for (size_t i = 0; i < ntk; i++)
		g.labs[i].lab = &tk_labs[i];
	if (tl_submission_intake(cfg, submission, scratch, &g, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: cannot take the submission: %s\n", err);
		goto out;
	}
	/* From here on, labs come from the scratch copy: the toolkit's declarations, drivers and
	 * tests with the student's files in place. */
	tl_strlcpy(cfg->labs_root, scratch, sizeof cfg->labs_root);
	snprintf(cfg->out_root, sizeof cfg->out_root, "%s/out", scratch);
	snprintf(cfg->run_root, sizeof cfg->run_root, "%s/runs", scratch);
	cfg->canary = 1;
	if (tl_discover(cfg->labs_root, filter, &labs, &nlabs, err, sizeof err) != 0 || nlabs != ntk) {
		fprintf(stderr, "threadlab: scratch copy: %s\n", err);
		goto out;
	}
	size_t nrun = 0;
	struct tl_target **to_run = calloc(ntk, sizeof *to_run);
	TL_ASSERT(to_run != NULL);
	for (size_t i = 0; i < ntk; i++) {
		struct tl_target *t = malloc(sizeof *t);
		TL_ASSERT(t != NULL);
		lab_target(cfg, &labs[i], TL_BUGGY, t);
		t->runs = cfg->runs;
		targets[i] = t;
		g.labs[i].lab = &labs[i];
		g.labs[i].target = t;
		if (tl_mkdirs(t->outdir) != 0 || tl_sandbox_prepare_dir(cfg, t->outdir) != 0 || tl_mkdirs(t->rundir) != 0) {
			fprintf(stderr, "threadlab: %s: %s\n", t->outdir, strerror(errno));
			free(to_run);
			goto out;
		}
		to_run[nrun++] = t;
	}
	/* Each lab's scan runs in its build job (see build_job), beside other labs' runs. */
	execute(cfg, to_run, nrun, 0);
	free(to_run);
	for (size_t i = 0; i < ntk; i++) {
		struct tl_target *t = targets[i];
		if (t->scan < 0) {
			fprintf(stderr, "threadlab: the anti-tamper check of %s could not run: %s\n", labs[i].slug, t->scan_why);
			goto out;
		}
		if (t->scan > 0) {
			g.labs[i].tampered = 1;
			size_t len = strlen(g.labs[i].note);
			snprintf(g.labs[i].note + len, sizeof g.labs[i].note - len, "%s%s", len ? "; " : "", t->scan_why);
		}
	}
	int tool_errors = 0;
	for (size_t i = 0; i < ntk; i++) {
		strip_prefix(targets[i], scratch);
		tl_grade_score(&rubric, &g.labs[i], cfg->runs);
		g.points += g.labs[i].points;
		g.max += g.labs[i].max;
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &targets[i]->result[tool];
			tool_errors += r->status == TL_ST_ERROR;
			/* The instructor hears of it, not only the student's report. */
			if (r->kinds & TL_KINDSET(TL_KIND_INTERFERENCE))
				fprintf(stderr, "threadlab: %s: the submission interfered with %s (its report or its canary was missing or overridden); the item is lost\n",
					labs[i].slug, tl_tool_name((enum tl_tool)tool));
		}
	}
	g.seconds = tl_now() - t0;
	FILE *out = stdout;
	if (out_path != NULL && (out = fopen(out_path, "we")) == NULL) {
		fprintf(stderr, "threadlab: %s: %s\n", out_path, strerror(errno));
		goto out;
	}
	tl_format(format)->grade(out, &g);
	if (out != stdout)
		fclose(out);
	if (tool_errors > 0)
		fprintf(stderr, "threadlab: %d tool run(s) failed on the harness side; their points were not given (see the feedback)\n",
			tool_errors);
	rc = g.points + 1e-9 >= g.max ? TL_EXIT_PASS : TL_EXIT_FAIL;
out:
	for (size_t i = 0; i < ntk; i++)
		if (targets[i] != NULL)
			target_free(targets[i]);
	free(targets);
	free(g.labs);
	free(labs);
	free(tk_labs);
	if (!keep) {
		char *rm[] = {"rm", "-rf", scratch, NULL};
		struct tl_spawn s = {0};
		s.argv = rm;
		s.timeout_s = 120;
		char e[256];
		(void)tl_spawn_run(&s, e, sizeof e);
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? TL_EXIT_ERROR : TL_EXIT_PASS;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "labs") == 0)
		return labs_table(argc, argv);
	if (strcmp(cmd, "explain") == 0) {
		if (argc != 3) {
			fprintf(stderr, "usage: threadlab explain KIND\n");
			return TL_EXIT_ERROR;
		}
		return tl_explain(stdout, argv[2]) == 0 ? TL_EXIT_PASS : TL_EXIT_ERROR;
	}
	const int check = strcmp(cmd, "check") == 0, selftest = strcmp(cmd, "selftest") == 0,
		  analyze = strcmp(cmd, "analyze") == 0, grade = strcmp(cmd, "grade") == 0;
	if (!check && !selftest && !analyze && !grade) {
		fprintf(stderr, "threadlab: unknown command '%s'\n%s", cmd, usage);
		return TL_EXIT_ERROR;
	}
	struct tl_config cfg;
	memset(&cfg, 0, sizeof cfg);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.jobs = ncpu > 0 ? (int)ncpu : 2;
	cfg.tools = (1 << TL_TOOL_COUNT) - 1;
	if (analyze)
		cfg.tools &= ~(1 << TL_TOOL_TEST);
	const enum tl_mode mode = check ? TL_MODE_CHECK : selftest ? TL_MODE_SELFTEST : TL_MODE_ANALYZE;
	enum tl_format format = TL_FORMAT_TEXT;
	const char *lab = NULL, *root = NULL;
	int solutions = 0;
	const char *out_path = NULL, *rubric = NULL;
	int keep = 0, tools_given = 0;
	enum { O_FORMAT = 256, O_TOOLS, O_TIMEOUT, O_RUNS, O_VERBOSE, O_WERROR, O_ROOT, O_LAB, O_SOLUTIONS,
	       O_OUT, O_RUBRIC, O_KEEP, O_CANARY, O_UNSAFE };
	static const struct option opts[] = {
		{"format", required_argument, NULL, O_FORMAT}, {"tools", required_argument, NULL, O_TOOLS},
		{"timeout", required_argument, NULL, O_TIMEOUT}, {"runs", required_argument, NULL, O_RUNS},
		{"verbose", no_argument, NULL, O_VERBOSE}, {"werror", no_argument, NULL, O_WERROR},
		{"root", required_argument, NULL, O_ROOT}, {"lab", required_argument, NULL, O_LAB},
		{"solutions", no_argument, NULL, O_SOLUTIONS}, {"out", required_argument, NULL, O_OUT},
		{"rubric", required_argument, NULL, O_RUBRIC}, {"keep", no_argument, NULL, O_KEEP},
		{"canary", no_argument, NULL, O_CANARY}, {"unsafe-no-sandbox", no_argument, NULL, O_UNSAFE},
		{NULL, 0, NULL, 0},
	};
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'j':
			cfg.jobs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || cfg.jobs < 1 || cfg.jobs > 256)
				goto bad;
			break;
		case O_FORMAT: {
			int f = tl_format_from_name(optarg);
			if (f < 0 || (grade ? tl_format((enum tl_format)f)->grade == NULL
					    : tl_format((enum tl_format)f)->report == NULL))
				goto bad;
			format = (enum tl_format)f;
			break;
		}
		case O_TOOLS:
			if (parse_tools(optarg, &cfg.tools) != 0)
				goto bad;
			tools_given = 1;
			break;
		case O_TIMEOUT:
			cfg.timeout_s = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || cfg.timeout_s < 1 || cfg.timeout_s > 3600)
				goto bad;
			break;
		case O_RUNS:
			cfg.runs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || cfg.runs < 1 || cfg.runs > 1000)
				goto bad;
			break;
		case O_VERBOSE:
			cfg.verbose = 1;
			break;
		case O_WERROR:
			cfg.werror = 1;
			break;
		case O_ROOT:
			root = optarg;
			break;
		case O_LAB:
			lab = optarg;
			break;
		case O_SOLUTIONS:
			solutions = 1;
			break;
		case O_OUT:
			out_path = optarg;
			break;
		case O_RUBRIC:
			rubric = optarg;
			break;
		case O_KEEP:
			keep = 1;
			break;
		case O_CANARY:
			if (!analyze)
				goto bad;
			cfg.canary = 1;
			break;
		case O_UNSAFE:
			if (!grade)
				goto bad;
			cfg.unsafe_no_sandbox = 1;
			break;
		default:
			goto bad;
		}
	}
	if ((analyze || grade) != (optind < argc) || (grade && optind + 1 != argc)) {
		fprintf(stderr, "threadlab: %s\n", analyze ? "analyze needs at least one PATH" :
						  grade ? "grade needs exactly one SUBMISSION" : "unexpected argument");
		goto bad;
	}
	if (root != NULL)
		tl_strlcpy(cfg.root, root, sizeof cfg.root);
	else if (find_root(cfg.root, sizeof cfg.root) != 0) {
		fprintf(stderr, "threadlab: cannot find the toolkit (use --root)\n");
		return TL_EXIT_ERROR;
	}
	const char *bdir = getenv("THREADLAB_BUILD");
	if (bdir != NULL && bdir[0] != '\0')
		tl_strlcpy(cfg.build, bdir, sizeof cfg.build);
	else
		snprintf(cfg.build, sizeof cfg.build, "%s/build", cfg.root);
	snprintf(cfg.tc_lib, sizeof cfg.tc_lib, "%s/lib/libthreadcheck.so", cfg.build);
	tl_strlcpy(cfg.labs_root, cfg.root, sizeof cfg.labs_root);
	snprintf(cfg.out_root, sizeof cfg.out_root, "%s/labs", cfg.build);
	const char *nc = getenv("NO_COLOR");
	cfg.color = isatty(1) && (nc == NULL || nc[0] == '\0') && format == TL_FORMAT_TEXT;

	if (grade)
		return grade_main(&cfg, argv[optind], lab, format, out_path, rubric, keep);

	char err[1024];
	struct tl_lab *labs = NULL;
	size_t nlabs = 0, n = 0;
	struct tl_target **targets = NULL;
	int rc = TL_EXIT_PASS;
	if (analyze) {
		targets = calloc((size_t)(argc - optind), sizeof *targets);
		TL_ASSERT(targets != NULL);
		for (int i = optind; i < argc; i++) {
			struct tl_target *t = malloc(sizeof *t);
			TL_ASSERT(t != NULL);
			if (analyze_target(&cfg, argv[i], t, err, sizeof err) != 0) {
				fprintf(stderr, "threadlab: %s\n", err);
				free(t);
				rc = TL_EXIT_ERROR;
				goto out;
			}
			targets[n++] = t;
			/* A folder with tests has them run too, unless --tools says otherwise. */
			if (t->ntest_src > 0 && !tools_given)
				cfg.tools |= 1 << TL_TOOL_TEST;
		}
	} else {
		if (tl_discover(cfg.labs_root, lab, &labs, &nlabs, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: %s\n", err);
			rc = TL_EXIT_ERROR;
			goto out;
		}
		if (nlabs == 0) {
			fprintf(stderr, "threadlab: no labs found under %s/labs\n", cfg.root);
			rc = TL_EXIT_ERROR;
			goto out;
		}
		targets = calloc(nlabs * 2, sizeof *targets);
		TL_ASSERT(targets != NULL);
		for (size_t i = 0; i < nlabs; i++) {
			for (int v = 0; v < TL_VARIANT_COUNT; v++) {
				if (check && v != (solutions ? TL_FIXED : TL_BUGGY))
					continue;
				struct tl_target *t = malloc(sizeof *t);
				TL_ASSERT(t != NULL);
				lab_target(&cfg, &labs[i], (enum tl_variant)v, t);
				targets[n++] = t;
			}
		}
	}

	execute(&cfg, targets, n, selftest);

	int found = 0, errors = 0, ran = 0, mismatches = 0;
	for (size_t i = 0; i < n; i++) {
		mismatches += tl_compare_target(targets[i], mode);
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &targets[i]->result[tool];
			if (!(cfg.tools & (1 << tool)))
				continue;
			errors += r->status == TL_ST_ERROR;
			ran += r->status == TL_ST_RAN;
			found += r->status == TL_ST_RAN && r->kinds != 0;
		}
	}
	FILE *out = stdout;
	if (out_path != NULL && (out = fopen(out_path, "we")) == NULL) {
		fprintf(stderr, "threadlab: %s: %s\n", out_path, strerror(errno));
		rc = TL_EXIT_ERROR;
		goto out;
	}
	tl_format(format)->report(out, &cfg, mode, targets, n);
	if (out != stdout)
		fclose(out);
	if (errors > 0)
		rc = TL_EXIT_ERROR;
	else if (ran == 0)
		rc = TL_EXIT_SKIP;
	else if (selftest)
		rc = mismatches > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
	else
		rc = found > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
	if (format == TL_FORMAT_TEXT && out_path == NULL) {
		if (selftest)
			printf("\nselftest: %d of %d verdicts differ from their declarations\n", mismatches, ran + errors);
		else
			printf("\n%s: %d of %d tool runs reported something\n", cmd, found, ran);
	}
out:
	for (size_t i = 0; i < n; i++)
		target_free(targets[i]);
	free(targets);
	free(labs);
	return rc;
bad:
	fprintf(stderr, "%s", usage);
	return TL_EXIT_ERROR;
}

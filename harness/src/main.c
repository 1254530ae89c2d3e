/* main.c: the threadlab command line: check, selftest and analyze, wired through the stages. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

static const char usage[] =
	"usage: threadlab check    [--solutions] [--lab NN] [options]   run the labs under every tool\n"
	"       threadlab selftest [--lab NN] [options]                 buggy and fixed vs. declarations\n"
	"       threadlab analyze  PATH... [options]                    your own C file(s) or folder(s)\n"
	"options:\n"
	"  --format text|json|tap   report format (default text)\n"
	"  --tools LIST             comma-separated subset of tsan,helgrind,threadcheck,test\n"
	"  --timeout SECONDS        wall-clock limit of one run (default: the lab's, or 10)\n"
	"  --runs N                 run each tool up to N times, stopping at the first report\n"
	"  -j N                     parallel jobs (default: the number of cores)\n"
	"  --verbose                add the tools' original reports\n"
	"  --werror                 build labs with -Werror\n"
	"  --root DIR               the toolkit's top directory (default: found from the binary)\n"
	"exit status: 0 clean / as declared, 1 found / differs, 2 usage or tool error, 4 all skipped\n";

/* Shared by the jobs of one invocation; each job writes only its own target's result slot. */
struct job_ctx {
	const struct tl_config *cfg;
	struct tl_pool *pool;
	struct tl_target *target;
	enum tl_tool tool;
	int deflake;
	struct job_ctx *runs; /* the build job's run jobs, allocated by the caller */
};

static void run_job(void *arg)
{
	struct job_ctx *j = arg;
	tl_run_tool(j->cfg, j->target, j->tool, j->deflake);
}

static void build_job(void *arg)
{
	struct job_ctx *j = arg;
	(void)tl_build_target(j->cfg, j->target, j->cfg->tools);
	/* Tools whose binary failed to build carry their build-error; tl_run_tool skips them. */
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		if (j->cfg->tools & (1 << tool))
			tl_pool_submit(j->pool, run_job, &j->runs[tool]);
}

/* Builds and runs every target through the pool. */
static void execute(const struct tl_config *cfg, struct tl_target **targets, size_t n, int deflake_buggy)
{
	struct tl_pool *pool = tl_pool_new(cfg->jobs);
	struct job_ctx *builds = calloc(n, sizeof *builds);
	struct job_ctx *runs = calloc(n * TL_TOOL_COUNT, sizeof *runs);
	TL_ASSERT(builds != NULL && runs != NULL);
	for (size_t i = 0; i < n; i++) {
		builds[i] = (struct job_ctx){cfg, pool, targets[i], TL_TOOL_COUNT, 0, &runs[i * TL_TOOL_COUNT]};
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			/* A buggy program may need reruns until its report appears (deflake); a fixed
			 * one must stay clean on every run. */
			int deflake = targets[i]->lab == NULL || (deflake_buggy && targets[i]->variant == TL_BUGGY);
			runs[i * TL_TOOL_COUNT + tool] =
				(struct job_ctx){cfg, pool, targets[i], (enum tl_tool)tool, deflake, NULL};
		}
		tl_pool_submit(pool, build_job, &builds[i]);
	}
	tl_pool_wait(pool);
	tl_pool_free(pool);
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
	snprintf(t->outdir, sizeof t->outdir, "%s/labs/%s/%s", cfg->build, lab->slug, tl_variant_name(v));
	snprintf(t->bin_plain, sizeof t->bin_plain, "%s/program", t->outdir);
	snprintf(t->bin_tsan, sizeof t->bin_tsan, "%s/program-tsan", t->outdir);
	snprintf(t->bin_test, sizeof t->bin_test, "%s/test", t->outdir);
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : lab->timeout_s;
	t->runs = cfg->runs > 0 ? cfg->runs : lab->runs;
	t->werror = cfg->werror;
	tl_strlcpy(t->include[t->ninclude++], lab->dir, TL_PATH);
	snprintf(t->include[t->ninclude++], TL_PATH, "%s/labs/common", cfg->root);
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
		snprintf(common, sizeof common, "%s/labs/common", cfg->root);
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
	}
}

/* A user's file (one program) or folder (all its .c files, one program). Returns 0 or -1. */
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
		DIR *d = opendir(real);
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l > 2 && strcmp(e->d_name + l - 2, ".c") == 0 && t->nsrc < TL_MAX_FILES * 4)
				snprintf(t->src[t->nsrc++], TL_PATH, "%s/%s", real, e->d_name);
		}
		if (d != NULL)
			closedir(d);
		tl_strlcpy(t->include[t->ninclude++], real, TL_PATH);
		if (t->nsrc == 0) {
			snprintf(err, errlen, "%s: no .c files in this folder", path);
			return -1;
		}
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

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? TL_EXIT_ERROR : TL_EXIT_PASS;
	}
	const char *cmd = argv[1];
	const int check = strcmp(cmd, "check") == 0, selftest = strcmp(cmd, "selftest") == 0,
		  analyze = strcmp(cmd, "analyze") == 0;
	if (!check && !selftest && !analyze) {
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
	const char *format = "text", *lab = NULL, *root = NULL;
	int solutions = 0;
	enum { O_FORMAT = 256, O_TOOLS, O_TIMEOUT, O_RUNS, O_VERBOSE, O_WERROR, O_ROOT, O_LAB, O_SOLUTIONS };
	static const struct option opts[] = {
		{"format", required_argument, NULL, O_FORMAT}, {"tools", required_argument, NULL, O_TOOLS},
		{"timeout", required_argument, NULL, O_TIMEOUT}, {"runs", required_argument, NULL, O_RUNS},
		{"verbose", no_argument, NULL, O_VERBOSE}, {"werror", no_argument, NULL, O_WERROR},
		{"root", required_argument, NULL, O_ROOT}, {"lab", required_argument, NULL, O_LAB},
		{"solutions", no_argument, NULL, O_SOLUTIONS}, {NULL, 0, NULL, 0},
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
		case O_FORMAT:
			format = optarg;
			if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "tap"))
				goto bad;
			break;
		case O_TOOLS:
			if (parse_tools(optarg, &cfg.tools) != 0)
				goto bad;
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
		default:
			goto bad;
		}
	}
	if (analyze != (optind < argc)) {
		fprintf(stderr, "threadlab: %s\n", analyze ? "analyze needs at least one PATH" : "unexpected argument");
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
	const char *nc = getenv("NO_COLOR");
	cfg.color = isatty(1) && (nc == NULL || nc[0] == '\0') && strcmp(format, "text") == 0;

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
		}
	} else {
		if (tl_discover(cfg.root, lab, &labs, &nlabs, err, sizeof err) != 0) {
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
		if (selftest)
			mismatches += tl_compare_target(targets[i]);
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			const struct tl_result *r = &targets[i]->result[tool];
			if (!(cfg.tools & (1 << tool)))
				continue;
			errors += r->status == TL_ST_ERROR;
			ran += r->status == TL_ST_RAN;
			found += r->status == TL_ST_RAN && r->kinds != 0;
		}
	}
	if (strcmp(format, "json") == 0)
		tl_report_json(stdout, &cfg, cmd, targets, n);
	else if (strcmp(format, "tap") == 0)
		tl_report_tap(stdout, &cfg, cmd, targets, n);
	else
		tl_report_text(stdout, &cfg, cmd, targets, n);
	if (errors > 0)
		rc = TL_EXIT_ERROR;
	else if (ran == 0)
		rc = TL_EXIT_SKIP;
	else if (selftest)
		rc = mismatches > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
	else
		rc = found > 0 ? TL_EXIT_FAIL : TL_EXIT_PASS;
	if (strcmp(format, "text") == 0) {
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

/* run.c: runs one tool on one target, reading only the tool's own channel (log file or XML). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stages.h"


/* Exit status threadcheck uses when it reports (see harness/threadcheck). */
#define TC_EXITCODE "67"
/* Exit status we ask TSan to use when it reports. */
#define TSAN_EXITCODE "66"
/* Per-run cap on each captured file (stdout, stderr, tool logs). */
#define MAX_OUTPUT (64LL << 20)

static atomic_int said_setarch;

static int which(const char *prog)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	char *dup = strdup(path);
	TL_ASSERT(dup != NULL);
	int found = 0;
	for (char *save = NULL, *dir = strtok_r(dup, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char p[TL_PATH * 2];
		snprintf(p, sizeof p, "%s/%s", dir, prog);
		found = access(p, X_OK) == 0;
	}
	free(dup);
	return found;
}

/* Where the toolkit keeps its Helgrind suppressions (known false positives, each explained). */
static void helgrind_supp_path(const struct tl_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/harness/src/helgrind.supp", cfg->root);
}

int tl_tool_available(const struct tl_config *cfg, enum tl_tool tool, char *why, size_t whylen)
{
	switch (tool) {
	case TL_TOOL_TSAN: {
		const char *cc = getenv("TL_TSAN_CC");
		if (!which(cc != NULL && cc[0] != '\0' ? cc : "clang")) {
			snprintf(why, whylen, "clang is not installed (make deps)");
			return 0;
		}
		return 1;
	}
	case TL_TOOL_HELGRIND: {
		if (!which("valgrind")) {
			snprintf(why, whylen, "valgrind is not installed (make deps)");
			return 0;
		}
		/* Without its suppressions Helgrind reports known false races (see the file). */
		char supp[TL_PATH + 64];
		helgrind_supp_path(cfg, supp, sizeof supp);
		if (access(supp, R_OK) != 0) {
			snprintf(why, whylen, "%s is missing (the toolkit's Helgrind suppressions)", supp);
			return 0;
		}
		return 1;
	}
	case TL_TOOL_THREADCHECK:
		if (access(cfg->tc_lib, R_OK) != 0) {
			snprintf(why, whylen, "%s is not built (make all)", cfg->tc_lib);
			return 0;
		}
		return 1;
	case TL_TOOL_TEST:
		return 1;
	case TL_TOOL_COUNT:
		break;
	}
	snprintf(why, whylen, "unknown tool");
	return 0;
}

/* Removes DIR's files whose names start with PREFIX (a previous run's logs). */
static void remove_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char p[TL_PATH * 2];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

/* Concatenates DIR's files starting with PREFIX (one per process, as log_path writes them).
 * Returns a malloc'd text (possibly empty) and its length. */
static char *read_prefixed(const char *dir, const char *prefix, size_t *len)
{
	char *all = calloc(1, 1);
	TL_ASSERT(all != NULL);
	*len = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return all;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char p[TL_PATH * 2];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		size_t n = 0;
		int trunc = 0;
		char *text = tl_read_file(p, MAX_OUTPUT, &n, &trunc);
		if (text == NULL)
			continue;
		char *grown = realloc(all, *len + n + 1);
		TL_ASSERT(grown != NULL);
		all = grown;
		memcpy(all + *len, text, n);
		*len += n;
		all[*len] = '\0';
		free(text);
	}
	closedir(d);
	return all;
}

static int file_contains(const char *path, const char *needle)
{
	size_t n = 0;
	int trunc = 0;
	char *text = tl_read_file(path, 1 << 20, &n, &trunc);
	int found = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* Why Valgrind stopped on its own before the program ended, from its stderr at PATH, into WHY:
 * the line after "the 'impossible' happened:" (e.g. "Max number of threads is too low") or
 * the text of a "FATAL" line. Returns 1 when one was found, else 0 (WHY is then ""). */
static int valgrind_gave_up(const char *path, char *why, size_t len)
{
	size_t n = 0;
	int trunc = 0;
	char *text = tl_read_file(path, 1 << 20, &n, &trunc);
	const char *p = NULL;
	why[0] = '\0';
	if (text != NULL && (p = strstr(text, "the 'impossible' happened:")) != NULL) {
		p += strlen("the 'impossible' happened:");
		while (*p == '\n' || *p == ' ')
			p++;
	} else if (text != NULL && (p = strstr(text, "FATAL")) != NULL) {
		while (p > text && p[-1] != '\n')
			p--;
	}
	if (p != NULL) {
		size_t k = strcspn(p, "\n");
		snprintf(why, len, "%.*s", (int)(k < 200 ? k : 200), p);
	}
	free(text);
	return p != NULL;
}

/* Adds to RUN one run-level finding (timeout, crash, failing test binary) of TOOL, with the
 * text of DETAIL_PATH (may be NULL) as its detail. */
static void add_run_finding(struct tl_findings *run, enum tl_tool tool, enum tl_kind kind,
			    const char *raw, const char *msg, const char *detail_path)
{
	struct tl_finding f;
	memset(&f, 0, sizeof f);
	f.tool = tool;
	f.kind = kind;
	tl_strlcpy(f.raw, raw, sizeof f.raw);
	tl_strlcpy(f.message, msg, sizeof f.message);
	if (detail_path != NULL) {
		size_t n = 0;
		int trunc = 0;
		f.detail = tl_read_file(detail_path, 1 << 20, &n, &trunc);
	}
	tl_findings_add(run, &f);
}

static int same_site(const struct tl_site *a, const struct tl_site *b)
{
	return a->line == b->line && strcmp(a->file, b->file) == 0;
}

/* Merges one run's findings into R, dropping repeats of the same kind at the same pair of
 * sites (Helgrind reports a read and a write of one race; reruns repeat reports). */
static void merge(struct tl_result *r, struct tl_findings *run)
{
	for (size_t i = 0; i < run->n; i++) {
		struct tl_finding *f = &run->v[i];
		int dup = 0;
		for (size_t j = 0; j < r->findings.n && !dup; j++) {
			const struct tl_finding *g = &r->findings.v[j];
			if (g->kind != f->kind)
				continue;
			dup = (same_site(&g->site, &f->site) && same_site(&g->other, &f->other)) ||
			      (same_site(&g->site, &f->other) && same_site(&g->other, &f->site));
		}
		if (dup)
			continue;
		tl_findings_add(&r->findings, f);
		f->detail = NULL; /* ownership moved */
	}
	r->kinds |= tl_findings_kinds(run);
}

static const char *signame(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s != NULL ? s : "?";
}

/* How much longer than native a run under TOOL may take: a lab's timeout is set for native
 * speed, and Valgrind runs a program 20-100 times slower (on a busy machine, more). */
static int tool_time_factor(enum tl_tool tool)
{
	return tool == TL_TOOL_HELGRIND ? 3 : 1;
}

/* Adds the run's outcome that the tool's channel does not carry itself: a timeout (with
 * every thread's stack), death by a signal, or a test program that failed without saying
 * which test. */
static void run_level(const struct tl_target *t, enum tl_tool tool, const struct tl_spawn *s,
		      const char *errp, struct tl_findings *run)
{
	char msg[256];
	if (s->timed_out) {
		snprintf(msg, sizeof msg, "did not finish within %d s and was killed", t->timeout_s * tool_time_factor(tool));
		int have_stacks = access(s->stacks_path, R_OK) == 0;
		add_run_finding(run, tool, TL_KIND_TIMEOUT, "timeout", msg, have_stacks ? s->stacks_path : NULL);
		struct tl_finding *f = &run->v[run->n - 1];
		if (f->detail != NULL) {
			/* Point at where the threads were stuck: the first two threads' innermost frames
			 * in the user's code. */
			struct tl_site sites[2];
			char threads[2][64];
			int k = tl_parse_gdb_stacks(f->detail, sites, threads, 2);
			if (k > 0) {
				f->site = sites[0];
				tl_strlcpy(f->thread, threads[0], sizeof f->thread);
				snprintf(f->message, sizeof f->message,
					 "did not finish within %d s and was killed; threads were stuck at %s:%d in %s%s",
					 t->timeout_s * tool_time_factor(tool), sites[0].file, sites[0].line, sites[0].function,
					 k > 1 ? " and more (see the stacks)" : "");
			}
			if (k > 1) {
				f->other = sites[1];
				tl_strlcpy(f->other_thread, threads[1], sizeof f->other_thread);
			}
		}
		return;
	}
	if (s->signaled) {
		for (size_t k = 0; k < run->n; k++)
			if (run->v[k].kind == TL_KIND_CRASH)
				return; /* the tool already described the crash */
		snprintf(msg, sizeof msg, "the program was killed by signal %s", signame(s->signo));
		add_run_finding(run, tool, TL_KIND_CRASH, "signal", msg, errp);
		return;
	}
	if (tool == TL_TOOL_TEST && s->exit_code != 0 && run->n == 0) {
		snprintf(msg, sizeof msg,
			 "the test program exited with status %d without reporting a failed test", s->exit_code);
		add_run_finding(run, tool, TL_KIND_TEST_FAIL, "exit status", msg, errp);
	}
}

/* One run of TOOL on T, index I. Appends findings to RUN. Returns 0, or -1 when the tool
 * itself failed (NOTE says why). */
static int run_once(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i,
		    struct tl_findings *run, int *test_cases, char *note, size_t notelen)
{
	const char *name = tl_tool_name(tool);
	char out[TL_PATH + 64], errp[TL_PATH + 64], logp[TL_PATH + 64], prefix[64];
	snprintf(out, sizeof out, "%s/%s.%d.stdout", t->outdir, name, i);
	snprintf(errp, sizeof errp, "%s/%s.%d.stderr", t->outdir, name, i);
	snprintf(prefix, sizeof prefix, "%s.%d.log", name, i);
	snprintf(logp, sizeof logp, "%s/%s", t->outdir, prefix);
	remove_prefixed(t->outdir, prefix);

	char opt[TL_PATH * 2 + 256];
	const char *extra[4] = {NULL, NULL, NULL, NULL};
	char extra2[TL_PATH + 64];
	char xmlarg[TL_PATH + 64], supp[TL_PATH + 64], supparg[TL_PATH + 96];
	char *argv[32];
	int a = 0;
	int setarch = atomic_load(&said_setarch) > 0;
	switch (tool) {
	case TL_TOOL_TSAN:
		/* When grading, TSan's own RSS limit stands in for the memory rlimit TSan cannot have. */
		snprintf(opt, sizeof opt,
			 "TSAN_OPTIONS=log_path=%s exitcode=" TSAN_EXITCODE
			 " second_deadlock_stack=1 history_size=4 halt_on_error=0%s",
			 logp, cfg->grading ? " hard_rss_limit_mb=8192" : "");
		extra[0] = opt;
		if (setarch) {
			argv[a++] = "setarch";
			argv[a++] = "x86_64";
			argv[a++] = "-R";
		}
		argv[a++] = t->bin_tsan;
		break;
	case TL_TOOL_HELGRIND:
		snprintf(xmlarg, sizeof xmlarg, "--xml-file=%s", logp);
		argv[a++] = "valgrind";
		argv[a++] = "--tool=helgrind";
		argv[a++] = "--xml=yes";
		argv[a++] = xmlarg;
		argv[a++] = "--child-silent-after-fork=yes";
		/* Known false positives of this Valgrind, each explained in the file. */
		helgrind_supp_path(cfg, supp, sizeof supp);
		snprintf(supparg, sizeof supparg, "--suppressions=%s", supp);
		argv[a++] = supparg;
		argv[a++] = t->bin_plain;
		break;
	case TL_TOOL_THREADCHECK:
		snprintf(opt, sizeof opt, "LD_PRELOAD=%s", cfg->tc_lib);
		snprintf(extra2, sizeof extra2, "THREADCHECK_LOG=%s", logp);
		extra[0] = extra2;
		extra[1] = "THREADCHECK_EXITCODE=" TC_EXITCODE;
		if (cfg->grading && cfg->sandbox) {
			/* Preloaded into the program only, through env(1) inside the sandbox: in
			 * bubblewrap's environment it would also run in bubblewrap's own processes,
			 * whose exit reports land beside the program's, and one killed mid-report
			 * leaves a cut log (how the solutions once lost a point). */
			argv[a++] = "env";
			argv[a++] = opt;
		} else {
			extra[2] = opt;
		}
		argv[a++] = t->bin_plain;
		break;
	case TL_TOOL_TEST:
		snprintf(extra2, sizeof extra2, "CMOCKA_XML_FILE=%s", logp);
		extra[0] = "CMOCKA_MESSAGE_OUTPUT=xml";
		extra[1] = extra2;
		argv[a++] = t->bin_test;
		break;
	case TL_TOOL_COUNT:
		TL_ASSERT(!"no such tool");
	}
	argv[a] = NULL;

	char **env = tl_env_make(extra);
	char **confined = cfg->grading ? tl_sandbox_wrap(cfg, tl_sb_profile_of(tool), t->outdir, argv) : NULL;
	struct tl_spawn s = {0};
	s.argv = confined != NULL ? confined : argv;
	if (cfg->grading)
		s.limits = tool == TL_TOOL_TSAN ? &cfg->tsan_limits : &cfg->limits;
	s.envp = env;
	s.stdout_path = out;
	s.stderr_path = errp;
	s.timeout_s = t->timeout_s * tool_time_factor(tool);
	s.max_output = MAX_OUTPUT;
	snprintf(s.stacks_path, sizeof s.stacks_path, "%s/%s.%d.stacks", t->outdir, name, i);
	unlink(s.stacks_path);
	/* In its own PID namespace the program cannot be reached by gdb from here. */
	if (cfg->sandbox)
		s.stacks_path[0] = '\0';
	char err[256];
	int rc = tl_spawn_run(&s, err, sizeof err);
	if (rc == 0 && tool == TL_TOOL_TSAN && !setarch &&
	    (file_contains(errp, "unexpected memory mapping") ||
	     file_contains(logp, "unexpected memory mapping"))) {
		/* TSan's shadow layout does not fit this kernel's mmap randomisation: rerun with
		 * randomisation off for this process only. */
		if (atomic_fetch_add(&said_setarch, 1) == 0)
			fprintf(stderr, "threadlab: TSan hit 'unexpected memory mapping' (high mmap "
					"randomisation); rerunning TSan jobs under 'setarch -R'\n");
		tl_env_free(env);
		tl_argv_free(confined);
		return run_once(cfg, t, tool, i, run, test_cases, note, notelen);
	}
	tl_env_free(env);
	tl_argv_free(confined);
	if (rc != 0) {
		snprintf(note, notelen, "could not start %s: %s", argv[0], err);
		return -1;
	}
	if (cfg->sandbox && s.exited && s.exit_code > 128 && s.exit_code <= 128 + 64) {
		/* bubblewrap passes a child's death by signal N on as exit status 128+N. */
		s.exited = 0;
		s.signaled = 1;
		s.signo = s.exit_code - 128;
	}
	if (setarch && tool == TL_TOOL_TSAN)
		snprintf(note, notelen, "ran under setarch -R (TSan memory mapping)");
	if (tool == TL_TOOL_TSAN && !s.timed_out && file_contains(errp, "FATAL: ThreadSanitizer")) {
		/* TSan could not start (or died of its own accord): no log does not mean clean. */
		snprintf(note, notelen, "ThreadSanitizer failed to run the program; see %s", errp);
		return -1;
	}

	size_t len = 0;
	char *text = read_prefixed(t->outdir, prefix, &len);
	char perr[256] = "";
	int prc = 0;
	switch (tool) {
	case TL_TOOL_TSAN:
		prc = tl_parse_tsan(text, len, run, perr, sizeof perr);
		break;
	case TL_TOOL_HELGRIND:
		if (len == 0 && !s.timed_out) {
			snprintf(note, notelen, "valgrind wrote no XML (exit %d); see %s", s.exit_code, errp);
			free(text);
			return -1;
		}
		prc = tl_parse_helgrind(text, len, run, perr, sizeof perr);
		/* XML cut short although nobody killed the run: Valgrind itself gave up (a program
		 * with more threads than it supports, say), so the program was not checked to the
		 * end and this run cannot count as clean. */
		if (prc == 0 && perr[0] != '\0' && !s.timed_out && !s.signaled) {
			char why[256];
			if (valgrind_gave_up(errp, why, sizeof why))
				snprintf(note, notelen, "Valgrind stopped before the program ended: %s", why);
			else
				snprintf(note, notelen, "Valgrind stopped before the program ended (exit %d, XML cut short); see %s",
					 s.exit_code, errp);
			free(text);
			return -1;
		}
		break;
	case TL_TOOL_THREADCHECK:
		prc = tl_parse_threadcheck(text, len, run, perr, sizeof perr);
		break;
	case TL_TOOL_TEST:
		prc = tl_parse_cmocka(text, len, run, perr, sizeof perr);
		if (prc == 0) {
			int cases = 0;
			for (const char *p = strstr(text, "<testcase"); p != NULL; p = strstr(p + 1, "<testcase"))
				cases++;
			*test_cases = cases;
		}
		break;
	case TL_TOOL_COUNT:
		break;
	}
	free(text);
	if (prc != 0 && !s.timed_out) {
		snprintf(note, notelen, "cannot read %s's report: %s", name, perr);
		return -1;
	}
	/* A log cut short is worth a note only when nothing explains it: after a timeout the
	 * kill is the explanation, and the timeout finding says so. */
	if (perr[0] != '\0' && !s.timed_out)
		snprintf(note, notelen, "%s", perr);
	for (size_t k = 0; k < run->n; k++) {
		run->v[k].tool = tool;
		/* Sources are compiled by absolute path; show them as the user typed them. */
		char cwd[TL_PATH];
		if (getcwd(cwd, sizeof cwd) != NULL)
			tl_finding_strip_dir(&run->v[k], cwd);
	}

	run_level(t, tool, &s, errp, run);
	return 0;
}

void tl_run_tool(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int deflake)
{
	struct tl_result *r = &t->result[tool];
	if (r->kinds & TL_KINDSET(TL_KIND_BUILD_ERROR))
		return; /* the build stage already gave the verdict */
	char why[256];
	if (!tl_tool_available(cfg, tool, why, sizeof why)) {
		r->status = TL_ST_SKIPPED;
		tl_strlcpy(r->note, why, sizeof r->note);
		return;
	}
	if (tool == TL_TOOL_TEST && t->ntest_src == 0) {
		r->status = TL_ST_SKIPPED;
		tl_strlcpy(r->note, "no tests", sizeof r->note);
		return;
	}
	double t0 = tl_now();
	r->tests_passed_min = -1;
	int runs = t->runs > 0 ? t->runs : 1;
	for (int i = 0; i < runs; i++) {
		struct tl_findings run = {0};
		char note[256] = "";
		int cases = 0;
		int rc = run_once(cfg, t, tool, i, &run, &cases, note, sizeof note);
		r->runs++;
		if (note[0] != '\0')
			tl_strlcpy(r->note, note, sizeof r->note);
		if (rc != 0) {
			r->status = TL_ST_ERROR;
			tl_findings_free(&run);
			break;
		}
		r->status = TL_ST_RAN;
		if (run.n > 0)
			r->runs_with_findings++;
		if (tool == TL_TOOL_TEST) {
			/* A test program that crashed or hung passed nothing we can count. */
			int failed = 0, broken = 0;
			for (size_t k = 0; k < run.n; k++) {
				failed += run.v[k].kind == TL_KIND_TEST_FAIL && strcmp(run.v[k].raw, "exit status") != 0;
				broken |= run.v[k].kind != TL_KIND_TEST_FAIL || strcmp(run.v[k].raw, "exit status") == 0;
			}
			int passed = broken || cases == 0 ? 0 : cases - failed;
			if (cases > r->tests_total)
				r->tests_total = cases;
			if (r->tests_passed_min < 0 || passed < r->tests_passed_min)
				r->tests_passed_min = passed;
		}
		merge(r, &run);
		tl_findings_free(&run);
		if (deflake && r->kinds != 0)
			break;
	}
	r->seconds = tl_now() - t0;
}

/* run.c: runs one tool on one target, reading only the tool's own channel (log file or XML). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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

static int file_contains(const char *path, const char *needle)
{
	size_t n = 0;
	int trunc = 0;
	char *text = tl_read_file(path, 1 << 20, &n, &trunc);
	int found = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return found;
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
static void run_level(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool,
		      const struct tl_spawn *s, const char *errp, struct tl_findings *run)
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
	/* With the canary in, a non-zero status is the canary's failure (check_liveness). */
	if (tool == TL_TOOL_TEST && s->exit_code != 0 && run->n == 0 && !cfg->canary) {
		snprintf(msg, sizeof msg,
			 "the test program exited with status %d without reporting a failed test", s->exit_code);
		add_run_finding(run, tool, TL_KIND_TEST_FAIL, "exit status", msg, errp);
	}
}

/* Exit status threadcheck uses when it reports a deadlock (its default). */
#define TC_DEADLOCK_EXITCODE 68
/* Exit status we ask Valgrind to use when Helgrind reported an error. */
#define HG_EXITCODE "65"
/* The pid the program has inside the sandbox's own PID namespace: bubblewrap is 1 and starts
 * the command as 2, and every wrapper (env, setarch) execs the next program in place. */
#define SANDBOX_PROGRAM_PID 2

/* One run's files and report channel. Everything here is made by the grader, in T's rundir:
 * the program never writes there except through the descriptors it is handed. */
struct run_io {
	char out[TL_PATH + 64], err[TL_PATH + 64];
	char base[TL_PATH + 96];   /* what the tool is told to write to (a path prefix) */
	char chan[TL_PATH + 64];   /* a folder of its own holding the FIFO, or "" */
	char file[TL_PATH + 96];   /* a log file read after the run, or "" (read at pid) */
	int channel;               /* 1: the report arrives through s.drain[0] */
	int tests;                 /* 1: the tool runs the lab's tests, not its program */
	int close_fd[2];           /* write ends to close once the child has them */
	struct tl_spawn s;
};

/* Makes DIR empty and new: what a previous run left there is removed first. */
static int fresh_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
		(void)rmdir(dir);
	}
	return mkdir(dir, 0755);
}

/* Sets up where TOOL's report for run I goes (see struct run_io). Valgrind writes its XML
 * and its own messages to pipes it keeps out of the client's reach. When grading in the
 * sandbox, TSan, threadcheck and cmocka write to a FIFO in a folder of this run's own that
 * the program sees read-only; the grader drains it while the program runs, so nothing the
 * program does later can take back what a tool wrote. Elsewhere they write files, read back
 * by their exact names. Returns 0, or -1 with NOTE filled. */
static int prepare_io(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool, int i,
		      int tests, struct run_io *io, char *note, size_t notelen)
{
	char name[64];
	snprintf(name, sizeof name, "%s%s", tl_tool_name(tool), tests ? "-tests" : "");
	memset(io, 0, sizeof *io);
	io->tests = tests;
	io->close_fd[0] = io->close_fd[1] = -1;
	snprintf(io->out, sizeof io->out, "%s/%s.%d.stdout", t->rundir, name, i);
	snprintf(io->err, sizeof io->err, "%s/%s.%d.stderr", t->rundir, name, i);
	if (tool == TL_TOOL_HELGRIND) {
		io->channel = 1;
		io->s.ndrain = 2;
		for (int k = 0; k < 2; k++)
			if (tl_drain_pipe(&io->s.drain[k], &io->close_fd[k], MAX_OUTPUT) != 0)
				goto fail;
		io->s.pass_fd[0] = io->close_fd[0];
		io->s.pass_fd[1] = io->close_fd[1];
		return 0;
	}
	int fifo = cfg->grading && (tool == TL_TOOL_TEST ? cfg->canary : cfg->sandbox);
	if (fifo) {
		char path[TL_PATH + 128];
		snprintf(io->chan, sizeof io->chan, "%s/%s.%d.chan", t->rundir, name, i);
		if (fresh_dir(io->chan) != 0)
			goto fail;
		/* cmocka names its file after the group, which the canary calls "threadlab". */
		snprintf(io->base, sizeof io->base, "%s/%s", io->chan, tool == TL_TOOL_TEST ? "cmocka.%g" : "log");
		if (tool == TL_TOOL_TEST)
			snprintf(path, sizeof path, "%s/cmocka.threadlab", io->chan);
		else
			snprintf(path, sizeof path, "%s/log.%d", io->chan, SANDBOX_PROGRAM_PID);
		io->channel = 1;
		io->s.ndrain = 1;
		if (tl_drain_fifo(&io->s.drain[0], path, MAX_OUTPUT) != 0)
			goto fail;
		return 0;
	}
	if (cfg->grading && tool != TL_TOOL_TEST) {
		/* Grading without the sandbox (--unsafe-no-sandbox): the program's uid writes its
		 * log, named after its pid, in a folder of this run's own. */
		snprintf(io->chan, sizeof io->chan, "%s/%s.%d.chan", t->rundir, name, i);
		if (fresh_dir(io->chan) != 0 || tl_sandbox_prepare_dir(cfg, io->chan) != 0)
			goto fail;
		snprintf(io->base, sizeof io->base, "%s/log", io->chan);
		return 0;
	}
	snprintf(io->base, sizeof io->base, "%s/%s.%d.%s", t->rundir, name, i, tool == TL_TOOL_TEST ? "xml" : "log");
	if (tool == TL_TOOL_TEST) {
		tl_strlcpy(io->file, io->base, sizeof io->file);
		if (unlink(io->file) != 0 && errno != ENOENT)
			goto fail;
	}
	return 0;
fail:
	snprintf(note, notelen, "cannot set up the report channel of %s in %s: %s", name, t->rundir, strerror(errno));
	for (int k = 0; k < 2; k++)
		if (io->close_fd[k] >= 0)
			close(io->close_fd[k]);
	for (int k = 0; k < io->s.ndrain; k++) {
		if (io->s.drain[k].fd >= 0)
			close(io->s.drain[k].fd);
		if (io->s.drain[k].hold_fd >= 0)
			close(io->s.drain[k].hold_fd);
	}
	io->s.ndrain = 0;
	return -1;
}

/* The command and environment of TOOL's run (EXTRA gets the tool's variables; the buffers
 * OPT, V1, V2 hold them). Returns the number of ARGV entries. */
static int tool_command(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool,
			const struct run_io *io, int setarch, char **argv, const char **extra,
			char (*buf)[TL_PATH * 2 + 256])
{
	int a = 0;
	switch (tool) {
	case TL_TOOL_TSAN:
		/* When grading, TSan's own RSS limit stands in for the memory rlimit TSan cannot have.
		 * The tests hammer shared data far longer than the programs: with a short history
		 * TSan cannot restore the earlier access's stack and drops the report (lab 01's
		 * racy tests: 11 of 12 reported at history_size=4, 42 of 42 at 7). */
		snprintf(buf[0], sizeof buf[0],
			 "TSAN_OPTIONS=log_path=%s exitcode=" TSAN_EXITCODE
			 " second_deadlock_stack=1 history_size=%d halt_on_error=0%s",
			 io->base, io->tests ? 7 : 4, cfg->grading ? " hard_rss_limit_mb=8192" : "");
		extra[0] = buf[0];
		if (setarch) {
			argv[a++] = "setarch";
			argv[a++] = "x86_64";
			argv[a++] = "-R";
		}
		argv[a++] = io->tests ? t->bin_test_tsan : t->bin_tsan;
		break;
	case TL_TOOL_HELGRIND:
		snprintf(buf[0], sizeof buf[0], "--xml-fd=%d", io->s.pass_fd[0]);
		snprintf(buf[1], sizeof buf[1], "--log-fd=%d", io->s.pass_fd[1]);
		/* Known false positives of this Valgrind, each explained in the file. */
		snprintf(buf[2], sizeof buf[2], "--suppressions=%s/harness/src/helgrind.supp", cfg->root);
		argv[a++] = "valgrind";
		argv[a++] = "--tool=helgrind";
		argv[a++] = "--xml=yes";
		argv[a++] = buf[0];
		argv[a++] = buf[1];
		argv[a++] = "--error-exitcode=" HG_EXITCODE;
		argv[a++] = "--child-silent-after-fork=yes";
		argv[a++] = buf[2];
		argv[a++] = t->bin_plain;
		break;
	case TL_TOOL_THREADCHECK:
		snprintf(buf[0], sizeof buf[0], "LD_PRELOAD=%s", cfg->tc_lib);
		snprintf(buf[1], sizeof buf[1], "THREADCHECK_LOG=%s", io->base);
		extra[0] = buf[1];
		extra[1] = "THREADCHECK_EXITCODE=" TC_EXITCODE;
		if (cfg->grading && cfg->sandbox) {
			/* Preloaded into the program only, through env(1) inside the sandbox: in
			 * bubblewrap's environment it would also run in bubblewrap's own processes. */
			argv[a++] = "env";
			argv[a++] = buf[0];
		} else {
			extra[2] = buf[0];
		}
		argv[a++] = io->tests ? t->bin_test : t->bin_plain;
		break;
	case TL_TOOL_TEST:
		snprintf(buf[1], sizeof buf[1], "CMOCKA_XML_FILE=%s", io->base);
		extra[0] = "CMOCKA_MESSAGE_OUTPUT=xml";
		extra[1] = buf[1];
		argv[a++] = t->bin_test;
		break;
	case TL_TOOL_COUNT:
		TL_ASSERT(!"no such tool");
	}
	argv[a] = NULL;
	return a;
}

/* Leaves what the channel carried beside the run's output, as IO->out with ".report" for
 * ".stdout" (for `grade --keep` and the curious); best effort. */
static void keep_copy(const struct run_io *io, const char *text, size_t len)
{
	char path[TL_PATH + 96];
	size_t n = strlen(io->out) - strlen(".stdout");
	snprintf(path, sizeof path, "%.*s.report", (int)n, io->out);
	(void)unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
}

/* The report of the run: what its channel carried, or its log file (for TSan and threadcheck
 * named after the program's pid). Returns malloc'd text (possibly empty) and its length. */
static char *collect(struct run_io *io, enum tl_tool tool, size_t *len)
{
	*len = 0;
	if (io->channel) {
		char *text = io->s.drain[0].buf;
		*len = io->s.drain[0].len;
		io->s.drain[0].buf = NULL;
		keep_copy(io, text, *len);
		return text;
	}
	if (io->file[0] == '\0' && tool != TL_TOOL_HELGRIND)
		snprintf(io->file, sizeof io->file, "%s.%d", io->base, io->s.pid);
	int trunc = 0;
	char *text = tl_read_file(io->file, MAX_OUTPUT, len, &trunc);
	if (text == NULL) {
		text = calloc(1, 1);
		TL_ASSERT(text != NULL);
		*len = 0;
	}
	return text;
}

/* Frees what prepare_io and the spawn left. */
static void io_free(struct run_io *io)
{
	for (int k = 0; k < TL_SPAWN_MAX_DRAINS; k++) {
		free(io->s.drain[k].buf);
		io->s.drain[k].buf = NULL;
	}
}

/* The exit status each tool gives a run in which it reported (the canaries guarantee one). */
static int reported_exit(enum tl_tool tool, int code, tl_kindset kinds)
{
	switch (tool) {
	case TL_TOOL_TSAN:
		return code == atoi(TSAN_EXITCODE);
	case TL_TOOL_HELGRIND:
		return code == atoi(HG_EXITCODE);
	case TL_TOOL_THREADCHECK:
		return code == atoi(TC_EXITCODE) ||
		       (code == TC_DEADLOCK_EXITCODE && (kinds & TL_KINDSET(TL_KIND_DEADLOCK)));
	case TL_TOOL_TEST:
		return code != 0; /* the number of failed tests, the canary's included */
	case TL_TOOL_COUNT:
		break;
	}
	return 0;
}

/* When the canaries are in: takes them out of RUN and checks that the tool was alive to the
 * end. A run that ended by itself must have reported its canary and exited with the status
 * the tool gives a run with reports; otherwise the program interfered with the tool (switched
 * it off, cut or rewrote its report, or overrode its exit status), and RUN gets an
 * interference finding. A run that was killed or crashed already has its finding. */
static void check_liveness(const struct tl_config *cfg, enum tl_tool tool, const struct tl_spawn *s,
			   struct tl_findings *run)
{
	if (!cfg->canary)
		return;
	int seen = tl_canary_take(tool, run);
	tl_kindset kinds = tl_findings_kinds(run);
	if (!s->exited || s->timed_out || (kinds & TL_KINDSET(TL_KIND_INTERFERENCE)))
		return;
	char msg[256] = "";
	const char *who = tl_canary_reporter(tool);
	if (seen == 0 && !(tool == TL_TOOL_THREADCHECK && (kinds & TL_KINDSET(TL_KIND_DEADLOCK))))
		snprintf(msg, sizeof msg, "the program interfered with %s: the %s that the harness plants in every run, and %s always reports, is missing",
			 who, tl_canary_what(tool), who);
	else if (!reported_exit(tool, s->exit_code, kinds))
		snprintf(msg, sizeof msg, "the program interfered with %s: the run exited with status %d, not the status %s gives a run it reported on",
			 who, s->exit_code, who);
	if (msg[0] != '\0')
		add_run_finding(run, tool, TL_KIND_INTERFERENCE, "interference", msg, NULL);
}

/* Parses TEXT, TOOL's report of one run, into RUN (and *TEST_CASES for the tests). Returns 0,
 * or -1 with NOTE filled when the report cannot be read and nothing explains why. */
static int parse_report(const struct tl_config *cfg, enum tl_tool tool, const char *text, size_t len,
			const struct tl_spawn *s, struct tl_findings *run, int *test_cases, char *note,
			size_t notelen)
{
	char perr[256] = "";
	int prc = 0;
	switch (tool) {
	case TL_TOOL_TSAN:
		prc = tl_parse_tsan(text, len, run, perr, sizeof perr);
		break;
	case TL_TOOL_HELGRIND:
		prc = tl_parse_helgrind(text, len, run, perr, sizeof perr);
		break;
	case TL_TOOL_THREADCHECK:
		prc = tl_parse_threadcheck(text, len, run, perr, sizeof perr);
		break;
	case TL_TOOL_TEST:
		prc = tl_parse_cmocka(text, len, run, perr, sizeof perr);
		if (prc == 0)
			*test_cases = tl_cmocka_count_cases(text, len);
		break;
	case TL_TOOL_COUNT:
		break;
	}
	if (prc != 0 && !s->timed_out && cfg->canary) {
		/* The tools write well-formed reports; when grading, the program is the one other
		 * writer that could have reached the channel. */
		char msg[256];
		snprintf(msg, sizeof msg, "the program interfered with %s: its report cannot be read (%s)",
			 tl_canary_reporter(tool), perr);
		add_run_finding(run, tool, TL_KIND_INTERFERENCE, "interference", msg, NULL);
		return 0;
	}
	if (prc != 0 && !s->timed_out) {
		snprintf(note, notelen, "cannot read %s's report: %s", tl_tool_name(tool), perr);
		return -1;
	}
	/* A log cut short is worth a note only when nothing explains it: after a timeout the
	 * kill is the explanation, and the timeout finding says so. When grading, a report cut
	 * short in a run that ended by itself is the program's doing (an unclosed element or
	 * block written into the channel hides whatever the tool reports after it). */
	if (perr[0] != '\0' && !s->timed_out && cfg->canary && !s->signaled) {
		char msg[256];
		snprintf(msg, sizeof msg, "the program interfered with %s: its report is cut short (%s)",
			 tl_canary_reporter(tool), perr);
		add_run_finding(run, tool, TL_KIND_INTERFERENCE, "interference", msg, NULL);
	} else if (perr[0] != '\0' && !s->timed_out) {
		snprintf(note, notelen, "%s", perr);
	}
	return 0;
}

/* Why Valgrind stopped on its own before the program ended, from its messages in TEXT, into
 * WHY: the line after "the 'impossible' happened:" (e.g. "Max number of threads is too low")
 * or the text of a "FATAL" line. Returns 1 when one was found, else 0 (WHY is then ""). */
static int valgrind_gave_up(const char *text, char *why, size_t len)
{
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
	return p != NULL;
}

/* The tool-side failures that make a run count for nothing (not clean, not a finding): TSan
 * that could not start, Valgrind that wrote no XML or gave up before the program ended.
 * Returns 1 with NOTE filled when the run failed so. */
static int tool_failed(enum tl_tool tool, const struct run_io *io, size_t len, const char *text,
		       char *note, size_t notelen)
{
	const struct tl_spawn *s = &io->s;
	if (tool == TL_TOOL_TSAN && !s->timed_out && len == 0 && file_contains(io->err, "FATAL: ThreadSanitizer")) {
		snprintf(note, notelen, "ThreadSanitizer failed to run the program; see %s", io->err);
		return 1;
	}
	if (tool != TL_TOOL_HELGRIND || s->timed_out)
		return 0;
	const char *vlog = s->drain[1].buf != NULL ? s->drain[1].buf : "";
	char why[256];
	if (len == 0) {
		snprintf(note, notelen, "valgrind wrote no XML (exit %d): %.150s", s->exit_code, vlog);
		return 1;
	}
	/* XML cut short although nobody killed the run: Valgrind itself gave up (a program with
	 * more threads than it supports, say), so the program was not checked to the end. */
	if (!s->signaled && strstr(text, "</valgrindoutput>") == NULL) {
		if (valgrind_gave_up(vlog, why, sizeof why))
			snprintf(note, notelen, "Valgrind stopped before the program ended: %s", why);
		else
			snprintf(note, notelen, "Valgrind stopped before the program ended (exit %d, XML cut short)", s->exit_code);
		return 1;
	}
	return 0;
}

/* Spawns the run set up in IO, confined when grading. Returns tl_spawn_run's result. */
static int spawn_run(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool, int i,
		     char **argv, const char *const *extra, struct run_io *io, char *err, size_t errlen)
{
	char **env = tl_env_make(extra);
	const char *ro[] = {t->outdir, io->chan[0] != '\0' ? io->chan : NULL, NULL};
	char **confined = cfg->grading ? tl_sandbox_wrap_run(cfg, tl_sb_profile_of(tool), ro, argv) : NULL;
	struct tl_spawn *s = &io->s;
	s->argv = confined != NULL ? confined : argv;
	if (cfg->grading)
		s->limits = tool == TL_TOOL_TSAN ? &cfg->tsan_limits : &cfg->limits;
	s->envp = env;
	s->stdout_path = io->out;
	s->stderr_path = io->err;
	/* The tests do more work than the program: under TSan (5-15x) they get Helgrind's margin. */
	s->timeout_s = t->timeout_s * (io->tests ? 3 : tool_time_factor(tool));
	s->max_output = MAX_OUTPUT;
	snprintf(s->stacks_path, sizeof s->stacks_path, "%s/%s%s.%d.stacks", t->rundir, tl_tool_name(tool),
		 io->tests ? "-tests" : "", i);
	unlink(s->stacks_path);
	/* In its own PID namespace the program cannot be reached by gdb from here. */
	if (cfg->sandbox)
		s->stacks_path[0] = '\0';
	int rc = tl_spawn_run(s, err, errlen);
	for (int k = 0; k < 2; k++)
		if (io->close_fd[k] >= 0)
			close(io->close_fd[k]);
	io->close_fd[0] = io->close_fd[1] = -1;
	tl_env_free(env);
	tl_argv_free(confined);
	if (rc == 0 && cfg->sandbox && s->exited && s->exit_code > 128 && s->exit_code <= 128 + 64) {
		/* bubblewrap passes a child's death by signal N on as exit status 128+N. */
		s->exited = 0;
		s->signaled = 1;
		s->signo = s->exit_code - 128;
	}
	return rc;
}

/* Whether TSan hit its shadow layout's clash with this kernel's mmap randomisation. */
static int tsan_mapping_clash(const struct run_io *io, const char *text)
{
	return file_contains(io->err, "unexpected memory mapping") ||
	       (text != NULL && strstr(text, "unexpected memory mapping") != NULL);
}

/* One run of TOOL on T, index I: prepare its channels, spawn, collect, parse. Appends
 * findings to RUN. Returns 0, or -1 when the tool itself failed (NOTE says why). */
static int run_once(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i, int tests,
		    struct tl_findings *run, int *test_cases, char *note, size_t notelen)
{
	for (int attempt = 0;; attempt++) {
		struct run_io io;
		if (prepare_io(cfg, t, tool, i, tests, &io, note, notelen) != 0)
			return -1;
		if (!io.channel && tool != TL_TOOL_TEST) {
			char prefix[64];
			snprintf(prefix, sizeof prefix, "%s%s.%d.log.", tl_tool_name(tool), tests ? "-tests" : "", i);
			remove_prefixed(t->rundir, prefix);
		}
		char *argv[32];
		const char *extra[4] = {NULL, NULL, NULL, NULL};
		char buf[3][TL_PATH * 2 + 256];
		int setarch = atomic_load(&said_setarch) > 0;
		tool_command(cfg, t, tool, &io, setarch, argv, extra, buf);
		char err[256];
		if (spawn_run(cfg, t, tool, i, argv, extra, &io, err, sizeof err) != 0) {
			snprintf(note, notelen, "could not start %s: %s", argv[0], err);
			io_free(&io);
			return -1;
		}
		size_t len = 0;
		char *text = collect(&io, tool, &len);
		if (tool == TL_TOOL_TSAN && !setarch && attempt == 0 && tsan_mapping_clash(&io, text)) {
			/* TSan's shadow layout does not fit this kernel's mmap randomisation: rerun with
			 * randomisation off for this process only. */
			if (atomic_fetch_add(&said_setarch, 1) == 0)
				fprintf(stderr, "threadlab: TSan hit 'unexpected memory mapping' (high mmap "
						"randomisation); rerunning TSan jobs under 'setarch -R'\n");
			free(text);
			io_free(&io);
			continue;
		}
		if (setarch && tool == TL_TOOL_TSAN)
			snprintf(note, notelen, "ran under setarch -R (TSan memory mapping)");
		int rc = -1;
		if (!tool_failed(tool, &io, len, text, note, notelen) &&
		    parse_report(cfg, tool, text, len, &io.s, run, test_cases, note, notelen) == 0) {
			rc = 0;
			for (size_t k = 0; k < run->n; k++) {
				run->v[k].tool = tool;
				/* Sources are compiled by absolute path; show them as the user typed them. */
				char cwd[TL_PATH];
				if (getcwd(cwd, sizeof cwd) != NULL)
					tl_finding_strip_dir(&run->v[k], cwd);
			}
			check_liveness(cfg, tool, &io.s, run);
			run_level(cfg, t, tool, &io.s, io.err, run);
		}
		free(text);
		io_free(&io);
		return rc;
	}
}

/* Whether TOOL's runs of T also run T's tests under the tool. When grading, TSan watches the
 * lab's tests as well as its program: the tests do more work, so code that is careful only
 * while the program runs, or only while the work is small, is seen too. Helgrind (100-200x
 * slower than native: two minutes on lab 01's tests) watches the program only, and so does
 * threadcheck, since the tests check for leftover threads themselves and some abandon threads
 * on purpose (18-shutdown's timed-out shutdown). */
static int watches_tests(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool)
{
	return cfg->grading && t->ntest_src > 0 && tool == TL_TOOL_TSAN;
}

/* Run I of TOOL on T's tests: its findings join RUN, except thread leaks (a test may abandon
 * a thread by the lab's contract). Returns run_once's result. */
static int run_tests_watched(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i,
			     struct tl_findings *run, char *note, size_t notelen)
{
	struct tl_findings tests = {0};
	int cases = 0;
	int rc = run_once(cfg, t, tool, i, 1, &tests, &cases, note, notelen);
	size_t kept = 0;
	for (size_t k = 0; k < tests.n; k++) {
		if (tests.v[k].kind == TL_KIND_THREAD_LEAK) {
			free(tests.v[k].detail);
			continue;
		}
		tests.v[kept++] = tests.v[k];
	}
	tests.n = kept;
	tl__findings_move(run, &tests);
	tl_findings_free(&tests);
	return rc;
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
		int rc = run_once(cfg, t, tool, i, 0, &run, &cases, note, sizeof note);
		if (rc == 0 && watches_tests(cfg, t, tool))
			rc = run_tests_watched(cfg, t, tool, i, &run, note, sizeof note);
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

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

/* Per-run cap on each captured file (stdout, stderr, tool logs). */
#define MAX_OUTPUT (64LL << 20)
/* The pid the program has inside the sandbox's own PID namespace: bubblewrap is 1 and starts
 * the command as 2, and every wrapper (env, setarch) execs the next program in place. */
#define SANDBOX_PROGRAM_PID 2

static atomic_int said_setarch;

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
		if (tl_pathf(p, sizeof p, "%s/%s", dir, e->d_name) == 0)
			unlink(p);
	}
	closedir(d);
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

/* Points the timeout finding F (whose detail holds gdb's stacks) at where the threads were
 * stuck: the first two threads' innermost frames in the user's code. */
static void timeout_sites(struct tl_finding *f, int timeout_s)
{
	struct tl_site sites[2];
	char threads[2][64];
	int k = tl_parse_gdb_stacks(f->detail, sites, threads, 2);
	if (k > 0) {
		f->site = sites[0];
		tl_strlcpy(f->thread, threads[0], sizeof f->thread);
		tl__errf(f->message, sizeof f->message,
			 "did not finish within %d s and was killed; threads were stuck at %s:%d in %s%s", timeout_s,
			 sites[0].file, sites[0].line, sites[0].function, k > 1 ? " and more (see the stacks)" : "");
	}
	if (k > 1) {
		f->other = sites[1];
		tl_strlcpy(f->other_thread, threads[1], sizeof f->other_thread);
	}
}

/* Adds the run's outcome that the tool's channel does not carry itself: a timeout (with
 * every thread's stack), death by a signal, or a test program that failed without saying
 * which test. */
static void run_level(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool,
		      const struct tl_spawn *s, const char *errp, struct tl_findings *run)
{
	char msg[256];
	if (s->timed_out) {
		int timeout_s = t->timeout_s * tl_tool(tool)->time_factor;
		snprintf(msg, sizeof msg, "did not finish within %d s and was killed", timeout_s);
		int have_stacks = access(s->stacks_path, R_OK) == 0;
		add_run_finding(run, tool, TL_KIND_TIMEOUT, "timeout", msg, have_stacks ? s->stacks_path : NULL);
		struct tl_finding *f = &run->v[run->n - 1];
		if (f->detail != NULL)
			timeout_sites(f, timeout_s);
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
	if (tl_tool(tool)->hooks->exit_counts_failures && s->exit_code != 0 && run->n == 0 && !cfg->canary) {
		snprintf(msg, sizeof msg,
			 "the test program exited with status %d without reporting a failed test", s->exit_code);
		add_run_finding(run, tool, TL_KIND_TEST_FAIL, "exit status", msg, errp);
	}
}

/* One run's files and report channel. Everything here is made by the grader, in T's rundir:
 * the program never writes there except through the descriptors it is handed. */
struct run_io {
	enum tl_tool tool;
	const struct tl_tool_ops *ops;
	char name[64];             /* the tool's name, with "-tests" for a run of the lab's tests */
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

/* TL_CH_PIPES: Valgrind writes its XML and its own messages to pipes it keeps out of the
 * client's reach. Returns 0, or -1 with errno. */
static int open_pipes(struct run_io *io)
{
	io->channel = 1;
	io->s.ndrain = 2;
	for (int k = 0; k < 2; k++)
		if (tl_drain_pipe(&io->s.drain[k], &io->close_fd[k], MAX_OUTPUT) != 0)
			return -1;
	io->s.pass_fd[0] = io->close_fd[0];
	io->s.pass_fd[1] = io->close_fd[1];
	return 0;
}

/* When grading in the sandbox: the tool writes to a FIFO in a folder of this run's own that the
 * program sees read-only; the grader drains it while the program runs, so nothing the program
 * does later can take back what a tool wrote. Returns 0, or -1 with errno. */
static int open_fifo(const struct tl_target *t, int i, struct run_io *io)
{
	const int group = io->ops->channel == TL_CH_GROUP_FILE;
	char path[TL_PATH + 128];
	if (tl_pathf(io->chan, sizeof io->chan, "%s/%s.%d.chan", t->rundir, io->name, i) != 0 ||
	    fresh_dir(io->chan) != 0)
		return -1;
	/* cmocka names its file after the group, which the canary calls "threadlab". */
	snprintf(io->base, sizeof io->base, "%s/%s", io->chan, group ? "cmocka.%g" : "log");
	if (group)
		snprintf(path, sizeof path, "%s/cmocka.threadlab", io->chan);
	else
		snprintf(path, sizeof path, "%s/log.%d", io->chan, SANDBOX_PROGRAM_PID);
	io->channel = 1;
	io->s.ndrain = 1;
	return tl_drain_fifo(&io->s.drain[0], path, MAX_OUTPUT);
}

/* Grading without the sandbox (--unsafe-no-sandbox): the program's uid writes its log, named
 * after its pid, in a folder of this run's own. Returns 0, or -1 with errno. */
static int open_run_folder(const struct tl_config *cfg, const struct tl_target *t, int i, struct run_io *io)
{
	if (tl_pathf(io->chan, sizeof io->chan, "%s/%s.%d.chan", t->rundir, io->name, i) != 0 ||
	    fresh_dir(io->chan) != 0 || tl_sandbox_prepare_dir(cfg, io->chan) != 0)
		return -1;
	snprintf(io->base, sizeof io->base, "%s/log", io->chan);
	return 0;
}

/* Elsewhere: files in the rundir, read back by their exact names. Returns 0, or -1 with errno. */
static int open_files(const struct tl_target *t, int i, struct run_io *io)
{
	const int group = io->ops->channel == TL_CH_GROUP_FILE;
	snprintf(io->base, sizeof io->base, "%s/%s.%d.%s", t->rundir, io->name, i, group ? "xml" : "log");
	if (group) {
		tl_strlcpy(io->file, io->base, sizeof io->file);
		if (unlink(io->file) != 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

/* Closes what a failed prepare_io had opened. */
static void close_io(struct run_io *io)
{
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
}

/* Sets up where TOOL's report for run I goes (see struct run_io and the channels above).
 * Returns 0, or -1 with NOTE filled. */
static int prepare_io(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool, int i,
		      int tests, struct run_io *io, char *note, size_t notelen)
{
	memset(io, 0, sizeof *io);
	io->tool = tool;
	io->ops = tl_tool(tool);
	snprintf(io->name, sizeof io->name, "%s%s", io->ops->name, tests ? "-tests" : "");
	io->tests = tests;
	io->close_fd[0] = io->close_fd[1] = -1;
	const enum tl_channel ch = io->ops->channel;
	int rc;
	if (tl_pathf(io->out, sizeof io->out, "%s/%s.%d.stdout", t->rundir, io->name, i) != 0 ||
	    tl_pathf(io->err, sizeof io->err, "%s/%s.%d.stderr", t->rundir, io->name, i) != 0)
		rc = -1;
	else if (ch == TL_CH_PIPES)
		rc = open_pipes(io);
	else if (cfg->grading && (ch == TL_CH_GROUP_FILE ? cfg->canary : cfg->sandbox))
		rc = open_fifo(t, i, io);
	else if (cfg->grading && ch == TL_CH_PID_LOG)
		rc = open_run_folder(cfg, t, i, io);
	else
		rc = open_files(t, i, io);
	if (rc == 0)
		return 0;
	tl__errf(note, notelen, "cannot set up the report channel of %s in %s: %s", io->name, t->rundir,
		 strerror(errno));
	close_io(io);
	return -1;
}

/* Leaves what the channel carried beside the run's output, as IO->out with ".report" for
 * ".stdout" (for `grade --keep` and the curious); best effort. */
static void keep_copy(const struct run_io *io, const char *text, size_t len)
{
	char path[TL_PATH + 96];
	size_t n = strlen(io->out) - strlen(".stdout");
	snprintf(path, sizeof path, "%.*s.report", (int)n, io->out);
	int fd = tl_open_fresh(path);
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

/* The report of the run: what its channel carried, or its log file (for TL_CH_PID_LOG named
 * after the program's pid). Returns malloc'd text (possibly empty) and its length. */
static char *collect(struct run_io *io, size_t *len)
{
	*len = 0;
	if (io->channel) {
		char *text = io->s.drain[0].buf;
		*len = io->s.drain[0].len;
		io->s.drain[0].buf = NULL;
		keep_copy(io, text, *len);
		return text;
	}
	if (io->file[0] == '\0')
		(void)tl_pathf(io->file, sizeof io->file, "%s.%d", io->base, io->s.pid);
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

/* Whether CODE is the exit status H's tool gives a run in which it reported (the canaries
 * guarantee one), with KINDS reported. */
static int reported_exit(const struct tl_tool_hooks *h, int code, tl_kindset kinds)
{
	if (h->exit_counts_failures)
		return code != 0;
	return code == h->report_exit ||
	       (h->deadlock_exit != 0 && code == h->deadlock_exit && (kinds & TL_KINDSET(TL_KIND_DEADLOCK)));
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
	const struct tl_tool_hooks *h = tl_tool(tool)->hooks;
	int seen = tl_canary_take(tool, run);
	tl_kindset kinds = tl_findings_kinds(run);
	if (!s->exited || s->timed_out || (kinds & TL_KINDSET(TL_KIND_INTERFERENCE)))
		return;
	char msg[256] = "";
	const char *who = h->reporter;
	/* A deadlock report ends the run before the canary is reported. */
	int deadlock_ended = h->deadlock_exit != 0 && (kinds & TL_KINDSET(TL_KIND_DEADLOCK));
	if (seen == 0 && !deadlock_ended)
		snprintf(msg, sizeof msg, "the program interfered with %s: the %s that the harness plants in every run, and %s always reports, is missing",
			 who, h->canary, who);
	else if (!reported_exit(h, s->exit_code, kinds))
		snprintf(msg, sizeof msg, "the program interfered with %s: the run exited with status %d, not the status %s gives a run it reported on",
			 who, s->exit_code, who);
	if (msg[0] != '\0')
		add_run_finding(run, tool, TL_KIND_INTERFERENCE, "interference", msg, NULL);
}

/* Adds to RUN that the program interfered with TOOL's report, which is WHAT (PERR). */
static void report_interference(enum tl_tool tool, const char *what, const char *perr, struct tl_findings *run)
{
	char msg[256];
	snprintf(msg, sizeof msg, "the program interfered with %s: its report %s (%s)", tl_tool(tool)->hooks->reporter,
		 what, perr);
	add_run_finding(run, tool, TL_KIND_INTERFERENCE, "interference", msg, NULL);
}

/* Parses TEXT, TOOL's report of one run, into RUN (and *TEST_CASES for the tests). Returns 0,
 * or -1 with NOTE filled when the report cannot be read and nothing explains why. */
static int parse_report(const struct tl_config *cfg, enum tl_tool tool, const char *text, size_t len,
			const struct tl_spawn *s, struct tl_findings *run, int *test_cases, char *note,
			size_t notelen)
{
	const struct tl_tool_hooks *h = tl_tool(tool)->hooks;
	char perr[256] = "";
	int prc = h->parse(text, len, run, perr, sizeof perr);
	if (prc == 0 && h->count_cases != NULL)
		*test_cases = h->count_cases(text, len);
	if (prc != 0 && !s->timed_out && cfg->canary) {
		/* The tools write well-formed reports; when grading, the program is the one other
		 * writer that could have reached the channel. */
		report_interference(tool, "cannot be read", perr, run);
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
	if (perr[0] != '\0' && !s->timed_out && cfg->canary && !s->signaled)
		report_interference(tool, "is cut short", perr, run);
	else if (perr[0] != '\0' && !s->timed_out)
		snprintf(note, notelen, "%s", perr);
	return 0;
}

/* Spawns the run set up in IO with command CMD, confined when grading. Returns tl_spawn_run's
 * result. */
static int spawn_run(const struct tl_config *cfg, const struct tl_target *t, int i, const struct tl_tool_cmd *cmd,
		     struct run_io *io, char *err, size_t errlen)
{
	const struct tl_tool_ops *o = io->ops;
	const char *ro[] = {t->outdir, io->chan[0] != '\0' ? io->chan : NULL, NULL};
	const struct tl_jail jail = {o->profile, NULL, ro};
	struct tl_spawn *s = &io->s;
	/* A TSan build maps terabytes of shadow memory: it gets the limits without RLIMIT_AS. */
	if (cfg->grading)
		s->limits = o->build == TL_BUILD_TSAN ? &cfg->tsan_limits : &cfg->limits;
	s->stdout_path = io->out;
	s->stderr_path = io->err;
	/* The tests do more work than the program: under TSan (5-15x) they get Helgrind's margin. */
	s->timeout_s = t->timeout_s * (io->tests ? 3 : o->time_factor);
	s->max_output = MAX_OUTPUT;
	/* In its own PID namespace the program cannot be reached by gdb from here; and with no
	 * room for the path there are no stacks either. */
	if (tl_pathf(s->stacks_path, sizeof s->stacks_path, "%s/%s.%d.stacks", t->rundir, io->name, i) == 0)
		unlink(s->stacks_path);
	if (cfg->sandbox)
		s->stacks_path[0] = '\0';
	/* tl_spawn_run closes the passed write ends itself, right after the fork. */
	io->close_fd[0] = io->close_fd[1] = -1;
	int rc = tl_spawn_jailed(cfg, cfg->grading ? &jail : NULL, cmd->argv, cmd->extra, s, err, errlen);
	if (rc == 0 && cfg->sandbox && s->exited && s->exit_code > 128 && s->exit_code <= 128 + 64) {
		/* bubblewrap passes a child's death by signal N on as exit status 128+N. */
		s->exited = 0;
		s->signaled = 1;
		s->signo = s->exit_code - 128;
	}
	return rc;
}

/* Appends the program's own arguments (analyze -- PROG ARGS) to CMD, whose every tool ends
 * with the program: not to a run of the tests. Returns 0, or -1 when they do not all fit in
 * CMD (a run with some of its arguments dropped would be another run than the user asked). */
static int append_args(const struct tl_target *t, int tests, struct tl_tool_cmd *cmd)
{
	const size_t room = sizeof cmd->argv / sizeof cmd->argv[0] - 1;
	size_t a = 0;
	if (tests || t->args == NULL)
		return 0;
	while (cmd->argv[a] != NULL)
		a++;
	for (size_t k = 0; t->args[k] != NULL; k++) {
		if (a == room)
			return -1;
		cmd->argv[a++] = t->args[k];
	}
	cmd->argv[a] = NULL;
	return 0;
}

/* Prepares run I of TOOL on T (its channel, its command) and runs it. Returns 0 with IO
 * holding the run, or -1 with NOTE filled (nothing left to free). */
static int start_run(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i, int tests,
		     int setarch, struct run_io *io, char *note, size_t notelen)
{
	if (prepare_io(cfg, t, tool, i, tests, io, note, notelen) != 0)
		return -1;
	const struct tl_tool_ops *o = io->ops;
	if (!io->channel && o->channel == TL_CH_PID_LOG) {
		char prefix[96];
		snprintf(prefix, sizeof prefix, "%s.%d.log.", io->name, i);
		remove_prefixed(t->rundir, prefix);
	}
	struct tl_tool_run run = {
		.binary = tl_build_output(t, tests ? o->tests_build : o->build),
		.base = io->base,
		.fd = {io->s.pass_fd[0], io->s.pass_fd[1]},
		.tests = tests,
		.setarch = setarch,
	};
	struct tl_tool_cmd cmd;
	memset(&cmd, 0, sizeof cmd);
	o->hooks->command(cfg, &run, &cmd);
	char err[256];
	if (append_args(t, tests, &cmd) != 0) {
		tl__errf(note, notelen, "could not start %s: the program's arguments do not fit its command line (%zu words)",
			 cmd.argv[0], sizeof cmd.argv / sizeof cmd.argv[0] - 1);
		io_free(io);
		return -1;
	}
	if (spawn_run(cfg, t, i, &cmd, io, err, sizeof err) != 0) {
		tl__errf(note, notelen, "could not start %s: %s", cmd.argv[0], err);
		io_free(io);
		return -1;
	}
	return 0;
}

/* Whether the run in IO (report TEXT) must be made again under setarch -R: the tool's memory
 * layout does not fit this kernel's mmap randomisation. Said once per process on stderr. */
static int retry_under_setarch(const struct run_io *io, int setarch, int attempt, const char *text)
{
	int (*clash)(const char *, const char *) = io->ops->hooks->mapping_clash;
	if (clash == NULL || setarch || attempt != 0 || !clash(io->err, text))
		return 0;
	if (atomic_fetch_add(&said_setarch, 1) == 0)
		fprintf(stderr, "threadlab: TSan hit 'unexpected memory mapping' (high mmap "
				"randomisation); rerunning TSan jobs under 'setarch -R'\n");
	return 1;
}

/* Reads the finished run in IO, whose report is TEXT (LEN bytes): the tool's own failure, the
 * findings, the canary and the run's outcome go to RUN. Returns 0, or -1 when the tool itself
 * failed (NOTE says why). */
static int read_run(const struct tl_config *cfg, const struct tl_target *t, struct run_io *io, int setarch,
		    const char *text, size_t len, struct tl_findings *run, int *test_cases, char *note, size_t notelen)
{
	const struct tl_tool_hooks *h = io->ops->hooks;
	if (setarch && h->mapping_clash != NULL)
		snprintf(note, notelen, "ran under setarch -R (TSan memory mapping)");
	if (h->failed != NULL && h->failed(&io->s, io->err, text, len, note, notelen))
		return -1;
	if (parse_report(cfg, io->tool, text, len, &io->s, run, test_cases, note, notelen) != 0)
		return -1;
	for (size_t k = 0; k < run->n; k++) {
		run->v[k].tool = io->tool;
		/* Sources are compiled by absolute path; show them as the user typed them. */
		char cwd[TL_PATH];
		if (getcwd(cwd, sizeof cwd) != NULL)
			tl_finding_strip_dir(&run->v[k], cwd);
	}
	check_liveness(cfg, io->tool, &io->s, run);
	size_t before = run->n;
	run_level(cfg, t, io->tool, &io->s, io->err, run);
	/* A timeout's sites come from gdb, which names files by absolute path. */
	char cwd[TL_PATH];
	for (size_t k = before; k < run->n && getcwd(cwd, sizeof cwd) != NULL; k++)
		tl_finding_strip_dir(&run->v[k], cwd);
	return 0;
}

/* One run of TOOL on T, index I: prepare its channels, spawn, collect, parse. Appends
 * findings to RUN. Returns 0, or -1 when the tool itself failed (NOTE says why). */
static int run_once(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i, int tests,
		    struct tl_findings *run, int *test_cases, char *note, size_t notelen)
{
	for (int attempt = 0;; attempt++) {
		struct run_io io;
		int setarch = atomic_load(&said_setarch) > 0;
		if (start_run(cfg, t, tool, i, tests, setarch, &io, note, notelen) != 0)
			return -1;
		size_t len = 0;
		char *text = collect(&io, &len);
		int again = retry_under_setarch(&io, setarch, attempt, text);
		int rc = again ? 0 : read_run(cfg, t, &io, setarch, text, len, run, test_cases, note, notelen);
		free(text);
		io_free(&io);
		if (!again)
			return rc;
	}
}

/* Whether TOOL's runs of T also run T's tests under the tool. When grading, TSan watches the
 * lab's tests as well as its program: the tests do more work, so code that is careful only
 * while the program runs, or only while the work is small, is seen too. Helgrind (100-200x
 * slower than native: two minutes on lab 01's tests) watches the program only, and so does
 * threadcheck, since the tests check for leftover threads themselves and some abandon threads
 * on purpose (18-shutdown's timed-out shutdown). tools.def says which build of the tests a
 * tool watches. */
static int watches_tests(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool)
{
	return cfg->grading && t->test_src.n > 0 && tl_tool(tool)->tests_build != TL_BUILD_NONE;
}

/* Run I of TOOL on T's tests: its findings join RUN, except thread leaks (a test may abandon
 * a thread by the lab's contract). Returns run_once's result. */
static int is_thread_leak(const struct tl_finding *f, const void *ctx)
{
	(void)ctx;
	return f->kind == TL_KIND_THREAD_LEAK;
}

static int run_tests_watched(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int i,
			     struct tl_findings *run, char *note, size_t notelen)
{
	struct tl_findings tests = {0};
	int cases = 0;
	int rc = run_once(cfg, t, tool, i, 1, &tests, &cases, note, notelen);
	(void)tl__findings_drop(&tests, is_thread_leak, NULL);
	tl__findings_move(run, &tests);
	tl_findings_free(&tests);
	return rc;
}

/* Counts, for the tests tool, the test cases of one run (CASES, from its report) and how many
 * passed (R's minimum over the runs). A test program that crashed or hung passed nothing we
 * can count. */
static void count_tests(struct tl_result *r, const struct tl_findings *run, int cases)
{
	int failed = 0, broken = 0;
	for (size_t k = 0; k < run->n; k++) {
		int exit_only = strcmp(run->v[k].raw, "exit status") == 0;
		failed += run->v[k].kind == TL_KIND_TEST_FAIL && !exit_only;
		broken |= run->v[k].kind != TL_KIND_TEST_FAIL || exit_only;
	}
	int passed = broken || cases == 0 ? 0 : cases - failed;
	if (cases > r->tests_total)
		r->tests_total = cases;
	if (r->tests_passed_min < 0 || passed < r->tests_passed_min)
		r->tests_passed_min = passed;
}

/* Whether TOOL can run on T at all; else R is marked skipped, with the reason. */
static int can_run(const struct tl_config *cfg, const struct tl_target *t, enum tl_tool tool, struct tl_result *r)
{
	char why[256];
	if (!tl_tool_available(cfg, tool, why, sizeof why)) {
		r->status = TL_ST_SKIPPED;
		tl_strlcpy(r->note, why, sizeof r->note);
		return 0;
	}
	if (tl_build_is_tests(tl_tool(tool)->build) && t->test_src.n == 0) {
		r->status = TL_ST_SKIPPED;
		tl_strlcpy(r->note, "no tests", sizeof r->note);
		return 0;
	}
	/* A program the user built is one build only (tl_target_binary). */
	if (t->prebuilt && tl_build_output(t, tl_tool(tool)->build)[0] == '\0') {
		r->status = TL_ST_SKIPPED;
		enum tl_build_kind is = t->bin_tsan[0] != '\0' ? TL_BUILD_TSAN : TL_BUILD_PLAIN;
		tl__errf(r->note, sizeof r->note, "%s runs a program's %s build; %s is its %s build", tl_tool_name(tool),
			 tl_build_kind_name(tl_tool(tool)->build), t->name, tl_build_kind_name(is));
		return 0;
	}
	return 1;
}

void tl_run_tool(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int deflake)
{
	struct tl_result *r = &t->result[tool];
	if (r->kinds & TL_KINDSET(TL_KIND_BUILD_ERROR))
		return; /* the build stage already gave the verdict */
	if (!can_run(cfg, t, tool, r))
		return;
	double t0 = tl_now();
	r->tests_passed_min = -1;
	int runs = t->runs > 0 ? t->runs : 1;
	for (int i = 0; i < runs; i++) {
		struct tl_findings run = {0};
		char note[256] = "";
		int cases = 0;
		int rc = run_once(cfg, t, tool, i, 0, &run, &cases, note, sizeof note);
		/* Once, in the first run: the tests are the costliest TSan runs of a grade (lab 01's
		 * take 12 s), and with its longest history TSan reports their race on every run. */
		if (rc == 0 && i == 0 && watches_tests(cfg, t, tool))
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
		if (tl_tool(tool)->hooks->count_cases != NULL)
			count_tests(r, &run, cases);
		merge(r, &run);
		tl_findings_free(&run);
		if (deflake && r->kinds != 0)
			break;
	}
	r->seconds = tl_now() - t0;
}

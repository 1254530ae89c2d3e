/* tools.c: each tool's hooks (how it is found, its command, its exit statuses, its canary, how it fails on its own side) and the descriptors tools.def makes of them. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stages.h"

/* The exit statuses the tools are asked to give a run they reported on; threadcheck ends a run
 * with its own default status when it reports a deadlock. */
#define TSAN_EXITCODE 66
#define HG_EXITCODE 65
#define TC_EXITCODE 67
#define TC_DEADLOCK_EXITCODE 68

static int file_contains(const char *path, const char *needle)
{
	size_t n = 0;
	int trunc = 0;
	char *text = tl_read_file(path, 1 << 20, &n, &trunc);
	int found = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* ---- ThreadSanitizer ------------------------------------------------------------------------ */

static int tsan_available(const struct tl_config *cfg, char *why, size_t whylen)
{
	(void)cfg;
	if (!tl_on_path(tl_tsan_cc())) {
		snprintf(why, whylen, "clang is not installed (make deps)");
		return 0;
	}
	return 1;
}

static void tsan_command(const struct tl_config *cfg, const struct tl_tool_run *run, struct tl_tool_cmd *cmd)
{
	/* When grading, TSan's own RSS limit stands in for the memory rlimit TSan cannot have.
	 * The tests hammer shared data far longer than the programs: with a short history TSan
	 * cannot restore the earlier access's stack and drops the report (lab 01's racy tests:
	 * 11 of 12 reported at history_size=4, 42 of 42 at 7).
	 * TSan waits atexit_sleep_ms (1 s) at exit whenever a thread other than main is still
	 * alive, so that a running thread's last races are seen. The canary leaves one blocked at
	 * every exit (a thread that races no more), which would cost each canaried run that second
	 * (a quarter of a grade's time): those runs do not wait. */
	snprintf(cmd->buf[0], sizeof cmd->buf[0],
		 "TSAN_OPTIONS=log_path=%s exitcode=%d second_deadlock_stack=1 history_size=%d halt_on_error=0%s%s",
		 run->base, TSAN_EXITCODE, run->tests ? 7 : 4, cfg->grading ? " hard_rss_limit_mb=8192" : "",
		 cfg->canary ? " atexit_sleep_ms=0" : "");
	cmd->extra[0] = cmd->buf[0];
	int a = 0;
	if (run->setarch) {
		cmd->argv[a++] = "setarch";
		cmd->argv[a++] = "x86_64";
		cmd->argv[a++] = "-R";
	}
	cmd->argv[a++] = (char *)run->binary;
	cmd->argv[a] = NULL;
}

/* TSan that could not start the program says so on stderr and writes no report. */
static int tsan_failed(const struct tl_spawn *s, const char *errpath, const char *text, size_t len, char *note,
		       size_t notelen)
{
	(void)text;
	if (s->timed_out || len != 0 || !file_contains(errpath, "FATAL: ThreadSanitizer"))
		return 0;
	snprintf(note, notelen, "ThreadSanitizer failed to run the program; see %s", errpath);
	return 1;
}

/* Whether TSan hit its shadow layout's clash with this kernel's mmap randomisation. */
static int tsan_mapping_clash(const char *errpath, const char *text)
{
	return file_contains(errpath, "unexpected memory mapping") ||
	       (text != NULL && strstr(text, "unexpected memory mapping") != NULL);
}

static const struct tl_tool_hooks tsan_hooks = {
	.reporter = "ThreadSanitizer",
	.report_exit = TSAN_EXITCODE,
	.canary_kind = TL_KIND_RACE,
	.canary = "data race",
	.available = tsan_available,
	.command = tsan_command,
	.parse = tl_parse_tsan,
	.failed = tsan_failed,
	.mapping_clash = tsan_mapping_clash,
};

/* ---- Helgrind ------------------------------------------------------------------------------- */

/* Where the toolkit keeps its Helgrind suppressions (known false positives, each explained). */
static void helgrind_supp_path(const struct tl_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/harness/src/helgrind.supp", cfg->root);
}

static int helgrind_available(const struct tl_config *cfg, char *why, size_t whylen)
{
	if (!tl_on_path("valgrind")) {
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

static void helgrind_command(const struct tl_config *cfg, const struct tl_tool_run *run, struct tl_tool_cmd *cmd)
{
	snprintf(cmd->buf[0], sizeof cmd->buf[0], "--xml-fd=%d", run->fd[0]);
	snprintf(cmd->buf[1], sizeof cmd->buf[1], "--log-fd=%d", run->fd[1]);
	/* Known false positives of this Valgrind, each explained in the file. */
	char supp[TL_PATH + 64];
	helgrind_supp_path(cfg, supp, sizeof supp);
	snprintf(cmd->buf[2], sizeof cmd->buf[2], "--suppressions=%s", supp);
	snprintf(cmd->buf[3], sizeof cmd->buf[3], "--error-exitcode=%d", HG_EXITCODE);
	int a = 0;
	cmd->argv[a++] = "valgrind";
	cmd->argv[a++] = "--tool=helgrind";
	cmd->argv[a++] = "--xml=yes";
	cmd->argv[a++] = cmd->buf[0];
	cmd->argv[a++] = cmd->buf[1];
	cmd->argv[a++] = cmd->buf[3];
	cmd->argv[a++] = "--child-silent-after-fork=yes";
	cmd->argv[a++] = cmd->buf[2];
	cmd->argv[a++] = (char *)run->binary;
	cmd->argv[a] = NULL;
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

/* Valgrind that wrote no XML, or gave up before the program ended. Its own messages come
 * through the run's second channel. */
static int helgrind_failed(const struct tl_spawn *s, const char *errpath, const char *text, size_t len, char *note,
			   size_t notelen)
{
	(void)errpath;
	if (s->timed_out)
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
			snprintf(note, notelen, "Valgrind stopped before the program ended (exit %d, XML cut short)",
				 s->exit_code);
		return 1;
	}
	return 0;
}

static const struct tl_tool_hooks helgrind_hooks = {
	.reporter = "Helgrind",
	.report_exit = HG_EXITCODE,
	.canary_kind = TL_KIND_RACE,
	.canary = "data race",
	.available = helgrind_available,
	.command = helgrind_command,
	.parse = tl_parse_helgrind,
	.failed = helgrind_failed,
};

/* ---- threadcheck ---------------------------------------------------------------------------- */

static int threadcheck_available(const struct tl_config *cfg, char *why, size_t whylen)
{
	if (access(cfg->tc_lib, R_OK) != 0) {
		snprintf(why, whylen, "%s is not built (make all)", cfg->tc_lib);
		return 0;
	}
	return 1;
}

static void threadcheck_command(const struct tl_config *cfg, const struct tl_tool_run *run, struct tl_tool_cmd *cmd)
{
	snprintf(cmd->buf[0], sizeof cmd->buf[0], "LD_PRELOAD=%s", cfg->tc_lib);
	snprintf(cmd->buf[1], sizeof cmd->buf[1], "THREADCHECK_LOG=%s", run->base);
	snprintf(cmd->buf[2], sizeof cmd->buf[2], "THREADCHECK_EXITCODE=%d", TC_EXITCODE);
	cmd->extra[0] = cmd->buf[1];
	cmd->extra[1] = cmd->buf[2];
	int a = 0;
	if (cfg->grading && cfg->sandbox) {
		/* Preloaded into the program only, through env(1) inside the sandbox: in
		 * bubblewrap's environment it would also run in bubblewrap's own processes. */
		cmd->argv[a++] = "env";
		cmd->argv[a++] = cmd->buf[0];
	} else {
		cmd->extra[2] = cmd->buf[0];
	}
	cmd->argv[a++] = (char *)run->binary;
	cmd->argv[a] = NULL;
}

static const struct tl_tool_hooks threadcheck_hooks = {
	.reporter = "threadcheck",
	.report_exit = TC_EXITCODE,
	.deadlock_exit = TC_DEADLOCK_EXITCODE,
	.canary_kind = TL_KIND_THREAD_LEAK,
	.canary = "leaked thread",
	.available = threadcheck_available,
	.command = threadcheck_command,
	.parse = tl_parse_threadcheck,
};

/* ---- the lab's tests (cmocka) --------------------------------------------------------------- */

static int test_available(const struct tl_config *cfg, char *why, size_t whylen)
{
	(void)cfg, (void)why, (void)whylen;
	return 1;
}

static void test_command(const struct tl_config *cfg, const struct tl_tool_run *run, struct tl_tool_cmd *cmd)
{
	(void)cfg;
	snprintf(cmd->buf[1], sizeof cmd->buf[1], "CMOCKA_XML_FILE=%s", run->base);
	cmd->extra[0] = "CMOCKA_MESSAGE_OUTPUT=xml";
	cmd->extra[1] = cmd->buf[1];
	cmd->argv[0] = (char *)run->binary;
	cmd->argv[1] = NULL;
}

static const struct tl_tool_hooks test_hooks = {
	.reporter = "cmocka",
	.exit_counts_failures = 1, /* the number of failed tests, the canary's included */
	.canary_kind = TL_KIND_TEST_FAIL,
	.canary = "failing test",
	.available = test_available,
	.command = test_command,
	.parse = tl_parse_cmocka,
	.count_cases = tl_cmocka_count_cases,
};

/* ---- the table ------------------------------------------------------------------------------ */

static const struct tl_tool_ops tools[TL_TOOL_COUNT] = {
#define X(e, name_, build_, tests_build_, factor_, channel_, hooks_)                                          \
	[TL_TOOL_##e] = {.name = name_,                                                                      \
			 .build = TL_BUILD_##build_,                                                         \
			 .tests_build = TL_BUILD_##tests_build_,                                             \
			 .time_factor = factor_,                                                             \
			 .channel = TL_CH_##channel_,                                                        \
			 .profile = TL_SB_##e,                                                               \
			 .hooks = &hooks_},
#include "tools.def"
#undef X
};

const struct tl_tool_ops *tl_tool(enum tl_tool tool)
{
	TL_ASSERT((unsigned)tool < TL_TOOL_COUNT);
	return &tools[tool];
}

int tl_tool_available(const struct tl_config *cfg, enum tl_tool tool, char *why, size_t whylen)
{
	return tl_tool(tool)->hooks->available(cfg, why, whylen);
}

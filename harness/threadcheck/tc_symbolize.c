/* tc_symbolize.c: turns code addresses into "function" and "file:line" with dladdr and one
 * addr2line process per module, keeping its own data in fixed buffers because it runs at
 * exit beside threads that may be stuck anywhere. */
#include "tc_symbolize.h"
#include "tc_util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TC__BATCH 64                /* addresses per addr2line run */
#define TC__OUT_MAX (64 * 1024)     /* addr2line output kept per run */
#define TC__ENV_MAX 512
#define TC__A2L_TIMEOUT_MS 5000

static char tc__exe[4096];
static atomic_flag tc__sym_lock = ATOMIC_FLAG_INIT;

/* Guarded by tc__sym_lock: too big for the stack of an arbitrary thread. */
static char tc__out[TC__OUT_MAX];
static char tc__offs[TC__BATCH][24];
static char *tc__argv[TC__BATCH + 6];
static char *tc__envp[TC__ENV_MAX + 1];
static const char *tc__mod[TC__BATCH * 4];   /* each address's module, per round */

void tc__symbolize_init(void)
{
	ssize_t n = readlink("/proc/self/exe", tc__exe, sizeof tc__exe - 1);

	tc__exe[n > 0 ? n : 0] = '\0';
}

void tc__symbolize_atfork_child(void)
{
	atomic_flag_clear(&tc__sym_lock);
}

static void tc__sym_unknown(struct tc__sym *s)
{
	snprintf(s->function, sizeof s->function, "?");
	snprintf(s->fileline, sizeof s->fileline, "?:0");
}

/* Copies one line of addr2line's output starting at *P into DST and advances *P past it.
 * Returns 0, or -1 when the output has ended. */
static int tc__next_line(char **p, char *dst, size_t len)
{
	char *s = *p, *nl;
	size_t n;

	if (*s == '\0')
		return -1;
	nl = strchr(s, '\n');
	n = nl != NULL ? (size_t)(nl - s) : strlen(s);
	snprintf(dst, len, "%.*s", (int)n, s);
	*p = nl != NULL ? nl + 1 : s + n;
	return 0;
}

/* Normalises addr2line's "file:line (discriminator N)", "??:0" and "file:?" to FORMAT.md's
 * "<file>:<line>", with "?:0" when unknown. */
static void tc__clean_fileline(char *fl, size_t len)
{
	char *p = strstr(fl, " (discriminator");
	char *colon;

	if (p != NULL)
		*p = '\0';
	colon = strrchr(fl, ':');
	if (colon == NULL || strncmp(fl, "??", 2) == 0) {
		snprintf(fl, len, "?:0");
		return;
	}
	if (colon[1] == '?' || colon[1] == '\0')
		snprintf(colon + 1, len - (size_t)(colon + 1 - fl), "0");
}

/* Fills the environment for addr2line: ours minus LD_PRELOAD and THREADCHECK_*, so the
 * child is not itself checked (and does not write a log of its own). */
static void tc__child_env(void)
{
	size_t k = 0;

	for (char **e = environ; e != NULL && *e != NULL && k < TC__ENV_MAX; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11) == 0 || strncmp(*e, "THREADCHECK_", 12) == 0)
			continue;
		tc__envp[k++] = *e;
	}
	tc__envp[k] = NULL;
}

/* Starts "addr2line -f -e MODULE OFFS..." (NOFFS offsets from tc__offs) with its stdout on
 * a pipe. Returns its pid and stores the pipe's read end in *FD, or returns -1. */
static pid_t tc__addr2line_spawn(const char *module, size_t noffs, int *fd)
{
	posix_spawn_file_actions_t fa;
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	tc__argv[0] = "addr2line";
	tc__argv[1] = "-f";
	tc__argv[2] = "-e";
	tc__argv[3] = (char *)module;
	for (size_t i = 0; i < noffs; i++)
		tc__argv[4 + i] = tc__offs[i];
	tc__argv[4 + noffs] = NULL;
	tc__child_env();
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	(void)posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	(void)posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawnp(&pid, "addr2line", &fa, NULL, tc__argv, tc__envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (pid < 0)
		close(pfd[0]);
	else
		*fd = pfd[0];
	return pid;
}

/* Reads FD until its end into tc__out, killing PID when that takes more than
 * TC__A2L_TIMEOUT_MS. Returns 0 when the output ended, -1 on a timeout or read error. */
static int tc__addr2line_read(pid_t pid, int fd)
{
	uint64_t start = tc__now_ns();
	size_t used = 0;
	int rc = -1;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long waited = (long)((tc__now_ns() - start) / 1000000u);
		ssize_t n;

		if (waited >= TC__A2L_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		n = poll(&p, 1, (int)(TC__A2L_TIMEOUT_MS - waited));
		if (n <= 0)
			continue;
		/* Why keep reading past a full buffer: a blocked writer would never exit. */
		if (used < sizeof tc__out - 1) {
			n = read(fd, tc__out + used, sizeof tc__out - 1 - used);
		} else {
			char sink[512];

			n = read(fd, sink, sizeof sink);
			if (n > 0)
				continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = 0;
			break;
		}
		used += (size_t)n;
	}
	tc__out[used] = '\0';
	return rc;
}

/* Runs "addr2line -f -e MODULE OFFS..." and leaves its stdout in tc__out. Returns 0, or -1
 * when it cannot be started, fails, or does not finish within TC__A2L_TIMEOUT_MS (it is
 * killed then). */
static int tc__addr2line(const char *module, size_t noffs)
{
	int fd = -1, status = 0, rc;
	pid_t pid, w;

	tc__out[0] = '\0';
	pid = tc__addr2line_spawn(module, noffs, &fd);
	if (pid < 0)
		return -1;
	rc = tc__addr2line_read(pid, fd);
	close(fd);
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	/* With SIGCHLD ignored the child reaps itself (ECHILD); its output then decides. */
	if (rc == 0 && w == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = -1;
	return rc;
}

/* Fills OUT[IDX[i]] for the n addresses that lie in MODULE at module offsets OFF[i]; an
 * address addr2line cannot place keeps what dladdr found. */
static void tc__symbolize_module(const char *module, const size_t *idx, const uintptr_t *off,
				 size_t n, struct tc__sym *out)
{
	for (size_t base = 0; base < n; base += TC__BATCH) {
		size_t cnt = n - base < TC__BATCH ? n - base : TC__BATCH;
		char *p = tc__out;

		for (size_t i = 0; i < cnt; i++)
			snprintf(tc__offs[i], sizeof tc__offs[i], "0x%lx",
				 (unsigned long)off[base + i]);
		if (tc__addr2line(module, cnt) != 0)
			continue;
		for (size_t i = 0; i < cnt; i++) {
			struct tc__sym *s = &out[idx[base + i]];
			char fn[sizeof s->function];
			char fl[sizeof s->fileline];

			if (tc__next_line(&p, fn, sizeof fn) != 0 || tc__next_line(&p, fl, sizeof fl) != 0)
				break;
			/* addr2line knows static functions from the debug info; dladdr only
			 * knows exported symbols, so its guess stays only when this one fails. */
			if (strcmp(fn, "??") != 0 && fn[0] != '\0')
				snprintf(s->function, sizeof s->function, "%s", fn);
			tc__clean_fileline(fl, sizeof fl);
			snprintf(s->fileline, sizeof s->fileline, "%s", fl);
		}
	}
}

#define TC__CHUNK (TC__BATCH * 4) /* addresses located with dladdr per round */

/* Per round of tc__symbolize, guarded by tc__sym_lock: each address's module offset, and
 * whether it is settled (dladdr could not place it, or addr2line has been asked). */
static uintptr_t tc__off[TC__CHUNK];
static unsigned char tc__done[TC__CHUNK];

/* Fills OUT[i] with what dladdr knows of ADDRS[i] (i < CNT) and notes each address's module
 * (tc__mod) and offset in it for addr2line. */
static void tc__sym_locate(void *const *addrs, struct tc__sym *out, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		Dl_info info;
		struct link_map *lm = NULL;
		void *a = addrs[i];
		struct tc__sym *s = &out[i];

		tc__sym_unknown(s);
		tc__mod[i] = NULL;
		tc__done[i] = 1;
		if (a == NULL || dladdr1(a, &info, (void **)&lm, RTLD_DL_LINKMAP) == 0 || lm == NULL)
			continue;
		if (info.dli_sname != NULL)
			snprintf(s->function, sizeof s->function, "%s", info.dli_sname);
		/* The main program's link map has an empty name. */
		tc__mod[i] = lm->l_name != NULL && lm->l_name[0] != '\0' ? lm->l_name : tc__exe;
		if (tc__mod[i][0] == '\0')
			continue;
		/* l_addr is the load bias: 0 for a fixed-address executable, the base for PIE and
		 * shared objects, so this is what addr2line expects either way. */
		tc__off[i] = (uintptr_t)a - (uintptr_t)lm->l_addr;
		tc__done[i] = 0;
	}
}

/* Asks addr2line about the CNT addresses tc__sym_locate placed, one run per module, and
 * fills OUT[i] (OUT is the round's part of the caller's array). */
static void tc__sym_by_module(struct tc__sym *out, size_t cnt)
{
	static size_t sub[TC__CHUNK];
	static uintptr_t suboff[TC__CHUNK];

	for (size_t i = 0; i < cnt; i++) {
		size_t m = 0;

		if (tc__done[i])
			continue;
		for (size_t j = i; j < cnt; j++) {
			if (tc__done[j] || strcmp(tc__mod[j], tc__mod[i]) != 0)
				continue;
			sub[m] = j;
			suboff[m] = tc__off[j];
			m++;
			tc__done[j] = 1;
		}
		tc__symbolize_module(tc__mod[i], sub, suboff, m, out);
	}
}

void tc__symbolize(void *const *addrs, struct tc__sym *out, size_t n)
{
	tc__spin_lock(&tc__sym_lock);
	for (size_t base = 0; base < n; base += TC__CHUNK) {
		size_t cnt = n - base < TC__CHUNK ? n - base : TC__CHUNK;

		tc__sym_locate(addrs + base, out + base, cnt);
		tc__sym_by_module(out + base, cnt);
	}
	tc__spin_unlock(&tc__sym_lock);
}

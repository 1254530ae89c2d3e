/* spawn.c: runs one child in its own process group with a wall-clock limit and captured output. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stages.h"

extern char **environ;

/* Builds the child's environment: ours, or when grading the fixed one (tl_sandbox_env: no
 * variable of the caller's reaches graded code), without any variable that configures a tool,
 * plus EXTRA (NULL-terminated "K=V" strings). Free with tl_env_free. */
char **tl_env_make(const char *const *extra)
{
	static const char *const drop[] = {"TSAN_OPTIONS=", "LD_PRELOAD=", "VALGRIND_OPTS=",
					   "THREADCHECK_", "CMOCKA_", "ASAN_OPTIONS=", NULL};
	const char *const *base = tl_sandbox_env();
	if (base == NULL)
		base = (const char *const *)environ;
	size_t n = 0, m = 0;
	while (base[n] != NULL)
		n++;
	while (extra[m] != NULL)
		m++;
	char **env = calloc(n + m + 1, sizeof *env);
	TL_ASSERT(env != NULL);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int skip = 0;
		for (int d = 0; drop[d] != NULL; d++)
			skip |= strncmp(base[i], drop[d], strlen(drop[d])) == 0;
		if (!skip)
			env[k++] = strdup(base[i]);
	}
	for (size_t i = 0; i < m; i++)
		env[k++] = strdup(extra[i]);
	env[k] = NULL;
	return env;
}

void tl_env_free(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* In the child, between fork and exec (async-signal-safe calls only): puts L's rlimits in
 * force and, when L says so and we are root, becomes a uid of this run's own. Exits 126 when it
 * cannot. */
static void child_limits(const struct tl_limits *l)
{
	const struct {
		int resource;
		long long value;
	} lims[] = {{RLIMIT_CPU, l->cpu_s}, {RLIMIT_AS, l->as_bytes}, {RLIMIT_DATA, l->data_bytes},
		    {RLIMIT_NOFILE, l->nofile}, {RLIMIT_NPROC, l->nproc}};
	for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
		if (lims[i].value <= 0)
			continue;
		struct rlimit rl = {(rlim_t)lims[i].value, (rlim_t)lims[i].value};
		if (setrlimit(lims[i].resource, &rl) != 0)
			_exit(126);
	}
	/* Root ignores RLIMIT_NPROC and may write anywhere: untrusted code runs as an
	 * unprivileged uid instead, one of its own (the kernel counts RLIMIT_NPROC per uid,
	 * so a shared one would let a thread bomb in one run fail pthread_create in every
	 * other run alive at the time). The group is shared and may write what the run
	 * creates, so the next run of the same submission can rebuild over it. */
	if (l->drop_gid > 0 && geteuid() == 0) {
		gid_t g = (gid_t)l->drop_gid;
		uid_t u = (uid_t)(TL_SANDBOX_UID_BASE + (unsigned)getpid());
		umask(002);
		if (setgroups(0, NULL) != 0 || setresgid(g, g, g) != 0 || setresuid(u, u, u) != 0)
			_exit(126);
	}
}

/* In the child, between fork and exec: only async-signal-safe calls. OUT_FDS are the
 * parent's stdout and stderr files. Never returns. */
static void child(const struct tl_spawn *s, const int out_fds[2])
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* An output flood must fail the writes (EFBIG), not kill the run with SIGXFSZ. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	if (s->max_output > 0) {
		struct rlimit rl = {(rlim_t)s->max_output, (rlim_t)s->max_output};
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	int in = open("/dev/null", O_RDONLY);
	if (in >= 0) {
		dup2(in, 0);
		if (in != 0)
			close(in);
	}
	/* The output files were created by the parent; dup2 clears their close-on-exec flag. */
	for (int i = 0; i < 2; i++)
		if (dup2(out_fds[i], i + 1) < 0)
			_exit(127);
	for (int i = 0; i < 2; i++)
		if (s->pass_fd[i] > 2 && fcntl(s->pass_fd[i], F_SETFD, 0) != 0)
			_exit(127);
	if (s->cwd != NULL && chdir(s->cwd) != 0)
		_exit(127);
	/* bubblewrap's seccomp filter, on the descriptor its argv names (before RLIMIT_NOFILE). */
	if (tl_sandbox_child_fds(s->argv) != 0)
		_exit(127);
	if (s->limits != NULL)
		child_limits(s->limits);
	if (s->envp != NULL)
		execvpe(s->argv[0], s->argv, s->envp);
	else
		execvp(s->argv[0], s->argv);
	static const char msg[] = "threadlab: exec failed\n";
	ssize_t ignored = write(2, msg, sizeof msg - 1);
	(void)ignored;
	_exit(127);
}

/* Writes every thread's stack of the hung process PID into PATH with gdb in batch mode. For a
 * Valgrind run, gdb reaches the guest program through vgdb. Bounded by its own timeout. */
static void dump_stacks(const struct tl_spawn *s, pid_t pid)
{
	char pidarg[32], vgdb[64];
	snprintf(pidarg, sizeof pidarg, "%d", (int)pid);
	snprintf(vgdb, sizeof vgdb, "target remote | vgdb --pid=%d", (int)pid);
	int valgrind = strstr(s->argv[0], "valgrind") != NULL;
	char *gdb_argv[16];
	int i = 0;
	gdb_argv[i++] = "timeout";
	gdb_argv[i++] = "20";
	gdb_argv[i++] = "gdb";
	gdb_argv[i++] = "-nx";
	gdb_argv[i++] = "-batch";
	if (valgrind) {
		gdb_argv[i++] = "-ex";
		gdb_argv[i++] = vgdb;
	} else {
		gdb_argv[i++] = "-p";
		gdb_argv[i++] = pidarg;
	}
	gdb_argv[i++] = "-ex";
	gdb_argv[i++] = "thread apply all bt";
	gdb_argv[i] = NULL;
	struct tl_spawn g = {0};
	g.argv = gdb_argv;
	g.stdout_path = s->stacks_path;
	g.stderr_path = "/dev/null";
	g.timeout_s = 30;
	g.max_output = 4 << 20;
	char err[256];
	(void)tl_spawn_run(&g, err, sizeof err);
}

static long pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

int tl_open_fresh(const char *path)
{
	if (path == NULL || strcmp(path, "/dev/null") == 0)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (unlink(path) != 0 && errno != ENOENT)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

/* Opens S's two output files into FDS (one file when both names are the same). Returns 0,
 * or -1 with ERR filled and nothing left open. */
static int open_outputs(const struct tl_spawn *s, int fds[2], char *err, size_t errlen)
{
	fds[0] = tl_open_fresh(s->stdout_path);
	if (fds[0] >= 0 && s->stdout_path != NULL && s->stderr_path != NULL &&
	    strcmp(s->stdout_path, s->stderr_path) == 0)
		fds[1] = dup(fds[0]);
	else
		fds[1] = fds[0] >= 0 ? tl_open_fresh(s->stderr_path) : -1;
	if (fds[0] >= 0 && fds[1] >= 0)
		return 0;
	snprintf(err, errlen, "cannot create %s: %s", fds[0] < 0 ? s->stdout_path : s->stderr_path,
		 strerror(errno));
	if (fds[0] >= 0)
		close(fds[0]);
	return -1;
}

int tl_drain_fifo(struct tl_drain *d, const char *path, size_t max)
{
	memset(d, 0, sizeof *d);
	d->fd = d->hold_fd = -1;
	d->max = max;
	if ((unlink(path) != 0 && errno != ENOENT) || mkfifo(path, 0600) != 0)
		return -1;
	/* Readers first: opening a FIFO's writer fails (ENXIO) while no reader has it open. */
	d->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (d->fd >= 0)
		d->hold_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	/* Then write-only for everyone: the program's tools only write to it, and cmocka, which
	 * refuses to write to a file it can open for reading (it takes it for an old report),
	 * writes to it only when it cannot. */
	if (d->fd >= 0 && d->hold_fd >= 0 && chmod(path, 0222) == 0)
		return 0;
	int e = errno;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	errno = e;
	return -1;
}

int tl_drain_pipe(struct tl_drain *d, int *write_fd, size_t max)
{
	int p[2];
	memset(d, 0, sizeof *d);
	d->fd = d->hold_fd = -1;
	d->max = max;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	d->fd = p[0];
	*write_fd = p[1];
	return 0;
}

/* Reads what D's fd has now into D->buf. Returns 1 while more may come, 0 at end of file
 * (or on an error: the channel is then closed). */
static int drain_some(struct tl_drain *d)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(d->fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return 0;
		size_t keep = d->len + (size_t)n <= d->max ? (size_t)n : d->max - d->len;
		d->truncated |= keep < (size_t)n;
		if (keep == 0)
			continue;
		char *grown = realloc(d->buf, d->len + keep + 1);
		TL_ASSERT(grown != NULL);
		d->buf = grown;
		memcpy(d->buf + d->len, chunk, keep);
		d->len += keep;
		d->buf[d->len] = '\0';
	}
}

/* Waits up to MS milliseconds for PFD (the child's pidfd, or -1) or a drain to be ready, and
 * drains what is there. */
static void wait_and_drain(struct tl_spawn *s, int pfd, int ms)
{
	struct pollfd p[1 + TL_SPAWN_MAX_DRAINS];
	int n = 0;
	if (pfd >= 0)
		p[n++] = (struct pollfd){pfd, POLLIN, 0};
	for (int i = 0; i < s->ndrain; i++)
		if (s->drain[i].fd >= 0)
			p[n++] = (struct pollfd){s->drain[i].fd, POLLIN, 0};
	if (n == 0) {
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		return;
	}
	(void)poll(p, (nfds_t)n, ms);
	for (int i = 0; i < s->ndrain; i++) {
		struct tl_drain *d = &s->drain[i];
		if (d->fd >= 0 && !drain_some(d)) {
			close(d->fd);
			d->fd = -1;
		}
	}
}

/* After the child's end: drops the held FIFO writers and reads each channel to its end (all
 * writers gone), or for at most 2 s; then closes them. */
static void finish_drains(struct tl_spawn *s)
{
	for (int i = 0; i < s->ndrain; i++)
		if (s->drain[i].hold_fd >= 0) {
			close(s->drain[i].hold_fd);
			s->drain[i].hold_fd = -1;
		}
	double until = tl_now() + 2.0;
	for (;;) {
		int open_left = 0;
		for (int i = 0; i < s->ndrain; i++)
			open_left += s->drain[i].fd >= 0;
		if (open_left == 0 || tl_now() > until)
			break;
		wait_and_drain(s, -1, 50);
	}
	for (int i = 0; i < s->ndrain; i++) {
		if (s->drain[i].fd >= 0)
			close(s->drain[i].fd);
		s->drain[i].fd = -1;
		if (s->drain[i].buf == NULL) {
			s->drain[i].buf = calloc(1, 1);
			TL_ASSERT(s->drain[i].buf != NULL);
		}
	}
}

/* Waits for the child PID of S (PFD: its pidfd, or -1) until it ends or S's time is up
 * (from START: then its stacks are taken if asked for and its group is killed), draining S's
 * channels meanwhile. Returns 0 with *STATUS, or -1 with ERR when waitpid fails (the group is
 * then killed). */
static int wait_child(struct tl_spawn *s, pid_t pid, int pfd, double start, int *status, char *err,
		      size_t errlen)
{
	double deadline = start + (s->timeout_s > 0 ? s->timeout_s : 1e9);
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			kill(-pid, SIGKILL);
			return -1;
		}
		double left = deadline - tl_now();
		if (left <= 0) {
			s->timed_out = 1;
			if (s->stacks_path[0] != '\0')
				dump_stacks(s, pid);
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 0;
		}
		/* Without a pidfd, poll in 50 ms steps. */
		int ms = pfd < 0 ? (left > 0.05 ? 50 : (int)(left * 1000) + 1)
				 : left > 3600 ? 3600000 : (int)(left * 1000) + 1;
		wait_and_drain(s, pfd, ms);
	}
}

/* With THREADLAB_PROFILE=FILE, appends one line per process run to FILE: its wall-clock
 * seconds and its command (how `make bench` splits a grade's time by step and tool). */
static void profile(const struct tl_spawn *s)
{
	const char *path = getenv("THREADLAB_PROFILE");
	if (path == NULL || *path == '\0')
		return;
	char line[4096];
	int n = snprintf(line, sizeof line, "%.3f", s->seconds);
	for (int i = 0; s->argv[i] != NULL && n < (int)sizeof line - 2; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s", s->argv[i]);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
}

/* Closes the parent's copies of S's passed descriptors: once the child has them, a pipe's
 * reader sees its end only when no copy of the write end is left here. */
static void close_passed(struct tl_spawn *s)
{
	for (int i = 0; i < 2; i++)
		if (s->pass_fd[i] > 2) {
			close(s->pass_fd[i]);
			s->pass_fd[i] = -1;
		}
}

int tl_spawn_run(struct tl_spawn *s, char *err, size_t errlen)
{
	s->exited = s->signaled = s->timed_out = 0;
	s->exit_code = s->signo = 0;
	int out_fds[2];
	if (open_outputs(s, out_fds, err, errlen) != 0) {
		close_passed(s);
		return -1;
	}
	double start = tl_now();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(out_fds[0]);
		close(out_fds[1]);
		close_passed(s);
		return -1;
	}
	if (pid == 0)
		child(s, out_fds);
	close(out_fds[0]);
	close(out_fds[1]);
	close_passed(s);
	s->pid = (int)pid;
	/* Set the group from both sides so a kill right after fork cannot miss it. */
	setpgid(pid, pid);
	int pfd = (int)pidfd_open_(pid);
	int status = 0;
	int rc = wait_child(s, pid, pfd, start, &status, err, errlen);
	/* Whatever the program left behind in its group goes too. */
	if (rc == 0)
		kill(-pid, SIGKILL);
	if (pfd >= 0)
		close(pfd);
	finish_drains(s);
	if (rc != 0)
		return -1;
	s->seconds = tl_now() - start;
	profile(s);
	if (!s->timed_out) {
		if (WIFEXITED(status)) {
			s->exited = 1;
			s->exit_code = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			s->signaled = 1;
			s->signo = WTERMSIG(status);
		}
	}
	return 0;
}

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


double tl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tl_mkdirs(const char *path)
{
	char buf[TL_PATH];
	tl_strlcpy(buf, path, sizeof buf);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. Never returns. */
static void child(const struct tl_spawn *s)
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
	const char *paths[2] = {s->stdout_path, s->stderr_path};
	for (int i = 0; i < 2; i++) {
		int fd = open(paths[i] != NULL ? paths[i] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, i + 1);
		if (fd != i + 1)
			close(fd);
	}
	if (s->cwd != NULL && chdir(s->cwd) != 0)
		_exit(127);
	/* bubblewrap's seccomp filter, on the descriptor its argv names (before RLIMIT_NOFILE). */
	if (tl_sandbox_child_fds(s->argv) != 0)
		_exit(127);
	/* Limits and the drop of privileges come after the output files are open, so those are
	 * created by us whoever runs the program. */
	const struct tl_limits *l = s->limits;
	if (l != NULL) {
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

int tl_spawn_run(struct tl_spawn *s, char *err, size_t errlen)
{
	s->exited = s->signaled = s->timed_out = 0;
	s->exit_code = s->signo = 0;
	double start = tl_now();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child(s);
	/* Set the group from both sides so a kill right after fork cannot miss it. */
	setpgid(pid, pid);
	int pfd = (int)pidfd_open_(pid);
	int status = 0;
	double deadline = start + (s->timeout_s > 0 ? s->timeout_s : 1e9);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			kill(-pid, SIGKILL);
			if (pfd >= 0)
				close(pfd);
			return -1;
		}
		double left = deadline - tl_now();
		if (left <= 0) {
			s->timed_out = 1;
			if (s->stacks_path[0] != '\0')
				dump_stacks(s, pid);
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		int ms = left > 0.05 ? 50 : (int)(left * 1000) + 1;
		if (pfd >= 0) {
			struct pollfd p = {pfd, POLLIN, 0};
			int left_ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
			(void)poll(&p, 1, left_ms);
		} else {
			struct timespec ts = {0, (long)ms * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	/* Whatever the program left behind in its group goes too. */
	kill(-pid, SIGKILL);
	if (pfd >= 0)
		close(pfd);
	s->seconds = tl_now() - start;
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

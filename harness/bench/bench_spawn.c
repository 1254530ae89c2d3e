/* bench_spawn.c: runs one command for `make bench` and prints, as one JSON line, its wall time,
 * the CLOCK_MONOTONIC time it exited, its peak resident memory and how it ended.
 *
 *   bench_spawn [-t SECONDS] [-e VAR=VALUE]... [-o FILE] -- COMMAND [ARG]...
 *
 * -t  kill the command's process group with SIGKILL after SECONDS (default 60): every run is
 *     bounded; "timed_out":1 says it happened.
 * -e  set VAR in the command's environment only (so an LD_PRELOAD never applies to this runner).
 * -o  the command's stdout and stderr go to FILE (default /dev/null).
 *
 * Peak memory is wait4()'s ru_maxrss of the command, and cpu_s its user + system time; both
 * include the descendants it waited for.
 * Exit status: 0 when the command could be run and was waited for (whatever its own status),
 * 2 on a usage error, 3 when fork, exec or wait failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENV 32

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_spawn [-t SECONDS] [-e VAR=VALUE]... [-o FILE] -- COMMAND [ARG]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	double limit_s = 60;
	char *env[MAX_ENV];
	int nenv = 0, opt;
	const char *out = "/dev/null";

	while ((opt = getopt(argc, argv, "t:e:o:")) != -1) {
		char *end = NULL;
		switch (opt) {
		case 't':
			limit_s = strtod(optarg, &end);
			if (*end != '\0' || limit_s <= 0)
				return usage();
			break;
		case 'e':
			if (nenv == MAX_ENV || strchr(optarg, '=') == NULL)
				return usage();
			env[nenv++] = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();

	/* SIGCHLD stays blocked so sigtimedwait() can wait for it with a deadline. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	long long t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_spawn: fork");
		return 3;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		for (int i = 0; i < nenv; i++)
			if (putenv(env[i]) != 0)
				_exit(127);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides set it, so the kill below never misses the group */

	long long deadline = t0 + (long long)(limit_s * 1e9);
	long long t_exit = 0;
	int timed_out = 0, status = 0;
	struct rusage ru;
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid) {
			t_exit = now_ns();
			break;
		}
		if (w < 0 && errno != EINTR) {
			perror("bench_spawn: wait4");
			return 3;
		}
		long long left = deadline - now_ns();
		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			if (wait4(pid, &status, 0, &ru) != pid) {
				perror("bench_spawn: wait4");
				return 3;
			}
			t_exit = now_ns();
			break;
		}
		struct timespec ts = { (time_t)(left / 1000000000LL), (long)(left % 1000000000LL) };
		/* Any SIGCHLD (or the deadline) ends the wait; wait4 above tells which. */
		sigtimedwait(&chld, NULL, &ts);
	}
	double cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("{\"wall_s\":%.6f,\"start_ns\":%lld,\"exit_ns\":%lld,\"maxrss_kb\":%ld,\"cpu_s\":%.6f,\"exit\":%d,\"signal\":%d,\"timed_out\":%d}\n",
	       (t_exit - t0) / 1e9, t0, t_exit, ru.ru_maxrss, cpu_s, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0, timed_out);
	return 0;
}

/* sb_calls.c: makes one system call that a sandbox profile may refuse (test_sandbox runs it under each profile and natively); exits 50 when the call worked, 60 + errno when it failed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKED 50
#define FAILED 60

extern char **environ;

/* Exit status for a call's result: WORKED, or FAILED + errno. */
static int result(const char *what, long rc)
{
	int e = errno;
	if (rc >= 0) {
		printf("%s: worked\n", what);
		return WORKED;
	}
	printf("%s: %s\n", what, strerror(e));
	return FAILED + e;
}

/* A fresh file in the current folder, for the calls that need one. */
static const char *scratch_file(void)
{
	static char name[64];
	snprintf(name, sizeof name, "sb-file-%d", (int)getpid());
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	return name;
}

/* Forks through a raw clone or clone3 call; the child exits at once. */
static long fork_with(int use_clone3, unsigned long flags)
{
	long pid;
	if (use_clone3) {
		struct clone_args args;
		memset(&args, 0, sizeof args);
		args.flags = flags;
		args.exit_signal = SIGCHLD;
		pid = syscall(SYS_clone3, &args, sizeof args);
	} else {
		pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	}
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

/* Writes "mov eax, 42; ret" into a fresh page, makes it executable and calls it. */
static int run_written_code(void)
{
	static const unsigned char code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return result("mmap rw", -1);
	memcpy(page, code, sizeof code);
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
		return result("mprotect r-x over written code", -1);
	int (*fn)(void);
	memcpy(&fn, &page, sizeof fn);
	printf("the written code returned %d\n", fn());
	return WORKED;
}

/* Whether the environment holds only the fixed variables of graded runs (and the PWD that
 * bubblewrap's --chdir sets). */
static int env_is_fixed(void)
{
	static const char *const fixed[] = {"PATH=", "LANG=", "LC_ALL=", "HOME=", "PWD=", NULL};
	int ok = 1;
	for (char **e = environ; *e != NULL; e++) {
		int known = 0;
		for (int i = 0; fixed[i] != NULL; i++)
			known |= strncmp(*e, fixed[i], strlen(fixed[i])) == 0;
		if (!known) {
			printf("unexpected variable: %s\n", *e);
			ok = 0;
		}
	}
	return ok ? WORKED : FAILED;
}

static int call(const char *what, const char *arg)
{
	char other[80];
	snprintf(other, sizeof other, "sb-other-%d", (int)getpid());
	/* What an earlier run with the same pid (1 or 2 in a sandbox) left. */
	unlink(other);
	unlink(scratch_file());
	if (strcmp(what, "symlink") == 0)
		return result(what, symlink("/etc/passwd", other));
	if (strcmp(what, "link") == 0)
		return result(what, link(scratch_file(), other));
	if (strcmp(what, "rename") == 0)
		return result(what, rename(scratch_file(), other));
	if (strcmp(what, "unlink") == 0)
		return result(what, unlink(scratch_file()));
	if (strcmp(what, "chmod") == 0)
		return result(what, chmod(scratch_file(), 0600));
	if (strcmp(what, "mknod-fifo") == 0)
		return result(what, mknod(other, S_IFIFO | 0600, 0));
	if (strcmp(what, "socket") == 0)
		return result(what, socket(AF_UNIX, SOCK_STREAM, 0));
	if (strcmp(what, "connect") == 0) {
		/* On no descriptor: without the filter the kernel says EBADF. */
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		return result(what, connect(-1, (struct sockaddr *)&a, sizeof a));
	}
	if (strcmp(what, "ptrace") == 0) /* a request no process accepts: ESRCH without the filter */
		return result(what, syscall(SYS_ptrace, 0x7777L, (long)getpid(), 0L, 0L));
	if (strcmp(what, "process_vm_readv") == 0) {
		char src[8] = "secret", dst[8];
		struct iovec l = {dst, sizeof dst}, r = {src, sizeof src};
		return result(what, process_vm_readv(getpid(), &l, 1, &r, 1, 0));
	}
	if (strcmp(what, "mount") == 0) /* on no folder: ENOENT without the filter */
		return result(what, mount("none", "/nonexistent-sb-mount", "tmpfs", 0, NULL));
	if (strcmp(what, "unshare") == 0)
		return result(what, unshare(CLONE_NEWUSER));
	if (strcmp(what, "clone-newuser") == 0)
		return result(what, fork_with(0, CLONE_NEWUSER));
	if (strcmp(what, "clone") == 0)
		return result(what, fork_with(0, 0));
	if (strcmp(what, "clone3") == 0)
		return result(what, fork_with(1, 0));
	if (strcmp(what, "personality-rie") == 0)
		return result(what, personality(PER_LINUX | READ_IMPLIES_EXEC));
	if (strcmp(what, "personality-norandom") == 0)
		return result(what, personality(PER_LINUX | ADDR_NO_RANDOMIZE));
	if (strcmp(what, "mmap-wx") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return result(what, p == MAP_FAILED ? -1 : 0);
	}
	if (strcmp(what, "mmap-anon-x") == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return result(what, p == MAP_FAILED ? -1 : 0);
	}
	if (strcmp(what, "mprotect-x") == 0)
		return run_written_code();
	if (strcmp(what, "memfd_create") == 0)
		return result(what, memfd_create("sb", 0));
	if (strcmp(what, "shmat-exec") == 0) {
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		if (id < 0)
			return result("shmget", -1);
		void *p = shmat(id, NULL, SHM_EXEC);
		int rc = result(what, p == (void *)-1 ? -1 : 0);
		shmctl(id, IPC_RMID, NULL);
		return rc;
	}
	if (strcmp(what, "open") == 0 && arg != NULL)
		return result(arg, open(arg, O_RDONLY));
	if (strcmp(what, "int80") == 0) {
		/* i386's getpid through the 32-bit entry: another architecture's call numbers,
		 * which a filter written for x86_64 must not let through. */
		long rc = 20;
		__asm__ volatile("int $0x80" : "+a"(rc) : : "memory");
		return result(what, rc);
	}
	if (strcmp(what, "newer-call") == 0) /* mseal (Linux 6.10), newer than libseccomp 2.5.4's names */
		return result(what, syscall(462, 0L, 0L, 0L));
	if (strcmp(what, "mark-cwd") == 0) /* a file in the current folder, which a later run might read */
		return result(what, open(".valgrindrc", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (strcmp(what, "env") == 0)
		return env_is_fixed();
	fprintf(stderr, "sb_calls: unknown call %s\n", what);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sb_calls CALL [PATH]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	return call(argv[1], argc > 2 ? argv[2] : NULL);
}

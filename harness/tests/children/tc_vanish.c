/* tc_vanish.c: a child for test_threadcheck: threads that end by a raw exit system call, so
 * that threadcheck never sees them finish, picked by TC_CASE: "detached" (bionic's way:
 * a detached thread unmaps its own stack, where its glibc descriptor lives too, then exits;
 * main waits until the kernel has no such task), "joined" (a joinable thread exits so and
 * main joins it), "unjoined" (the same, never joined), "deadlock" (after a "detached" one,
 * main and a second thread block for ever), "reused" (after a "detached" one, a new thread
 * gets its tid again, by writing /proc/sys/kernel/ns_last_pid; the new thread is left
 * running at exit, and the child prints "reuse unavailable" and exits 0 when the kernel
 * would not give the tid out again). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

static atomic_int vanished_tid;
static void *stack_base;
static sem_t parked, release;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Unmaps [BASE, BASE+LEN) and ends the calling thread, touching no memory in between: the
 * stack being unmapped is the one it runs on. */
static _Noreturn void unmap_and_exit(void *base, size_t len)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall\n\t"
			 "movl %[nr_exit], %%eax\n\t"
			 "xorl %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "hlt"
			 :
			 : "a"(SYS_munmap), "D"(base), "S"(len), [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	__builtin_unreachable();
#else
	/* Elsewhere the stack stays mapped; the thread still ends without glibc knowing. */
	(void)base;
	(void)len;
	syscall(SYS_exit, 0);
	for (;;)
		pause();
#endif
}

/* Ends like a detached thread of Android's bionic: no thread-specific destructors, no
 * return to glibc, its stack (with glibc's descriptor in it) unmapped first. */
static void *bionic_exit(void *arg)
{
	sigset_t all;

	atomic_store(&vanished_tid, (int)gettid());
	/* The kernel writes the rseq area, inside the descriptor, when it reschedules the
	 * thread; unmapped, that write would kill the process. bionic registers none. */
	if (__rseq_size > 0)
		(void)syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
			      __rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	/* A signal delivered now would need the stack that is about to go. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	unmap_and_exit(stack_base, STACK_SIZE);
	return arg;
}

/* Ends by the raw exit system call, its stack left to glibc. */
static void *raw_exit(void *arg)
{
	atomic_store(&vanished_tid, (int)gettid());
	syscall(SYS_exit, 0);
	return arg;
}

/* Waits until the kernel no longer lists the vanished thread. Exits 3 after 5 s. */
static void wait_gone(void)
{
	char path[64];

	for (int i = 0; i < 5000; i++) {
		int tid = atomic_load(&vanished_tid);

		snprintf(path, sizeof path, "/proc/self/task/%d", tid);
		if (tid != 0 && access(path, F_OK) != 0 && errno == ENOENT)
			return;
		nap_ms(1);
	}
	exit(3);
}

/* Starts a detached thread on a stack of our own that unmaps it and vanishes; returns
 * once it is gone. */
static void vanish_bionic(void)
{
	pthread_attr_t attr;
	pthread_t t;

	stack_base = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (stack_base == MAP_FAILED)
		exit(2);
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack_base, STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, bionic_exit, NULL) != 0)
		exit(2);
	pthread_attr_destroy(&attr);
	wait_gone();
	printf("vanished tid %d\n", atomic_load(&vanished_tid));
}

/* Blocks for ever on a condition variable nobody signals. */
static void *wait_never(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* @wait-never */
	return arg;
}

/* Reports its tid, then waits until main releases it. */
static void *parks(void *arg)
{
	*(int *)arg = (int)gettid();
	sem_post(&parked);
	sem_wait(&release); /* @parked */
	return NULL;
}

/* Makes the kernel hand out TID again, to a new thread that then stays parked. Returns 1
 * when it worked; 0 when the kernel refused or other processes kept taking the number. */
static int reuse_tid(int tid)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
		pthread_t t;
		int got = 0;

		if (f == NULL)
			return 0;
		if (fprintf(f, "%d", tid - 1) < 0 || fclose(f) != 0)
			return 0;
		if (pthread_create(&t, NULL, parks, &got) != 0)
			exit(2);
		sem_wait(&parked);
		if (got == tid)
			return 1;
		sem_post(&release);
		pthread_join(t, NULL);
	}
	return 0;
}

int main(void)
{
	const char *k = getenv("TC_CASE");
	pthread_t t;

	if (k == NULL)
		return 2;
	sem_init(&parked, 0, 0);
	sem_init(&release, 0, 0);
	if (strcmp(k, "detached") == 0) {
		vanish_bionic();
	} else if (strcmp(k, "joined") == 0 || strcmp(k, "unjoined") == 0) {
		if (pthread_create(&t, NULL, raw_exit, NULL) != 0) /* @raw-create */
			return 2;
		wait_gone();
		if (strcmp(k, "joined") == 0)
			printf("join returned %d\n", pthread_join(t, NULL));
	} else if (strcmp(k, "deadlock") == 0) {
		vanish_bionic();
		fflush(stdout);
		if (pthread_create(&t, NULL, wait_never, NULL) != 0)
			return 2;
		pthread_join(t, NULL); /* @join-never */
	} else if (strcmp(k, "reused") == 0) {
		vanish_bionic();
		if (!reuse_tid(atomic_load(&vanished_tid))) {
			printf("reuse unavailable\n");
			return 0;
		}
		printf("reused tid %d\n", atomic_load(&vanished_tid));
	} else {
		return 2;
	}
	return 0;
}

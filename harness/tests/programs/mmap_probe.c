/* mmap_probe.c: behaves like a TSan binary on a kernel whose mmap randomisation TSan cannot
 * handle: it dies with TSan's "unexpected memory mapping" unless address randomisation is off
 * (setarch -R), and then runs a real race. Tests the harness's rerun under setarch -R. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>

static long hits;

static void *worker(void *arg)
{
	(void)arg;
	hits++; /* unprotected access */
	return NULL;
}

int main(void)
{
	int persona = personality(0xffffffff);
	if (persona == -1 || !(persona & ADDR_NO_RANDOMIZE)) {
		fputs("FATAL: ThreadSanitizer: unexpected memory mapping 0x7f0000000000-0x7f0000001000\n", stderr);
		return 66;
	}
	pthread_t a, b;
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}

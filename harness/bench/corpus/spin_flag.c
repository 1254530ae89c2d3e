/* spin_flag.c: a spin lock made of a C11 atomic_flag guards a shared counter. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_flag busy = ATOMIC_FLAG_INIT;
static long counter;

static void *add(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5000; i++) {
		while (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire))
			;
		counter++;
		atomic_flag_clear_explicit(&busy, memory_order_release);
	}
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, add, NULL);
	pthread_create(&t2, NULL, add, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("%ld\n", counter);
	return 0;
}

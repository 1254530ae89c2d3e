/* gate_inversion.c: two threads take A and B in opposite orders, always inside one gate lock. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int x, y;

static void *ab(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&gate);
		pthread_mutex_lock(&a);
		pthread_mutex_lock(&b);
		x++;
		pthread_mutex_unlock(&b);
		pthread_mutex_unlock(&a);
		pthread_mutex_unlock(&gate);
	}
	return NULL;
}

static void *ba(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&gate);
		pthread_mutex_lock(&b);
		pthread_mutex_lock(&a);
		y++;
		pthread_mutex_unlock(&a);
		pthread_mutex_unlock(&b);
		pthread_mutex_unlock(&gate);
	}
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, ab, NULL);
	pthread_create(&t2, NULL, ba, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("%d %d\n", x, y);
	return 0;
}

/* fake_report.c: prints a copy of a TSan and a Helgrind report but has no bug: it must be clean. */
#include <pthread.h>
#include <stdio.h>

static void *worker(void *arg)
{
	(void)arg;
	fputs("==================\n"
	      "WARNING: ThreadSanitizer: data race (pid=4242)\n"
	      "  Write of size 4 at 0x7b0400000000 by thread T1:\n"
	      "    #0 worker fake_report.c:7:5 (a.out+0x1234)\n\n"
	      "  Previous write of size 4 at 0x7b0400000000 by main thread:\n"
	      "    #0 main fake_report.c:20:5 (a.out+0x1235)\n\n"
	      "SUMMARY: ThreadSanitizer: data race fake_report.c:7:5 in worker\n"
	      "==================\n"
	      "==4242== Possible data race during write of size 4 at 0x10C02C by thread #2\n"
	      "<error><kind>Race</kind></error>\n"
	      "threadcheck 1 pid=4242\nBEGIN thread-leak\nEND\n",
	      stderr);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	puts("BEGIN thread-leak");
	return 0;
}

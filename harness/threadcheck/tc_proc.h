/* tc_proc.h: the thread count of this process from /proc, shared by the test API (tc_api.c)
 * and the library's global-deadlock check, which read /proc/self/task and must know whether
 * the read was whole. Header-only: tc_api.c is linked into tests without the library. */
#ifndef TC_PROC_H
#define TC_PROC_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number of threads in this process (num_threads, field 20 of /proc/self/stat), or -1.
 * The kernel changes it together with the thread list that /proc/self/task shows, so a read
 * of that folder is whole when this count before and after it equals the number of tasks
 * read. Allocates nothing (the watchdog calls it). */
static inline long tc_proc_nthreads(void)
{
	char buf[1024];
	ssize_t len;
	char *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* The name in parentheses may itself hold ')' or spaces: fields are counted after the
	 * last ')', where field 3 (the state) comes first. */
	p = strrchr(buf, ')');
	for (int field = 2; p != NULL && field < 20; field++)
		p = strchr(p + 1, ' ');
	return p != NULL ? strtol(p + 1, NULL, 10) : -1;
}

#endif

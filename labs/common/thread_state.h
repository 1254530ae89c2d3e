/* thread_state.h: for the labs' tests, the scheduler state of one of the process's threads, as
 * /proc shows it: how a test learns that a thread is asleep inside the student's code. */
#ifndef LABS_THREAD_STATE_H
#define LABS_THREAD_STATE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Returns the state of thread TID of this process ('R' running, 'S' asleep, 'D' in the kernel,
 * ...), or 0 if it cannot be read (the thread has gone). */
static inline char thread_state(int tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "tid (name) S ...": the name may hold spaces and parentheses; the state follows the
	 * last ')'. */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : 0;
}

#endif

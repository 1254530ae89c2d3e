/* tc_proc.h: the one reader of /proc for this process's threads (a task's files, its scheduler
 * state, the thread count, the task list), shared by the test API (tc_api.c) and the library.
 * Header-only, because tc_api.c is linked into tests without the library; nothing here
 * allocates (the library's watchdog calls it). */
#ifndef TC_PROC_H
#define TC_PROC_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* Reads the first line of /proc/self/task/TID/FILE (of /proc/self/FILE when TID is 0) into
 * BUF, at most LEN-1 bytes, without the newline. Returns 0, or -1 when it cannot be read. */
static inline int tc_proc_read(pid_t tid, const char *file, char *buf, size_t len)
{
	char path[96];
	ssize_t n;
	int fd;

	if (tid > 0)
		snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, file);
	else
		snprintf(path, sizeof path, "/proc/self/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The one-letter scheduler state of thread TID ('R' runnable, 'S' sleeping, 'Z' zombie ...),
 * '?' when unknown. */
static inline char tc_proc_state(pid_t tid)
{
	char stat[512];
	char *rp;

	if (tc_proc_read(tid, "stat", stat, sizeof stat) != 0)
		return '?';
	/* The name in parentheses may itself hold ')' or spaces: the state follows the last one. */
	rp = strrchr(stat, ')');
	if (rp == NULL || rp[1] != ' ' || rp[2] == '\0')
		return '?';
	return rp[2];
}

/* The number of threads in this process (num_threads, field 20 of /proc/self/stat), or -1.
 * The kernel changes it together with the thread list that /proc/self/task shows, so a read
 * of that folder is whole when this count before and after it equals the number of tasks
 * read. */
static inline long tc_proc_nthreads(void)
{
	char buf[1024];
	char *p;

	if (tc_proc_read(0, "stat", buf, sizeof buf) != 0)
		return -1;
	/* Fields are counted after the last ')', where field 3 (the state) comes first. */
	p = strrchr(buf, ')');
	for (int field = 2; p != NULL && field < 20; field++)
		p = strchr(p + 1, ' ');
	return p != NULL ? strtol(p + 1, NULL, 10) : -1;
}

/* Calls FN(tid, ARG) for each task /proc/self/task lists, in one pass, until FN returns
 * nonzero. Returns how many tasks were listed, or -1 when the folder cannot be read. Reads
 * with getdents64 into a buffer of its own: no allocation.
 *
 * A pass may miss live tasks: a read of that folder stops early when the task it has just
 * listed ends, and the next read resumes by position, so it skips a live task for each one
 * that ended ahead of it. The callers compare tc_proc_nthreads before and after. */
static inline long tc_proc_tasks(int (*fn)(pid_t tid, void *arg), void *arg)
{
	char buf[8192];
	long seen = 0, len;
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), stop = 0;

	if (fd < 0)
		return -1;
	while (!stop && (len = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; !stop && off < len;) {
			/* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name. */
			unsigned short reclen;
			const char *name = buf + off + 19;
			char *end;
			long v;

			memcpy(&reclen, buf + off + 16, sizeof reclen);
			off += reclen;
			v = strtol(name, &end, 10);
			if (name[0] < '0' || name[0] > '9' || *end != '\0' || v <= 0)
				continue;
			seen++;
			stop = fn((pid_t)v, arg);
		}
	}
	close(fd);
	return len < 0 ? -1 : seen;
}

#endif

/* parse_gdb.c: reads gdb's "thread apply all bt" of a hung run into the innermost user frame of each thread. */
#include <stdlib.h>
#include <string.h>

#include "threadlab.h"

/* Parses one frame line ("#5  0x... in transfer (args) at /x/bank.c:40" or "#0  main () at m.c:3")
 * into S. Returns 1 when the line has a function and a file:line, else 0. */
static int frame(const char *line, struct tl_site *s)
{
	const char *p = line + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ')
		p++;
	if (strncmp(p, "0x", 2) == 0) {
		const char *in = strstr(p, " in ");
		if (in == NULL)
			return 0;
		p = in + 4;
	}
	const char *paren = strstr(p, " (");
	const char *at = strrchr(line, ' ');
	if (paren == NULL || at == NULL || strstr(p, ") at ") == NULL)
		return 0;
	at = strstr(p, ") at ");
	/* The last ") at " is the one before the location: arguments may contain ") at ". */
	for (const char *q = at; q != NULL; q = strstr(q + 1, ") at "))
		at = q;
	at += 5;
	const char *colon = strrchr(at, ':');
	if (colon == NULL || colon[1] < '0' || colon[1] > '9')
		return 0;
	memset(s, 0, sizeof *s);
	size_t fn = (size_t)(paren - p);
	if (fn >= sizeof s->function)
		fn = sizeof s->function - 1;
	memcpy(s->function, p, fn);
	size_t fl = (size_t)(colon - at);
	if (fl >= sizeof s->file)
		fl = sizeof s->file - 1;
	memcpy(s->file, at, fl);
	s->line = atoi(colon + 1);
	return 1;
}

int tl_parse_gdb_stacks(const char *text, struct tl_site *sites, char (*threads)[64], int max)
{
	int n = 0, have = 1; /* have: this thread already has its frame */
	const char *line = text;
	while (line != NULL && *line != '\0' && n < max) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		char buf[2048];
		if (len >= sizeof buf)
			len = sizeof buf - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strncmp(buf, "Thread ", 7) == 0) {
			have = 0;
			snprintf(threads[n], 64, "gdb thread %d", atoi(buf + 7));
		} else if (!have && buf[0] == '#') {
			struct tl_site s;
			if (frame(buf, &s) && !tl_frame_is_runtime(s.file, s.function)) {
				sites[n++] = s;
				have = 1;
			}
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return n;
}

/* source.c: reads a few lines of source around a finding's site, for the reports. */
#include <stdlib.h>
#include <string.h>

#include "stages.h"

int tl_source_excerpt(const char *file, int line, int context, struct tl_excerpt *x)
{
	memset(x, 0, sizeof *x);
	if (file == NULL || file[0] == '\0' || line <= 0)
		return -1;
	FILE *f = fopen(file, "re");
	if (f == NULL)
		return -1;
	x->first = line - context < 1 ? 1 : line - context;
	x->mark = line;
	char buf[1024];
	int n = 0;
	while (fgets(buf, sizeof buf, f) != NULL && n < line + context) {
		int whole = strchr(buf, '\n') != NULL || feof(f);
		n++;
		if (n >= x->first && x->count < TL_EXCERPT_MAX) {
			buf[strcspn(buf, "\n")] = '\0';
			tl_strlcpy(x->text[x->count++], buf, sizeof x->text[0]);
		}
		/* A very long line: skip the rest of it. */
		while (!whole && fgets(buf, sizeof buf, f) != NULL)
			whole = strchr(buf, '\n') != NULL;
	}
	fclose(f);
	return x->count > 0 && n >= line ? 0 : -1;
}

void tl_strip_dir(char *s, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 0)
		return;
	for (char *p = strstr(s, dir); p != NULL; p = strstr(p, dir)) {
		if (p[n] == '/')
			memmove(p, p + n + 1, strlen(p + n + 1) + 1);
		else
			p += n;
	}
}

void tl_finding_strip_dir(struct tl_finding *f, const char *dir)
{
	tl_strip_dir(f->site.file, dir);
	tl_strip_dir(f->other.file, dir);
	tl_strip_dir(f->message, dir);
}

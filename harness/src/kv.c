/* kv.c: the one reader of the toolkit's strict "key: value" files (lab.decl, the grading rubric). */
#include <stdarg.h>
#include <string.h>

#include "stages.h"

/* The longest line, newline included, is this less one byte. */
#define KV_LINE 1024

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int tl_kv_fail(const struct tl_kv *kv, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", kv->path, kv->line, msg);
	return -1;
}

int tl_kv_read(FILE *f, const char *path, tl_kv_fn fn, void *ctx, int *lines, char *err, size_t errlen)
{
	char buf[KV_LINE];
	struct tl_kv kv = {path, 0, NULL, NULL};
	int rc = 0;
	while (rc == 0 && fgets(buf, sizeof buf, f) != NULL) {
		kv.line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			rc = tl_kv_fail(&kv, err, errlen, "line longer than %zu bytes", sizeof buf - 2);
			break;
		}
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		char *line = trim(buf);
		if (*line == '\0')
			continue;
		char *colon = strchr(line, ':');
		if (colon != NULL)
			*colon = '\0';
		kv.key = trim(line);
		kv.value = colon != NULL ? trim(colon + 1) : NULL;
		rc = fn(ctx, &kv, err, errlen);
	}
	*lines = kv.line;
	return rc;
}

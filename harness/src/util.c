/* util.c: small helpers every stage uses: strings and lines, paths and files, the clock. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stages.h"

/* Copies SRC into DST, at most DSTLEN-1 bytes, always terminating. A NULL SRC gives "".
 * DSTLEN must be > 0. */
void tl_strlcpy(char *dst, const char *src, size_t dstlen)
{
	TL_ASSERT(dst != NULL && dstlen > 0);
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	size_t n = strlen(src);
	if (n >= dstlen)
		n = dstlen - 1;
	memmove(dst, src, n);
	dst[n] = '\0';
}

/* Formats FMT into ERR when ERRLEN > 0; the text is cut to fit and always terminated. */
void tl__errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int tl__is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int tl__is_blank(const char *text, size_t len)
{
	size_t k = 0;
	while (k < len && tl__is_space(text[k]))
		k++;
	return k == len;
}

int tl__has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

int tl_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int tl__next_line(const char *text, size_t len, size_t *pos, struct tl__line *l)
{
	if (*pos >= len)
		return 0;
	const char *b = text + *pos;
	const char *nl = memchr(b, '\n', len - *pos);
	const char *e = nl ? nl : text + len;
	*pos = (size_t)(e - text) + (nl ? 1 : 0);
	l->b = b;
	l->e = e > b && e[-1] == '\r' ? e - 1 : e;
	l->no++;
	l->unterminated = nl == NULL;
	return 1;
}

int tl_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		return 0;
	buf[0] = '\0';
	errno = ENAMETOOLONG;
	return -1;
}

int tl_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *dup = strdup(path != NULL ? path : "/usr/bin:/bin");
	TL_ASSERT(dup != NULL);
	int found = 0;
	for (char *save = NULL, *dir = strtok_r(dup, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char p[TL_PATH * 2];
		found = tl_pathf(p, sizeof p, "%s/%s", dir, prog) == 0 && access(p, X_OK) == 0;
	}
	free(dup);
	return found;
}

int tl_mkdirs(const char *path)
{
	char buf[TL_PATH];
	if (strlen(path) >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	tl_strlcpy(buf, path, sizeof buf);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

void tl_paths_addf(struct tl_paths *p, const char *fmt, ...)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = realloc(p->v, p->cap * sizeof *p->v);
		TL_ASSERT(p->v != NULL);
	}
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&p->v[p->n], fmt, ap);
	va_end(ap);
	TL_ASSERT(rc >= 0);
	p->n++;
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tl_paths_sort(struct tl_paths *p)
{
	if (p->n > 1)
		qsort(p->v, p->n, sizeof *p->v, cmp_paths);
}

void tl_paths_free(struct tl_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

double tl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads PATH whole, or its first MAX bytes (then *TRUNCATED is 1), into a malloc'd buffer with a
 * NUL after the data; *LEN gets the data length. LEN and TRUNCATED may be NULL. Returns NULL with
 * errno set when the file cannot be opened or read, or memory runs out; nothing leaks then. */
char *tl_read_file(const char *path, size_t max, size_t *len, int *truncated)
{
	FILE *fp = NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int cut = 0, saved;

	if (len)
		*len = 0;
	if (truncated)
		*truncated = 0;
	if (path == NULL || max == SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max + 1)
				ncap = max + 1;
			/* Why the extra byte: one byte beyond MAX tells a file of exactly MAX bytes
			 * from a longer one, and the same byte later holds the NUL. */
			if (ncap <= cap)
				break;
			char *nb = realloc(buf, ncap);
			if (nb == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0) {
			if (ferror(fp)) {
				errno = EIO;
				goto fail;
			}
			break;
		}
	}
	if (n > max) {
		n = max;
		cut = 1;
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL) {
			errno = ENOMEM;
			goto fail;
		}
	}
	buf[n] = '\0';
	fclose(fp);
	if (len)
		*len = n;
	if (truncated)
		*truncated = cut;
	return buf;
fail:
	saved = errno;
	free(buf);
	fclose(fp);
	errno = saved;
	return NULL;
}

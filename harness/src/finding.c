/* finding.c: the finding list, the name tables generated from kinds.def and tools.def, and small helpers every stage uses. */
#include "threadlab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[TL_KIND_COUNT] = {
#define X(e, name, meaning) [TL_KIND_##e] = name,
#include "kinds.def"
#undef X
};

static const char *const kind_meanings[TL_KIND_COUNT] = {
#define X(e, name, meaning) [TL_KIND_##e] = meaning,
#include "kinds.def"
#undef X
};

static const char *const tool_names[TL_TOOL_COUNT] = {
#define X(e, name, tsan_build) [TL_TOOL_##e] = name,
#include "tools.def"
#undef X
};

static const int tool_tsan_build[TL_TOOL_COUNT] = {
#define X(e, name, tsan_build) [TL_TOOL_##e] = tsan_build,
#include "tools.def"
#undef X
};

/* Why a compile-time check: tl_kindset is a bit set, so every kind needs a bit of its own. */
_Static_assert(TL_KIND_COUNT <= sizeof(tl_kindset) * 8, "tl_kindset has too few bits for kinds.def");

/* Prints where an impossible state was met and aborts; never returns. */
_Noreturn void tl_assert_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
	fflush(stderr);
	abort();
}

/* Returns the table name of K ("race", ...). K must be a valid kind; anything else aborts. */
const char *tl_kind_name(enum tl_kind k)
{
	TL_ASSERT((unsigned)k < TL_KIND_COUNT);
	return kind_names[k];
}

/* Returns the one-line meaning of K from kinds.def. K must be valid; anything else aborts. */
const char *tl_kind_meaning(enum tl_kind k)
{
	TL_ASSERT((unsigned)k < TL_KIND_COUNT);
	return kind_meanings[k];
}

/* Returns the table name of T ("tsan", ...). T must be valid; anything else aborts. */
const char *tl_tool_name(enum tl_tool t)
{
	TL_ASSERT((unsigned)t < TL_TOOL_COUNT);
	return tool_names[t];
}

/* Returns 1 when T's program must be built with -fsanitize=thread, else 0. Aborts on an invalid T. */
int tl_tool_needs_tsan_build(enum tl_tool t)
{
	TL_ASSERT((unsigned)t < TL_TOOL_COUNT);
	return tool_tsan_build[t];
}

/* Looks NAME up in kinds.def (exact, case-sensitive). Returns the kind, or -1 for an unknown
 * or NULL name. */
int tl_kind_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int k = 0; k < TL_KIND_COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

/* Looks NAME up in tools.def (exact, case-sensitive). Returns the tool, or -1 for an unknown
 * or NULL name. */
int tl_tool_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		if (strcmp(tool_names[t], name) == 0)
			return t;
	return -1;
}

/* Writes the names of the kinds in SET, sorted by name and separated by one space, or "clean"
 * for an empty set, into BUF (LEN > 0). Output that does not fit is cut, always terminated.
 * Bits beyond the table are ignored. Returns BUF. */
char *tl_kindset_str(tl_kindset set, char *buf, size_t len)
{
	const char *sorted[TL_KIND_COUNT];
	size_t n = 0, used = 0;

	TL_ASSERT(buf != NULL && len > 0);
	for (int k = 0; k < TL_KIND_COUNT; k++) {
		if (!(set & TL_KINDSET(k)))
			continue;
		/* Why insertion sort: the output must not depend on the order of kinds.def. */
		size_t i = n++;
		while (i > 0 && strcmp(sorted[i - 1], kind_names[k]) > 0) {
			sorted[i] = sorted[i - 1];
			i--;
		}
		sorted[i] = kind_names[k];
	}
	buf[0] = '\0';
	if (n == 0) {
		tl_strlcpy(buf, "clean", len);
		return buf;
	}
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", sorted[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

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

/* Appends a copy of F to LIST; the list takes over F->detail (the caller must not free it).
 * Returns the stored element, valid until the next add or free. Aborts when memory runs out. */
struct tl_finding *tl_findings_add(struct tl_findings *list, const struct tl_finding *f)
{
	TL_ASSERT(list != NULL && f != NULL);
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		TL_ASSERT(cap <= SIZE_MAX / sizeof(*list->v));
		struct tl_finding *v = realloc(list->v, cap * sizeof(*v));
		TL_ASSERT(v != NULL);
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n] = *f;
	return &list->v[list->n++];
}

/* Frees every finding's detail and the array, and leaves LIST empty and reusable. */
void tl_findings_free(struct tl_findings *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i].detail);
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

/* Returns the set of kinds present in LIST (0 when it is empty or NULL). */
tl_kindset tl_findings_kinds(const struct tl_findings *list)
{
	tl_kindset set = 0;

	if (list == NULL)
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		TL_ASSERT((unsigned)list->v[i].kind < TL_KIND_COUNT);
		set |= TL_KINDSET(list->v[i].kind);
	}
	return set;
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

/* Appends FROM's findings to TO in order, handing their details over, and leaves FROM empty.
 * Aborts when memory runs out (as tl_findings_add does). */
void tl__findings_move(struct tl_findings *to, struct tl_findings *from)
{
	TL_ASSERT(to != NULL && from != NULL);
	for (size_t i = 0; i < from->n; i++)
		tl_findings_add(to, &from->v[i]);
	free(from->v);
	from->v = NULL;
	from->n = from->cap = 0;
}

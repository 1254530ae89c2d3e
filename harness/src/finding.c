/* finding.c: the finding list and the name tables generated from kinds.def and tools.def. */
#include "threadlab.h"

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
#define X(e, name, build, tests_build, time_factor, channel, hooks) [TL_TOOL_##e] = name,
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

size_t tl__findings_drop(struct tl_findings *list, int (*drop)(const struct tl_finding *f, const void *ctx),
			 const void *ctx)
{
	size_t kept = 0, n = list->n;
	for (size_t i = 0; i < n; i++) {
		if (drop(&list->v[i], ctx)) {
			free(list->v[i].detail);
			continue;
		}
		list->v[kept++] = list->v[i];
	}
	list->n = kept;
	return n - kept;
}

/* explain.c: plain-language explanations of each finding kind: what it is, why it matters, who finds it. */
#include "stages.h"

struct explanation {
	const char *what;
	const char *why;
	const char *tools;  /* how each tool finds it, and what each misses */
	const char *fix;
};

static const struct explanation explanations[TL_KIND_COUNT] = {
#define X(k, what, why, tools, fix) [TL_KIND_##k] = {what, why, tools, fix},
#include "explain.def"
#undef X
};

/* Why a compile-time count: a kind without its row would be explained by NULL (a row given
 * twice is already an error, -Woverride-init). */
enum {
	EXPLAINED = 0
#define X(k, what, why, tools, fix) +1
#include "explain.def"
#undef X
};
_Static_assert((int)EXPLAINED == (int)TL_KIND_COUNT, "explain.def needs one row per kind of kinds.def");

/* K's explanation. K must be valid; anything else aborts. */
static const struct explanation *explanation(enum tl_kind k)
{
	TL_ASSERT((unsigned)k < TL_KIND_COUNT);
	return &explanations[k];
}

int tl_explain(FILE *out, const char *kind)
{
	int k = tl_kind_from_name(kind);
	if (k < 0) {
		fprintf(stderr, "threadlab: unknown kind '%s'; one of:", kind);
		for (int i = 0; i < TL_KIND_COUNT; i++)
			fprintf(stderr, " %s", tl_kind_name((enum tl_kind)i));
		fputc('\n', stderr);
		return -1;
	}
	const struct explanation *e = explanation((enum tl_kind)k);
	fprintf(out, "%s: %s\n\nWhat it is\n  %s\n\nWhy it matters\n  %s\n\nWho finds it\n  %s\n\nHow to fix it\n  %s\n",
		kind, tl_kind_meaning((enum tl_kind)k), e->what, e->why, e->tools, e->fix);
	return 0;
}

const char *tl_explain_short(enum tl_kind k)
{
	return explanation(k)->what;
}

const char *tl_explain_tools(enum tl_kind k)
{
	return explanation(k)->tools;
}

/* canary.c: recognises the liveness canaries' findings (harness/canary), which every graded run must show and no report shows. */
#include <stdlib.h>
#include <string.h>

#include "stages.h"

/* Whether SITE is in one of the canary's source files. */
static int in_canary(const struct tl_site *site)
{
	const char *base = strrchr(site->file, '/');
	base = base != NULL ? base + 1 : site->file;
	return strncmp(base, "threadlab_canary", 16) == 0;
}

/* Whether F is TOOL's report of its canary: the failing test of that name for cmocka, a
 * finding of the canary's kind located in the canary's code for the detectors. */
static int is_canary(const struct tl_finding *f, const void *ctx)
{
	enum tl_kind kind = tl_tool(*(const enum tl_tool *)ctx)->hooks->canary_kind;
	if (kind == TL_KIND_TEST_FAIL)
		return strcmp(f->site.function, "threadlab_canary") == 0;
	return f->kind == kind && (in_canary(&f->site) || in_canary(&f->other));
}

int tl_canary_take(enum tl_tool tool, struct tl_findings *run)
{
	return (int)tl__findings_drop(run, is_canary, &tool);
}

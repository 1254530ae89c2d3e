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
static int is_canary(enum tl_tool tool, const struct tl_finding *f)
{
	switch (tool) {
	case TL_TOOL_TEST:
		return strcmp(f->site.function, "threadlab_canary") == 0;
	case TL_TOOL_TSAN:
	case TL_TOOL_HELGRIND:
		return f->kind == TL_KIND_RACE && (in_canary(&f->site) || in_canary(&f->other));
	case TL_TOOL_THREADCHECK:
		return f->kind == TL_KIND_THREAD_LEAK && (in_canary(&f->site) || in_canary(&f->other));
	case TL_TOOL_COUNT:
		break;
	}
	return 0;
}

int tl_canary_take(enum tl_tool tool, struct tl_findings *run)
{
	size_t kept = 0;
	int taken = 0;
	for (size_t i = 0; i < run->n; i++) {
		if (is_canary(tool, &run->v[i])) {
			free(run->v[i].detail);
			taken++;
			continue;
		}
		run->v[kept++] = run->v[i];
	}
	run->n = kept;
	return taken;
}

const char *tl_canary_what(enum tl_tool tool)
{
	switch (tool) {
	case TL_TOOL_TSAN:
	case TL_TOOL_HELGRIND:
		return "data race";
	case TL_TOOL_THREADCHECK:
		return "leaked thread";
	case TL_TOOL_TEST:
		return "failing test";
	case TL_TOOL_COUNT:
		break;
	}
	return "report";
}

const char *tl_canary_reporter(enum tl_tool tool)
{
	switch (tool) {
	case TL_TOOL_TSAN:
		return "ThreadSanitizer";
	case TL_TOOL_HELGRIND:
		return "Helgrind";
	case TL_TOOL_THREADCHECK:
		return "threadcheck";
	case TL_TOOL_TEST:
		return "cmocka";
	case TL_TOOL_COUNT:
		break;
	}
	return "the tool";
}

/* compare.c: sets each lab verdict against what the lab declares for that variant and tool, and the judged verdict against the variant. */
#include "stages.h"

/* Holds R against what E declares, when E declares something and the tool was run. Returns 1
 * when they differ, else 0. */
static int compare(struct tl_result *r, const struct tl_expect *e)
{
	if (!e->declared || r->status == TL_ST_NOT_RUN)
		return 0;
	r->compared = 1;
	r->expected = e->kinds;
	/* A skipped or failed tool is never "as declared": the self-test must see every tool. */
	r->match = r->status == TL_ST_RAN && r->kinds == e->kinds;
	return !r->match;
}

/* The verdict on R under MODE. */
static enum tl_verdict verdict(const struct tl_result *r, enum tl_mode mode)
{
	switch (r->status) {
	case TL_ST_NOT_RUN:
	case TL_ST_SKIPPED:
		return TL_VERDICT_SKIP;
	case TL_ST_ERROR:
		return TL_VERDICT_ERROR;
	case TL_ST_RAN:
		break;
	}
	int pass = mode == TL_MODE_SELFTEST ? r->match : r->kinds == 0;
	return pass ? TL_VERDICT_PASS : TL_VERDICT_FAIL;
}

/* Holds T's judged verdict against its variant in selftest: the buggy version of a lab must be
 * judged to have a bug, the fixed one none. Returns 1 when it is not so, else 0. */
static int compare_judged(struct tl_target *t)
{
	struct tl_judgement *j = &t->judged;
	j->compared = 1;
	j->match = t->variant == TL_FIXED ? j->kinds == 0 : j->kinds != 0;
	return !j->match;
}

int tl_compare_target(struct tl_target *t, enum tl_mode mode)
{
	int mismatches = 0;
	if (mode == TL_MODE_SELFTEST && t->lab != NULL && t->judged.done)
		mismatches += compare_judged(t);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		struct tl_result *r = &t->result[tool];
		if (mode == TL_MODE_SELFTEST && t->lab != NULL)
			mismatches += compare(r, &t->lab->expect[t->variant][tool]);
		r->verdict = verdict(r, mode);
	}
	return mismatches;
}

const char *tl_status_name(enum tl_status s)
{
	switch (s) {
	case TL_ST_NOT_RUN:
		return "not-run";
	case TL_ST_RAN:
		return "ran";
	case TL_ST_SKIPPED:
		return "skipped";
	case TL_ST_ERROR:
		return "error";
	}
	return "?";
}

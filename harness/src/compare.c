/* compare.c: sets each lab verdict against what the lab declares for that variant and tool. */
#include "stages.h"

int tl_compare_target(struct tl_target *t)
{
	if (t->lab == NULL)
		return 0;
	int mismatches = 0;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		struct tl_result *r = &t->result[tool];
		const struct tl_expect *e = &t->lab->expect[t->variant][tool];
		if (!e->declared || r->status == TL_ST_NOT_RUN)
			continue;
		r->compared = 1;
		r->expected = e->kinds;
		/* A skipped or failed tool is never "as declared": the self-test must see every tool. */
		r->match = r->status == TL_ST_RAN && r->kinds == e->kinds;
		mismatches += !r->match;
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

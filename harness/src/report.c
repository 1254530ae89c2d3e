/* report.c: the output formats (formats.def) and the names of the commands' modes, looked up by the command line and the reporters. */
#include <string.h>

#include "stages.h"

static const struct tl_format_ops formats[TL_FORMAT_COUNT] = {
#define X(e, name_, report_, grade_) [TL_FORMAT_##e] = {.name = name_, .report = report_, .grade = grade_},
#include "formats.def"
#undef X
};

int tl_format_from_name(const char *name)
{
	for (int f = 0; f < TL_FORMAT_COUNT; f++)
		if (strcmp(formats[f].name, name) == 0)
			return f;
	return -1;
}

const struct tl_format_ops *tl_format(enum tl_format f)
{
	TL_ASSERT((unsigned)f < TL_FORMAT_COUNT);
	return &formats[f];
}

void tl_report_grade(FILE *out, const char *format, const struct tl_grade *g)
{
	int f = tl_format_from_name(format);
	TL_ASSERT(f >= 0 && formats[f].grade != NULL);
	formats[f].grade(out, g);
}

const char *tl_mode_name(enum tl_mode m)
{
	switch (m) {
	case TL_MODE_CHECK:
		return "check";
	case TL_MODE_SELFTEST:
		return "selftest";
	case TL_MODE_ANALYZE:
		return "analyze";
	}
	tl_assert_fail(__FILE__, __LINE__, "tl_mode_name: no such mode");
}

const char *tl_target_role(const struct tl_target *t, enum tl_mode mode)
{
	if (t->lab == NULL)
		return "";
	if (t->variant == TL_FIXED)
		return "solution";
	return mode == TL_MODE_CHECK ? "your code" : "handout";
}

const struct tl_finding *tl_next_kept(const struct tl_target *t, struct tl_kept_cursor *c)
{
	for (; c->tool < TL_TOOL_COUNT; c->tool++, c->index = 0) {
		const struct tl_findings *l = &t->result[c->tool].findings;
		while (c->index < l->n) {
			const struct tl_finding *f = &l->v[c->index++];
			if (f->dismissed == NULL)
				return f;
		}
	}
	return NULL;
}

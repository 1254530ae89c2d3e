/* rubric.c: the grading rubric: points per item, with defaults and per-lab overrides, parsed strictly. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

const char *tl_item_name(enum tl_item i)
{
	switch (i) {
#define X(e, name, what)                                                                            \
	case TL_ITEM_##e:                                                                           \
		return name;
#include "items.def"
#undef X
	case TL_ITEM_COUNT:
		break;
	}
	return "?";
}

const char *tl_item_what(enum tl_item i)
{
	switch (i) {
#define X(e, name, what)                                                                            \
	case TL_ITEM_##e:                                                                           \
		return what;
#include "items.def"
#undef X
	case TL_ITEM_COUNT:
		break;
	}
	return "?";
}

static int item_from_name(const char *name)
{
	for (int i = 0; i < TL_ITEM_COUNT; i++)
		if (strcmp(name, tl_item_name((enum tl_item)i)) == 0)
			return i;
	return -1;
}

/* The built-in rubric: 10 points a lab, most for correct results and a clean race check. */
static const double default_points[TL_ITEM_COUNT] = {
	[TL_ITEM_TESTS] = 4, [TL_ITEM_TSAN] = 2, [TL_ITEM_HELGRIND] = 2, [TL_ITEM_THREADS] = 1,
	[TL_ITEM_FINISHES] = 1,
};

/* One "scope.item: points" line of a rubric, scope being "default" or a lab's slug. */
static int rubric_line(void *ctx, const struct tl_kv *kv, char *err, size_t errlen)
{
	struct tl_rubric *r = ctx;
	char *end = NULL;
	double pts = kv->value != NULL && kv->value[0] != '\0' ? strtod(kv->value, &end) : -1;
	while (end != NULL && isspace((unsigned char)*end))
		end++;
	char *dot = strrchr(kv->key, '.');
	int item = dot != NULL ? item_from_name(dot + 1) : -1;
	if (end == NULL || *end != '\0' || strlen(kv->key) > 127 || strpbrk(kv->key, " \t") != NULL || item < 0 ||
	    pts < 0 || pts > 1000)
		return tl_kv_fail(kv, err, errlen,
				  "Bad line (expected 'default.ITEM: POINTS' or 'NN-slug.ITEM: POINTS', ITEM one of tests tsan helgrind threads finishes)");
	*dot = '\0';
	if (strcmp(kv->key, "default") == 0) {
		r->def[item] = pts;
		return 0;
	}
	if (r->nover == TL_RUBRIC_MAX)
		return tl_kv_fail(kv, err, errlen, "more than %d overrides", TL_RUBRIC_MAX);
	tl_strlcpy(r->over[r->nover].slug, kv->key, sizeof r->over[0].slug);
	r->over[r->nover].item = (enum tl_item)item;
	r->over[r->nover].points = pts;
	r->nover++;
	return 0;
}

int tl_rubric_load(const char *path, struct tl_rubric *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	memcpy(r->def, default_points, sizeof r->def);
	if (path == NULL)
		return 0;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int lines = 0;
	int rc = tl_kv_read(f, path, rubric_line, r, &lines, err, errlen);
	fclose(f);
	return rc;
}

double tl_rubric_points(const struct tl_rubric *r, const char *slug, enum tl_item item)
{
	for (int i = r->nover - 1; i >= 0; i--)
		if (r->over[i].item == item && strcmp(r->over[i].slug, slug) == 0)
			return r->over[i].points;
	return r->def[item];
}

/* rubric.c: derives each lab's grading rubric from lab.decl and the recorded handout run, with points from a strict rubric file. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

const char *tl_check_kind_name(enum tl_check_kind k)
{
	switch (k) {
#define X(e, name, what)                                                                            \
	case TL_CHECK_##e:                                                                          \
		return name;
#include "items.def"
#undef X
	case TL_CHECK_COUNT:
		break;
	}
	return "?";
}

const char *tl_check_kind_what(enum tl_check_kind k)
{
	switch (k) {
#define X(e, name, what)                                                                            \
	case TL_CHECK_##e:                                                                          \
		return what;
#include "items.def"
#undef X
	case TL_CHECK_COUNT:
		break;
	}
	return "?";
}

const char *tl_outcome_name(enum tl_outcome o)
{
	switch (o) {
	case TL_OUT_EARNED:
		return "earned";
	case TL_OUT_LOST:
		return "lost";
	case TL_OUT_HELD:
		return "held";
	case TL_OUT_BROKEN:
		return "broken";
	}
	return "?";
}

/* The rubric file's keys, with their defaults: a lab is worth 10 points, split between the
 * detectors that tell the handout from a fix and the tests that fail on the handout in the
 * ratio of their weights (half each), and a gate that fails costs 2. */
static const struct {
	const char *name;
	double def;
} keys[TL_RK_COUNT] = {
	[TL_RK_POINTS] = {"points", 10},
	[TL_RK_DETECTORS] = {"detectors", 1},
	[TL_RK_TESTS] = {"tests", 1},
	[TL_RK_GATE] = {"gate", 2},
};

static int key_from_name(const char *name)
{
	for (int i = 0; i < TL_RK_COUNT; i++)
		if (strcmp(name, keys[i].name) == 0)
			return i;
	return -1;
}

/* One "scope.key: value" line of a rubric, scope being "default" or a lab's slug. */
static int rubric_line(void *ctx, const struct tl_kv *kv, char *err, size_t errlen)
{
	struct tl_rubric *r = ctx;
	char *end = NULL;
	double v = kv->value != NULL && kv->value[0] != '\0' ? strtod(kv->value, &end) : -1;
	while (end != NULL && isspace((unsigned char)*end))
		end++;
	char *dot = strrchr(kv->key, '.');
	int key = dot != NULL ? key_from_name(dot + 1) : -1;
	if (end == NULL || *end != '\0' || strlen(kv->key) > 127 || strpbrk(kv->key, " \t") != NULL || key < 0 ||
	    v < 0 || v > 1000)
		return tl_kv_fail(kv, err, errlen,
				  "Bad line (expected 'default.KEY: NUMBER' or 'NN-slug.KEY: NUMBER', KEY one of points detectors tests gate, NUMBER 0 to 1000)");
	*dot = '\0';
	if (strcmp(kv->key, "default") == 0) {
		r->def[key] = v;
		return 0;
	}
	if (r->nover == TL_RUBRIC_MAX)
		return tl_kv_fail(kv, err, errlen, "more than %d overrides", TL_RUBRIC_MAX);
	tl_strlcpy(r->over[r->nover].slug, kv->key, sizeof r->over[0].slug);
	r->over[r->nover].key = (enum tl_rubric_key)key;
	r->over[r->nover].value = v;
	r->nover++;
	return 0;
}

int tl_rubric_load(const char *path, struct tl_rubric *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < TL_RK_COUNT; i++)
		r->def[i] = keys[i].def;
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

double tl_rubric_value(const struct tl_rubric *r, const char *slug, enum tl_rubric_key key)
{
	for (int i = r->nover - 1; i >= 0; i--)
		if (r->over[i].key == key && strcmp(r->over[i].slug, slug) == 0)
			return r->over[i].value;
	return r->def[key];
}

/* Appends a check to OUT. Returns it, or NULL when OUT is full. */
static struct tl_check *add_check(struct tl_lab_rubric *out, enum tl_check_kind kind, enum tl_tool tool,
				  const char *name, int gate)
{
	if (out->n == TL_CHECKS_MAX)
		return NULL;
	struct tl_check *c = &out->check[out->n++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->tool = tool;
	c->gate = gate;
	tl_strlcpy(c->name, name, sizeof c->name);
	return c;
}

/* The detectors' checks: a tool whose declared verdict on the handout differs from the fixed
 * one tells them apart and earns; one that says the same of both is a gate. */
static int tool_checks(const struct tl_lab *lab, struct tl_lab_rubric *out)
{
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		if (tool == TL_TOOL_TEST)
			continue;
		tl_kindset buggy = lab->expect[TL_BUGGY][tool].kinds, fixed = lab->expect[TL_FIXED][tool].kinds;
		struct tl_check *c = add_check(out, TL_CHECK_TOOL, (enum tl_tool)tool, tl_tool_name((enum tl_tool)tool),
					       buggy == fixed);
		if (c == NULL)
			return -1;
		c->handout = buggy;
		c->want = fixed;
	}
	return 0;
}

/* The tests' checks: each test case that failed on the handout earns; the others together are
 * one gate. When the handout's tests fail without naming a case (they hang or crash) but the
 * declaration says they pass on a fix, the tests as a whole earn. */
static int test_checks(const struct tl_lab *lab, const struct tl_record *rec, struct tl_lab_rubric *out)
{
	for (int i = 0; i < rec->nfail; i++) {
		char name[80];
		snprintf(name, sizeof name, "test:%.64s", rec->fail[i]);
		struct tl_check *c = add_check(out, TL_CHECK_TEST, TL_TOOL_TEST, name, 0);
		if (c == NULL)
			return -1;
		tl_strlcpy(c->test, rec->fail[i], sizeof c->test);
	}
	const int differs = lab->expect[TL_BUGGY][TL_TOOL_TEST].kinds != lab->expect[TL_FIXED][TL_TOOL_TEST].kinds;
	const int others = rec->tests > rec->nfail ? rec->tests - rec->nfail : 0;
	if (rec->nfail > 0 && others == 0)
		return 0;
	struct tl_check *c = add_check(out, TL_CHECK_TESTS, TL_TOOL_TEST, "tests", rec->nfail > 0 || !differs);
	if (c == NULL)
		return -1;
	c->covers = rec->nfail > 0 ? others : rec->tests;
	return 0;
}

/* Gives the earning checks their points: the lab's points split between detectors and tests
 * by their weights (all of it to one side when the other has no earning check), then equally
 * within each side; gates get what failing them costs. Returns 0, or -1 when nothing earns. */
static int share_points(const struct tl_rubric *r, const char *slug, struct tl_lab_rubric *out)
{
	int ntool = 0, ntest = 0;
	for (int i = 0; i < out->n; i++)
		if (!out->check[i].gate)
			out->check[i].kind == TL_CHECK_TOOL ? ntool++ : ntest++;
	double wtool = ntool > 0 ? tl_rubric_value(r, slug, TL_RK_DETECTORS) : 0;
	double wtest = ntest > 0 ? tl_rubric_value(r, slug, TL_RK_TESTS) : 0;
	if (wtool + wtest <= 0)
		return -1;
	const double points = tl_rubric_value(r, slug, TL_RK_POINTS);
	out->max = 0;
	for (int i = 0; i < out->n; i++) {
		struct tl_check *c = &out->check[i];
		if (c->gate)
			c->points = tl_rubric_value(r, slug, TL_RK_GATE);
		else if (c->kind == TL_CHECK_TOOL)
			c->points = points * wtool / (wtool + wtest) / ntool;
		else
			c->points = points * wtest / (wtool + wtest) / ntest;
		if (!c->gate)
			out->max += c->points;
	}
	return 0;
}

int tl_rubric_derive(const struct tl_rubric *r, const struct tl_lab *lab, const struct tl_record *rec,
		     struct tl_lab_rubric *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (tool_checks(lab, out) != 0 || test_checks(lab, rec, out) != 0) {
		snprintf(err, errlen, "%s: more than %d checks", lab->slug, TL_CHECKS_MAX);
		return -1;
	}
	if (share_points(r, lab->slug, out) != 0) {
		snprintf(err, errlen,
			 "%s: no check earns points (no detector's declared verdict and no test differs between the handout and a fix, or the rubric weighs them 0)",
			 lab->slug);
		return -1;
	}
	return 0;
}

int tl_rubric_for_lab(const struct tl_rubric *r, const struct tl_lab *lab, struct tl_lab_rubric *out, char *err,
		      size_t errlen)
{
	struct tl_record rec;
	if (tl_record_load(lab, &rec, err, errlen) != 0)
		return -1;
	return tl_rubric_derive(r, lab, &rec, out, err, errlen);
}

/* One lab's row of the items table: its earning checks with their points, its gates. */
static void items_row(FILE *out, const struct tl_lab *lab, const struct tl_lab_rubric *rub)
{
	fprintf(out, "| %s |", lab->slug);
	for (int gate = 0; gate < 2; gate++) {
		int first = 1;
		for (int i = 0; i < rub->n; i++) {
			const struct tl_check *c = &rub->check[i];
			if (c->gate != gate)
				continue;
			fprintf(out, "%s%s", first ? " " : ", ", c->name);
			if (!gate)
				fprintf(out, " %.4g", c->points);
			else if (c->kind == TL_CHECK_TESTS)
				fprintf(out, " (%d)", c->covers);
			first = 0;
		}
		fprintf(out, "%s |", first ? " -" : "");
	}
	fputc('\n', out);
}

int tl_grade_items_table(FILE *out, const struct tl_lab *labs, size_t n)
{
	struct tl_rubric r;
	char err[1024];
	(void)tl_rubric_load(NULL, &r, err, sizeof err);
	fprintf(out, "\nWhat `threadlab grade` scores (default rubric, %.4g points a lab): the checks that fail on the\n"
		     "handout earn them; the gates already pass there, earn nothing, and cost %.4g each when failed.\n"
		     "`test:NAME` is a test case, `tests (N)` the N cases that pass on the handout.\n\n",
		r.def[TL_RK_POINTS], r.def[TL_RK_GATE]);
	fprintf(out, "| lab | earns points | gates |\n| --- | --- | --- |\n");
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct tl_lab_rubric rub;
		if (tl_rubric_for_lab(&r, &labs[i], &rub, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: %s\n", err);
			fprintf(out, "| %s | (no current handout record) | |\n", labs[i].slug);
			failed++;
			continue;
		}
		items_row(out, &labs[i], &rub);
	}
	return failed ? -1 : 0;
}

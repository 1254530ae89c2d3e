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
 * detectors that tell the handout from a fix, the tests that fail on the handout and, in a lab
 * that declares explore: N, the schedules its program must survive, in the ratio of their
 * weights (a third each there, else half each), and a gate that fails costs 2. */
static const struct {
	const char *name;
	double def;
} keys[TL_RK_COUNT] = {
	[TL_RK_POINTS] = {"points", 10},
	[TL_RK_DETECTORS] = {"detectors", 1},
	[TL_RK_TESTS] = {"tests", 1},
	[TL_RK_EXPLORE] = {"explore", 1},
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
				  "Bad line (expected 'default.KEY: NUMBER' or 'NN-slug.KEY: NUMBER', KEY one of points detectors tests explore gate, NUMBER 0 to 1000)");
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

/* The explored schedules' check, when the lab declares explore: N (and R does not weigh it 0,
 * which leaves it out). It earns, never a gate, by
 * the rule that derives every check: selftest proves that the handout fails within N schedules
 * (and the solution survives them), so it is a check that fails on the handout and passes on a
 * fix. As an earning item it also measures the fix: a change that only makes the bad
 * interleaving rarer (a sleep, a yield) passes the runs of the other checks and loses these
 * points, where a gate would only have cost what any new problem costs. */
static int explore_check(const struct tl_rubric *r, const struct tl_lab *lab, struct tl_lab_rubric *out)
{
	/* A rubric that weighs it 0 has no such check, and grading then explores nothing. */
	if (lab->explore == 0 || tl_rubric_value(r, lab->slug, TL_RK_EXPLORE) <= 0)
		return 0;
	char name[32];
	snprintf(name, sizeof name, "explore:%d", lab->explore);
	struct tl_check *c = add_check(out, TL_CHECK_EXPLORE, TL_TOOL_THREADCHECK, name, 0);
	if (c == NULL)
		return -1;
	c->schedules = lab->explore;
	return 0;
}

/* The rubric key that weighs the earning checks of kind K: the detectors', the tests' or the
 * explored schedules' side. */
static enum tl_rubric_key side_of(enum tl_check_kind k)
{
	switch (k) {
	case TL_CHECK_TOOL:
		return TL_RK_DETECTORS;
	case TL_CHECK_TEST:
	case TL_CHECK_TESTS:
		return TL_RK_TESTS;
	case TL_CHECK_EXPLORE:
		return TL_RK_EXPLORE;
	case TL_CHECK_COUNT:
		break;
	}
	TL_ASSERT(!"a check kind without a side");
	return TL_RK_COUNT;
}

/* Gives the earning checks their points: the lab's points split between the sides (detectors,
 * tests, explored schedules) that have an earning check, by their weights, then equally within
 * each side; gates get what failing them costs. Returns 0, or -1 when nothing earns. */
static int share_points(const struct tl_rubric *r, const char *slug, struct tl_lab_rubric *out)
{
	int count[TL_RK_COUNT] = {0};
	double weight[TL_RK_COUNT] = {0}, total = 0;
	for (int i = 0; i < out->n; i++)
		if (!out->check[i].gate)
			count[side_of(out->check[i].kind)]++;
	for (int k = 0; k < TL_RK_COUNT; k++) {
		weight[k] = count[k] > 0 ? tl_rubric_value(r, slug, (enum tl_rubric_key)k) : 0;
		total += weight[k];
	}
	if (total <= 0)
		return -1;
	const double points = tl_rubric_value(r, slug, TL_RK_POINTS);
	out->max = 0;
	for (int i = 0; i < out->n; i++) {
		struct tl_check *c = &out->check[i];
		enum tl_rubric_key side = side_of(c->kind);
		c->points = c->gate ? tl_rubric_value(r, slug, TL_RK_GATE) : points * weight[side] / total / count[side];
		if (!c->gate)
			out->max += c->points;
	}
	return 0;
}

int tl_rubric_derive(const struct tl_rubric *r, const struct tl_lab *lab, const struct tl_record *rec,
		     struct tl_lab_rubric *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (tool_checks(lab, out) != 0 || test_checks(lab, rec, out) != 0 || explore_check(r, lab, out) != 0) {
		snprintf(err, errlen, "%s: more than %d checks", lab->slug, TL_CHECKS_MAX);
		return -1;
	}
	if (share_points(r, lab->slug, out) != 0) {
		snprintf(err, errlen,
			 "%s: no check earns points (no detector's declared verdict, no test and no explored schedule differs between the handout and a fix, or the rubric weighs them 0)",
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

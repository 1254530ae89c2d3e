/* discover.c: finds the labs and parses each lab's strict lab.decl declaration. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stages.h"

const char *tl_variant_name(enum tl_variant v)
{
	switch (v) {
	case TL_BUGGY:
		return "buggy";
	case TL_FIXED:
		return "fixed";
	case TL_VARIANT_COUNT:
		break;
	}
	return "?";
}

/* Splits VALUE on blanks into at most MAX names of at most 63 bytes. Returns the count or -1. */
static int split_files(char *value, char (*dst)[64], int max)
{
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(value, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		/* A declared file must stay inside its lab folder. */
		if (n == max || strlen(tok) >= 64 || strchr(tok, '/') != NULL || tok[0] == '.')
			return -1;
		tl_strlcpy(dst[n++], tok, 64);
	}
	return n;
}

/* Splits VALUE on blanks into at most MAX C identifiers of at most 63 bytes (the symbols a lab
 * adds to the import allowlist: exact names, no families). Returns the count, or -1 with the
 * offending word in BAD. */
static int split_allow(char *value, char (*dst)[64], int max, char *bad, size_t badlen)
{
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(value, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		int ok = n < max && strlen(tok) < 64 && (tok[0] == '_' || isalpha((unsigned char)tok[0]));
		for (const char *c = tok; ok && *c != '\0'; c++)
			ok = *c == '_' || isalnum((unsigned char)*c);
		if (!ok) {
			tl_strlcpy(bad, tok, badlen);
			return -1;
		}
		tl_strlcpy(dst[n++], tok, 64);
	}
	return n;
}

/* Parses "clean" or a set of kind names. Returns 0, or -1 naming the bad word in BAD. */
static int parse_kinds(char *value, tl_kindset *set, char *bad, size_t badlen)
{
	*set = 0;
	int words = 0, clean = 0;
	for (char *save = NULL, *tok = strtok_r(value, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		words++;
		if (strcmp(tok, "clean") == 0) {
			clean = 1;
			continue;
		}
		int k = tl_kind_from_name(tok);
		if (k < 0) {
			tl_strlcpy(bad, tok, badlen);
			return -1;
		}
		*set |= TL_KINDSET(k);
	}
	if (words == 0 || (clean && words > 1)) {
		tl_strlcpy(bad, words == 0 ? "(nothing)" : "clean with other kinds", badlen);
		return -1;
	}
	return 0;
}

/* A file list (student, program, test) into DST and *COUNT. */
static int set_files(const struct tl_kv *kv, char (*dst)[64], int *count, char *err, size_t errlen)
{
	*count = split_files(kv->value, dst, TL_MAX_FILES);
	if (*count < 0)
		return tl_kv_fail(kv, err, errlen, "bad file list for '%s' (plain names inside the lab folder, at most %d)",
				  kv->key, TL_MAX_FILES);
	return 0;
}

/* A whole number of 1..600 (timeout, runs) into *V. */
static int set_number(const struct tl_kv *kv, int *v, char *err, size_t errlen)
{
	char *end;
	long n = strtol(kv->value, &end, 10);
	if (*end != '\0' || n < 1 || n > 600)
		return tl_kv_fail(kv, err, errlen, "'%s' must be a whole number 1..600", kv->key);
	*v = (int)n;
	return 0;
}

static int set_title(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	tl_strlcpy(lab->title, kv->value, sizeof lab->title);
	return 0;
}

static int set_lesson(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	tl_strlcpy(lab->lesson, kv->value, sizeof lab->lesson);
	return 0;
}

static int add_hint(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	if (lab->nhint == TL_MAX_HINTS)
		return tl_kv_fail(kv, err, errlen, "more than %d hints", TL_MAX_HINTS);
	tl_strlcpy(lab->hint[lab->nhint++], kv->value, sizeof lab->hint[0]);
	return 0;
}

static int set_student(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	return set_files(kv, lab->student, &lab->nstudent, err, errlen);
}

static int set_program(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	return set_files(kv, lab->program, &lab->nprogram, err, errlen);
}

static int set_test(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	return set_files(kv, lab->test, &lab->ntest, err, errlen);
}

static int set_allow(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	char bad[64];
	lab->nallow = split_allow(kv->value, lab->allow, TL_MAX_ALLOW, bad, sizeof bad);
	if (lab->nallow < 0)
		return tl_kv_fail(kv, err, errlen, "'allow': '%s' is not a symbol name (exact C identifiers, at most %d)",
				  bad, TL_MAX_ALLOW);
	return 0;
}

static int set_timeout(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	return set_number(kv, &lab->timeout_s, err, errlen);
}

static int set_runs(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	return set_number(kv, &lab->runs, err, errlen);
}

/* explore: N, the schedules under which the buggy program must fail and the solution must
 * survive (threadlab explore), 1..100000. */
static int set_explore(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	char *end;
	long n = strtol(kv->value, &end, 10);
	if (*end != '\0' || n < 1 || n > 100000)
		return tl_kv_fail(kv, err, errlen, "'explore' must be a whole number 1..100000");
	lab->explore = (int)n;
	return 0;
}

/* lab.decl's keys that name no tool: what each sets, and whether it may be given again. */
static const struct decl_key {
	const char *name;
	int (*set)(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen);
	int repeats;
} decl_keys[] = {
	{"title", set_title, 0},     {"lesson", set_lesson, 0},   {"hint", add_hint, 1},
	{"student", set_student, 0}, {"program", set_program, 0}, {"test", set_test, 0},
	{"allow", set_allow, 0},     {"timeout", set_timeout, 0}, {"runs", set_runs, 0},
	{"explore", set_explore, 0},
};
#define NDECL_KEYS (sizeof decl_keys / sizeof decl_keys[0])

/* The keys that name a tool: "buggy.TOOL" and "fixed.TOOL" (what TOOL must report for the
 * variant) and "blind.TOOL" (why TOOL is blind to the lab's bug). */
static int set_tool_key(struct tl_lab *lab, const struct tl_kv *kv, char *err, size_t errlen)
{
	const char *dot = strchr(kv->key, '.');
	int tool = dot != NULL ? tl_tool_from_name(dot + 1) : -1;
	size_t n = dot != NULL ? (size_t)(dot - kv->key) : 0;
	int blind = n == 5 && strncmp(kv->key, "blind", 5) == 0;
	int buggy = n == 5 && strncmp(kv->key, "buggy", 5) == 0;
	int fixed = n == 5 && strncmp(kv->key, "fixed", 5) == 0;
	if (tool < 0 || !(blind || buggy || fixed))
		return tl_kv_fail(kv, err, errlen, "Bad line: unknown key '%s'", kv->key);
	if (blind) {
		if (lab->blind[tool][0] != '\0')
			return tl_kv_fail(kv, err, errlen, "%s given twice", kv->key);
		tl_strlcpy(lab->blind[tool], kv->value, sizeof lab->blind[tool]);
		return 0;
	}
	struct tl_expect *e = &lab->expect[buggy ? TL_BUGGY : TL_FIXED][tool];
	if (e->declared)
		return tl_kv_fail(kv, err, errlen, "%s given twice", kv->key);
	char bad[64];
	if (parse_kinds(kv->value, &e->kinds, bad, sizeof bad) != 0)
		return tl_kv_fail(kv, err, errlen, "'%s' is not a finding kind (or 'clean')", bad);
	e->declared = 1;
	return 0;
}

/* A lab.decl being read: the lab, and which keys of decl_keys were given (a bit each). */
struct decl {
	struct tl_lab *lab;
	unsigned seen;
};

static int was_seen(const struct decl *d, const char *name)
{
	for (size_t i = 0; i < NDECL_KEYS; i++)
		if (strcmp(decl_keys[i].name, name) == 0)
			return (d->seen >> i) & 1;
	return 0;
}

static int decl_line(void *ctx, const struct tl_kv *kv, char *err, size_t errlen)
{
	struct decl *d = ctx;
	if (kv->value == NULL)
		return tl_kv_fail(kv, err, errlen, "Bad line (expected 'key: value'): %s", kv->key);
	if (*kv->value == '\0')
		return tl_kv_fail(kv, err, errlen, "key '%s' has no value", kv->key);
	for (size_t i = 0; i < NDECL_KEYS; i++) {
		if (strcmp(kv->key, decl_keys[i].name) != 0)
			continue;
		if (decl_keys[i].set(d->lab, kv, err, errlen) != 0)
			return -1;
		if (decl_keys[i].repeats)
			return 0;
		if (d->seen & (1u << i))
			return tl_kv_fail(kv, err, errlen, "'%s' given twice", kv->key);
		d->seen |= 1u << i;
		return 0;
	}
	return set_tool_key(d->lab, kv, err, errlen);
}

/* Whether each tool's expectations are complete, and a clean buggy verdict has its reason
 * (a blind spot is declared, never silently tolerated). AT is where the file ended. */
static int check_expectations(const struct decl *d, const struct tl_kv *at, char *err, size_t errlen)
{
	const struct tl_lab *lab = d->lab;
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const char *name = tl_tool_name((enum tl_tool)t);
		if (t == TL_TOOL_TEST && !was_seen(d, "test")) {
			if (lab->expect[TL_BUGGY][t].declared || lab->expect[TL_FIXED][t].declared)
				return tl_kv_fail(at, err, errlen, "expectations for 'test' but no 'test:' sources");
			continue;
		}
		for (int v = 0; v < TL_VARIANT_COUNT; v++)
			if (!lab->expect[v][t].declared)
				return tl_kv_fail(at, err, errlen, "no expectation '%s.%s'",
						  tl_variant_name((enum tl_variant)v), name);
		if (lab->expect[TL_BUGGY][t].kinds == 0 && lab->blind[t][0] == '\0')
			return tl_kv_fail(at, err, errlen, "buggy.%s is clean: say why with 'blind.%s: <reason>'", name,
					  name);
	}
	return 0;
}

/* The checks of a whole lab.decl (AT: where it ended): the keys it must have, its tools'
 * expectations, and each student file being one the program or the test is built from. */
static int check_decl(const struct decl *d, const struct tl_kv *at, char *err, size_t errlen)
{
	const struct tl_lab *lab = d->lab;
	if (!was_seen(d, "title") || !was_seen(d, "student") || !was_seen(d, "program") || !was_seen(d, "lesson"))
		return tl_kv_fail(at, err, errlen, "missing one of: title, lesson, student, program");
	if (check_expectations(d, at, err, errlen) != 0)
		return -1;
	for (int i = 0; i < lab->nstudent; i++) {
		int used = 0;
		for (int j = 0; j < lab->nprogram; j++)
			used |= strcmp(lab->student[i], lab->program[j]) == 0;
		for (int j = 0; j < lab->ntest; j++)
			used |= strcmp(lab->student[i], lab->test[j]) == 0;
		if (!used)
			return tl_kv_fail(at, err, errlen, "student file '%s' is in neither program nor test",
					  lab->student[i]);
	}
	return 0;
}

int tl_decl_parse(const char *path, struct tl_lab *lab, char *err, size_t errlen)
{
	struct tl_kv at = {path, 0, NULL, NULL};
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return tl_kv_fail(&at, err, errlen, "cannot open: %s", strerror(errno));
	memset(lab, 0, sizeof *lab);
	lab->timeout_s = 10;
	lab->runs = 1;
	struct decl d = {lab, 0};
	int rc = tl_kv_read(f, path, decl_line, &d, &at.line, err, errlen);
	fclose(f);
	return rc != 0 ? -1 : check_decl(&d, &at, err, errlen);
}

/* Whether lab NAME is selected by FILTER: empty, or a comma-separated list of prefixes
 * ("01", "01,02,03", "03-deadlock"). */
static int selected(const char *name, const char *filter)
{
	if (filter == NULL || filter[0] == '\0')
		return 1;
	for (const char *p = filter; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n > 0 && strncmp(name, p, n) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The names of LABSDIR's labs (NN-slug folders holding a lab.decl) that FILTER selects, sorted.
 * Returns 0, or -1 with ERR filled. */
static int list_labs(const char *labsdir, const char *filter, struct tl_paths *names, char *err, size_t errlen)
{
	DIR *d = opendir(labsdir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", labsdir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || !selected(e->d_name, filter))
			continue;
		char decl[TL_PATH];
		struct stat st;
		if (tl_pathf(decl, sizeof decl, "%s/%s/lab.decl", labsdir, e->d_name) == 0 && stat(decl, &st) == 0)
			tl_paths_addf(names, "%s", e->d_name);
	}
	closedir(d);
	tl_paths_sort(names);
	return 0;
}

/* Parses the lab.decl of each of NAMES, labs of LABSDIR under ROOT, into V. Returns 0, or -1
 * with ERR filled. */
static int parse_labs(const char *root, const char *labsdir, const struct tl_paths *names, struct tl_lab *v,
		      char *err, size_t errlen)
{
	for (size_t i = 0; i < names->n; i++) {
		char decl[TL_PATH];
		(void)tl_pathf(decl, sizeof decl, "%s/%s/lab.decl", labsdir, names->v[i]); /* it fit in list_labs */
		if (tl_decl_parse(decl, &v[i], err, errlen) != 0)
			return -1;
		tl_strlcpy(v[i].slug, names->v[i], sizeof v[i].slug);
		if (tl_pathf(v[i].dir, sizeof v[i].dir, "%s/%s", labsdir, names->v[i]) != 0 ||
		    tl_pathf(v[i].solution_dir, sizeof v[i].solution_dir, "%s/solutions/%s", root, names->v[i]) != 0) {
			snprintf(err, errlen, "%s/%s: %s", labsdir, names->v[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int tl_discover(const char *root, const char *filter, struct tl_lab **labs, size_t *n, char *err,
		size_t errlen)
{
	char labsdir[TL_PATH];
	*labs = NULL;
	*n = 0;
	if (tl_pathf(labsdir, sizeof labsdir, "%s/labs", root) != 0) {
		snprintf(err, errlen, "%s/labs: %s", root, strerror(errno));
		return -1;
	}
	struct tl_paths names = {0};
	if (list_labs(labsdir, filter, &names, err, errlen) != 0)
		return -1;
	size_t count = names.n;
	struct tl_lab *v = count ? calloc(count, sizeof *v) : NULL;
	TL_ASSERT(count == 0 || v != NULL);
	int rc = parse_labs(root, labsdir, &names, v, err, errlen);
	tl_paths_free(&names);
	if (rc != 0) {
		free(v);
		return -1;
	}
	if (count == 0 && filter != NULL && filter[0] != '\0') {
		snprintf(err, errlen, "no lab matches '%s' under %s", filter, labsdir);
		return -1;
	}
	*labs = v;
	*n = count;
	return 0;
}

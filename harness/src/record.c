/* record.c: the recorded run of each lab's handout (labs/NN-slug/handout.record): made by `threadlab record`, checked for staleness, read by the rubric. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

#define RECORD_NAME "handout.record"

/* FNV-1a, 64 bits: enough to notice that a file changed (this is no defence against an
 * adversary; the toolkit's own files are trusted). */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Whether NAME, a file of LAB's folder (LAB NULL: of labs/common), is part of what the record
 * depends on. The student's files are not: a student's own checkout holds their edits there,
 * and grades itself (`threadlab grade .`); a change to the handout's version of them is caught
 * by selftest, which compares the record with a fresh run. */
static int digested(const char *name, const struct tl_lab *lab)
{
	if (name[0] == '.')
		return 0;
	if (lab == NULL)
		return tl_has_suffix(name, ".c") || tl_has_suffix(name, ".h");
	for (int i = 0; i < lab->nstudent; i++)
		if (strcmp(name, lab->student[i]) == 0)
			return 0;
	return strcmp(name, "README.md") != 0 && strcmp(name, RECORD_NAME) != 0;
}

/* Adds the regular files of DIR that digested() takes (LAB: as above), in name order, to *H.
 * Returns 0 or -1 with ERR. */
static int digest_dir(const char *dir, const struct tl_lab *lab, uint64_t *h, char *err, size_t errlen)
{
	struct tl_paths names = {0};
	DIR *d = opendir(dir);
	if (d == NULL) {
		tl__errf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (digested(e->d_name, lab))
			tl_paths_addf(&names, "%s/%s", dir, e->d_name);
	closedir(d);
	tl_paths_sort(&names);
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		struct stat st;
		if (stat(names.v[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		size_t len = 0;
		int cut = 0;
		char *text = tl_read_file(names.v[i], 16u << 20, &len, &cut);
		if (text == NULL) {
			tl__errf(err, errlen, "%s: %s", names.v[i], strerror(errno));
			rc = -1;
			break;
		}
		const char *base = strrchr(names.v[i], '/') + 1;
		*h = fnv(*h, base, strlen(base) + 1);
		*h = fnv(*h, text, len);
		free(text);
	}
	tl_paths_free(&names);
	return rc;
}

int tl_record_digest(const struct tl_lab *lab, char hex[17], char *err, size_t errlen)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char common[TL_PATH + 16];
	snprintf(common, sizeof common, "%s/../common", lab->dir);
	if (digest_dir(lab->dir, lab, &h, err, errlen) != 0 || digest_dir(common, NULL, &h, err, errlen) != 0)
		return -1;
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
	return 0;
}

/* The two-digit number of LAB ("01" of "01-counter"), for the command that refreshes it. */
static void lab_number(const struct tl_lab *lab, char num[8])
{
	size_t n = strspn(lab->slug, "0123456789");
	snprintf(num, 8, "%.*s", (int)(n > 0 && n < 8 ? n : strlen(lab->slug) < 8 ? strlen(lab->slug) : 7),
		 lab->slug);
}

/* Reading: one key of the record per line. */
struct reading {
	struct tl_record *rec;
	int seen_digest, seen_tool[TL_TOOL_COUNT];
};

/* KV's value as a whole number from 0 to 100000 into *OUT. Returns 0, or -1 with ERR. */
static int read_number(const struct tl_kv *kv, int *out, char *err, size_t errlen)
{
	char *end = NULL;
	long v = strtol(kv->value, &end, 10);
	if (kv->value[0] == '\0' || *end != '\0' || v < 0 || v > 100000)
		return tl_kv_fail(kv, err, errlen, "'%s' needs a whole number", kv->key);
	*out = (int)v;
	return 0;
}

/* One "key: value" line of a handout.record into CTX's record: digest, runs and tests once, a
 * fail line per failing test case, one line per tool. Returns 0, or -1 (tl_kv_fail) for any
 * other key, a repeated one, or a value that does not fit. */
static int record_line(void *ctx, const struct tl_kv *kv, char *err, size_t errlen)
{
	struct reading *rd = ctx;
	struct tl_record *rec = rd->rec;
	if (kv->value == NULL)
		return tl_kv_fail(kv, err, errlen, "Bad line (expected 'key: value')");
	int tool = tl_tool_from_name(kv->key);
	if (strcmp(kv->key, "digest") == 0 && strlen(kv->value) == 16 && !rd->seen_digest) {
		rd->seen_digest = 1;
		tl_strlcpy(rec->digest, kv->value, sizeof rec->digest);
	} else if (strcmp(kv->key, "runs") == 0) {
		return read_number(kv, &rec->runs, err, errlen);
	} else if (strcmp(kv->key, "tests") == 0) {
		return read_number(kv, &rec->tests, err, errlen);
	} else if (strcmp(kv->key, "fail") == 0 && kv->value[0] != '\0' && strlen(kv->value) < sizeof rec->fail[0] &&
		   rec->nfail < TL_RECORD_FAILS) {
		tl_strlcpy(rec->fail[rec->nfail++], kv->value, sizeof rec->fail[0]);
	} else if (tool >= 0 && !rd->seen_tool[tool] && strlen(kv->value) < sizeof rec->tool[0]) {
		rd->seen_tool[tool] = 1;
		tl_strlcpy(rec->tool[tool], kv->value, sizeof rec->tool[0]);
	} else {
		return tl_kv_fail(kv, err, errlen,
				  "Bad line (keys: digest runs tests fail and one line per tool, each once but fail)");
	}
	return 0;
}

/* Checks that REC is LAB's as the lab now is. Returns 0, or -1 with WHY. */
static int record_current(const struct tl_lab *lab, const struct tl_record *rec, char *why, size_t len)
{
	char hex[17];
	if (tl_record_digest(lab, hex, why, len) != 0)
		return -1;
	if (strcmp(hex, rec->digest) != 0) {
		snprintf(why, len, "the lab's files changed since it was recorded (digest %s, recorded %s)", hex,
			 rec->digest);
		return -1;
	}
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		char want[128];
		tl_kindset_str(lab->expect[TL_BUGGY][tool].kinds, want, sizeof want);
		if (strcmp(want, rec->tool[tool]) != 0) {
			snprintf(why, len, "%s reported '%s' on the handout, lab.decl declares 'buggy.%s: %s'",
				 tl_tool_name((enum tl_tool)tool), rec->tool[tool][0] ? rec->tool[tool] : "nothing recorded",
				 tl_tool_name((enum tl_tool)tool), want);
			return -1;
		}
	}
	return 0;
}

int tl_record_load(const struct tl_lab *lab, struct tl_record *rec, char *err, size_t errlen)
{
	char path[TL_PATH + 32], why[512] = "", num[8];
	memset(rec, 0, sizeof *rec);
	snprintf(path, sizeof path, "%s/%s", lab->dir, RECORD_NAME);
	lab_number(lab, num);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		tl__errf(err, errlen, "%s: %s: the rubric is derived from it; run `threadlab record --lab %s`", path,
			 strerror(errno), num);
		return -1;
	}
	struct reading rd = {rec, 0, {0}};
	int lines = 0;
	int rc = tl_kv_read(f, path, record_line, &rd, &lines, why, sizeof why);
	fclose(f);
	if (rc == 0 && !rd.seen_digest)
		tl__errf(why, sizeof why, "%s: no digest line", path);
	if (why[0] != '\0') {
		tl__errf(err, errlen, "%s; run `threadlab record --lab %s`", why, num);
		return -1;
	}
	if (record_current(lab, rec, why, sizeof why) != 0) {
		tl__errf(err, errlen, "%s is stale: %s; run `threadlab record --lab %s` to refresh it", path, why, num);
		return -1;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Makes the record of the runs of T (a buggy lab target). */
static void record_of(const struct tl_target *t, struct tl_record *rec)
{
	memset(rec, 0, sizeof *rec);
	const struct tl_result *tests = &t->result[TL_TOOL_TEST];
	rec->tests = tests->tests_total;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
		const struct tl_result *r = &t->result[tool];
		tl_kindset_str(r->kinds, rec->tool[tool], sizeof rec->tool[0]);
		if (r->runs > rec->runs)
			rec->runs = r->runs;
	}
	for (size_t f = 0; f < tests->findings.n; f++) {
		const struct tl_finding *x = &tests->findings.v[f];
		if (x->kind != TL_KIND_TEST_FAIL || x->site.function[0] == '\0' || rec->nfail == TL_RECORD_FAILS)
			continue;
		int dup = 0;
		for (int i = 0; i < rec->nfail; i++)
			dup |= strcmp(rec->fail[i], x->site.function) == 0;
		if (!dup)
			tl_strlcpy(rec->fail[rec->nfail++], x->site.function, sizeof rec->fail[0]);
	}
	qsort(rec->fail, (size_t)rec->nfail, sizeof rec->fail[0], by_name);
}

/* Writes REC as LAB's handout.record (through a temporary file, renamed into place). */
static int record_save(const struct tl_lab *lab, const struct tl_record *rec, char *err, size_t errlen)
{
	char path[TL_PATH + 32], tmp[TL_PATH + 40], num[8];
	snprintf(path, sizeof path, "%s/%s", lab->dir, RECORD_NAME);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	lab_number(lab, num);
	FILE *f = fopen(tmp, "we");
	if (f == NULL) {
		tl__errf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# %s: what lab %s's handout did under every tool, the source of its grading rubric:\n"
		   "# the detectors and the test cases that fail here earn points, what passes here is a gate.\n"
		   "# Made by `threadlab record --lab %s`; not edited by hand. A change to the lab's files makes it\n"
		   "# stale (digest), and grading then refuses until it is recorded again.\n",
		RECORD_NAME, lab->slug, num);
	fprintf(f, "digest: %s\nruns: %d\ntests: %d\n", rec->digest, rec->runs, rec->tests);
	for (int i = 0; i < rec->nfail; i++)
		fprintf(f, "fail: %s\n", rec->fail[i]);
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		fprintf(f, "%s: %s\n", tl_tool_name((enum tl_tool)tool), rec->tool[tool]);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		tl__errf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Whether the fresh record FRESH of T says what SAVED says: the same failing test cases and
 * count, when the tests ran. Returns 0, or -1 with WHY. */
static int record_same(const struct tl_target *t, const struct tl_record *saved, const struct tl_record *fresh,
		       char *why, size_t len)
{
	if (t->result[TL_TOOL_TEST].status != TL_ST_RAN)
		return 0;
	int same = saved->tests == fresh->tests && saved->nfail == fresh->nfail;
	for (int i = 0; same && i < saved->nfail; i++)
		same = strcmp(saved->fail[i], fresh->fail[i]) == 0;
	if (same)
		return 0;
	why[0] = '\0';
	const struct tl_record *both[2] = {fresh, saved};
	for (int k = 0; k < 2; k++) {
		size_t used = strlen(why);
		used += (size_t)snprintf(why + used, used < len ? len - used : 0, "%s %d of %d (",
					 k == 0 ? "the handout's tests now fail" : "), the record says", both[k]->nfail,
					 both[k]->tests);
		for (int i = 0; i < both[k]->nfail && used < len; i++)
			used += (size_t)snprintf(why + used, len - used, "%s%s", i ? " " : "", both[k]->fail[i]);
	}
	if (strlen(why) + 2 < len)
		strcat(why, ")");
	return -1;
}

/* Record or verify one buggy target T. Returns 0, or -1 after saying why on stderr. */
static int update_one(const struct tl_target *t, int write)
{
	const struct tl_lab *lab = t->lab;
	struct tl_record fresh, saved;
	char err[1024], num[8];
	lab_number(lab, num);
	record_of(t, &fresh);
	if (tl_record_digest(lab, fresh.digest, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s: %s\n", lab->slug, err);
		return -1;
	}
	if (write) {
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
			if (t->result[tool].status != TL_ST_RAN) {
				fprintf(stderr, "threadlab: %s: %s did not run (%s); nothing recorded\n", lab->slug,
					tl_tool_name((enum tl_tool)tool), t->result[tool].note);
				return -1;
			}
		if (record_current(lab, &fresh, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: %s: the handout does not do what lab.decl declares: %s; nothing recorded (see `threadlab selftest --lab %s`)\n",
				lab->slug, err, num);
			return -1;
		}
		if (record_save(lab, &fresh, err, sizeof err) != 0) {
			fprintf(stderr, "threadlab: %s\n", err);
			return -1;
		}
		fprintf(stderr, "threadlab: %s: recorded (%d of %d tests fail on the handout)\n", lab->slug, fresh.nfail,
			fresh.tests);
		return 0;
	}
	if (tl_record_load(lab, &saved, err, sizeof err) != 0 || record_same(t, &saved, &fresh, err, sizeof err) != 0) {
		fprintf(stderr, "threadlab: %s: handout record: %s", lab->slug, err);
		if (strstr(err, "threadlab record") == NULL)
			fprintf(stderr, "; run `threadlab record --lab %s` to refresh it", num);
		fputc('\n', stderr);
		return -1;
	}
	return 0;
}

int tl_record_update(struct tl_target *const *targets, size_t n, int write)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		if (targets[i]->lab != NULL && targets[i]->variant == TL_BUGGY)
			failed += update_one(targets[i], write) != 0;
	return failed;
}

/* discover.c: finds the labs and parses each lab's strict lab.decl declaration. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
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

static int fail(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
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

int tl_decl_parse(const char *path, struct tl_lab *lab, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return fail(err, errlen, path, 0, "cannot open: %s", strerror(errno));
	memset(lab, 0, sizeof *lab);
	lab->timeout_s = 10;
	lab->runs = 1;
	int seen_title = 0, seen_student = 0, seen_program = 0, seen_test = 0, seen_timeout = 0,
	    seen_runs = 0, seen_lesson = 0, seen_allow = 0;
	char buf[1024];
	int lineno = 0, rc = 0;
	while (fgets(buf, sizeof buf, f) != NULL) {
		lineno++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			rc = fail(err, errlen, path, lineno, "line longer than %zu bytes", sizeof buf - 2);
			goto out;
		}
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		char *line = trim(buf);
		if (*line == '\0')
			continue;
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			rc = fail(err, errlen, path, lineno, "Bad line (expected 'key: value'): %s", line);
			goto out;
		}
		*colon = '\0';
		char *key = trim(line), *value = trim(colon + 1);
		if (*value == '\0') {
			rc = fail(err, errlen, path, lineno, "key '%s' has no value", key);
			goto out;
		}
		int *seen = NULL;
		if (strcmp(key, "title") == 0) {
			seen = &seen_title;
			tl_strlcpy(lab->title, value, sizeof lab->title);
		} else if (strcmp(key, "lesson") == 0) {
			seen = &seen_lesson;
			tl_strlcpy(lab->lesson, value, sizeof lab->lesson);
		} else if (strcmp(key, "hint") == 0) {
			if (lab->nhint == TL_MAX_HINTS) {
				rc = fail(err, errlen, path, lineno, "more than %d hints", TL_MAX_HINTS);
				goto out;
			}
			tl_strlcpy(lab->hint[lab->nhint++], value, sizeof lab->hint[0]);
		} else if (strcmp(key, "student") == 0 || strcmp(key, "program") == 0 ||
			   strcmp(key, "test") == 0) {
			char(*dst)[64] = key[0] == 's' ? lab->student : key[0] == 'p' ? lab->program : lab->test;
			int *count = key[0] == 's' ? &lab->nstudent : key[0] == 'p' ? &lab->nprogram : &lab->ntest;
			seen = key[0] == 's' ? &seen_student : key[0] == 'p' ? &seen_program : &seen_test;
			*count = split_files(value, dst, TL_MAX_FILES);
			if (*count < 0) {
				rc = fail(err, errlen, path, lineno,
					  "bad file list for '%s' (plain names inside the lab folder, at most %d)",
					  key, TL_MAX_FILES);
				goto out;
			}
		} else if (strcmp(key, "allow") == 0) {
			char bad[64];
			seen = &seen_allow;
			lab->nallow = split_allow(value, lab->allow, TL_MAX_ALLOW, bad, sizeof bad);
			if (lab->nallow < 0) {
				rc = fail(err, errlen, path, lineno,
					  "'allow': '%s' is not a symbol name (exact C identifiers, at most %d)", bad,
					  TL_MAX_ALLOW);
				goto out;
			}
		} else if (strcmp(key, "timeout") == 0 || strcmp(key, "runs") == 0) {
			char *end;
			long v = strtol(value, &end, 10);
			if (*end != '\0' || v < 1 || v > 600) {
				rc = fail(err, errlen, path, lineno, "'%s' must be a whole number 1..600", key);
				goto out;
			}
			if (key[0] == 't') {
				seen = &seen_timeout;
				lab->timeout_s = (int)v;
			} else {
				seen = &seen_runs;
				lab->runs = (int)v;
			}
		} else {
			/* buggy.<tool>, fixed.<tool>, blind.<tool> */
			char *dot = strchr(key, '.');
			int tool = dot != NULL ? tl_tool_from_name(dot + 1) : -1;
			if (dot == NULL || tool < 0) {
				rc = fail(err, errlen, path, lineno, "Bad line: unknown key '%s'", key);
				goto out;
			}
			*dot = '\0';
			if (strcmp(key, "blind") == 0) {
				if (lab->blind[tool][0] != '\0') {
					rc = fail(err, errlen, path, lineno, "blind.%s given twice", dot + 1);
					goto out;
				}
				tl_strlcpy(lab->blind[tool], value, sizeof lab->blind[tool]);
				continue;
			}
			enum tl_variant v;
			if (strcmp(key, "buggy") == 0)
				v = TL_BUGGY;
			else if (strcmp(key, "fixed") == 0)
				v = TL_FIXED;
			else {
				rc = fail(err, errlen, path, lineno, "Bad line: unknown key '%s.%s'", key, dot + 1);
				goto out;
			}
			struct tl_expect *e = &lab->expect[v][tool];
			if (e->declared) {
				rc = fail(err, errlen, path, lineno, "%s.%s given twice", key, dot + 1);
				goto out;
			}
			char bad[64];
			if (parse_kinds(value, &e->kinds, bad, sizeof bad) != 0) {
				rc = fail(err, errlen, path, lineno, "'%s' is not a finding kind (or 'clean')", bad);
				goto out;
			}
			e->declared = 1;
		}
		if (seen != NULL) {
			if (*seen) {
				rc = fail(err, errlen, path, lineno, "'%s' given twice", key);
				goto out;
			}
			*seen = 1;
		}
	}
	if (!seen_title || !seen_student || !seen_program || !seen_lesson) {
		rc = fail(err, errlen, path, lineno, "missing one of: title, lesson, student, program");
		goto out;
	}
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		if (t == TL_TOOL_TEST && !seen_test) {
			if (lab->expect[TL_BUGGY][t].declared || lab->expect[TL_FIXED][t].declared) {
				rc = fail(err, errlen, path, lineno, "expectations for 'test' but no 'test:' sources");
				goto out;
			}
			continue;
		}
		for (int v = 0; v < TL_VARIANT_COUNT; v++) {
			if (!lab->expect[v][t].declared) {
				rc = fail(err, errlen, path, lineno, "no expectation '%s.%s'",
					  tl_variant_name((enum tl_variant)v), tl_tool_name((enum tl_tool)t));
				goto out;
			}
		}
		/* A blind spot is declared with its reason, never silently tolerated. */
		if (lab->expect[TL_BUGGY][t].kinds == 0 && lab->blind[t][0] == '\0') {
			rc = fail(err, errlen, path, lineno,
				  "buggy.%s is clean: say why with 'blind.%s: <reason>'",
				  tl_tool_name((enum tl_tool)t), tl_tool_name((enum tl_tool)t));
			goto out;
		}
	}
	/* Each student file must be one the program or the test is built from. */
	for (int i = 0; i < lab->nstudent; i++) {
		int used = 0;
		for (int j = 0; j < lab->nprogram; j++)
			used |= strcmp(lab->student[i], lab->program[j]) == 0;
		for (int j = 0; j < lab->ntest; j++)
			used |= strcmp(lab->student[i], lab->test[j]) == 0;
		if (!used) {
			rc = fail(err, errlen, path, lineno, "student file '%s' is in neither program nor test",
				  lab->student[i]);
			goto out;
		}
	}
out:
	fclose(f);
	return rc;
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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tl_discover(const char *root, const char *filter, struct tl_lab **labs, size_t *n, char *err,
		size_t errlen)
{
	char labsdir[TL_PATH];
	snprintf(labsdir, sizeof labsdir, "%s/labs", root);
	*labs = NULL;
	*n = 0;
	DIR *d = opendir(labsdir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", labsdir, strerror(errno));
		return -1;
	}
	char *names[256];
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (!selected(e->d_name, filter))
			continue;
		char decl[TL_PATH];
		struct stat st;
		snprintf(decl, sizeof decl, "%s/%s/lab.decl", labsdir, e->d_name);
		if (stat(decl, &st) != 0)
			continue;
		if (count == sizeof names / sizeof names[0])
			break;
		names[count++] = strdup(e->d_name);
		TL_ASSERT(names[count - 1] != NULL);
	}
	closedir(d);
	qsort(names, count, sizeof names[0], cmp_names);
	int rc = 0;
	struct tl_lab *v = count ? calloc(count, sizeof *v) : NULL;
	TL_ASSERT(count == 0 || v != NULL);
	for (size_t i = 0; i < count && rc == 0; i++) {
		char decl[TL_PATH];
		snprintf(decl, sizeof decl, "%s/%s/lab.decl", labsdir, names[i]);
		if (tl_decl_parse(decl, &v[i], err, errlen) != 0) {
			rc = -1;
			break;
		}
		tl_strlcpy(v[i].slug, names[i], sizeof v[i].slug);
		snprintf(v[i].dir, sizeof v[i].dir, "%s/%s", labsdir, names[i]);
		snprintf(v[i].solution_dir, sizeof v[i].solution_dir, "%s/solutions/%s", root, names[i]);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
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

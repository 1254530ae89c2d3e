/* parse_cmocka.c: turns cmocka 1.1.5's JUnit-like XML report (CMOCKA_MESSAGE_OUTPUT=xml) into one test-fail finding per failed test. */
#include "threadlab.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

/* Finds "<file>:<line>: error: " at the start of a line of TEXT (cmocka's _fail() writes it);
 * fills SITE's file and line and sets *LOC_B and *LOC_E to that line. Returns 1 when found. */
static int failure_location(const char *text, struct tl_site *site, const char **loc_b, const char **loc_e)
{
	for (const char *b = text; *b;) {
		const char *e = strchr(b, '\n');
		if (e == NULL)
			e = b + strlen(b);
		const char *mark = NULL;
		for (const char *p = b; p + 9 <= e; p++)
			if (memcmp(p, ": error: ", 9) == 0 || (p + 8 == e && memcmp(p, ": error:", 8) == 0)) {
				mark = p;
				break;
			}
		if (mark != NULL) {
			/* The line number sits between the last ':' before the mark and the mark. */
			const char *colon = mark;
			while (colon > b && colon[-1] != ':')
				colon--;
			if (colon > b + 1 && colon < mark) {
				int ok = 1, line = 0;
				for (const char *q = colon; q < mark; q++) {
					if (*q < '0' || *q > '9')
						ok = 0;
					else if (line < 100000000)
						line = line * 10 + (*q - '0');
				}
				if (ok) {
					size_t n = (size_t)(colon - 1 - b);
					if (n >= sizeof(site->file))
						n = sizeof(site->file) - 1;
					memcpy(site->file, b, n);
					site->file[n] = '\0';
					site->line = line;
					*loc_b = b;
					*loc_e = e;
					return 1;
				}
			}
		}
		b = *e ? e + 1 : e;
	}
	return 0;
}

/* Writes the failure text without the location line, its lines joined by spaces, into DST. */
static void failure_summary(const char *text, const char *skip_b, const char *skip_e, char *dst, size_t dstlen)
{
	size_t o = 0;
	int space = 0;

	for (const char *p = text; *p && o + 1 < dstlen; p++) {
		if (p == skip_b) {
			p = skip_e;
			space = 1;
			if (*p == '\0')
				break;
			continue;
		}
		if (tl__is_space(*p)) {
			space = 1;
			continue;
		}
		if (space && o > 0 && o + 2 < dstlen)
			dst[o++] = ' ';
		space = 0;
		dst[o++] = *p;
	}
	dst[o] = '\0';
}

/* Builds the finding of TESTCASE, whose failure element is FAIL, in the suite named SUITE. */
static void test_finding(const char *xml, const char *suite, const struct tl__xml_node *tc,
			 const struct tl__xml_node *fail, struct tl_finding *f)
{
	const char *name = tl__xml_attr(tc, "name");
	const char *attr_msg = tl__xml_attr(fail, "message");
	const char *loc_b = NULL, *loc_e = NULL;
	char text[sizeof(f->message)];

	memset(f, 0, sizeof(*f));
	f->tool = TL_TOOL_TEST;
	tl_strlcpy(f->raw, fail->name, sizeof(f->raw));
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_TEST, f->raw);
	tl_strlcpy(f->site.function, name ? name : "", sizeof(f->site.function));
	failure_location(fail->text, &f->site, &loc_b, &loc_e);
	failure_summary(fail->text, loc_b, loc_e, text, sizeof(text));
	if (text[0] == '\0' && attr_msg != NULL)
		tl_strlcpy(text, attr_msg, sizeof(text));
	snprintf(f->message, sizeof(f->message), "%.60s/%.60s failed%s%.120s", suite ? suite : "",
		 name ? name : "?", text[0] ? ": " : "", text);
	size_t n = tc->end - tc->begin;
	f->detail = malloc(n + 1);
	TL_ASSERT(f->detail != NULL);
	memcpy(f->detail, xml + tc->begin, n);
	f->detail[n] = '\0';
}

/* Reads the test cases of one <testsuite>. Returns the number of incomplete ones skipped. */
static size_t suite_findings(const char *xml, const struct tl__xml_node *suite, struct tl_findings *list)
{
	const char *sname = tl__xml_attr(suite, "name");
	size_t skipped = 0;

	for (const struct tl__xml_node *tc = tl__xml_child(suite, "testcase"); tc; tc = tl__xml_next(tc, "testcase")) {
		const struct tl__xml_node *fail = tl__xml_child(tc, "failure");
		if (fail == NULL)
			fail = tl__xml_child(tc, "error");
		if (!tc->complete) {
			skipped++;
			continue;
		}
		if (fail != NULL) {
			struct tl_finding f;
			test_finding(xml, sname, tc, fail, &f);
			tl_findings_add(list, &f);
		}
	}
	return skipped;
}

/* Parses the XML cmocka writes with CMOCKA_MESSAGE_OUTPUT=xml: one or more <testsuites>
 * elements (cmocka 1.1.5 appends one per group run to the same file), or bare <testsuite>
 * elements. Each <testcase> holding a <failure> (or <error>) gives a test-fail finding: raw
 * is the element's name, site.function the test's name, site.file/line the "file:line: error:"
 * of the failure text when it has one. A text cut short keeps its complete test cases, returns
 * 0 and leaves a note in ERR (ERR is "" otherwise). Returns -1 with ERR, OUT unchanged, for text
 * that is not XML or has no test suite. Blank text gives no findings; note that cmocka writes
 * the file only when a group ends, so a test program that crashed leaves none, and the caller
 * must tell that apart from a clean run (by the exit status). */
int tl_parse_cmocka(const char *xml, size_t len, struct tl_findings *out, char *err, size_t errlen)
{
	struct tl__xml_node *doc = NULL;
	struct tl_findings local = {0};
	int truncated = 0, suites = 0;
	size_t cut = 0;

	TL_ASSERT(out != NULL);
	int begun = tl__xml_begin(xml, len, &doc, &truncated, err, errlen);
	if (begun != 0)
		return begun > 0 ? 0 : -1;
	for (const struct tl__xml_node *top = doc->child; top; top = top->next) {
		if (strcmp(top->name, "testsuite") == 0) {
			suites++;
			cut += suite_findings(xml, top, &local);
		} else if (strcmp(top->name, "testsuites") == 0) {
			suites++;
			for (const struct tl__xml_node *s = tl__xml_child(top, "testsuite"); s;
			     s = tl__xml_next(s, "testsuite"))
				cut += suite_findings(xml, s, &local);
		}
	}
	tl__xml_free(doc);
	if (suites == 0) {
		tl_findings_free(&local);
		tl__errf(err, errlen, "not a cmocka XML report: no <testsuites> or <testsuite>");
		return -1;
	}
	size_t kept = local.n;
	tl__findings_move(out, &local);
	if (truncated)
		tl__errf(err, errlen, "cmocka XML is cut short; kept %zu failures, skipped %zu unfinished test cases",
			 kept, cut);
	return 0;
}

int tl_cmocka_count_cases(const char *xml, size_t len)
{
	struct tl__xml_node *doc = NULL;
	int truncated = 0, cases = 0;
	char err[128];

	if (len == 0 || tl__xml_parse(xml, len, &doc, &truncated, err, sizeof(err)) < 0)
		return 0;
	for (const struct tl__xml_node *top = doc->child; top; top = top->next) {
		const struct tl__xml_node *suite = strcmp(top->name, "testsuite") == 0    ? top
						   : strcmp(top->name, "testsuites") == 0 ? tl__xml_child(top, "testsuite")
											  : NULL;
		for (; suite; suite = suite == top ? NULL : tl__xml_next(suite, "testsuite"))
			for (const struct tl__xml_node *tc = tl__xml_child(suite, "testcase"); tc;
			     tc = tl__xml_next(tc, "testcase")) {
				const char *name = tl__xml_attr(tc, "name");
				cases += tc->complete && (name == NULL || strcmp(name, "threadlab_canary") != 0);
			}
	}
	tl__xml_free(doc);
	return cases;
}

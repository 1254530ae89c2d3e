/* report_grade.c: prints a grade as text, JSON, Gradescope results.json, JUnit XML, TAP 13, SARIF 2.1.0 or GitHub annotations. */
#include <string.h>

#include "stages.h"

/* GitHub shows at most this many annotations of one kind per step. */
#define GITHUB_ANNOTATION_LIMIT 10

/* Writes byte C, or '?' for a byte outside ASCII, so every output is valid UTF-8 whatever a
 * compiler or a student's source put in a message (as tl_put_json and tl_put_xml do). */
static void clean_char(FILE *out, unsigned char c)
{
	fputc(c >= 0x80 ? '?' : c, out);
}

/* GitHub workflow-command escaping: %, CR and LF always; ':' and ',' in properties too. */
static void gh_str(FILE *out, const char *s, int property)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '%')
			fputs("%25", out);
		else if (*p == '\r')
			fputs("%0D", out);
		else if (*p == '\n')
			fputs("%0A", out);
		else if (property && *p == ':')
			fputs("%3A", out);
		else if (property && *p == ',')
			fputs("%2C", out);
		else
			clean_char(out, *p);
	}
}

/* Whether item IT counts as failed in the pass/fail formats: an earning check that lost
 * points, or a gate that broke. */
static int item_failed(const struct tl_grade_item *it)
{
	return it->outcome == TL_OUT_LOST || it->outcome == TL_OUT_BROKEN;
}

/* "earns" or "gate", as the reports call the two sorts of check. */
static const char *item_role(const struct tl_grade_item *it)
{
	return it->check.gate ? "gate" : "earns";
}

void tl_grade_text(FILE *out, const struct tl_grade *g)
{
	fprintf(out, "threadlab grade: %s\n", g->submission);
	fprintf(out, "sandbox: %s\n", g->sandbox);
	if (g->unsafe)
		fprintf(out, "WARNING: graded with --unsafe-no-sandbox: the student's code ran unconfined\n");
	fprintf(out, "each tool ran %d time(s) per lab\n", g->runs);
	fprintf(out, "points come from the checks that fail on the handout (earns); a gate passes on the handout\n"
		     "and earns nothing, but failing it costs points\n\n");
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		fprintf(out, "%-16s %5.1f / %-5.1f%s\n", gl->lab->slug, gl->points, gl->max, gl->tampered ? "  REFUSED" : "");
		if (gl->note[0] != '\0')
			fprintf(out, "    note: %s\n", gl->note);
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			if (it->check.gate)
				fprintf(out, "    %-5s %-28s %s", item_role(it), it->check.name, tl_outcome_name(it->outcome));
			else
				fprintf(out, "    %-5s %-28s %4.2f / %-4.2f", item_role(it), it->check.name, it->points, it->max);
			if (it->outcome == TL_OUT_BROKEN && it->points < 0)
				fprintf(out, ", %.2f", it->points);
			fputc('\n', out);
			if (it->feedback[0] != '\0')
				fprintf(out, "          %s\n", it->feedback);
		}
	}
	fprintf(out, "\ntotal: %.1f / %.1f\n", g->points, g->max);
}

static void findings_json(FILE *out, const struct tl_target *t)
{
	int first = 1;
	fputc('[', out);
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		const struct tl_result *r = &t->result[k];
		for (size_t f = 0; f < r->findings.n; f++) {
			const struct tl_finding *x = &r->findings.v[f];
			fprintf(out, "%s{\"tool\":", first ? "" : ",");
			tl_put_json(out, tl_tool_name(x->tool));
			fprintf(out, ",\"kind\":");
			tl_put_json(out, tl_kind_name(x->kind));
			fprintf(out, ",\"file\":");
			tl_put_json(out, x->site.file);
			fprintf(out, ",\"line\":%d,\"function\":", x->site.line);
			tl_put_json(out, x->site.function);
			fprintf(out, ",\"message\":");
			tl_put_json(out, x->message);
			if (x->dismissed != NULL) {
				fprintf(out, ",\"dismissed\":");
				tl_put_json(out, x->dismissed);
			}
			fputc('}', out);
			first = 0;
		}
	}
	fputc(']', out);
}

void tl_grade_json(FILE *out, const struct tl_grade *g)
{
	fprintf(out, "{\"submission\":");
	tl_put_json(out, g->submission);
	fprintf(out, ",\"sandbox\":");
	tl_put_json(out, g->sandbox);
	fprintf(out, ",\"unsafe_no_sandbox\":%s", g->unsafe ? "true" : "false");
	fprintf(out, ",\"runs\":%d,\"score\":%.2f,\"max_score\":%.2f,\"seconds\":%.1f,\"labs\":[", g->runs, g->points,
		g->max, g->seconds);
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		fprintf(out, "%s{\"lab\":", i ? "," : "");
		tl_put_json(out, gl->lab->slug);
		fprintf(out, ",\"title\":");
		tl_put_json(out, gl->lab->title);
		fprintf(out, ",\"submitted\":%d,\"tampered\":%s,\"note\":", gl->submitted, gl->tampered ? "true" : "false");
		tl_put_json(out, gl->note);
		fprintf(out, ",\"score\":%.2f,\"max_score\":%.2f,\"items\":[", gl->points, gl->max);
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			fprintf(out, "%s{\"item\":", k ? "," : "");
			tl_put_json(out, it->check.name);
			fprintf(out, ",\"score\":%.2f,\"max_score\":%.2f,\"gate\":%s,\"outcome\":\"%s\",\"check\":\"%s\"",
				it->points, it->max, it->check.gate ? "true" : "false", tl_outcome_name(it->outcome),
				tl_check_kind_name(it->check.kind));
			if (it->check.gate)
				fprintf(out, ",\"cost\":%.2f", it->check.points);
			fprintf(out, ",\"what\":");
			tl_put_json(out, tl_check_kind_what(it->check.kind));
			fprintf(out, ",\"feedback\":");
			tl_put_json(out, it->feedback);
			fputc('}', out);
		}
		fprintf(out, "],\"findings\":");
		findings_json(out, gl->target);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}

static long floor_l(double x)
{
	long i = (long)x;
	return (double)i > x ? i - 1 : i;
}

/* Shares WANT hundredths out among the items of GL by largest remainder of X(item) * 100 over
 * C[k] (each C[k] already X rounded down), to items for which CAP is NULL or below CAP[k]. */
static void share_cents(const struct tl_grade_lab *gl, double (*x)(const struct tl_grade_item *), long *c,
			const long *cap, long want)
{
	long given = 0;
	for (int k = 0; k < gl->nitem; k++)
		given += c[k];
	for (; given < want; given++) {
		int best = -1;
		double frac = -1;
		for (int k = 0; k < gl->nitem; k++) {
			double f = x(&gl->item[k]) * 100 - (double)c[k]; /* < 0 once rounded up */
			if (f > frac && (cap == NULL || c[k] < cap[k])) {
				frac = f;
				best = k;
			}
		}
		if (best < 0)
			break;
		c[best]++;
	}
}

static double item_points(const struct tl_grade_item *it)
{
	return it->points;
}

static double item_max(const struct tl_grade_item *it)
{
	return it->max;
}

/* Gradescope adds the tests' scores up: the items of GL in hundredths, their maxima M[k] and
 * scores C[k] each shared out by largest remainder so that they add up to the lab's, an item at
 * full marks showing its maximum (3.333 + 4 x 0.8333 + 3.333 is shown as 3.34 + 0.84 + 0.83 x 3
 * + 3.33 = 10.00, where each rounded alone gives 9.98). Returns the sum of C. */
static long item_cents(const struct tl_grade_lab *gl, long *c, long *m)
{
	double points = 0, max = 0;
	long sum = 0;
	for (int k = 0; k < gl->nitem; k++) {
		m[k] = floor_l(gl->item[k].max * 100 + 1e-6);
		max += gl->item[k].max * 100;
		points += gl->item[k].points * 100;
	}
	share_cents(gl, item_max, m, NULL, floor_l(max + 0.5));
	for (int k = 0; k < gl->nitem; k++) {
		const struct tl_grade_item *it = &gl->item[k];
		c[k] = it->max > 0 && it->points >= it->max - 1e-9 ? m[k] : floor_l(it->points * 100 + 1e-6);
	}
	share_cents(gl, item_points, c, m, floor_l(points + 0.5));
	for (int k = 0; k < gl->nitem; k++)
		sum += c[k];
	return sum;
}

/* Gradescope's results.json: score, and one test per lab item; the score is the sum of the
 * tests' scores as printed (item_cents). */
void tl_grade_gradescope(FILE *out, const struct tl_grade *g)
{
	long total = 0, c[TL_CHECKS_MAX], m[TL_CHECKS_MAX];
	for (size_t i = 0; i < g->n; i++)
		total += item_cents(&g->labs[i], c, m);
	fprintf(out, "{\"score\":%.2f,\"max_score\":%.2f,\"output\":", (double)total / 100, g->max);
	char head[1024];
	snprintf(head, sizeof head, "Graded by threadlab; each tool ran %d time(s) per lab.%s Sandbox: %s", g->runs,
		 g->unsafe ? " UNSAFE: graded with --unsafe-no-sandbox." : "", g->sandbox);
	tl_put_json(out, head);
	fprintf(out, ",\"visibility\":\"visible\",\"tests\":[");
	int first = 1;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		item_cents(gl, c, m);
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			char name[256];
			snprintf(name, sizeof name, "%s: %s (%s, %s)", gl->lab->slug, it->check.name, item_role(it),
				 tl_outcome_name(it->outcome));
			fprintf(out, "%s{\"name\":", first ? "" : ",");
			tl_put_json(out, name);
			fprintf(out, ",\"score\":%.2f,\"max_score\":%.2f,\"output\":", (double)c[k] / 100,
				(double)m[k] / 100);
			tl_put_json(out, it->feedback[0] ? it->feedback : "ok");
			fprintf(out, ",\"visibility\":\"visible\"}");
			first = 0;
		}
	}
	fprintf(out, "]}\n");
}

void tl_grade_junit(FILE *out, const struct tl_grade *g)
{
	int tests = 0, failures = 0;
	for (size_t i = 0; i < g->n; i++)
		for (int k = 0; k < g->labs[i].nitem; k++) {
			tests++;
			failures += item_failed(&g->labs[i].item[k]);
		}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(out, "<testsuites name=\"threadlab\" tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%.3f\">\n", tests,
		failures, g->seconds);
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		int f = 0;
		for (int k = 0; k < gl->nitem; k++)
			f += item_failed(&gl->item[k]);
		fprintf(out, "  <testsuite name=\"");
		tl_put_xml(out, gl->lab->slug, 0);
		fprintf(out, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\">\n", gl->nitem, f);
		fprintf(out, "    <properties>\n      <property name=\"sandbox\" value=\"");
		tl_put_xml(out, g->sandbox, 0);
		fprintf(out, "\"/>\n      <property name=\"unsafe_no_sandbox\" value=\"%s\"/>\n    </properties>\n",
			g->unsafe ? "true" : "false");
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			fprintf(out, "    <testcase classname=\"");
			tl_put_xml(out, gl->lab->slug, 0);
			fprintf(out, "\" name=\"");
			tl_put_xml(out, it->check.name, 0);
			fprintf(out, "\">");
			if (item_failed(it)) {
				char msg[128];
				if (it->check.gate)
					snprintf(msg, sizeof msg, "gate failed: %.2f points taken", -it->points);
				else
					snprintf(msg, sizeof msg, "%.2f of %.2f points", it->points, it->max);
				fprintf(out, "\n      <failure message=\"%s\" type=\"%s\">", msg, item_role(it));
				tl_put_xml(out, it->feedback, 0);
				fprintf(out, "</failure>\n    ");
			}
			fprintf(out, "</testcase>\n");
		}
		fprintf(out, "  </testsuite>\n");
	}
	fprintf(out, "</testsuites>\n");
}

void tl_grade_tap(FILE *out, const struct tl_grade *g)
{
	size_t plan = 0;
	for (size_t i = 0; i < g->n; i++)
		plan += (size_t)g->labs[i].nitem;
	fprintf(out, "TAP version 13\n1..%zu\n", plan);
	fprintf(out, "# sandbox: %s", g->unsafe ? "UNSAFE, graded with --unsafe-no-sandbox: " : "");
	for (const char *p = g->sandbox; *p != '\0'; p++)
		clean_char(out, (unsigned char)(*p == '\n' ? ' ' : *p));
	fputc('\n', out);
	int num = 0, pass = 0, fail = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		for (int k = 0; k < gl->nitem; k++) {
			const struct tl_grade_item *it = &gl->item[k];
			int ok = !item_failed(it);
			ok ? pass++ : fail++;
			if (it->check.gate)
				fprintf(out, "%s %d - %s %s (gate %s, %.2f)\n", ok ? "ok" : "not ok", ++num, gl->lab->slug,
					it->check.name, tl_outcome_name(it->outcome), it->points);
			else
				fprintf(out, "%s %d - %s %s (%.2f/%.2f)\n", ok ? "ok" : "not ok", ++num, gl->lab->slug,
					it->check.name, it->points, it->max);
			if (!ok) {
				fputs("# ", out);
				for (const char *p = it->feedback; *p != '\0'; p++) {
					clean_char(out, (unsigned char)(*p == '\n' ? ' ' : *p));
				}
				fputc('\n', out);
			}
		}
	}
	fprintf(out, "# score: %.1f/%.1f\n", g->points, g->max);
	fprintf(out, "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", pass, fail);
}

/* SARIF 2.1.0: one result per finding the judge kept and per tampered lab. */
void tl_grade_sarif(FILE *out, const struct tl_grade *g)
{
	fprintf(out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
		     "\"tool\":{\"driver\":{\"name\":\"threadlab\",\"informationUri\":\"https://example.invalid/threadlab\",\"rules\":[");
	for (int k = 0; k < TL_KIND_COUNT; k++) {
		fprintf(out, "%s{\"id\":", k ? "," : "");
		tl_put_json(out, tl_kind_name((enum tl_kind)k));
		fprintf(out, ",\"shortDescription\":{\"text\":");
		tl_put_json(out, tl_kind_meaning((enum tl_kind)k));
		fprintf(out, "}}");
	}
	fprintf(out, "]}},\"properties\":{\"sandbox\":");
	tl_put_json(out, g->sandbox);
	fprintf(out, ",\"unsafeNoSandbox\":%s},\"results\":[", g->unsafe ? "true" : "false");
	int first = 1;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		struct tl_kept_cursor c = {0, 0};
		for (const struct tl_finding *x; (x = tl_next_kept(gl->target, &c)) != NULL;) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s (%s, %s): %s Lesson: %s", tl_kind_name(x->kind),
				 tl_tool_name(x->tool), gl->lab->slug, x->message, gl->lab->lesson);
			fprintf(out, "%s{\"ruleId\":", first ? "" : ",");
			tl_put_json(out, tl_kind_name(x->kind));
			fprintf(out, ",\"ruleIndex\":%d,\"level\":\"error\",\"message\":{\"text\":", (int)x->kind);
			tl_put_json(out, msg);
			fputc('}', out);
			if (x->site.file[0] != '\0' && x->site.line > 0) {
				fprintf(out, ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
				tl_put_json(out, x->site.file);
				fprintf(out, "},\"region\":{\"startLine\":%d}}}]", x->site.line);
			}
			fputc('}', out);
			first = 0;
		}
		if (gl->tampered) {
			fprintf(out, "%s{\"ruleId\":\"misuse\",\"ruleIndex\":%d,\"level\":\"error\",\"message\":{\"text\":",
				first ? "" : ",", (int)TL_KIND_MISUSE);
			tl_put_json(out, gl->note);
			fprintf(out, "}}");
			first = 0;
		}
	}
	fprintf(out, "]}]}\n");
}

/* GitHub Actions annotations: the findings the judge kept, at most GITHUB_ANNOTATION_LIMIT
 * errors, then a notice that says how many were left out. */
void tl_grade_github(FILE *out, const struct tl_grade *g)
{
	int shown = 0, left = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_grade_lab *gl = &g->labs[i];
		struct tl_kept_cursor c = {0, 0};
		for (const struct tl_finding *x; (x = tl_next_kept(gl->target, &c)) != NULL;) {
			if (shown == GITHUB_ANNOTATION_LIMIT) {
				left++;
				continue;
			}
			shown++;
			fputs("::error ", out);
			if (x->site.file[0] != '\0' && x->site.line > 0) {
				fputs("file=", out);
				gh_str(out, x->site.file, 1);
				fprintf(out, ",line=%d,", x->site.line);
			}
			char title[128];
			snprintf(title, sizeof title, "%s %s (%s)", gl->lab->slug, tl_kind_name(x->kind), tl_tool_name(x->tool));
			fputs("title=", out);
			gh_str(out, title, 1);
			fputs("::", out);
			gh_str(out, x->message, 0);
			fputc('\n', out);
		}
	}
	if (left > 0)
		fprintf(out, "::notice title=threadlab::%d more findings are not shown as annotations (GitHub shows at most %d per step); see the grade report\n",
			left, GITHUB_ANNOTATION_LIMIT);
	fprintf(out, "::%s title=threadlab sandbox::", g->unsafe ? "warning" : "notice");
	if (g->unsafe)
		fputs("UNSAFE, graded with --unsafe-no-sandbox: ", out);
	gh_str(out, g->sandbox, 0);
	fputc('\n', out);
	fprintf(out, "::notice title=threadlab score::%.1f / %.1f\n", g->points, g->max);
}

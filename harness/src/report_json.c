/* report_json.c: the machine report: {"programs":[{"path","tools":{name:{status,kinds,findings}}}]}. */
#include <string.h>

#include "stages.h"

static void jstr(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void jkinds(FILE *out, tl_kindset set)
{
	fputc('[', out);
	int first = 1;
	for (int k = 0; k < TL_KIND_COUNT; k++) {
		if (!(set & TL_KINDSET(k)))
			continue;
		if (!first)
			fputc(',', out);
		jstr(out, tl_kind_name((enum tl_kind)k));
		first = 0;
	}
	fputc(']', out);
}

static void jsite(FILE *out, const char *key, const struct tl_site *s)
{
	fprintf(out, ",");
	jstr(out, key);
	fprintf(out, ":{\"file\":");
	jstr(out, s->file);
	fprintf(out, ",\"line\":%d,\"function\":", s->line);
	jstr(out, s->function);
	fputc('}', out);
}

static void jfinding(FILE *out, const struct tl_config *cfg, const struct tl_finding *f)
{
	fprintf(out, "{\"kind\":");
	jstr(out, tl_kind_name(f->kind));
	fprintf(out, ",\"raw\":");
	jstr(out, f->raw);
	fprintf(out, ",\"file\":");
	jstr(out, f->site.file);
	fprintf(out, ",\"line\":%d,\"function\":", f->site.line);
	jstr(out, f->site.function);
	fprintf(out, ",\"thread\":");
	jstr(out, f->thread);
	fprintf(out, ",\"message\":");
	jstr(out, f->message);
	if (f->other.file[0] != '\0' || f->other.function[0] != '\0') {
		jsite(out, "other", &f->other);
		fprintf(out, ",\"other_thread\":");
		jstr(out, f->other_thread);
	}
	if (cfg->verbose && f->detail != NULL) {
		fprintf(out, ",\"detail\":");
		jstr(out, f->detail);
	}
	fputc('}', out);
}

void tl_report_json(FILE *out, const struct tl_config *cfg, const char *mode,
		    struct tl_target *const *targets, size_t n)
{
	fprintf(out, "{\"mode\":");
	jstr(out, mode);
	fprintf(out, ",\"programs\":[");
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fprintf(out, "%s{\"path\":", i ? "," : "");
		jstr(out, t->name);
		if (t->lab != NULL) {
			fprintf(out, ",\"lab\":");
			jstr(out, t->lab->slug);
			fprintf(out, ",\"variant\":");
			jstr(out, tl_variant_name(t->variant));
		}
		fprintf(out, ",\"build_seconds\":%.3f,\"tools\":{", t->build_seconds);
		int first = 1;
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(cfg->tools & (1 << tool)))
				continue;
			const struct tl_result *r = &t->result[tool];
			if (!first)
				fputc(',', out);
			first = 0;
			jstr(out, tl_tool_name((enum tl_tool)tool));
			fprintf(out, ":{\"status\":");
			jstr(out, tl_status_name(r->status));
			fprintf(out, ",\"runs\":%d,\"seconds\":%.3f,\"kinds\":", r->runs, r->seconds);
			jkinds(out, r->kinds);
			if (r->note[0] != '\0') {
				fprintf(out, ",\"note\":");
				jstr(out, r->note);
			}
			if (r->compared) {
				fprintf(out, ",\"expected\":");
				jkinds(out, r->expected);
				fprintf(out, ",\"match\":%s", r->match ? "true" : "false");
			}
			fprintf(out, ",\"findings\":[");
			for (size_t k = 0; k < r->findings.n; k++) {
				if (k)
					fputc(',', out);
				jfinding(out, cfg, &r->findings.v[k]);
			}
			fprintf(out, "]}");
		}
		fprintf(out, "}}");
	}
	fprintf(out, "]}\n");
}

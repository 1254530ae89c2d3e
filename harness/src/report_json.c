/* report_json.c: the machine report: {"programs":[{"path","tools":{name:{status,kinds,findings}}}]}. */
#include <string.h>

#include "stages.h"

/* The kinds of SET as a JSON array of names in alphabetical order (the same order as
 * tl_kindset_str), [] when clean. */
static void jkinds(FILE *out, tl_kindset set)
{
	char buf[256];
	fputc('[', out);
	if (set != 0) {
		tl_kindset_str(set, buf, sizeof buf);
		int first = 1;
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
			if (!first)
				fputc(',', out);
			tl_put_json(out, w);
			first = 0;
		}
	}
	fputc(']', out);
}

static void jsite(FILE *out, const char *key, const struct tl_site *s)
{
	fprintf(out, ",");
	tl_put_json(out, key);
	fprintf(out, ":{\"file\":");
	tl_put_json(out, s->file);
	fprintf(out, ",\"line\":%d,\"function\":", s->line);
	tl_put_json(out, s->function);
	fputc('}', out);
}

static void jfinding(FILE *out, const struct tl_config *cfg, const struct tl_finding *f)
{
	fprintf(out, "{\"kind\":");
	tl_put_json(out, tl_kind_name(f->kind));
	fprintf(out, ",\"raw\":");
	tl_put_json(out, f->raw);
	fprintf(out, ",\"file\":");
	tl_put_json(out, f->site.file);
	fprintf(out, ",\"line\":%d,\"function\":", f->site.line);
	tl_put_json(out, f->site.function);
	fprintf(out, ",\"thread\":");
	tl_put_json(out, f->thread);
	fprintf(out, ",\"message\":");
	tl_put_json(out, f->message);
	if (f->other.file[0] != '\0' || f->other.function[0] != '\0') {
		jsite(out, "other", &f->other);
		fprintf(out, ",\"other_thread\":");
		tl_put_json(out, f->other_thread);
	}
	if (cfg->verbose && f->detail != NULL) {
		fprintf(out, ",\"detail\":");
		tl_put_json(out, f->detail);
	}
	fputc('}', out);
}

void tl_report_json(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n)
{
	fprintf(out, "{\"mode\":");
	tl_put_json(out, tl_mode_name(mode));
	fprintf(out, ",\"programs\":[");
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		fprintf(out, "%s{\"path\":", i ? "," : "");
		tl_put_json(out, t->name);
		if (t->lab != NULL) {
			fprintf(out, ",\"lab\":");
			tl_put_json(out, t->lab->slug);
			fprintf(out, ",\"variant\":");
			tl_put_json(out, tl_variant_name(t->variant));
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
			tl_put_json(out, tl_tool_name((enum tl_tool)tool));
			fprintf(out, ":{\"status\":");
			tl_put_json(out, tl_status_name(r->status));
			fprintf(out, ",\"runs\":%d,\"seconds\":%.3f,\"kinds\":", r->runs, r->seconds);
			jkinds(out, r->kinds);
			if (r->note[0] != '\0') {
				fprintf(out, ",\"note\":");
				tl_put_json(out, r->note);
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

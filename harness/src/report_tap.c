/* report_tap.c: TAP 13 in kselftest form: one plan, a test point per program x tool, totals. */
#include "stages.h"

void tl_report_tap(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		   size_t n)
{
	int planned = 0;
	for (size_t i = 0; i < n; i++)
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
			planned += (cfg->tools & (1 << tool)) != 0;
	fprintf(out, "TAP version 13\n1..%d\n", planned);
	int num = 0, pass = 0, fail = 0, skip = 0, error = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_target *t = targets[i];
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!(cfg->tools & (1 << tool)))
				continue;
			const struct tl_result *r = &t->result[tool];
			char kinds[128], want[128];
			tl_kindset_str(r->kinds, kinds, sizeof kinds);
			tl_kindset_str(r->expected, want, sizeof want);
			const char *variant = t->lab != NULL ? tl_variant_name(t->variant) : "";
			const char *sep = t->lab != NULL ? " " : "";
			num++;
			switch (r->verdict) {
			case TL_VERDICT_SKIP:
				skip++;
				fprintf(out, "ok %d %s%s%s %s # SKIP %s\n", num, t->name, sep, variant,
					tl_tool_name((enum tl_tool)tool), r->note[0] ? r->note : "not run");
				continue;
			case TL_VERDICT_ERROR:
				error++;
				fprintf(out, "not ok %d %s%s%s %s # tool error: %s\n", num, t->name, sep, variant,
					tl_tool_name((enum tl_tool)tool), r->note);
				continue;
			case TL_VERDICT_PASS:
			case TL_VERDICT_FAIL:
				break;
			}
			int ok = r->verdict == TL_VERDICT_PASS;
			ok ? pass++ : fail++;
			fprintf(out, "%s %d %s%s%s %s: %s", ok ? "ok" : "not ok", num, t->name, sep, variant,
				tl_tool_name((enum tl_tool)tool), kinds);
			if (mode == TL_MODE_SELFTEST)
				fprintf(out, " (declared %s)", want);
			fputc('\n', out);
			for (size_t k = 0; k < r->findings.n && !ok; k++) {
				const struct tl_finding *f = &r->findings.v[k];
				fprintf(out, "# %s %s:%d %s: %s\n", tl_kind_name(f->kind), f->site.file, f->site.line,
					f->site.function, f->message);
			}
		}
	}
	fprintf(out, "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:%d\n", pass, fail, skip, error);
}

/* tamper.c: refuses student code that tries to switch the detectors off or reach outside its lab,
 * checking exactly what each build compiles. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tamper.h"

/* How the scan reads one student file:
 *   1. the file as written (tamper_lex.c): line directives, token pasting, macros defined before
 *      an include, names that ask which compiler or tool is at work;
 *   2. for each build whose compiler and flags differ (tl_build_compile_argv, the builds' own
 *      definition), its preprocessing (-E -dD) and its object (-c), made at once:
 *      - every preprocessed line belongs to the file the include stack says, includes resolve
 *        inside the lab's places, and the student's lines name no tool hook (tamper_lex.c);
 *      - conditional compilation decides the same way under every build's compiler;
 *      - the object defines nothing a linked library exports, and imports only what
 *        imports.def, the lab's lab.decl and the lab's own code allow (tamper_syms.c);
 *   3. clang's syntax tree (tamper_ast.c): no function address turned into data or back. */

int tl__refuse(struct tl__why *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
	return 1;
}

int tl__fail(struct tl__why *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
	return -1;
}

void tl__strs_add(struct tl__strs *s, const char *str, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		TL_ASSERT(s->v != NULL);
	}
	s->v[s->n] = strndup(str, len);
	TL_ASSERT(s->v[s->n] != NULL);
	s->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tl__strs_sort(struct tl__strs *s)
{
	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof *s->v, cmp_str);
	size_t k = 1;
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[k - 1]) == 0)
			free(s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

size_t tl__strs_lower_bound(const struct tl__strs *s, const char *key)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int tl__strs_has(const struct tl__strs *s, const char *str)
{
	size_t i = tl__strs_lower_bound(s, str);
	return i < s->n && strcmp(s->v[i], str) == 0;
}

int tl__strs_has_prefix(const struct tl__strs *s, const char *prefix)
{
	size_t i = tl__strs_lower_bound(s, prefix);
	return i < s->n && strncmp(s->v[i], prefix, strlen(prefix)) == 0;
}

void tl__strs_free(struct tl__strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

int tl__match(const char *pattern, const char *name)
{
	size_t p = strlen(pattern), n = strlen(name);
	if (p > 0 && pattern[p - 1] == '*')
		return strncmp(pattern, name, p - 1) == 0;
	if (p > 0 && pattern[0] == '*')
		return n >= p - 1 && strcmp(name + n - (p - 1), pattern + 1) == 0;
	return strcmp(pattern, name) == 0;
}

/* ------------------------------------------------------------------------------------------ */

/* One build the scan reproduces: its compiler and flags, and the scan's outputs for it. */
struct variant {
	enum tl_build_kind kind;
	struct tl_argv cc;
	struct tl_argv obj_cmd;       /* the command that makes obj: the build's own (tl_build_object) */
	char label[64];               /* "the TSan build (clang)" */
	char pre[TL_PATH + 64], obj[TL_PATH + 64], err_e[TL_PATH + 64], err_c[TL_PATH + 64];
	int rc_e, rc_c;
	char *text;                   /* the preprocessed text */
	size_t len;
	struct tl__macros macros;
	struct tl__objsyms syms;
};

static void argv_join(const struct tl_argv *a, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < a->n && used + 1 < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "", a->v[i]);
}

/* The builds of T whose compile commands differ (the test build compiles the student's file as
 * the plain build does, so it is read once), for the student's file number F, SRC. Returns how
 * many were filled into V. */
static int variants_of(const struct tl_target *t, int f, const char *src, struct variant *v)
{
	int n = 0;
	char seen[TL_BUILD_COUNT][4096];
	for (int k = 0; k < TL_BUILD_COUNT; k++) {
		struct variant *x = &v[n];
		memset(x, 0, sizeof *x);
		x->kind = (enum tl_build_kind)k;
		tl_build_compile_argv(t, x->kind, &x->cc);
		argv_join(&x->cc, seen[n], sizeof seen[n]);
		int dup = 0;
		for (int i = 0; i < n && !dup; i++)
			dup = strcmp(seen[i], seen[n]) == 0;
		if (dup) {
			tl_argv_clear(&x->cc);
			continue;
		}
		const char *cc = strrchr(x->cc.v[0], '/') != NULL ? strrchr(x->cc.v[0], '/') + 1 : x->cc.v[0];
		snprintf(x->label, sizeof x->label, "the %s build (%s)", tl_build_kind_name(x->kind), cc);
		const char *kn = tl_build_kind_name(x->kind);
		snprintf(x->pre, sizeof x->pre, "%s/scan.%d.%s.i", t->outdir, f, kn);
		/* The object is the one the build links (a path that does not fit is a scan of its own). */
		if (tl_build_object(t, x->kind, src, x->obj, sizeof x->obj, &x->obj_cmd) != 0) {
			tl_argv_clear(&x->obj_cmd);
			snprintf(x->obj, sizeof x->obj, "%s/scan.%d.%s.o", t->outdir, f, kn);
			for (int i = 0; i < x->cc.n; i++)
				tl_argv_push(&x->obj_cmd, x->cc.v[i]);
			const char *c[] = {"-c", src, "-o", x->obj};
			for (int i = 0; i < 4; i++)
				tl_argv_push(&x->obj_cmd, c[i]);
		}
		snprintf(x->err_e, sizeof x->err_e, "%s/scan.%d.%s.e.err", t->outdir, f, kn);
		snprintf(x->err_c, sizeof x->err_c, "%s/scan.%d.%s.c.err", t->outdir, f, kn);
		n++;
	}
	return n;
}

static void variant_free(struct variant *v)
{
	tl_argv_clear(&v->cc);
	tl_argv_clear(&v->obj_cmd);
	free(v->text);
	tl__strs_free(&v->macros.events);
	tl__strs_free(&v->syms.defined);
	tl__strs_free(&v->syms.imported);
}

static void task_cc(struct tl__task *k, const struct tl_config *cfg, const struct tl_target *t, const struct tl_argv *cc,
		    const char *const *extra, const char *out, const char *err)
{
	memset(k, 0, sizeof *k);
	k->cfg = cfg;
	tl_strlcpy(k->writable, t->outdir, sizeof k->writable);
	for (int i = 0; i < cc->n; i++)
		tl_argv_push(&k->argv, cc->v[i]);
	for (int i = 0; extra[i] != NULL; i++)
		tl_argv_push(&k->argv, extra[i]);
	tl_strlcpy(k->out, out, sizeof k->out);
	tl_strlcpy(k->err, err, sizeof k->err);
}

/* Whether a failed compile's log shows an error in the code (the build will fail the same way)
 * rather than a compiler that did not run or was killed. */
static int compile_error(const char *log)
{
	size_t len = 0;
	int tr = 0;
	char *text = tl_read_file(log, 1 << 20, &len, &tr);
	int yes = text != NULL && strstr(text, "error") != NULL;
	free(text);
	return yes;
}

/* Compiles SRC as every variant builds it (preprocessed and as an object), and dumps clang's
 * syntax tree of it, all at once. */
static void compile_all(const struct tl_config *cfg, const struct tl_target *t, const char *src, struct variant *v,
			int nv, const char *ast, const char *ast_err, int *ast_rc)
{
	struct tl__task tasks[TL__MAX_TASKS];
	int n = 0, tsan = -1;
	for (int i = 0; i < nv; i++) {
		const char *e[] = {"-E", "-dD", src, "-o", v[i].pre, NULL};
		static const char *const none[] = {NULL};
		task_cc(&tasks[n++], cfg, t, &v[i].cc, e, "/dev/null", v[i].err_e);
		task_cc(&tasks[n++], cfg, t, &v[i].obj_cmd, none, "/dev/null", v[i].err_c);
		if (v[i].kind == TL_BUILD_TSAN)
			tsan = i;
	}
	/* The AST check reads clang's tree; the TSan build's compiler is clang, with the same flags. */
	const char *d[] = {"-fsyntax-only", "-Xclang", "-ast-dump=json", src, NULL};
	task_cc(&tasks[n++], cfg, t, &v[tsan >= 0 ? tsan : 0].cc, d, ast, ast_err);
	tl__run_tasks(tasks, n);
	for (int i = 0; i < nv; i++) {
		v[i].rc_e = tasks[2 * i].rc;
		v[i].rc_c = tasks[2 * i + 1].rc;
		if (v[i].rc_c == 0)
			tl_build_mark(v[i].obj, &v[i].obj_cmd);
	}
	*ast_rc = tasks[n - 1].rc;
	for (int i = 0; i < n; i++)
		tl_argv_clear(&tasks[i].argv);
}

/* Settles which variants built. Returns 0 when every one did, or none did (the build reports the
 * error); 1 when only some did, when one was stopped at a limit, or when one compiles but its
 * preprocessing failed (the code would run without every check having read it); -1 when a compiler
 * failed without an error in the code. */
static int built(struct variant *v, int nv, const char *base, struct tl__why *w)
{
	int ok = 0, failed = -1;
	for (int i = 0; i < nv; i++) {
		if (v[i].rc_e == TL__KILLED || v[i].rc_c == TL__KILLED)
			return tl__refuse(w, "%s could not compile %s within the limits of a build (time, memory, output size): the scan cannot vouch for it",
					  v[i].label, base);
		if (v[i].rc_c == 0 && v[i].rc_e != 0)
			return tl__refuse(w, "%s compiles %s, but its preprocessing failed (see %s): the scan cannot vouch for it",
					  v[i].label, base, v[i].err_e);
		if (v[i].rc_c == 0) {
			ok++;
			continue;
		}
		if (!compile_error(v[i].err_c))
			return tl__fail(w, "%s could not compile %s for the scan (see %s)", v[i].label, base, v[i].err_c);
		failed = i;
	}
	if (ok == 0 || failed < 0)
		return 0;
	return tl__refuse(w, "%s does not compile under %s while another build compiles it: every build must compile the same code (see %s)",
			  base, v[failed].label, v[failed].err_c);
}

/* Lists the symbols of every variant's object (one nm for all) into V[i].syms. */
static int list_symbols(const struct tl_config *cfg, const struct tl_target *t, struct variant *v, int nv,
			struct tl__why *w)
{
	struct tl__task nm = {.cfg = cfg};
	char out[TL_PATH + 64], err[TL_PATH + 64];
	const char *objs[TL_BUILD_COUNT];
	snprintf(out, sizeof out, "%s/scan.nm", t->outdir);
	snprintf(err, sizeof err, "%s/scan.nm.err", t->outdir);
	tl_argv_push(&nm.argv, "nm");
	tl_argv_push(&nm.argv, "-A");
	for (int i = 0; i < nv; i++) {
		tl_argv_push(&nm.argv, v[i].obj);
		objs[i] = v[i].obj;
	}
	int nrc = tl__run(cfg, t->outdir, nm.argv.v, out, err);
	tl_argv_clear(&nm.argv);
	size_t len = 0;
	int tr = 0;
	char *text = nrc == 0 ? tl_read_file(out, 16 << 20, &len, &tr) : NULL;
	struct tl__objsyms syms[TL_BUILD_COUNT];
	memset(syms, 0, sizeof syms);
	int prc = text != NULL && !tr ? tl__nm_parse(text, objs, syms, nv) : -1;
	free(text);
	for (int i = 0; i < nv; i++)
		v[i].syms = syms[i];
	return prc == 0 ? 0 : tl__fail(w, "nm -A of the scan's objects failed (status %d; see %s)", nrc, err);
}

/* The text checks and the symbol rules of every variant. */
static int check_variants(const struct tl_config *cfg, const struct tl_target *t, struct variant *v, int nv,
			  const struct tl__places *pl, const struct tl__raw *raw, const char *base, struct tl__why *w)
{
	for (int i = 0; i < nv; i++) {
		int tr = 0;
		v[i].text = tl_read_file(v[i].pre, 256u << 20, &v[i].len, &tr);
		if (v[i].text == NULL || tr)
			return tl__fail(w, "cannot read the preprocessed %s (%s)", base, v[i].pre);
		int rc = tl__scan_preprocessed(v[i].text, v[i].len, base, pl, &v[i].macros, w);
		if (rc != 0)
			return rc;
	}
	for (int i = 1; i < nv; i++) {
		int rc = tl__same_conditions(raw, &v[0].macros, v[0].label, &v[i].macros, v[i].label, base, w);
		if (rc != 0)
			return rc;
	}
	if (list_symbols(cfg, t, v, nv, w) != 0)
		return -1;
	for (int i = 0; i < nv; i++) {
		int rc = tl__check_defines(cfg, t, &v[i].syms, base, w);
		if (rc != 0)
			return rc;
	}
	for (int i = 0; i < nv; i++) {
		int rc = tl__check_imports(cfg, t, v[i].kind, &v[i].syms, base, v[i].text, v[i].len, pl, w);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The syntax tree check, on what clang dumped into AST. */
static int check_ast(const char *ast, int ast_rc, const char *ast_err, const struct tl__places *pl, const char *base,
		     struct tl__why *w)
{
	const size_t cap = 64u << 20;
	struct stat st;
	if (ast_rc != 0 && stat(ast, &st) == 0 && (size_t)st.st_size >= cap)
		return tl__refuse(w, "%s: its syntax tree is larger than the %zu MiB the check reads", base, cap >> 20);
	if (ast_rc != 0)
		return tl__fail(w, "clang could not dump the syntax tree of %s (status %d; see %s)", base, ast_rc, ast_err);
	size_t len = 0;
	int tr = 0;
	char *json = tl_read_file(ast, cap, &len, &tr);
	if (json == NULL)
		return tl__fail(w, "cannot read %s", ast);
	int rc = tr ? tl__refuse(w, "%s: its syntax tree is larger than the %zu MiB the check reads", base, cap >> 20)
		    : tl__ast_check(json, len, pl, base, w);
	free(json);
	return rc;
}

/* The AST check on a thread of its own: it reads and walks clang's tree (tens of milliseconds)
 * while the variants' checks wait for nm. */
struct ast_job {
	char path[TL_PATH + 64], err[TL_PATH + 64];
	int dump_rc;
	const struct tl__places *places;
	const char *base;
	char why[1024];
	int rc;
};

static void *ast_main(void *arg)
{
	struct ast_job *j = arg;
	struct tl__why w = {j->why, sizeof j->why};
	j->rc = check_ast(j->path, j->dump_rc, j->err, j->places, j->base, &w);
	return NULL;
}

/* Runs the variants' checks and the AST check at once; the variants' refusal, if any, is the one
 * reported (it names the simpler thing). */
static int check_all(const struct tl_config *cfg, const struct tl_target *t, struct variant *v, int nv,
		     const struct tl__places *pl, const struct tl__raw *raw, struct ast_job *aj, struct tl__why *w)
{
	pthread_t th;
	int threaded = pthread_create(&th, NULL, ast_main, aj) == 0;
	int rc = check_variants(cfg, t, v, nv, pl, raw, aj->base, w);
	if (threaded)
		pthread_join(th, NULL);
	else
		ast_main(aj);
	if (rc == 0 && aj->rc != 0) {
		tl_strlcpy(w->buf, aj->why, w->len);
		rc = aj->rc;
	}
	return rc;
}

/* Scans the student's file number F of T's lab. */
static int scan_file(const struct tl_config *cfg, const struct tl_target *t, int f, const struct tl__places *pl,
		     struct tl__why *w)
{
	const struct tl_lab *lab = t->lab;
	const char *base = lab->student[f];
	char src[TL_PATH * 2];
	snprintf(src, sizeof src, "%s/%s", lab->dir, base);
	size_t len = 0;
	int tr = 0;
	char *text = tl_read_file(src, 4u << 20, &len, &tr);
	if (text == NULL)
		return tl__fail(w, "cannot read %s: %s", src, strerror(errno));
	struct tl__raw raw = {0};
	int rc = tr ? tl__refuse(w, "%s is larger than the scan reads", base) : tl__raw_scan(text, len, base, &raw, w);
	free(text);
	struct variant v[TL_BUILD_COUNT];
	int nv = 0;
	if (rc == 0) {
		struct ast_job aj = {.places = pl, .base = base};
		snprintf(aj.path, sizeof aj.path, "%s/scan.%d.ast.json", t->outdir, f);
		snprintf(aj.err, sizeof aj.err, "%s/scan.%d.ast.err", t->outdir, f);
		nv = variants_of(t, f, src, v);
		compile_all(cfg, t, src, v, nv, aj.path, aj.err, &aj.dump_rc);
		rc = built(v, nv, base, w);
		int all = 1;
		for (int i = 0; i < nv; i++)
			all &= v[i].rc_e == 0 && v[i].rc_c == 0;
		if (rc == 0 && all)
			rc = check_all(cfg, t, v, nv, pl, &raw, &aj, w);
	}
	for (int i = 0; i < nv; i++)
		variant_free(&v[i]);
	tl__raw_free(&raw);
	return rc;
}

static int add_real(struct tl__strs *s, const char *path, struct tl__why *w)
{
	char real[PATH_MAX];
	if (realpath(path, real) == NULL)
		return tl__fail(w, "cannot resolve %s: %s", path, strerror(errno));
	tl__strs_add(s, real, strlen(real));
	return 0;
}

/* The places of T's lab: its student files, the folders it may include from. */
static int places_of(const struct tl_config *cfg, const struct tl_target *t, struct tl__places *pl, struct tl__why *w)
{
	const struct tl_lab *lab = t->lab;
	char p[TL_PATH * 2];
	int rc = 0;
	for (int i = 0; i < lab->nstudent && rc == 0; i++) {
		snprintf(p, sizeof p, "%s/%s", lab->dir, lab->student[i]);
		rc = add_real(&pl->student, p, w);
	}
	snprintf(p, sizeof p, "%s/labs/common", cfg->labs_root);
	if (rc == 0)
		rc = add_real(&pl->lab_dirs, lab->dir, w);
	if (rc == 0)
		rc = add_real(&pl->lab_dirs, p, w);
	snprintf(p, sizeof p, "%s/harness/threadcheck/threadcheck.h", cfg->root);
	if (rc == 0 && realpath(p, pl->tc_header) == NULL)
		rc = tl__fail(w, "cannot resolve %s: %s", p, strerror(errno));
	if (rc == 0)
		rc = tl__system_dirs(cfg, t, &pl->system_dirs, w);
	tl__strs_sort(&pl->student);
	tl__strs_sort(&pl->lab_dirs);
	return rc;
}

int tl_tamper_scan(const struct tl_config *cfg, const struct tl_target *t, char *why, size_t whylen)
{
	struct tl__why w = {why, whylen};
	struct tl__places pl = {0};
	why[0] = '\0';
	int rc = places_of(cfg, t, &pl, &w);
	for (int f = 0; rc == 0 && f < t->lab->nstudent; f++)
		rc = scan_file(cfg, t, f, &pl, &w);
	tl__strs_free(&pl.student);
	tl__strs_free(&pl.lab_dirs);
	tl__strs_free(&pl.system_dirs);
	return rc;
}

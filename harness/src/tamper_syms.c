/* tamper_syms.c: the anti-tamper scan's rules on symbols: what a student's object may define and
 * what it may import (the allowlist of imports.def). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tamper.h"

enum allow_kind { A_IMPORT, A_TSAN, A_BUILTIN };

static const struct {
	enum allow_kind kind;
	const char *name;
	const char *why;
} allow_table[] = {
#define ALLOW(k, n, w) {A_##k, n, w},
#include "imports.def"
#undef ALLOW
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int tl__builtin_allowed(const char *name)
{
	for (size_t i = 0; i < COUNT(allow_table); i++)
		if (allow_table[i].kind == A_BUILTIN && tl__match(allow_table[i].name, name))
			return 1;
	return 0;
}

static int import_listed(const char *name, enum tl_build_kind kind)
{
	for (size_t i = 0; i < COUNT(allow_table); i++) {
		enum allow_kind k = allow_table[i].kind;
		if ((k == A_IMPORT || (k == A_TSAN && kind == TL_BUILD_TSAN)) && tl__match(allow_table[i].name, name))
			return 1;
	}
	return 0;
}

int tl__run(const struct tl_config *cfg, const char *writable, char *const *argv, const char *out, const char *err)
{
	static const char *const none[] = {NULL};
	const struct tl_jail jail = {TL_SB_BUILD, writable, NULL};
	struct tl_spawn s = {0};
	s.cwd = writable;
	s.stdout_path = out;
	s.stderr_path = err;
	s.timeout_s = 120;
	s.max_output = 64 << 20;
	if (cfg->grading)
		s.limits = &cfg->build_limits;
	char e[256];
	if (tl_spawn_jailed(cfg, cfg->grading ? &jail : NULL, argv, none, &s, e, sizeof e) != 0)
		return -1;
	return s.exited ? s.exit_code : TL__KILLED;
}

/* ------------------------------------------------------------------------------------------ */
/* nm's listing. */

int tl__nm_parse(const char *text, const char *const *objs, struct tl__objsyms *syms, int nobj)
{
	const char *p = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		if (n >= sizeof line)
			return -1;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl != NULL);
		if (n == 0)
			continue;
		int which = -1;
		size_t skip = 0;
		for (int i = 0; i < nobj && which < 0; i++) {
			size_t l = strlen(objs[i]);
			if (strncmp(line, objs[i], l) == 0 && line[l] == ':')
				which = i, skip = l + 1;
		}
		/* "VALUE TYPE NAME" or "TYPE NAME" (undefined symbols have no value). */
		char *rest = line + skip, *name = strrchr(rest, ' ');
		if (which < 0 || name == NULL || name == rest || (name - 1 > rest && name[-2] != ' '))
			return -1;
		char type = name[-1];
		name++;
		char *at = strchr(name, '@');
		if (at != NULL)
			*at = '\0';
		if (type == 'U' || type == 'w' || type == 'v')
			tl__strs_add(&syms[which].imported, name, strlen(name));
		else if ((type >= 'A' && type <= 'Z') || type == 'u')
			tl__strs_add(&syms[which].defined, name, strlen(name));
	}
	for (int i = 0; i < nobj; i++) {
		tl__strs_sort(&syms[i].defined);
		tl__strs_sort(&syms[i].imported);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Parallel helper jobs. */

static void *task_main(void *arg)
{
	struct tl__task *k = arg;
	k->rc = tl__run(k->cfg, k->writable, k->argv.v, k->out, k->err);
	return NULL;
}

void tl__run_tasks(struct tl__task *tasks, int n)
{
	pthread_t th[TL__MAX_TASKS];
	int started[TL__MAX_TASKS] = {0};
	TL_ASSERT(n <= TL__MAX_TASKS);
	for (int i = 0; i < n; i++)
		started[i] = pthread_create(&th[i], NULL, task_main, &tasks[i]) == 0;
	for (int i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			task_main(&tasks[i]);
	}
}

static char *read_small(const char *path)
{
	size_t len = 0;
	int tr = 0;
	char *s = tl_read_file(path, 16 << 20, &len, &tr);
	if (s != NULL)
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
			s[--len] = '\0';
	return s;
}

/* A folder of the scan's own, shared by every lab of this grading. */
static int shared_dir(const struct tl_config *cfg, char *dir, size_t len, struct tl__why *w)
{
	snprintf(dir, len, "%s/scan-shared", cfg->out_root);
	if (tl_mkdirs(dir) != 0 || (cfg->grading && tl_sandbox_prepare_dir(cfg, dir) != 0))
		return tl__fail(w, "cannot make %s: %s", dir, strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* What the libraries export: computed once per process from the real libraries. */

/* A library a program links, and the symbols it defines. */
struct lib {
	char label[64];
	struct tl__strs syms;
};

static pthread_mutex_t libs_mu = PTHREAD_MUTEX_INITIALIZER;
static int libs_state; /* 0 not yet, 1 done, -1 failed */
static struct lib libs[8];
static int nlibs;

/* The shared libraries by the name the compiler's link finds them. */
static const char *const shared_libs[] = {"libc.so.6", "libpthread.so.0", "libdl.so.2", "ld-linux-x86-64.so.2",
					  "libcmocka.so"};

/* Finds the real path of each library: the plain build's compiler knows the shared ones, the TSan
 * build's compiler its runtime. Fills PATHS[i] (NLIB entries). */
static int lib_paths(const struct tl_config *cfg, const struct tl_target *t, const char *dir, char paths[][PATH_MAX],
		     char labels[][64], int *nlib, struct tl__why *w)
{
	struct tl__task jobs[COUNT(shared_libs) + 1];
	memset(jobs, 0, sizeof jobs);
	int n = 0;
	for (size_t i = 0; i <= COUNT(shared_libs); i++, n++) {
		struct tl__task *j = &jobs[n];
		struct tl_argv cc = {0};
		tl_build_compile_argv(t, i < COUNT(shared_libs) ? TL_BUILD_PLAIN : TL_BUILD_TSAN, &cc);
		j->cfg = cfg;
		tl_strlcpy(j->writable, dir, sizeof j->writable);
		tl_argv_push(&j->argv, cc.v[0]);
		if (i < COUNT(shared_libs)) {
			char opt[128];
			snprintf(opt, sizeof opt, "-print-file-name=%s", shared_libs[i]);
			tl_argv_push(&j->argv, opt);
			snprintf(labels[n], 64, "%s", shared_libs[i]);
		} else {
			/* clang's runtime folder holds its static TSan runtime; gcc's TSan is libtsan.so. */
			const char *b = strrchr(cc.v[0], '/') != NULL ? strrchr(cc.v[0], '/') + 1 : cc.v[0];
			tl_argv_push(&j->argv, strncmp(b, "clang", 5) == 0 ? "--print-runtime-dir" : "-print-file-name=libtsan.so");
			snprintf(labels[n], 64, "the TSan runtime");
		}
		tl_argv_clear(&cc);
		snprintf(j->out, sizeof j->out, "%s/lib.%d.path", dir, n);
		snprintf(j->err, sizeof j->err, "%s/lib.%d.err", dir, n);
	}
	tl__run_tasks(jobs, n);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char *s = jobs[i].rc == 0 ? read_small(jobs[i].out) : NULL;
		char p[PATH_MAX + 64];
		snprintf(p, sizeof p, "%s", s != NULL ? s : "");
		if (s != NULL && i == n - 1 && strstr(jobs[i].argv.v[1], "runtime") != NULL)
			snprintf(p, sizeof p, "%s/libclang_rt.tsan-x86_64.a", s);
		if (rc == 0 && (s == NULL || realpath(p, paths[i]) == NULL))
			rc = tl__fail(w, "cannot find %s (%s: %s)", labels[i], jobs[i].argv.v[0], s != NULL ? p : "failed");
		free(s);
		tl_argv_clear(&jobs[i].argv);
	}
	*nlib = n;
	return rc;
}

/* Lists the global definitions of each of PATHS (shared libraries with nm -D, archives and objects
 * with nm -g) into LIBS. */
static int lib_symbols(const struct tl_config *cfg, const char *dir, char paths[][PATH_MAX], char labels[][64],
		       int n, struct tl__why *w)
{
	struct tl__task jobs[8];
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(paths[i]);
		int archive = l > 2 && (strcmp(paths[i] + l - 2, ".a") == 0 || strcmp(paths[i] + l - 2, ".o") == 0);
		jobs[i].cfg = cfg;
		tl_strlcpy(jobs[i].writable, dir, sizeof jobs[i].writable);
		tl_argv_push(&jobs[i].argv, "nm");
		tl_argv_push(&jobs[i].argv, archive ? "-g" : "-D");
		tl_argv_push(&jobs[i].argv, "--defined-only");
		tl_argv_push(&jobs[i].argv, paths[i]);
		snprintf(jobs[i].out, sizeof jobs[i].out, "%s/lib.%d.syms", dir, i);
		snprintf(jobs[i].err, sizeof jobs[i].err, "%s/lib.%d.err", dir, i);
	}
	tl__run_tasks(jobs, n);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char *text = jobs[i].rc == 0 ? read_small(jobs[i].out) : NULL;
		if (text == NULL && rc == 0)
			rc = tl__fail(w, "nm %s failed (see %s)", paths[i], jobs[i].err);
		struct lib *L = &libs[nlibs++];
		tl_strlcpy(L->label, labels[i], sizeof L->label);
		for (char *save = NULL, *l = text != NULL ? strtok_r(text, "\n", &save) : NULL; l != NULL;
		     l = strtok_r(NULL, "\n", &save)) {
			char *name = strrchr(l, ' ');
			if (name == NULL || name - l < 2)
				continue; /* an archive member's header line */
			char *at = strchr(++name, '@');
			if (at != NULL)
				*at = '\0';
			tl__strs_add(&L->syms, name, strlen(name));
		}
		tl__strs_sort(&L->syms);
		free(text);
		tl_argv_clear(&jobs[i].argv);
	}
	return rc;
}

/* Fills the table of library exports once: the libraries above, libthreadcheck.so, and the objects
 * of threadcheck's test API (tc_api.c), which tests look up by name. */
static int libs_load(const struct tl_config *cfg, const struct tl_target *t, struct tl__why *w)
{
	pthread_mutex_lock(&libs_mu);
	int rc = libs_state;
	if (rc == 0) {
		char dir[TL_PATH + 16];
		char paths[8][PATH_MAX], labels[8][64];
		int n = 0;
		rc = shared_dir(cfg, dir, sizeof dir, w);
		if (rc == 0)
			rc = lib_paths(cfg, t, dir, paths, labels, &n, w);
		if (rc == 0 && realpath(cfg->tc_lib, paths[n]) == NULL)
			rc = tl__fail(w, "cannot find %s: %s", cfg->tc_lib, strerror(errno));
		if (rc == 0) {
			snprintf(labels[n++], 64, "libthreadcheck.so");
			rc = lib_symbols(cfg, dir, paths, labels, n, w);
		}
		libs_state = rc == 0 ? 1 : -1;
	} else if (rc < 0) {
		tl__fail(w, "the libraries' symbols could not be listed earlier");
	}
	pthread_mutex_unlock(&libs_mu);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* What lab-owned objects define: compiled on demand, each source once per process. */

struct owned {
	char src[TL_PATH];
	struct tl__strs defined;
};
static pthread_mutex_t owned_mu = PTHREAD_MUTEX_INITIALIZER;
static struct owned owned_cache[TL_MAX_FILES * 8];
static int nowned;

/* Lists with one nm the global definitions of the N objects OBJS (made from SRCS) into the cache.
 * Called with owned_mu held. */
static int owned_list(const struct tl_config *cfg, const char *dir, char objs[][TL_PATH + 64],
		      const char *const *srcs, int n, struct tl__why *w)
{
	struct tl__task nm = {.cfg = cfg};
	tl_strlcpy(nm.writable, dir, sizeof nm.writable);
	tl_argv_push(&nm.argv, "nm");
	tl_argv_push(&nm.argv, "-A");
	const char *names[16];
	for (int i = 0; i < n; i++) {
		tl_argv_push(&nm.argv, objs[i]);
		names[i] = objs[i];
	}
	snprintf(nm.out, sizeof nm.out, "%s/own.nm", dir);
	snprintf(nm.err, sizeof nm.err, "%s/own.nm.err", dir);
	int rc = tl__run(cfg, dir, nm.argv.v, nm.out, nm.err) == 0 ? 0 : tl__fail(w, "nm of the lab's own objects failed (see %s)", nm.err);
	tl_argv_clear(&nm.argv);
	char *text = rc == 0 ? read_small(nm.out) : NULL;
	struct tl__objsyms syms[16];
	memset(syms, 0, sizeof syms);
	if (rc == 0 && (text == NULL || tl__nm_parse(text, names, syms, n) != 0))
		rc = tl__fail(w, "cannot read nm's listing %s", nm.out);
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			struct owned *o = &owned_cache[nowned++];
			tl_strlcpy(o->src, srcs[i], sizeof o->src);
			o->defined = syms[i].defined;
		} else {
			tl__strs_free(&syms[i].defined);
		}
		tl__strs_free(&syms[i].imported);
	}
	free(text);
	return rc;
}

/* Compiles the sources SRCS (N of them, at most 16) with the plain build's flags and records what
 * each defines. Called with owned_mu held. */
static int owned_compile(const struct tl_config *cfg, const struct tl_target *t, const char *const *srcs, int n,
			 struct tl__why *w)
{
	char dir[TL_PATH + 16];
	if (shared_dir(cfg, dir, sizeof dir, w) != 0)
		return -1;
	struct tl__task *jobs = calloc((size_t)n, sizeof *jobs);
	TL_ASSERT(jobs != NULL && n <= 16);
	char objs[16][TL_PATH + 64];
	for (int i = 0; i < n; i++) {
		jobs[i].cfg = cfg;
		tl_strlcpy(jobs[i].writable, dir, sizeof jobs[i].writable);
		tl_build_compile_argv(t, TL_BUILD_PLAIN, &jobs[i].argv);
		snprintf(objs[i], sizeof objs[i], "%s/own.%d.o", dir, nowned + i);
		tl_argv_push(&jobs[i].argv, "-c");
		tl_argv_push(&jobs[i].argv, srcs[i]);
		tl_argv_push(&jobs[i].argv, "-o");
		tl_argv_push(&jobs[i].argv, objs[i]);
		snprintf(jobs[i].out, sizeof jobs[i].out, "%s/own.%d.out", dir, nowned + i);
		snprintf(jobs[i].err, sizeof jobs[i].err, "%s/own.%d.err", dir, nowned + i);
	}
	tl__run_tasks(jobs, n);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (jobs[i].rc != 0 && rc == 0)
			rc = tl__fail(w, "the lab's own %s did not compile (see %s)", srcs[i], jobs[i].err);
		tl_argv_clear(&jobs[i].argv);
	}
	free(jobs);
	return rc == 0 ? owned_list(cfg, dir, objs, srcs, n, w) : rc;
}

/* Whether a lab-owned program source of T (not a student file) or of labs/common defines NAME. */
static int owned_defines(const struct tl_config *cfg, const struct tl_target *t, const char *name, int *found,
			 struct tl__why *w)
{
	pthread_mutex_lock(&owned_mu);
	const char *todo[16];
	int n = 0, rc = 0;
	for (size_t i = 0; i < t->src.n; i++) {
		const char *b = strrchr(t->src.v[i], '/') != NULL ? strrchr(t->src.v[i], '/') + 1 : t->src.v[i];
		int student = 0, cached = 0;
		for (int s = 0; s < t->lab->nstudent; s++)
			student |= strcmp(t->lab->student[s], b) == 0 && strncmp(t->src.v[i], t->lab->dir, strlen(t->lab->dir)) == 0;
		for (int c = 0; c < nowned; c++)
			cached |= strcmp(owned_cache[c].src, t->src.v[i]) == 0;
		if (!student && !cached && n < 16 && nowned + n < (int)COUNT(owned_cache))
			todo[n++] = t->src.v[i];
	}
	if (n > 0)
		rc = owned_compile(cfg, t, todo, n, w);
	*found = 0;
	for (int c = 0; rc == 0 && c < nowned && !*found; c++)
		for (size_t i = 0; i < t->src.n && !*found; i++)
			*found = strcmp(owned_cache[c].src, t->src.v[i]) == 0 && tl__strs_has(&owned_cache[c].defined, name);
	pthread_mutex_unlock(&owned_mu);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* The rules. */

int tl__check_defines(const struct tl_config *cfg, const struct tl_target *t, const struct tl__objsyms *syms,
		      const char *base, struct tl__why *w)
{
	if (syms->defined.n == 0)
		return 0;
	if (libs_load(cfg, t, w) != 0)
		return -1;
	const char *tc_api[] = {"tc_baseline_take", "tc_verify_none", "tc_preloaded"};
	for (size_t i = 0; i < syms->defined.n; i++) {
		const char *name = syms->defined.v[i];
		for (int l = 0; l < nlibs; l++)
			if (tl__strs_has(&libs[l].syms, name))
				return tl__refuse(w, "%s defines %s(), which %s exports: a student's file may not replace the libraries' or the tools' functions",
						  base, name, libs[l].label);
		for (size_t k = 0; k < COUNT(tc_api); k++)
			if (strcmp(tc_api[k], name) == 0)
				return tl__refuse(w, "%s defines %s(), threadcheck's test API: a student's file may not replace the tools' functions",
						  base, name);
		if (strcmp(name, "main") == 0)
			return tl__refuse(w, "%s defines main(), which belongs to the lab's driver", base);
	}
	return 0;
}

static int lab_allows(const struct tl_lab *lab, const char *name)
{
	for (int i = 0; i < lab->nallow; i++)
		if (strcmp(lab->allow[i], name) == 0)
			return 1;
	return 0;
}

/* Whether T's build KIND may import NAME. Returns 1 or 0, or -1 when the lab's own objects could
 * not be listed. */
static int import_allowed(const struct tl_config *cfg, const struct tl_target *t, enum tl_build_kind kind,
			  const char *name, struct tl__why *w)
{
	if (import_listed(name, kind) || lab_allows(t->lab, name))
		return 1;
	int found = 0;
	if (owned_defines(cfg, t, name, &found, w) != 0)
		return -1;
	return found;
}

int tl__check_imports(const struct tl_config *cfg, const struct tl_target *t, enum tl_build_kind kind,
		      const struct tl__objsyms *syms, const char *base, const char *i, size_t ilen,
		      const struct tl__places *places, struct tl__why *w)
{
	/* Of the refused imports, the message names the one the student's code calls first (the
	 * line to look at) and lists a few others. Lines are looked up for the first few only. */
	struct {
		const char *name;
		int line, called;
	} bad[8];
	int nbad = 0, refused = 0, best = 0;
	for (size_t k = 0; k < syms->imported.n; k++) {
		const char *name = syms->imported.v[k];
		int ok = import_allowed(cfg, t, kind, name, w);
		if (ok < 0)
			return -1;
		if (ok || refused++ >= 8)
			continue;
		bad[nbad].name = name;
		bad[nbad].called = 0;
		bad[nbad].line = tl__find_identifier(i, ilen, places, name, &bad[nbad].called);
		nbad++;
	}
	if (nbad == 0)
		return 0;
	for (int k = 1; k < nbad; k++) {
		int kc = bad[k].line > 0 && bad[k].called, bc = bad[best].line > 0 && bad[best].called;
		if ((kc && !bc) || (kc == bc && bad[k].line > 0 && (bad[best].line == 0 || bad[k].line < bad[best].line)))
			best = k;
	}
	char more[256] = "";
	size_t used = 0;
	for (int k = 0, listed = 0; k < nbad && listed < 3; k++)
		if (k != best)
			used += (size_t)snprintf(more + used, sizeof more - used, "%s%s", listed++ ? ", " : "; it also imports ",
						 bad[k].name);
	if (refused > 4 && used < sizeof more)
		snprintf(more + used, sizeof more - used, " and %d more", refused - 4);
	if (bad[best].line > 0 && bad[best].called)
		return tl__refuse(w, "%s:%d uses '%s': lab code may not call it (it is not on the allowlist of imports.def, nor defined by the lab)%s",
				  base, bad[best].line, bad[best].name, more);
	return tl__refuse(w, "%s uses %s (called by pointer or under another name%s): lab code may not use it (it is not on the allowlist of imports.def, nor defined by the lab)%s",
			  base, bad[best].name, bad[best].line > 0 ? "" : ", the object imports it", more);
}

/* ------------------------------------------------------------------------------------------ */
/* System include folders. */

static pthread_mutex_t dirs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tl__strs dirs_cache;
static struct tl__strs dirs_done; /* the compilers asked so far */

/* Reads the "#include <...> search starts here:" list of `CC -E -v` from TEXT into DIRS. */
static void parse_search_list(char *text, struct tl__strs *dirs)
{
	char *p = strstr(text, "#include <...> search starts here:");
	char *end = p != NULL ? strstr(p, "End of search list.") : NULL;
	if (end == NULL)
		return;
	*end = '\0';
	for (char *save = NULL, *l = strtok_r(strchr(p, '\n'), "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		while (*l == ' ')
			l++;
		char real[PATH_MAX];
		if (*l == '/' && realpath(l, real) != NULL)
			tl__strs_add(dirs, real, strlen(real));
	}
}

int tl__system_dirs(const struct tl_config *cfg, const struct tl_target *t, struct tl__strs *dirs, struct tl__why *w)
{
	pthread_mutex_lock(&dirs_mu);
	int rc = 0;
	for (int k = 0; k < TL_BUILD_COUNT && rc == 0; k++) {
		struct tl_argv cc = {0};
		tl_build_compile_argv(t, (enum tl_build_kind)k, &cc);
		if (!tl__strs_has(&dirs_done, cc.v[0])) {
			char dir[TL_PATH + 16];
			struct tl__task j = {.cfg = cfg};
			rc = shared_dir(cfg, dir, sizeof dir, w);
			tl_strlcpy(j.writable, dir, sizeof j.writable);
			const char *args[] = {cc.v[0], "-E", "-v", "-x", "c", "/dev/null"};
			for (size_t a = 0; a < COUNT(args); a++)
				tl_argv_push(&j.argv, args[a]);
			snprintf(j.out, sizeof j.out, "%s/search.out", dir);
			snprintf(j.err, sizeof j.err, "%s/search.err", dir);
			char *text = rc == 0 && tl__run(cfg, dir, j.argv.v, j.out, j.err) == 0 ? read_small(j.err) : NULL;
			size_t before = dirs_cache.n;
			if (text != NULL)
				parse_search_list(text, &dirs_cache);
			if (rc == 0 && dirs_cache.n == before)
				rc = tl__fail(w, "%s -E -v named no system include folder (see %s)", cc.v[0], j.err);
			free(text);
			tl_argv_clear(&j.argv);
			tl__strs_add(&dirs_done, cc.v[0], strlen(cc.v[0]));
			tl__strs_sort(&dirs_done);
			tl__strs_sort(&dirs_cache);
		}
		tl_argv_clear(&cc);
	}
	for (size_t i = 0; rc == 0 && i < dirs_cache.n; i++)
		tl__strs_add(dirs, dirs_cache.v[i], strlen(dirs_cache.v[i]));
	tl__strs_sort(dirs);
	pthread_mutex_unlock(&dirs_mu);
	return rc;
}

/* judge.c: the judge stage: every tool's findings of one program in, one finding per bug out, each with the tools that saw it, and the reports the rules of judge.def set aside, each with its rule and reason. */
#include <stdlib.h>
#include <string.h>

#include "stages.h"

#define TL_TOOLBIT(tool) (1u << TL_TOOL_##tool)
#define TL_TOOLBIT_ALL ((1u << TL_TOOL_COUNT) - 1u)

/* What a rule's condition found: the text its reason names (%s), and for a merge the bug the
 * report is part of. */
struct evidence {
	char what[256];
	int bug;
};

/* The judge's working state for one program. */
struct court {
	struct tl_target *t;
	struct tl_judgement *j;
	int *bug_of[TL_TOOL_COUNT]; /* per finding: the index of its bug, UNSEEN, or ASIDE */
};
enum { UNSEEN = -1, ASIDE = -2 };

/* The order in which tools' reports found bugs: TSan first (its sites are the most precise),
 * then threadcheck, whose verdict decides lock order, leaks and deadlocks. */
static const enum tl_tool order[TL_TOOL_COUNT] = {TL_TOOL_TSAN, TL_TOOL_THREADCHECK, TL_TOOL_HELGRIND,
						  TL_TOOL_TEST};

static const tl_kindset ended_badly = TL_KINDSET(TL_KIND_TIMEOUT) | TL_KINDSET(TL_KIND_CRASH) |
				      TL_KINDSET(TL_KIND_BUILD_ERROR) | TL_KINDSET(TL_KIND_DEADLOCK) |
				      TL_KINDSET(TL_KIND_INTERFERENCE);

/* Whether TOOL ran on the program and every run ended normally: only then is its silence
 * evidence. */
static int finished(const struct court *c, enum tl_tool tool)
{
	const struct tl_result *r = &c->t->result[tool];
	return r->status == TL_ST_RAN && r->runs > 0 && !(r->kinds & ended_badly);
}

/* Whether TOOL reported a finding of KIND. */
static int reported(const struct court *c, enum tl_tool tool, enum tl_kind kind)
{
	return (c->t->result[tool].kinds & TL_KINDSET(kind)) != 0;
}

static int same_place(const struct tl_site *a, const struct tl_site *b)
{
	return a->line > 0 && a->line == b->line && strcmp(a->file, b->file) == 0;
}

/* Whether F and G name a common source line (either site of each). */
static int share_line(const struct tl_finding *f, const struct tl_finding *g)
{
	return same_place(&f->site, &g->site) || same_place(&f->site, &g->other) ||
	       same_place(&f->other, &g->site) || same_place(&f->other, &g->other);
}

/* Whether TSan ran this program to the end and reported no race at a line of F. */
static int tsan_clean_here(const struct court *c, const struct tl_finding *f)
{
	if (!finished(c, TL_TOOL_TSAN))
		return 0;
	const struct tl_findings *l = &c->t->result[TL_TOOL_TSAN].findings;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == TL_KIND_RACE && share_line(f, &l->v[i]))
			return 0;
	return 1;
}

/* Whether TEXT holds WORD as the start of an identifier (nothing of one just before it). */
static int has_word(const char *text, const char *word)
{
	for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
		if (p == text || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
				   (p[-1] >= '0' && p[-1] <= '9')))
			return 1;
	return 0;
}

/* The C11 atomic operations (<stdatomic.h>) and GCC's builtins, as their names start. */
static const char *const atomic_ops[] = {
	"atomic_load",    "atomic_store", "atomic_exchange", "atomic_compare_exchange", "atomic_fetch_",
	"atomic_flag_",   "atomic_init",  "atomic_thread_fence", "__atomic_",           "__sync_",
};

/* Whether TEXT names an atomic operation. */
static int names_atomic_op(const char *text)
{
	for (size_t i = 0; i < sizeof atomic_ops / sizeof atomic_ops[0]; i++)
		if (has_word(text, atomic_ops[i]))
			return 1;
	return 0;
}

/* Whether TEXT, a whole source file, uses atomics: includes <stdatomic.h>, declares an _Atomic
 * object, or calls GCC's atomic builtins. */
static int names_atomics(const char *text)
{
	return strstr(text, "<stdatomic.h>") != NULL || has_word(text, "_Atomic") || has_word(text, "__atomic_") ||
	       has_word(text, "__sync_");
}

/* Whether line S of its file calls an atomic operation. */
static int line_is_atomic(const struct tl_site *s)
{
	struct tl_excerpt x;
	return s->line > 0 && tl_source_excerpt(s->file, s->line, 0, &x) == 0 && x.count == 1 &&
	       names_atomic_op(x.text[0]);
}

/* Whether FILE's text holds NEEDLE (NULL: names atomics). */
static int file_has(const char *file, const char *needle)
{
	size_t len = 0;
	int trunc = 0;
	char *text = file[0] != '\0' ? tl_read_file(file, 1 << 20, &len, &trunc) : NULL;
	if (text == NULL)
		return 0;
	int yes = needle != NULL ? strstr(text, needle) != NULL : names_atomics(text);
	free(text);
	return yes;
}

static void where(struct evidence *ev, const struct tl_site *s)
{
	tl__errf(ev->what, sizeof ev->what, "%s:%d", s->file, s->line);
}

/* ---- the conditions of judge.def: each says whether its rule applies to F ---------------- */

/* The longest lock cycle threadcheck looks for (TC__MAX_CYCLE in harness/threadcheck/tc_order.c):
 * its silence says nothing of a longer one. */
#define THREADCHECK_MAX_CYCLE 8

/* The number of locks in the cycle F reports: Helgrind reports pairs; TSan names the cycle on a
 * "Cycle in lock order graph: M0 => M1 => M0" line, or only says it is too long. Returns a
 * number above any limit when it is not known. */
static int cycle_locks(const struct tl_finding *f)
{
	if (f->tool == TL_TOOL_HELGRIND)
		return 2;
	const char *p = f->detail != NULL ? strstr(f->detail, "Cycle in lock order graph:") : NULL;
	if (p == NULL)
		return 1 << 20;
	int n = 0;
	for (const char *e = strchr(p, '\n'); (p = strstr(p, "=>")) != NULL && (e == NULL || p < e); p += 2)
		n++;
	return n;
}

#define GATE_MAX 8

/* The locks named "lock(&X)" in TEXT's lines from the function around line LINE (from its
 * opening "{" at the start of a line) up to the line before LINE, less those unlocked since:
 * what the thread holds when it takes the lock at LINE, as the source reads. Fills HELD
 * (their X) and returns how many, or -1 when the function's start is not found. */
static int held_at(char *text, int line, char held[][64], int max)
{
	char *lines[1024];
	int n = 0;
	for (char *p = text; p != NULL && n < line && n < 1024; n++) {
		lines[n] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}
	int start = n < line ? -1 : line - 2;
	while (start >= 0 && lines[start][0] != '{')
		start--;
	if (start < 0)
		return -1;
	int k = 0;
	for (int i = start; i < line - 1; i++)
		for (const char *q = strstr(lines[i], "lock(&"); q != NULL; q = strstr(q + 6, "lock(&")) {
			const int unlock = q - lines[i] >= 2 && strncmp(q - 2, "un", 2) == 0;
			const char *e = strchr(q + 6, ')');
			if (e == NULL || e - (q + 6) >= 64)
				continue;
			char x[64];
			memcpy(x, q + 6, (size_t)(e - (q + 6)));
			x[e - (q + 6)] = '\0';
			int at = -1;
			for (int j = 0; j < k; j++)
				at = strcmp(held[j], x) == 0 ? j : at;
			if (unlock && at >= 0)
				memmove(held[at], held[at + 1], (size_t)(--k - at) * sizeof held[0]);
			else if (!unlock && at < 0 && k < max)
				tl_strlcpy(held[k++], x, sizeof held[0]);
		}
	return k;
}

/* The locks the source shows held at site S, into HELD (see held_at); -1 when unknown. */
static int held_at_site(const struct tl_site *s, char held[][64], int max)
{
	size_t len = 0;
	int trunc = 0;
	char *text = s->line > 0 && s->file[0] != '\0' ? tl_read_file(s->file, 1 << 20, &len, &trunc) : NULL;
	if (text == NULL)
		return -1;
	int k = held_at(text, s->line, held, max);
	free(text);
	return k;
}

/* Names in WHAT the gate of F's two acquisitions: a lock the source shows held at both (the
 * tools do not say which lock it is, and threadcheck's log does not either). */
static void name_gate(const struct tl_finding *f, struct evidence *ev)
{
	char a[GATE_MAX][64], b[GATE_MAX][64];
	int na = held_at_site(&f->site, a, GATE_MAX), nb = held_at_site(&f->other, b, GATE_MAX);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (strcmp(a[i], b[j]) == 0) {
				tl__errf(ev->what, sizeof ev->what,
					 "the gate lock %s, held at both takings (%s:%d and %s:%d), lets only one thread at "
					 "a time into them",
					 a[i], f->site.file, f->site.line, f->other.file, f->other.line);
				return;
			}
	tl__errf(ev->what, sizeof ev->what,
		 "a lock held at every taking of these locks (a gate) lets only one thread at a time into them");
}

static int cond_threadcheck_no_cycle(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (!finished(c, TL_TOOL_THREADCHECK) || reported(c, TL_TOOL_THREADCHECK, TL_KIND_LOCK_ORDER) ||
	    cycle_locks(f) > THREADCHECK_MAX_CYCLE)
		return 0;
	name_gate(f, ev);
	return 1;
}

static int cond_trylock(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (!finished(c, TL_TOOL_THREADCHECK) || reported(c, TL_TOOL_THREADCHECK, TL_KIND_LOCK_ORDER))
		return 0;
	const struct tl_site *sites[2] = {&f->site, &f->other};
	for (int i = 0; i < 2; i++) {
		struct tl_excerpt x;
		if (sites[i]->line > 0 && tl_source_excerpt(sites[i]->file, sites[i]->line, 0, &x) == 0 &&
		    x.count == 1 && strstr(x.text[0], "trylock") != NULL) {
			where(ev, sites[i]);
			return 1;
		}
	}
	return 0;
}

/* The slowdown of Helgrind over a native run at most (Valgrind's manual: 20 to 100 times). */
#define HELGRIND_SLOWDOWN 100

static int cond_helgrind_too_slow(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	(void)f;
	const struct tl_result *native = &c->t->result[TL_TOOL_THREADCHECK];
	if (!finished(c, TL_TOOL_THREADCHECK) || !finished(c, TL_TOOL_TSAN) || c->t->timeout_s <= 0)
		return 0;
	const double per_run = native->seconds / native->runs;
	const int limit = c->t->timeout_s * tl_tool(TL_TOOL_HELGRIND)->time_factor;
	if (per_run * HELGRIND_SLOWDOWN < limit)
		return 0; /* a native run that short fits Helgrind's limit: the hang is something else */
	tl__errf(ev->what, sizeof ev->what, "the native run (threadcheck's) took %.1f s and Helgrind's limit was %d s",
		 per_run, limit);
	return 1;
}

static int cond_atomic_access(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (!tsan_clean_here(c, f))
		return 0;
	const struct tl_site *s = line_is_atomic(&f->site) ? &f->site : line_is_atomic(&f->other) ? &f->other : NULL;
	if (s == NULL)
		return 0;
	where(ev, s);
	return 1;
}

static int cond_atomic_publish(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	const char *other = f->other.file[0] != '\0' ? f->other.file : f->site.file;
	/* An access that is itself atomic is helgrind-c11-atomic's. */
	if (line_is_atomic(&f->site) || line_is_atomic(&f->other))
		return 0;
	if (!tsan_clean_here(c, f) || !file_has(f->site.file, NULL) || !file_has(other, NULL))
		return 0;
	tl__errf(ev->what, sizeof ev->what, "%s", f->site.file);
	return 1;
}

/* The routine pthread_once ran in Helgrind's stacks (DETAIL, its XML): the frame just inside
 * glibc's pthread_once frame. Returns 1 with its name in OUT, or 0 when no stack passes
 * through pthread_once. */
static int once_routine(const char *detail, char *out, size_t len)
{
	const char *p = detail != NULL ? strstr(detail, "pthread_once") : NULL;
	if (p == NULL)
		return 0;
	/* Frames are innermost first: the last <fn> before P is pthread_once's own frame, and the
	 * one before it the routine's. */
	const char *fn = NULL, *once = NULL;
	for (const char *q = strstr(detail, "<fn>"); q != NULL && q < p; q = strstr(q + 1, "<fn>")) {
		fn = once;
		once = q + 4;
	}
	const char *end = fn != NULL ? strstr(fn, "</fn>") : NULL;
	if (end == NULL || end > p || (size_t)(end - fn) >= len) {
		tl_strlcpy(out, "its routine", len);
		return 1;
	}
	memcpy(out, fn, (size_t)(end - fn));
	out[end - fn] = '\0';
	return 1;
}

static int cond_once_routine(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	return tsan_clean_here(c, f) && once_routine(f->detail, ev->what, sizeof ev->what);
}

/* The non-blocking and timed joins of glibc, which Helgrind does not intercept (measured with
 * Valgrind 3.19: a thread joined by one of them is never joined for it). */
static const char *const unmodelled_joins[] = {"pthread_tryjoin_np", "pthread_timedjoin_np"};

static int cond_unmodelled_join(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (!tsan_clean_here(c, f))
		return 0;
	for (size_t i = 0; i < c->t->src.n; i++)
		for (size_t k = 0; k < sizeof unmodelled_joins / sizeof unmodelled_joins[0]; k++)
			if (file_has(c->t->src.v[i], unmodelled_joins[k])) {
				tl__errf(ev->what, sizeof ev->what, "%s (in %s)", unmodelled_joins[k], c->t->src.v[i]);
				return 1;
			}
	return 0;
}

static int cond_threadcheck_no_leak(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	(void)f;
	ev->what[0] = '\0';
	return finished(c, TL_TOOL_THREADCHECK) && !reported(c, TL_TOOL_THREADCHECK, TL_KIND_THREAD_LEAK);
}

static int cond_signal_unlocked(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	(void)c;
	if (strstr(f->message, "dubious: associated lock is not held") == NULL)
		return 0;
	where(ev, &f->site);
	return 1;
}

static int cond_cond_destroy(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (strstr(f->message, "destruction of condition variable being waited upon") == NULL ||
	    !finished(c, TL_TOOL_THREADCHECK) || reported(c, TL_TOOL_THREADCHECK, TL_KIND_THREAD_LEAK))
		return 0;
	where(ev, &f->site);
	return 1;
}

static int cond_robust_mutex(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	if (strstr(f->message, "mutex") == NULL && strstr(f->message, "lock") == NULL)
		return 0;
	for (size_t i = 0; i < c->t->src.n; i++)
		if (file_has(c->t->src.v[i], "pthread_mutex_consistent")) {
			tl__errf(ev->what, sizeof ev->what, "in %s", c->t->src.v[i]);
			return 1;
		}
	return 0;
}

/* The first bug of a kind in KINDS, or -1. */
static int first_bug(const struct court *c, tl_kindset kinds)
{
	for (int b = 0; b < c->j->nbug; b++)
		if (kinds & TL_KINDSET(c->j->bug[b].kind))
			return b;
	return -1;
}

/* The names of the tools in SET, joined by " and ", into BUF. */
static void tool_names(unsigned set, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int k = 0; k < TL_TOOL_COUNT; k++)
		if (set & (1u << order[k])) {
			size_t used = strlen(buf);
			tl__errf(buf + used, len - used, "%s%s", used ? " and " : "", tl_tool_name(order[k]));
		}
}

static int cond_deadlock_named(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	(void)f;
	ev->bug = first_bug(c, TL_KINDSET(TL_KIND_DEADLOCK));
	if (ev->bug < 0)
		return 0;
	tool_names(c->j->bug[ev->bug].seen_by, ev->what, sizeof ev->what);
	return 1;
}

/* Whether site S (line unknown: 0) is in the function and file of site W. */
static int same_function(const struct tl_site *s, const struct tl_site *w)
{
	return s->line == 0 && s->function[0] != '\0' && strcmp(s->function, w->function) == 0 &&
	       strcmp(s->file, w->file) == 0;
}

/* Whether the stuck thread of timeout F (its site or other) is at a line of race G, or in the
 * function of one of G's accesses whose line the tool did not know (TSan's "previous read"). */
static const struct tl_site *stuck_on(const struct tl_finding *f, const struct tl_finding *g)
{
	const struct tl_site *stuck[2] = {&f->site, &f->other};
	for (int i = 0; i < 2; i++)
		if (stuck[i]->line > 0 &&
		    (same_place(stuck[i], &g->site) || same_place(stuck[i], &g->other) ||
		     same_function(&g->site, stuck[i]) || same_function(&g->other, stuck[i])))
			return stuck[i];
	return NULL;
}

static int cond_spin_on_race(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		const struct tl_findings *l = &c->t->result[k].findings;
		for (size_t i = 0; i < l->n; i++) {
			int b = c->bug_of[k][i];
			const struct tl_site *s = b >= 0 && c->j->bug[b].kind == TL_KIND_RACE ? stuck_on(f, &l->v[i]) : NULL;
			if (s == NULL)
				continue;
			ev->bug = b;
			where(ev, s);
			return 1;
		}
	}
	return 0;
}

static int cond_concurrency_bug(const struct court *c, const struct tl_finding *f, struct evidence *ev)
{
	(void)f;
	ev->bug = first_bug(c, TL_KINDSET(TL_KIND_RACE) | TL_KINDSET(TL_KIND_DEADLOCK) |
				       TL_KINDSET(TL_KIND_LOCK_ORDER) | TL_KINDSET(TL_KIND_THREAD_LEAK) |
				       TL_KINDSET(TL_KIND_MISUSE));
	if (ev->bug < 0)
		return 0;
	tl__errf(ev->what, sizeof ev->what, "%s", tl_kind_name(c->j->bug[ev->bug].kind));
	return 1;
}

/* ---- the rules table -------------------------------------------------------------------- */

typedef int (*cond_fn)(const struct court *c, const struct tl_finding *f, struct evidence *ev);

struct rule {
	const char *name;
	enum tl_kind kind;
	unsigned tools;
	cond_fn cond;
	enum tl_decision decision;
	const char *reason;
};

static const struct rule rules[TL_RULE_COUNT] = {
#define X(e, name, kind, tools, cond, decision, reason) \
	[TL_RULE_##e] = {name, TL_KIND_##kind, tools, cond, TL_##decision, reason},
#include "judge.def"
#undef X
};

const char *tl_rule_name(enum tl_rule r)
{
	TL_ASSERT((unsigned)r < TL_RULE_COUNT);
	return rules[r].name;
}

const char *tl_confidence_name(enum tl_confidence c)
{
	switch (c) {
	case TL_CONF_LOW:
		return "low";
	case TL_CONF_MEDIUM:
		return "medium";
	case TL_CONF_HIGH:
		return "high";
	}
	return "?";
}

const struct tl_finding *tl_judge_ref(const struct tl_target *t, struct tl_ref r)
{
	TL_ASSERT((unsigned)r.tool < TL_TOOL_COUNT && r.index >= 0 &&
		  (size_t)r.index < t->result[r.tool].findings.n);
	return &t->result[r.tool].findings.v[r.index];
}

/* Whether rule R looks at reports of F's kind from TOOL. */
static int looks_at(const struct rule *r, enum tl_tool tool, const struct tl_finding *f)
{
	return r->kind == f->kind && (r->tools & (1u << tool)) != 0;
}

/* Writes R's reason with WHAT in place of its "%s" into OUT. */
static void reason(const struct rule *r, const char *what, char *out, size_t len)
{
	const char *p = strstr(r->reason, "%s");
	if (p == NULL) {
		tl_strlcpy(out, r->reason, len);
		return;
	}
	tl__errf(out, len, "%.*s%s%s", (int)(p - r->reason), r->reason, what, p + 2);
}

/* ---- judging ---------------------------------------------------------------------------- */

/* Sets the report REF aside under rule R (with WHAT for its reason), into bug BUG (merge) or
 * none (-1: dismissed). */
static void set_aside(struct court *c, struct tl_ref ref, enum tl_rule r, const char *what, int bug)
{
	struct tl_judgement *j = c->j;
	if (j->naside == j->capaside) {
		j->capaside = j->capaside ? 2 * j->capaside : 8;
		j->aside = realloc(j->aside, (size_t)j->capaside * sizeof *j->aside);
		TL_ASSERT(j->aside != NULL);
	}
	struct tl_aside *a = &j->aside[j->naside++];
	memset(a, 0, sizeof *a);
	a->ref = ref;
	a->rule = r;
	a->decision = rules[r].decision;
	a->bug = bug;
	reason(&rules[r], what, a->reason, sizeof a->reason);
	c->bug_of[ref.tool][ref.index] = ASIDE;
	if (rules[r].decision == TL_DISMISS)
		c->t->result[ref.tool].findings.v[ref.index].dismissed = rules[r].name;
}

/* Tries the rules of DECISION on the report REF in table order. Returns 1 when one applied
 * (the report is then set aside), else 0. */
static int try_rules(struct court *c, struct tl_ref ref, enum tl_decision decision)
{
	const struct tl_finding *f = tl_judge_ref(c->t, ref);
	for (int r = 0; r < TL_RULE_COUNT; r++) {
		if (rules[r].decision != decision || !looks_at(&rules[r], ref.tool, f))
			continue;
		struct evidence ev = {.what = "", .bug = -1};
		if (!rules[r].cond(c, f, &ev))
			continue;
		set_aside(c, ref, (enum tl_rule)r, ev.what, decision == TL_MERGE ? ev.bug : -1);
		return 1;
	}
	return 0;
}

/* Whether some MERGE rule looks at F from TOOL (such reports are judged once the bugs that
 * other reports name are known). */
static int mergeable(enum tl_tool tool, const struct tl_finding *f)
{
	for (int r = 0; r < TL_RULE_COUNT; r++)
		if (rules[r].decision == TL_MERGE && looks_at(&rules[r], tool, f))
			return 1;
	return 0;
}

/* Kinds whose reports carry no comparable place: one bug of each per program. */
static const tl_kindset one_per_program = TL_KINDSET(TL_KIND_LOCK_ORDER) | TL_KINDSET(TL_KIND_DEADLOCK) |
					  TL_KINDSET(TL_KIND_TIMEOUT) | TL_KINDSET(TL_KIND_CRASH) |
					  TL_KINDSET(TL_KIND_BUILD_ERROR) | TL_KINDSET(TL_KIND_INTERFERENCE);

/* The bug that F is part of among the bugs found so far, or -1: one of its kind that names a
 * line of F, or any of its kind when F names no line (Helgrind's "exiting thread still holds
 * a lock" has no site) or its kind has no comparable place. */
static int find_bug(const struct court *c, const struct tl_finding *f)
{
	const int placeless = f->site.line == 0 && f->other.line == 0;
	for (int b = 0; b < c->j->nbug; b++) {
		if (c->j->bug[b].kind != f->kind)
			continue;
		if (placeless || (one_per_program & TL_KINDSET(f->kind)))
			return b;
		for (int k = 0; k < TL_TOOL_COUNT; k++)
			for (size_t i = 0; i < c->t->result[k].findings.n; i++)
				if (c->bug_of[k][i] == b && share_line(f, &c->t->result[k].findings.v[i]))
					return b;
	}
	return -1;
}

/* Files the kept report REF under its bug, found or new. */
static void file_report(struct court *c, struct tl_ref ref)
{
	const struct tl_finding *f = tl_judge_ref(c->t, ref);
	struct tl_judgement *j = c->j;
	int b = find_bug(c, f);
	if (b < 0) {
		if (j->nbug == j->capbug) {
			j->capbug = j->capbug ? 2 * j->capbug : 8;
			j->bug = realloc(j->bug, (size_t)j->capbug * sizeof *j->bug);
			TL_ASSERT(j->bug != NULL);
		}
		b = j->nbug++;
		memset(&j->bug[b], 0, sizeof j->bug[b]);
		j->bug[b].first = ref;
		j->bug[b].kind = f->kind;
	}
	j->bug[b].seen_by |= 1u << ref.tool;
	c->bug_of[ref.tool][ref.index] = b;
}

/* Judges every report still UNSEEN: in the MERGE pass only those a MERGE rule looks at, after
 * trying those rules; in the first pass the others. */
static void pass(struct court *c, int merge_pass)
{
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		enum tl_tool tool = order[k];
		const struct tl_findings *l = &c->t->result[tool].findings;
		for (size_t i = 0; i < l->n; i++) {
			struct tl_ref ref = {tool, (int)i};
			if (c->bug_of[tool][i] != UNSEEN || mergeable(tool, &l->v[i]) != merge_pass)
				continue;
			if (!(merge_pass && try_rules(c, ref, TL_MERGE)))
				file_report(c, ref);
		}
	}
}

/* The kinds TOOL can see well enough that its silence, after a run to the end, counts as
 * evidence against a report of them. Misuse is left out: each tool checks different calls. */
static tl_kindset sees(enum tl_tool tool)
{
	switch (tool) {
	case TL_TOOL_TSAN:
	case TL_TOOL_HELGRIND:
		return TL_KINDSET(TL_KIND_RACE) | TL_KINDSET(TL_KIND_LOCK_ORDER);
	case TL_TOOL_THREADCHECK:
		return TL_KINDSET(TL_KIND_THREAD_LEAK) | TL_KINDSET(TL_KIND_LOCK_ORDER);
	case TL_TOOL_TEST:
	case TL_TOOL_COUNT:
		return 0;
	}
	return 0;
}

/* Kinds that one tool alone decides (no other sees them): its word is enough. */
static const tl_kindset decided_alone = TL_KINDSET(TL_KIND_DEADLOCK) | TL_KINDSET(TL_KIND_THREAD_LEAK) |
					TL_KINDSET(TL_KIND_TEST_FAIL) | TL_KINDSET(TL_KIND_BUILD_ERROR) |
					TL_KINDSET(TL_KIND_CRASH) | TL_KINDSET(TL_KIND_INTERFERENCE);

/* Sets B's clean_by, confidence and, when tools disagree, its note. */
static void weigh(const struct court *c, struct tl_bug *b)
{
	for (int k = 0; k < TL_TOOL_COUNT; k++)
		if ((sees((enum tl_tool)k) & TL_KINDSET(b->kind)) && !(b->seen_by & (1u << k)) &&
		    finished(c, (enum tl_tool)k))
			b->clean_by |= 1u << k;
	int seen = __builtin_popcount(b->seen_by);
	b->confidence = seen >= 2 ? TL_CONF_HIGH
			: b->clean_by != 0 ? TL_CONF_LOW
			: (decided_alone & TL_KINDSET(b->kind)) ? TL_CONF_HIGH
								: TL_CONF_MEDIUM;
	if (b->clean_by == 0 || seen >= 2)
		return;
	char saw[64], clean[64];
	tool_names(b->seen_by, saw, sizeof saw);
	tool_names(b->clean_by, clean, sizeof clean);
	tl__errf(b->note, sizeof b->note, "the tools disagree: %s: %s; %s: clean (no rule explains the difference)",
		 saw, tl_kind_name(b->kind), clean);
}

void tl_judgement_free(struct tl_judgement *j)
{
	free(j->bug);
	free(j->aside);
	memset(j, 0, sizeof *j);
}

void tl_judge_target(struct tl_target *t)
{
	struct court c = {.t = t, .j = &t->judged};
	tl_judgement_free(c.j);
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		struct tl_findings *l = &t->result[k].findings;
		c.bug_of[k] = malloc((l->n + 1) * sizeof *c.bug_of[k]);
		TL_ASSERT(c.bug_of[k] != NULL);
		for (size_t i = 0; i < l->n; i++) {
			c.bug_of[k][i] = UNSEEN;
			l->v[i].dismissed = NULL;
		}
	}
	/* Known false reports first, so that they found no bug; then the bugs; then the reports
	 * that are part of a bug another report names. */
	for (int k = 0; k < TL_TOOL_COUNT; k++)
		for (size_t i = 0; i < t->result[order[k]].findings.n; i++)
			try_rules(&c, (struct tl_ref){order[k], (int)i}, TL_DISMISS);
	pass(&c, 0);
	pass(&c, 1);
	for (int b = 0; b < c.j->nbug; b++) {
		weigh(&c, &c.j->bug[b]);
		c.j->kinds |= TL_KINDSET(c.j->bug[b].kind);
	}
	for (int k = 0; k < TL_TOOL_COUNT; k++) {
		struct tl_result *r = &t->result[k];
		r->kept = 0;
		for (size_t i = 0; i < r->findings.n; i++)
			if (r->findings.v[i].dismissed == NULL)
				r->kept |= TL_KINDSET(r->findings.v[i].kind);
		free(c.bug_of[k]);
	}
	c.j->done = 1;
}

/* parse_threadcheck.c: turns threadcheck's machine log (format 1, harness/threadcheck/FORMAT.md) into findings, one per BEGIN...END record. */
#include "threadlab.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 8

/* What a record says about one thread. Index 0 of a record also takes the lines that come
 * before its first `thread` line. */
struct tc_thread {
	char label[64];
	struct tl_site start, created, wait, holds, acquired, call;
	int has_start, has_created, has_wait, has_holds, has_acquired, has_call;
};

struct tc_record {
	char raw[64];
	char message[256];
	struct tc_thread t[MAX_THREADS];
	int nthreads;        /* number of `thread` lines seen (the extra ones are not kept) */
	const char *begin;
};

static void copy_span(char *dst, size_t dstlen, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, b, n);
	dst[n] = '\0';
}

/* If L starts with the word KEY followed by a space (or is exactly KEY), returns what follows
 * the space (or L's end); else NULL. */
static const char *keyword(const struct tl__line *l, const char *key)
{
	size_t n = strlen(key);
	if ((size_t)(l->e - l->b) < n || memcmp(l->b, key, n) != 0)
		return NULL;
	if (l->b + n == l->e)
		return l->e;
	return l->b[n] == ' ' ? l->b + n + 1 : NULL;
}

/* Reads one space-separated word at *P (advancing past it and one space). Returns 0, or -1
 * when there is no word. */
static int word(const char **p, const char *e, const char **wb, const char **we)
{
	const char *q = *p;
	if (q >= e || *q == ' ')
		return -1;
	*wb = q;
	while (q < e && *q != ' ')
		q++;
	*we = q;
	*p = q < e ? q + 1 : q;
	return 0;
}

/* Parses "<function> <file>:<line>" at [p, e); the file is the rest of the line and may hold
 * spaces; "?" and "?:0" mean unknown. Returns 0, or -1 when it is malformed. */
static int parse_location(const char *p, const char *e, struct tl_site *site)
{
	const char *fb, *fe;

	memset(site, 0, sizeof(*site));
	if (word(&p, e, &fb, &fe) < 0 || p >= e)
		return -1;
	if (!(fe - fb == 1 && *fb == '?'))
		copy_span(site->function, sizeof(site->function), fb, fe);
	const char *colon = NULL;
	for (const char *q = e; q > p; q--)
		if (q[-1] == ':') {
			colon = q - 1;
			break;
		}
	if (colon == NULL || colon == p || colon + 1 == e)
		return -1;
	int line = 0;
	for (const char *q = colon + 1; q < e; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		if (line < 100000000)
			line = line * 10 + (*q - '0');
	}
	if (!(colon - p == 1 && *p == '?'))
		copy_span(site->file, sizeof(site->file), p, colon);
	site->line = line;
	return 0;
}

static int known_wait_op(const char *b, const char *e)
{
	static const char *const ops[] = {"mutex", "cond", "join", "rwlock-rd", "rwlock-wr", "sem", "barrier"};
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (strlen(ops[k]) == (size_t)(e - b) && memcmp(ops[k], b, (size_t)(e - b)) == 0)
			return 1;
	return 0;
}

/* The record lines that give a site of the current thread: KEY, then WORDS words (the first a
 * wait operation when WAIT_OP), then "<function> <file>:<line>". The first such line of a
 * thread wins, or with KEEP_LAST the last. SITE and HAS locate the site in struct tc_thread. */
static const struct site_line {
	const char *key;
	int words;
	int wait_op;
	int keep_last;
	size_t site, has;
} site_lines[] = {
	{"start", 0, 0, 0, offsetof(struct tc_thread, start), offsetof(struct tc_thread, has_start)},
	{"created", 0, 0, 0, offsetof(struct tc_thread, created), offsetof(struct tc_thread, has_created)},
	/* What the thread waits for: the operation, its object, where. */
	{"wait", 2, 1, 0, offsetof(struct tc_thread, wait), offsetof(struct tc_thread, has_wait)},
	/* Why the last one: the lock taken most recently is the one the order is about. */
	{"holds", 1, 0, 1, offsetof(struct tc_thread, holds), offsetof(struct tc_thread, has_holds)},
	/* A lock-order edge: the lock taken while the thread's `holds` lock was held. */
	{"acquired", 1, 0, 0, offsetof(struct tc_thread, acquired), offsetof(struct tc_thread, has_acquired)},
	/* A misuse: the pthread call, its object, where it was made. */
	{"call", 2, 0, 0, offsetof(struct tc_thread, call), offsetof(struct tc_thread, has_call)},
};

/* Reads the rest [P, E) of a site line D into T (unless the thread's lines are DROPPED: then
 * it is only checked). Returns 0, or -1 when it is malformed. */
static int read_site_line(struct tc_thread *t, int dropped, const struct site_line *d, const char *p, const char *e)
{
	const char *wb, *we;
	struct tl_site site;
	for (int k = 0; k < d->words; k++)
		if (word(&p, e, &wb, &we) < 0 || (k == 0 && d->wait_op && !known_wait_op(wb, we)))
			return -1;
	if (parse_location(p, e, &site) < 0)
		return -1;
	int *has = (int *)((char *)t + d->has);
	if (!dropped && (d->keep_last || !*has)) {
		*(struct tl_site *)((char *)t + d->site) = site;
		*has = 1;
	}
	return 0;
}

/* Reads one line inside a record. Returns 0, or -1 with ERR for a line FORMAT.md does not
 * allow there. */
static int record_line(struct tc_record *r, const struct tl__line *l, char *err, size_t errlen)
{
	int dropped = r->nthreads > MAX_THREADS; /* lines of threads beyond MAX_THREADS are read, not kept */
	struct tc_thread *t = &r->t[r->nthreads > 0 && !dropped ? r->nthreads - 1 : 0];
	const char *p, *wb, *we;

	if (l->b == l->e)
		return 0;
	if ((p = keyword(l, "thread")) != NULL) {
		if (word(&p, l->e, &wb, &we) < 0) {
			tl__errf(err, errlen, "line %u: `thread` without a label", l->no);
			return -1;
		}
		r->nthreads++;
		if (r->nthreads <= MAX_THREADS)
			copy_span(r->t[r->nthreads - 1].label, sizeof(r->t[0].label), wb, we);
		return 0;
	}
	if ((p = keyword(l, "message")) != NULL) {
		if (r->message[0] == '\0')
			copy_span(r->message, sizeof(r->message), p, l->e);
		return 0;
	}
	for (size_t i = 0; i < sizeof(site_lines) / sizeof(site_lines[0]); i++) {
		if ((p = keyword(l, site_lines[i].key)) == NULL)
			continue;
		if (read_site_line(t, dropped, &site_lines[i], p, l->e) == 0)
			return 0;
		tl__errf(err, errlen, "line %u: malformed \"%.*s\"", l->no, (int)(l->e - l->b), l->b);
		return -1;
	}
	tl__errf(err, errlen, "line %u: unknown record line \"%.*s\"", l->no, (int)(l->e - l->b), l->b);
	return -1;
}

/* The most telling place of thread T: where it waits, else the misused call, else the lock
 * it took against the order, else the lock it took last, else its start function, else
 * where it was created. NULL when the record gave none. */
static const struct tl_site *best_site(const struct tc_thread *t)
{
	if (t->has_wait)
		return &t->wait;
	if (t->has_call)
		return &t->call;
	if (t->has_acquired)
		return &t->acquired;
	if (t->has_holds)
		return &t->holds;
	if (t->has_start)
		return &t->start;
	if (t->has_created)
		return &t->created;
	return NULL;
}

static void record_finding(const struct tc_record *r, const char *end, struct tl_finding *f)
{
	const struct tc_thread *t0 = &r->t[0];
	const struct tc_thread *t1 = r->nthreads >= 2 ? &r->t[1] : NULL;
	const struct tl_site *s;

	memset(f, 0, sizeof(*f));
	f->tool = TL_TOOL_THREADCHECK;
	tl_strlcpy(f->raw, r->raw, sizeof(f->raw));
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_THREADCHECK, f->raw);
	if ((s = best_site(t0)) != NULL)
		f->site = *s;
	tl_strlcpy(f->thread, t0->label, sizeof(f->thread));
	if (f->kind == TL_KIND_THREAD_LEAK) {
		if (t0->has_created)
			f->other = t0->created;
	} else if (t1 != NULL) {
		if ((s = best_site(t1)) != NULL)
			f->other = *s;
		tl_strlcpy(f->other_thread, t1->label, sizeof(f->other_thread));
	} else if (t0->has_wait && t0->has_holds) {
		/* One thread: what it waits for against the lock it holds (a lock-order record). */
		f->other = t0->holds;
	}
	if (r->message[0])
		tl_strlcpy(f->message, r->message, sizeof(f->message));
	else if (t0->label[0])
		snprintf(f->message, sizeof(f->message), "%s in thread %.60s", f->raw, t0->label);
	else
		tl_strlcpy(f->message, f->raw, sizeof(f->message));
	TL_ASSERT(r->begin != NULL && end >= r->begin);
	size_t n = (size_t)(end - r->begin);
	f->detail = malloc(n + 1);
	TL_ASSERT(f->detail != NULL);
	memcpy(f->detail, r->begin, n);
	f->detail[n] = '\0';
}

/* Reads a decimal number at *P (before E), advancing past it. Returns 0, or -1 when there is
 * no digit or it is too large. */
static int number(const char **p, const char *e, long *out)
{
	const char *q = *p;
	long v = 0;

	if (q >= e || *q < '0' || *q > '9')
		return -1;
	for (; q < e && *q >= '0' && *q <= '9'; q++) {
		if (v > 100000000)
			return -1;
		v = v * 10 + (*q - '0');
	}
	*p = q;
	*out = v;
	return 0;
}

/* Whether L is a header "threadcheck <version> pid=<pid>"; *VERSION gets the version. */
static int header(const struct tl__line *l, long *version)
{
	const char *p = keyword(l, "threadcheck");

	if (p == NULL || number(&p, l->e, version) < 0)
		return 0;
	return l->e - p > 5 && memcmp(p, " pid=", 5) == 0;
}

/* Whether L starts a log: 1 for a "threadcheck 1 pid=N" header, 0 for any other line, -1 with
 * ERR for a header of another format version. */
static int log_start(const struct tl__line *l, char *err, size_t errlen)
{
	long version;

	if (!header(l, &version))
		return 0;
	if (version != 1) {
		tl__errf(err, errlen, "line %u: threadcheck log format %ld, expected 1", l->no, version);
		return -1;
	}
	return 1;
}

/* Whether L's rest P is "<n> findings"; *N gets n. */
static int summary_count(const char *p, const char *e, long *n)
{
	static const char tail[] = " findings";

	if (number(&p, e, n) < 0)
		return 0;
	return (size_t)(e - p) == sizeof(tail) - 1 && memcmp(p, tail, sizeof(tail) - 1) == 0;
}

/* The reading of a threadcheck log: where it stands, and what it has found so far. */
struct tc_parse {
	enum { OUTSIDE, IN_LOG, IN_RECORD, AFTER_SUMMARY } state;
	struct tc_record rec;        /* set at each BEGIN; zeroed so no path reads garbage */
	struct tl_findings local;
	size_t in_log;               /* complete records of the current log */
	unsigned record_line_no;     /* where the current record began */
	int cut, dropped;            /* logs without a summary, records without an END */
};

/* A line before any log, or after a log's summary: it must start a log. */
static int outside_line(struct tc_parse *ps, const struct tl__line *l, char *err, size_t errlen)
{
	int starts = log_start(l, err, errlen);
	if (starts < 0)
		return -1;
	if (starts == 0) {
		tl__errf(err, errlen, "line %u: not a threadcheck log (expected \"threadcheck 1 pid=N\")", l->no);
		return -1;
	}
	ps->state = IN_LOG;
	ps->in_log = 0;
	return 0;
}

/* A line of a log between records: BEGIN, the summary, or (after a log cut short) the next
 * process's header. */
static int log_line(struct tc_parse *ps, const struct tl__line *l, char *err, size_t errlen)
{
	const char *p;
	int starts;
	long n;
	if ((p = keyword(l, "BEGIN")) != NULL) {
		if (p == l->e || *p == ' ') {
			tl__errf(err, errlen, "line %u: BEGIN without a kind", l->no);
			return -1;
		}
		memset(&ps->rec, 0, sizeof(ps->rec));
		copy_span(ps->rec.raw, sizeof(ps->rec.raw), p, l->e);
		ps->rec.begin = l->b;
		ps->record_line_no = l->no;
		ps->state = IN_RECORD;
	} else if ((p = keyword(l, "summary")) != NULL) {
		if (!summary_count(p, l->e, &n)) {
			tl__errf(err, errlen, "line %u: malformed summary line", l->no);
			return -1;
		}
		if ((size_t)n != ps->in_log) {
			tl__errf(err, errlen, "line %u: summary says %ld findings, the log has %zu", l->no, n, ps->in_log);
			return -1;
		}
		ps->state = AFTER_SUMMARY;
	} else if ((starts = log_start(l, err, errlen)) != 0) {
		/* The next process's log after one cut short (no summary): the cut log keeps what
		 * it had, and the new one is read like the first. */
		if (starts < 0)
			return -1;
		ps->cut++;
		ps->in_log = 0;
	} else {
		tl__errf(err, errlen, "line %u: expected BEGIN or summary, got \"%.*s\"", l->no, (int)(l->e - l->b), l->b);
		return -1;
	}
	return 0;
}

/* A line inside a record: END, a record line, or (after a log cut inside a record) the next
 * process's header. */
static int in_record_line(struct tc_parse *ps, const struct tl__line *l, char *err, size_t errlen)
{
	int starts;
	if (l->e - l->b == 3 && memcmp(l->b, "END", 3) == 0) {
		struct tl_finding f;
		record_finding(&ps->rec, l->e, &f);
		tl_findings_add(&ps->local, &f);
		ps->in_log++;
		ps->state = IN_LOG;
	} else if (keyword(l, "BEGIN") != NULL) {
		tl__errf(err, errlen, "line %u: BEGIN inside the record of line %u", l->no, ps->record_line_no);
		return -1;
	} else if ((starts = log_start(l, err, errlen)) != 0) {
		/* A log cut inside a record, then the next process's log: the unfinished record
		 * is dropped. */
		if (starts < 0)
			return -1;
		ps->cut++;
		ps->dropped++;
		ps->in_log = 0;
		ps->state = IN_LOG;
	} else if (!l->unterminated && record_line(&ps->rec, l, err, errlen) < 0) {
		/* Why an unterminated line is ignored: threadcheck writes whole lines, so a last
		 * line without its newline was cut mid-way; the record has no END and is dropped. */
		return -1;
	}
	return 0;
}

/* Parses a threadcheck log: "threadcheck 1 pid=N", records BEGIN <raw-kind> ... END, and a
 * closing "summary <n> findings" whose count must match. Several logs may be concatenated
 * (one header each, one per process). A log cut short (a record without END, or no summary),
 * at the end or followed by the next log, keeps its complete records, returns 0, and leaves a
 * note in ERR (ERR is "" otherwise). Returns -1 with ERR and OUT unchanged for text that is not
 * such a log, another format version, a line the format does not allow where it stands, or a
 * wrong summary count. Blank text is a clean run. */
int tl_parse_threadcheck(const char *text, size_t len, struct tl_findings *out, char *err, size_t errlen)
{
	static struct tc_parse zero;
	struct tc_parse ps = zero;
	struct tl__line l = {0};
	size_t pos = 0;

	tl__errf(err, errlen, "%s", "");
	TL_ASSERT(out != NULL && (text != NULL || len == 0));
	while (tl__next_line(text, len, &pos, &l)) {
		if (ps.state != IN_RECORD && l.b == l.e)
			continue;
		int rc = ps.state == IN_RECORD ? in_record_line(&ps, &l, err, errlen)
			 : ps.state == IN_LOG  ? log_line(&ps, &l, err, errlen)
					       : outside_line(&ps, &l, err, errlen);
		if (rc != 0) {
			tl_findings_free(&ps.local);
			return -1;
		}
	}
	size_t kept = ps.local.n;
	tl__findings_move(out, &ps.local);
	if (ps.state == IN_RECORD)
		ps.dropped++;
	if (ps.state == IN_RECORD || ps.state == IN_LOG)
		ps.cut++;
	if (ps.cut > 0)
		tl__errf(err, errlen, "threadcheck log cut short (%d log(s) without a summary; was a process "
			 "killed?); kept %zu complete records%s", ps.cut, kept,
			 ps.dropped > 0 ? ", dropped the unfinished ones" : "");
	return 0;
}

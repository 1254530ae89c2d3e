/* parse_threadcheck.c: turns threadcheck's machine log (format 1, harness/threadcheck/FORMAT.md) into findings, one per BEGIN...END record. */
#include "threadlab.h"

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

/* Reads one line inside a record. Returns 0, or -1 with ERR for a line FORMAT.md does not
 * allow there. */
static int record_line(struct tc_record *r, const struct tl__line *l, char *err, size_t errlen)
{
	int dropped = r->nthreads > MAX_THREADS; /* lines of threads beyond MAX_THREADS are read, not kept */
	struct tc_thread *t = &r->t[r->nthreads > 0 && !dropped ? r->nthreads - 1 : 0];
	const char *p, *wb, *we;
	struct tl_site site;

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
	if ((p = keyword(l, "start")) != NULL || (p = keyword(l, "created")) != NULL) {
		int is_start = l->b[0] == 's';
		if (parse_location(p, l->e, &site) < 0)
			goto bad;
		if (dropped)
			return 0;
		if (is_start && !t->has_start) {
			t->start = site;
			t->has_start = 1;
		} else if (!is_start && !t->has_created) {
			t->created = site;
			t->has_created = 1;
		}
		return 0;
	}
	if ((p = keyword(l, "wait")) != NULL) {
		const char *ab, *ae;
		if (word(&p, l->e, &wb, &we) < 0 || !known_wait_op(wb, we) || word(&p, l->e, &ab, &ae) < 0 ||
		    parse_location(p, l->e, &site) < 0)
			goto bad;
		if (!dropped && !t->has_wait) {
			t->wait = site;
			t->has_wait = 1;
		}
		return 0;
	}
	if ((p = keyword(l, "holds")) != NULL) {
		if (word(&p, l->e, &wb, &we) < 0 || parse_location(p, l->e, &site) < 0)
			goto bad;
		/* Why the last one: the lock taken most recently is the one the order is about. */
		if (!dropped) {
			t->holds = site;
			t->has_holds = 1;
		}
		return 0;
	}
	if ((p = keyword(l, "acquired")) != NULL) {
		/* A lock-order edge: the lock taken while the thread's `holds` lock was held. */
		if (word(&p, l->e, &wb, &we) < 0 || parse_location(p, l->e, &site) < 0)
			goto bad;
		if (!dropped && !t->has_acquired) {
			t->acquired = site;
			t->has_acquired = 1;
		}
		return 0;
	}
	if ((p = keyword(l, "call")) != NULL) {
		/* A misuse: the pthread call, its object, where it was made. */
		const char *ab, *ae;
		if (word(&p, l->e, &wb, &we) < 0 || word(&p, l->e, &ab, &ae) < 0 ||
		    parse_location(p, l->e, &site) < 0)
			goto bad;
		if (!dropped && !t->has_call) {
			t->call = site;
			t->has_call = 1;
		}
		return 0;
	}
	tl__errf(err, errlen, "line %u: unknown record line \"%.*s\"", l->no, (int)(l->e - l->b), l->b);
	return -1;
bad:
	tl__errf(err, errlen, "line %u: malformed \"%.*s\"", l->no, (int)(l->e - l->b), l->b);
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

/* Parses a threadcheck log: "threadcheck 1 pid=N", records BEGIN <raw-kind> ... END, and a
 * closing "summary <n> findings" whose count must match. Several logs may be concatenated
 * (one header each, one per process). A log cut short (a record without END, or no summary),
 * at the end or followed by the next log, keeps its complete records, returns 0, and leaves a
 * note in ERR (ERR is "" otherwise). Returns -1 with ERR and OUT unchanged for text that is not
 * such a log, another format version, a line the format does not allow where it stands, or a
 * wrong summary count. Blank text is a clean run. */
int tl_parse_threadcheck(const char *text, size_t len, struct tl_findings *out, char *err, size_t errlen)
{
	struct tl_findings local = {0};
	struct tc_record rec = {0}; /* set at each BEGIN; zeroed so no path reads garbage */
	struct tl__line l = {0};
	size_t pos = 0, in_log = 0;
	enum { OUTSIDE, IN_LOG, IN_RECORD, AFTER_SUMMARY } state = OUTSIDE;
	unsigned record_line_no = 0;
	int starts;               /* what log_start said of the line */
	int cut = 0, dropped = 0; /* logs without a summary, records without an END */

	tl__errf(err, errlen, "%s", "");
	TL_ASSERT(out != NULL && (text != NULL || len == 0));
	while (tl__next_line(text, len, &pos, &l)) {
		const char *p;
		if (state != IN_RECORD && l.b == l.e)
			continue;
		switch (state) {
		case OUTSIDE:
		case AFTER_SUMMARY:
			if ((starts = log_start(&l, err, errlen)) < 0)
				goto fail;
			if (starts == 0) {
				tl__errf(err, errlen, "line %u: not a threadcheck log (expected \"threadcheck 1 pid=N\")",
					 l.no);
				goto fail;
			}
			state = IN_LOG;
			in_log = 0;
			break;
		case IN_LOG:
			if ((p = keyword(&l, "BEGIN")) != NULL) {
				if (p == l.e || *p == ' ') {
					tl__errf(err, errlen, "line %u: BEGIN without a kind", l.no);
					goto fail;
				}
				memset(&rec, 0, sizeof(rec));
				copy_span(rec.raw, sizeof(rec.raw), p, l.e);
				rec.begin = l.b;
				record_line_no = l.no;
				state = IN_RECORD;
			} else if ((p = keyword(&l, "summary")) != NULL) {
				long n;
				if (!summary_count(p, l.e, &n)) {
					tl__errf(err, errlen, "line %u: malformed summary line", l.no);
					goto fail;
				}
				if ((size_t)n != in_log) {
					tl__errf(err, errlen, "line %u: summary says %ld findings, the log has %zu",
						 l.no, n, in_log);
					goto fail;
				}
				state = AFTER_SUMMARY;
			} else if ((starts = log_start(&l, err, errlen)) != 0) {
				/* The next process's log after one cut short (no summary): the cut log
				 * keeps what it had, and the new one is read like the first. */
				if (starts < 0)
					goto fail;
				cut++;
				in_log = 0;
			} else {
				tl__errf(err, errlen, "line %u: expected BEGIN or summary, got \"%.*s\"", l.no,
					 (int)(l.e - l.b), l.b);
				goto fail;
			}
			break;
		case IN_RECORD:
			if (l.e - l.b == 3 && memcmp(l.b, "END", 3) == 0) {
				struct tl_finding f;
				record_finding(&rec, l.e, &f);
				tl_findings_add(&local, &f);
				in_log++;
				state = IN_LOG;
			} else if (keyword(&l, "BEGIN") != NULL) {
				tl__errf(err, errlen, "line %u: BEGIN inside the record of line %u", l.no,
					 record_line_no);
				goto fail;
			} else if ((starts = log_start(&l, err, errlen)) != 0) {
				/* A log cut inside a record, then the next process's log: the
				 * unfinished record is dropped. */
				if (starts < 0)
					goto fail;
				cut++;
				dropped++;
				in_log = 0;
				state = IN_LOG;
			} else if (l.unterminated) {
				/* Why ignore it: threadcheck writes whole lines, so a last line without
				 * its newline was cut mid-way; the record has no END and is dropped. */
				break;
			} else if (record_line(&rec, &l, err, errlen) < 0) {
				goto fail;
			}
			break;
		}
	}
	size_t kept = local.n;
	tl__findings_move(out, &local);
	if (state == IN_RECORD)
		dropped++;
	if (state == IN_RECORD || state == IN_LOG)
		cut++;
	if (cut > 0)
		tl__errf(err, errlen, "threadcheck log cut short (%d log(s) without a summary; was a process "
			 "killed?); kept %zu complete records%s", cut, kept,
			 dropped > 0 ? ", dropped the unfinished ones" : "");
	return 0;
fail:
	tl_findings_free(&local);
	return -1;
}

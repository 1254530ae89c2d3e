/* parse_tsan.c: turns the text ThreadSanitizer writes to its log_path= file into findings, one per report block, deadly signal, or lock-order cycle too long to report. */
#include "threadlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNER "=================="
#define WARNING_PREFIX "WARNING: ThreadSanitizer: "
#define SUMMARY_PREFIX "SUMMARY: ThreadSanitizer: "
#define ERROR_PREFIX "ERROR: ThreadSanitizer: "
/* What the deadlock detector of sanitizer_common (DD::ReportDeadlock) prints instead of a
 * report when a lock-order cycle is longer than its path buffer (more than 20 locks in
 * clang 14): one line, without the tool's name, a pid or a site. */
#define LONG_CYCLE_LINE "WARNING: too long mutex cycle found"
#define LOCK_ORDER_RAW "lock-order-inversion (potential deadlock)"

/* Where the frames being read go: each section of a report fills one slot. */
enum section {
	SEC_NONE,      /* frames here are not used (sleep, heap block, extra stacks) */
	SEC_STACK,     /* the report's own stack (misuse, signal reports) */
	SEC_MOP0,      /* the first memory access of a race */
	SEC_MOP1,      /* the previous, conflicting access */
	SEC_ACQ0,      /* lock-order: first "acquired here while holding" */
	SEC_ACQ1,      /* lock-order: second one */
	SEC_MUTEX,     /* "Mutex M0 (...) created at:" */
	SEC_THREAD,    /* "Thread T1 (...) created by ... at:" (the first one) */
};

/* A slot: the first user frame seen in its section, and its thread label. */
struct slot {
	struct tl_site site;
	int seen;             /* the section header was read */
	int have_site;
	char thread[64];
	char creator[64];     /* SEC_THREAD only */
};

/* What one report block has told so far. */
struct block {
	char raw[64];
	struct slot slot[SEC_THREAD + 1];
	char location[256];
	char summary[256];
	int nacqs;
	const char *begin;
};

static int starts_with(const struct tl__line *l, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(l->e - l->b) >= n && memcmp(l->b, lit, n) == 0;
}

static int ends_with(const char *b, const char *e, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(e - b) >= n && memcmp(e - n, lit, n) == 0;
}

/* Finds the last occurrence of LIT in [b, e), or NULL. */
static const char *find_last(const char *b, const char *e, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(e - b) < n)
		return NULL;
	for (const char *p = e - n;; p--) {
		if (memcmp(p, lit, n) == 0)
			return p;
		if (p == b)
			return NULL;
	}
}

static const char *find_first(const char *b, const char *e, const char *lit)
{
	size_t n = strlen(lit);
	for (const char *p = b; (size_t)(e - p) >= n; p++)
		if (memcmp(p, lit, n) == 0)
			return p;
	return NULL;
}

/* Copies [b, e) into DST (cut to fit, always terminated). */
static void copy_span(char *dst, size_t dstlen, const char *b, const char *e)
{
	size_t n = (size_t)(e - b);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, b, n);
	dst[n] = '\0';
}

static const char *skip_spaces(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* L without its leading blanks. */
static struct tl__line trimmed(const struct tl__line *l)
{
	struct tl__line h = *l;
	h.b = skip_spaces(l->b, l->e);
	return h;
}

/* The decimal number [b, e) (all digits, as all_digits checked), capped so it cannot overflow.
 * Why not atoi: the text is not NUL-terminated. */
static int span_int(const char *b, const char *e)
{
	int v = 0;
	for (; b < e && v < 100000000; b++)
		v = v * 10 + (*b - '0');
	return v;
}

static int all_digits(const char *b, const char *e)
{
	if (b == e)
		return 0;
	for (; b < e; b++)
		if (*b < '0' || *b > '9')
			return 0;
	return 1;
}

/* The end of a frame's text [P, E): without the trailing "(BuildId: ...)" and "(module+0xoff)". */
static const char *frame_end(const char *p, const char *e)
{
	if (ends_with(p, e, ")")) {
		const char *bid = find_last(p, e, " (BuildId: ");
		if (bid != NULL)
			e = bid;
	}
	if (ends_with(p, e, ")")) {
		const char *mod = find_last(p, e, " (");
		if (mod != NULL && (find_first(mod, e, "+0x") != NULL || (e - mod > 4 && mod[2] == '0' && mod[3] == 'x')))
			e = mod;
	}
	return e;
}

/* The end of the function name that starts a frame's text [P, E): the first space outside ()
 * and <>, with a C++ method's qualifiers, which belong to the function, not to the file. */
static const char *function_end(const char *p, const char *e)
{
	const char *q = p;
	int depth = 0;
	for (; q < e; q++) {
		if (*q == '(' || *q == '<')
			depth++;
		else if ((*q == ')' || *q == '>') && depth > 0)
			depth--;
		else if (*q == ' ' && depth == 0)
			break;
	}
	if (q == e && depth != 0) {
		/* Unbalanced (say, "operator<"): fall back to the first space. */
		q = memchr(p, ' ', (size_t)(e - p));
		if (q == NULL)
			q = e;
	}
	for (;;) {
		static const char *const quals[] = {" const", " volatile", " &&", " &"};
		size_t k, n = 0;
		for (k = 0; k < sizeof(quals) / sizeof(quals[0]); k++) {
			n = strlen(quals[k]);
			if ((size_t)(e - q) > n && memcmp(q, quals[k], n) == 0 && q[n] == ' ')
				break;
		}
		if (k == sizeof(quals) / sizeof(quals[0]))
			return q;
		q += n;
	}
}

/* Reads a frame's location [FB, FE): "file:line:col", "file:line" or "file". */
static void frame_location(const char *fb, const char *fe, char *file, size_t filelen, int *line)
{
	for (int k = 0; k < 2; k++) {
		const char *colon = find_last(fb, fe, ":");
		if (colon == NULL || !all_digits(colon + 1, fe))
			break;
		const char *prev = find_last(fb, colon, ":");
		if (k == 0 && prev != NULL && all_digits(prev + 1, colon)) {
			fe = colon; /* drop the column, then read the line */
			continue;
		}
		*line = span_int(colon + 1, fe);
		fe = colon;
		break;
	}
	copy_span(file, filelen, fb, fe);
}

/* Splits a frame line "#N func file:line:col (module+0xoff) (BuildId: ...)" into function,
 * file and line. FUNC and FILE are "" for "<null>"; LINE is 0 when absent. Returns 0, or -1
 * when the line is not a frame. Why the care: paths may hold spaces and C++ names hold spaces
 * inside <> and (), so the function ends at the first space outside brackets, and the location
 * is everything after it up to the module in parentheses. */
static int parse_frame(const struct tl__line *l, char *func, size_t funclen, char *file, size_t filelen,
		       int *line)
{
	const char *p = skip_spaces(l->b, l->e), *e = l->e;

	func[0] = file[0] = '\0';
	*line = 0;
	if (p == e || *p != '#')
		return -1;
	const char *d = ++p;
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	if (p == d || p == e || *p != ' ')
		return -1;
	p = skip_spaces(p, e);
	while (e > p && e[-1] == ' ')
		e--;
	e = frame_end(p, e);
	if (p == e)
		return -1;
	const char *q = function_end(p, e);
	if (!(q - p == 6 && memcmp(p, "<null>", 6) == 0))
		copy_span(func, funclen, p, q);
	const char *fb = skip_spaces(q, e);
	if (fb == e || (e - fb == 6 && memcmp(fb, "<null>", 6) == 0))
		return 0;
	frame_location(fb, e, file, filelen, line);
	return 0;
}

/* Reads the thread named after MARK ("by ", "in ") in the header: "main thread" gives "main",
 * "thread T7" gives "T7". DST is "" when there is none. */
static void thread_after(const struct tl__line *l, const char *mark, char *dst, size_t dstlen)
{
	const char *p = find_last(l->b, l->e, mark);

	dst[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(mark);
	struct tl__line rest = {.b = p, .e = l->e, .no = 0};
	if (starts_with(&rest, "main thread")) {
		tl_strlcpy(dst, "main", dstlen);
	} else if (starts_with(&rest, "thread T")) {
		const char *b = p + 7, *q = b + 1;
		while (q < l->e && *q >= '0' && *q <= '9')
			q++;
		copy_span(dst, dstlen, b, q);
	}
}

/* Whether the trimmed header H announces a memory access of a race ("Write of size 4 at",
 * "Previous atomic read of size 8 at", "Modifying access of ... at"), and whether it is the
 * previous one. */
static int mop_header(const struct tl__line *h, int *previous)
{
	static const char *const first[] = {"Write of size ", "Read of size ", "Atomic write of size ",
					    "Atomic read of size ", "Modifying access of ",
					    "Read-only access of "};
	static const char *const prev[] = {"Previous write of size ", "Previous read of size ",
					   "Previous atomic write of size ",
					   "Previous atomic read of size ",
					   "Previous modifying access of ",
					   "Previous read-only access of "};
	for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++) {
		if (starts_with(h, first[k])) {
			*previous = 0;
			return 1;
		}
		if (starts_with(h, prev[k])) {
			*previous = 1;
			return 1;
		}
	}
	return 0;
}

/* Shortens a "Location is ..." line for a one-line message: drops addresses ("at 0x..."), the
 * module in parentheses and a trailing ':'. */
static void clean_location(const struct tl__line *h, char *dst, size_t dstlen)
{
	const char *b = h->b, *e = h->e;
	size_t o = 0;

	const char *mod = find_last(b, e, " (");
	if (mod != NULL && find_first(mod, e, "+0x") != NULL)
		e = mod;
	while (e > b && (e[-1] == ':' || e[-1] == ' ' || e[-1] == '.'))
		e--;
	for (const char *p = b; p < e && o + 1 < dstlen;) {
		struct tl__line rest = {.b = p, .e = e, .no = 0};
		if (starts_with(&rest, " at 0x")) {
			p += 4;
			while (p < e && *p != ' ')
				p++;
			continue;
		}
		dst[o++] = *p++;
	}
	dst[o] = '\0';
}

/* Builds the finding of a finished block B, whose text is [B->begin, END). */
static void block_finding(const struct block *b, const char *end, struct tl_finding *f)
{
	const struct slot *site = NULL, *other = NULL;

	memset(f, 0, sizeof(*f));
	f->tool = TL_TOOL_TSAN;
	tl_strlcpy(f->raw, b->raw, sizeof(f->raw));
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_TSAN, f->raw);
	if (b->slot[SEC_MOP0].seen || b->slot[SEC_MOP1].seen) {
		site = &b->slot[SEC_MOP0];
		other = &b->slot[SEC_MOP1];
	} else if (b->slot[SEC_ACQ0].seen) {
		site = &b->slot[SEC_ACQ0];
		other = &b->slot[SEC_ACQ1];
	} else if (b->slot[SEC_STACK].seen) {
		site = &b->slot[SEC_STACK];
		other = &b->slot[SEC_MUTEX];
	} else if (b->slot[SEC_THREAD].seen) {
		/* A thread leak has only the creation stack: it is both where to look and, as the
		 * header asks of leaks, `other`. */
		site = other = &b->slot[SEC_THREAD];
	}
	if (site != NULL) {
		f->site = site->site;
		tl_strlcpy(f->thread, site->thread, sizeof(f->thread));
	}
	if (other != NULL) {
		f->other = other->site;
		tl_strlcpy(f->other_thread, other == site ? site->creator : other->thread,
			   sizeof(f->other_thread));
	}
	const char *head = b->summary[0] ? b->summary : b->raw;
	size_t n = strlen(head);
	tl_strlcpy(f->message, head, sizeof(f->message));
	if (b->location[0] && n + 2 < sizeof(f->message)) {
		tl_strlcpy(f->message + n, "; ", sizeof(f->message) - n);
		tl_strlcpy(f->message + n + 2, b->location, sizeof(f->message) - n - 2);
	}
	size_t len = (size_t)(end - b->begin);
	f->detail = malloc(len + 1);
	TL_ASSERT(f->detail != NULL);
	memcpy(f->detail, b->begin, len);
	f->detail[len] = '\0';
}

/* A frame line "#N ..." in section SEC: the section's first frame in the user's code becomes
 * its site. */
static void frame_line(struct block *b, const struct tl__line *l, enum section sec)
{
	char func[128], file[256];
	int line;
	struct slot *s = &b->slot[sec];
	if (sec == SEC_STACK)
		s->seen = 1; /* why here: only a stack right after the header makes the slot */
	if (sec == SEC_NONE || s->have_site || parse_frame(l, func, sizeof(func), file, sizeof(file), &line) < 0)
		return;
	if (tl_frame_is_runtime(file, func))
		return;
	tl_strlcpy(s->site.file, file, sizeof(s->site.file));
	tl_strlcpy(s->site.function, func, sizeof(s->site.function));
	s->site.line = line;
	s->have_site = 1;
}

/* "Thread T1 (tid=..., running) created by main thread at:": the first one opens SEC_THREAD. */
static void thread_header(struct block *b, const struct tl__line *h, enum section *sec)
{
	struct slot *s = &b->slot[SEC_THREAD];
	*sec = s->seen ? SEC_NONE : SEC_THREAD;
	if (s->seen)
		return;
	const char *q = h->b + 7, *t = q + 1;
	while (t < h->e && *t >= '0' && *t <= '9')
		t++;
	copy_span(s->thread, sizeof(s->thread), q, t);
	thread_after(h, " created by ", s->creator, sizeof(s->creator));
	s->seen = 1;
}

/* Opens section S at a header line H if it is not taken yet (else SEC_NONE), with the thread
 * named after MARK in H (MARK NULL: none). */
static void open_section(struct block *b, const struct tl__line *h, enum section s, const char *mark,
			 enum section *sec)
{
	*sec = b->slot[s].seen ? SEC_NONE : s;
	if (*sec == SEC_NONE)
		return;
	b->slot[s].seen = 1;
	if (mark != NULL)
		thread_after(h, mark, b->slot[s].thread, sizeof(b->slot[s].thread));
}

/* Whether H (a line of a block, blanks trimmed) heads a section, which then opens in *SEC. */
static int section_header(struct block *b, const struct tl__line *h, enum section *sec)
{
	int previous;
	if (mop_header(h, &previous)) {
		/* TSan prints the current access, then the "Previous" one it conflicts with; a
		 * report with more accesses (external races) keeps the first of each. */
		open_section(b, h, previous ? SEC_MOP1 : SEC_MOP0, " by ", sec);
		return 1;
	}
	if (starts_with(h, "Mutex ") && find_first(h->b, h->e, " acquired here while holding ") != NULL) {
		int k = b->nacqs++;
		*sec = k == 0 ? SEC_ACQ0 : k == 1 ? SEC_ACQ1 : SEC_NONE;
		if (*sec != SEC_NONE) {
			b->slot[*sec].seen = 1;
			thread_after(h, " in ", b->slot[*sec].thread, sizeof(b->slot[*sec].thread));
		}
		return 1;
	}
	if (starts_with(h, "Mutex ") && ends_with(h->b, h->e, " created at:")) {
		open_section(b, h, SEC_MUTEX, NULL, sec);
		return 1;
	}
	if (starts_with(h, "Thread T") && find_first(h->b, h->e, " created by ") != NULL) {
		thread_header(b, h, sec);
		return 1;
	}
	if (starts_with(h, "Location is ")) {
		if (b->location[0] == '\0')
			clean_location(h, b->location, sizeof(b->location));
		*sec = SEC_NONE; /* a heap block's allocation stack is not a site */
		return 1;
	}
	if (starts_with(h, "Signal ") && ends_with(h->b, h->e, " handler invoked at:")) {
		open_section(b, h, SEC_STACK, NULL, sec);
		return 1;
	}
	return 0;
}

/* Reads one line of a report block. */
static void block_line(struct block *b, const struct tl__line *l, enum section *sec)
{
	struct tl__line h = trimmed(l);

	if (h.b == h.e)
		return;
	if (*h.b == '#') {
		frame_line(b, l, *sec);
		return;
	}
	if (starts_with(&h, SUMMARY_PREFIX)) {
		copy_span(b->summary, sizeof(b->summary), h.b + strlen(SUMMARY_PREFIX), h.e);
		*sec = SEC_NONE;
		return;
	}
	if (section_header(b, &h, sec))
		return;
	if (starts_with(&h, "and:") || starts_with(&h, "Hint:") || starts_with(&h, "[failed to restore"))
		return;
	/* Any other line ("As if synchronized via sleep:", "Mutex M0 previously acquired by the
	 * same thread here:", "Cycle in lock order graph", a future addition) ends the section. */
	*sec = SEC_NONE;
}

/* Parses the deadly-signal report that starts at L ("==PID==ERROR: ThreadSanitizer: SEGV on
 * unknown address ..."), reading lines up to "==PID==ABORTING" or the end. */
static void crash_finding(const char *text, size_t len, size_t *pos, struct tl__line *l, struct tl_finding *f)
{
	const char *begin = l->b, *end = l->e;
	const char *p = find_first(l->b, l->e, ERROR_PREFIX) + strlen(ERROR_PREFIX);
	const char *cut = find_first(p, l->e, " on unknown address");
	struct slot s;

	memset(f, 0, sizeof(*f));
	memset(&s, 0, sizeof(s));
	f->tool = TL_TOOL_TSAN;
	if (cut != NULL) {
		copy_span(f->raw, sizeof(f->raw), p, cut + strlen(" on unknown address"));
	} else {
		cut = find_first(p, l->e, " on address");
		copy_span(f->raw, sizeof(f->raw), p, cut ? cut : l->e);
	}
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_TSAN, f->raw);
	copy_span(f->message, sizeof(f->message), p, l->e);
	size_t save = *pos;
	struct tl__line save_l = *l;
	while (tl__next_line(text, len, pos, l)) {
		struct tl__line h = trimmed(l);
		const char *marker = find_first(l->b, l->e, "==");
		end = l->e;
		if (h.b < h.e && *h.b == '#' && !s.have_site) {
			char func[128], file[256];
			int line;
			if (parse_frame(l, func, sizeof(func), file, sizeof(file), &line) == 0 &&
			    !tl_frame_is_runtime(file, func)) {
				tl_strlcpy(s.site.file, file, sizeof(s.site.file));
				tl_strlcpy(s.site.function, func, sizeof(s.site.function));
				s.site.line = line;
				s.have_site = 1;
			}
		} else if (starts_with(&h, SUMMARY_PREFIX)) {
			copy_span(f->message, sizeof(f->message), h.b + strlen(SUMMARY_PREFIX), h.e);
		} else if (marker == l->b && find_first(l->b, l->e, "==ABORTING") != NULL) {
			break;
		} else if (starts_with(&h, "WARNING: ThreadSanitizer: ") || starts_with(&h, BANNER) ||
			   find_first(l->b, l->e, ERROR_PREFIX) != NULL) {
			/* Why step back: another report starts; it is not part of this one. */
			*pos = save;
			*l = save_l;
			end = save_l.e;
			break;
		}
		save = *pos;
		save_l = *l;
	}
	f->site = s.site;
	size_t n = (size_t)(end - begin);
	f->detail = malloc(n + 1);
	TL_ASSERT(f->detail != NULL);
	memcpy(f->detail, begin, n);
	f->detail[n] = '\0';
}

/* Whether L is LONG_CYCLE_LINE (spaces around it allowed). */
static int long_cycle_line(const struct tl__line *l)
{
	struct tl__line h = trimmed(l);

	return starts_with(&h, LONG_CYCLE_LINE) && skip_spaces(h.b + strlen(LONG_CYCLE_LINE), h.e) == h.e;
}

/* The one finding for the N lines LONG_CYCLE_LINE in a log (the detector prints one each time a
 * lock closes such a cycle, always the same words): a lock-order inversion with no site. Its raw
 * name is the one TSan gives a lock-order report, so that the classifier's row for it applies. */
static void long_cycle_finding(unsigned n, struct tl_finding *f)
{
	static const char detail[] = LONG_CYCLE_LINE "\n";

	memset(f, 0, sizeof(*f));
	f->tool = TL_TOOL_TSAN;
	tl_strlcpy(f->raw, LOCK_ORDER_RAW, sizeof(f->raw));
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_TSAN, f->raw);
	snprintf(f->message, sizeof(f->message),
		 LOCK_ORDER_RAW ": a cycle through more than 20 locks, too long for ThreadSanitizer to "
		 "name its locks or sites (\"too long mutex cycle found\", %u time%s)",
		 n, n == 1 ? "" : "s");
	f->detail = malloc(sizeof(detail));
	TL_ASSERT(f->detail != NULL);
	memcpy(f->detail, detail, sizeof(detail));
}

/* Whether L says ThreadSanitizer itself failed (it could not run, so no verdict is possible). */
static int tool_failure(const struct tl__line *l)
{
	return find_first(l->b, l->e, "FATAL: ThreadSanitizer") != NULL ||
	       find_first(l->b, l->e, "ThreadSanitizer: CHECK failed") != NULL ||
	       find_first(l->b, l->e, "ThreadSanitizer: failed to") != NULL;
}

/* The reading of a ThreadSanitizer log: the report block being read, and what was found. */
struct tsan_parse {
	struct tl_findings local;
	struct block b;
	int in_block, saw_tsan, saw_text;
	unsigned long_cycles;
	const char *banner; /* the banner line just before a WARNING line, if any */
	enum section sec;
	unsigned cut_line;  /* where a block was cut short, or 0 */
};

/* A line inside a block: the closing banner (the block gives its finding) or a line of the
 * block. Returns 1 when the line was taken so, 0 when it is a new WARNING (the block was cut:
 * the line starts the next one). */
static int block_continues(struct tsan_parse *ps, const struct tl__line *l)
{
	if (starts_with(l, BANNER)) {
		struct tl_finding f;
		block_finding(&ps->b, l->e, &f);
		tl_findings_add(&ps->local, &f);
		ps->in_block = 0;
		ps->banner = NULL;
		return 1;
	}
	if (!starts_with(l, WARNING_PREFIX)) {
		block_line(&ps->b, l, &ps->sec);
		return 1;
	}
	ps->cut_line = l->no;
	ps->in_block = 0;
	return 0;
}

/* A "WARNING: ThreadSanitizer: <raw> (pid=N)" line L: a block begins. Returns 0, or -1 with
 * ERR when the line is malformed. */
static int block_begins(struct tsan_parse *ps, const struct tl__line *l, char *err, size_t errlen)
{
	const char *p = l->b + strlen(WARNING_PREFIX);
	const char *pid = find_last(p, l->e, " (pid=");
	if (pid == NULL || pid == p || !ends_with(pid, l->e, ")")) {
		tl__errf(err, errlen, "line %u: malformed ThreadSanitizer WARNING line", l->no);
		return -1;
	}
	memset(&ps->b, 0, sizeof(ps->b));
	copy_span(ps->b.raw, sizeof(ps->b.raw), p, pid);
	ps->b.begin = ps->banner ? ps->banner : l->b;
	ps->sec = SEC_STACK; /* frames right after the header are the report's own stack */
	ps->in_block = 1;
	ps->banner = NULL;
	return 0;
}

/* Reads line L of TEXT (LEN bytes; a crash report reads on from *POS). Returns 0, or -1 with
 * ERR when the text cannot be read. */
static int tsan_line(struct tsan_parse *ps, const char *text, size_t len, size_t *pos, struct tl__line *l,
		     char *err, size_t errlen)
{
	struct tl__line h = trimmed(l);
	if (h.b != h.e)
		ps->saw_text = 1;
	if (find_first(l->b, l->e, "ThreadSanitizer") != NULL)
		ps->saw_tsan = 1;
	if (tool_failure(l)) {
		tl__errf(err, errlen, "line %u: ThreadSanitizer failed: %.*s", l->no, (int)(l->e - l->b), l->b);
		return -1;
	}
	if (long_cycle_line(l)) {
		/* Why before the block: another thread's report may be printing meanwhile, and this
		 * line is no part of it. */
		ps->saw_tsan = 1;
		ps->long_cycles++;
		return 0;
	}
	if (ps->in_block && block_continues(ps, l))
		return 0;
	if (starts_with(l, BANNER)) {
		ps->banner = l->b;
		return 0;
	}
	if (starts_with(l, WARNING_PREFIX))
		return block_begins(ps, l, err, errlen);
	ps->banner = NULL;
	if (find_first(l->b, l->e, ERROR_PREFIX) != NULL) {
		struct tl_finding f;
		crash_finding(text, len, pos, l, &f);
		tl_findings_add(&ps->local, &f);
	}
	return 0;
}

/* Parses ThreadSanitizer's log text. Each "WARNING: ThreadSanitizer: <raw> (pid=N)" block,
 * from its banner line to the closing one, gives one finding; each deadly-signal report
 * ("ERROR: ThreadSanitizer: SEGV on unknown address ...") gives a crash; the lines
 * LONG_CYCLE_LINE, wherever they are, give one lock-order finding, last. Other lines between
 * them are ignored. A block the text ends inside (the run was killed while TSan wrote) is dropped and
 * noted in ERR, and 0 is returned; ERR is "" otherwise. Returns -1 with ERR, OUT unchanged,
 * when a WARNING line is malformed, when TSan reports it failed itself (FATAL, CHECK failed),
 * or when non-blank text holds no ThreadSanitizer output at all. Blank text is a clean run. */
int tl_parse_tsan(const char *text, size_t len, struct tl_findings *out, char *err, size_t errlen)
{
	static struct tsan_parse zero;
	struct tsan_parse ps = zero;
	struct tl__line l = {0};
	size_t pos = 0;

	tl__errf(err, errlen, "%s", "");
	TL_ASSERT(out != NULL && (text != NULL || len == 0));
	while (tl__next_line(text, len, &pos, &l))
		if (tsan_line(&ps, text, len, &pos, &l, err, errlen) != 0)
			goto fail;
	if (ps.in_block)
		ps.cut_line = l.no;
	if (ps.saw_text && !ps.saw_tsan) {
		tl__errf(err, errlen, "no ThreadSanitizer output in the text");
		goto fail;
	}
	if (ps.long_cycles > 0) {
		struct tl_finding f;
		long_cycle_finding(ps.long_cycles, &f);
		tl_findings_add(&ps.local, &f);
	}
	size_t kept = ps.local.n;
	tl__findings_move(out, &ps.local);
	if (ps.cut_line != 0)
		tl__errf(err, errlen, "ThreadSanitizer report cut short at line %u (was the run killed?); "
			 "kept %zu complete reports", ps.cut_line, kept);
	return 0;
fail:
	tl_findings_free(&ps.local);
	return -1;
}

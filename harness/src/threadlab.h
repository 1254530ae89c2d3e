/* threadlab.h: the plain structs that threadlab's stages pass to each other, and the stage APIs. */
#ifndef THREADLAB_H
#define THREADLAB_H

#include <stddef.h>
#include <stdio.h>

/* Closed sets, expanded from the .def tables. No switch over them has a default. */
enum tl_kind {
#define X(e, name, meaning) TL_KIND_##e,
#include "kinds.def"
#undef X
	TL_KIND_COUNT
};

enum tl_tool {
#define X(e, name, build, tests_build, time_factor, channel, hooks) TL_TOOL_##e,
#include "tools.def"
#undef X
	TL_TOOL_COUNT
};

/* A bit set over enum tl_kind; 0 means clean. */
typedef unsigned tl_kindset;
#define TL_KINDSET(k) (1u << (unsigned)(k))

/* Libuv-style assertion that is never compiled out: prints file:line and the expression, aborts. */
#define TL_ASSERT(expr)                                                                     \
	do {                                                                                \
		if (!(expr))                                                                \
			tl_assert_fail(__FILE__, __LINE__, #expr);                         \
	} while (0)
_Noreturn void tl_assert_fail(const char *file, int line, const char *expr);

const char *tl_kind_name(enum tl_kind k);
const char *tl_kind_meaning(enum tl_kind k);
const char *tl_tool_name(enum tl_tool t);
/* Looks NAME up in the closed table. Returns the enum value, or -1 when NAME is not in it. */
int tl_kind_from_name(const char *name);
int tl_tool_from_name(const char *name);
/* Writes the sorted kind names of SET, space-separated, or "clean" when empty. Returns BUF. */
char *tl_kindset_str(tl_kindset set, char *buf, size_t len);

/* A source location. line 0 and file "" mean unknown. */
struct tl_site {
	char file[256];
	int line;
	char function[128];
};

/* One finding of one tool. Races carry both accesses (site = this access, other = the
 * conflicting one); lock-order carries the two acquisitions; thread leaks carry where the
 * thread was created in `other`. */
struct tl_finding {
	enum tl_tool tool;
	enum tl_kind kind;
	char raw[64];          /* the tool's own name for the report, e.g. "data race", "LockOrder" */
	struct tl_site site;
	struct tl_site other;
	char thread[64];       /* the thread at `site`, e.g. "T2", "#3", "helper_main" */
	char other_thread[64];
	char message[256];     /* one line, no newline */
	char *detail;          /* the tool's full original report text (malloc'd), or NULL */
	const char *dismissed; /* judge: the name of the rule that set this report aside as a known
				* false report of its tool, or NULL (kept) */
};

/* A growable list of findings. Zero-initialise before use; free with tl_findings_free. */
struct tl_findings {
	struct tl_finding *v;
	size_t n, cap;
};

/* Appends a copy of F (taking ownership of F->detail). Aborts on allocation failure. */
struct tl_finding *tl_findings_add(struct tl_findings *list, const struct tl_finding *f);
void tl_findings_free(struct tl_findings *list);
/* The set of kinds in LIST. */
tl_kindset tl_findings_kinds(const struct tl_findings *list);

/* Copies at most dstlen-1 bytes and always terminates (dstlen > 0). */
void tl_strlcpy(char *dst, const char *src, size_t dstlen);

/* Parsers: each reads the text of one tool's machine channel and appends findings with
 * tool, raw, sites, threads and message filled and kind set by tl_classify. They return 0,
 * or -1 with a message in ERR when the text is not the tool's format (nothing is appended
 * for the block that failed). An empty text is a clean run. */
int tl_parse_tsan(const char *text, size_t len, struct tl_findings *out, char *err, size_t errlen);
int tl_parse_helgrind(const char *xml, size_t len, struct tl_findings *out, char *err, size_t errlen);
int tl_parse_threadcheck(const char *text, size_t len, struct tl_findings *out, char *err,
			 size_t errlen);
/* cmocka's XML output (CMOCKA_MESSAGE_OUTPUT=xml): one test-fail finding per failed test. */
int tl_parse_cmocka(const char *xml, size_t len, struct tl_findings *out, char *err, size_t errlen);
/* The number of complete test cases in cmocka's XML (the grader's canary test not counted);
 * 0 for text that is not XML. */
int tl_cmocka_count_cases(const char *xml, size_t len);

/* Reads gdb's "thread apply all bt" output of a hung run: for each thread (at most MAX), the
 * innermost frame in the user's code (runtime frames skipped, see tl_frame_is_runtime) into
 * SITES and gdb's thread label into THREADS. Threads with no such frame are left out. Returns
 * the number filled (0 for text that is not gdb's). */
int tl_parse_gdb_stacks(const char *text, struct tl_site *sites, char (*threads)[64], int max);

/* Classify: maps a tool's raw report name to a kind. Returns the kind, or -1 when the
 * table has no entry for RAW (the caller then reports it as misuse and says so). */
int tl_classify(enum tl_tool tool, const char *raw);

/* Frames from the C library, the sanitizer runtimes, Valgrind and threadcheck are not the
 * user's code; this says whether a frame's file/object should be skipped when picking the
 * site of a finding. */
int tl_frame_is_runtime(const char *file, const char *fn);

/* Reads the whole file at PATH into a malloc'd NUL-terminated buffer, at most MAX bytes
 * (the rest is dropped and *truncated set). Returns NULL with errno set on failure. */
char *tl_read_file(const char *path, size_t max, size_t *len, int *truncated);

/* Helpers shared by the parsers (util.c, finding.c). */
/* Formats a message into ERR, cut to fit (ERRLEN may be 0, then nothing is written). */
void tl__errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Moves every finding of FROM to the end of TO (details change owner) and empties FROM. */
void tl__findings_move(struct tl_findings *to, struct tl_findings *from);
/* Removes (and frees) every finding of LIST for which DROP(F, CTX) is true, keeping the
 * order of the others. Returns how many were removed. */
size_t tl__findings_drop(struct tl_findings *list, int (*drop)(const struct tl_finding *f, const void *ctx),
			 const void *ctx);
/* Whether C is XML's white space (space, tab, newline, carriage return). */
int tl__is_space(char c);
/* Whether TEXT (LEN bytes) is empty or white space only. */
int tl__is_blank(const char *text, size_t len);
/* Whether S (may be NULL: no) starts with PREFIX. */
int tl__has_prefix(const char *s, const char *prefix);
/* One line of a text: [b, e) without its newline or a carriage return before it; NO counts the
 * lines read (1 for the first); UNTERMINATED: the text ends without a newline after it. */
struct tl__line {
	const char *b, *e;
	unsigned no;
	int unterminated;
};
/* Reads the line of TEXT (LEN bytes) that starts at *POS into L and moves *POS past it.
 * Returns 1, or 0 at the end of the text. */
int tl__next_line(const char *text, size_t len, size_t *pos, struct tl__line *l);

#endif

/* tc_report.h: a finding described as plain data (struct tc__rep), its two printers (the
 * FORMAT.md record and the readable block on stderr), the one log writer, and who owns the
 * process's end. Detectors describe; only this file prints. */
#ifndef TC_REPORT_H
#define TC_REPORT_H

#include "tc_symbolize.h"
#include "tc_util.h"

#include <stddef.h>
#include <sys/types.h>

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* The lines of a thread block after its header, as FORMAT.md names them. */
#define TC__REP_LINES(X)                                                                    \
	X(HOLDS, "holds")                                                                   \
	X(ACQUIRED, "acquired")                                                             \
	X(WAIT, "wait")                                                                     \
	X(CALL, "call")

enum tc__rep_line_kind {
#define X(e, word) TC__LINE_##e,
	TC__REP_LINES(X)
#undef X
};

/* One line: "holds OBJ AT", "acquired OBJ AT", "wait OP OBJ AT", "call OP OBJ AT". */
struct tc__rep_line {
	enum tc__rep_line_kind kind;
	const char *op;             /* the wait op or the pthread call; NULL for the others */
	const void *obj;
	const struct tc__sym *at;
};

/* One thread block: "thread TLABEL tid=TID name=NAME", then "start" and "created" when START
 * is not NULL, then its lines. */
struct tc__rep_thread {
	int label;
	pid_t tid;
	const char *name;
	const struct tc__sym *start, *created;
	int nline;
	const struct tc__rep_line *line;
};

/* One finding. The record is KIND's BEGIN line, the thread blocks and MESSAGE; the readable
 * block is TITLE's WARNING line, MESSAGE, DETAIL (the detector's own lines, each starting
 * with two spaces) and a SUMMARY line naming SUMMARY_KIND at SUMMARY_AT. */
struct tc__rep {
	const char *kind;
	int nthread;
	const struct tc__rep_thread *thread;
	const char *message;
	const char *title;
	const char *detail;
	const char *summary_kind;
	const struct tc__sym *summary_at;
};

/* Formats REP's FORMAT.md record into B. */
void tc__rep_record(struct tc__buf *b, const struct tc__rep *rep);
/* Formats REP's readable block into B, between the two banner lines. */
void tc__rep_human(struct tc__buf *b, const struct tc__rep *rep);

/* The one log writer: the header line, the records of REPS[0..n) in that order, and the
 * summary line that counts them, to FD. */
void tc__log_write(int fd, const struct tc__rep *const *reps, size_t n);

/* Helpers for DETAIL. "    #0 FUNCTION FILE:LINE" for AT: */
void tc__rep_frame(struct tc__buf *b, const struct tc__sym *at);
/* lockdep's "possible unsafe scenario" table: the head with one column per thread label,
 * then one cell per row (TEXT in column COL), the legend of the objects, the end. */
void tc__scenario_head(struct tc__buf *b, const int *labels, int n);
void tc__scenario_cell(struct tc__buf *b, int col, const char *text);
void tc__scenario_legend(struct tc__buf *b, char letter, const char *what, const void *obj);
void tc__scenario_end(struct tc__buf *b);

/* Who reports the process's end: nobody yet, the exit handler, or a deadlock report.
 * Whoever claims it first owns the end; the other gives way. */
enum tc__reporter { TC__REPORT_NONE, TC__REPORT_EXIT, TC__REPORT_DEADLOCK };
/* Makes WHO the process's reporter. Returns 0, or -1 when another report is under way (its
 * owner is then stored in *OWNER when OWNER is not NULL). */
int tc__report_claim(enum tc__reporter who, enum tc__reporter *owner);
/* The process's reporter so far (TC__REPORT_NONE while nobody claimed the end). */
enum tc__reporter tc__report_owner(void);

#pragma GCC visibility pop

#endif

/* tc_report.c: the printers of a report (FORMAT.md record, readable block), the one log
 * writer, the scenario table both deadlock reports draw, and the claim on the process's end
 * (tc_report.h). */
#include "tc_report.h"

#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

/* The scenario table's column width. */
#define TC__COL 24

static _Atomic int tc__reporter = TC__REPORT_NONE;
/* The log writer's text, one record at a time: only the process's reporter writes. */
static char tc__logtext[32768];

static const char *tc__line_word(enum tc__rep_line_kind kind)
{
	switch (kind) {
#define X(e, word)                                                                          \
	case TC__LINE_##e:                                                                  \
		return word;
		TC__REP_LINES(X)
#undef X
	}
	return "?";
}

/* Formats thread block T into B. Objects are "0x..." even when NULL, where %p would say
 * "(nil)": an object is one word in the record. */
static void tc__rep_thread(struct tc__buf *b, const struct tc__rep_thread *t)
{
	tc__bprintf(b, "thread T%d tid=%d name=%s\n", t->label, (int)t->tid, t->name);
	if (t->start != NULL) {
		tc__bprintf(b, "start %s %s\n", t->start->function, t->start->fileline);
		tc__bprintf(b, "created %s %s\n", t->created->function, t->created->fileline);
	}
	for (int i = 0; i < t->nline; i++) {
		const struct tc__rep_line *l = &t->line[i];

		tc__bprintf(b, "%s ", tc__line_word(l->kind));
		if (l->op != NULL)
			tc__bprintf(b, "%s ", l->op);
		tc__bprintf(b, "0x%lx %s %s\n", (unsigned long)(uintptr_t)l->obj, l->at->function,
			    l->at->fileline);
	}
}

void tc__rep_record(struct tc__buf *b, const struct tc__rep *rep)
{
	tc__bprintf(b, "BEGIN %s\n", rep->kind);
	for (int i = 0; i < rep->nthread; i++)
		tc__rep_thread(b, &rep->thread[i]);
	tc__bprintf(b, "message %s\n", rep->message);
	tc__bprintf(b, "END\n");
}

void tc__rep_human(struct tc__buf *b, const struct tc__rep *rep)
{
	tc__bprintf(b, "==================\n");
	tc__bprintf(b, "WARNING: ThreadCheck: %s (pid=%d)\n", rep->title, (int)getpid());
	tc__bprintf(b, "  %s\n", rep->message);
	tc__bprintf(b, "%s", rep->detail);
	tc__bprintf(b, "SUMMARY: ThreadCheck: %s %s in %s\n", rep->summary_kind,
		    rep->summary_at->fileline, rep->summary_at->function);
	tc__bprintf(b, "==================\n");
}

void tc__log_write(int fd, const struct tc__rep *const *reps, size_t n)
{
	struct tc__buf b = { tc__logtext, 0, sizeof tc__logtext };

	tc__bprintf(&b, "threadcheck 1 pid=%d\n", (int)getpid());
	tc__buf_flush(&b, fd);
	for (size_t i = 0; i < n; i++) {
		tc__rep_record(&b, reps[i]);
		tc__buf_flush(&b, fd);
	}
	tc__bprintf(&b, "summary %zu findings\n", n);
	tc__buf_flush(&b, fd);
}

void tc__rep_frame(struct tc__buf *b, const struct tc__sym *at)
{
	tc__bprintf(b, "    #0 %s %s\n", at->function, at->fileline);
}

void tc__scenario_head(struct tc__buf *b, const int *labels, int n)
{
	char cell[32];

	tc__bprintf(b, "\n  Possible unsafe scenario:\n\n  ");
	for (int i = 0; i < n; i++) {
		struct tc__buf cb = { cell, 0, sizeof cell };

		tc__bprintf(&cb, "T%d", labels[i]);
		tc__bprintf(b, "%-*s", i + 1 < n ? TC__COL : 0, cell);
	}
	tc__bprintf(b, "\n  ");
	for (int i = 0; i < n; i++)
		tc__bprintf(b, "%-*s", i + 1 < n ? TC__COL : 0, "----");
	tc__bprintf(b, "\n");
}

void tc__scenario_cell(struct tc__buf *b, int col, const char *text)
{
	tc__bprintf(b, "  %*s%s\n", TC__COL * col, "", text);
}

void tc__scenario_legend(struct tc__buf *b, char letter, const char *what, const void *obj)
{
	tc__bprintf(b, "  %c = %s %p\n", letter, what, obj);
}

void tc__scenario_end(struct tc__buf *b)
{
	tc__bprintf(b, "\n   *** DEADLOCK ***\n\n");
}

int tc__report_claim(enum tc__reporter who, enum tc__reporter *owner)
{
	int none = TC__REPORT_NONE;

	if (atomic_compare_exchange_strong(&tc__reporter, &none, (int)who))
		return 0;
	if (owner != NULL)
		*owner = (enum tc__reporter)none;
	return -1;
}

enum tc__reporter tc__report_owner(void)
{
	return (enum tc__reporter)atomic_load(&tc__reporter);
}

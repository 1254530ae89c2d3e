/* explore.h: what `threadlab explore` found, as plain data for its printers (explore_view.c). */
#ifndef TL_EXPLORE_H
#define TL_EXPLORE_H

#include <stdio.h>

/* How a run ended, as X(ENUM, name, what the user is told). NONE is a run that passed. */
#define TL_EX_OUTCOMES(X)                                                                   \
	X(NONE, "none", "no failure")                                                       \
	X(EXIT, "exit", "the program exited with a non-zero status")                        \
	X(ABORT, "abort", "the program aborted (a failed assertion or abort())")            \
	X(CRASH, "crash", "the program was killed by a signal")                            \
	X(DEADLOCK, "deadlock", "the threads deadlocked")                                   \
	X(LEAK, "thread-leak", "a thread outlived the program or was never joined")         \
	X(MISUSE, "misuse", "a pthread call was misused")                                   \
	X(INTERFERENCE, "interference", "threadcheck's report lacked the liveness canary")   \
	X(TIMEOUT, "timeout", "the run did not end within the time limit")

enum tl_ex_outcome {
#define X(e, name, what) TL_EX_##e,
	TL_EX_OUTCOMES(X)
#undef X
};
const char *tl_ex_outcome_name(enum tl_ex_outcome o);
const char *tl_ex_outcome_what(enum tl_ex_outcome o);

/* One synchronisation step of the failing schedule (the schedule log's trace line). */
struct tl_ex_step {
	long step;
	int thread;                 /* N of TN */
	char op[24];
	char obj[40];               /* an address, or TN for create and join */
	char function[128];
	char site[320];             /* file:line */
	int preempt;                /* another thread ran next although this one could go on */
};

/* The result of an exploration, for the printers. */
struct tl_ex_report {
	char program[1024];         /* what was run, as the user named it */
	char strategy[16];
	unsigned long long seed;    /* of the failing schedule */
	unsigned long long first_seed; /* of the first schedule after the default one */
	int depth;
	long schedules;             /* runs made: the default schedule (no preemption) first,
				     * then one per seed; the failing one included */
	long steps_hint;            /* the steps of a first run, PCT's k */
	double seconds;
	enum tl_ex_outcome outcome;
	int status;                 /* exit status or signal number */
	char *detail;               /* the failing run's stderr (malloc'd, may be NULL) */
	char *decisions;            /* the failing schedule's decision list (malloc'd) */
	char *minimal;              /* after minimising (malloc'd; NULL when not minimised) */
	long choices, preemptions;  /* of the failing schedule */
	long min_choices, min_preemptions;
	int replayed;               /* replays that failed the same way, of REPLAYS */
	int replays;
	char replay_cmd[4096];
	struct tl_ex_step *step;    /* the interleaving of the schedule shown */
	long nstep;
	int threads;                /* the highest thread number in it, plus one */
};

void tl_ex_text(FILE *out, const struct tl_ex_report *r);
void tl_ex_json(FILE *out, const struct tl_ex_report *r);
void tl_ex_html(FILE *out, const struct tl_ex_report *r);

#endif

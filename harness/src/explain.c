/* explain.c: plain-language explanations of each finding kind: what it is, why it matters, who finds it. */
#include <string.h>

#include "stages.h"

struct explanation {
	const char *what;
	const char *why;
	const char *tools;  /* how each tool finds it, and what each misses */
	const char *fix;
};

/* One entry per kind; the switch has no default, so a new kind cannot go unexplained. */
static struct explanation explanation(enum tl_kind k)
{
	switch (k) {
	case TL_KIND_RACE:
		return (struct explanation){
			"Two threads touch the same memory, at least one of them writes, and nothing orders the two "
			"accesses (no lock held by both, no join, no barrier, no condition variable hand-off).",
			"The result depends on timing: an increment can be lost, a reader can see half of an update, "
			"and the C11 memory model makes the whole program's behaviour undefined.",
			"ThreadSanitizer (compile-time instrumentation) and Helgrind (Valgrind) track happens-before "
			"between threads and report the two conflicting accesses, on any run where both happen, even if "
			"the timing was lucky. Both miss races on code paths the run did not execute. threadcheck does "
			"not watch memory and never reports races. Tests see a race only when it corrupts a result.",
			"Protect every access to the shared data, reads included, with the same mutex, or use an "
			"atomic, or give each thread its own copy and combine after join."};
	case TL_KIND_LOCK_ORDER:
		return (struct explanation){
			"Two locks are taken in one order by one path (A then B) and in the opposite order by another "
			"(B then A). The run did not necessarily hang, but it could have.",
			"When the two paths run at the same time, each can hold its first lock and wait for the other's "
			"for ever: a deadlock that appears only under load.",
			"ThreadSanitizer and Helgrind build a graph of lock orders as locks are acquired and report a "
			"cycle; they cannot tell when a common outer lock makes the cycle harmless. Neither sees an "
			"inversion whose second lock is never actually acquired (a real deadlock hangs first). "
			"threadcheck reports the deadlock itself when it happens.",
			"Choose one global order for the locks (for example by address or id) and always take them in "
			"that order, or take a single lock for the compound operation."};
	case TL_KIND_DEADLOCK:
		return (struct explanation){
			"A set of threads wait for each other in a cycle (each holds what the next one waits for), or "
			"every thread of the program waits for something no running thread will ever do.",
			"The program stops making progress for ever while looking alive: requests hang, shutdown "
			"never finishes.",
			"threadcheck watches which thread holds and waits for each mutex, rwlock, condition variable, "
			"join, semaphore and barrier, and reports the cycle with every thread's locks and sites as soon "
			"as it forms. ThreadSanitizer and Helgrind simply hang with the program: the harness reports a "
			"timeout and attaches every thread's stack.",
			"Break the cycle: a global lock order, never blocking while holding a lock, or a predicate loop "
			"that cannot miss its wake-up."};
	case TL_KIND_THREAD_LEAK:
		return (struct explanation){
			"A thread is still alive when the program ends: blocked for ever (on a channel send, a condition "
			"variable, a join) or still running, or it finished but nobody joined it.",
			"Each leaked thread keeps its stack and whatever it references; in a server that leaks one per "
			"request, memory and threads run out. It usually means a result was dropped or shutdown forgot "
			"someone.",
			"threadcheck lists every thread alive at exit, with its start function, where it was created "
			"and what it waits on. ThreadSanitizer reports only joinable threads that finished and were "
			"never joined; Helgrind reports neither. The labs' tests check per test with threadcheck.h.",
			"Make sure every thread can finish (close channels, broadcast on shutdown, give late senders a "
			"buffer or a cancellation signal) and join it."};
	case TL_KIND_MISUSE:
		return (struct explanation){
			"A threading call is used against its contract: unlocking a mutex the thread does not hold, "
			"destroying a locked mutex, waiting on a condition variable without its mutex, joining a "
			"detached thread, a thread exiting while it holds a lock.",
			"The behaviour is undefined: it may work today and corrupt the lock or hang tomorrow.",
			"Helgrind checks the POSIX threads API thoroughly; ThreadSanitizer reports some cases (double "
			"lock, unlock of an unlocked mutex, destroy of a locked mutex).",
			"Follow the pairing rules: lock and unlock in the same thread, on every path (one cleanup exit), "
			"and wait on a condition variable only with its mutex held."};
	case TL_KIND_TIMEOUT:
		return (struct explanation){
			"The run did not finish within its time limit and was killed; the stacks of every thread at "
			"that moment are attached.",
			"Usually a deadlock or a lost wake-up that the tool could not name, sometimes an endless loop.",
			"Every tool runs under the same wall-clock limit; threadcheck names real deadlocks before the "
			"limit, the others cannot.",
			"Read the attached stacks: where is each thread waiting, and who should have woken it?"};
	case TL_KIND_CRASH:
		return (struct explanation){
			"The program died on a signal (segmentation fault, abort) or the tool reported a fatal error.",
			"A crash in concurrent code is often a use-after-free or a data race on a pointer.",
			"Every tool reports how the program died; ThreadSanitizer also prints the faulting stack.",
			"Run the program under the tool and read the stack of the crash."};
	case TL_KIND_TEST_FAIL:
		return (struct explanation){
			"A unit test of the lab failed: the program computed a wrong result or left threads behind.",
			"Some bugs (lost updates, check-then-act on a balance) are invisible to every detector and only "
			"show in results.",
			"The cmocka tests run the lab's code natively; they catch wrong results no detector sees, but "
			"only on the inputs and interleavings they exercise.",
			"Read the failing assertion's message and line."};
	case TL_KIND_BUILD_ERROR:
		return (struct explanation){
			"The program or its tests did not compile.",
			"Nothing can be checked until it builds.",
			"The compiler's first error is shown with its file and line.",
			"Fix the first error first; later ones often follow from it."};
	case TL_KIND_INTERFERENCE:
		return (struct explanation){
			"When grading, every run carries canaries the harness plants: a data race TSan and Helgrind must "
			"report, a thread left blocked that threadcheck must report, and a test that fails on purpose. "
			"This run ended without its tool's canary, or with an exit status that contradicts the report: "
			"the program switched the tool off, or cut, rewrote or overrode its report.",
			"A detector that was silenced proves nothing, so its clean verdict cannot earn points.",
			"The grader reads each tool's report from a channel the program cannot rewrite (Valgrind's "
			"protected descriptors, FIFOs drained while the program runs) and checks each tool's canary and "
			"exit status.",
			"Lab code only computes: it does not touch the tools, their files or the process's exit."};
	case TL_KIND_COUNT:
		break;
	}
	return (struct explanation){"?", "?", "?", "?"};
}

int tl_explain(FILE *out, const char *kind)
{
	int k = tl_kind_from_name(kind);
	if (k < 0) {
		fprintf(stderr, "threadlab: unknown kind '%s'; one of:", kind);
		for (int i = 0; i < TL_KIND_COUNT; i++)
			fprintf(stderr, " %s", tl_kind_name((enum tl_kind)i));
		fputc('\n', stderr);
		return -1;
	}
	struct explanation e = explanation((enum tl_kind)k);
	fprintf(out, "%s: %s\n\nWhat it is\n  %s\n\nWhy it matters\n  %s\n\nWho finds it\n  %s\n\nHow to fix it\n  %s\n",
		kind, tl_kind_meaning((enum tl_kind)k), e.what, e.why, e.tools, e.fix);
	return 0;
}

const char *tl_explain_short(enum tl_kind k)
{
	return explanation(k).what;
}

const char *tl_explain_tools(enum tl_kind k)
{
	return explanation(k).tools;
}

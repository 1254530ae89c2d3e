/* tc_wrap.h: what the interposers (tc_wrap_thread.c, tc_wrap_lock.c) need from the
 * constructor in threadcheck.c. */
#ifndef TC_WRAP_H
#define TC_WRAP_H

/* Internal to the library: not exported, and called directly rather than through the PLT. */
#pragma GCC visibility push(hidden)

/* Makes the thread-specific key whose destructor marks a thread's real end (the constructor
 * calls it first, so that its destructor runs before the program's own in every round). */
void tc__wrap_thread_init(void);

#pragma GCC visibility pop

#endif

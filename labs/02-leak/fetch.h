/* fetch.h: fetch_with_timeout, the student's function: ask a slow backend for a value, but never wait longer than a deadline. */
#ifndef LAB02_FETCH_H
#define LAB02_FETCH_H

/* A backend call: takes as long as it takes, then returns the answer. ARG is the caller's. */
typedef long (*fetch_backend_fn)(void *arg);

/* Calls BACKEND(ARG) on a helper thread and waits at most TIMEOUT_MS milliseconds for its
 * answer. Returns 0 with the answer in *RESULT, or -ETIMEDOUT with *RESULT unchanged if the
 * deadline passed first. Either way the call returns promptly; the helper may still be running
 * (the backend has not answered yet) and must then finish on its own, with nothing left
 * behind. Aborts with file:line on out of memory or a pthread error. */
int fetch_with_timeout(fetch_backend_fn backend, void *arg, long timeout_ms, long *result);

#endif

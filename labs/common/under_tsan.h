/* under_tsan.h: for the labs' tests, LABS_UNDER_TSAN is 1 in a build with ThreadSanitizer and 0
 * otherwise, so that a test can skip what that build cannot do or need not repeat. */
#ifndef LABS_UNDER_TSAN_H
#define LABS_UNDER_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define LABS_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LABS_UNDER_TSAN 1
#endif
#endif
#ifndef LABS_UNDER_TSAN
#define LABS_UNDER_TSAN 0
#endif

#endif

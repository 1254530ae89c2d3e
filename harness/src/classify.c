/* classify.c: the closed per-tool tables that map a tool's own report names to finding kinds, and the rule for which stack frames are runtime, not user code. */
#include "threadlab.h"

#include <string.h>

struct raw_kind {
	const char *raw;
	enum tl_kind kind;
};

/* ThreadSanitizer's report names, as ReportTypeString() in compiler-rt's tsan_report.cpp prints
 * them after "WARNING: ThreadSanitizer: ", plus the deadly-signal reports of sanitizer_common
 * ("<SIG> on unknown address", SignalContext::Describe() on POSIX, and "stack-overflow"). */
static const struct raw_kind tsan_table[] = {
	{"data race", TL_KIND_RACE},
	{"data race on vptr (ctor/dtor vs virtual call)", TL_KIND_RACE},
	/* Why race: TSan says use-after-free when an access is unordered with the free, which is a
	 * race between the freeing thread and the accessing one. */
	{"heap-use-after-free", TL_KIND_RACE},
	{"heap-use-after-free (virtual call vs free)", TL_KIND_RACE},
	{"race on external object", TL_KIND_RACE},
	{"thread leak", TL_KIND_THREAD_LEAK},
	{"lock-order-inversion (potential deadlock)", TL_KIND_LOCK_ORDER},
	{"destroy of a locked mutex", TL_KIND_MISUSE},
	{"double lock of a mutex", TL_KIND_MISUSE},
	{"use of an invalid mutex (e.g. uninitialized or destroyed)", TL_KIND_MISUSE},
	{"unlock of an unlocked mutex (or by a wrong thread)", TL_KIND_MISUSE},
	{"read lock of a write locked mutex", TL_KIND_MISUSE},
	{"read unlock of a write locked mutex", TL_KIND_MISUSE},
	{"signal-unsafe call inside of a signal", TL_KIND_MISUSE},
	{"signal handler spoils errno", TL_KIND_MISUSE},
	{"mutex held in the wrong context", TL_KIND_MISUSE},
	{"SEGV on unknown address", TL_KIND_CRASH},
	{"BUS on unknown address", TL_KIND_CRASH},
	{"FPE on unknown address", TL_KIND_CRASH},
	{"ILL on unknown address", TL_KIND_CRASH},
	{"ABRT on unknown address", TL_KIND_CRASH},
	{"UNKNOWN SIGNAL on unknown address", TL_KIND_CRASH},
	{"stack-overflow", TL_KIND_CRASH},
	{"DEADLYSIGNAL", TL_KIND_CRASH},
};

/* Helgrind's <kind> values: HG_(get_error_name) in valgrind's helgrind/hg_errors.c (3.19 has
 * all but FreeMemLock, which older releases emitted), plus "fatal_signal", the name the Helgrind
 * parser gives to Valgrind's <fatal_signal> element. */
static const struct raw_kind helgrind_table[] = {
	{"Race", TL_KIND_RACE},
	{"LockOrder", TL_KIND_LOCK_ORDER},
	{"UnlockUnlocked", TL_KIND_MISUSE},
	{"UnlockForeign", TL_KIND_MISUSE},
	{"UnlockBogus", TL_KIND_MISUSE},
	{"PthAPIerror", TL_KIND_MISUSE},
	{"Misc", TL_KIND_MISUSE},
	{"Dubious", TL_KIND_MISUSE},
	{"FreeMemLock", TL_KIND_MISUSE},
	{"fatal_signal", TL_KIND_CRASH},
};

/* threadcheck's raw kinds (harness/threadcheck/FORMAT.md); "misuse:<what>" is matched by its
 * prefix in tl_classify. */
static const struct raw_kind threadcheck_table[] = {
	{"thread-leak", TL_KIND_THREAD_LEAK},
	{"unjoined-thread", TL_KIND_THREAD_LEAK},
	{"deadlock", TL_KIND_DEADLOCK},
	{"lock-order", TL_KIND_LOCK_ORDER},
};

/* The unit-test runner: the cmocka parser names a failed test after the JUnit element that
 * says so (cmocka 1.1.5 writes <failure> for failed and errored tests alike). */
static const struct raw_kind test_table[] = {
	{"failure", TL_KIND_TEST_FAIL},
	{"error", TL_KIND_TEST_FAIL},
};

static int lookup(const struct raw_kind *table, size_t n, const char *raw)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].raw, raw) == 0)
			return (int)table[i].kind;
	return -1;
}

#define LOOKUP(table, raw) lookup((table), sizeof(table) / sizeof((table)[0]), (raw))

/* Maps TOOL's report name RAW to a kind through that tool's table (exact, case-sensitive).
 * Returns the kind, or -1 when RAW is NULL or not in the table; the caller decides what an
 * unknown report becomes. An invalid TOOL aborts. */
int tl_classify(enum tl_tool tool, const char *raw)
{
	if (raw == NULL)
		return -1;
	switch (tool) {
	case TL_TOOL_TSAN:
		return LOOKUP(tsan_table, raw);
	case TL_TOOL_HELGRIND:
		return LOOKUP(helgrind_table, raw);
	case TL_TOOL_THREADCHECK:
		/* Why a prefix: FORMAT.md lets threadcheck name new misuses without a table change. */
		if (strncmp(raw, "misuse:", 7) == 0 && raw[7] != '\0')
			return TL_KIND_MISUSE;
		return LOOKUP(threadcheck_table, raw);
	case TL_TOOL_TEST:
		return LOOKUP(test_table, raw);
	case TL_TOOL_COUNT:
		break;
	}
	tl_assert_fail(__FILE__, __LINE__, "tl_classify: invalid tool");
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Source files of the C library, the sanitizer runtimes and Valgrind, as their debug info
 * names them: glibc's are relative to its build tree ("./nptl/...", "../sysdeps/..."). */
static const char *const runtime_path_parts[] = {
	"/sanitizer_common/", "/tsan/", "/compiler-rt/", "/libsanitizer/", "/glibc", "/nptl/",
	"/sysdeps/", "/valgrind/", "harness/threadcheck/",
};
static const char *const runtime_path_prefixes[] = {
	"./nptl/", "../nptl/", "./misc/", "../misc/", "../sysdeps/", "./sysdeps/", "csu/", "../csu/",
	"./csu/", "./stdlib/", "../stdlib/", "./libio/", "../libio/", "./string/", "../string/",
};
static const char *const runtime_file_prefixes[] = {
	"tsan_", "sanitizer_", "hg_intercepts", "vg_replace_", "vg_preloaded",
};
static const char *const runtime_fn_prefixes[] = {
	"__tsan_", "__interceptor_", "__sanitizer", "___interceptor_", "__libc_", "__GI_",
	"__pthread_", "pthread_", "_pthread_", "__clone", "tc__",
};
static const char *const runtime_fns[] = {
	"start_thread", "clone", "clone3", "_start", "__start_thread", "thread_start",
};

/* Returns 1 when a frame in FILE (as the tool printed it; NULL, "" and "<null>" mean no debug
 * info) running function FN (may be NULL) belongs to the C library, a sanitizer runtime,
 * Valgrind or threadcheck rather than to the program, else 0. A frame without a source file is
 * runtime: it cannot be shown to a student as a site. */
int tl_frame_is_runtime(const char *file, const char *fn)
{
	if (file == NULL || file[0] == '\0' || strcmp(file, "<null>") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(runtime_path_parts) / sizeof(runtime_path_parts[0]); i++)
		if (strstr(file, runtime_path_parts[i]) != NULL)
			return 1;
	for (size_t i = 0; i < sizeof(runtime_path_prefixes) / sizeof(runtime_path_prefixes[0]); i++)
		if (tl__has_prefix(file, runtime_path_prefixes[i]))
			return 1;
	const char *base = base_name(file);
	for (size_t i = 0; i < sizeof(runtime_file_prefixes) / sizeof(runtime_file_prefixes[0]); i++)
		if (tl__has_prefix(base, runtime_file_prefixes[i]))
			return 1;
	if (fn == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(runtime_fn_prefixes) / sizeof(runtime_fn_prefixes[0]); i++)
		if (tl__has_prefix(fn, runtime_fn_prefixes[i]))
			return 1;
	for (size_t i = 0; i < sizeof(runtime_fns) / sizeof(runtime_fns[0]); i++)
		if (strcmp(fn, runtime_fns[i]) == 0)
			return 1;
	return 0;
}

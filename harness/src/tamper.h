/* tamper.h: what the anti-tamper scan's parts (tamper*.c) share; internal to them (`tl__`). */
#ifndef THREADLAB_TAMPER_H
#define THREADLAB_TAMPER_H

#include <stddef.h>

#include "stages.h"

/* A refusal or an error: every check fills WHY and returns 1 (refused: the student's code) or
 * -1 (the check itself could not run: the harness's problem). 0 is clean. */
struct tl__why {
	char *buf;
	size_t len;
};
int tl__refuse(struct tl__why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tl__fail(struct tl__why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable list of strings (a set once sorted). */
struct tl__strs {
	char **v;
	size_t n, cap;
};
void tl__strs_add(struct tl__strs *s, const char *str, size_t len);
void tl__strs_sort(struct tl__strs *s); /* sorts and removes duplicates */
int tl__strs_has(const struct tl__strs *s, const char *str); /* on a sorted list */
/* On a sorted list: the index of the first string not less than KEY; whether one starts with PREFIX. */
size_t tl__strs_lower_bound(const struct tl__strs *s, const char *key);
int tl__strs_has_prefix(const struct tl__strs *s, const char *prefix);
void tl__strs_free(struct tl__strs *s);

/* Whether NAME matches PATTERN: exact, or a prefix when PATTERN ends in '*', or a suffix when it
 * starts with '*'. */
int tl__match(const char *pattern, const char *name);

/* --- The student's file as written (tamper_lex.c) --- */

/* What the raw pass learns for the later checks. */
struct tl__raw {
	struct tl__strs cond;     /* identifiers that conditional and #include directives name */
	struct tl__strs defines;  /* "NAME BODY-IDENTIFIERS..." of each #define in the file */
};
/* Lexes the student's file TEXT (named BASE in messages) as the compilers do (trigraphs, line
 * splices, comments, string and character literals, header names) and refuses line directives,
 * token pasting, gcc's #assert, macros defined before an #include, and names that ask which
 * compiler or tool is at work. Fills RAW (free with tl__raw_free). */
int tl__raw_scan(const char *text, size_t len, const char *base, struct tl__raw *raw, struct tl__why *w);
void tl__raw_free(struct tl__raw *raw);

/* --- The preprocessed text of one build (tamper_lex.c) --- */

/* Where includes may come from, and which files are the student's (all real paths). */
struct tl__places {
	struct tl__strs student;     /* the lab's student files */
	struct tl__strs lab_dirs;    /* folders whose .h files may be included: the lab's, labs/common */
	char tc_header[TL_PATH];     /* harness/threadcheck/threadcheck.h */
	struct tl__strs system_dirs; /* the compilers' system include folders */
};
/* The macro definitions one preprocessing saw: "NAME\tdefine BODY" or "NAME\tundef", in order. */
struct tl__macros {
	struct tl__strs events; /* not sorted: order matters */
};
/* Scans the preprocessed text I (gcc or clang -E -dD output) of the student's file BASE: line
 * markers give every line to the file it is in, by an include stack that a line directive cannot
 * rename; each included file must resolve inside PLACES; the student's lines may not name tool
 * hooks, inline assembly, unlisted builtins, a tool's environment variables or unlisted pragmas.
 * Collects the macro events into M. */
int tl__scan_preprocessed(const char *i, size_t len, const char *base, const struct tl__places *places,
			  struct tl__macros *m, struct tl__why *w);
/* The first line of the student's code in I where NAME is called by name (*CALLED set), else
 * where it first occurs (*CALLED 0); 0 when it does not occur. */
int tl__find_identifier(const char *i, size_t len, const struct tl__places *places, const char *name,
			int *called);
/* Refuses when a name the student's conditional or include directives depend on (RAW->cond, and
 * through macro bodies everything they expand to) is defined differently in A and B (two
 * builds' preprocessing, compilers NAME_A and NAME_B): the builds would compile different code,
 * and only one of them is read by the AST check. */
int tl__same_conditions(const struct tl__raw *raw, const struct tl__macros *a, const char *name_a,
			const struct tl__macros *b, const char *name_b, const char *base, struct tl__why *w);

/* --- Symbols (tamper_syms.c) --- */

/* Runs ARGV (sandboxed when grading; WRITABLE is the only folder it may write, and its working
 * folder), stdout to OUT and stderr to ERR. Returns the exit status; TL__KILLED when it ran out of
 * time or was killed by a signal (a compiler that exceeds the output cap gets SIGXFSZ); -1 when it
 * could not be started. Safe to call from several threads. */
#define TL__KILLED (-2)
int tl__run(const struct tl_config *cfg, const char *writable, char *const *argv, const char *out,
	    const char *err);

/* A child of the scan, run on a thread of its own by tl__run_tasks. */
struct tl__task {
	const struct tl_config *cfg;
	char writable[TL_PATH];
	struct tl_argv argv;
	char out[TL_PATH + 64], err[TL_PATH + 64];
	int rc; /* tl__run's */
};
#define TL__MAX_TASKS 16
/* Runs the N (at most TL__MAX_TASKS) tasks at once and waits for all: the scan's compiles are
 * independent, and two cores halve their time. Frees nothing. */
void tl__run_tasks(struct tl__task *tasks, int n);

/* The symbols of one object as nm lists them: what it defines globally and what it imports. */
struct tl__objsyms {
	struct tl__strs defined, imported;
};
/* Reads `nm -A` output for several objects into SYMS[i] for the object named OBJS[i]. Returns 0, or
 * -1 when the text is not nm's. */
int tl__nm_parse(const char *text, const char *const *objs, struct tl__objsyms *syms, int nobj);

/* Refuses a global definition in SYMS that a library the programs link exports (libc,
 * libpthread, ld.so, libcmocka, libthreadcheck, the TSan runtime) or that threadcheck's test API
 * defines. */
int tl__check_defines(const struct tl_config *cfg, const struct tl_target *t, const struct tl__objsyms *syms,
		      const char *base, struct tl__why *w);
/* Refuses an import of SYMS (of the build KIND) that is not on imports.def, not added by the lab
 * (lab.decl `allow:`) and not defined by the lab's own objects or labs/common. The message names
 * the line where the student's code calls it, found in the preprocessed text I. */
int tl__check_imports(const struct tl_config *cfg, const struct tl_target *t, enum tl_build_kind kind,
		      const struct tl__objsyms *syms, const char *base, const char *i, size_t ilen,
		      const struct tl__places *places, struct tl__why *w);
/* Whether NAME is a builtin imports.def lets the student's code name. */
int tl__builtin_allowed(const char *name);
/* The compilers' system include folders (real paths), from `CC -E -v` of each build's compiler.
 * Returns 0 or -1. */
int tl__system_dirs(const struct tl_config *cfg, const struct tl_target *t, struct tl__strs *dirs,
		    struct tl__why *w);

/* --- The AST (tamper_ast.c) --- */

/* Reads clang's -ast-dump=json of the student's file (JSON, LEN bytes) and refuses, in nodes
 * that the student's file spells or expands: conversions between a function (designator or
 * pointer) and an integer or object pointer, either way; a pointer to a function pointer read as
 * another type; function pointers passed as variadic arguments or kept in unions; inline assembly;
 * attributes other than the harmless ones. */
int tl__ast_check(const char *json, size_t len, const struct tl__places *places, const char *base,
		  struct tl__why *w);

#endif

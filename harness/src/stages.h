/* stages.h: the plain structs that flow discover -> build -> run -> parse -> classify -> compare -> report. */
#ifndef THREADLAB_STAGES_H
#define THREADLAB_STAGES_H

#include <limits.h>
#include <stdio.h>

#include "threadlab.h"

#define TL_MAX_FILES 16
#define TL_MAX_HINTS 8
#define TL_MAX_ALLOW 16
#define TL_PATH 1024

/* Exit codes of the threadlab command (kselftest vocabulary): a tool or harness error is
 * never reported as the student's failure. */
enum tl_exit {
	TL_EXIT_PASS = 0,   /* clean (check, analyze) or as declared (selftest) */
	TL_EXIT_FAIL = 1,   /* something was found, or a verdict differs from its declaration */
	TL_EXIT_ERROR = 2,  /* usage error, bad declaration, or the harness/tool failed */
	TL_EXIT_SKIP = 4,   /* nothing could be checked: every tool was missing */
};

/* A lab's two versions: buggy (labs/) and fixed (solutions/). */
enum tl_variant { TL_BUGGY, TL_FIXED, TL_VARIANT_COUNT };
const char *tl_variant_name(enum tl_variant v);

/* What one tool must report for one variant, from lab.decl. */
struct tl_expect {
	int declared;
	tl_kindset kinds;
};

/* One lab, as declared in labs/NN-slug/lab.decl. */
struct tl_lab {
	char dir[TL_PATH];          /* labs/01-counter */
	char solution_dir[TL_PATH]; /* solutions/01-counter */
	char slug[64];              /* 01-counter */
	char title[128];
	char lesson[256];
	char hint[TL_MAX_HINTS][256];
	int nhint;
	char student[TL_MAX_FILES][64];
	int nstudent;
	char program[TL_MAX_FILES][64];
	int nprogram;
	char test[TL_MAX_FILES][64];
	int ntest;
	int timeout_s;
	int runs;
	int explore;                /* schedules `threadlab explore` must fail within / survive (0: none) */
	struct tl_expect expect[TL_VARIANT_COUNT][TL_TOOL_COUNT];
	char blind[TL_TOOL_COUNT][256];
	char allow[TL_MAX_ALLOW][64]; /* lab-specific additions to the import allowlist */
	int nallow;
};

/* One line of a strict "key: value" file (kv.c): KEY and VALUE without the blanks around
 * them, VALUE NULL when the line has no ':'. A '#' starts a comment; blank lines are skipped. */
struct tl_kv {
	const char *path;
	int line;
	char *key, *value;
};
/* Takes one line; returns 0, or -1 with ERR filled (tl_kv_fail) to stop the reading. */
typedef int (*tl_kv_fn)(void *ctx, const struct tl_kv *kv, char *err, size_t errlen);
/* Reads F (named PATH) and gives each line to FN (with CTX) until FN refuses one. A line longer
 * than 1022 bytes is refused, never split. *LINES gets the number of lines read. Returns 0, or
 * -1 with "PATH:LINE: reason" in ERR. */
int tl_kv_read(FILE *f, const char *path, tl_kv_fn fn, void *ctx, int *lines, char *err, size_t errlen);
/* Writes "PATH:LINE: " and FMT's text into ERR. Returns -1. */
int tl_kv_fail(const struct tl_kv *kv, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Parses one lab.decl strictly. Returns 0, or -1 with "file:line: reason" in ERR. */
int tl_decl_parse(const char *path, struct tl_lab *lab, char *err, size_t errlen);

/* Finds labs/NN-slug/lab.decl under ROOT (sorted by name) whose slug starts with one of the
 * comma-separated prefixes of FILTER (NULL or "" for all) and parses each. Returns 0 with a malloc'd array in *LABS, or -1
 * with ERR filled (nothing allocated). */
int tl_discover(const char *root, const char *filter, struct tl_lab **labs, size_t *n, char *err,
		size_t errlen);

/* How a tool's job ended. */
enum tl_status { TL_ST_NOT_RUN, TL_ST_RAN, TL_ST_SKIPPED, TL_ST_ERROR };
const char *tl_status_name(enum tl_status s);

/* What a command checks: the labs (check), the labs against their declarations (selftest), or
 * the user's own files (analyze). */
enum tl_mode { TL_MODE_CHECK, TL_MODE_SELFTEST, TL_MODE_ANALYZE };
const char *tl_mode_name(enum tl_mode m);

/* The verdict on one tool's result that every format shows (set by tl_compare_target). */
enum tl_verdict {
	TL_VERDICT_SKIP,  /* not run, or skipped */
	TL_VERDICT_ERROR, /* the tool failed */
	TL_VERDICT_PASS,  /* selftest: as declared; check, analyze: nothing reported */
	TL_VERDICT_FAIL,  /* selftest: not as declared; check, analyze: something reported */
};

/* The outcome of running one tool on one target (possibly several runs). */
struct tl_result {
	enum tl_status status;
	int runs;                  /* runs made */
	int runs_with_findings;    /* of which reported something */
	struct tl_findings findings;
	tl_kindset kinds;
	double seconds;            /* wall time of all runs */
	char note[256];            /* e.g. why skipped or errored, "reran under setarch -R" */
	int tests_total;           /* test tool: test cases in a run (0: unknown) */
	int tests_passed_min;      /* test tool: fewest passing in any run (-1: no run counted) */
	/* compare stage */
	int compared;              /* selftest: held against the lab's declaration */
	int match;                 /* ran, and reported what is declared */
	tl_kindset expected;
	enum tl_verdict verdict;
	/* judge stage */
	tl_kindset kept;           /* the kinds of its findings the judge did not dismiss */
};

/* Judge (judge.c, judge.def): the rules that set a tool's report aside, one row each. */
enum tl_rule {
#define X(e, name, kind, tools, cond, decision, reason) TL_RULE_##e,
#include "judge.def"
#undef X
	TL_RULE_COUNT
};
const char *tl_rule_name(enum tl_rule r);
/* What a rule does with a report it applies to: set it aside as a known false report, or fold
 * it into the bug another report names. */
enum tl_decision { TL_DISMISS, TL_MERGE };
/* How sure the judge is of a bug: low when a tool that can see its kind ran to the end and
 * did not report it, high when two tools saw it or the one tool that decides its kind did. */
enum tl_confidence { TL_CONF_LOW, TL_CONF_MEDIUM, TL_CONF_HIGH };
const char *tl_confidence_name(enum tl_confidence c);

/* A tool's report, by place: T->result[tool].findings.v[index]. */
struct tl_ref {
	enum tl_tool tool;
	int index;
};

/* One bug of a program: the reports of every tool that saw it, as one finding. */
struct tl_bug {
	struct tl_ref first;         /* the report that stands for it (TSan's first, for its sites) */
	enum tl_kind kind;
	unsigned seen_by;            /* the tools that reported it (bit 1 << enum tl_tool) */
	unsigned clean_by;           /* tools that can see its kind, ran to the end and did not */
	enum tl_confidence confidence;
	char note[256];              /* when tools disagree: who said what ("" when they agree) */
};

/* A report set aside: dismissed (bug -1), or merged into the bug it is part of. */
struct tl_aside {
	struct tl_ref ref;
	enum tl_rule rule;
	enum tl_decision decision;
	int bug;                     /* MERGE: index in the judgement's bugs; DISMISS: -1 */
	char reason[512];            /* the rule's reason, with what its evidence named */
};

/* The judge's verdict on one program: its bugs and the reports set aside. */
struct tl_judgement {
	int done;
	tl_kindset kinds;            /* the bugs' kinds: what the program is judged to have */
	struct tl_bug *bug;
	int nbug, capbug;
	struct tl_aside *aside;
	int naside, capaside;
	/* compare stage, selftest: a buggy lab must be judged to have a bug, a fixed one none */
	int compared, match;
};

/* A growable list of paths (each malloc'd). Zero-initialise; free with tl_paths_free. */
struct tl_paths {
	char **v;
	size_t n, cap;
};
/* Appends the path FMT formats. Aborts when memory runs out. */
void tl_paths_addf(struct tl_paths *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts P by name (strcmp). */
void tl_paths_sort(struct tl_paths *p);
void tl_paths_free(struct tl_paths *p);

/* A program to build and run: a lab variant, or a user's file(s) for analyze. */
struct tl_target {
	char name[128];                /* "01-counter" or the analyzed path */
	const struct tl_lab *lab;      /* NULL for analyze */
	enum tl_variant variant;
	struct tl_paths src;           /* the program's sources */
	struct tl_paths test_src;      /* the tests' sources (none: no tests) */
	char include[4][TL_PATH];      /* extra -I directories */
	int ninclude;
	char outdir[TL_PATH];          /* build/<mode>/<name>/<variant> */
	char rundir[TL_PATH];          /* where runs' captured output and logs go: outdir, or when
					* grading a folder the program can never write */
	char bin_plain[TL_PATH], bin_tsan[TL_PATH], bin_test[TL_PATH];
	char bin_test_tsan[TL_PATH];   /* grading: the tests built for TSan too */
	int prebuilt;                  /* analyze -- PROG: the user built it; a build the program is
					* not has no binary ("") and its tools are skipped */
	char *const *args;             /* analyze -- PROG ARGS: the program's arguments, or NULL */
	int timeout_s;
	int runs;
	int werror;
	struct tl_result result[TL_TOOL_COUNT];
	double build_seconds;
	struct tl_judgement judged;    /* the judge's verdict (tl_judge_target) */
	int scan;                      /* grading: the anti-tamper scan's verdict (tl_tamper_scan's
					* result: 0 clean, 1 refused, -1 could not run) */
	char scan_why[1024];
};

/* Resource limits for a child (0: leave as is). Used when grading untrusted code. */
struct tl_limits {
	long long cpu_s;      /* RLIMIT_CPU */
	long long as_bytes;   /* RLIMIT_AS (not for TSan builds: their shadow memory is huge) */
	long long data_bytes; /* RLIMIT_DATA */
	long long nofile;     /* RLIMIT_NOFILE */
	long long nproc;      /* RLIMIT_NPROC (the kernel counts it per uid: see drop_gid) */
	int drop_gid;         /* when running as root and not 0: run as a uid of this run's own
			       * (TL_SANDBOX_UID_BASE + the child's pid) in group DROP_GID, so that
			       * RLIMIT_NPROC counts this run's processes only and one run's thread
			       * bomb cannot starve another's threads */
};

/* First uid of the range sandboxed runs use: a child with pid P runs as TL_SANDBOX_UID_BASE + P.
 * Live pids are unique, so two runs alive at once never share a uid; pid_max is at most 2^22. */
#define TL_SANDBOX_UID_BASE 1000000000u

/* Settings shared by every stage. */
struct tl_config {
	char root[TL_PATH];        /* the toolkit's top directory */
	char build[TL_PATH];       /* where artefacts go (default <root>/build) */
	int jobs;
	int tools;                 /* bit set over enum tl_tool */
	int timeout_s;             /* 0: the lab's own */
	int runs;                  /* 0: the lab's own */
	int verbose;
	int blocks;                /* text report: every bug's full block, not only its line (analyze,
				    * a chosen lab, --verbose) */
	int color;
	int werror;
	char tc_lib[TL_PATH];      /* libthreadcheck.so */
	char labs_root[TL_PATH];   /* the folder holding labs/: root, or a grading scratch copy */
	char out_root[TL_PATH];    /* where lab builds and runs go: <build>/labs, or the scratch */
	char run_root[TL_PATH];    /* grading: where the runs' output goes, out of the program's reach */
	/* Grading untrusted code (see sandbox.c): builds and runs are sandboxed and limited. */
	int grading;
	int sandbox;               /* bubblewrap and seccomp are in use */
	int unsafe_no_sandbox;     /* grade --unsafe-no-sandbox: run without them (reported) */
	int platform_container;    /* grade --sandbox platform-container: without them only when
				    * bubblewrap cannot start, the platform's container then being
				    * the sandbox (reported) */
	int canary;                /* link the liveness canaries (harness/canary) into every program
				    * and test, and require each tool to report them */
	char sandbox_note[512];    /* what protection the runs have, for the report */
	struct tl_limits limits;   /* for plain builds' runs and the tests */
	struct tl_limits tsan_limits;
	struct tl_limits build_limits;
};

/* Targets (target.c). Each fills T (memset first) and sets where its builds and runs go. */
/* LAB's variant V: student files from the variant's folder, everything else from the lab
 * folder, plus the shared code of labs/common (and the canaries when CFG->canary). Returns 0,
 * or -1 with ERR filled when a path of its build would not fit. */
int tl_target_lab(const struct tl_config *cfg, const struct tl_lab *lab, enum tl_variant v, struct tl_target *t,
		  char *err, size_t errlen);
/* A user's file (one program) or folder (its .c files: one program, and its test_*.c files
 * with the rest but main.c: the cmocka tests). Returns 0, or -1 with ERR filled. */
int tl_target_analyze(const struct tl_config *cfg, const char *path, struct tl_target *t, char *err, size_t errlen);
/* A program the user built, ARGV[0] with its arguments ARGV[1..] (NULL-terminated; kept, not
 * copied): analyze -- PROG ARGS. It must be a dynamically linked ELF executable, since
 * threadcheck comes in by LD_PRELOAD and Helgrind sees pthreads through its preloaded library.
 * It is its TSan build when it was built with -fsanitize=thread (it defines __tsan_init), and its
 * plain build otherwise: each tool runs the build tools.def names, so TSan runs only the first
 * and Helgrind and threadcheck only the second. Returns 0, or -1 with ERR filled. */
int tl_target_binary(const struct tl_config *cfg, char *const *argv, struct tl_target *t, char *err, size_t errlen);
/* Frees a malloc'd target, its findings and its source lists. T may be NULL. */
void tl_target_free(struct tl_target *t);

/* A NULL-terminated argv of malloc'd strings. Zero-initialise; free with tl_argv_clear. */
#define TL_ARGV_MAX 256
struct tl_argv {
	char *v[TL_ARGV_MAX];
	int n;
};
/* Appends a copy of S (aborts when full or out of memory). */
void tl_argv_push(struct tl_argv *a, const char *s);
void tl_argv_clear(struct tl_argv *a);

/* The builds of a target, each with its own compiler and flags. */
/* TL_BUILD_TEST_TSAN: the tests built for TSan too, when grading (TSan watches them). */
enum tl_build_kind { TL_BUILD_TSAN, TL_BUILD_PLAIN, TL_BUILD_TEST, TL_BUILD_TEST_TSAN, TL_BUILD_COUNT };
/* No build (tools.def: a tool that watches no tests). */
#define TL_BUILD_NONE TL_BUILD_COUNT
const char *tl_build_kind_name(enum tl_build_kind k);
/* Whether build K is of the lab's tests (there is none without test sources). */
int tl_build_is_tests(enum tl_build_kind k);
/* The binary build K of T makes. */
const char *tl_build_output(const struct tl_target *t, enum tl_build_kind k);
/* The C compiler of the TSan builds: $TL_TSAN_CC, or clang. */
const char *tl_tsan_cc(void);
/* Appends to A the compiler and every compile flag (defines and -I included) that the build
 * WHICH of T uses, without sources, outputs or link flags: the one definition that the builds
 * and the anti-tamper scan share, so that the scan checks what is built. */
void tl_build_compile_argv(const struct tl_target *t, enum tl_build_kind which, struct tl_argv *a);
/* Each source of T is compiled once per compiler (the TSan builds' and the others') into an
 * object that every build of T needing it links. Writes to OUT (LEN bytes) the object build
 * WHICH links for SRC, one of T's sources, and appends to A (when not NULL) the command that
 * makes it: tl_build_compile_argv's, then -c SRC -o OUT. Returns 0, or -1 when SRC is not one
 * of T's sources or the path does not fit. The anti-tamper scan makes the student's objects
 * with this command at this path, and tl_build_mark records them: the builds then link the
 * very objects the scan read. */
int tl_build_object(const struct tl_target *t, enum tl_build_kind which, const char *src, char *out, size_t len,
		    struct tl_argv *a);
/* Records that A made OUT (OUT.cmd), so that a build with the same command keeps OUT. */
void tl_build_mark(const char *out, const struct tl_argv *a);

/* Build: compiles what TOOLS need for T (tsan build, plain build, test program), skipping
 * outputs newer than their inputs with an identical command. Returns 0 when every needed
 * binary exists; on a compile error it records a build-error finding in the affected tools'
 * results and returns -1. */
int tl_build_target(const struct tl_config *cfg, struct tl_target *t, int tools);

/* Run: runs TOOL on T (up to t->runs times; with DEFLAKE it stops at the first run that
 * reports something) and fills t->result[tool]. Never fails: a tool error is recorded as
 * status TL_ST_ERROR with a note. Safe to call concurrently for different (t, tool) pairs. */
void tl_run_tool(const struct tl_config *cfg, struct tl_target *t, enum tl_tool tool, int deflake);

/* Whether TOOL can run on this machine (its programs are installed). */
int tl_tool_available(const struct tl_config *cfg, enum tl_tool tool, char *why, size_t whylen);

/* A channel the parent drains while a child runs: a pipe's or a FIFO's read end. What was
 * read is kept in BUF (malloc'd, NUL-terminated, at most MAX bytes; the rest is read and
 * dropped, and TRUNCATED set). Free BUF with free(). */
struct tl_drain {
	int fd;                   /* the read end (O_NONBLOCK); -1: unused */
	int hold_fd;              /* a FIFO's writer that the parent keeps open during the run, so
				   * that reads see "no data yet" rather than end of file; -1: none */
	size_t max;
	char *buf;
	size_t len;
	int truncated;
};
#define TL_SPAWN_MAX_DRAINS 2

/* Spawning one child with a time limit, in its own process group, output to files. */
struct tl_spawn {
	char *const *argv;
	char *const *envp;        /* NULL: inherit */
	const char *cwd;          /* NULL: inherit */
	const char *stdout_path;  /* created fresh by the parent (O_EXCL|O_NOFOLLOW after removing */
	const char *stderr_path;  /* an old one), never by the child; NULL or "/dev/null": discard */
	double timeout_s;
	long long max_output;     /* RLIMIT_FSIZE for the child */
	const struct tl_limits *limits; /* NULL: none */
	int pass_fd[2];           /* fds (O_CLOEXEC) the child inherits at the same numbers, closed in
				   * the parent once the child is started (or on failure); <= 2: none */
	struct tl_drain drain[TL_SPAWN_MAX_DRAINS]; /* channels read during the run (fd -1: unused) */
	int ndrain;
	/* results */
	int pid;                  /* the child's pid (also the program's, through exec chains) */
	int exited, exit_code, signaled, signo, timed_out;
	double seconds;
	char stacks_path[TL_PATH]; /* when set before the call, a timeout writes gdb stacks here */
};
/* Runs S->argv[0] and waits, draining S->drain[] meanwhile and after the child has ended
 * (until end of file, or 2 s). Returns 0 when the child was started (see the result fields),
 * or -1 with ERR filled when it could not be (then no output file was left open). On
 * timeout the whole group is killed. The drains' fds are closed on return. */
int tl_spawn_run(struct tl_spawn *s, char *err, size_t errlen);
/* Opens PATH for writing as a new file of the grader's own: an old file of that name is
 * removed first, and a name that reappears in between (or a link planted there) makes the
 * open fail rather than be followed. NULL and "/dev/null" discard. Returns the fd (O_CLOEXEC),
 * or -1 with errno set. */
int tl_open_fresh(const char *path);
/* Makes a FIFO at PATH (mode 0222, removing what was there) and opens it for draining into
 * D: its read end non-blocking, and a held writer. Returns 0, or -1 with errno set. */
int tl_drain_fifo(struct tl_drain *d, const char *path, size_t max);
/* Opens a pipe for draining into D; *WRITE_FD receives the write end (O_CLOEXEC: give it to
 * the child as tl_spawn.pass_fd). Returns 0, or -1 with errno set. */
int tl_drain_pipe(struct tl_drain *d, int *write_fd, size_t max);

/* The environment for a child: ours (when grading, the fixed one of tl_sandbox_env instead)
 * without any variable that configures a tool (TSAN_OPTIONS, LD_PRELOAD, VALGRIND_OPTS,
 * THREADCHECK_*, CMOCKA_*), plus EXTRA (NULL-terminated "K=V").
 * Aborts on allocation failure. Free with tl_env_free. */
char **tl_env_make(const char *const *extra);
void tl_env_free(char **env);

/* A bounded worker pool: jobs may submit further jobs; tl_pool_wait returns when the queue
 * is empty and no job runs. */
struct tl_pool;
typedef void (*tl_job_fn)(void *arg);
struct tl_pool *tl_pool_new(int workers);
void tl_pool_submit(struct tl_pool *p, tl_job_fn fn, void *arg);
void tl_pool_wait(struct tl_pool *p);
void tl_pool_free(struct tl_pool *p);

/* Judge: from every tool's findings of T, fills T->judged (the bugs, each with the tools that
 * saw it, and the reports set aside with their rule and reason), marks each dismissed finding
 * (tl_finding.dismissed) and sets each result's kept kinds. Call it once the runs are done and
 * before compare; calling it again judges afresh. Never fails. */
void tl_judge_target(struct tl_target *t);
/* Frees what tl_judge_target allocated in J (J may be zeroed). */
void tl_judgement_free(struct tl_judgement *j);
/* The report R of T. */
const struct tl_finding *tl_judge_ref(const struct tl_target *t, struct tl_ref r);

/* Compare: sets the verdict of each tool's result of T under MODE and, for a lab target in
 * selftest, compared/match/expected for each declared tool and, once T is judged, the judged
 * verdict's (T->judged.compared/match). Returns the number of results that differ from their
 * declaration (0 outside selftest). */
int tl_compare_target(struct tl_target *t, enum tl_mode mode);

/* Reporters: format and print, no logic. MODE names the command. */
void tl_report_text(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n);
void tl_report_json(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n);
void tl_report_tap(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		   size_t n);
void tl_report_html(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		    size_t n);

/* Sandbox profiles: what a sandboxed command is, which picks its seccomp filter (a column of
 * syscalls.def): the compilers and binutils, or one tool's runs of the student's program. */
enum tl_sb_profile { TL_SB_BUILD, TL_SB_TSAN, TL_SB_HELGRIND, TL_SB_THREADCHECK, TL_SB_TEST, TL_SB_COUNT };
const char *tl_sb_profile_name(enum tl_sb_profile p);
/* The profile of TOOL's runs (its descriptor's). */
enum tl_sb_profile tl_sb_profile_of(enum tl_tool tool);
/* Compiles profile P's filter from syscalls.def. Returns 0 with a malloc'd BPF program in *BPF
 * (*LEN bytes), or -1 with ERR filled and nothing allocated. */
int tl_seccomp_compile(enum tl_sb_profile p, unsigned char **bpf, size_t *len, char *err, size_t errlen);

/* Tools (tools.def, tools.c): one descriptor each, read by the build, run and sandbox stages. */
/* How a tool's report reaches the grader (run.c sets the channel up; see prepare_io there). */
enum tl_channel {
	TL_CH_PIPES,      /* two pipes it writes by descriptor: the report and its own messages */
	TL_CH_PID_LOG,    /* a log it names PREFIX.<pid of the program> for the prefix it is given */
	TL_CH_GROUP_FILE, /* a file named after the test group (cmocka's %g): known only when the
			   * canary's group ("threadlab") is in */
};
/* What a tool's command is made from, for one run. */
struct tl_tool_run {
	const char *binary; /* the program or test binary the run is of */
	const char *base;   /* where the tool writes its report: a path, or a path prefix */
	int fd[2];          /* TL_CH_PIPES: the write ends the child inherits (report, messages) */
	int tests;          /* the run is of the lab's tests */
	int setarch;        /* run under setarch -R (TSan's shadow and mmap randomisation) */
};
/* A run's command: ARGV (NULL-terminated) and the tool's variables EXTRA (NULL-terminated
 * "K=V"), with the storage they point into. */
struct tl_tool_cmd {
	char *argv[32];
	const char *extra[4];
	char buf[4][TL_PATH * 2 + 256];
};
/* What each tool does its own way. Hooks that a tool has no need of are NULL. */
struct tl_tool_hooks {
	const char *reporter;     /* the tool's name for people: "ThreadSanitizer" */
	int report_exit;          /* the exit status of a run it reported on (the canary ensures one) */
	int deadlock_exit;        /* 0, or the status it ends a run with on a deadlock, before it
				   * could report the canary */
	int exit_counts_failures; /* the exit status is the number of failures: any but 0 reports */
	enum tl_kind canary_kind; /* the kind of its report of the liveness canary; a test-fail
				   * canary is known by the test's name, the others by their place */
	const char *canary;       /* that report in words: "data race" */
	/* Whether it can run here; else 0 with WHY. */
	int (*available)(const struct tl_config *cfg, char *why, size_t whylen);
	/* Fills CMD for RUN. */
	void (*command)(const struct tl_config *cfg, const struct tl_tool_run *run, struct tl_tool_cmd *cmd);
	/* Its parser (see threadlab.h). */
	int (*parse)(const char *text, size_t len, struct tl_findings *out, char *err, size_t errlen);
	/* The number of test cases in its report TEXT (NULL: it runs no tests). */
	int (*count_cases)(const char *text, size_t len);
	/* Whether the run S, with stderr in ERRPATH and report TEXT (LEN bytes), failed on the
	 * tool's side (it could not start, or gave up): then 1 with NOTE filled. */
	int (*failed)(const struct tl_spawn *s, const char *errpath, const char *text, size_t len, char *note,
		      size_t notelen);
	/* Whether the run hit a clash that a rerun under setarch -R avoids. */
	int (*mapping_clash)(const char *errpath, const char *text);
};
/* One tool: its row of tools.def. */
struct tl_tool_ops {
	const char *name;
	enum tl_build_kind build;       /* the build its runs use */
	enum tl_build_kind tests_build; /* grading: the build of the tests it watches, or TL_BUILD_NONE */
	int time_factor;                /* its runs may take this many times a lab's timeout */
	enum tl_channel channel;
	enum tl_sb_profile profile;     /* its runs' sandbox profile */
	const struct tl_tool_hooks *hooks;
};
/* TOOL's descriptor. TOOL must be valid; anything else aborts. */
const struct tl_tool_ops *tl_tool(enum tl_tool tool);

/* Sandbox: decides, for grading, how builds and runs of untrusted code are confined
 * (bubblewrap with an allowlisted view and each profile's seccomp filter, an unprivileged uid
 * when we are root, rlimits always) and fills CFG's limits, sandbox and sandbox_note. It fails
 * closed: returns 0 when bubblewrap runs here with every profile's filter in force (probed:
 * a symlink must be refused), or when CFG->unsafe_no_sandbox is set (no sandbox, and the
 * note says UNSAFE), or when bubblewrap cannot start and CFG->platform_container is set (no
 * sandbox of ours: the note names the platform's container and why bubblewrap failed); else
 * -1 with ERR naming what is missing. Either way, from then on
 * tl_env_make starts from the fixed environment of graded runs (tl_sandbox_env). */
int tl_sandbox_init(struct tl_config *cfg, char *err, size_t errlen);
/* The fixed environment of graded runs (PATH=/usr/bin:/bin, LANG=C, HOME naming no folder),
 * or NULL before tl_sandbox_init. */
const char *const *tl_sandbox_env(void);
/* Returns a malloc'd argv that runs ARGV under profile P's filter, seeing only the system, the
 * toolkit parts builds and runs read, and WRITABLE (NULL: nothing) writable besides a private
 * /tmp, where it starts (so every path ARGV names must be absolute); or a plain copy when no
 * sandbox is in use. Free with tl_argv_free. */
char **tl_sandbox_wrap(const struct tl_config *cfg, enum tl_sb_profile p, const char *writable, char *const *argv);
void tl_argv_free(char **argv);
/* Where a sandboxed command runs: under profile P's filter, with WRITABLE (NULL: nothing)
 * writable, and each of the NULL-terminated READONLY paths (NULL: none; a program's binaries,
 * its report FIFOs) shown read-only. */
struct tl_jail {
	enum tl_sb_profile profile;
	const char *writable;
	const char *const *readonly;
};
/* Runs ARGV as S describes (S's argv and envp are set here, and NULL again on return), in the
 * environment tl_env_make(EXTRA) and, when JAIL is not NULL, in the sandbox JAIL describes (a
 * plain run when no sandbox is in use, as tl_sandbox_wrap). Returns tl_spawn_run's result. */
int tl_spawn_jailed(const struct tl_config *cfg, const struct tl_jail *jail, char *const *argv,
		    const char *const *extra, struct tl_spawn *s, char *err, size_t errlen);
/* In a spawned child between fork and exec (async-signal-safe): when ARGV is a wrap's, puts its
 * profile's filter on the descriptor its --seccomp names, where bubblewrap reads it. Returns 0
 * (also for any other ARGV), or -1 when the child must not exec. */
int tl_sandbox_child_fds(char *const *argv);
/* Makes DIR writable by the sandboxed user. Returns 0 or -1. */
int tl_sandbox_prepare_dir(const struct tl_config *cfg, const char *dir);

/* Grading. A lab's rubric is derived, not kept by hand (rubric.c): the checks that fail on the
 * handout and pass on a correct fix earn the lab's points; the checks that already pass on the
 * handout are gates, which earn nothing and cost points when a submission fails them. */
enum tl_check_kind {
#define X(e, name, what) TL_CHECK_##e,
#include "items.def"
#undef X
	TL_CHECK_COUNT
};
const char *tl_check_kind_name(enum tl_check_kind k);
const char *tl_check_kind_what(enum tl_check_kind k);

/* The recorded run of a lab's handout (record.c): labs/NN-slug/handout.record, written by
 * `threadlab record`, read by grade, labs and selftest. */
#define TL_RECORD_FAILS 32
struct tl_record {
	char digest[17];                /* of the lab's files when it was recorded (tl_record_digest) */
	int runs;                       /* how many times each tool ran on the handout */
	int tests;                      /* test cases in one run of the lab's tests */
	char fail[TL_RECORD_FAILS][64]; /* the test cases that failed on the handout, sorted */
	int nfail;
	char tool[TL_TOOL_COUNT][128];  /* what each tool reported over the runs: kind names or "clean" */
};
/* Hashes the files the handout of LAB is judged with: every file of its folder but README.md,
 * handout.record and the student's files, and labs/common's .c and .h files. Fills HEX (16 digits).
 * Returns 0, or -1 with ERR filled. */
int tl_record_digest(const struct tl_lab *lab, char hex[17], char *err, size_t errlen);
/* Reads LAB's handout.record into REC and checks that it is current: its digest is the lab's
 * and its tools' verdicts are lab.decl's buggy ones. Returns 0, or -1 with ERR saying what is
 * wrong and naming the command that refreshes it. */
int tl_record_load(const struct tl_lab *lab, struct tl_record *rec, char *err, size_t errlen);
/* Record and selftest: for each buggy lab target of TARGETS (N) that ran, makes its record
 * from the runs and, with WRITE, checks it against lab.decl and saves it; else compares it with
 * the saved one. Says what differs on stderr. Returns the number of labs that failed. */
int tl_record_update(struct tl_target *const *targets, size_t n, int write);

/* Points, per lab scope ("default" or a lab's slug): strict like lab.decl. */
enum tl_rubric_key { TL_RK_POINTS, TL_RK_DETECTORS, TL_RK_TESTS, TL_RK_EXPLORE, TL_RK_GATE, TL_RK_COUNT };
#define TL_RUBRIC_MAX 128
struct tl_rubric {
	double def[TL_RK_COUNT];
	struct {
		char slug[64];
		enum tl_rubric_key key;
		double value;
	} over[TL_RUBRIC_MAX];
	int nover;
};
/* Loads PATH (NULL: the built-in defaults only). Returns 0 or -1 with "file:line: reason" in ERR. */
int tl_rubric_load(const char *path, struct tl_rubric *r, char *err, size_t errlen);
double tl_rubric_value(const struct tl_rubric *r, const char *slug, enum tl_rubric_key key);

/* One check of a lab's rubric. */
struct tl_check {
	enum tl_check_kind kind;
	enum tl_tool tool;  /* TOOL: the detector; TEST and TESTS: the test tool */
	char name[80];      /* unique in the lab: "tsan", "test:NAME", "tests" */
	char test[64];      /* TEST: the test case */
	int gate;           /* passes on the handout: earns nothing, costs POINTS when failed */
	double points;      /* earning: what it earns; gate: what failing it costs */
	tl_kindset handout; /* TOOL: what the tool reports on the handout (lab.decl buggy) */
	tl_kindset want;    /* TOOL: what it reports on a fix (lab.decl fixed) */
	int covers;         /* TESTS: how many test cases it stands for (0: unknown) */
	int schedules;      /* EXPLORE: the schedules the program must survive (lab.decl explore:) */
};
#define TL_CHECKS_MAX 40
struct tl_lab_rubric {
	struct tl_check check[TL_CHECKS_MAX];
	int n;
	double max; /* the sum of the earning checks' points */
};
/* Derives LAB's rubric from its declaration and its recorded handout run REC, with R's points.
 * Returns 0, or -1 with ERR filled (nothing on the handout differs from a fix, too many checks). */
int tl_rubric_derive(const struct tl_rubric *r, const struct tl_lab *lab, const struct tl_record *rec,
		     struct tl_lab_rubric *out, char *err, size_t errlen);
/* Loads LAB's record and derives its rubric into OUT (tl_record_load, tl_rubric_derive). */
int tl_rubric_for_lab(const struct tl_rubric *r, const struct tl_lab *lab, struct tl_lab_rubric *out, char *err,
		      size_t errlen);

/* Prints the Markdown table of every lab's checks (threadlab labs): what earns and its points,
 * and the gates. Returns 0, or -1 when a lab's rubric could not be derived (said on stderr). */
int tl_grade_items_table(FILE *out, const struct tl_lab *labs, size_t n);

/* What became of one check. */
enum tl_outcome {
	TL_OUT_EARNED, /* an earning check passed */
	TL_OUT_LOST,   /* an earning check failed */
	TL_OUT_HELD,   /* a gate passed: listed, no points */
	TL_OUT_BROKEN, /* a gate failed: its cost taken from what the lab earned */
};
const char *tl_outcome_name(enum tl_outcome o);

struct tl_grade_item {
	struct tl_check check;
	enum tl_outcome outcome;
	double points, max; /* earned and earnable; a broken gate: minus what it took, and 0 */
	char feedback[2048]; /* what failed, where (file:line), which lesson; or that a gate held */
};

struct tl_grade_lab {
	const struct tl_lab *lab;
	struct tl_target *target;   /* the student's code, run K times under every tool */
	int submitted;              /* how many of the lab's student files the submission had */
	int tampered;
	char note[1024];            /* intake or tamper message */
	struct tl_lab_rubric rubric; /* derived from the toolkit's lab before grading */
	struct tl_grade_item item[TL_CHECKS_MAX];
	int nitem;
	double points, max;
	/* The EXPLORE check's run (tl_explore_program on the submission's program): whether it came
	 * to a verdict (0: not run, or it could not run), whether a schedule failed, and what it
	 * said, with the failing schedule's replay command. */
	int explored, explore_failed;
	char explore_what[1536];
};

struct tl_grade {
	char submission[TL_PATH];
	char sandbox[512];
	int unsafe;                 /* graded with --unsafe-no-sandbox: every format says so */
	int runs;
	struct tl_grade_lab *labs;
	size_t n;
	double points, max;
	double seconds;
};

/* Intake: copies the toolkit's labs/ to SCRATCH/labs (pristine) and, for each lab, the
 * student-owned files found in SUBMISSION (a folder, a git repository or a tarball) over it.
 * Only regular files of at most 1 MiB are taken. Fills submitted/note of each G->labs[i]
 * (whose lab points at LABS). Returns 0, or -1 with ERR when the submission cannot be read
 * at all. */
int tl_submission_intake(const struct tl_config *cfg, const char *submission, const char *scratch,
			 struct tl_grade *g, char *err, size_t errlen);

/* Anti-tamper (tamper*.c): checks the student files of T's lab as every build compiles them
 * (tl_build_compile_argv), on the file as written, on each build's preprocessed text and object,
 * and on clang's syntax tree: line directives, includes outside the lab, tool hooks, inline
 * assembly, compiler-dependent conditions, imports off the allowlist (imports.def), definitions of
 * what linked libraries export, function addresses turned into data. Returns 0 when clean, 1 when
 * refused (WHY says what and where), -1 when the check itself could not run (WHY says why). */
int tl_tamper_scan(const struct tl_config *cfg, const struct tl_target *t, char *why, size_t whylen);

/* Scores one lab from its target's results and its derived rubric (GL->rubric): every check's
 * outcome and feedback, and the lab's points (what the earning checks earned, less what the
 * broken gates cost, never below 0). */
void tl_grade_score(struct tl_grade_lab *gl);

/* Grade printers (report_grade.c), one per grade format of formats.def. */
void tl_grade_text(FILE *out, const struct tl_grade *g);
void tl_grade_json(FILE *out, const struct tl_grade *g);
void tl_grade_tap(FILE *out, const struct tl_grade *g);
void tl_grade_gradescope(FILE *out, const struct tl_grade *g);
void tl_grade_junit(FILE *out, const struct tl_grade *g);
void tl_grade_sarif(FILE *out, const struct tl_grade *g);
void tl_grade_github(FILE *out, const struct tl_grade *g);
/* Course platforms' result files (report_platform.c): PrairieLearn's external grader
 * results.json, and Classroom 50's result/v1 without the fields its runner knows (identity,
 * links, dates), which the bundle's autograder.py adds. */
void tl_grade_prairielearn(FILE *out, const struct tl_grade *g);
void tl_grade_classroom50(FILE *out, const struct tl_grade *g);

/* threadlab export PLATFORM ... (export.c): writes a course platform's autograder bundle.
 * Returns the exit status (0 written, 2 usage or error, said on stderr). */
int tl_export_main(int argc, char **argv);
/* Prints G in the grade format named FORMAT (one whose grade printer formats.def names;
 * anything else aborts). */
void tl_report_grade(FILE *out, const char *format, const struct tl_grade *g);

/* What a lab target is, as its reader knows it: `check` runs the student's own code in labs/
 * (the handout until it is changed), selftest the handout; both, the solution. "" for a target
 * that is not a lab. */
const char *tl_target_role(const struct tl_target *t, enum tl_mode mode);

/* Walks the findings of a target that the judge kept (tl_finding.dismissed NULL), tool by tool
 * in tools.def's order: start from a zeroed cursor; tl_next_kept returns NULL after the last.
 * What the printers show as a student's errors, so that a report the judge set aside, which
 * costs no points, is not shown as one. */
struct tl_kept_cursor {
	int tool;
	size_t index;
};
const struct tl_finding *tl_next_kept(const struct tl_target *t, struct tl_kept_cursor *c);

/* Output formats (formats.def, report.c). */
enum tl_format {
#define X(e, name, report, grade) TL_FORMAT_##e,
#include "formats.def"
#undef X
	TL_FORMAT_COUNT
};
struct tl_format_ops {
	const char *name;
	/* The printer of check, selftest and analyze, or NULL. */
	void (*report)(FILE *out, const struct tl_config *cfg, enum tl_mode mode, struct tl_target *const *targets,
		       size_t n);
	/* The printer of grade, or NULL. */
	void (*grade)(FILE *out, const struct tl_grade *g);
};
/* Looks NAME up in formats.def. Returns the format, or -1 when NAME is not one. */
int tl_format_from_name(const char *name);
/* F's row. F must be valid; anything else aborts. */
const struct tl_format_ops *tl_format(enum tl_format f);

/* Explanations of finding kinds (threadlab explain KIND). tl_explain prints the whole text,
 * or returns -1 naming the known kinds on stderr when KIND is not one. */
int tl_explain(FILE *out, const char *kind);
/* threadlab explore (explore.c): ARGV[1] is "explore". Returns a TL_EXIT_* status. */
int tl_explore_main(int argc, char **argv);
/* Explores the built program PROG as threadlab explore does: the default schedule, then up to
 * SCHEDULES more, the first half PCT's (depth 3, seeds from 1) and the rest a random walk's
 * (the seeds that follow), each run limited to TIMEOUT_S, in CFG's sandbox
 * when it has one, with the liveness canary when CFG has it. Returns 1 when a schedule failed,
 * 0 when every one passed, -1 when PROG could not be run; WHAT says which (with the replay
 * command of a failure, naming REPLAY_PATH, a lab folder, when it is not NULL, else PROG). */
int tl_explore_program(const struct tl_config *cfg, const char *prog, const char *replay_path, long schedules,
		       int timeout_s, char *what, size_t whatlen);
/* selftest: every target of a lab that declares `explore: N` must fail within N schedules
 * (buggy) or survive them (fixed). Prints one line per such target on stderr; returns how many
 * are not as declared. */
int tl_explore_selftest(const struct tl_config *cfg, struct tl_target *const *targets, size_t n);
const char *tl_explain_short(enum tl_kind k);
const char *tl_explain_tools(enum tl_kind k);

/* A few source lines around a site. */
#define TL_EXCERPT_MAX 9
struct tl_excerpt {
	int first;  /* line number of text[0] */
	int mark;   /* the finding's line */
	int count;
	char text[TL_EXCERPT_MAX][160];
};
/* Reads lines LINE-CONTEXT .. LINE+CONTEXT of FILE. Returns 0, or -1 when the file or the line
 * is not there (X is then empty). */
int tl_source_excerpt(const char *file, int line, int context, struct tl_excerpt *x);

/* Escaping for the reporters: a JSON string with its quotes; XML (or, with HTML set, HTML text
 * with tabs expanded). Non-ASCII bytes become '?'. */
void tl_put_json(FILE *out, const char *s);
void tl_put_xml(FILE *out, const char *s, int html);

/* Names files as the user knows them: removes every "DIR/" from S (tl_strip_dir), or from a
 * finding's two sites and its message (tl_finding_strip_dir). */
void tl_strip_dir(char *s, const char *dir);
void tl_finding_strip_dir(struct tl_finding *f, const char *dir);

/* Liveness canaries (canary.c): removes from RUN the findings that are TOOL's report of the
 * canary planted in every graded run, and returns how many there were. */
int tl_canary_take(enum tl_tool tool, struct tl_findings *run);

/* Small helpers shared by stages (util.c). */
/* Makes PATH and the folders above it (mode 0777 less the umask). Returns 0, or -1 with errno. */
int tl_mkdirs(const char *path);
/* Seconds on the monotonic clock. */
double tl_now(void);
/* Whether S ends with SUFFIX. */
int tl_has_suffix(const char *s, const char *suffix);
/* Formats a path into BUF (LEN > 0 bytes). Returns 0, or -1 with errno ENAMETOOLONG when it
 * does not fit (BUF is then ""): a path cut short would name another file. Messages, which may
 * be cut, are formatted with tl__errf. */
int tl_pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether PROG is an executable file in a folder of $PATH (or /usr/bin:/bin without one). */
int tl_on_path(const char *prog);

#endif

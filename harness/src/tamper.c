/* tamper.c: refuses student code that tries to switch the detectors off or reach outside its lab. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stages.h"

/* Identifiers a lab's student code has no business using: they switch detectors off, fake
 * their verdicts, or escape the run. Matched on whole identifiers of the student's own lines
 * after preprocessing, so macros and token pasting cannot hide them. A prefix entry ends in '*'. */
static const struct {
	const char *name;
	const char *why;
	int call; /* 1: only as a call, name followed by '(' (a field may be called "open") */
} forbidden[] = {
	{"__tsan_*", "calls into ThreadSanitizer's runtime", 0},
	{"__sanitizer_*", "defines or calls sanitizer hooks", 0},
	{"__asan_*", "calls into a sanitizer runtime", 0},
	{"__lsan_*", "calls into a sanitizer runtime", 0},
	{"__ubsan_*", "calls into a sanitizer runtime", 0},
	{"__msan_*", "calls into a sanitizer runtime", 0},
	{"__interceptor_*", "touches sanitizer interceptors", 0},
	{"*_default_options", "sets sanitizer options from the program", 0},
	{"*_default_suppressions", "suppresses sanitizer reports from the program", 0},
	{"no_sanitize", "turns sanitizer instrumentation off (no_sanitize attribute)", 0},
	{"no_sanitize_thread", "turns ThreadSanitizer off (no_sanitize_thread attribute)", 0},
	{"__no_sanitize_thread__", "turns ThreadSanitizer off", 0},
	{"disable_sanitizer_instrumentation", "turns sanitizer instrumentation off", 0},
	{"asm", "uses inline assembly (how Valgrind client requests are made)", 0},
	{"__asm", "uses inline assembly (how Valgrind client requests are made)", 0},
	{"__asm__", "uses inline assembly (how Valgrind client requests are made)", 0},
	{"Annotate*", "uses race-detector annotations", 0},
	{"AnnotateHappensBefore", "uses race-detector annotations", 0},
	{"dlsym", "looks up symbols at run time (interposition)", 1},
	{"dlvsym", "looks up symbols at run time (interposition)", 1},
	{"dlopen", "loads code at run time", 1},
	{"setenv", "changes the environment the tools read", 1},
	{"putenv", "changes the environment the tools read", 1},
	{"unsetenv", "changes the environment the tools read", 1},
	{"clearenv", "changes the environment the tools read", 1},
	{"environ", "changes the environment the tools read", 0},
	{"__environ", "changes the environment the tools read", 0},
	{"fork", "starts processes", 1},
	{"vfork", "starts processes", 1},
	{"execv", "starts programs", 1},
	{"execve", "starts programs", 1},
	{"execvp", "starts programs", 1},
	{"execl", "starts programs", 1},
	{"execlp", "starts programs", 1},
	{"system", "starts programs", 1},
	{"popen", "starts programs", 1},
	{"posix_spawn", "starts programs", 1},
	{"posix_spawnp", "starts programs", 1},
	{"syscall", "makes raw system calls", 1},
	{"ptrace", "traces processes", 1},
	{"prctl", "changes process attributes", 1},
	{"personality", "changes process attributes", 1},
	{"fopen", "opens files (lab code works in memory only)", 1},
	{"freopen", "opens files (lab code works in memory only)", 1},
	{"open", "opens files (lab code works in memory only)", 1},
	{"openat", "opens files (lab code works in memory only)", 1},
	{"creat", "creates files", 1},
	{"unlink", "deletes files", 1},
	{"remove", "deletes files", 1},
	{"rename", "renames files", 1},
	{"chmod", "changes file modes", 1},
	{"truncate", "truncates files", 1},
	{"exit", "ends the process before the tests can report", 1},
	{"_exit", "ends the process before the tests can report", 1},
	{"_Exit", "ends the process before the tests can report", 1},
	{"quick_exit", "ends the process before the tests can report", 1},
	{"program_invocation_name", "asks which program runs it (to behave differently under a tool)", 0},
	{"program_invocation_short_name", "asks which program runs it (to behave differently under a tool)", 0},
	{"__progname", "asks which program runs it (to behave differently under a tool)", 0},
	{"getauxval", "asks which program runs it (to behave differently under a tool)", 1},
	{"readlink", "reads links such as /proc/self/exe (to behave differently under a tool)", 1},
	{"getenv", "reads the environment the tools set (to behave differently under a tool)", 1},
	{"dl_iterate_phdr", "lists the loaded libraries (to behave differently under a tool)", 1},
};

/* Environment variables whose names in a string literal betray an attempt to reconfigure a
 * tool. */
static const char *const tool_env[] = {"TSAN_OPTIONS", "VALGRIND_OPTS", "LD_PRELOAD", "THREADCHECK",
				       "CMOCKA_", "ASAN_OPTIONS"};

/* Symbols the student's object may not define: defining them interposes the threading or
 * allocation functions the tools watch, or replaces the tools' hooks. */
static const char *const no_define[] = {"pthread_*", "sem_*", "__pthread*", "__tsan*", "__sanitizer*",
					"__interceptor*", "*_default_options", "malloc", "free", "calloc",
					"realloc", "exit", "_exit", "abort", "dlsym", "main"};

/* Functions the student's object may not import, beyond the names above: other ways into
 * the same calls. The source scan sees names only where they are called by name; a function
 * pointer (`f = fork; f();`) or `#pragma redefine_extname` gets past it, but not past the list
 * of symbols the compiled object uses. */
static const char *const no_import[] = {"_Fork", "clone", "__clone", "clone3", "execle", "execvpe", "fexecve",
					"fopen64", "freopen64", "open64", "openat64", "__open_2", "__open64_2",
					"__openat_2", "__openat64_2", "creat64", "unlinkat", "renameat", "renameat2",
					"fchmod", "fchmodat", "truncate64", "daemon", "secure_getenv"};

static int match(const char *pattern, const char *name)
{
	size_t p = strlen(pattern);
	if (pattern[p - 1] == '*')
		return strncmp(pattern, name, p - 1) == 0;
	if (pattern[0] == '*')
		return strlen(name) >= p - 1 && strcmp(name + strlen(name) - (p - 1), pattern + 1) == 0;
	return strcmp(pattern, name) == 0;
}

static int run_tool(const struct tl_config *cfg, const struct tl_target *t, char *const *argv,
		    const char *out, const char *errpath)
{
	static const char *const none[] = {NULL};
	char **env = tl_env_make(none);
	char **confined = cfg->grading ? tl_sandbox_wrap(cfg, TL_SB_BUILD, t->outdir, argv) : NULL;
	struct tl_spawn s = {0};
	s.argv = confined != NULL ? confined : argv;
	s.envp = env;
	s.stdout_path = out;
	s.stderr_path = errpath;
	s.timeout_s = 120;
	s.max_output = 64 << 20;
	if (cfg->grading)
		s.limits = &cfg->build_limits;
	char e[256];
	int rc = tl_spawn_run(&s, e, sizeof e);
	tl_env_free(env);
	tl_argv_free(confined);
	return rc == 0 && s.exited ? s.exit_code : -1;
}

/* Whether FILE (from a preprocessor line marker) is one a lab may include: the lab's own
 * folder, the shared lab code, threadcheck's test API, or the system's headers. */
static int allowed_include(const struct tl_target *t, const char *file)
{
	static const char *const system[] = {"/usr/include/", "/usr/lib/gcc/", "/usr/lib/llvm",
					     "/usr/local/include/", "<built-in>", "<command-line>"};
	for (size_t i = 0; i < sizeof system / sizeof system[0]; i++)
		if (strncmp(file, system[i], strlen(system[i])) == 0)
			return 1;
	for (int i = 0; i < t->ninclude; i++) {
		size_t n = strlen(t->include[i]);
		if (strncmp(file, t->include[i], n) == 0 && file[n] == '/' && strstr(file + n, "/..") == NULL &&
		    strchr(file + n + 1, '/') == NULL)
			return 1;
	}
	return 0;
}

/* Scans the preprocessed text of STUDENT (whose path is SRC). Returns 1 with WHY on the first
 * forbidden thing, else 0. */
static int scan_preprocessed(const struct tl_target *t, const char *src, const char *text, char *why,
			     size_t whylen)
{
	const char *base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
	int own = 0, line = 0;
	char current[TL_PATH] = "";
	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (p[0] == '#' && p[1] == ' ' && isdigit((unsigned char)p[2])) {
			/* # LINE "FILE" FLAGS: which file the following lines come from. */
			line = atoi(p + 2) - 1;
			const char *q1 = memchr(p, '"', len), *q2 = q1 != NULL ? memchr(q1 + 1, '"', len - (size_t)(q1 + 1 - p)) : NULL;
			if (q1 != NULL && q2 != NULL && (size_t)(q2 - q1 - 1) < sizeof current) {
				memcpy(current, q1 + 1, (size_t)(q2 - q1 - 1));
				current[q2 - q1 - 1] = '\0';
				own = strcmp(current, src) == 0;
				if (!own && !allowed_include(t, current)) {
					snprintf(why, whylen, "%s includes %s, outside what a lab may use", base, current);
					return 1;
				}
			}
		} else {
			line++;
			if (own) {
				/* Identifiers and string contents of the student's own lines. */
				for (size_t i = 0; i < len;) {
					if (isalpha((unsigned char)p[i]) || p[i] == '_') {
						size_t j = i;
						while (j < len && (isalnum((unsigned char)p[j]) || p[j] == '_'))
							j++;
						char id[128];
						size_t n = j - i < sizeof id ? j - i : sizeof id - 1;
						memcpy(id, p + i, n);
						id[n] = '\0';
						size_t after = j;
						while (after < len && (p[after] == ' ' || p[after] == '\t'))
							after++;
						int called = after < len && p[after] == '(';
						for (size_t k = 0; k < sizeof forbidden / sizeof forbidden[0]; k++) {
							if (match(forbidden[k].name, id) && (called || !forbidden[k].call)) {
								snprintf(why, whylen, "%s:%d uses '%s': it %s", base, line, id,
									 forbidden[k].why);
								return 1;
							}
						}
						i = j;
					} else if (p[i] == '"') {
						size_t j = i + 1;
						while (j < len && p[j] != '"')
							j += p[j] == '\\' ? 2 : 1;
						for (size_t k = 0; k < sizeof tool_env / sizeof tool_env[0]; k++) {
							const char *hit = memmem(p + i, j - i, tool_env[k], strlen(tool_env[k]));
							if (hit != NULL) {
								snprintf(why, whylen, "%s:%d names %s: it reconfigures a tool", base,
									 line, tool_env[k]);
								return 1;
							}
						}
						i = j + 1;
					} else {
						i++;
					}
				}
			}
		}
		p = end != NULL ? end + 1 : p + len;
	}
	return 0;
}

int tl_tamper_scan(const struct tl_config *cfg, const struct tl_target *t, char *why, size_t whylen)
{
	const struct tl_lab *lab = t->lab;
	for (int f = 0; f < lab->nstudent; f++) {
		char src[TL_PATH * 2], pre[TL_PATH + 64], obj[TL_PATH + 64], err[TL_PATH + 64], syms[TL_PATH + 64];
		snprintf(src, sizeof src, "%s/%s", lab->dir, lab->student[f]);
		snprintf(pre, sizeof pre, "%s/student.%d.i", t->outdir, f);
		snprintf(obj, sizeof obj, "%s/student.%d.o", t->outdir, f);
		snprintf(err, sizeof err, "%s/student.%d.err", t->outdir, f);
		snprintf(syms, sizeof syms, "%s/student.%d.syms", t->outdir, f);
		char *argv[32];
		int a = 0;
		argv[a++] = "gcc";
		argv[a++] = "-std=c11";
		argv[a++] = "-D_GNU_SOURCE";
		argv[a++] = "-pthread";
		char incs[4][TL_PATH + 4];
		for (int i = 0; i < t->ninclude && i < 4; i++) {
			snprintf(incs[i], sizeof incs[i], "-I%s", t->include[i]);
			argv[a++] = incs[i];
		}
		argv[a++] = "-E";
		argv[a++] = src;
		argv[a] = NULL;
		int rc = run_tool(cfg, t, argv, pre, err);
		if (rc != 0)
			continue; /* it does not even preprocess: the build reports that */
		size_t len = 0;
		int tr = 0;
		char *text = tl_read_file(pre, 64 << 20, &len, &tr);
		if (text == NULL) {
			snprintf(why, whylen, "cannot read the preprocessed %s (%s)", lab->student[f], pre);
			return -1;
		}
		int bad = scan_preprocessed(t, src, text, why, whylen);
		free(text);
		if (bad)
			return 1;
		/* Compiled on its own, the object must not define what the tools interpose. */
		argv[a - 2] = "-c";
		argv[a - 1] = src;
		argv[a++] = "-o";
		argv[a++] = obj;
		argv[a] = NULL;
		if (run_tool(cfg, t, argv, "/dev/null", err) != 0)
			continue;
		char *nm[] = {"nm", "-g", "--defined-only", obj, NULL};
		int nrc = run_tool(cfg, t, nm, syms, err);
		if (nrc != 0) {
			snprintf(why, whylen, "nm --defined-only %s failed (status %d; see %s)", obj, nrc, err);
			return -1;
		}
		text = tl_read_file(syms, 1 << 20, &len, &tr);
		if (text == NULL) {
			snprintf(why, whylen, "cannot read %s", syms);
			return -1;
		}
		for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
			char *name = strrchr(l, ' ');
			name = name != NULL ? name + 1 : l;
			for (size_t k = 0; k < sizeof no_define / sizeof no_define[0]; k++) {
				/* main belongs to the lab's driver, never to the student's file. */
				if (match(no_define[k], name)) {
					snprintf(why, whylen, "%s defines %s(), which replaces a function the tools watch",
						 lab->student[f], name);
					free(text);
					return 1;
				}
			}
		}
		free(text);
		/* Nor import what the source may not call, however the call was spelt. */
		char *nmu[] = {"nm", "-u", obj, NULL};
		nrc = run_tool(cfg, t, nmu, syms, err);
		if (nrc != 0) {
			snprintf(why, whylen, "nm -u %s failed (status %d; see %s)", obj, nrc, err);
			return -1;
		}
		text = tl_read_file(syms, 1 << 20, &len, &tr);
		if (text == NULL) {
			snprintf(why, whylen, "cannot read %s", syms);
			return -1;
		}
		int bad_import = 0;
		for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && !bad_import;
		     l = strtok_r(NULL, "\n", &save)) {
			char *name = strrchr(l, ' ');
			name = name != NULL ? name + 1 : l;
			char *version = strchr(name, '@');
			if (version != NULL)
				*version = '\0';
			for (size_t k = 0; k < sizeof forbidden / sizeof forbidden[0] && !bad_import; k++) {
				if (match(forbidden[k].name, name)) {
					snprintf(why, whylen, "%s uses %s (called by pointer or under another name): it %s",
						 lab->student[f], name, forbidden[k].why);
					bad_import = 1;
				}
			}
			for (size_t k = 0; k < sizeof no_import / sizeof no_import[0] && !bad_import; k++) {
				if (strcmp(no_import[k], name) == 0) {
					snprintf(why, whylen, "%s uses %s: lab code may not start processes, touch files or read the environment",
						 lab->student[f], name);
					bad_import = 1;
				}
			}
		}
		free(text);
		if (bad_import)
			return 1;
	}
	return 0;
}

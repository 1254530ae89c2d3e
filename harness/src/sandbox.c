/* sandbox.c: how untrusted (graded) code is confined: bubblewrap, an unprivileged uid, rlimits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

/* The group of the unprivileged uids graded code runs as when threadlab runs as root
 * ("nogroup"); each run gets a uid of its own (see struct tl_limits). */
#define SANDBOX_GID 65534

static int bwrap_works(const struct tl_config *cfg)
{
	char *argv[] = {"true", NULL};
	char **wrapped = NULL;
	struct tl_config probe = *cfg;
	probe.sandbox = 1;
	wrapped = tl_sandbox_wrap(&probe, "/tmp", argv);
	struct tl_spawn s = {0};
	s.argv = wrapped;
	s.stdout_path = "/dev/null";
	s.stderr_path = "/dev/null";
	s.timeout_s = 20;
	s.limits = &cfg->limits;
	char err[256];
	int ok = tl_spawn_run(&s, err, sizeof err) == 0 && s.exited && s.exit_code == 0;
	tl_argv_free(wrapped);
	return ok;
}

/* Whether every folder above PATH lets others through (o+x), so the unprivileged user can
 * reach the toolkit's files. */
static int reachable_by_others(const char *path)
{
	char buf[TL_PATH];
	tl_strlcpy(buf, path, sizeof buf);
	for (;;) {
		struct stat st;
		if (stat(buf, &st) != 0 || !(st.st_mode & S_IXOTH))
			return 0;
		char *slash = strrchr(buf, '/');
		if (slash == NULL || slash == buf)
			return 1;
		*slash = '\0';
	}
}

void tl_sandbox_init(struct tl_config *cfg)
{
	struct tl_limits run = {0};
	run.cpu_s = 120;
	run.as_bytes = 8LL << 30;
	run.nofile = 256;
	run.nproc = 1024;
	int root = geteuid() == 0;
	int drop = root && reachable_by_others(cfg->root) && reachable_by_others(cfg->build);
	run.drop_gid = drop ? SANDBOX_GID : 0;
	cfg->limits = run;
	/* TSan maps terabytes of shadow memory at start-up, which RLIMIT_AS and RLIMIT_DATA both
	 * count, so a TSan run gets no memory limit (the other tools' runs of the same code do). */
	cfg->tsan_limits = run;
	cfg->tsan_limits.as_bytes = 0;
	cfg->build_limits = run;
	cfg->build_limits.as_bytes = 0;
	cfg->build_limits.cpu_s = 300;
	cfg->sandbox = 0;
	if (bwrap_works(cfg))
		cfg->sandbox = 1;
	snprintf(cfg->sandbox_note, sizeof cfg->sandbox_note, "%s%s; rlimits on CPU, memory (except under TSan), processes, files, output; wall-clock timeout",
		 cfg->sandbox ? "bubblewrap (no network, own PID namespace, read-only toolkit, writable scratch only, solutions hidden)"
			      : "WEAKER SANDBOX: bubblewrap is not available (apt-get install bubblewrap)",
		 drop ? "; runs as an unprivileged user" : root ? "; runs as root (the toolkit is not reachable by other users)" : "");
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	TL_ASSERT(d != NULL);
	return d;
}

/* Builds the bubblewrap command for ARGV: WRITABLE (or NULL) bound writable and the working
 * folder (else the private /tmp), each of READONLY (NULL-terminated, or NULL) shown read-only. */
static char **wrap(const struct tl_config *cfg, const char *writable, const char *const *readonly,
		   char *const *argv);

char **tl_sandbox_wrap(const struct tl_config *cfg, const char *writable, char *const *argv)
{
	return wrap(cfg, writable, NULL, argv);
}

char **tl_sandbox_wrap_run(const struct tl_config *cfg, const char *const *readonly, char *const *argv)
{
	return wrap(cfg, NULL, readonly, argv);
}

static char **wrap(const struct tl_config *cfg, const char *writable, const char *const *readonly,
		   char *const *argv)
{
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	size_t nro = 0;
	while (readonly != NULL && readonly[nro] != NULL)
		nro++;
	char **out = calloc(n + 40 + 3 * nro, sizeof *out);
	TL_ASSERT(out != NULL);
	size_t k = 0;
#define ADD(s) (out[k++] = xstrdup(s))
	if (cfg->sandbox) {
		char solutions[TL_PATH + 16], grades[TL_PATH + 16];
		snprintf(solutions, sizeof solutions, "%s/solutions", cfg->root);
		snprintf(grades, sizeof grades, "%s/grade", cfg->build);
		ADD("bwrap");
		ADD("--unshare-all");
		ADD("--die-with-parent");
		ADD("--ro-bind");
		ADD("/");
		ADD("/");
		ADD("--dev");
		ADD("/dev");
		ADD("--proc");
		ADD("/proc");
		ADD("--tmpfs");
		ADD("/tmp");
		/* The toolkit and its build may live under /tmp (a CI checkout): show them again, read-only,
		 * over the private /tmp. */
		ADD("--ro-bind");
		ADD(cfg->root);
		ADD(cfg->root);
		if (strncmp(cfg->build, cfg->root, strlen(cfg->root)) != 0) {
			ADD("--ro-bind");
			ADD(cfg->build);
			ADD(cfg->build);
		}
		/* Nothing of the solutions or of other submissions is visible. */
		if (access(solutions, F_OK) == 0) {
			ADD("--tmpfs");
			ADD(solutions);
		}
		const char *inside = writable != NULL ? writable : nro > 0 ? readonly[0] : "";
		if (access(grades, F_OK) == 0 && strncmp(inside, grades, strlen(grades)) == 0) {
			ADD("--tmpfs");
			ADD(grades);
			/* ... except this submission's own scratch copy of the labs, read-only. */
			char labs[TL_PATH + 16];
			snprintf(labs, sizeof labs, "%s/labs", cfg->labs_root);
			ADD("--ro-bind");
			ADD(labs);
			ADD(labs);
		}
		for (size_t i = 0; i < nro; i++) {
			ADD("--ro-bind");
			ADD(readonly[i]);
			ADD(readonly[i]);
		}
		if (writable != NULL) {
			ADD("--bind");
			ADD(writable);
			ADD(writable);
		}
		ADD("--chdir");
		ADD(writable != NULL ? writable : "/tmp");
		ADD("--");
	}
	for (size_t i = 0; i < n; i++)
		ADD(argv[i]);
#undef ADD
	out[k] = NULL;
	return out;
}

void tl_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int tl_sandbox_prepare_dir(const struct tl_config *cfg, const char *dir)
{
	if (cfg->limits.drop_gid == 0)
		return 0;
	/* The sandbox's uids write their logs and builds here, and nowhere else: through the
	 * group, since every run has a uid of its own. */
	if (chown(dir, (uid_t)-1, (gid_t)cfg->limits.drop_gid) != 0)
		return -1;
	return chmod(dir, 0775);
}

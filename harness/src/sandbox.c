/* sandbox.c: how untrusted (graded) code is confined: bubblewrap with an allowlisted view and a seccomp filter, an unprivileged uid, rlimits, a fixed environment. */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

/* The group of the unprivileged uids graded code runs as when threadlab runs as root
 * ("nogroup"); each run gets a uid of its own (see struct tl_limits). */
#define SANDBOX_GID 65534

/* Profile P's filter reaches bubblewrap on descriptor SECCOMP_FD + P (see
 * tl_sandbox_child_fds): high enough to clash with no descriptor a child sets up. */
#define SECCOMP_FD 100

/* The environment of everything graded runs and of the helpers that take a submission in:
 * fixed, so that no CI variable or token of the caller's reaches student code. HOME names no
 * folder, so that no tool reads a configuration file someone left in a shared place. The tool
 * variables (TSAN_OPTIONS, CMOCKA_XML_FILE...) are added per run. */
static const char *const graded_env[] = {"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", "HOME=/nonexistent", NULL};

/* Set once by tl_sandbox_init, before any thread or child exists; read-only afterwards. */
static const char *const *env_base;
static struct {
	unsigned char *bpf;
	size_t len;
} filters[TL_SB_COUNT];

/* What of the host a sandboxed command sees, read-only: programs and libraries (/usr and the
 * top-level links into it) and the few files of /etc that the loader and the linker read,
 * the alternatives links (cc), and the release files clang reads to pick the distribution's
 * link options. Not /home, /root, /opt, /srv, /var, /run, /sys, the rest of /etc, nor any
 * checkout but the toolkit parts below. */
static const char *const system_paths[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
					   "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
					   "/etc/alternatives", "/etc/os-release", "/etc/debian_version",
					   "/etc/lsb-release", "/etc/redhat-release"};

const char *const *tl_sandbox_env(void)
{
	return env_base;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	TL_ASSERT(d != NULL);
	return d;
}

/* A growing argv for bubblewrap. */
struct args {
	char **v;
	size_t n, cap;
};

static void add(struct args *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap *= 2;
		a->v = realloc(a->v, a->cap * sizeof *a->v);
		TL_ASSERT(a->v != NULL);
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void add3(struct args *a, const char *opt, const char *x, const char *y)
{
	add(a, opt);
	add(a, x);
	add(a, y);
}

/* The host's system folders as they are: a top-level link (/bin -> usr/bin) as a link, a
 * folder or file read-only, and nothing for what this host does not have. */
static void add_system(struct args *a)
{
	for (size_t i = 0; i < sizeof system_paths / sizeof system_paths[0]; i++) {
		const char *p = system_paths[i];
		struct stat st;
		char target[TL_PATH];
		ssize_t n;
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode) && (n = readlink(p, target, sizeof target - 1)) > 0) {
			target[n] = '\0';
			add3(a, "--symlink", target, p);
		} else {
			add3(a, "--ro-bind", p, p);
		}
	}
}

/* What builds and runs read of the toolkit, read-only: threadcheck's headers and test API
 * source, its preload library, the Helgrind suppressions, the liveness canaries' sources, and
 * the labs being graded (the
 * submission's scratch copy: the toolkit's drivers and tests with the student's files). Not
 * solutions/, harness/tests/ (whose hostile fixtures hold a solution), the .git objects, other
 * submissions or the build's other parts. */
static void add_toolkit(struct args *a, const struct tl_config *cfg)
{
	char path[TL_PATH + 64];
	snprintf(path, sizeof path, "%s/harness/threadcheck", cfg->root);
	add3(a, "--ro-bind", path, path);
	snprintf(path, sizeof path, "%s/harness/src/helgrind.supp", cfg->root);
	add3(a, "--ro-bind-try", path, path);
	add3(a, "--ro-bind-try", cfg->tc_lib, cfg->tc_lib);
	snprintf(path, sizeof path, "%s/harness/canary", cfg->root);
	add3(a, "--ro-bind-try", path, path);
	snprintf(path, sizeof path, "%s/labs", cfg->labs_root);
	add3(a, "--ro-bind", path, path);
}

/* The bubblewrap command for ARGV under profile P: the view above, WRITABLE (or NULL) bound
 * writable, and each of READONLY (NULL-terminated, or NULL) shown read-only. */
static char **wrap(const struct tl_config *cfg, enum tl_sb_profile p, const char *writable,
		   const char *const *readonly, char *const *argv);

char **tl_sandbox_wrap(const struct tl_config *cfg, enum tl_sb_profile p, const char *writable, char *const *argv)
{
	return wrap(cfg, p, writable, NULL, argv);
}

static char **wrap(const struct tl_config *cfg, enum tl_sb_profile p, const char *writable,
		   const char *const *readonly, char *const *argv)
{
	TL_ASSERT(p >= 0 && p < TL_SB_COUNT);
	struct args a = {calloc(64, sizeof(char *)), 0, 64};
	TL_ASSERT(a.v != NULL);
	if (cfg->sandbox) {
		char fd[16];
		snprintf(fd, sizeof fd, "%d", SECCOMP_FD + (int)p);
		add(&a, "bwrap");
		add(&a, "--unshare-all");
		add(&a, "--die-with-parent");
		add_system(&a);
		add(&a, "--dev");
		add(&a, "/dev");
		add(&a, "--proc");
		add(&a, "/proc");
		add(&a, "--tmpfs");
		add(&a, "/tmp");
		/* After the private /tmp, so that a toolkit under /tmp (a CI checkout) shows. */
		add_toolkit(&a, cfg);
		for (size_t i = 0; readonly != NULL && readonly[i] != NULL; i++)
			add3(&a, "--ro-bind", readonly[i], readonly[i]);
		if (writable != NULL)
			add3(&a, "--bind", writable, writable);
		/* In the private /tmp, not the writable folder: a program must not leave a file
		 * there that a later run reads from its current folder (Valgrind reads
		 * ./.valgrindrc when it belongs to the same user, as every run does when we are
		 * not root). Builds and runs name every file by its full path. */
		add(&a, "--chdir");
		add(&a, "/tmp");
		add(&a, "--seccomp");
		add(&a, fd);
		add(&a, "--");
	}
	for (size_t i = 0; argv[i] != NULL; i++)
		add(&a, argv[i]);
	return a.v;
}

void tl_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int tl_spawn_jailed(const struct tl_config *cfg, const struct tl_jail *jail, char *const *argv,
		    const char *const *extra, struct tl_spawn *s, char *err, size_t errlen)
{
	char **env = tl_env_make(extra);
	char **wrapped = jail != NULL ? wrap(cfg, jail->profile, jail->writable, jail->readonly, argv) : NULL;
	s->argv = wrapped != NULL ? wrapped : argv;
	s->envp = env;
	int rc = tl_spawn_run(s, err, errlen);
	s->argv = NULL;
	s->envp = NULL;
	tl_env_free(env);
	tl_argv_free(wrapped);
	return rc;
}

/* Parses a descriptor number without locale or allocation (async-signal-safe). */
static int parse_fd(const char *s)
{
	int v = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int tl_sandbox_child_fds(char *const *argv)
{
	if (argv[0] == NULL || strcmp(argv[0], "bwrap") != 0)
		return 0;
	for (size_t i = 1; argv[i] != NULL && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--seccomp") != 0)
			continue;
		int target = argv[i + 1] != NULL ? parse_fd(argv[i + 1]) : -1;
		int p = target - SECCOMP_FD;
		if (p < 0 || p >= TL_SB_COUNT || filters[p].bpf == NULL)
			return -1;
		/* A file of this child's own: bubblewrap reads it to the end, and a description
		 * shared with runs started at the same time would share its offset. */
		int fd = memfd_create("threadlab-seccomp", 0);
		if (fd < 0)
			return -1;
		size_t off = 0;
		while (off < filters[p].len) {
			ssize_t w = write(fd, filters[p].bpf + off, filters[p].len - off);
			if (w <= 0) {
				close(fd);
				return -1;
			}
			off += (size_t)w;
		}
		if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, target) != target) {
			close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	return 0;
}

enum tl_sb_profile tl_sb_profile_of(enum tl_tool tool)
{
	return tl_tool(tool)->profile;
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

/* The first file or folder below the tree walked that others cannot read (nftw has no context). */
static char unreadable[TL_PATH];

static int check_readable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	int ok = type == FTW_F ? (st->st_mode & S_IROTH) != 0
		 : type == FTW_D ? (st->st_mode & (S_IROTH | S_IXOTH)) == (S_IROTH | S_IXOTH)
				 : type == FTW_SL;
	if (!ok)
		tl_strlcpy(unreadable, path, sizeof unreadable);
	return !ok;
}

/* Whether others may read everything the runs read of the toolkit (add_toolkit's list): a file
 * left 0600 by a umask would make every run of the unprivileged user fail, and the grade
 * would blame the student. Leaves the first that they may not in UNREADABLE. */
static int readable_by_others(const struct tl_config *cfg)
{
	static const char *const parts[] = {"harness/threadcheck", "harness/src/helgrind.supp", "harness/canary", "labs"};
	char path[TL_PATH + 64];
	unreadable[0] = '\0';
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", i == 3 ? cfg->labs_root : cfg->root, parts[i]);
		if (nftw(path, check_readable, 16, FTW_PHYS) != 0 && unreadable[0] == '\0')
			tl_strlcpy(unreadable, path, sizeof unreadable);
		if (unreadable[0] != '\0')
			return 0;
	}
	if (nftw(cfg->tc_lib, check_readable, 1, FTW_PHYS) != 0 && unreadable[0] == '\0')
		tl_strlcpy(unreadable, cfg->tc_lib, sizeof unreadable);
	return unreadable[0] == '\0';
}

/* Fills CFG's rlimits. Returns whether runs drop to an unprivileged uid. */
static int set_limits(struct tl_config *cfg)
{
	struct tl_limits run = {0};
	run.cpu_s = 120;
	run.as_bytes = 8LL << 30;
	run.nofile = 256;
	run.nproc = 1024;
	int drop = geteuid() == 0 && reachable_by_others(cfg->root) && reachable_by_others(cfg->build) &&
		   readable_by_others(cfg);
	run.drop_gid = drop ? SANDBOX_GID : 0;
	cfg->limits = run;
	/* TSan maps terabytes of shadow memory at start-up, which RLIMIT_AS and RLIMIT_DATA both
	 * count, so a TSan run gets no memory limit (the other tools' runs of the same code do). */
	cfg->tsan_limits = run;
	cfg->tsan_limits.as_bytes = 0;
	cfg->build_limits = run;
	cfg->build_limits.as_bytes = 0;
	cfg->build_limits.cpu_s = 300;
	return drop;
}

/* Compiles every profile's filter (once per process). Returns 0 or -1 with ERR. */
static int compile_filters(char *err, size_t errlen)
{
	for (int p = 0; p < TL_SB_COUNT; p++) {
		char e[512];
		if (filters[p].bpf != NULL)
			continue;
		if (tl_seccomp_compile((enum tl_sb_profile)p, &filters[p].bpf, &filters[p].len, e, sizeof e) != 0) {
			snprintf(err, errlen, "seccomp: the %s profile's filter cannot be built: %s",
				 tl_sb_profile_name((enum tl_sb_profile)p), e);
			return -1;
		}
	}
	return 0;
}

/* Runs, under profile P's wrap, a shell that must be able to write its private /tmp and must
 * be refused a symlink there with EPERM: then bubblewrap works here and the filter is in
 * force. DIR holds the probe's stderr. Returns 0, or -1 with ERR saying which part failed. */
static int probe(const struct tl_config *cfg, enum tl_sb_profile p, const char *dir, char *err, size_t errlen)
{
	static const char script[] = ": > /tmp/probe || exit 10; ln -s probe /tmp/link 2>/tmp/ln.err && exit 11; "
				     "grep -q 'Operation not permitted' /tmp/ln.err || exit 12; exit 0";
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	static const char *const none[] = {NULL};
	char errpath[TL_PATH + 32];
	snprintf(errpath, sizeof errpath, "%s/%s.stderr", dir, tl_sb_profile_name(p));
	const struct tl_jail jail = {p, NULL, NULL};
	struct tl_spawn s = {0};
	s.stdout_path = "/dev/null";
	s.stderr_path = errpath;
	s.timeout_s = 30;
	s.max_output = 1 << 20;
	s.limits = &cfg->limits;
	char e[256];
	int rc = tl_spawn_jailed(cfg, &jail, argv, none, &s, e, sizeof e);
	size_t n = 0;
	int tr = 0;
	char *msg = tl_read_file(errpath, 4096, &n, &tr);
	char *nl = msg != NULL ? strchr(msg, '\n') : NULL;
	if (nl != NULL)
		*nl = '\0';
	unlink(errpath);
	int ok = rc == 0 && s.exited && s.exit_code == 0;
	if (rc != 0)
		snprintf(err, errlen, "bubblewrap could not be started: %s", e);
	else if (s.exited && (s.exit_code == 11 || s.exit_code == 12))
		snprintf(err, errlen, "seccomp: the %s profile's filter is not in force under bubblewrap (a symlink was not refused with EPERM)",
			 tl_sb_profile_name(p));
	else if (!ok)
		snprintf(err, errlen, "bubblewrap cannot make its sandbox here (%s %d%s%s)",
			 s.timed_out ? "timed out after" : s.exited ? "exit status" : "signal",
			 s.timed_out ? (int)s.timeout_s : s.exited ? s.exit_code : s.signo,
			 msg != NULL && msg[0] != '\0' ? ": " : "", msg != NULL ? msg : "");
	free(msg);
	return ok ? 0 : -1;
}

/* Probes every profile in a private folder. Returns 0 or -1 with ERR. */
static int probe_all(const struct tl_config *cfg, char *err, size_t errlen)
{
	char dir[] = "/tmp/threadlab-probe-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make a folder for the sandbox probe: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int p = 0; p < TL_SB_COUNT && rc == 0; p++)
		rc = probe(cfg, (enum tl_sb_profile)p, dir, err, errlen);
	rmdir(dir);
	return rc;
}

/* Checks that bubblewrap and every profile's filter work here and turns CFG's sandbox on.
 * Returns 0, or -1 with ERR naming what is missing (CFG's sandbox then off). */
static int start_bubblewrap(struct tl_config *cfg, char *err, size_t errlen)
{
	if (!tl_on_path("bwrap")) {
		snprintf(err, errlen, "bubblewrap is missing (no bwrap on PATH): install it (scripts/install-deps), or pass --unsafe-no-sandbox to grade without a sandbox");
		return -1;
	}
	if (cfg->root[0] != '/' || cfg->build[0] != '/' || cfg->labs_root[0] != '/' || cfg->tc_lib[0] != '/') {
		snprintf(err, errlen, "the sandbox needs absolute paths: the toolkit is '%s', the build '%s'", cfg->root, cfg->build);
		return -1;
	}
	if (compile_filters(err, errlen) != 0)
		return -1;
	cfg->sandbox = 1;
	if (probe_all(cfg, err, errlen) != 0) {
		cfg->sandbox = 0;
		return -1;
	}
	return 0;
}

int tl_sandbox_init(struct tl_config *cfg, char *err, size_t errlen)
{
	int drop = set_limits(cfg);
	const char *who = drop ? "; runs as an unprivileged user" : geteuid() == 0 ? "; runs as root" : "";
	env_base = graded_env;
	cfg->sandbox = 0;
	/* As root, runs drop to a user of their own, who must be able to reach and read what they
	 * read of the toolkit. Without that, every run would fail in ways a grade would blame on
	 * the student (its tests "ended without a result"): refuse instead, saying what to open. */
	if (geteuid() == 0 && !drop && !cfg->unsafe_no_sandbox) {
		if (unreadable[0] != '\0')
			snprintf(err, errlen, "as root, runs drop to an unprivileged user, who cannot read %s (chmod -R o+rX the toolkit)",
				 unreadable);
		else
			snprintf(err, errlen, "as root, runs drop to an unprivileged user, who cannot reach %s or %s (every folder above them needs o+x)",
				 cfg->root, cfg->build);
		return -1;
	}
	if (cfg->unsafe_no_sandbox) {
		snprintf(cfg->sandbox_note, sizeof cfg->sandbox_note,
			 "UNSAFE (--unsafe-no-sandbox): no bubblewrap and no seccomp filter, student code saw and could write what the grader can%s; rlimits, wall-clock timeout, fixed environment",
			 who);
		return 0;
	}
	if (start_bubblewrap(cfg, err, errlen) != 0) {
		if (!cfg->platform_container)
			return -1;
		/* Docker's default seccomp profile refuses the namespaces bubblewrap needs, as
		 * course platforms' grading containers usually do: the flag accepts the platform's
		 * throw-away container instead, and the report says so and why. */
		snprintf(cfg->sandbox_note, sizeof cfg->sandbox_note,
			 "the platform's container (--sandbox platform-container): bubblewrap could not start here (%.160s), so the course platform's throw-away container of this submission is the only sandbox; no seccomp filter%s; rlimits, wall-clock timeout, fixed environment",
			 err, who);
		return 0;
	}
	snprintf(cfg->sandbox_note, sizeof cfg->sandbox_note,
		 "bubblewrap (no network, own PID namespace, only the system and the lab's toolkit parts visible, read-only; writable scratch only) with a seccomp filter per tool%s; rlimits on CPU, memory (except under TSan), processes, files, output; wall-clock timeout; fixed environment",
		 who);
	return 0;
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

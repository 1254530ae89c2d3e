/* submission.c: takes a submission (folder, git repository or tarball) into a pristine scratch copy of the labs, following no link inside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

#define MAX_STUDENT_FILE (1 << 20)
#define MAX_TARBALL (64 << 20)
#define MAX_CLONE_FILE (64LL << 20)

/* What a submission is. */
enum sub_kind { SUB_FOLDER, SUB_TARBALL, SUB_BARE_GIT };

/* The helpers' whole environment: nothing of ours (a CI runner's tokens), no user or system
 * git configuration. GIT_CONFIG_GLOBAL is added for git (see git_clone). */
static const char *const helper_env[] = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LC_ALL=C",
					  "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ATTR_NOSYSTEM=1",
					  NULL};

/* The system folders a confined helper sees, read-only (or as the same symlink, on a merged
 * /usr), besides /usr and /etc. */
static const char *const system_dirs[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64"};
#define NSYSTEM (sizeof system_dirs / sizeof system_dirs[0])

/* One run of a helper command on submission data. */
struct helper {
	char *const *argv;
	const char *ro[3];     /* what it reads, visible read-only when confined (NULL-terminated) */
	const char *rw;        /* the one folder it writes; NULL: the toolkit's own copy, run as is */
	const char *gitconfig; /* GIT_CONFIG_GLOBAL, or NULL */
	long long max_output;  /* RLIMIT_FSIZE: the largest file it may write */
};

/* A helper's command line under bubblewrap, with the storage its strings point into. */
struct confined {
	char *argv[96];
	char link[NSYSTEM][256];
};

/* Fills C with the command line that runs H confined: its own namespaces (no network), no
 * capabilities, and a view of the system holding only /usr, /etc, the system folders, an
 * empty /tmp, H's inputs (read-only) and its output folder, the one writable place. Whatever
 * a tarball's links or a repository's alternates name outside that view does not exist for
 * it, and a hard link cannot cross into the output folder's own mount. */
static void confine(const struct helper *h, struct confined *c)
{
	size_t k = 0;
#define ADD(s) (c->argv[k++] = (char *)(s))
	ADD("bwrap"), ADD("--unshare-all"), ADD("--die-with-parent"), ADD("--new-session");
	ADD("--cap-drop"), ADD("ALL"), ADD("--ro-bind"), ADD("/usr"), ADD("/usr");
	for (size_t i = 0; i < NSYSTEM; i++) {
		struct stat st;
		if (lstat(system_dirs[i], &st) != 0)
			continue;
		ssize_t n = S_ISLNK(st.st_mode) ? readlink(system_dirs[i], c->link[i], sizeof c->link[i] - 1) : -1;
		if (n > 0) {
			c->link[i][n] = '\0';
			ADD("--symlink"), ADD(c->link[i]), ADD(system_dirs[i]);
		} else if (S_ISDIR(st.st_mode)) {
			ADD("--ro-bind"), ADD(system_dirs[i]), ADD(system_dirs[i]);
		}
	}
	ADD("--ro-bind"), ADD("/etc"), ADD("/etc"), ADD("--dev"), ADD("/dev"), ADD("--proc"), ADD("/proc");
	ADD("--tmpfs"), ADD("/tmp");
	for (int i = 0; h->ro[i] != NULL; i++)
		ADD("--ro-bind"), ADD(h->ro[i]), ADD(h->ro[i]);
	ADD("--bind"), ADD(h->rw), ADD(h->rw);
	/* The folders made to hold those mount points (on bwrap's root and /tmp) are read-only too:
	 * a write anywhere but H->rw fails rather than landing in a scratch space. */
	ADD("--remount-ro"), ADD("/"), ADD("--remount-ro"), ADD("/tmp"), ADD("--chdir"), ADD(h->rw), ADD("--");
	for (size_t i = 0; h->argv[i] != NULL; i++) {
		TL_ASSERT(k + 1 < sizeof c->argv / sizeof c->argv[0]);
		ADD(h->argv[i]);
	}
#undef ADD
	c->argv[k] = NULL;
}

/* Runs helper H with a time limit. One that handles submission data (H->rw set) runs confined
 * when bubblewrap works, and as an unprivileged uid of its own when we are root (CFG's build
 * limits): then it can neither write outside H->rw nor read the toolkit, nor make a device.
 * Without bubblewrap only the uid and the helpers' own refusals remain (grading says so).
 * Returns 0 when it exited 0, else -1 with ERR filled from its stderr (kept in LOGPATH). */
static int helper(const struct tl_config *cfg, const struct helper *h, const char *logpath, char *err,
		  size_t errlen)
{
	const char *env[sizeof helper_env / sizeof helper_env[0] + 1];
	size_t n = 0;
	while (helper_env[n] != NULL)
		env[n] = helper_env[n], n++;
	char gc[TL_PATH + 32];
	if (h->gitconfig != NULL) {
		snprintf(gc, sizeof gc, "GIT_CONFIG_GLOBAL=%s", h->gitconfig);
		env[n++] = gc;
	}
	env[n] = NULL;
	struct confined c;
	if (h->rw != NULL && cfg->sandbox)
		confine(h, &c);
	struct tl_spawn s = {0};
	s.argv = h->rw != NULL && cfg->sandbox ? c.argv : h->argv;
	s.envp = (char *const *)env;
	s.stdout_path = "/dev/null";
	s.stderr_path = logpath;
	s.timeout_s = 120;
	s.max_output = h->max_output;
	s.limits = h->rw != NULL ? &cfg->build_limits : NULL;
	char e[256];
	if (tl_spawn_run(&s, e, sizeof e) != 0) {
		snprintf(err, errlen, "%s: %s", h->argv[0], e);
		return -1;
	}
	if (s.exited && s.exit_code == 0)
		return 0;
	size_t len = 0;
	int tr = 0;
	char *msg = tl_read_file(logpath, 4096, &len, &tr);
	snprintf(err, errlen, "%s failed%s: %s", h->argv[0], s.timed_out ? " (timed out)" : "", msg != NULL ? msg : "");
	free(msg);
	for (char *p = err; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return -1;
}

/* Opens SUBMISSION as the caller named it. The folders leading to it are the caller's choice
 * and followed; the submission itself must not be a symbolic link (batch grading takes the
 * names from a folder that students may fill, and a link there could name the solutions).
 * Returns an open descriptor (a folder's with O_DIRECTORY) and its *KIND, or -1 with ERR. */
static int open_root(const char *submission, enum sub_kind *kind, char *err, size_t errlen)
{
	char path[TL_PATH];
	tl_strlcpy(path, submission, sizeof path);
	/* "link/" would make the kernel follow the link. */
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	struct stat st;
	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", submission, strerror(errno));
		return -1;
	}
	const char *bad = S_ISLNK(st.st_mode) ? "is a symbolic link, which is not followed: give the folder or file it points to"
			  : S_ISREG(st.st_mode) && !tl_has_suffix(path, ".tar") && !tl_has_suffix(path, ".tar.gz") &&
				  !tl_has_suffix(path, ".tgz")
			      ? "is not a folder, a git repository or a .tar/.tar.gz/.tgz"
			  : !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) ? "is not a folder, a git repository or a tarball"
									 : NULL;
	if (bad != NULL) {
		snprintf(err, errlen, "%s %s", submission, bad);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK));
	struct stat now;
	if (fd < 0 || fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		snprintf(err, errlen, "%s: %s", submission, fd < 0 ? strerror(errno) : "changed while it was opened");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct stat dotgit;
	int bare = faccessat(fd, "HEAD", F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
		   fstatat(fd, ".git", &dotgit, AT_SYMLINK_NOFOLLOW) != 0;
	*kind = S_ISREG(st.st_mode) ? SUB_TARBALL : bare ? SUB_BARE_GIT : SUB_FOLDER;
	return fd;
}

/* Copies at most LIMIT bytes from IN to a new file DST (created, never followed). Returns 0,
 * or -1 with WHY (also when IN holds more than LIMIT bytes). */
static int copy_fd(int in, const char *dst, long long limit, char *why, size_t whylen)
{
	unlink(dst);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(why, whylen, "%s: %s", dst, strerror(errno));
		return -1;
	}
	char buf[65536];
	ssize_t n;
	long long total = 0;
	int rc = 0;
	while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0) {
		total += n;
		if (total > limit || write(out, buf, (size_t)n) != n)
			rc = -1;
	}
	if (n < 0)
		rc = -1;
	close(out);
	if (rc != 0)
		snprintf(why, whylen, total > limit ? "larger than %lld bytes" : "cannot be copied", limit);
	return rc;
}

/* Makes DST, the folder a confined helper unpacks into (writable by the sandbox's uids).
 * Returns 0, or -1 with ERR. */
static int make_unpack_dir(const struct tl_config *cfg, const char *dst, char *err, size_t errlen)
{
	if (mkdir(dst, 0755) != 0 || tl_sandbox_prepare_dir(cfg, dst) != 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		return -1;
	}
	return 0;
}

/* Extracts the tarball open at FD into DST, through a copy of our own in SCRATCH (readable by
 * the helper's uid whoever owns the original). GNU tar drops leading '/', refuses '..'
 * members and makes a link that is absolute or climbs only once all else is extracted, so
 * nothing is written through it; the confinement holds even if it did. Returns 0, or -1. */
static int untar(const struct tl_config *cfg, int fd, const char *scratch, const char *dst, char *err, size_t errlen)
{
	char copy[TL_PATH + 32], log[TL_PATH + 32], why[256];
	snprintf(copy, sizeof copy, "%s/submission.tar", scratch);
	snprintf(log, sizeof log, "%s/intake.log", scratch);
	if (copy_fd(fd, copy, MAX_TARBALL, why, sizeof why) != 0) {
		snprintf(err, errlen, "the tarball: %s", why);
		return -1;
	}
	if (make_unpack_dir(cfg, dst, err, errlen) != 0)
		return -1;
	char *argv[] = {"tar", "-xf", copy, "-C", (char *)dst, "--no-same-owner", "--no-same-permissions",
			"--no-overwrite-dir", NULL};
	struct helper h = {.argv = argv, .ro = {copy, NULL}, .rw = dst, .max_output = MAX_STUDENT_FILE};
	int rc = helper(cfg, &h, log, err, errlen);
	unlink(copy);
	return rc;
}

/* Clones the bare repository SUBMISSION's HEAD into DST. git runs confined with a
 * configuration of ours only: hooks off, no transport but the local one for this clone (no
 * submodule is fetched), and the repository owned by another uid accepted (it is the only one
 * in view). Alternates, or object folders linked to another repository on this machine, then
 * name nothing. Returns 0, or -1 with ERR. */
static int git_clone(const struct tl_config *cfg, const char *submission, const char *scratch, const char *dst,
		     char *err, size_t errlen)
{
	char abs[PATH_MAX], url[PATH_MAX + 16], gitconfig[TL_PATH + 32], log[TL_PATH + 32];
	snprintf(gitconfig, sizeof gitconfig, "%s/intake.gitconfig", scratch);
	snprintf(log, sizeof log, "%s/intake.log", scratch);
	if (realpath(submission, abs) == NULL) {
		snprintf(err, errlen, "%s: %s", submission, strerror(errno));
		return -1;
	}
	snprintf(url, sizeof url, "file://%s", abs);
	FILE *f = fopen(gitconfig, "wxe");
	if (f == NULL || fputs("[safe]\n\tdirectory = *\n[core]\n\thooksPath = /dev/null\n\tsymlinks = true\n"
			       "[protocol]\n\tallow = never\n[protocol \"file\"]\n\tallow = always\n", f) < 0) {
		snprintf(err, errlen, "%s: %s", gitconfig, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	if (make_unpack_dir(cfg, dst, err, errlen) != 0)
		return -1;
	char *argv[] = {"git", "clone", "-q", "--depth", "1", "--no-local", "--template=", url, (char *)dst, NULL};
	struct helper h = {.argv = argv, .ro = {abs, gitconfig, NULL}, .rw = dst, .gitconfig = gitconfig,
			   .max_output = MAX_CLONE_FILE};
	return helper(cfg, &h, log, err, errlen);
}

/* Brings the submission open at *FD (of KIND) to where its files are looked for: a tarball is
 * extracted and a repository cloned into SCRATCH/submission, whose folder then replaces *FD; a
 * plain folder (a git work tree included) is used where it is. Returns 0, or -1 with ERR. */
static int unpack(const struct tl_config *cfg, const char *submission, enum sub_kind kind, int *fd,
		  const char *scratch, char *err, size_t errlen)
{
	char dst[TL_PATH + 16];
	snprintf(dst, sizeof dst, "%s/submission", scratch);
	int rc = 0;
	switch (kind) {
	case SUB_FOLDER:
		return 0;
	case SUB_TARBALL:
		rc = untar(cfg, *fd, scratch, dst, err, errlen);
		break;
	case SUB_BARE_GIT:
		rc = git_clone(cfg, submission, scratch, dst, err, errlen);
		break;
	}
	close(*fd);
	*fd = rc == 0 ? open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (rc == 0 && *fd < 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* How a path looked for in a submission turned out. */
enum found { FOUND_NONE, FOUND_FILE, FOUND_REFUSED };

/* Opens REL (names separated by '/') below the folder ROOTFD one component at a time,
 * following no symbolic link: each folder with O_DIRECTORY|O_NOFOLLOW, the file with
 * O_NOFOLLOW, and only a regular file of at most MAX_STUDENT_FILE bytes (nothing else is even
 * opened: a FIFO would block). Returns FOUND_FILE with *FD open for reading, FOUND_NONE when a
 * component does not exist, or FOUND_REFUSED with WHY naming the component at fault. */
static enum found resolve(int rootfd, const char *rel, int *fd, char *why, size_t whylen)
{
	char path[TL_PATH];
	tl_strlcpy(path, rel, sizeof path);
	int dir = rootfd;
	enum found r = FOUND_REFUSED;
	for (char *name = path;;) {
		char *slash = strchr(name, '/');
		if (slash != NULL)
			*slash = '\0'; /* PATH now ends at this component, for the messages */
		struct stat st, now;
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				r = FOUND_NONE;
			else
				snprintf(why, whylen, "%s: %s", path, strerror(errno));
			break;
		}
		const char *bad = S_ISLNK(st.st_mode) ? "a symbolic link, which is not followed"
				  : slash != NULL && !S_ISDIR(st.st_mode) ? "not a folder"
				  : slash == NULL && !S_ISREG(st.st_mode) ? "not a regular file"
				  : slash == NULL && st.st_size > MAX_STUDENT_FILE ? "larger than 1 MiB"
										   : NULL;
		if (bad != NULL) {
			snprintf(why, whylen, "%s is %s", path, bad);
			break;
		}
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash != NULL ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY);
		int next = openat(dir, name, flags);
		if (next < 0 || fstat(next, &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
			snprintf(why, whylen, "%s %s", path, next < 0 ? strerror(errno) : "changed while it was opened");
			if (next >= 0)
				close(next);
			break;
		}
		if (dir != rootfd)
			close(dir);
		dir = next;
		if (slash == NULL) {
			*fd = next;
			return FOUND_FILE;
		}
		*slash = '/';
		name = slash + 1;
	}
	if (dir != rootfd)
		close(dir);
	return r;
}

/* Takes the student file F of GL's lab from the submission folder ROOTFD into SCRATCH's copy
 * of the labs, from the first place a student may keep it: as in the toolkit, in a folder
 * named after the lab, or at the top when only this lab is graded (ALONE). The first place
 * that exists decides: a link or other oddity there refuses the file. Returns 1 when it was
 * taken, else 0 with the reason added to GL's note (the untouched lab file is then graded). */
static int take_file(int rootfd, const char *scratch, struct tl_grade_lab *gl, int f, int alone)
{
	const struct tl_lab *lab = gl->lab;
	char cand[3][TL_PATH];
	int ncand = 0;
	snprintf(cand[ncand++], sizeof cand[0], "labs/%s/%s", lab->slug, lab->student[f]);
	snprintf(cand[ncand++], sizeof cand[0], "%s/%s", lab->slug, lab->student[f]);
	if (alone)
		snprintf(cand[ncand++], sizeof cand[0], "%s", lab->student[f]);
	char dst[TL_PATH * 2], why[TL_PATH + 64] = "";
	snprintf(dst, sizeof dst, "%s/labs/%s/%s", scratch, lab->slug, lab->student[f]);
	enum found r = FOUND_NONE;
	int fd = -1, c = 0;
	while (c < ncand && (r = resolve(rootfd, cand[c], &fd, why, sizeof why)) == FOUND_NONE)
		c++;
	if (r == FOUND_FILE) {
		char e[128];
		int rc = copy_fd(fd, dst, MAX_STUDENT_FILE, e, sizeof e);
		close(fd);
		if (rc == 0)
			return 1;
		tl__errf(why, sizeof why, "%s: %s", cand[c], e);
	}
	size_t len = strlen(gl->note);
	snprintf(gl->note + len, sizeof gl->note - len, "%s%s not submitted%s%s: the untouched lab file is graded",
		 len ? "; " : "", lab->student[f], why[0] ? ": " : "", why);
	return 0;
}

int tl_submission_intake(const struct tl_config *cfg, const char *submission, const char *scratch,
			 struct tl_grade *g, char *err, size_t errlen)
{
	char labs_src[TL_PATH + 16], labs_dst[TL_PATH + 16], log[TL_PATH + 16];
	snprintf(labs_src, sizeof labs_src, "%s/labs", cfg->root);
	snprintf(labs_dst, sizeof labs_dst, "%s/labs", scratch);
	snprintf(log, sizeof log, "%s/intake.log", scratch);
	if (tl_mkdirs(scratch) != 0) {
		snprintf(err, errlen, "%s: %s", scratch, strerror(errno));
		return -1;
	}
	/* The pristine toolkit copy: declarations, drivers and tests always come from here. */
	char *cp[] = {"cp", "-R", labs_src, labs_dst, NULL};
	struct helper h = {.argv = cp, .max_output = 1 << 20};
	if (helper(cfg, &h, log, err, errlen) != 0)
		return -1;
	enum sub_kind kind;
	int rootfd = open_root(submission, &kind, err, errlen);
	if (rootfd < 0 || unpack(cfg, submission, kind, &rootfd, scratch, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < g->n; i++) {
		struct tl_grade_lab *gl = &g->labs[i];
		gl->submitted = 0;
		for (int f = 0; f < gl->lab->nstudent; f++)
			gl->submitted += take_file(rootfd, scratch, gl, f, g->n == 1);
	}
	close(rootfd);
	return 0;
}

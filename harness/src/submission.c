/* submission.c: takes a submission (folder, git repository or tarball) into a pristine scratch copy of the labs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

#define MAX_STUDENT_FILE (1 << 20)

/* Runs a trusted helper command (tar, git, cp) with a time limit. Returns 0 when it exited 0,
 * else -1 with ERR filled from its stderr. */
static int helper(char *const *argv, const char *logpath, char *err, size_t errlen)
{
	struct tl_spawn s = {0};
	static const char *const none[] = {NULL};
	char **env = tl_env_make(none);
	s.argv = argv;
	s.envp = env;
	s.stdout_path = "/dev/null";
	s.stderr_path = logpath;
	s.timeout_s = 120;
	s.max_output = 1 << 20;
	char e[256];
	int rc = tl_spawn_run(&s, e, sizeof e);
	tl_env_free(env);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], e);
		return -1;
	}
	if (s.exited && s.exit_code == 0)
		return 0;
	size_t n = 0;
	int tr = 0;
	char *msg = tl_read_file(logpath, 4096, &n, &tr);
	snprintf(err, errlen, "%s failed%s: %s", argv[0], s.timed_out ? " (timed out)" : "",
		 msg != NULL ? msg : "");
	free(msg);
	for (char *p = err; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return -1;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Brings SUBMISSION into folder DST: a tarball is extracted, a git repository cloned, a
 * plain folder used where it is (DST then receives its path). */
static int unpack(const char *submission, const char *scratch, char *dst, size_t dstlen, char *err,
		  size_t errlen)
{
	struct stat st;
	if (stat(submission, &st) != 0) {
		snprintf(err, errlen, "%s: %s", submission, strerror(errno));
		return -1;
	}
	char log[TL_PATH + 16];
	snprintf(log, sizeof log, "%s/intake.log", scratch);
	snprintf(dst, dstlen, "%s/submission", scratch);
	if (S_ISREG(st.st_mode)) {
		if (!has_suffix(submission, ".tar") && !has_suffix(submission, ".tar.gz") &&
		    !has_suffix(submission, ".tgz")) {
			snprintf(err, errlen, "%s: not a folder, a git repository or a .tar/.tar.gz/.tgz", submission);
			return -1;
		}
		if (tl_mkdirs(dst) != 0) {
			snprintf(err, errlen, "%s: %s", dst, strerror(errno));
			return -1;
		}
		/* GNU tar drops leading '/' and refuses '..' members; ownership and modes are ours. */
		char *argv[] = {"tar", "-xf", (char *)submission, "-C", dst, "--no-same-owner",
				"--no-same-permissions", NULL};
		return helper(argv, log, err, errlen);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a folder, a git repository or a tarball", submission);
		return -1;
	}
	char head[TL_PATH + 16], gitdir[TL_PATH + 16];
	snprintf(head, sizeof head, "%s/HEAD", submission);
	snprintf(gitdir, sizeof gitdir, "%s/.git", submission);
	int bare = access(head, F_OK) == 0 && access(gitdir, F_OK) != 0;
	if (bare) {
		/* A bare repository: take its HEAD commit. */
		char *argv[] = {"git", "clone", "-q", "--depth", "1", "--no-local", (char *)submission, dst, NULL};
		char url[TL_PATH + 16];
		snprintf(url, sizeof url, "file://%s", submission);
		argv[6] = url;
		return helper(argv, log, err, errlen);
	}
	/* A folder, or a git work tree: graded as it is on disk. */
	tl_strlcpy(dst, submission, dstlen);
	return 0;
}

/* Copies regular file SRC (at most MAX_STUDENT_FILE bytes) to DST. Returns 0, or -1 with a
 * reason (symlinks and other non-regular files are refused). */
static int copy_student_file(const char *src, const char *dst, char *why, size_t whylen)
{
	struct stat st;
	if (lstat(src, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file (symlinks are not taken)", src);
		return -1;
	}
	if (st.st_size > MAX_STUDENT_FILE) {
		snprintf(why, whylen, "%s is larger than %d bytes", src, MAX_STUDENT_FILE);
		return -1;
	}
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		snprintf(why, whylen, "%s: %s", src, strerror(errno));
		return -1;
	}
	unlink(dst);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(why, whylen, "%s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0)
		rc = -1;
	close(in);
	close(out);
	if (rc != 0)
		snprintf(why, whylen, "cannot copy %s", src);
	return rc;
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
	if (helper(cp, log, err, errlen) != 0)
		return -1;
	char sub[TL_PATH];
	if (unpack(submission, scratch, sub, sizeof sub, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < g->n; i++) {
		struct tl_grade_lab *gl = &g->labs[i];
		const struct tl_lab *lab = gl->lab;
		gl->submitted = 0;
		for (int f = 0; f < lab->nstudent; f++) {
			/* Where a student may keep the file: as in the toolkit, in a folder named after
			 * the lab, or at the top when only this lab is graded. */
			char cand[3][TL_PATH * 2];
			int ncand = 0;
			snprintf(cand[ncand++], sizeof cand[0], "%s/labs/%s/%s", sub, lab->slug, lab->student[f]);
			snprintf(cand[ncand++], sizeof cand[0], "%s/%s/%s", sub, lab->slug, lab->student[f]);
			if (g->n == 1)
				snprintf(cand[ncand++], sizeof cand[0], "%s/%s", sub, lab->student[f]);
			char dst[TL_PATH * 2], why[512] = "";
			snprintf(dst, sizeof dst, "%s/labs/%s/%s", scratch, lab->slug, lab->student[f]);
			int taken = 0;
			for (int c = 0; c < ncand && !taken; c++) {
				struct stat st;
				if (lstat(cand[c], &st) != 0)
					continue;
				if (copy_student_file(cand[c], dst, why, sizeof why) == 0)
					taken = 1;
				else
					break;
			}
			if (taken)
				gl->submitted++;
			else {
				size_t len = strlen(gl->note);
				snprintf(gl->note + len, sizeof gl->note - len, "%s%s not submitted%s%s: the untouched lab file is graded",
					 len ? "; " : "", lab->student[f], why[0] ? ": " : "", why);
			}
		}
	}
	return 0;
}

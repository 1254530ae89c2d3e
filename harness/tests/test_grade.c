/* test_grade.c: grades every hostile submission of harness/tests/hostile/ and checks its grade, the report formats, that nothing outside the grader's scratch folder changed and that no process outlives a grade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Each case is graded against a private copy of the toolkit (lab 01 only), so that the tree
 * hashed before and after belongs to this test alone: others may edit the real tree meanwhile.
 * The grader, the sandbox and the scoring are the real ones. */

#define HOSTILE "harness/tests/hostile"
#define MAX_CASES 128
#define MAX_JOBS 192
#define PATHLEN 1024
#define NITEMS 5

/* Lab 01's rubric, derived from its lab.decl and labs/01-counter/handout.record: TSan and
 * Helgrind report a race on the handout and nothing on a fix (2.5 points each), one test case
 * fails on the handout (5 points: "test" stands for the items "test:NAME", summed, whatever
 * their names and number);
 * threadcheck and the three other test cases already pass on the handout: gates, worth nothing,
 * each costing 2 points (never more than the lab earned) when it fails. */
static const char *const item_names[NITEMS] = {"tsan", "helgrind", "test", "threadcheck", "tests"};

/* A case's expect file, parsed strictly: an unknown key is an error. */
struct expect {
	int exit_code;
	int has_total;
	double total;
	int has_item[NITEMS];
	double item[NITEMS];
	char outcome[NITEMS][16]; /* "held", "broken", "earned", "lost", or "" (not said) */
	int tampered; /* -1: not said */
	char note[256], feedback[256], stderr_frag[256], args[256];
};

struct hcase {
	char name[64];
	char dir[PATHLEN];  /* harness/tests/hostile/NAME */
	char work[PATHLEN]; /* where its submission and reports go */
	struct expect e;
	char parse_error[512];
};

/* One grader run: a case in one format. */
struct job {
	struct hcase *c;
	const char *format;
	char out[PATHLEN];
	int rc;            /* -1 until it ended */
	double seconds;
	pid_t pid;         /* also its session and process group (0: not started) */
	double t0;
	unsigned long long end_ticks; /* when it ended, in clock ticks since boot (as /proc's starttime) */
	char survivors[512]; /* the processes it left running, if any */
};

static struct hcase cases[MAX_CASES];
static int ncases;
static struct job jobs[MAX_JOBS];
static int njobs;
static char root[PATHLEN];    /* the private toolkit copy */
static char scratch[PATHLEN]; /* the test's work folder */
static char bin[PATHLEN];
static char topdir[PATHLEN]; /* the repository, where the tests run */
static char setup_error[512];
/* Files outside the toolkit copy that no grade may change: one beside it, one in /tmp (the
 * hostile cases may aim at them: see make_submission). */
static char canary[PATHLEN], tmp_canary[PATHLEN];
static const char *only; /* TL_HOSTILE_ONLY: a comma-separated list of the cases to grade */

/* Cases also graded in every other format, to validate the printers: a refused one (fast), one
 * with build errors, and one with more findings than GitHub shows. */
static const struct {
	const char *name;
	const char *formats[6];
} format_runs[] = {
	{"fork-bomb", {"gradescope", "junit", "sarif", "tap", "github", NULL}},
	{"compile-error", {"gradescope", "junit", "sarif", "tap", NULL}},
	{"many-races", {"github", NULL}},
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads all of PATH (NUL-terminated), or returns NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
			}
			buf = bigger;
		}
	}
	fclose(f);
	if (buf != NULL)
		buf[n] = '\0';
	return buf;
}

/* Runs CMD with /bin/sh; returns its exit status, or -1. */
static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...)
{
	char cmd[4 * PATHLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Parses DIR/expect into E. Returns 0, or -1 with ERR ("Bad line", as Valgrind's .vgtest). */
static int parse_expect(const char *dir, struct expect *e, char *err, size_t errlen)
{
	char path[PATHLEN + 16];
	snprintf(path, sizeof path, "%s/expect", dir);
	memset(e, 0, sizeof *e);
	e->tampered = -1;
	e->exit_code = -1;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			rc = -1;
			break;
		}
		*colon = '\0';
		const char *key = line, *val = colon + 1 + strspn(colon + 1, " \t");
		int item = -1;
		for (int i = 0; i < NITEMS; i++)
			if (strcmp(key, item_names[i]) == 0)
				item = i;
		if (item >= 0) {
			char word[16] = "";
			e->has_item[item] = sscanf(val, "%lf %15s", &e->item[item], word) >= 1;
			snprintf(e->outcome[item], sizeof e->outcome[item], "%s", word);
			if (!e->has_item[item])
				rc = -1;
		} else if (strcmp(key, "exit") == 0) {
			e->exit_code = atoi(val);
		} else if (strcmp(key, "total") == 0) {
			e->has_total = 1;
			e->total = atof(val);
		} else if (strcmp(key, "tampered") == 0 && (!strcmp(val, "yes") || !strcmp(val, "no"))) {
			e->tampered = strcmp(val, "yes") == 0;
		} else if (strcmp(key, "note") == 0) {
			snprintf(e->note, sizeof e->note, "%s", val);
		} else if (strcmp(key, "feedback") == 0) {
			snprintf(e->feedback, sizeof e->feedback, "%s", val);
		} else if (strcmp(key, "stderr") == 0) {
			snprintf(e->stderr_frag, sizeof e->stderr_frag, "%s", val);
		} else if (strcmp(key, "args") == 0) {
			snprintf(e->args, sizeof e->args, "%s", val);
		} else if (strcmp(key, "why") != 0) {
			rc = -1;
		}
	}
	fclose(f);
	if (rc != 0)
		snprintf(err, errlen, "%s:%d: Bad line (keys: exit total tsan helgrind test threadcheck tests (POINTS [OUTCOME]) tampered note feedback stderr args why)",
			 path, lineno);
	else if (e->exit_code < 0) {
		snprintf(err, errlen, "%s: no 'exit:' line", path);
		rc = -1;
	}
	return rc;
}

/* Whether this build of the test runs only the quick cases: the TSan-instrumented harness is
 * checked on the intake and refusal paths, the plain one on everything. */
static int quick_only(void)
{
#if defined(__SANITIZE_THREAD__)
	return 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
	return 1;
#else
	return 0;
#endif
#else
	return 0;
#endif
}

/* Copies FROM to TO with @ROOT@ and @BUILD@ replaced by the private toolkit's paths, @CANARY@
 * and @TMPCANARY@ by the canary files'. */
static int instantiate(const char *from, const char *to)
{
	char *text = slurp(from);
	if (text == NULL)
		return -1;
	FILE *out = fopen(to, "we");
	if (out == NULL) {
		free(text);
		return -1;
	}
	for (const char *p = text; *p != '\0';) {
		if (strncmp(p, "@ROOT@", 6) == 0) {
			fputs(root, out);
			p += 6;
		} else if (strncmp(p, "@BUILD@", 7) == 0) {
			fprintf(out, "%s/build", root);
			p += 7;
		} else if (strncmp(p, "@CANARY@", 8) == 0) {
			fputs(canary, out);
			p += 8;
		} else if (strncmp(p, "@TMPCANARY@", 11) == 0) {
			fputs(tmp_canary, out);
			p += 11;
		} else {
			fputc(*p++, out);
		}
	}
	free(text);
	return fclose(out);
}

/* Makes C's submission in C->work; SUB receives the path to grade. A case's make-submission
 * script finds the toolkit and the canaries in HOSTILE_ROOT, HOSTILE_CANARY, HOSTILE_TMP_CANARY. */
static int make_submission(struct hcase *c, char *sub, size_t len)
{
	char maker[PATHLEN + 32];
	snprintf(maker, sizeof maker, "%s/make-submission", c->dir);
	if (access(maker, X_OK) == 0) {
		char out[PATHLEN + 32];
		snprintf(out, sizeof out, "%s/made", c->work);
		if (shell("HOSTILE_ROOT='%s' HOSTILE_CANARY='%s' HOSTILE_TMP_CANARY='%s' '%s' '%s' >'%s'", root, canary,
			  tmp_canary, maker, c->work, out) != 0)
			return -1;
		char *text = slurp(out);
		if (text == NULL)
			return -1;
		text[strcspn(text, "\n")] = '\0';
		snprintf(sub, len, "%s", text);
		free(text);
		return 0;
	}
	char labdir[PATHLEN + 64], src[PATHLEN + 32], dst[PATHLEN + 96];
	snprintf(labdir, sizeof labdir, "%s/sub/labs/01-counter", c->work);
	snprintf(src, sizeof src, "%s/counter.c", c->dir);
	snprintf(dst, sizeof dst, "%s/counter.c", labdir);
	if (shell("mkdir -p '%s'", labdir) != 0 || instantiate(src, dst) != 0)
		return -1;
	snprintf(sub, len, "%s/sub", c->work);
	return 0;
}

/* Starts job J: threadlab grade in the background. Returns 0, or -1. */
static int start_job(struct job *j)
{
	char sub[PATHLEN];
	if (make_submission(j->c, sub, sizeof sub) != 0)
		return -1;
	snprintf(j->out, sizeof j->out, "%s/report.%s", j->c->work, j->format);
	char cmd[4 * PATHLEN];
	snprintf(cmd, sizeof cmd,
		 "exec env THREADLAB_BUILD='%s/build' '%s' grade '%s' --root '%s' --lab 01 --runs 1 --format %s --out '%s' %s "
		 ">'%s.stdout' 2>'%s.stderr'",
		 root, bin, sub, root, j->format, j->out, j->c->e.args, j->out, j->out);
	j->t0 = now();
	j->pid = fork();
	if (j->pid < 0)
		return -1;
	if (j->pid == 0) {
		/* A session of its own, so that what the grade leaves behind can be told apart. */
		setsid();
		/* A grade that hangs is a failure of this test, not a reason to hang make test. */
		alarm(600);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return 0;
}

static void add_job(struct hcase *c, const char *format)
{
	if (njobs < MAX_JOBS)
		jobs[njobs++] = (struct job){.c = c, .format = format, .rc = -1};
}

/* Hashes every file and lists every path of the private toolkit except the graders' scratch
 * folders, and hashes the two canaries, into OUT. */
static int hash_tree(const char *out)
{
	return shell("cd '%s' && { find . -path ./build/grade -prune -o -type f -print0 | sort -z | xargs -0 sha256sum; "
		     "find . -path ./build/grade -prune -o -print | sort; ls -la /tmp/threadlab-hostile-* 2>&1 | sed 's/:.*//'; "
		     "sha256sum '%s' '%s'; } >'%s'",
		     root, canary, tmp_canary, out);
}

/* A process as /proc shows it. */
struct proc {
	pid_t pid, ppid, pgrp, sid;
	unsigned long long start_ticks; /* when it started, in clock ticks since boot */
	unsigned long uid;
	char state;
	char comm[32];
};

/* Reads P from /proc/PID. Returns 0, or -1 when it has gone. */
static int read_proc(pid_t pid, struct proc *p)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses. */
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	int ppid, pgrp, sid;
	if (open == NULL || close == NULL ||
	    sscanf(close + 1, " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &p->state,
		   &ppid, &pgrp, &sid, &p->start_ticks) != 5)
		return -1;
	snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close - open - 1), open + 1);
	p->pid = pid, p->ppid = ppid, p->pgrp = pgrp, p->sid = sid;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	char *status = slurp(path);
	const char *uid = status != NULL ? strstr(status, "\nUid:") : NULL;
	p->uid = uid != NULL ? strtoul(uid + 5, NULL, 10) : 0;
	free(status);
	return 0;
}

/* Every process now alive, into *ALL (free it). Returns how many, or -1. */
static int read_procs(struct proc **all)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return -1;
	int n = 0, cap = 256;
	*all = malloc(cap * sizeof **all);
	struct dirent *de;
	while (*all != NULL && (de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (n == cap) {
			struct proc *more = realloc(*all, (cap *= 2) * sizeof **all);
			if (more == NULL)
				free(*all);
			*all = more;
			if (more == NULL)
				break;
		}
		n += read_proc((pid_t)pid, &(*all)[n]) == 0;
	}
	closedir(d);
	return *all != NULL ? n : -1;
}

static const struct proc *find_proc(const struct proc *all, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (all[i].pid == pid)
			return &all[i];
	return NULL;
}

/* The job whose session or process group is PID's, or NULL. */
static const struct job *job_of(pid_t pid)
{
	for (int i = 0; i < njobs; i++)
		if (jobs[i].pid > 0 && jobs[i].pid == pid)
			return &jobs[i];
	return NULL;
}

/* Now, in clock ticks since boot: the clock of /proc's starttime. */
static unsigned long long boot_ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	long hz = sysconf(_SC_CLK_TCK);
	return (unsigned long long)ts.tv_sec * (unsigned long long)hz +
	       (unsigned long long)ts.tv_nsec / (1000000000ULL / (unsigned long long)hz);
}

/* Whether P was left behind by a grade that ended: it is alive (a zombie has done its harm),
 * in the session or process group of an ended grade and started before that grade ended, or
 * below this test (which is a subreaper: every orphan of a grade comes to it) but not below a
 * grade still running. A process of the sandbox's uids (TL_SANDBOX_UID_BASE and up) runs below
 * its grade: one elsewhere is another grader's on this machine, not ours. The start time
 * matters because process ids are reused: pid_max is 32768 on many machines, and on a busy
 * one a grade's number comes round again within minutes as another program's group. */
static int left_behind(const struct proc *all, int n, const struct proc *p)
{
	if (p->state == 'Z' || p->state == 'X' || p->pid == getpid())
		return 0;
	const struct job *by_sid = job_of(p->sid), *by_pgrp = job_of(p->pgrp);
	if ((by_sid != NULL && by_sid->rc == -1) || (by_pgrp != NULL && by_pgrp->rc == -1))
		return 0;
	if ((by_sid != NULL && p->start_ticks <= by_sid->end_ticks) ||
	    (by_pgrp != NULL && p->start_ticks <= by_pgrp->end_ticks))
		return 1;
	const struct proc *q = p;
	for (int depth = 0; q != NULL && depth < 64; depth++, q = find_proc(all, n, q->ppid)) {
		const struct job *j = job_of(q->pid);
		if (j != NULL && j->rc == -1)
			return 0;
		if (q->ppid == getpid())
			return 1;
	}
	return 0;
}

/* Waits up to 5 s for every process left behind by an ended grade to go. Those still there
 * are listed in WHAT and killed (by pid: they are ours). Returns how many there were. */
static int reap_left_behind(char *what, size_t len)
{
	int found = 0;
	what[0] = '\0';
	for (int tries = 0; tries < 100; tries++) {
		struct proc *all = NULL;
		int n = read_procs(&all);
		found = 0;
		what[0] = '\0';
		for (int i = 0; i < n; i++) {
			if (!left_behind(all, n, &all[i]))
				continue;
			size_t used = strlen(what);
			snprintf(what + used, len - used, "%spid %d uid %lu (%s) session %d", found ? ", " : "", (int)all[i].pid,
				 all[i].uid, all[i].comm, (int)all[i].sid);
			if (tries == 99)
				kill(all[i].pid, SIGKILL);
			found++;
		}
		free(all);
		if (found == 0)
			break;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return found;
}

/* Collects the orphans that came to this test and ended; only when no grade runs, so that a
 * grade's own exit is never taken here. */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Whether case NAME is to be graded (TL_HOSTILE_ONLY lists some, or none: all). */
static int wanted(const char *name)
{
	if (only == NULL)
		return 1;
	size_t len = strlen(name);
	for (const char *p = only; *p != '\0'; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

/* Makes the two canaries, each with a line that only this run writes. Returns 0, or -1. */
static int make_canaries(void)
{
	snprintf(canary, sizeof canary, "%s/canary", scratch);
	snprintf(tmp_canary, sizeof tmp_canary, "/tmp/threadlab-canary.XXXXXX");
	int fd = mkstemp(tmp_canary);
	if (fd < 0) {
		tmp_canary[0] = '\0';
		return -1;
	}
	close(fd);
	return shell("echo 'canary of test_grade %d at %.0f' | tee '%s' >'%s' && chmod 644 '%s' '%s'", (int)getpid(), now(),
		     canary, tmp_canary, canary, tmp_canary);
}

static int setup(void **state)
{
	(void)state;
	/* Whatever a grade leaves behind is reparented to this test rather than to init, so that
	 * it can be found (see left_behind). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		snprintf(setup_error, sizeof setup_error, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return 0;
	}
	only = getenv("TL_HOSTILE_ONLY");
	const char *build = getenv("TL_BUILD") != NULL ? getenv("TL_BUILD") : "build";
	const char *b = getenv("THREADLAB_BIN");
	char cwd[PATHLEN];
	if (getcwd(cwd, sizeof cwd) == NULL)
		return -1;
	snprintf(topdir, sizeof topdir, "%s", cwd);
	if (b == NULL)
		snprintf(bin, sizeof bin, "%s/%s/bin/threadlab", cwd, build);
	else
		snprintf(bin, sizeof bin, "%s%s%s", b[0] == '/' ? "" : cwd, b[0] == '/' ? "" : "/", b);
	/* Under build/, not /tmp: the sandbox mounts an empty /tmp over the real one. A folder of
	 * its own, and a copy of the binary: others may run the tests or rebuild meanwhile. */
	snprintf(scratch, sizeof scratch, "%s/%s/hostile.XXXXXX", cwd, build);
	if (mkdtemp(scratch) == NULL) {
		snprintf(setup_error, sizeof setup_error, "mkdtemp %s: %s", scratch, strerror(errno));
		scratch[0] = '\0';
		return 0;
	}
	snprintf(root, sizeof root, "%s/root", scratch);
	if (make_canaries() != 0) {
		snprintf(setup_error, sizeof setup_error, "cannot make the canaries %s and %s", canary, tmp_canary);
		return 0;
	}
	char built[PATHLEN];
	snprintf(built, sizeof built, "%s", bin);
	snprintf(bin, sizeof bin, "%s/threadlab", scratch);
	if (shell("mkdir -p '%s/labs' '%s/solutions' '%s/harness/src' '%s/build/lib' '%s/work' && chmod 755 '%s' && "
		  "cp -R labs/01-counter labs/common '%s/labs/' && cp -R solutions/01-counter '%s/solutions/' && "
		  "cp -R harness/threadcheck harness/canary '%s/harness/' && cp harness/src/helgrind.supp '%s/harness/src/' && "
		  "cp '%s/lib/libthreadcheck.so' '%s/build/lib/' && cp '%s' '%s'",
		  root, root, root, root, scratch, scratch, root, root, root, root, build, root, built, bin) != 0) {
		snprintf(setup_error, sizeof setup_error, "cannot make the private toolkit copy under %s", scratch);
		return 0;
	}
	DIR *d = opendir(HOSTILE);
	if (d == NULL) {
		snprintf(setup_error, sizeof setup_error, "%s: %s", HOSTILE, strerror(errno));
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && ncases < MAX_CASES) {
		struct hcase *c = &cases[ncases];
		struct stat st;
		snprintf(c->dir, sizeof c->dir, "%s/%s/%s", cwd, HOSTILE, de->d_name);
		if (de->d_name[0] == '.' || stat(c->dir, &st) != 0 || !S_ISDIR(st.st_mode) || !wanted(de->d_name))
			continue;
		snprintf(c->name, sizeof c->name, "%s", de->d_name);
		snprintf(c->work, sizeof c->work, "%s/work/%s", scratch, de->d_name);
		if (parse_expect(c->dir, &c->e, c->parse_error, sizeof c->parse_error) == 0 && quick_only() &&
		    c->e.tampered != 1 && c->e.exit_code != 2)
			continue;
		ncases++;
	}
	closedir(d);
	/* Sorted, so the order of the runs and of the test names is stable. */
	for (int i = 1; i < ncases; i++)
		for (int k = i; k > 0 && strcmp(cases[k - 1].name, cases[k].name) > 0; k--) {
			struct hcase tmp = cases[k];
			cases[k] = cases[k - 1];
			cases[k - 1] = tmp;
		}
	char before[PATHLEN + 32];
	snprintf(before, sizeof before, "%s/tree.before", scratch);
	if (hash_tree(before) != 0) {
		snprintf(setup_error, sizeof setup_error, "cannot hash %s", root);
		return 0;
	}
	for (int i = 0; i < ncases; i++) {
		if (cases[i].parse_error[0] != '\0')
			continue;
		if (shell("mkdir -p '%s'", cases[i].work) != 0)
			return -1;
		add_job(&cases[i], "json");
		for (size_t f = 0; f < sizeof format_runs / sizeof format_runs[0]; f++)
			if (strcmp(format_runs[f].name, cases[i].name) == 0)
				for (int k = 0; format_runs[f].formats[k] != NULL; k++)
					add_job(&cases[i], format_runs[f].formats[k]);
	}
	/* Two graders at a time: each runs its tools two at a time as well. */
	int width = getenv("TL_HOSTILE_JOBS") != NULL ? atoi(getenv("TL_HOSTILE_JOBS")) : 2;
	if (width < 1)
		width = 1;
	double t0 = now();
	int next = 0, running = 0;
	while (next < njobs || running > 0) {
		while (running < width && next < njobs) {
			if (start_job(&jobs[next]) == 0)
				running++;
			next++;
		}
		int st;
		pid_t pid = wait(&st);
		if (pid < 0)
			break;
		for (int i = 0; i < njobs; i++) {
			if (jobs[i].pid == pid && jobs[i].rc == -1) {
				jobs[i].rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				jobs[i].end_ticks = boot_ticks();
				jobs[i].seconds = now() - jobs[i].t0;
				running--;
				print_message("graded %-26s %-10s exit %d in %5.1f s\n", jobs[i].c->name, jobs[i].format,
					      jobs[i].rc, jobs[i].seconds);
				if (reap_left_behind(jobs[i].survivors, sizeof jobs[i].survivors) > 0)
					print_message("  left behind: %s\n", jobs[i].survivors);
			}
		}
	}
	reap_orphans();
	print_message("%d grader runs of %d hostile submissions in %.0f s\n", njobs, ncases, now() - t0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (getenv("TL_HOSTILE_KEEP") == NULL && scratch[0] != '\0')
		shell("rm -rf '%s'", scratch);
	if (tmp_canary[0] != '\0')
		unlink(tmp_canary);
	return 0;
}

static const struct job *find_job(const struct hcase *c, const char *format)
{
	for (int i = 0; i < njobs; i++)
		if (jobs[i].c == c && strcmp(jobs[i].format, format) == 0)
			return &jobs[i];
	return NULL;
}

/* The number after KEY in TEXT (from FROM on), or -1. */
static double number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p != NULL ? atof(p + strlen(key)) : -1;
}

/* Checks item I of case C's expectations in its JSON report: the sum of the scores of the
 * items of that name (for "test", of every "test:NAME": the test cases that fail on the
 * handout, however many the record lists) and, when said, each one's outcome. */
static void check_item(const struct hcase *c, const char *report, const char *json, int i)
{
	const struct expect *e = &c->e;
	char key[64], outcome[48];
	snprintf(key, sizeof key, "{\"item\":\"%s%s", item_names[i], strcmp(item_names[i], "test") == 0 ? ":" : "\"");
	snprintf(outcome, sizeof outcome, "\"outcome\":\"%s\"", e->outcome[i]);
	double got = 0;
	int found = 0;
	for (const char *item = strstr(json, key); item != NULL; item = strstr(item + 1, key)) {
		found++;
		got += number_after(item, "\"score\":");
		const char *end = strchr(item + 1, '}'), *at = strstr(item, outcome);
		if (e->outcome[i][0] != '\0' && (at == NULL || end == NULL || at > end))
			fail_msg("%s: an item %s is not %s (report %s)", c->name, item_names[i], e->outcome[i], report);
	}
	if (found == 0)
		fail_msg("%s: no item %s in the report %s", c->name, item_names[i], report);
	if (got < e->item[i] - 0.005 || got > e->item[i] + 0.005)
		fail_msg("%s: %s %.2f, expected %.2f (report %s)", c->name, item_names[i], got, e->item[i], report);
}

static void check_case(void **state)
{
	const struct hcase *c = *state;
	const struct expect *e = &c->e;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	if (c->parse_error[0] != '\0')
		fail_msg("%s", c->parse_error);
	const struct job *j = find_job(c, "json");
	assert_non_null(j);
	for (int i = 0; i < njobs; i++)
		if (jobs[i].c == c && jobs[i].survivors[0] != '\0')
			fail_msg("%s --format %s left processes running after it ended: %s", c->name, jobs[i].format,
				 jobs[i].survivors);
	char errpath[PATHLEN + 16];
	snprintf(errpath, sizeof errpath, "%s.stderr", j->out);
	char *err = slurp(errpath);
	if (j->rc != e->exit_code)
		fail_msg("%s: threadlab grade exited %d, expected %d; stderr: %.600s", c->name, j->rc, e->exit_code,
			 err != NULL ? err : "");
	if (e->stderr_frag[0] != '\0' && (err == NULL || strstr(err, e->stderr_frag) == NULL))
		fail_msg("%s: stderr lacks \"%s\": %.600s", c->name, e->stderr_frag, err != NULL ? err : "");
	free(err);
	if (e->exit_code == 2)
		return;
	char *json = slurp(j->out);
	if (json == NULL)
		fail_msg("%s: no report at %s", c->name, j->out);
	/* The JSON printer's fixed shape: the grade's score follows "runs", each item's its name. */
	double total = number_after(json, "\"score\":");
	if (e->has_total && (total < e->total - 0.005 || total > e->total + 0.005))
		fail_msg("%s: total %.2f, expected %.2f", c->name, total, e->total);
	for (int i = 0; i < NITEMS; i++)
		if (e->has_item[i])
			check_item(c, j->out, json, i);
	if (e->tampered >= 0) {
		int refused = strstr(json, "\"tampered\":true") != NULL;
		if (refused != e->tampered)
			fail_msg("%s: tampered is %s, expected %s", c->name, refused ? "true" : "false",
				 e->tampered ? "true" : "false");
	}
	if (e->note[0] != '\0' && strstr(json, e->note) == NULL)
		fail_msg("%s: the note lacks \"%s\" (report %s)", c->name, e->note, j->out);
	if (e->feedback[0] != '\0' && strstr(json, e->feedback) == NULL)
		fail_msg("%s: no feedback says \"%s\" (report %s)", c->name, e->feedback, j->out);
	free(json);
}

/* How many findings the JSON report of C lists. */
static int count_findings(const struct hcase *c)
{
	const struct job *j = find_job(c, "json");
	char *json = j != NULL ? slurp(j->out) : NULL;
	if (json == NULL)
		return -1;
	int n = 0;
	const char *p = strstr(json, "\"findings\":[");
	for (; p != NULL && (p = strstr(p + 1, "{\"tool\":")) != NULL; n++)
		;
	free(json);
	return n;
}

static void test_report_formats(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	int checked = 0, failures = 0;
	for (int i = 0; i < njobs; i++) {
		const struct job *j = &jobs[i];
		if (strcmp(j->format, "json") == 0)
			continue;
		if (j->rc != 0 && j->rc != 1) {
			print_error("%s --format %s: exit %d\n", j->c->name, j->format, j->rc);
			failures++;
			continue;
		}
		int n = count_findings(j->c);
		char cmd[3 * PATHLEN];
		snprintf(cmd, sizeof cmd, "'%s/validate-report' %s '%s' %d", HOSTILE, j->format, j->out, n);
		int rc = shell("%s", cmd);
		if (rc != 0) {
			print_error("%s: %s exited %d\n", j->c->name, cmd, rc);
			failures++;
		}
		checked++;
	}
	if (!quick_only() && only == NULL && checked < 10)
		fail_msg("only %d reports validated", checked);
	if (only != NULL && checked == 0)
		skip();
	assert_true(checked > 0);
	assert_int_equal(failures, 0);
}

/* The validators are not fooled: each format's checker refuses a broken report. */
static void test_report_validators_fail(void **state)
{
	(void)state;
	static const struct {
		const char *format, *text;
	} broken[] = {
		{"gradescope", "{\"score\": 3, \"tests\": [{\"name\": \"a\", \"score\": 2, \"max_score\": 1}]}\n"},
		{"junit", "<testsuites><testsuite name=\"x\" tests=\"1\" failures=\"0\"><testcase name=\"a\"></testsuite>\n"},
		{"sarif", "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"t\", \"rules\": []}}, \"results\": [{\"ruleId\": \"race\", \"message\": {\"text\": \"m\"}}]}]}\n"},
		{"tap", "TAP version 13\n1..3\nok 1 - a\nok 1 - b\n"},
		{"github", "::error title=a::1\n::error::2\n::error::3\n::error::4\n::error::5\n::error::6\n::error::7\n::error::8\n::error::9\n::error::10\n::error::11\n"},
	};
	char path[PATHLEN + 32];
	snprintf(path, sizeof path, "%s/broken-report", scratch[0] ? scratch : "/tmp");
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		FILE *f = fopen(path, "we");
		assert_non_null(f);
		fputs(broken[i].text, f);
		fclose(f);
		int rc = shell("'%s/validate-report' %s '%s' >/dev/null 2>&1", HOSTILE, broken[i].format, path);
		if (rc != 1)
			fail_msg("validate-report %s accepted a broken report (exit %d)", broken[i].format, rc);
	}
	unlink(path);
}

/* scripts/grade-all on a few small submissions: four shards run at the same time and merged
 * with scripts/grade-merge give the same CSV as one unsharded run, and the shards split the
 * submissions without overlap. */
static void test_batch_shards(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	if (quick_only() || only != NULL)
		skip();
	char b[PATHLEN + 16], w[PATHLEN + 16];
	snprintf(b, sizeof b, "%s/batch", scratch);
	snprintf(w, sizeof w, "%s/work", scratch);
	/* Folders, a .tar.gz, a .tgz and an unreadable .tar, made from the graded cases' inputs. */
	assert_int_equal(shell("rm -rf '%s' && mkdir -p '%s/in' && cd '%s' && "
			       "cp -R fork-bomb/sub '%s/in/alice' && tar -czf '%s/in/bob.tar.gz' -C solution/sub labs && "
			       "cp -R setenv-tsan-options/sub '%s/in/dave' && cp tarball-dotdot/sub.tar '%s/in/erin.tar' && "
			       "tar -czf '%s/in/frank.tgz' -C valgrind-asm/sub labs && cp -R write-toolkit-fopen/sub '%s/in/gina' && "
			       "echo not a submission >'%s/in/notes.txt'",
			       b, b, w, b, b, b, b, b, b, b),
			 0);
	char env[3 * PATHLEN];
	snprintf(env, sizeof env, "THREADLAB='%s' THREADLAB_BUILD='%s/build'", bin, root);
	/* One run, then four shards at once; grade-all exits 1 because erin.tar cannot be graded. */
	int one = shell("cd '%s' && %s scripts/grade-all '%s/in' --jobs 2 --out '%s/all' -- --root '%s' --lab 01 --runs 1 2>'%s/all.log'",
			topdir, env, b, b, root, b);
	int shards = shell("cd '%s' && for k in 1 2 3 4; do %s scripts/grade-all '%s/in' --shard $k/4 --out '%s/s'$k "
			   "-- --root '%s' --lab 01 --runs 1 2>'%s/s'$k.log & pids=\"$pids $!\"; done; fails=0; "
			   "for p in $pids; do wait $p || fails=$((fails+1)); done; "
			   "[ $fails -eq 1 ]",
			   topdir, env, b, b, root, b);
	assert_int_equal(one, 1);
	assert_int_equal(shards, 0);
	assert_int_equal(shell("cd '%s' && scripts/grade-merge --out '%s/merged' '%s/s1' '%s/s2' '%s/s3' '%s/s4' 2>/dev/null",
			       topdir, b, b, b, b, b),
			 0);
	if (shell("diff '%s/all/grades.csv' '%s/merged/grades.csv' >&2", b, b) != 0)
		fail_msg("merged shards differ from the unsharded run (diff above)");
	/* Each submission in exactly one shard, every shard non-empty (6 submissions, 4 shards). */
	assert_int_equal(shell("cd '%s' && ls s1/reports s2/reports s3/reports s4/reports | grep '\\.rc$' | sort | uniq -d | grep -q . && exit 1; "
			       "n=$(cat s?/reports/*.rc | wc -l); [ \"$n\" -eq 6 ] && for k in 1 2 3 4; do ls s$k/reports/*.rc >/dev/null || exit 1; done",
			       b),
			 0);
	/* The grades themselves, and an HTML page with one row per submission. */
	char csv[PATHLEN + 32];
	snprintf(csv, sizeof csv, "%s/all/grades.csv", b);
	char *text = slurp(csv);
	assert_non_null(text);
	static const char *const rows[] = {"submission,status,01-counter,total,max\n", "alice,graded,0,0,10\n",
					   "bob,graded,10,10,10\n", "dave,graded,0,0,10\n", "erin,error,,,\n",
					   "frank,graded,0,0,10\n", "gina,graded,0,0,10\n"};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (strstr(text, rows[i]) == NULL)
			fail_msg("grades.csv lacks the row \"%.*s\":\n%s", (int)strlen(rows[i]) - 1, rows[i], text);
	assert_null(strstr(text, "notes"));
	free(text);
	assert_int_equal(shell("f='%s/merged/grades.html'; [ \"$(grep -c '<tr class' \"$f\")\" -eq 6 ] && grep -q '</html>' \"$f\"", b), 0);
}

/* Grades the solutions of lab 01 with the toolkit at ROOT_DIR and the build at BUILD_DIR, and
 * fails unless the grader refuses with exit 2 and a stderr holding both WANT1 and WANT2. */
static void assert_grade_refused(const char *root_dir, const char *build_dir, const char *want1, const char *want2)
{
	char errpath[PATHLEN + 32];
	snprintf(errpath, sizeof errpath, "%s/refused.stderr", scratch);
	int rc = shell("env THREADLAB_BUILD='%s' '%s' grade '%s/solutions' --root '%s' --lab 01 --runs 1 "
		       ">/dev/null 2>'%s'",
		       build_dir, bin, root_dir, root_dir, errpath);
	char *err = slurp(errpath);
	if (rc != 2 || err == NULL || strstr(err, want1) == NULL || strstr(err, want2) == NULL)
		fail_msg("grading with --root %s and build %s: exit %d, expected 2 with \"%s\"; stderr: %.400s",
			 root_dir, build_dir, rc, want1, err != NULL ? err : "");
	free(err);
}

/* A toolkit missing one of its tools (threadcheck's library, Helgrind's suppressions) refuses
 * to grade (exit 2, the tool named) instead of marking that tool's item lost: the grade would
 * be wrong, not lower. */
static void test_missing_tool_refused(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	char empty[PATHLEN + 32], build[PATHLEN + 32], bare[PATHLEN + 32];
	snprintf(empty, sizeof empty, "%s/empty-build", scratch);
	assert_int_equal(shell("mkdir -p '%s'", empty), 0);
	assert_grade_refused(root, empty, "cannot grade without threadcheck", "libthreadcheck.so is not built");
	/* Helgrind without the toolkit's suppressions would report known false races. */
	snprintf(bare, sizeof bare, "%s/root-without-supp", scratch);
	snprintf(build, sizeof build, "%s/build", bare);
	assert_int_equal(shell("rm -rf '%s' && cp -R '%s' '%s' && rm '%s/harness/src/helgrind.supp' && rm -rf '%s/grade'",
			       bare, root, bare, bare, build), 0);
	assert_grade_refused(bare, build, "cannot grade without helgrind", "helgrind.supp is missing");
}

/* A lab whose files changed since its handout was recorded is not graded: its rubric would come
 * from a run of other code (a new test that fails on the handout would earn nothing). The
 * refusal names the command that records it again. */
static void test_stale_record_refused(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	char stale[PATHLEN + 32], build[PATHLEN + 32];
	snprintf(stale, sizeof stale, "%s/root-stale-record", scratch);
	snprintf(build, sizeof build, "%s/build", stale);
	assert_int_equal(shell("rm -rf '%s' && cp -R '%s' '%s' && rm -rf '%s/grade' && "
			       "echo '/* one more test */' >>'%s/labs/01-counter/test_counter.c'",
			       stale, root, stale, build, stale),
			 0);
	assert_grade_refused(stale, build, "handout.record is stale", "threadlab record --lab 01");
	assert_int_equal(shell("rm '%s/labs/01-counter/handout.record'", stale), 0);
	assert_grade_refused(stale, build, "handout.record", "threadlab record --lab 01");
}

static void test_toolkit_unchanged(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	char before[PATHLEN + 32], after[PATHLEN + 32];
	snprintf(before, sizeof before, "%s/tree.before", scratch);
	snprintf(after, sizeof after, "%s/tree.after", scratch);
	assert_int_equal(hash_tree(after), 0);
	if (shell("diff '%s' '%s' >&2", before, after) != 0)
		fail_msg("the toolkit copy %s or a canary (%s, %s) changed while hostile submissions were graded (diff above)",
			 root, canary, tmp_canary);
	/* Every grader removed its scratch folder. */
	char grades[PATHLEN + 32];
	snprintf(grades, sizeof grades, "%s/build/grade", root);
	DIR *d = opendir(grades);
	int left = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL)
		left += de->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	if (left != 0)
		fail_msg("%d scratch folder(s) left in %s", left, grades);
}

/* After every grade of every test: nothing that a grade started still runs (each case's own
 * grades were checked as they ended; this covers the batch and refusal tests' graders). */
static void test_no_process_left(void **state)
{
	(void)state;
	if (setup_error[0] != '\0')
		fail_msg("%s", setup_error);
	char what[1024];
	int n = reap_left_behind(what, sizeof what);
	reap_orphans();
	if (n != 0)
		fail_msg("%d process(es) outlived the grades: %s", n, what);
}

int main(void)
{
	/* The cases are only known once the folder is read: setup grades them all, then the group
	 * has one test per case and the checks that span them. */
	static struct CMUnitTest tests[MAX_CASES + 7];
	static char names[MAX_CASES][80];
	if (setup(NULL) != 0)
		return 1;
	if (!quick_only() && only == NULL && ncases < 20) {
		fprintf(stderr, "test_grade: only %d hostile cases under %s (at least 20 expected)\n", ncases, HOSTILE);
		return 1;
	}
	int k = 0;
	for (int i = 0; i < ncases; i++) {
		snprintf(names[i], sizeof names[i], "hostile/%s", cases[i].name);
		tests[k++] = (struct CMUnitTest){.name = names[i], .test_func = check_case, .initial_state = &cases[i]};
	}
	tests[k++] = (struct CMUnitTest){.name = "report_formats", .test_func = test_report_formats};
	tests[k++] = (struct CMUnitTest){.name = "report_validators_fail", .test_func = test_report_validators_fail};
	tests[k++] = (struct CMUnitTest){.name = "batch_shards", .test_func = test_batch_shards};
	tests[k++] = (struct CMUnitTest){.name = "missing_tool_refused", .test_func = test_missing_tool_refused};
	tests[k++] = (struct CMUnitTest){.name = "stale_record_refused", .test_func = test_stale_record_refused};
	tests[k++] = (struct CMUnitTest){.name = "toolkit_unchanged", .test_func = test_toolkit_unchanged};
	tests[k++] = (struct CMUnitTest){.name = "no_process_left", .test_func = test_no_process_left};
	return _cmocka_run_group_tests("grade", tests, (size_t)k, NULL, teardown);
}

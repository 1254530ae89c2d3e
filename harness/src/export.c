/* export.c: threadlab export, which writes a course platform's autograder bundle (Gradescope, PrairieLearn, Classroom 50): the toolkit, the platform's scripts from ci/PLATFORM/ and its settings. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

static const char export_usage[] =
	"usage: threadlab export PLATFORM --out PATH [--lab NN[,NN]] [--runs K] [options]\n"
	"  gradescope   --out FILE.zip   the autograder zip (setup.sh, run_autograder, the toolkit);\n"
	"               --details WHEN   when students see the items: visible (default),\n"
	"                                after_due_date, after_published or hidden\n"
	"  prairielearn --out DIR        a question per lab, the grader in serverFilesCourse/ and\n"
	"               --image NAME     the grading image's Dockerfile (image/); NAME is what\n"
	"                                info.json pulls (required)\n"
	"               --timeout S      the grading job's limit (PrairieLearn allows 600; default 600)\n"
	"  classroom50  --out DIR        autograders/SLUG/ (autograder.py and the toolkit) and the\n"
	"               --assignment SLUG  assignment's entry for assignments.json (default threadlab)\n"
	"  --runs K       runs of every tool per lab (default 3)\n"
	"  --run-timeout S  wall-clock limit of one run (grade --timeout; default: each lab's):\n"
	"                 raise it for a platform whose containers have little CPU\n"
	"  --root DIR     the toolkit exported (default: found from the binary)\n"
	"Every bundle grades with --sandbox platform-container: bubblewrap when it can start in the\n"
	"platform's container, else that throw-away container, as each report then says.\n";

/* What one export is asked for, and where it is assembled. */
struct export {
	char root[TL_PATH];     /* the toolkit */
	const char *out;        /* --out */
	const char *lab;        /* --lab, or NULL: every lab */
	struct tl_lab *labs;    /* the labs exported */
	size_t n;
	int runs;
	int run_timeout_s;      /* --run-timeout, or 0: each lab's own */
	int timeout_s;          /* prairielearn --timeout */
	const char *details;    /* gradescope --details */
	const char *image;      /* prairielearn --image */
	const char *assignment; /* classroom50 --assignment */
};

static int write_gradescope(const struct export *x, char *err, size_t errlen);
static int write_prairielearn(const struct export *x, char *err, size_t errlen);
static int write_classroom50(const struct export *x, char *err, size_t errlen);

/* The platforms: the name on the command line, what --out becomes, the writer. Each writer
 * fills ERR and returns -1 on failure, leaving what it wrote so far. */
static const struct platform {
	const char *name;
	const char *out_is;
	int (*write)(const struct export *x, char *err, size_t errlen);
} platforms[] = {
	{"gradescope", "a .zip file", write_gradescope},
	{"prairielearn", "a new folder", write_prairielearn},
	{"classroom50", "a new folder", write_classroom50},
};
#define NPLATFORMS (sizeof platforms / sizeof platforms[0])

/* What of the toolkit a bundle carries: what `make all` builds from, what grading reads, and
 * what the bundles' scripts call. Never solutions/ nor harness/tests/ (whose hostile fixtures
 * hold solutions), nor a build. */
static const char *const toolkit_parts[] = {
	"Makefile", "harness/src", "harness/threadcheck", "harness/canary", "labs", "scripts/install-deps",
	"ci/allow-userns",
};

/* What of those parts a bundle leaves out: worked fixes of a lab are answers, and a Classroom
 * 50 bundle is published on the classroom's Pages site. */
static const char *const toolkit_never[] = {
	"labs/*/fixes",
};

/* ---- small helpers ------------------------------------------------------------------------- */

/* Runs ARGV in CWD (NULL: here) for at most 300 s. Returns 0 when it exited 0, else -1 with
 * ERR. */
static int run(char *const *argv, const char *cwd, char *err, size_t errlen)
{
	struct tl_spawn s = {0};
	s.argv = argv;
	s.cwd = cwd;
	s.timeout_s = 300;
	char e[256];
	if (tl_spawn_run(&s, e, sizeof e) != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], e);
		return -1;
	}
	if (!s.exited || s.exit_code != 0) {
		snprintf(err, errlen, "%s %s failed (%s %d)", argv[0], argv[1], s.exited ? "exit status" : "signal",
			 s.exited ? s.exit_code : s.signo);
		return -1;
	}
	return 0;
}

/* Writes TEXT to the new file PATH with MODE. Returns 0, or -1 with ERR. */
static int write_text(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wxe");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0 || chmod(path, mode) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Makes the folder ROOT/REL (and its parents) into BUF. Returns 0, or -1 with ERR. */
static int make_dir(char *buf, size_t len, const char *root, const char *rel, char *err, size_t errlen)
{
	if (tl_pathf(buf, len, "%s/%s", root, rel) != 0 || tl_mkdirs(buf) != 0) {
		snprintf(err, errlen, "cannot make %s/%s: %s", root, rel, strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes from the copy in DEST what toolkit_never names. Returns 0, or -1 with ERR. */
static int drop_never(const char *dest, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof toolkit_never / sizeof toolkit_never[0]; i++) {
		char pattern[TL_PATH];
		glob_t g;
		if (tl_pathf(pattern, sizeof pattern, "%s/%s", dest, toolkit_never[i]) != 0) {
			snprintf(err, errlen, "path too long: %s", dest);
			return -1;
		}
		int rc = glob(pattern, 0, NULL, &g);
		if (rc == GLOB_NOMATCH)
			continue;
		if (rc != 0) {
			snprintf(err, errlen, "cannot list %s", pattern);
			return -1;
		}
		for (size_t k = 0; rc == 0 && k < g.gl_pathc; k++) {
			char *rm[] = {"rm", "-rf", g.gl_pathv[k], NULL};
			rc = run(rm, NULL, err, errlen);
		}
		globfree(&g);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Copies the toolkit's parts into the new folder DEST. Returns 0, or -1 with ERR. */
static int copy_toolkit(const struct export *x, const char *dest, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof toolkit_parts / sizeof toolkit_parts[0]; i++) {
		char src[TL_PATH], dst[TL_PATH], dir[TL_PATH];
		const char *slash = strrchr(toolkit_parts[i], '/');
		int n = slash != NULL ? (int)(slash - toolkit_parts[i]) : 0;
		if (tl_pathf(src, sizeof src, "%s/%s", x->root, toolkit_parts[i]) != 0 ||
		    tl_pathf(dir, sizeof dir, "%s/%.*s", dest, n, toolkit_parts[i]) != 0 ||
		    tl_pathf(dst, sizeof dst, "%s/%s", dest, toolkit_parts[i]) != 0 || tl_mkdirs(dir) != 0) {
			snprintf(err, errlen, "cannot copy %s into %s", toolkit_parts[i], dest);
			return -1;
		}
		char *cp[] = {"cp", "-R", src, dst, NULL};
		if (run(cp, NULL, err, errlen) != 0)
			return -1;
	}
	return drop_never(dest, err, errlen);
}

/* Copies the platform's scripts, ci/NAME/FILE, into DEST/FILE. Returns 0, or -1 with ERR. */
static int copy_script(const struct export *x, const char *name, const char *file, const char *dest, char *err,
		       size_t errlen)
{
	char src[TL_PATH], dst[TL_PATH];
	if (tl_pathf(src, sizeof src, "%s/ci/%s/%s", x->root, name, file) != 0 ||
	    tl_pathf(dst, sizeof dst, "%s/%s", dest, file) != 0) {
		snprintf(err, errlen, "path too long: %s", dest);
		return -1;
	}
	char *cp[] = {"cp", src, dst, NULL};
	return run(cp, NULL, err, errlen);
}

/* Writes DIR/bundle.conf, the settings the bundle's scripts read (KEY=VALUE lines). Returns 0,
 * or -1 with ERR. */
static int write_conf(const struct export *x, const char *dir, char *err, size_t errlen)
{
	char path[TL_PATH], text[1024];
	/* %.0d prints nothing for 0: RUN_TIMEOUT is then empty, each lab's own. */
	snprintf(text, sizeof text,
		 "# bundle.conf: written by threadlab export; read by this bundle's scripts.\n"
		 "LABS=%s\nRUNS=%d\nRUN_TIMEOUT=%.0d\nDETAILS=%s\nASSIGNMENT=%s\n",
		 x->lab != NULL ? x->lab : "", x->runs, x->run_timeout_s, x->details, x->assignment);
	if (tl_pathf(path, sizeof path, "%s/bundle.conf", dir) != 0) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	return write_text(path, text, 0644, err, errlen);
}

/* Makes the folder --out names, which must not exist yet, into BUF. Returns 0, or -1 with
 * ERR. */
static int new_out_dir(const struct export *x, char *buf, size_t len, char *err, size_t errlen)
{
	if (access(x->out, F_OK) == 0) {
		snprintf(err, errlen, "%s exists already: export writes a new folder", x->out);
		return -1;
	}
	return make_dir(buf, len, x->out, ".", err, errlen);
}

/* ---- Gradescope ---------------------------------------------------------------------------- */

/* The absolute path of --out, which must name a .zip file, into BUF. Returns 0, or -1 with ERR. */
static int zip_path(const struct export *x, char *buf, size_t len, char *err, size_t errlen)
{
	size_t n = strlen(x->out);
	char cwd[TL_PATH];
	if (n < 5 || strcmp(x->out + n - 4, ".zip") != 0) {
		snprintf(err, errlen, "--out must name a .zip file, not '%s'", x->out);
		return -1;
	}
	if (x->out[0] == '/')
		tl_strlcpy(buf, x->out, len);
	else if (getcwd(cwd, sizeof cwd) == NULL || tl_pathf(buf, len, "%s/%s", cwd, x->out) != 0) {
		snprintf(err, errlen, "cannot name %s: %s", x->out, strerror(errno));
		return -1;
	}
	if (unlink(buf) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", buf, strerror(errno));
		return -1;
	}
	return 0;
}

/* The zip Gradescope's autograder page takes: setup.sh and run_autograder at its top (Gradescope
 * copies the zip's content to /autograder/source), the toolkit in threadlab/, bundle.conf. */
static int write_gradescope(const struct export *x, char *err, size_t errlen)
{
	char stage[] = "/tmp/threadlab-export-XXXXXX", tk[TL_PATH], zip[TL_PATH];
	if (zip_path(x, zip, sizeof zip, err, errlen) != 0)
		return -1;
	if (mkdtemp(stage) == NULL) {
		snprintf(err, errlen, "cannot make a staging folder: %s", strerror(errno));
		return -1;
	}
	int rc = -1;
	if (make_dir(tk, sizeof tk, stage, "threadlab", err, errlen) == 0 && copy_toolkit(x, tk, err, errlen) == 0 &&
	    copy_script(x, "gradescope", "setup.sh", stage, err, errlen) == 0 &&
	    copy_script(x, "gradescope", "run_autograder", stage, err, errlen) == 0 &&
	    write_conf(x, stage, err, errlen) == 0) {
		/* -X: no owner or time extras, so the same toolkit makes the same listing. */
		char *zipv[] = {"zip", "-q", "-r", "-X", zip, ".", NULL};
		rc = run(zipv, stage, err, errlen);
	}
	char *rm[] = {"rm", "-rf", stage, NULL};
	char e[256];
	(void)run(rm, NULL, e, sizeof e);
	return rc;
}

/* ---- PrairieLearn -------------------------------------------------------------------------- */

/* Folds the bytes of S into the FNV-1a hash H. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return h;
}

/* A question's uuid, the same on every export of SLUG, so that re-exporting a lab updates its
 * question instead of making a new one: two FNV-1a hashes of the slug, in a version-4 layout. */
static void slug_uuid(const char *slug, char *buf, size_t len)
{
	uint64_t a = fnv1a(fnv1a(0xcbf29ce484222325ull, "threadlab/"), slug);
	uint64_t b = fnv1a(fnv1a(0x84222325cbf29ce4ull, "threadlab/"), slug);
	snprintf(buf, len, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffull));
}

/* Writes DIR/info.json of LAB: external grading in X's image, the grader of serverFilesCourse
 * run on this lab. Returns 0, or -1 with ERR. */
static int pl_info(const struct export *x, const struct tl_lab *lab, const char *dir, char *err, size_t errlen)
{
	char path[TL_PATH], uuid[40], title[256];
	slug_uuid(lab->slug, uuid, sizeof uuid);
	snprintf(title, sizeof title, "threadlab %s: %s", lab->slug, lab->title);
	FILE *f = tl_pathf(path, sizeof path, "%s/info.json", dir) == 0 ? fopen(path, "wxe") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s/info.json: %s", dir, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"uuid\": \"%s\",\n  \"type\": \"v3\",\n  \"title\": ", uuid);
	tl_put_json(f, title);
	fprintf(f, ",\n  \"topic\": \"Concurrency\",\n  \"tags\": [\"threadlab\"],\n  \"singleVariant\": true,\n"
		   "  \"gradingMethod\": \"External\",\n  \"externalGradingOptions\": {\n    \"enabled\": true,\n"
		   "    \"image\": ");
	tl_put_json(f, x->image);
	fprintf(f, ",\n    \"serverFilesCourse\": [\"threadlab/\"],\n"
		   "    \"entrypoint\": [\"/grade/serverFilesCourse/threadlab/run\", ");
	tl_put_json(f, lab->slug);
	fprintf(f, "],\n    \"timeout\": %d\n  }\n}\n", x->timeout_s);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes DIR/question.html of LAB: the task, an editor per student file (starting from the
 * handout's), and the grader's results. Returns 0, or -1 with ERR. */
static int pl_question(const struct export *x, const struct tl_lab *lab, const char *dir, char *err, size_t errlen)
{
	char path[TL_PATH];
	FILE *f = tl_pathf(path, sizeof path, "%s/question.html", dir) == 0 ? fopen(path, "wxe") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s/question.html: %s", dir, strerror(errno));
		return -1;
	}
	fprintf(f, "<pl-question-panel>\n  <p><strong>");
	tl_put_xml(f, lab->title, 1);
	fprintf(f, "</strong></p>\n  <p>Fix the concurrency bug of lab %s (its README in the threadlab handout tells the "
		   "story and gives hints). Your code is graded under ThreadSanitizer, Helgrind, threadcheck and the lab's "
		   "tests, %d run(s) each; points per item are shown with what was lost and where.</p>\n",
		lab->slug, x->runs);
	for (int i = 0; i < lab->nstudent; i++) {
		fprintf(f, "  <pl-file-editor file-name=\"");
		tl_put_xml(f, lab->student[i], 1);
		fprintf(f, "\" ace-mode=\"ace/mode/c_cpp\" source-file-name=\"");
		tl_put_xml(f, lab->student[i], 1);
		fprintf(f, "\"></pl-file-editor>\n");
	}
	fprintf(f, "</pl-question-panel>\n\n<pl-submission-panel>\n  <pl-external-grader-results></pl-external-grader-results>\n"
		   "  <pl-file-preview></pl-file-preview>\n</pl-submission-panel>\n");
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes OUT/questions/threadlab/SLUG/ of LAB: info.json, question.html and the handout's
 * student files. Returns 0, or -1 with ERR. */
static int pl_lab(const struct export *x, const struct tl_lab *lab, const char *out, char *err, size_t errlen)
{
	char rel[TL_PATH], dir[TL_PATH];
	snprintf(rel, sizeof rel, "questions/threadlab/%s", lab->slug);
	if (make_dir(dir, sizeof dir, out, rel, err, errlen) != 0 || pl_info(x, lab, dir, err, errlen) != 0 ||
	    pl_question(x, lab, dir, err, errlen) != 0)
		return -1;
	for (int i = 0; i < lab->nstudent; i++) {
		char src[TL_PATH], dst[TL_PATH];
		if (tl_pathf(src, sizeof src, "%s/labs/%s/%s", x->root, lab->slug, lab->student[i]) != 0 ||
		    tl_pathf(dst, sizeof dst, "%s/%s", dir, lab->student[i]) != 0) {
			snprintf(err, errlen, "path too long: %s", dir);
			return -1;
		}
		char *cp[] = {"cp", src, dst, NULL};
		if (run(cp, NULL, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* A PrairieLearn course's part: the grader (serverFilesCourse/threadlab: run, bundle.conf), the
 * grading image's build folder (image/: Dockerfile, the toolkit) and a question per lab. */
static int write_prairielearn(const struct export *x, char *err, size_t errlen)
{
	char out[TL_PATH], img[TL_PATH], tk[TL_PATH], sfc[TL_PATH];
	if (x->image == NULL) {
		snprintf(err, errlen, "--image NAME is required: the image info.json has PrairieLearn pull (build it from OUT/image)");
		return -1;
	}
	if (new_out_dir(x, out, sizeof out, err, errlen) != 0 || make_dir(img, sizeof img, x->out, "image", err, errlen) != 0 ||
	    make_dir(tk, sizeof tk, img, "threadlab", err, errlen) != 0 || copy_toolkit(x, tk, err, errlen) != 0 ||
	    copy_script(x, "prairielearn", "Dockerfile", img, err, errlen) != 0 ||
	    make_dir(sfc, sizeof sfc, x->out, "serverFilesCourse/threadlab", err, errlen) != 0 ||
	    copy_script(x, "prairielearn", "run", sfc, err, errlen) != 0 || write_conf(x, sfc, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < x->n; i++)
		if (pl_lab(x, &x->labs[i], x->out, err, errlen) != 0)
			return -1;
	return 0;
}

/* ---- Classroom 50 -------------------------------------------------------------------------- */

/* Writes OUT/assignments.json: the assignment's entry (classroom50/assignments/v1), to merge
 * into the classroom's: its runtime is a Debian 12 container with Python, where autograder.py
 * installs the toolkit's packages. Returns 0, or -1 with ERR. */
static int c50_assignment(const struct export *x, const char *out, char *err, size_t errlen)
{
	char path[TL_PATH], name[512] = "threadlab:";
	for (size_t i = 0; i < x->n; i++) {
		size_t len = strlen(name);
		snprintf(name + len, sizeof name - len, "%s %s", i ? "," : "", x->labs[i].slug);
	}
	FILE *f = tl_pathf(path, sizeof path, "%s/assignments.json", out) == 0 ? fopen(path, "wxe") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s/assignments.json: %s", out, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"schema\": \"classroom50/assignments/v1\",\n  \"assignments\": [\n    {\n      \"slug\": ");
	tl_put_json(f, x->assignment);
	fprintf(f, ",\n      \"name\": ");
	tl_put_json(f, name);
	fprintf(f, ",\n      \"mode\": \"individual\",\n      \"autograder\": \"default\",\n"
		   "      \"runtime\": {\"container\": {\"image\": \"python:3.12-bookworm\"}}\n    }\n  ]\n}\n");
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A Classroom 50 per-assignment bundle: autograders/SLUG/ with autograder.py, bundle.conf and
 * the toolkit, and the assignment's entry. */
static int write_classroom50(const struct export *x, char *err, size_t errlen)
{
	char out[TL_PATH], rel[256], dir[TL_PATH], tk[TL_PATH];
	size_t n = strlen(x->assignment);
	if (n < 2 || n > 39 || strspn(x->assignment, "abcdefghijklmnopqrstuvwxyz0123456789-") != n || x->assignment[0] == '-') {
		snprintf(err, errlen, "--assignment must be 2 to 39 of a-z, 0-9 and '-' (not first), not '%s'",
			 x->assignment);
		return -1;
	}
	snprintf(rel, sizeof rel, "autograders/%s", x->assignment);
	if (new_out_dir(x, out, sizeof out, err, errlen) != 0 || make_dir(dir, sizeof dir, x->out, rel, err, errlen) != 0 ||
	    make_dir(tk, sizeof tk, dir, "threadlab", err, errlen) != 0 || copy_toolkit(x, tk, err, errlen) != 0 ||
	    copy_script(x, "classroom50", "autograder.py", dir, err, errlen) != 0 || write_conf(x, dir, err, errlen) != 0)
		return -1;
	return c50_assignment(x, x->out, err, errlen);
}

/* ---- the command --------------------------------------------------------------------------- */

/* Reads the options after PLATFORM into X. Returns 0, or -1 when the command line is wrong. */
static int export_options(int argc, char **argv, struct export *x)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, 'o'},     {"lab", required_argument, NULL, 'l'},
		{"runs", required_argument, NULL, 'r'},    {"details", required_argument, NULL, 'd'},
		{"image", required_argument, NULL, 'i'},   {"timeout", required_argument, NULL, 't'},
		{"assignment", required_argument, NULL, 'a'}, {"root", required_argument, NULL, 'R'},
		{"run-timeout", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	static const char *const details[] = {"visible", "after_due_date", "after_published", "hidden"};
	int c, ok = 1;
	char *end = NULL;
	optind = 3; /* past "export PLATFORM" */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': x->out = optarg; break;
		case 'l': x->lab = optarg; break;
		case 'r': x->runs = (int)strtol(optarg, &end, 10); ok &= *end == '\0' && x->runs >= 1 && x->runs <= 100; break;
		case 't': x->timeout_s = (int)strtol(optarg, &end, 10); ok &= *end == '\0' && x->timeout_s >= 10 && x->timeout_s <= 600; break;
		case 'T': x->run_timeout_s = (int)strtol(optarg, &end, 10); ok &= *end == '\0' && x->run_timeout_s >= 1 && x->run_timeout_s <= 3600; break;
		case 'd': x->details = optarg; break;
		case 'i': x->image = optarg; break;
		case 'a': x->assignment = optarg; break;
		case 'R': tl_strlcpy(x->root, optarg, sizeof x->root); break;
		default: ok = 0; break;
		}
	}
	int known = 0;
	for (size_t i = 0; i < sizeof details / sizeof details[0]; i++)
		known |= strcmp(x->details, details[i]) == 0;
	return ok && known && optind == argc && x->out != NULL ? 0 : -1;
}

/* The toolkit: --root, or two levels above build/bin/threadlab. Returns 0, or -1. */
static int export_root(struct export *x)
{
	if (x->root[0] != '\0')
		return 0;
	char exe[TL_PATH];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (slash == NULL)
			return -1;
		*slash = '\0';
	}
	tl_strlcpy(x->root, exe[0] != '\0' ? exe : "/", sizeof x->root);
	return 0;
}

int tl_export_main(int argc, char **argv)
{
	struct export x = {.runs = 3, .timeout_s = 600, .details = "visible", .assignment = "threadlab"};
	const struct platform *p = NULL;
	for (size_t i = 0; argc > 2 && i < NPLATFORMS; i++)
		if (strcmp(argv[2], platforms[i].name) == 0)
			p = &platforms[i];
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(export_usage, stdout);
		return TL_EXIT_PASS;
	}
	if (p == NULL || export_options(argc, argv, &x) != 0 || export_root(&x) != 0) {
		fputs(export_usage, stderr);
		return TL_EXIT_ERROR;
	}
	char err[1024];
	if (tl_discover(x.root, x.lab, &x.labs, &x.n, err, sizeof err) != 0 || x.n == 0) {
		fprintf(stderr, "threadlab: export: %s\n", x.n == 0 && err[0] == '\0' ? "no labs to export" : err);
		return TL_EXIT_ERROR;
	}
	int rc = p->write(&x, err, sizeof err);
	free(x.labs);
	if (rc != 0) {
		fprintf(stderr, "threadlab: export %s: %s\n", p->name, err);
		return TL_EXIT_ERROR;
	}
	fprintf(stderr, "threadlab: export %s: wrote %s (%s) with %zu lab(s), %d run(s) per tool\n", p->name, x.out,
		p->out_is, x.n, x.runs);
	return TL_EXIT_PASS;
}

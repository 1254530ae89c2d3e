/* test_report_page.c: the HTML report as a user sees it, rendered by headless Chromium (skipped without it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "stages.h"

static const char *bin(void)
{
	const char *b = getenv("THREADLAB_BIN");
	return b != NULL && b[0] != '\0' ? b : "build/bin/threadlab";
}

static const char *chromium(void)
{
	static const char *const candidates[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
						 "/usr/bin/google-chrome"};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	return NULL;
}

/* Runs ARGV with stdout to OUT; returns the exit status (or -1). */
static int run(char **argv, const char *out, double timeout)
{
	struct tl_spawn s = {0};
	s.argv = argv;
	s.stdout_path = out;
	s.stderr_path = "/dev/null";
	s.timeout_s = timeout;
	char err[256];
	if (tl_spawn_run(&s, err, sizeof err) != 0 || !s.exited)
		return -1;
	return s.exit_code;
}

static char page[TL_PATH], url[TL_PATH + 16];

/* One page for all tests: lab 01 untouched (a race, with its two sites). */
static int make_page(void **state)
{
	(void)state;
	const char *build = getenv("TL_BUILD") != NULL ? getenv("TL_BUILD") : "build";
	char dir[TL_PATH];
	snprintf(dir, sizeof dir, "%s/report", build);
	tl_mkdirs(dir);
	char rel[TL_PATH];
	snprintf(rel, sizeof rel, "%s/page-test.html", dir);
	char *argv[] = {(char *)bin(), "check", "--lab", "01", "--format", "html", "--out", rel, NULL};
	int rc = run(argv, "/dev/null", 600);
	if (rc != 1) /* the untouched lab has its bug: check exits 1 */
		return -1;
	if (realpath(rel, page) == NULL)
		return -1;
	snprintf(url, sizeof url, "file://%s", page);
	return 0;
}

static void test_page_is_well_formed(void **state)
{
	(void)state;
	char *argv[] = {"xmllint", "--noout", page, NULL};
	assert_int_equal(run(argv, "/dev/null", 60), 0);
}

/* One block per bug: lab 01's race, which TSan and Helgrind both report (and the failing test
 * with it), is shown once, saying who saw it. */
static void test_page_shows_the_race_once(void **state)
{
	(void)state;
	size_t len;
	int tr;
	char *text = tl_read_file(page, 1 << 24, &len, &tr);
	assert_non_null(text);
	const char *race = strstr(text, "data-kind=\"race\"");
	assert_non_null(race);
	assert_null(strstr(race + 1, "data-kind=\"race\""));
	assert_non_null(strstr(race, "seen by tsan, helgrind"));
	free(text);
}

/* Chromium's DOM of the page has the matrix and a finding whose racing line is highlighted. */
static void test_page_renders_matrix_and_highlighted_race(void **state)
{
	(void)state;
	const char *c = chromium();
	if (c == NULL) {
		print_message("SKIP: Chromium is not installed (scripts/install-deps --browser installs it)\n");
		skip();
	}
	char dom[TL_PATH + 16];
	snprintf(dom, sizeof dom, "%s.dom", page);
	char *argv[] = {(char *)c, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--dump-dom", url, NULL};
	assert_int_equal(run(argv, dom, 120), 0);
	size_t len;
	int tr;
	char *text = tl_read_file(dom, 1 << 24, &len, &tr);
	assert_non_null(text);
	assert_non_null(strstr(text, "id=\"matrix\""));
	assert_non_null(strstr(text, "01-counter"));
	const char *race = strstr(text, "data-kind=\"race\"");
	assert_non_null(race);
	const char *hit = strstr(race, "class=\"hit\"");
	assert_non_null(hit);
	/* The highlighted line is the lab's marked shared access. */
	const char *end = strstr(hit, "</span>");
	assert_non_null(end);
	assert_non_null(memmem(hit, (size_t)(end - hit), "unprotected access", strlen("unprotected access")));
	free(text);
}

/* A screenshot is kept under build/report/ for people to look at. */
static void test_page_screenshot(void **state)
{
	(void)state;
	const char *c = chromium();
	if (c == NULL) {
		print_message("SKIP: Chromium is not installed (scripts/install-deps --browser installs it)\n");
		skip();
	}
	char shot[TL_PATH + 32], arg[TL_PATH + 48];
	snprintf(shot, sizeof shot, "%s.png", page);
	snprintf(arg, sizeof arg, "--screenshot=%s", shot);
	unlink(shot);
	char *argv[] = {(char *)c, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--disable-background-networking", "--hide-scrollbars", "--window-size=1280,1800", arg, url, NULL};
	assert_int_equal(run(argv, "/dev/null", 120), 0);
	struct stat st;
	assert_int_equal(stat(shot, &st), 0);
	assert_true(st.st_size > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_is_well_formed),
		cmocka_unit_test(test_page_shows_the_race_once),
		cmocka_unit_test(test_page_renders_matrix_and_highlighted_race),
		cmocka_unit_test(test_page_screenshot),
	};
	return cmocka_run_group_tests(tests, make_page, NULL);
}

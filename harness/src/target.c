/* target.c: what a target is made of: a lab's variant (its sources, labs/common, the canaries) or the user's own file or folder, and where its builds and runs go. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stages.h"

/* A folder of the user's gives at most this many program files and test files (one slot is
 * kept for the canary among the program's, two among the tests'). */
#define MAX_FOLDER_SRC (TL_MAX_FILES * 4 - 1)
#define MAX_FOLDER_TESTS (TL_MAX_FILES * 2 - 2)

void tl_target_free(struct tl_target *t)
{
	if (t == NULL)
		return;
	for (int tool = 0; tool < TL_TOOL_COUNT; tool++)
		tl_findings_free(&t->result[tool].findings);
	tl_judgement_free(&t->judged);
	tl_paths_free(&t->src);
	tl_paths_free(&t->test_src);
	free(t);
}

/* Adds DIR as an include folder of T. */
static void add_include(struct tl_target *t, const char *dir)
{
	TL_ASSERT(t->ninclude < (int)(sizeof t->include / sizeof t->include[0]));
	tl_strlcpy(t->include[t->ninclude++], dir, sizeof t->include[0]);
}

/* Names T's binaries after its outdir. Returns 0, or -1 with errno when a name does not fit. */
static int name_binaries(struct tl_target *t)
{
	return tl_pathf(t->bin_plain, sizeof t->bin_plain, "%s/program", t->outdir) |
	       tl_pathf(t->bin_tsan, sizeof t->bin_tsan, "%s/program-tsan", t->outdir) |
	       tl_pathf(t->bin_test, sizeof t->bin_test, "%s/test", t->outdir) |
	       tl_pathf(t->bin_test_tsan, sizeof t->bin_test_tsan, "%s/test-tsan", t->outdir);
}

/* Says in ERR that a path of T's does not fit. Returns -1. */
static int too_long(const struct tl_target *t, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: a path of its build is too long: %s", t->name, strerror(ENAMETOOLONG));
	return -1;
}

/* The shared lab code: the .c files of COMMON (labs/common) but its own tests, sorted so that
 * the command line is stable. */
static void list_common(const char *common, struct tl_paths *names)
{
	DIR *d = opendir(common);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 2 && tl_has_suffix(e->d_name, ".c") && strncmp(e->d_name, "test_", 5) != 0)
			tl_paths_addf(names, "%s", e->d_name);
	}
	if (d != NULL)
		closedir(d);
	tl_paths_sort(names);
}

/* Adds to DST the sources of LAB's VARIANT named in FILES (N of them): a student file from the
 * variant's folder, any other from the lab folder; then the shared code COMMON_NAMES in
 * COMMON, threadcheck's test API for the tests, and the canaries when CFG wants them. */
static void add_lab_sources(const struct tl_config *cfg, const struct tl_lab *lab, enum tl_variant v,
			    const char (*files)[64], int n, int tests, const char *common,
			    const struct tl_paths *common_names, struct tl_paths *dst)
{
	for (int i = 0; i < n; i++) {
		int student = 0;
		for (int s = 0; s < lab->nstudent; s++)
			student |= strcmp(lab->student[s], files[i]) == 0;
		const char *dir = student && v == TL_FIXED ? lab->solution_dir : lab->dir;
		tl_paths_addf(dst, "%s/%s", dir, files[i]);
	}
	for (size_t a = 0; a < common_names->n; a++)
		tl_paths_addf(dst, "%s/%s", common, common_names->v[a]);
	if (tests)
		tl_paths_addf(dst, "%s/harness/threadcheck/tc_api.c", cfg->root);
	/* The liveness canaries: every tool must report them (see harness/canary). */
	if (cfg->canary)
		tl_paths_addf(dst, "%s/harness/canary/threadlab_canary.c", cfg->root);
	if (cfg->canary && tests)
		tl_paths_addf(dst, "%s/harness/canary/threadlab_canary_test.c", cfg->root);
}

int tl_target_lab(const struct tl_config *cfg, const struct tl_lab *lab, enum tl_variant v, struct tl_target *t,
		  char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->lab = lab;
	t->variant = v;
	tl_strlcpy(t->name, lab->slug, sizeof t->name);
	char common[TL_PATH], tc[TL_PATH];
	/* When grading, the runs' output goes where the program cannot write (not even during
	 * the build, whose compiler writes the outdir as the sandbox's user). */
	if (tl_pathf(t->outdir, sizeof t->outdir, "%s/%s/%s", cfg->out_root, lab->slug, tl_variant_name(v)) != 0 ||
	    name_binaries(t) != 0 ||
	    (cfg->grading ? tl_pathf(t->rundir, sizeof t->rundir, "%s/%s", cfg->run_root, lab->slug)
			  : tl_pathf(t->rundir, sizeof t->rundir, "%s", t->outdir)) != 0 ||
	    tl_pathf(common, sizeof common, "%s/labs/common", cfg->labs_root) != 0 ||
	    tl_pathf(tc, sizeof tc, "%s/harness/threadcheck", cfg->root) != 0)
		return too_long(t, err, errlen);
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : lab->timeout_s;
	t->runs = cfg->runs > 0 ? cfg->runs : lab->runs;
	t->werror = cfg->werror;
	add_include(t, lab->dir);
	add_include(t, common);
	add_include(t, tc);
	struct tl_paths names = {0};
	list_common(common, &names);
	if (lab->nprogram > 0)
		add_lab_sources(cfg, lab, v, lab->program, lab->nprogram, 0, common, &names, &t->src);
	if (lab->ntest > 0)
		add_lab_sources(cfg, lab, v, lab->test, lab->ntest, 1, common, &names, &t->test_src);
	tl_paths_free(&names);
	return 0;
}

/* A folder's sources: its test_*.c files and every other .c file but main.c make the test
 * program (cmocka), the other .c files the program. Returns 0, or -1 with ERR filled. */
static int folder_sources(const char *real, const char *path, struct tl_target *t, char *err, size_t errlen)
{
	DIR *d = opendir(real);
	struct dirent *e;
	int tests = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 3 || strcmp(e->d_name + l - 2, ".c") != 0)
			continue;
		int test = strncmp(e->d_name, "test_", 5) == 0;
		if (test && t->test_src.n < MAX_FOLDER_TESTS) {
			tl_paths_addf(&t->test_src, "%s/%s", real, e->d_name);
			tests++;
		} else if (!test && t->src.n < MAX_FOLDER_SRC) {
			tl_paths_addf(&t->src, "%s/%s", real, e->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
	tl_paths_sort(&t->src);
	for (size_t i = 0; i < t->src.n && tests > 0; i++) {
		const char *base = strrchr(t->src.v[i], '/') + 1;
		if (strcmp(base, "main.c") != 0 && t->test_src.n < MAX_FOLDER_TESTS)
			tl_paths_addf(&t->test_src, "%s", t->src.v[i]);
	}
	tl_paths_sort(&t->test_src);
	add_include(t, real);
	if (t->src.n == 0) {
		snprintf(err, errlen, "%s: no .c files in this folder%s", path, tests ? " but tests" : "");
		return -1;
	}
	return 0;
}

/* The sources of PATH, a .c file or a folder, whose real path is REAL. Returns 0, or -1 with
 * ERR filled. */
static int analyze_sources(const char *path, const char *real, int folder, struct tl_target *t, char *err,
			   size_t errlen)
{
	if (folder)
		return folder_sources(real, path, t, err, errlen);
	size_t l = strlen(real);
	if (l < 3 || strcmp(real + l - 2, ".c") != 0) {
		snprintf(err, errlen, "%s: not a .c file or a folder", path);
		return -1;
	}
	tl_paths_addf(&t->src, "%s", real);
	char dir[TL_PATH];
	tl_strlcpy(dir, real, sizeof dir);
	add_include(t, dirname(dir));
	return 0;
}

/* Where the builds of the analyzed REAL path go: one folder per path, named after it. Returns
 * 0, or -1 with errno when a path does not fit. */
static int analyze_outdir(const struct tl_config *cfg, const char *real, struct tl_target *t)
{
	char slug[TL_PATH];
	size_t k = 0;
	for (const char *p = real + 1; *p != '\0' && k + 1 < sizeof slug; p++)
		slug[k++] = (*p == '/' || *p == ' ') ? '_' : *p;
	slug[k] = '\0';
	if (tl_pathf(t->outdir, sizeof t->outdir, "%s/analyze/%.200s", cfg->build, slug) != 0 || name_binaries(t) != 0)
		return -1;
	t->bin_test_tsan[0] = '\0';
	tl_strlcpy(t->rundir, t->outdir, sizeof t->rundir);
	return 0;
}

int tl_target_analyze(const struct tl_config *cfg, const char *path, struct tl_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	tl_strlcpy(t->name, path, sizeof t->name);
	struct stat st;
	char real[TL_PATH];
	if (stat(path, &st) != 0 || realpath(path, real) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (analyze_sources(path, real, S_ISDIR(st.st_mode), t, err, errlen) != 0)
		return -1;
	if (analyze_outdir(cfg, real, t) != 0)
		return too_long(t, err, errlen);
	if (cfg->canary) {
		tl_paths_addf(&t->src, "%s/harness/canary/threadlab_canary.c", cfg->root);
		if (t->test_src.n > 0) {
			tl_paths_addf(&t->test_src, "%s/harness/canary/threadlab_canary.c", cfg->root);
			tl_paths_addf(&t->test_src, "%s/harness/canary/threadlab_canary_test.c", cfg->root);
		}
	}
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 10;
	t->runs = cfg->runs > 0 ? cfg->runs : 1;
	return 0;
}

/* Whether the symbol table SH (of the ELF image IMG, SIZE bytes, section headers SHDR of NSH)
 * names NAME. */
static int elf_defines(const unsigned char *img, size_t size, const Elf64_Shdr *shdr, int nsh, const Elf64_Shdr *sh,
		       const char *name)
{
	if (sh->sh_link >= (Elf64_Word)nsh || sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_offset > size ||
	    sh->sh_size > size - sh->sh_offset)
		return 0;
	const Elf64_Shdr *str = &shdr[sh->sh_link];
	if (str->sh_offset > size || str->sh_size > size - str->sh_offset)
		return 0;
	const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh->sh_offset);
	const char *names = (const char *)img + str->sh_offset;
	size_t n = sh->sh_size / sizeof *sym, len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (sym[i].st_shndx != SHN_UNDEF && sym[i].st_name + len < str->sh_size &&
		    memcmp(names + sym[i].st_name, name, len + 1) == 0)
			return 1;
	return 0;
}

/* What the 64-bit ELF image IMG (SIZE bytes) is: *DYNAMIC, whether it has a program interpreter
 * (it is dynamically linked), and *TSAN, whether a symbol table defines __tsan_init (TSan's
 * runtime is linked in: it was built with -fsanitize=thread). Returns 0, or -1 when it is not a
 * 64-bit ELF executable. */
static int elf_facts(const unsigned char *img, size_t size, int *dynamic, int *tsan)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) || eh->e_phoff > size ||
	    (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff || eh->e_shoff > size ||
	    (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff)
		return -1;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	*dynamic = *tsan = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		*dynamic |= ph[i].p_type == PT_INTERP;
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB || sh[i].sh_type == SHT_DYNSYM)
			*tsan |= elf_defines(img, size, sh, eh->e_shnum, &sh[i], "__tsan_init");
	return 0;
}

/* Reads what the executable at PATH is (elf_facts). Returns 0, or -1 with ERR filled. */
static int binary_facts(const char *path, int *dynamic, int *tsan, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 || errno != 0 ? strerror(errno) : "not an executable file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *img = st.st_size > 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	int rc = img != MAP_FAILED ? elf_facts(img, (size_t)st.st_size, dynamic, tsan) : -1;
	if (img != MAP_FAILED)
		munmap(img, (size_t)st.st_size);
	if (rc != 0)
		snprintf(err, errlen, "%s: not a 64-bit ELF executable", path);
	else if (!*dynamic)
		snprintf(err, errlen, "%s: statically linked: threadcheck and Helgrind come in through the dynamic loader", path);
	return rc != 0 || !*dynamic ? -1 : 0;
}

int tl_target_binary(const struct tl_config *cfg, char *const *argv, struct tl_target *t, char *err, size_t errlen)
{
	char real[TL_PATH];
	int dynamic = 0, tsan = 0;
	memset(t, 0, sizeof *t);
	tl_strlcpy(t->name, argv[0], sizeof t->name);
	errno = 0;
	if (realpath(argv[0], real) == NULL) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (binary_facts(real, &dynamic, &tsan, err, errlen) != 0)
		return -1;
	if (analyze_outdir(cfg, real, t) != 0)
		return too_long(t, err, errlen);
	t->bin_test[0] = '\0';
	tl_strlcpy(t->bin_tsan, tsan ? real : "", sizeof t->bin_tsan);
	tl_strlcpy(t->bin_plain, tsan ? "" : real, sizeof t->bin_plain);
	t->prebuilt = 1;
	t->args = argv + 1;
	t->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 10;
	t->runs = cfg->runs > 0 ? cfg->runs : 1;
	return 0;
}

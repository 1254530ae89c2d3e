/* tamper_lex.c: the anti-tamper scan's readers of C text: the student's file as written, and the
 * preprocessed text of each build. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tamper.h"

/* Names a student's file may not spell, before or after preprocessing. Matched on whole
 * identifiers (a '*' ends a prefix or starts a suffix). */
struct banned {
	const char *name;
	const char *why;
};

/* In the file as written: names that ask which compiler or tool is at work (the builds would
 * then differ from what the scan and the AST check read), names of Valgrind's client-request
 * macros, and the type-of operators that would hide a function's type from the AST check. */
static const struct banned raw_banned[] = {
	{"__has_*", "asks the compiler what it supports, which differs between the builds' compilers"},
	{"__is_identifier", "asks the compiler what it supports"},
	{"__is_target_*", "asks the compiler what it targets"},
	{"__building_module", "asks the compiler about modules"},
	{"__FILE_NAME__", "exists in one of the builds' compilers only"},
	{"typeof", "hides a type from the check of function-pointer conversions"},
	{"__typeof", "hides a type from the check of function-pointer conversions"},
	{"__typeof__", "hides a type from the check of function-pointer conversions"},
	{"__auto_type", "hides a type from the check of function-pointer conversions"},
	{"ANNOTATE_*", "annotates for a race detector (only lab-owned code may, in labs/common)"},
	{"VALGRIND_*", "makes a Valgrind client request"},
	{"RUNNING_ON_VALGRIND", "asks whether Valgrind is watching"},
	{"DRD_*", "annotates for a race detector"},
	{"TSAN_*", "annotates for a race detector"},
};

/* In the student's preprocessed lines: the tools' hooks, and what switches instrumentation off. */
static const struct banned text_banned[] = {
	{"__tsan_*", "calls into ThreadSanitizer's runtime"},
	{"__sanitizer_*", "defines or calls sanitizer hooks"},
	{"__asan_*", "calls into a sanitizer runtime"},
	{"__lsan_*", "calls into a sanitizer runtime"},
	{"__ubsan_*", "calls into a sanitizer runtime"},
	{"__msan_*", "calls into a sanitizer runtime"},
	{"__hwasan_*", "calls into a sanitizer runtime"},
	{"__interceptor_*", "touches sanitizer interceptors"},
	{"*_default_options", "sets sanitizer options from the program"},
	{"*_default_suppressions", "suppresses sanitizer reports from the program"},
	{"no_sanitize*", "turns sanitizer instrumentation off (no_sanitize attribute)"},
	{"__no_sanitize*", "turns sanitizer instrumentation off (no_sanitize attribute)"},
	{"disable_sanitizer_instrumentation", "turns sanitizer instrumentation off"},
	{"__disable_sanitizer_instrumentation__", "turns sanitizer instrumentation off"},
	{"asm", "uses inline assembly (how Valgrind client requests are made)"},
	{"__asm", "uses inline assembly (how Valgrind client requests are made)"},
	{"__asm__", "uses inline assembly (how Valgrind client requests are made)"},
	{"Annotate*", "uses race-detector annotations"},
};

/* Environment variables whose names in a string literal betray an attempt to reconfigure a tool. */
static const char *const tool_env[] = {"TSAN_OPTIONS", "VALGRIND_OPTS", "LD_PRELOAD", "THREADCHECK",
				       "CMOCKA_", "ASAN_OPTIONS"};

/* Pragmas the student's lines may use: diagnostics only. Others change how the file is compiled
 * or what its object is called (optimize, redefine_extname, weak...). */
static const char *const pragmas_allowed[] = {"GCC diagnostic", "clang diagnostic", "GCC warning", "GCC error",
					      "STDC", "once"};

/* Macros a student's file may define before its includes: the feature-test macros, which only
 * choose what the system headers declare. Any other macro defined first would change the code of
 * a lab or system header, out of the scan's sight. */
static const char *const feature_macros[] = {"_GNU_SOURCE", "_DEFAULT_SOURCE", "_POSIX_C_SOURCE",
					     "_XOPEN_SOURCE", "_XOPEN_SOURCE_EXTENDED", "_ISOC11_SOURCE"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct banned *banned_find(const struct banned *table, size_t n, const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (tl__match(table[k].name, id))
			return &table[k];
	return NULL;
}

static int is_id_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c == '$' || c >= 0x80;
}

static int is_id_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* ------------------------------------------------------------------------------------------ */
/* The file as written: translation phases 1 to 3. */

/* The file after trigraph replacement and line splicing, each byte with its physical line. */
struct logical {
	char *c;
	int *line;
	size_t n;
};

static char trigraph(char c)
{
	static const char from[] = "=/'()!<>-", to[] = "#\\^[]|{}~";
	const char *p = c != '\0' ? strchr(from, c) : NULL;
	return p != NULL ? to[p - from] : '\0';
}

/* Phases 1 and 2, as gcc and clang do them in C11 mode: trigraphs are on, and a backslash followed
 * by blanks and a newline splices too (both compilers warn and splice). */
static void to_logical(const char *text, size_t len, struct logical *l)
{
	l->c = malloc(len + 1);
	l->line = malloc((len + 1) * sizeof *l->line);
	TL_ASSERT(l->c != NULL && l->line != NULL);
	size_t k = 0;
	int line = 1;
	for (size_t i = 0; i < len;) {
		char ch = text[i];
		size_t adv = 1;
		if (ch == '?' && i + 2 < len && text[i + 1] == '?' && trigraph(text[i + 2]) != '\0') {
			ch = trigraph(text[i + 2]);
			adv = 3;
		}
		if (ch == '\\') {
			size_t j = i + adv;
			while (j < len && strchr(" \t\f\v\r", text[j]) != NULL && text[j] != '\0')
				j++;
			if (j < len && text[j] == '\n') {
				line++;
				i = j + 1;
				continue;
			}
		}
		l->c[k] = ch;
		l->line[k] = line;
		k++;
		if (ch == '\n')
			line++;
		i += adv;
	}
	l->c[k] = '\0';
	l->line[k] = line;
	l->n = k;
}

enum tok { T_EOF, T_NL, T_ID, T_NUM, T_LIT, T_HASH, T_PASTE, T_OTHER };

struct lexer {
	const struct logical *l;
	size_t p;
	size_t b, e; /* the last token's bytes */
};

static int at(const struct lexer *x, size_t i)
{
	return i < x->l->n ? (unsigned char)x->l->c[i] : -1;
}

/* Skips blanks and comments on the current line (a block comment may span lines). */
static void skip_space(struct lexer *x)
{
	for (;;) {
		int c = at(x, x->p);
		if (c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r') {
			x->p++;
		} else if (c == '/' && at(x, x->p + 1) == '*') {
			const char *end = x->p + 2 <= x->l->n ? strstr(x->l->c + x->p + 2, "*/") : NULL;
			/* An embedded NUL would stop strstr early: then search on past it. */
			size_t q = x->p + 2;
			while (end == NULL && q < x->l->n) {
				q += strlen(x->l->c + q) + 1;
				end = q < x->l->n ? strstr(x->l->c + q, "*/") : NULL;
			}
			x->p = end != NULL ? (size_t)(end - x->l->c) + 2 : x->l->n;
		} else if (c == '/' && at(x, x->p + 1) == '/') {
			while (at(x, x->p) != -1 && at(x, x->p) != '\n')
				x->p++;
		} else {
			return;
		}
	}
}

/* A string or character literal from its opening quote: to the matching quote, or to the end of
 * the line when unterminated (as both compilers read it outside skipped blocks; inside them a
 * compiler may read less as a literal, never more, so nothing is hidden from this reader). */
static void lex_literal(struct lexer *x)
{
	int q = at(x, x->p++);
	for (int c; (c = at(x, x->p)) != -1 && c != '\n'; x->p++) {
		if (c == '\\' && at(x, x->p + 1) != -1 && at(x, x->p + 1) != '\n')
			x->p++;
		else if (c == q) {
			x->p++;
			return;
		}
	}
}

/* Whether a universal character name (\\u or \\U) starts at I: part of an identifier. */
static int ucn_at(const struct lexer *x, size_t i)
{
	return at(x, i) == '\\' && (at(x, i + 1) == 'u' || at(x, i + 1) == 'U');
}

/* An identifier, or a string or character literal with an encoding prefix (L, u, U, u8). */
static enum tok lex_identifier(struct lexer *x)
{
	while (at(x, x->p) != -1 && (is_id_char((unsigned char)at(x, x->p)) || ucn_at(x, x->p)))
		x->p++;
	x->e = x->p;
	size_t n = x->e - x->b;
	const char *s = x->l->c + x->b;
	int prefix = (n == 1 && (*s == 'L' || *s == 'u' || *s == 'U')) || (n == 2 && s[0] == 'u' && s[1] == '8');
	if (prefix && (at(x, x->p) == '"' || at(x, x->p) == '\'')) {
		lex_literal(x);
		x->e = x->p;
		return T_LIT;
	}
	return T_ID;
}

/* The next token. HEADER: a '<' starts a header name (after #include), read to '>'. */
static enum tok next(struct lexer *x, int header)
{
	skip_space(x);
	x->b = x->p;
	int c = at(x, x->p);
	if (c == -1)
		return T_EOF;
	if (c == '\n') {
		x->p++;
		return T_NL;
	}
	if (header && c == '<') {
		while (at(x, x->p) != -1 && at(x, x->p) != '\n' && at(x, x->p) != '>')
			x->p++;
		if (at(x, x->p) == '>')
			x->p++;
		x->e = x->p;
		return T_OTHER;
	}
	if (is_id_start((unsigned char)c) || ucn_at(x, x->p))
		return lex_identifier(x);
	if (isdigit(c) || (c == '.' && isdigit(at(x, x->p + 1)))) {
		for (x->p++;; x->p++) {
			int d = at(x, x->p);
			if ((d == '+' || d == '-') && strchr("eEpP", at(x, x->p - 1)) != NULL)
				continue;
			if (d == -1 || !(is_id_char((unsigned char)d) || d == '.'))
				break;
		}
		x->e = x->p;
		return T_NUM;
	}
	if (c == '"' || c == '\'') {
		lex_literal(x);
		x->e = x->p;
		return T_LIT;
	}
	int hash = c == '#' || (c == '%' && at(x, x->p + 1) == ':');
	x->p += c == '#' ? 1 : hash ? 2 : 1;
	if (hash && (at(x, x->p) == '#' || (at(x, x->p) == '%' && at(x, x->p + 1) == ':'))) {
		x->p += at(x, x->p) == '#' ? 1 : 2;
		x->e = x->p;
		return T_PASTE;
	}
	x->e = x->p;
	return hash ? T_HASH : T_OTHER;
}

static void tok_text(const struct lexer *x, char *buf, size_t len)
{
	size_t n = x->e - x->b < len ? x->e - x->b : len - 1;
	memcpy(buf, x->l->c + x->b, n);
	buf[n] = '\0';
}

struct rawscan {
	struct lexer x;
	const char *base;
	struct tl__raw *raw;
	struct tl__why *w;
	char first_define[64]; /* a non-feature macro defined or undefined so far, "" when none */
	int first_define_line;
};

static int check_raw_name(struct rawscan *r, const char *id, int line)
{
	const struct banned *b = banned_find(raw_banned, COUNT(raw_banned), id);
	if (b != NULL)
		return tl__refuse(r->w, "%s:%d uses '%s': it %s", r->base, line, id, b->why);
	return 0;
}

/* Reads the rest of a directive's line. COND: collect its identifiers as the names conditional
 * compilation depends on. HEADER: it is an #include. */
static int directive_rest(struct rawscan *r, const char *name, int cond, int header)
{
	for (enum tok t; (t = next(&r->x, header)) != T_NL && t != T_EOF;) {
		int line = r->x.l->line[r->x.b];
		if (t == T_PASTE && strcmp(name, "define") == 0)
			return tl__refuse(r->w, "%s:%d pastes tokens (##): pasting can pick different code under each build's compiler, out of the scan's sight",
					  r->base, line);
		if (t == T_HASH && cond)
			return tl__refuse(r->w, "%s:%d uses a gcc assertion (#if #...): it exists in one of the builds' compilers only",
					  r->base, line);
		if (t != T_ID)
			continue;
		char id[128];
		tok_text(&r->x, id, sizeof id);
		int rc = check_raw_name(r, id, line);
		if (rc != 0)
			return rc;
		if (cond && strcmp(id, "defined") != 0)
			tl__strs_add(&r->raw->cond, id, strlen(id));
	}
	return 0;
}

/* One directive, after its '#'. */
static int directive(struct rawscan *r)
{
	enum tok t = next(&r->x, 0);
	int line = r->x.l->line[r->x.b];
	if (t == T_NL || t == T_EOF)
		return 0;
	if (t == T_NUM)
		return tl__refuse(r->w, "%s:%d has a line marker (# N \"file\"): every line of the student's file stays its own",
				  r->base, line);
	char name[32] = "";
	if (t == T_ID)
		tok_text(&r->x, name, sizeof name);
	if (strcmp(name, "line") == 0)
		return tl__refuse(r->w, "%s:%d has a #line directive: every line of the student's file stays its own", r->base,
				  line);
	if (strcmp(name, "assert") == 0 || strcmp(name, "unassert") == 0)
		return tl__refuse(r->w, "%s:%d uses #%s, a gcc assertion that one of the builds' compilers lacks", r->base, line,
				  name);
	int include = strcmp(name, "include") == 0 || strcmp(name, "include_next") == 0 || strcmp(name, "import") == 0;
	if (include && r->first_define[0] != '\0')
		return tl__refuse(r->w, "%s:%d defines %s before an #include (line %d): it would change the code of the headers included after it",
				  r->base, r->first_define_line, r->first_define, line);
	if ((strcmp(name, "define") == 0 || strcmp(name, "undef") == 0) && r->first_define[0] == '\0') {
		enum tok m = next(&r->x, 0);
		char macro[64] = "";
		if (m == T_ID)
			tok_text(&r->x, macro, sizeof macro);
		int feature = 0;
		for (size_t k = 0; k < COUNT(feature_macros); k++)
			feature |= strcmp(macro, feature_macros[k]) == 0;
		if (!feature) {
			tl_strlcpy(r->first_define, macro[0] != '\0' ? macro : "a macro", sizeof r->first_define);
			r->first_define_line = line;
		}
		if (m == T_NL || m == T_EOF)
			return 0;
		if (m == T_ID) {
			int rc = check_raw_name(r, macro, line);
			if (rc != 0)
				return rc;
		}
	}
	int cond = include || strncmp(name, "if", 2) == 0 || strncmp(name, "elif", 4) == 0;
	return directive_rest(r, name, cond, include);
}

int tl__raw_scan(const char *text, size_t len, const char *base, struct tl__raw *raw, struct tl__why *w)
{
	struct logical l;
	to_logical(text, len, &l);
	struct rawscan r = {.x = {.l = &l}, .base = base, .raw = raw, .w = w};
	int rc = 0, line_start = 1;
	for (enum tok t; rc == 0 && (t = next(&r.x, 0)) != T_EOF;) {
		if (t == T_NL) {
			line_start = 1;
			continue;
		}
		if (t == T_HASH && line_start) {
			rc = directive(&r);
			continue; /* a directive ends with its line */
		}
		line_start = 0;
		if (t == T_ID) {
			char id[128];
			tok_text(&r.x, id, sizeof id);
			rc = check_raw_name(&r, id, l.line[r.x.b]);
		}
	}
	free(l.c);
	free(l.line);
	tl__strs_sort(&raw->cond);
	return rc;
}

void tl__raw_free(struct tl__raw *raw)
{
	tl__strs_free(&raw->cond);
}

/* ------------------------------------------------------------------------------------------ */
/* Preprocessed text: every line belongs to the file the include stack says. */

#define MAX_DEPTH 256

struct frame {
	char name[TL_PATH]; /* as the marker spells it now */
	char first[TL_PATH];
	int own;            /* decided when the file was entered, never by a later marker */
	int line;
};

/* A walk over preprocessed text, calling back for the student's own lines. */
struct walk {
	const char *base;
	const struct tl__places *places;
	struct tl__why *w;
	struct frame *stack;
	int depth;
	int (*own_line)(struct walk *k, const char *p, size_t n, int line);
	int (*define)(struct walk *k, const char *p, size_t n);
	void *ctx;
};

static int pseudo_file(const char *name)
{
	return strcmp(name, "<built-in>") == 0 || strcmp(name, "<command-line>") == 0 ||
	       strcmp(name, "<command line>") == 0 || strcmp(name, "<stdin>") == 0;
}

/* Decodes the quoted file name of a line marker at P (the opening quote) into OUT. Returns the
 * byte after the closing quote, or NULL when malformed. */
static const char *marker_name(const char *p, const char *end, char *out, size_t outlen)
{
	size_t k = 0;
	for (p++; p < end && *p != '"'; p++) {
		char c = *p;
		if (c == '\\' && p + 1 < end) {
			p++;
			c = *p;
			if (c >= '0' && c <= '7') { /* \ooo */
				int v = 0;
				for (int d = 0; d < 3 && p < end && *p >= '0' && *p <= '7'; d++, p++)
					v = v * 8 + (*p - '0');
				p--;
				c = (char)v;
			}
		}
		if (k + 1 >= outlen)
			return NULL;
		out[k++] = c;
	}
	out[k] = '\0';
	return p < end ? p + 1 : NULL;
}

/* Whether PATH (a real path) lies directly in DIR (a real path), as a .h file. */
static int header_in(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	size_t l = strlen(path);
	return strncmp(path, dir, n) == 0 && path[n] == '/' && strchr(path + n + 1, '/') == NULL && l > n + 3 &&
	       strcmp(path + l - 2, ".h") == 0;
}

/* Folders below a system include folder that a lab may not include from: Valgrind's client
 * requests and the sanitizers' interfaces. */
static const char *const system_excluded[] = {"valgrind", "sanitizer"};

static int system_header(const char *path, const struct tl__places *pl)
{
	for (size_t i = 0; i < pl->system_dirs.n; i++) {
		const char *dir = pl->system_dirs.v[i];
		size_t n = strlen(dir);
		if (strncmp(path, dir, n) != 0 || path[n] != '/')
			continue;
		for (size_t k = 0; k < COUNT(system_excluded); k++) {
			size_t e = strlen(system_excluded[k]);
			if (strncmp(path + n + 1, system_excluded[k], e) == 0 && path[n + 1 + e] == '/')
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Enters the file NAME: it must resolve inside the places a lab may include from. */
static int enter(struct walk *k, const char *name, int line)
{
	if (k->depth == MAX_DEPTH)
		return tl__fail(k->w, "includes nested deeper than %d in the preprocessed %s", MAX_DEPTH, k->base);
	struct frame *f = &k->stack[k->depth];
	tl_strlcpy(f->name, name, sizeof f->name);
	tl_strlcpy(f->first, name, sizeof f->first);
	f->line = line;
	f->own = 0;
	char real[PATH_MAX];
	if (pseudo_file(name)) {
		k->depth++;
		return 0;
	}
	if (realpath(name, real) == NULL)
		return tl__refuse(k->w, "%s includes %s, which does not resolve to a real file", k->base, name);
	const struct tl__places *pl = k->places;
	f->own = tl__strs_has(&pl->student, real);
	int ok = f->own || strcmp(real, pl->tc_header) == 0 || system_header(real, pl);
	for (size_t i = 0; !ok && i < pl->lab_dirs.n; i++)
		ok = header_in(real, pl->lab_dirs.v[i]);
	if (!ok)
		return tl__refuse(k->w, "%s includes %s (%s), outside what a lab may use: its own folder's and labs/common's headers, threadcheck.h and the system's headers (not Valgrind's or the sanitizers')",
				  k->base, name, real);
	k->depth++;
	return 0;
}

/* A line marker "# N "FILE" FLAGS" (P..END, without the newline). */
static int marker(struct walk *k, const char *p, const char *end)
{
	char name[TL_PATH];
	int line = atoi(p + 2);
	const char *q = memchr(p, '"', (size_t)(end - p));
	const char *after = q != NULL ? marker_name(q, end, name, sizeof name) : NULL;
	if (after == NULL)
		return tl__fail(k->w, "a malformed line marker in the preprocessed %s", k->base);
	int push = 0, pop = 0;
	for (const char *f = after; f < end; f++) {
		push |= *f == '1' && (f[-1] == ' ') && (f + 1 == end || f[1] == ' ');
		pop |= *f == '2' && (f[-1] == ' ') && (f + 1 == end || f[1] == ' ');
	}
	size_t nl = strlen(name);
	if (!push && !pop && k->depth == 1 && nl >= 2 && strcmp(name + nl - 2, "//") == 0)
		return 0; /* gcc -g's working-directory marker ("CWD//"), which names no file */
	if (push || k->depth == 0) {
		int rc = enter(k, name, line);
		if (rc == 0 && k->depth == 1 && !k->stack[0].own)
			return tl__fail(k->w, "the preprocessed %s does not start with it (%s)", k->base, name);
		return rc;
	}
	if (pop) {
		if (k->depth <= 1)
			return tl__fail(k->w, "a line marker leaves the main file of the preprocessed %s", k->base);
		k->depth--;
	}
	struct frame *f = &k->stack[k->depth - 1];
	/* Without flags 1 or 2 a marker only moves within the current file; a new name here could only
	 * come from a line directive, which keeps the file's owner (and which the raw pass refuses in
	 * the student's file). */
	if (f->own && strcmp(name, f->name) != 0 && strcmp(name, f->first) != 0 && !pseudo_file(name))
		return tl__refuse(k->w, "%s renames its own lines to %s with a line directive", k->base, name);
	tl_strlcpy(f->name, name, sizeof f->name);
	f->line = line;
	return 0;
}

/* Walks preprocessed text; calls K->own_line for each line of the student's files and
 * K->define for every #define/#undef line. */
static int walk(struct walk *k, const char *text, size_t len)
{
	struct frame *stack = calloc(MAX_DEPTH, sizeof *stack);
	TL_ASSERT(stack != NULL);
	k->stack = stack;
	k->depth = 0;
	int rc = 0;
	for (const char *p = text, *end = text + len; rc == 0 && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		size_t n = (size_t)(e - p);
		if (n >= 3 && p[0] == '#' && p[1] == ' ' && isdigit((unsigned char)p[2])) {
			rc = marker(k, p, e);
		} else if (k->depth == 0) {
			rc = n == 0 ? 0 : tl__fail(k->w, "the preprocessed %s has text before its first line marker", k->base);
		} else {
			struct frame *f = &k->stack[k->depth - 1];
			if (n > 0 && p[0] == '#' && (strncmp(p, "#define ", 8) == 0 || strncmp(p, "#undef ", 7) == 0) &&
			    k->define != NULL)
				rc = k->define(k, p, n);
			if (rc == 0 && f->own && k->own_line != NULL)
				rc = k->own_line(k, p, n, f->line);
			f->line++;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(stack);
	return rc;
}

/* One token of a preprocessed line (no comments, splices or trigraphs are left there). */
struct ptok {
	enum tok kind;
	const char *b;
	size_t n;
};

static size_t ptok_next(const char *p, size_t n, size_t i, struct ptok *t)
{
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	t->b = p + i;
	t->kind = T_EOF;
	if (i >= n)
		return i;
	size_t s = i;
	if (is_id_start((unsigned char)p[i])) {
		while (i < n && is_id_char((unsigned char)p[i]))
			i++;
		size_t idn = i - s;
		int prefix = (idn == 1 && strchr("LuU", p[s]) != NULL) || (idn == 2 && p[s] == 'u' && p[s + 1] == '8');
		t->kind = T_ID;
		if (!(prefix && i < n && (p[i] == '"' || p[i] == '\'')))
			goto out;
	}
	if (i < n && (p[i] == '"' || p[i] == '\'')) {
		char q = p[i++];
		while (i < n && p[i] != q)
			i += p[i] == '\\' ? 2 : 1;
		i = i < n ? i + 1 : n;
		t->kind = T_LIT;
	} else if (i < n && (isdigit((unsigned char)p[i]) || (p[i] == '.' && i + 1 < n && isdigit((unsigned char)p[i + 1])))) {
		for (i++; i < n && (is_id_char((unsigned char)p[i]) || p[i] == '.' ||
				    ((p[i] == '+' || p[i] == '-') && strchr("eEpP", p[i - 1]) != NULL));
		     i++)
			;
		t->kind = T_NUM;
	} else if (t->kind != T_ID) {
		i++;
		t->kind = T_OTHER;
	}
out:
	t->n = i - s;
	return i;
}

static int pragma_line(struct walk *k, const char *p, size_t n, int line)
{
	const char *q = p + 7;
	size_t m = n - 7;
	while (m > 0 && (*q == ' ' || *q == '\t'))
		q++, m--;
	for (size_t i = 0; i < COUNT(pragmas_allowed); i++) {
		size_t a = strlen(pragmas_allowed[i]);
		if (m >= a && strncmp(q, pragmas_allowed[i], a) == 0 && (m == a || q[a] == ' ' || q[a] == '\t'))
			return 0;
	}
	int shown = (int)(m < 60 ? m : 60);
	return tl__refuse(k->w, "%s:%d uses '#pragma %.*s': lab code may not change how it is compiled", k->base, line,
			  shown, q);
}

/* The checks of one of the student's preprocessed lines. */
static int scan_own_line(struct walk *k, const char *p, size_t n, int line)
{
	if (n > 0 && p[0] == '#') {
		if (n >= 7 && strncmp(p, "#pragma", 7) == 0)
			return pragma_line(k, p, n, line);
		return 0; /* #define, #undef (macro events) or #ident */
	}
	struct ptok t;
	for (size_t i = ptok_next(p, n, 0, &t); t.kind != T_EOF; i = ptok_next(p, n, i, &t)) {
		if (t.kind == T_ID) {
			char id[128];
			size_t m = t.n < sizeof id ? t.n : sizeof id - 1;
			memcpy(id, t.b, m);
			id[m] = '\0';
			const struct banned *b = banned_find(text_banned, COUNT(text_banned), id);
			if (b != NULL)
				return tl__refuse(k->w, "%s:%d uses '%s': it %s", k->base, line, id, b->why);
			if (strncmp(id, "__builtin_", 10) == 0 && !tl__builtin_allowed(id))
				return tl__refuse(k->w, "%s:%d uses '%s', a builtin lab code may not use (see imports.def)", k->base,
						  line, id);
		} else if (t.kind == T_LIT) {
			for (size_t e = 0; e < COUNT(tool_env); e++)
				if (memmem(t.b, t.n, tool_env[e], strlen(tool_env[e])) != NULL)
					return tl__refuse(k->w, "%s:%d names %s: it reconfigures a tool", k->base, line, tool_env[e]);
		}
	}
	return 0;
}

static int record_define(struct walk *k, const char *p, size_t n)
{
	struct tl__macros *m = k->ctx;
	int undef = p[1] == 'u';
	const char *q = p + (undef ? 7 : 8);
	size_t rest = n - (size_t)(q - p), nl = 0;
	while (nl < rest && is_id_char((unsigned char)q[nl]))
		nl++;
	char buf[256];
	/* NAME, a sequence number (so that sorting keeps each name's events in order), the event. */
	int w = snprintf(buf, sizeof buf, "%.*s\t%08zu\t%s", (int)(nl < 100 ? nl : 100), q, m->events.n,
			 undef ? "undef" : "define ");
	size_t used = (size_t)w < sizeof buf ? (size_t)w : sizeof buf - 1;
	char *ev = malloc(used + rest + 1);
	TL_ASSERT(ev != NULL);
	memcpy(ev, buf, used);
	if (!undef)
		memcpy(ev + used, q + nl, rest - nl), used += rest - nl;
	ev[used] = '\0';
	tl__strs_add(&m->events, ev, used);
	free(ev);
	return 0;
}

int tl__scan_preprocessed(const char *i, size_t len, const char *base, const struct tl__places *places,
			  struct tl__macros *m, struct tl__why *w)
{
	struct walk k = {.base = base, .places = places, .w = w, .own_line = scan_own_line, .define = record_define,
			 .ctx = m};
	int rc = walk(&k, i, len);
	tl__strs_sort(&m->events);
	if (rc == 0 && !tl__strs_has_prefix(&m->events, "__STDC_VERSION__\t"))
		rc = tl__fail(w, "the preprocessed %s does not list the predefined macros (-dD)", base);
	return rc;
}

/* The search of tl__find_identifier. */
struct find {
	const char *name;
	int line, called;
};

static int find_line(struct walk *k, const char *p, size_t n, int line)
{
	struct find *f = k->ctx;
	if (f->called || (n > 0 && p[0] == '#'))
		return 0;
	size_t len = strlen(f->name);
	struct ptok t;
	for (size_t i = ptok_next(p, n, 0, &t); t.kind != T_EOF; i = ptok_next(p, n, i, &t)) {
		if (t.kind == T_ID && t.n == len && memcmp(t.b, f->name, len) == 0) {
			struct ptok after;
			ptok_next(p, n, i, &after);
			int called = after.kind == T_OTHER && *after.b == '(';
			/* The first call by name, else the first mention ("struct stat" before "stat("). */
			if (f->line == 0 || called)
				f->line = line;
			f->called = called;
			if (called)
				return 0;
		}
	}
	return 0;
}

int tl__find_identifier(const char *i, size_t len, const struct tl__places *places, const char *name, int *called)
{
	char buf[256];
	struct tl__why w = {buf, sizeof buf};
	struct find f = {.name = name};
	struct walk k = {.base = "", .places = places, .w = &w, .own_line = find_line, .ctx = &f};
	if (walk(&k, i, len) != 0)
		return 0;
	*called = f.called;
	return f.line;
}

/* ------------------------------------------------------------------------------------------ */
/* Conditional compilation must decide the same way under every build's compiler. */

/* Appends S to OUT (of OUTLEN, USED so far), truncating. */
static void put(char *out, size_t outlen, size_t *used, const char *s, size_t n)
{
	if (*used + 1 >= outlen)
		return;
	size_t m = n < outlen - *used - 1 ? n : outlen - *used - 1;
	memcpy(out + *used, s, m);
	*used += m;
	out[*used] = '\0';
}

/* One macro event ("define BODY" or "undef") in a form that two preprocessors' spellings of the
 * same definition share: tokens joined by one space, integer constants in decimal without their
 * suffix, parameters by position. The identifiers of the body are added to IDS. */
static void macro_normalise(const char *what, char *out, size_t outlen, struct tl__strs *ids)
{
	size_t used = 0;
	out[0] = '\0';
	if (strncmp(what, "define ", 7) != 0) {
		put(out, outlen, &used, "undef", 5);
		return;
	}
	const char *p = what + 7;
	size_t n = strlen(p), i = 0;
	char params[32][64];
	int nparams = 0;
	struct ptok t;
	put(out, outlen, &used, "define", 6);
	if (n > 0 && p[0] == '(') { /* function-like: the parameter list directly after the name */
		for (i = ptok_next(p, n, 1, &t); t.kind != T_EOF && !(t.kind == T_OTHER && *t.b == ')');
		     i = ptok_next(p, n, i, &t))
			if (t.kind == T_ID && nparams < 32)
				snprintf(params[nparams++], sizeof params[0], "%.*s", (int)(t.n < 63 ? t.n : 63), t.b);
			else if (t.kind == T_OTHER && *t.b == '.')
				put(out, outlen, &used, ".", 1);
		char head[32];
		snprintf(head, sizeof head, "(%d)", nparams);
		put(out, outlen, &used, head, strlen(head));
	}
	for (i = ptok_next(p, n, i, &t); t.kind != T_EOF; i = ptok_next(p, n, i, &t)) {
		char tok[128];
		snprintf(tok, sizeof tok, "%.*s", (int)(t.n < 127 ? t.n : 127), t.b);
		put(out, outlen, &used, " ", 1);
		int param = -1;
		for (int k = 0; k < nparams && t.kind == T_ID; k++)
			if (strcmp(params[k], tok) == 0)
				param = k;
		if (param >= 0) {
			snprintf(tok, sizeof tok, "$%d", param);
		} else if (t.kind == T_ID) {
			tl__strs_add(ids, tok, strlen(tok));
		} else if (t.kind == T_NUM && strpbrk(tok, ".eEpP") == NULL) {
			char *end;
			unsigned long long v = strtoull(tok, &end, 0);
			if (strspn(end, "uUlL") == strlen(end))
				snprintf(tok, sizeof tok, "%llu", v);
		}
		put(out, outlen, &used, tok, strlen(tok));
	}
}

/* The events of NAME in M, each normalised (tokens joined by one space, integers in decimal,
 * parameters by position), joined into OUT. */
static void name_events(const struct tl__macros *m, const char *name, char *out, size_t outlen,
			struct tl__strs *body_ids)
{
	size_t nl = strlen(name), used = 0;
	out[0] = '\0';
	for (size_t i = tl__strs_lower_bound(&m->events, name); i < m->events.n; i++) {
		const char *ev = m->events.v[i];
		if (strncmp(ev, name, nl) != 0 || ev[nl] != '\t')
			break;
		const char *what = strchr(ev + nl + 1, '\t') + 1;
		char norm[2048];
		macro_normalise(what, norm, sizeof norm, body_ids);
		int w = snprintf(out + used, outlen - used, "%s%s", used ? " | " : "", norm);
		used += (size_t)w < outlen - used ? (size_t)w : outlen - used - 1;
	}
}

int tl__same_conditions(const struct tl__raw *raw, const struct tl__macros *a, const char *name_a,
			const struct tl__macros *b, const char *name_b, const char *base, struct tl__why *w)
{
	struct tl__strs todo = {0};
	for (size_t i = 0; i < raw->cond.n; i++)
		tl__strs_add(&todo, raw->cond.v[i], strlen(raw->cond.v[i]));
	int rc = 0;
	/* Breadth first over macro bodies; bounded, since a name is visited once. */
	for (size_t i = 0; rc == 0 && i < todo.n && i < 4096; i++) {
		char *ea = malloc(16384), *eb = malloc(16384);
		TL_ASSERT(ea != NULL && eb != NULL);
		struct tl__strs ids = {0};
		name_events(a, todo.v[i], ea, 16384, &ids);
		name_events(b, todo.v[i], eb, 16384, &ids);
		if (strcmp(ea, eb) != 0)
			rc = tl__refuse(w, "%s's conditional compilation depends on %s, which %s and %s define differently ('%.80s' against '%.80s'): the builds would compile different code",
					base, todo.v[i], name_a, name_b, ea[0] ? ea : "undefined", eb[0] ? eb : "undefined");
		for (size_t j = 0; j < ids.n; j++) {
			int seen = 0;
			for (size_t s = 0; s < todo.n && !seen; s++)
				seen = strcmp(todo.v[s], ids.v[j]) == 0;
			if (!seen)
				tl__strs_add(&todo, ids.v[j], strlen(ids.v[j]));
		}
		tl__strs_free(&ids);
		free(ea);
		free(eb);
	}
	tl__strs_free(&todo);
	return rc;
}

/* tamper_ast.c: the anti-tamper scan's reading of clang's syntax tree (-ast-dump=json) of a
 * student's file: what the code converts, calls and declares, not what its text spells. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tamper.h"

/* ------------------------------------------------------------------------------------------ */
/* A small JSON reader. clang's dump is large (5 to 10 MiB for a lab file, most of it the system
 * headers) but plain: this reads all of JSON into a tree, keeping each object's keys in order (the
 * dump elides a location's file when it repeats the previous one, so order carries meaning). It is
 * bounded: the caller caps the input's size, and nesting deeper than MAX_NEST is refused. */

#define MAX_NEST 2000

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	char *s;          /* J_STR: the decoded string; J_NUM, J_BOOL: the literal */
	struct jv *kids;  /* J_ARR: the elements; J_OBJ: the values */
	char **keys;      /* J_OBJ: the keys, in order */
	size_t n, cap;
};

struct jparse {
	const char *p, *end;
	int depth;
	const char *error;
};

static void jv_free(struct jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->kids[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
}

static void skip_ws(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static int hexval(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		if (p + i >= end)
			return -1;
		char c = p[i];
		v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99);
		if (v > 0xffff)
			return -1;
	}
	*out = v;
	return 0;
}

/* Appends code point U as UTF-8 to OUT at *K (OUT has room: the escape was longer). */
static void put_utf8(char *out, size_t *k, unsigned u)
{
	if (u < 0x80) {
		out[(*k)++] = (char)u;
	} else if (u < 0x800) {
		out[(*k)++] = (char)(0xc0 | u >> 6);
		out[(*k)++] = (char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		out[(*k)++] = (char)(0xe0 | u >> 12);
		out[(*k)++] = (char)(0x80 | (u >> 6 & 0x3f));
		out[(*k)++] = (char)(0x80 | (u & 0x3f));
	} else {
		out[(*k)++] = (char)(0xf0 | u >> 18);
		out[(*k)++] = (char)(0x80 | (u >> 12 & 0x3f));
		out[(*k)++] = (char)(0x80 | (u >> 6 & 0x3f));
		out[(*k)++] = (char)(0x80 | (u & 0x3f));
	}
}

/* A string, from its opening quote. Returns the decoded copy, or NULL with J->error. */
static char *jstring(struct jparse *j)
{
	const char *s = ++j->p;
	while (j->p < j->end && *j->p != '"')
		j->p += *j->p == '\\' ? 2 : 1;
	if (j->p >= j->end) {
		j->error = "an unterminated string";
		return NULL;
	}
	char *out = malloc((size_t)(j->p - s) + 1);
	TL_ASSERT(out != NULL);
	size_t k = 0;
	for (const char *q = s; q < j->p; q++) {
		if (*q != '\\') {
			out[k++] = *q;
			continue;
		}
		char c = *++q;
		const char *map = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", c);
		unsigned u, lo;
		if (c != 'u' && c != '\0' && map != NULL && (map - "\"\"\\\\//b\bf\fn\nr\rt\t") % 2 == 0) {
			out[k++] = map[1];
		} else if (c == 'u' && hexval(q + 1, j->p, &u) == 0) {
			q += 4;
			if (u >= 0xd800 && u < 0xdc00 && q + 6 < j->p && q[1] == '\\' && q[2] == 'u' &&
			    hexval(q + 3, j->p, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			}
			put_utf8(out, &k, u);
		} else {
			free(out);
			j->error = "a bad escape in a string";
			return NULL;
		}
	}
	out[k] = '\0';
	j->p++;
	return out;
}

static int jvalue(struct jparse *j, struct jv *v);

static void jv_append(struct jv *parent, struct jv *child, char *key)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = realloc(parent->kids, parent->cap * sizeof *parent->kids);
		TL_ASSERT(parent->kids != NULL);
		if (parent->t == J_OBJ) {
			parent->keys = realloc(parent->keys, parent->cap * sizeof *parent->keys);
			TL_ASSERT(parent->keys != NULL);
		}
	}
	if (parent->t == J_OBJ)
		parent->keys[parent->n] = key;
	parent->kids[parent->n++] = *child;
}

/* An array or object, from its opening bracket. */
static int jcontainer(struct jparse *j, struct jv *v)
{
	char close = *j->p == '[' ? ']' : '}';
	v->t = close == ']' ? J_ARR : J_OBJ;
	if (++j->depth > MAX_NEST) {
		j->error = "nesting deeper than the check reads";
		return -1;
	}
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct jv child = {0};
		skip_ws(j);
		if (v->t == J_OBJ) {
			if (j->p >= j->end || *j->p != '"' || (key = jstring(j)) == NULL) {
				j->error = j->error ? j->error : "an object key expected";
				return -1;
			}
			skip_ws(j);
			if (j->p >= j->end || *j->p++ != ':') {
				free(key);
				j->error = "':' expected";
				return -1;
			}
		}
		int rc = jvalue(j, &child);
		jv_append(v, &child, key);
		if (rc != 0)
			return -1;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		j->error = "',' or a closing bracket expected";
		return -1;
	}
}

static int jvalue(struct jparse *j, struct jv *v)
{
	skip_ws(j);
	memset(v, 0, sizeof *v);
	if (j->p >= j->end) {
		j->error = "unexpected end";
		return -1;
	}
	char c = *j->p;
	if (c == '{' || c == '[')
		return jcontainer(j, v);
	if (c == '"') {
		v->t = J_STR;
		v->s = jstring(j);
		return v->s != NULL ? 0 : -1;
	}
	const char *s = j->p;
	while (j->p < j->end && strchr(",}] \n\r\t", *j->p) == NULL)
		j->p++;
	size_t n = (size_t)(j->p - s);
	v->t = (n == 4 && strncmp(s, "null", 4) == 0) ? J_NULL
	       : (n == 4 && strncmp(s, "true", 4) == 0) || (n == 5 && strncmp(s, "false", 5) == 0) ? J_BOOL
												: J_NUM;
	if (n == 0 || (v->t == J_NUM && strspn(s, "-+.0123456789eE") < n)) {
		j->error = "a bad literal";
		return -1;
	}
	v->s = strndup(s, n);
	TL_ASSERT(v->s != NULL);
	return 0;
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (o == NULL || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->kids[i];
	return NULL;
}

static const char *jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);
	return v != NULL && v->t == J_STR ? v->s : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Types, from clang's spelling of them. */

enum cls { C_UNKNOWN, C_VOID, C_BOOL, C_ARITH, C_RECORD, C_FUNC, C_FNPTR, C_FNPTRPTR, C_OBJPTR, C_ARRAY };

struct tcls {
	enum cls c;
	enum cls elem;   /* C_ARRAY: the element's class */
	int variadic;    /* C_FUNC, C_FNPTR: takes "..." or has no prototype */
	int nparams;     /* C_FUNC, C_FNPTR: the fixed parameters */
};

/* The typedef names of the translation unit and the class each denotes (C_UNKNOWN when the name
 * is declared with different classes in different scopes). */
struct tdef {
	const char *name;
	const char *type;
	int state; /* 0 not classified yet, 1 classifying (a cycle), 2 done */
	struct tcls cls;
};

struct ast {
	const struct tl__places *places;
	const char *base;
	struct tl__why *w;
	struct tdef *tdefs;
	size_t ntdefs, captdefs;
	const char *lastfile;
	int lastfile_own, lastline;
	int own_hits, own_line;
	char cached_file[TL_PATH];
	int cached_own;
};

static struct tcls classify(struct ast *a, const char *type, int depth);

#define MAX_TOKS 256

struct ttok {
	const char *b;
	size_t n;
};

static size_t type_tokens(const char *s, struct ttok *t, size_t max)
{
	size_t n = 0;
	while (*s != '\0' && n < max) {
		if (*s == ' ') {
			s++;
			continue;
		}
		const char *b = s;
		if (strncmp(s, "...", 3) == 0)
			s += 3;
		else if (*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
			while (*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
				s++;
		else
			s++;
		t[n].b = b;
		t[n].n = (size_t)(s - b);
		n++;
	}
	return *s == '\0' ? n : 0;
}

static int tok_is(const struct ttok *t, const char *s)
{
	return t->n == strlen(s) && strncmp(t->b, s, t->n) == 0;
}

/* The index just past the group opened at T[I] ('(' or '['), or N when unbalanced. */
static size_t skip_group(const struct ttok *t, size_t n, size_t i)
{
	int d = 0;
	for (; i < n; i++) {
		if (tok_is(&t[i], "(") || tok_is(&t[i], "["))
			d++;
		else if ((tok_is(&t[i], ")") || tok_is(&t[i], "]")) && --d == 0)
			return i + 1;
	}
	return n;
}

static const char *const arith_words[] = {"char", "short", "int", "long", "float", "double", "signed", "unsigned",
					  "_Complex", "__int128", "_Float16", "__float128", "__fp16", "__bf16",
					  "_Float32", "_Float64", "_Float128", "_Float32x", "_Float64x"};
static const char *const qualifier_words[] = {"const", "volatile", "restrict", "__restrict", "__restrict__",
					      "_Nonnull", "_Nullable", "_Null_unspecified", "__unaligned",
					      "_Noreturn", "inline", "static", "extern"};

static int word_in(const struct ttok *t, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tok_is(t, set[i]))
			return 1;
	return 0;
}

static struct tcls typedef_class(struct ast *a, const struct ttok *t, int depth);

/* The specifiers T[*I..]: stops at the declarator. */
static struct tcls base_class(struct ast *a, const struct ttok *t, size_t n, size_t *i, int depth)
{
	struct tcls c = {C_ARITH, C_UNKNOWN, 0, 0};
	int seen = 0;
	while (*i < n) {
		const struct ttok *k = &t[*i];
		if (tok_is(k, "*") || tok_is(k, "(") || tok_is(k, "[") || tok_is(k, ")") || tok_is(k, ",") || tok_is(k, "]"))
			break;
		if (tok_is(k, "__attribute__") || tok_is(k, "_Atomic")) {
			int atomic = tok_is(k, "_Atomic");
			size_t g = *i + 1 < n && tok_is(&t[*i + 1], "(") ? skip_group(t, n, *i + 1) : *i + 1;
			if (atomic && g > *i + 2) { /* _Atomic(T): the class of T */
				char inner[512];
				size_t len = (size_t)(t[g - 1].b - t[*i + 2].b);
				snprintf(inner, sizeof inner, "%.*s", (int)(len < 511 ? len : 511), t[*i + 2].b);
				c = classify(a, inner, depth + 1);
				seen = 1;
			}
			*i = g;
			continue;
		}
		if (tok_is(k, "struct") || tok_is(k, "union") || tok_is(k, "enum")) {
			c.c = tok_is(k, "enum") ? C_ARITH : C_RECORD;
			seen = 1;
			(*i)++;
			if (*i < n && tok_is(&t[*i], "(")) /* (anonymous struct at FILE:L:C) */
				*i = skip_group(t, n, *i);
			else if (*i < n)
				(*i)++;
			continue;
		}
		if (tok_is(k, "void"))
			c.c = C_VOID, seen = 1;
		else if (tok_is(k, "_Bool") || tok_is(k, "bool"))
			c.c = C_BOOL, seen = 1;
		else if (word_in(k, arith_words, sizeof arith_words / sizeof *arith_words))
			c.c = C_ARITH, seen = 1;
		else if (!word_in(k, qualifier_words, sizeof qualifier_words / sizeof *qualifier_words))
			c = typedef_class(a, k, depth), seen = 1;
		(*i)++;
	}
	if (!seen)
		c.c = C_UNKNOWN;
	return c;
}

static struct tcls pointer_to(struct tcls c)
{
	struct tcls p = c;
	p.c = c.c == C_FUNC ? C_FNPTR : c.c == C_FNPTR ? C_FNPTRPTR : c.c == C_UNKNOWN ? C_UNKNOWN : C_OBJPTR;
	return p;
}

/* Applies the suffix at T[I] (a parameter list or an array bound) to C. */
static struct tcls suffix(struct tcls c, const struct ttok *t, size_t i, size_t end)
{
	struct tcls r = {C_UNKNOWN, C_UNKNOWN, 0, 0};
	if (tok_is(&t[i], "[")) {
		r.c = C_ARRAY;
		r.elem = c.c;
		return r;
	}
	r.c = C_FUNC;
	int depth = 0, commas = 0, any = 0, only_void = 0;
	for (size_t k = i + 1; k + 1 < end; k++) {
		if (tok_is(&t[k], "(") || tok_is(&t[k], "["))
			depth++;
		else if (tok_is(&t[k], ")") || tok_is(&t[k], "]"))
			depth--;
		else if (depth == 0 && tok_is(&t[k], ","))
			commas++;
		else if (depth == 0 && tok_is(&t[k], "..."))
			r.variadic = 1;
		only_void = !any && tok_is(&t[k], "void");
		any = 1;
	}
	if (!any)
		r.variadic = 1; /* "()": no prototype, any argument goes */
	r.nparams = !any || only_void ? 0 : commas + 1 - r.variadic;
	return r;
}

/* The declarator T[I..END) applied to BASE. */
static struct tcls declarator(struct tcls base, const struct ttok *t, size_t i, size_t end)
{
	while (i < end && (tok_is(&t[i], "*") || word_in(&t[i], qualifier_words, sizeof qualifier_words / sizeof *qualifier_words) ||
			   tok_is(&t[i], "__attribute__") || tok_is(&t[i], "_Atomic"))) {
		if (tok_is(&t[i], "*"))
			base = pointer_to(base);
		if ((tok_is(&t[i], "__attribute__") || tok_is(&t[i], "_Atomic")) && i + 1 < end && tok_is(&t[i + 1], "("))
			i = skip_group(t, end, i + 1);
		else
			i++;
	}
	size_t inner_b = 0, inner_e = 0;
	if (i < end && tok_is(&t[i], "(") && i + 1 < end && (tok_is(&t[i + 1], "*") || tok_is(&t[i + 1], "("))) {
		size_t g = skip_group(t, end, i);
		inner_b = i + 1;
		inner_e = g - 1;
		i = g;
	}
	size_t sfx[32];
	int nsfx = 0;
	while (i < end && nsfx < 32 && (tok_is(&t[i], "(") || tok_is(&t[i], "["))) {
		sfx[nsfx++] = i;
		i = skip_group(t, end, i);
	}
	for (int k = nsfx - 1; k >= 0; k--)
		base = suffix(base, t, sfx[k], skip_group(t, end, sfx[k]));
	return inner_e > inner_b ? declarator(base, t, inner_b, inner_e) : base;
}

static struct tcls classify(struct ast *a, const char *type, int depth)
{
	struct tcls unknown = {C_UNKNOWN, C_UNKNOWN, 0, 0};
	struct ttok t[MAX_TOKS];
	size_t n = type != NULL && depth < 16 ? type_tokens(type, t, MAX_TOKS) : 0;
	if (n == 0)
		return unknown;
	size_t i = 0;
	struct tcls base = base_class(a, t, n, &i, depth);
	return base.c == C_UNKNOWN ? unknown : declarator(base, t, i, n);
}

static struct tcls typedef_class(struct ast *a, const struct ttok *t, int depth)
{
	struct tcls r = {C_UNKNOWN, C_UNKNOWN, 0, 0};
	int found = 0;
	for (size_t i = 0; i < a->ntdefs; i++) {
		struct tdef *d = &a->tdefs[i];
		if (!tok_is(t, d->name))
			continue;
		if (d->state == 1)
			return r; /* a cycle: cannot tell */
		if (d->state == 0) {
			d->state = 1;
			d->cls = classify(a, d->type, depth + 1);
			d->state = 2;
		}
		if (found && (d->cls.c != r.c || d->cls.variadic != r.variadic))
			return (struct tcls){C_UNKNOWN, C_UNKNOWN, 0, 0}; /* one name, two meanings */
		r = d->cls;
		found = 1;
	}
	return r;
}

static const char *node_type(const struct jv *node)
{
	const struct jv *t = jget(node, "type");
	const char *d = jstr(t, "desugaredQualType");
	return d != NULL ? d : jstr(t, "qualType");
}

/* ------------------------------------------------------------------------------------------ */
/* The walk. */

/* Attributes that the student's declarations may carry: none of them changes what runs before
 * main, where code lives, what is instrumented or what a symbol is called. */
static const char *const attrs_allowed[] = {
	"UnusedAttr", "WarnUnusedResultAttr", "NoReturnAttr", "C11NoReturnAttr", "FormatAttr", "FormatArgAttr",
	"AlignedAttr", "PackedAttr", "ConstAttr", "PureAttr", "NoInlineAttr", "AlwaysInlineAttr", "ColdAttr",
	"HotAttr", "FallThroughAttr", "NonNullAttr", "ReturnsNonNullAttr", "AllocSizeAttr", "AllocAlignAttr",
	"RestrictAttr", "DeprecatedAttr", "UnavailableAttr", "MaxFieldAlignmentAttr", "ModeAttr",
	"NoThrowAttr", "LeafAttr", "AssumeAlignedAttr", "WarnUnusedAttr", "NoDebugAttr", "ArtificialAttr",
	"BuiltinAttr", "GNUInlineAttr", "AnyX86NoCallerSavedRegistersAttr", "NoEscapeAttr", "ReturnsTwiceAttr",
	"TypeTagForDatatypeAttr", "ArgumentWithTypeTagAttr", "DiagnoseIfAttr", "EnableIfAttr", "OverloadableAttr",
	"CountedByAttr", "FlagEnumAttr", "EnumExtensibilityAttr", "MayAliasAttr", "TransparentUnionAttr",
};

/* Whether the file of the current location (A->lastfile) is one of the student's. */
static int file_own(struct ast *a)
{
	if (a->lastfile == NULL)
		return 0;
	if (strcmp(a->cached_file, a->lastfile) != 0) {
		char real[PATH_MAX];
		tl_strlcpy(a->cached_file, a->lastfile, sizeof a->cached_file);
		a->cached_own = realpath(a->lastfile, real) != NULL && tl__strs_has(&a->places->student, real);
	}
	return a->cached_own;
}

/* A bare location ({"offset", "file"?, "line"?, ...}): the file and line carry over from the
 * previous location when the dump leaves them out. */
static void location(struct ast *a, const struct jv *loc)
{
	const char *f = jstr(loc, "file");
	const struct jv *l = jget(loc, "line");
	if (f != NULL)
		a->lastfile = f;
	if (l != NULL && l->t == J_NUM)
		a->lastline = atoi(l->s);
	if (file_own(a)) {
		a->own_hits++;
		if (a->own_line == 0)
			a->own_line = a->lastline;
	}
}

static int check_node(struct ast *a, const struct jv *node, const char *kind);

/* Visits V in document order. Nodes are checked once their own locations have been read. */
static int visit(struct ast *a, const struct jv *v)
{
	if (v->t == J_ARR) {
		for (size_t i = 0; i < v->n; i++) {
			int rc = visit(a, &v->kids[i]);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	if (v->t != J_OBJ)
		return 0;
	if (jget(v, "offset") != NULL)
		location(a, v);
	const char *kind = jstr(v, "kind");
	int hits = a->own_hits, checked = kind == NULL;
	if (kind != NULL)
		a->own_line = 0; /* the line of this node's first location in the student's file */
	for (size_t i = 0; i < v->n; i++) {
		if (!checked && strcmp(v->keys[i], "inner") == 0) {
			checked = 1;
			if (a->own_hits > hits) {
				int rc = check_node(a, v, kind);
				if (rc != 0)
					return rc;
			}
		}
		if (strcmp(v->keys[i], "offset") != 0 && v->kids[i].t >= J_ARR) {
			int rc = visit(a, &v->kids[i]);
			if (rc != 0)
				return rc;
		}
	}
	if (!checked && a->own_hits > hits)
		return check_node(a, v, kind);
	return 0;
}

static int fnlike(enum cls c)
{
	return c == C_FUNC || c == C_FNPTR;
}

static const char *cls_name(enum cls c)
{
	switch (c) {
	case C_FUNC:
	case C_FNPTR:
		return "a function";
	case C_FNPTRPTR:
		return "the address of a function pointer";
	case C_OBJPTR:
		return "an object pointer";
	case C_ARITH:
	case C_BOOL:
		return "an integer";
	case C_UNKNOWN:
		return "a type the check cannot tell";
	case C_VOID:
	case C_RECORD:
	case C_ARRAY:
		break;
	}
	return "another type";
}

/* Whether NODE is a null pointer constant such as NULL, ((void *)0): converting it to a function
 * pointer makes a null function pointer, no address. */
static int null_constant(const struct jv *node)
{
	for (int depth = 0; node != NULL && depth < 64; depth++) {
		const char *kind = jstr(node, "kind"), *ck = jstr(node, "castKind");
		const struct jv *inner = jget(node, "inner");
		if (kind != NULL && ck != NULL && strcmp(ck, "NullToPointer") == 0)
			return 1;
		if (kind == NULL || strcmp(kind, "ParenExpr") != 0 || inner == NULL || inner->n != 1)
			return 0;
		node = &inner->kids[0];
	}
	return 0;
}

static int check_cast(struct ast *a, const struct jv *node)
{
	const struct jv *inner = jget(node, "inner");
	const char *ck = jstr(node, "castKind");
	/* A builtin's name becoming its callee pointer: builtins have no address to leak. */
	if (inner == NULL || inner->n == 0 || ck == NULL || strcmp(ck, "BuiltinFnToFnPtr") == 0)
		return 0;
	const char *dt = node_type(node), *st = node_type(&inner->kids[0]);
	struct tcls d = classify(a, dt, 0), s = classify(a, st, 0);
	int raw = strcmp(ck, "BitCast") == 0 || strcmp(ck, "PointerToIntegral") == 0 || strcmp(ck, "IntegralToPointer") == 0;
	int bad = (fnlike(s.c) && !fnlike(d.c) && d.c != C_VOID && d.c != C_BOOL) ||
		  (fnlike(d.c) && !fnlike(s.c) && strcmp(ck, "NullToPointer") != 0 && !null_constant(&inner->kids[0])) ||
		  (s.c == C_FNPTRPTR && d.c != C_FNPTRPTR && d.c != C_BOOL && d.c != C_VOID) ||
		  (raw && (s.c == C_UNKNOWN || d.c == C_UNKNOWN));
	if (!bad)
		return 0;
	return tl__refuse(a->w, "%s:%d converts %s ('%s') to %s ('%s'): lab code may not turn code addresses into data or back",
			  a->base, a->own_line, cls_name(s.c), st != NULL ? st : "?", cls_name(d.c), dt != NULL ? dt : "?");
}

/* A call whose callee takes "..." (or has no prototype) with a function among the extra arguments:
 * printf("%p", f) turns it into an integer without a cast. */
static int check_call(struct ast *a, const struct jv *node)
{
	const struct jv *inner = jget(node, "inner");
	if (inner == NULL || inner->n < 2)
		return 0;
	struct tcls callee = classify(a, node_type(&inner->kids[0]), 0);
	if (!(callee.c == C_FNPTR || callee.c == C_FUNC) || !callee.variadic)
		return 0;
	for (size_t i = 1 + (size_t)callee.nparams; i < inner->n; i++) {
		struct tcls arg = classify(a, node_type(&inner->kids[i]), 0);
		if (fnlike(arg.c) || arg.c == C_UNKNOWN)
			return tl__refuse(a->w, "%s:%d passes %s as an extra argument of a variadic or unprototyped function: lab code may not turn code addresses into data",
					  a->base, a->own_line, arg.c == C_UNKNOWN ? "a value of a type the check cannot tell" : "a function");
	}
	return 0;
}

/* Whether a field of a union (anywhere in its definition's subtree) holds a function pointer. */
static int holds_function(struct ast *a, const struct jv *decl)
{
	const char *kind = jstr(decl, "kind");
	if (kind != NULL && strcmp(kind, "FieldDecl") == 0) {
		struct tcls c = classify(a, node_type(decl), 0);
		if (fnlike(c.c) || (c.c == C_ARRAY && fnlike(c.elem)) || c.c == C_UNKNOWN)
			return 1;
	}
	const struct jv *inner = jget(decl, "inner");
	for (size_t i = 0; inner != NULL && i < inner->n; i++)
		if (holds_function(a, &inner->kids[i]))
			return 1;
	return 0;
}

static int check_node(struct ast *a, const struct jv *node, const char *kind)
{
	size_t kl = strlen(kind);
	if (strcmp(kind, "ImplicitCastExpr") == 0 || strcmp(kind, "CStyleCastExpr") == 0)
		return check_cast(a, node);
	if (strcmp(kind, "CallExpr") == 0)
		return check_call(a, node);
	if (strcmp(kind, "GCCAsmStmt") == 0 || strcmp(kind, "MSAsmStmt") == 0 || strcmp(kind, "FileScopeAsmDecl") == 0)
		return tl__refuse(a->w, "%s:%d uses inline assembly", a->base, a->own_line);
	if (strcmp(kind, "RecordDecl") == 0 && jstr(node, "tagUsed") != NULL && strcmp(jstr(node, "tagUsed"), "union") == 0 &&
	    holds_function(a, node))
		return tl__refuse(a->w, "%s:%d declares a union with a function pointer in it: reading another member would turn a code address into data",
				  a->base, a->own_line);
	if (kl > 4 && strcmp(kind + kl - 4, "Attr") == 0) {
		for (size_t i = 0; i < sizeof attrs_allowed / sizeof *attrs_allowed; i++)
			if (strcmp(kind, attrs_allowed[i]) == 0)
				return 0;
		return tl__refuse(a->w, "%s:%d uses the attribute %s, which lab code may not use (it changes what runs, where code lives or what the tools see)",
				  a->base, a->own_line, kind);
	}
	return 0;
}

/* Collects every TypedefDecl of the tree. */
static void collect_typedefs(struct ast *a, const struct jv *v)
{
	if (v->t == J_OBJ) {
		const char *kind = jstr(v, "kind");
		if (kind != NULL && strcmp(kind, "TypedefDecl") == 0 && jstr(v, "name") != NULL) {
			if (a->ntdefs == a->captdefs) {
				a->captdefs = a->captdefs ? a->captdefs * 2 : 256;
				a->tdefs = realloc(a->tdefs, a->captdefs * sizeof *a->tdefs);
				TL_ASSERT(a->tdefs != NULL);
			}
			a->tdefs[a->ntdefs++] = (struct tdef){jstr(v, "name"), node_type(v), 0, {C_UNKNOWN, C_UNKNOWN, 0, 0}};
		}
		const struct jv *inner = jget(v, "inner");
		if (inner != NULL)
			collect_typedefs(a, inner);
	} else if (v->t == J_ARR) {
		for (size_t i = 0; i < v->n; i++)
			collect_typedefs(a, &v->kids[i]);
	}
}

int tl__ast_check(const char *json, size_t len, const struct tl__places *places, const char *base, struct tl__why *w)
{
	struct jparse j = {json, json + len, 0, NULL};
	struct jv root;
	int rc = jvalue(&j, &root);
	if (rc != 0) {
		jv_free(&root);
		return tl__refuse(w, "%s: its syntax tree cannot be read (%s at byte %zu): the check cannot vouch for it", base,
				  j.error ? j.error : "?", (size_t)(j.p - json));
	}
	struct ast a = {.places = places, .base = base, .w = w};
	collect_typedefs(&a, &root);
	rc = visit(&a, &root);
	free(a.tdefs);
	jv_free(&root);
	return rc;
}

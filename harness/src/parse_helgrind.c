/* parse_helgrind.c: turns Valgrind's --xml=yes output of a Helgrind run (protocol 4) into findings, with the small XML reader the cmocka parser shares. */
#include "threadlab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- The XML reader ------------------------------------------------------------------------ */

/* The reader's state while it walks the text. */
struct xml_reader {
	const char *s;
	size_t len, i;
	struct tl__xml_node *doc, *cur;
	int truncated;
	char *err;
	size_t errlen;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	TL_ASSERT(p != NULL); /* the parsers abort when memory runs out, like tl_findings_add */
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The 1-based line of offset AT, for error messages. */
static unsigned line_of(const struct xml_reader *r, size_t at)
{
	unsigned line = 1;
	for (size_t i = 0; i < at && i < r->len; i++)
		line += r->s[i] == '\n';
	return line;
}

/* Finds NEEDLE at or after r->i; returns its offset or SIZE_MAX when absent. */
static size_t find(const struct xml_reader *r, size_t from, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = from; i + n <= r->len; i++)
		if (memcmp(r->s + i, needle, n) == 0)
			return i;
	return SIZE_MAX;
}

static int starts(const struct xml_reader *r, const char *lit)
{
	size_t n = strlen(lit);
	return r->i + n <= r->len && memcmp(r->s + r->i, lit, n) == 0;
}

/* A growable string: p[0..n) plus a NUL. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		TL_ASSERT(p != NULL);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_add_utf8(struct sbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_add(b, u, n);
}

/* Decodes the entity that starts at S[0] == '&' within S[0..n). Returns the bytes consumed,
 * 0 when the text ends before its ';' (the input was cut), or -1 for a malformed entity. */
static long decode_entity(const char *s, size_t n, struct sbuf *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
	size_t semi = 1;

	while (semi < n && semi < 12 && s[semi] != ';')
		semi++;
	if (semi >= n)
		return 0;
	if (s[semi] != ';')
		return -1;
	if (s[1] == '#') {
		uint32_t cp = 0;
		size_t k = 2;
		int hex = k < semi && (s[k] == 'x' || s[k] == 'X');
		k += (size_t)hex;
		if (k == semi)
			return -1;
		for (; k < semi; k++) {
			char c = s[k];
			unsigned d;
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (hex && c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (hex && c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return -1;
			cp = cp * (hex ? 16u : 10u) + d;
			if (cp > 0x10FFFF)
				return -1;
		}
		if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		sb_add_utf8(out, cp);
		return (long)semi + 1;
	}
	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		size_t nl = strlen(named[k].name);
		if (semi - 1 == nl && memcmp(s + 1, named[k].name, nl) == 0) {
			sb_add(out, &named[k].c, 1);
			return (long)semi + 1;
		}
	}
	return -1;
}

/* Decodes S[0..n) into OUT. Returns 0, 1 when an entity is cut by the end of the input
 * (only when AT_EOF), or -1 for a malformed entity, with *BAD at its offset. */
static int decode_text(const char *s, size_t n, int at_eof, struct sbuf *out, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t run = amp ? (size_t)(amp - (s + i)) : n - i;
		sb_add(out, s + i, run);
		i += run;
		if (i == n)
			break;
		long used = decode_entity(s + i, n - i, out);
		if (used == 0 && at_eof)
			return 1;
		if (used <= 0) {
			*bad = i;
			return -1;
		}
		i += (size_t)used;
	}
	return 0;
}

static struct tl__xml_node *new_node(const char *name, size_t n)
{
	struct tl__xml_node *node = xmalloc(sizeof(*node));
	memset(node, 0, sizeof(*node));
	node->name = xstrndup(name, n);
	node->text = xstrndup("", 0);
	return node;
}

static void append_text(struct tl__xml_node *node, const char *s, size_t n)
{
	size_t old = node->text_len;
	char *t = realloc(node->text, old + n + 1);
	TL_ASSERT(t != NULL);
	memcpy(t + old, s, n);
	t[old + n] = '\0';
	node->text = t;
	node->text_len = old + n;
}

/* Reads character data up to the next '<' into the current element. Returns 0 or -1. */
static int read_text(struct xml_reader *r)
{
	size_t start = r->i;
	const char *lt = memchr(r->s + start, '<', r->len - start);
	size_t end = lt ? (size_t)(lt - r->s) : r->len;
	struct sbuf b = {0};
	size_t bad = 0;

	r->i = end;
	if (r->cur == r->doc) {
		for (size_t k = start; k < end; k++) {
			if (!is_space(r->s[k])) {
				tl__errf(r->err, r->errlen, "line %u: text outside any element: not XML",
					 line_of(r, k));
				return -1;
			}
		}
		return 0;
	}
	int rc = decode_text(r->s + start, end - start, lt == NULL, &b, &bad);
	if (rc < 0) {
		tl__errf(r->err, r->errlen, "line %u: malformed entity", line_of(r, start + bad));
		free(b.p);
		return -1;
	}
	if (rc > 0)
		r->truncated = 1;
	/* Why skip white space between child elements: nobody reads mixed content, and keeping
	 * the indentation of a root with thousands of children would cost quadratic copying. */
	int blank = 1;
	for (size_t k = 0; k < b.n && blank; k++)
		blank = is_space(b.p[k]);
	if (b.n && !(blank && r->cur->child != NULL))
		append_text(r->cur, b.p, b.n);
	free(b.p);
	return 0;
}

static void add_attr(struct tl__xml_node *node, char *name, char *value)
{
	struct tl__xml_attr *a = realloc(node->attr, (node->nattr + 1) * sizeof(*a));
	TL_ASSERT(a != NULL);
	node->attr = a;
	a[node->nattr].name = name;
	a[node->nattr].value = value;
	node->nattr++;
}

static void free_node(struct tl__xml_node *n)
{
	for (size_t k = 0; k < n->nattr; k++) {
		free(n->attr[k].name);
		free(n->attr[k].value);
	}
	free(n->attr);
	free(n->name);
	free(n->text);
	free(n);
}

/* Reads a start tag at r->i ('<' then a name start). Returns 0 (also when the input ends inside
 * the tag: then r->truncated is set and nothing is added) or -1 for a malformed tag. */
static int read_start_tag(struct xml_reader *r)
{
	size_t begin = r->i, i = r->i + 1, name0 = i;
	struct tl__xml_node *node;

	while (i < r->len && is_name_char(r->s[i]))
		i++;
	if (i == r->len)
		goto cut;
	node = new_node(r->s + name0, i - name0);
	for (;;) {
		while (i < r->len && is_space(r->s[i]))
			i++;
		if (i == r->len)
			goto cut_node;
		if (r->s[i] == '>' || r->s[i] == '/') {
			int empty = r->s[i] == '/';
			if (empty && i + 1 == r->len)
				goto cut_node;
			if (empty && r->s[i + 1] != '>')
				goto bad_node;
			i += empty ? 2u : 1u;
			node->begin = begin;
			node->parent = r->cur;
			if (r->cur->last_child)
				r->cur->last_child->next = node;
			else
				r->cur->child = node;
			r->cur->last_child = node;
			if (empty) {
				node->complete = 1;
				node->end = i;
			} else {
				r->cur = node;
			}
			r->i = i;
			return 0;
		}
		if (!is_name_start(r->s[i]))
			goto bad_node;
		size_t an = i;
		while (i < r->len && is_name_char(r->s[i]))
			i++;
		size_t an_end = i;
		while (i < r->len && is_space(r->s[i]))
			i++;
		if (i == r->len)
			goto cut_node;
		if (r->s[i] != '=')
			goto bad_node;
		i++;
		while (i < r->len && is_space(r->s[i]))
			i++;
		if (i == r->len)
			goto cut_node;
		char q = r->s[i];
		if (q != '"' && q != '\'')
			goto bad_node;
		const char *close = memchr(r->s + i + 1, q, r->len - i - 1);
		if (close == NULL)
			goto cut_node;
		size_t v0 = i + 1, v1 = (size_t)(close - r->s), bad = 0;
		struct sbuf v = {0};
		if (memchr(r->s + v0, '<', v1 - v0) != NULL ||
		    decode_text(r->s + v0, v1 - v0, 0, &v, &bad) != 0) {
			free(v.p);
			goto bad_node;
		}
		add_attr(node, xstrndup(r->s + an, an_end - an), v.p ? v.p : xstrndup("", 0));
		i = v1 + 1;
	}
bad_node:
	free_node(node);
	tl__errf(r->err, r->errlen, "line %u: malformed start tag", line_of(r, begin));
	return -1;
cut_node:
	free_node(node);
cut:
	r->truncated = 1;
	r->i = r->len;
	return 0;
}

/* Reads an end tag at r->i ("</"). Returns 0 (also when cut) or -1 when it does not close the
 * open element. */
static int read_end_tag(struct xml_reader *r)
{
	size_t begin = r->i, i = r->i + 2, name0 = i;

	while (i < r->len && is_name_char(r->s[i]))
		i++;
	size_t name1 = i;
	while (i < r->len && is_space(r->s[i]))
		i++;
	if (i == r->len) {
		r->truncated = 1;
		r->i = r->len;
		return 0;
	}
	if (r->s[i] != '>' || name1 == name0) {
		tl__errf(r->err, r->errlen, "line %u: malformed end tag", line_of(r, begin));
		return -1;
	}
	if (r->cur == r->doc || strlen(r->cur->name) != name1 - name0 ||
	    memcmp(r->cur->name, r->s + name0, name1 - name0) != 0) {
		tl__errf(r->err, r->errlen, "line %u: </%.*s> does not close <%s>", line_of(r, begin),
			 (int)(name1 - name0), r->s + name0,
			 r->cur == r->doc ? "(nothing open)" : r->cur->name);
		return -1;
	}
	r->cur->complete = 1;
	r->cur->end = i + 1;
	r->cur = r->cur->parent;
	r->i = i + 1;
	return 0;
}

/* Skips a construct from r->i up to and including CLOSE. Returns 1 when CLOSE was found,
 * 0 when the input ends first (r->truncated is then set). */
static int skip_to(struct xml_reader *r, size_t from, const char *close)
{
	size_t at = find(r, from, close);
	if (at == SIZE_MAX) {
		r->truncated = 1;
		r->i = r->len;
		return 0;
	}
	r->i = at + strlen(close);
	return 1;
}

/* See threadlab.h. Aborts when memory runs out. */
int tl__xml_parse(const char *xml, size_t len, struct tl__xml_node **doc, int *truncated,
		  char *err, size_t errlen)
{
	struct xml_reader r = {.s = xml, .len = len, .err = err, .errlen = errlen};

	TL_ASSERT(doc != NULL && (xml != NULL || len == 0));
	*doc = NULL;
	if (truncated)
		*truncated = 0;
	r.doc = new_node("", 0);
	r.cur = r.doc;
	const char *nul = memchr(xml, '\0', len);
	if (nul != NULL) {
		tl__errf(err, errlen, "line %u: NUL byte: not XML", line_of(&r, (size_t)(nul - xml)));
		goto fail;
	}
	while (r.i < r.len) {
		if (r.s[r.i] != '<') {
			if (read_text(&r) < 0)
				goto fail;
		} else if (starts(&r, "<!--")) {
			skip_to(&r, r.i + 4, "-->");
		} else if (starts(&r, "<![CDATA[")) {
			size_t body = r.i + 9;
			if (r.cur == r.doc) {
				tl__errf(err, errlen, "line %u: CDATA outside any element", line_of(&r, r.i));
				goto fail;
			}
			if (skip_to(&r, body, "]]>"))
				append_text(r.cur, r.s + body, r.i - 3 - body);
			else
				append_text(r.cur, r.s + body, r.len - body);
		} else if (starts(&r, "<?")) {
			skip_to(&r, r.i + 2, "?>");
		} else if (starts(&r, "<!")) {
			/* Why no internal subset: none of the tools read here writes one. */
			skip_to(&r, r.i + 2, ">");
		} else if (starts(&r, "</")) {
			if (read_end_tag(&r) < 0)
				goto fail;
		} else if (r.i + 1 == r.len) {
			r.truncated = 1;
			r.i = r.len;
		} else if (is_name_start(r.s[r.i + 1])) {
			if (read_start_tag(&r) < 0)
				goto fail;
		} else {
			tl__errf(err, errlen, "line %u: '<' that starts no tag: not XML", line_of(&r, r.i));
			goto fail;
		}
	}
	if (r.cur != r.doc)
		r.truncated = 1;
	/* Why close the open elements' extents: a caller may keep the text of a cut element. */
	for (struct tl__xml_node *n = r.cur; n != r.doc; n = n->parent)
		n->end = r.len;
	r.doc->complete = !r.truncated;
	r.doc->end = r.len;
	if (truncated)
		*truncated = r.truncated;
	*doc = r.doc;
	return 0;
fail:
	tl__xml_free(r.doc);
	return -1;
}

/* Frees the tree under DOC (NULL is fine). Iterative, so a deep tree cannot exhaust the stack. */
void tl__xml_free(struct tl__xml_node *doc)
{
	struct tl__xml_node *n = doc;

	if (doc != NULL)
		doc->next = NULL;
	while (n != NULL) {
		if (n->child != NULL) {
			/* Why splice: the children go between N and its next sibling, so one
			 * list walk frees the whole tree without recursion. */
			n->last_child->next = n->next;
			n->next = n->child;
			n->child = NULL;
		}
		struct tl__xml_node *next = n->next;
		free_node(n);
		n = next;
	}
}

/* The next sibling of N named NAME, or NULL (also for a NULL N). */
const struct tl__xml_node *tl__xml_next(const struct tl__xml_node *n, const char *name)
{
	for (n = n ? n->next : NULL; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* The first child of N named NAME, or NULL (also for a NULL N). */
const struct tl__xml_node *tl__xml_child(const struct tl__xml_node *n, const char *name)
{
	if (n == NULL || n->child == NULL)
		return NULL;
	if (strcmp(n->child->name, name) == 0)
		return n->child;
	return tl__xml_next(n->child, name);
}

/* The text of N's first child named NAME, or NULL when there is no such child. */
const char *tl__xml_child_text(const struct tl__xml_node *n, const char *name)
{
	const struct tl__xml_node *c = tl__xml_child(n, name);
	return c ? c->text : NULL;
}

/* The decoded value of N's attribute NAME, or NULL when N has none (or N is NULL). */
const char *tl__xml_attr(const struct tl__xml_node *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (size_t k = 0; k < n->nattr; k++)
		if (strcmp(n->attr[k].name, name) == 0)
			return n->attr[k].value;
	return NULL;
}

/* ---- Helgrind ------------------------------------------------------------------------------ */

/* Copies S without leading and trailing white space, and with each run of white space inside
 * turned into one space (messages are one line). */
static void copy_line(char *dst, size_t dstlen, const char *s)
{
	size_t o = 0;
	int space = 0;

	dst[0] = '\0';
	if (s == NULL)
		return;
	while (is_space(*s))
		s++;
	for (; *s && o + 1 < dstlen; s++) {
		if (is_space(*s)) {
			space = 1;
			continue;
		}
		if (space && o + 2 < dstlen)
			dst[o++] = ' ';
		space = 0;
		dst[o++] = *s;
	}
	dst[o] = '\0';
}

/* Writes A, SEP and B into DST, cut to DSTLEN-1 bytes. */
static void join(char *dst, size_t dstlen, const char *a, const char *sep, const char *b)
{
	tl_strlcpy(dst, a, dstlen);
	size_t n = strlen(dst);
	tl_strlcpy(dst + n, sep, dstlen - n);
	n += strlen(dst + n);
	tl_strlcpy(dst + n, b, dstlen - n);
}

/* Whether a frame lies in Valgrind's preloaded objects or the C library, judged by its object. */
static int object_is_runtime(const char *obj)
{
	if (obj == NULL)
		return 0;
	const char *slash = strrchr(obj, '/');
	const char *base = slash ? slash + 1 : obj;
	return strncmp(base, "vgpreload_", 10) == 0 || strncmp(base, "libc.so", 7) == 0 ||
	       strncmp(base, "libc-", 5) == 0 || strncmp(base, "ld-linux", 8) == 0 ||
	       strncmp(base, "libpthread", 10) == 0 || strncmp(base, "libthreadcheck", 14) == 0;
}

/* Fills SITE from the first frame of STACK that is the program's own code: one with a source
 * file, outside vgpreload_*.so, the C library and the runtimes. SITE stays empty when none is. */
static void first_user_frame(const struct tl__xml_node *stack, struct tl_site *site)
{
	memset(site, 0, sizeof(*site));
	for (const struct tl__xml_node *f = tl__xml_child(stack, "frame"); f; f = tl__xml_next(f, "frame")) {
		const char *file = tl__xml_child_text(f, "file");
		const char *dir = tl__xml_child_text(f, "dir");
		const char *fn = tl__xml_child_text(f, "fn");
		const char *line = tl__xml_child_text(f, "line");
		char path[sizeof(site->file)];

		if (file == NULL || file[0] == '\0' || object_is_runtime(tl__xml_child_text(f, "obj")))
			continue;
		if (dir != NULL && dir[0] != '\0')
			snprintf(path, sizeof(path), "%s/%s", dir, file);
		else
			tl_strlcpy(path, file, sizeof(path));
		if (tl_frame_is_runtime(path, fn))
			continue;
		tl_strlcpy(site->file, path, sizeof(site->file));
		tl_strlcpy(site->function, fn, sizeof(site->function));
		site->line = line ? atoi(line) : 0;
		return;
	}
}

/* Writes "#N" for the <hthreadid> inside LABEL (an <xwhat> or <xauxwhat>), or "" without one. */
static void thread_label(const struct tl__xml_node *label, char *dst, size_t dstlen)
{
	const char *id = tl__xml_child_text(label, "hthreadid");
	char trimmed[32];

	dst[0] = '\0';
	if (id == NULL)
		return;
	copy_line(trimmed, sizeof(trimmed), id);
	if (trimmed[0])
		snprintf(dst, dstlen, "#%s", trimmed);
}

/* The text of a <what>/<auxwhat> (plain) or <xwhat>/<xauxwhat> (its <text> child). */
static const char *label_text(const struct tl__xml_node *label)
{
	if (label == NULL)
		return NULL;
	if (label->name[0] == 'x')
		return tl__xml_child_text(label, "text");
	return label->text;
}

static int has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The <stack> that follows the first child of ERROR named LABEL_NAME whose text starts with
 * PREFIX (any text when PREFIX is NULL), or NULL. */
static const struct tl__xml_node *stack_after(const struct tl__xml_node *error, const char *label_name,
					     const char *prefix, const struct tl__xml_node **label_out)
{
	for (const struct tl__xml_node *c = error->child; c; c = c->next) {
		if (strcmp(c->name, label_name) != 0)
			continue;
		if (prefix != NULL && !has_prefix(label_text(c), prefix))
			continue;
		for (const struct tl__xml_node *s = c->next; s; s = s->next) {
			if (strcmp(s->name, "stack") == 0) {
				if (label_out)
					*label_out = c;
				return s;
			}
			/* Why stop at a label: a stack belongs to the label right before it. */
			if (strstr(s->name, "what") != NULL)
				break;
		}
	}
	return NULL;
}

static char *source_of(const char *xml, const struct tl__xml_node *n)
{
	return xstrndup(xml + n->begin, n->end - n->begin);
}

/* Builds the finding of one complete <error>. Returns 0, or -1 with ERR when it has no <kind>. */
static int error_finding(const char *xml, const struct tl__xml_node *e, struct tl_finding *f,
			 char *err, size_t errlen)
{
	const char *kind = tl__xml_child_text(e, "kind");
	const struct tl__xml_node *what = tl__xml_child(e, "xwhat");
	const struct tl__xml_node *first = tl__xml_child(e, "stack");
	const struct tl__xml_node *other = NULL, *other_label = NULL;
	char msg[sizeof(f->message)];

	memset(f, 0, sizeof(*f));
	if (kind == NULL) {
		tl__errf(err, errlen, "<error> without <kind> at byte %zu", e->begin);
		return -1;
	}
	if (what == NULL)
		what = tl__xml_child(e, "what");
	f->tool = TL_TOOL_HELGRIND;
	copy_line(f->raw, sizeof(f->raw), kind);
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_HELGRIND, f->raw);
	copy_line(msg, sizeof(msg), label_text(what));
	if (first != NULL)
		first_user_frame(first, &f->site);
	if (what != NULL && what->name[0] == 'x')
		thread_label(what, f->thread, sizeof(f->thread));

	if (strcmp(f->raw, "Race") == 0) {
		/* The conflicting access is the stack after <xauxwhat>; the first plain <auxwhat>
		 * says where the memory is, which goes into the message. */
		other = stack_after(e, "xauxwhat", NULL, &other_label);
		const char *where = tl__xml_child_text(e, "auxwhat");
		if (where != NULL) {
			char loc[sizeof(f->message)];
			copy_line(loc, sizeof(loc), where);
			join(f->message, sizeof(f->message), msg, "; ", loc);
		}
	} else if (strcmp(f->raw, "LockOrder") == 0) {
		/* Helgrind shows the violating acquisition first, then the order it saw before:
		 * "Required order was established by acquisition of lock at" (the first lock) and
		 * "followed by a later acquisition of lock at" (the second). The later acquisition is
		 * the other half of the inversion. */
		other = stack_after(e, "auxwhat", "followed by a later acquisition", NULL);
		if (other == NULL)
			other = stack_after(e, "auxwhat", "Required order was established", NULL);
	} else {
		/* Misuse: the second stack, when there is one, says where the lock was first seen. */
		other = first ? tl__xml_next(first, "stack") : NULL;
	}
	if (other != NULL)
		first_user_frame(other, &f->other);
	if (other_label != NULL)
		thread_label(other_label, f->other_thread, sizeof(f->other_thread));
	if (f->message[0] == '\0')
		tl_strlcpy(f->message, msg[0] ? msg : f->raw, sizeof(f->message));
	f->detail = source_of(xml, e);
	return 0;
}

/* Builds a crash finding from a complete <fatal_signal>. */
static void fatal_finding(const char *xml, const struct tl__xml_node *e, struct tl_finding *f)
{
	char name[32], event[160], tid[32];
	const struct tl__xml_node *stack = tl__xml_child(e, "stack");

	memset(f, 0, sizeof(*f));
	f->tool = TL_TOOL_HELGRIND;
	tl_strlcpy(f->raw, "fatal_signal", sizeof(f->raw));
	f->kind = (enum tl_kind)tl_classify(TL_TOOL_HELGRIND, f->raw);
	copy_line(name, sizeof(name), tl__xml_child_text(e, "signame"));
	copy_line(event, sizeof(event), tl__xml_child_text(e, "event"));
	copy_line(tid, sizeof(tid), tl__xml_child_text(e, "tid"));
	snprintf(f->message, sizeof(f->message), "process terminated by %s%s%s",
		 name[0] ? name : "a signal", event[0] ? ": " : "", event);
	/* Why "#<tid>": Valgrind numbers threads from 1 for main, as Helgrind's thread #N do. */
	if (tid[0])
		snprintf(f->thread, sizeof(f->thread), "#%s", tid);
	if (stack != NULL)
		first_user_frame(stack, &f->site);
	f->detail = source_of(xml, e);
}

/* Parses Valgrind's XML output of a Helgrind run. Findings: one per complete <error>
 * (raw = its <kind>) and one crash per complete <fatal_signal>. A file cut short, as when the
 * run was killed, or one without the final <status> FINISHED, as when Valgrind gave up, keeps
 * its complete elements, returns 0, and leaves a note in ERR (ERR is "" otherwise). Returns -1
 * with ERR and OUT unchanged when the text is not XML, not Valgrind output of protocol 4, or
 * from another Valgrind tool. Blank text is a clean run. */
int tl_parse_helgrind(const char *xml, size_t len, struct tl_findings *out, char *err, size_t errlen)
{
	struct tl__xml_node *doc = NULL;
	struct tl_findings local = {0};
	int truncated = 0, rc = -1;
	char buf[64];

	tl__errf(err, errlen, "%s", "");
	TL_ASSERT(out != NULL && (xml != NULL || len == 0));
	size_t k = 0;
	while (k < len && is_space(xml[k]))
		k++;
	if (k == len)
		return 0;
	if (tl__xml_parse(xml, len, &doc, &truncated, err, errlen) < 0)
		return -1;
	const struct tl__xml_node *root = tl__xml_child(doc, "valgrindoutput");
	if (root == NULL) {
		tl__errf(err, errlen, "not Valgrind XML output: no <valgrindoutput> element");
		goto out;
	}
	const char *version = tl__xml_child_text(root, "protocolversion");
	if (version == NULL && root->complete) {
		tl__errf(err, errlen, "Valgrind XML without <protocolversion>");
		goto out;
	}
	copy_line(buf, sizeof(buf), version);
	if (version != NULL && strcmp(buf, "4") != 0) {
		tl__errf(err, errlen, "Valgrind XML protocol version %s, expected 4", buf);
		goto out;
	}
	copy_line(buf, sizeof(buf), tl__xml_child_text(root, "protocoltool"));
	if (buf[0] != '\0' && strcmp(buf, "helgrind") != 0) {
		tl__errf(err, errlen, "Valgrind XML from the %s tool, not helgrind", buf);
		goto out;
	}
	for (const struct tl__xml_node *c = root->child; c; c = c->next) {
		struct tl_finding f;
		/* Why only complete elements: a cut <error> may lack the stack that matters. */
		if (!c->complete)
			continue;
		if (strcmp(c->name, "error") == 0) {
			if (error_finding(xml, c, &f, err, errlen) < 0)
				goto out;
			tl_findings_add(&local, &f);
		} else if (strcmp(c->name, "fatal_signal") == 0) {
			fatal_finding(xml, c, &f);
			tl_findings_add(&local, &f);
		}
	}
	/* Valgrind closes a run it saw to the end with <status><state>FINISHED; when it gives up
	 * (an internal limit, a panic) it may still close the document, without that status. */
	int finished = 0;
	for (const struct tl__xml_node *c = root->child; c; c = c->next)
		if (c->complete && strcmp(c->name, "status") == 0) {
			copy_line(buf, sizeof(buf), tl__xml_child_text(c, "state"));
			finished |= strcmp(buf, "FINISHED") == 0;
		}
	size_t kept = local.n;
	tl__findings_move(out, &local);
	if (truncated)
		tl__errf(err, errlen, "Helgrind XML is cut short (was the run killed?); kept %zu findings "
			 "from its complete elements", kept);
	else if (!finished)
		tl__errf(err, errlen, "Helgrind XML has no FINISHED status (Valgrind stopped before the program "
			 "ended); kept %zu findings from its complete elements", kept);
	rc = 0;
out:
	tl_findings_free(&local);
	tl__xml_free(doc);
	return rc;
}

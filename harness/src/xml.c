/* xml.c: reads the XML of Helgrind and cmocka into a small tree with expat, keeping what a text cut short holds and each element's byte range. */
#include "xml.h"
#include "threadlab.h"

#include <expat.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The reader's state while expat walks one document of the text. */
struct xml_reader {
	XML_Parser p;
	size_t base;                  /* where the current document starts in the text */
	struct tl__xml_node *doc, *cur;
	size_t depth, nodes;
	char refusal[96];             /* why a handler stopped expat, "" while none did */
};

static char no_text[] = "";

static struct tl__xml_node *new_node(const char *name)
{
	size_t n = strlen(name) + 1;
	struct tl__xml_node *node = calloc(1, sizeof(*node) + n);
	TL_ASSERT(node != NULL); /* the parsers abort when memory runs out, like tl_findings_add */
	memcpy(node->name, name, n);
	node->text = no_text;
	return node;
}

/* Copies expat's NULL-terminated name/value list ATTS into one block. */
static char **copy_attrs(const XML_Char **atts)
{
	size_t n = 0, bytes = 0;
	for (; atts[n] != NULL; n++)
		bytes += strlen(atts[n]) + 1;
	char **v = malloc((n + 1) * sizeof(*v) + bytes);
	TL_ASSERT(v != NULL);
	char *s = (char *)(v + n + 1);
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(atts[k]) + 1;
		v[k] = memcpy(s, atts[k], len);
		s += len;
	}
	v[n] = NULL;
	return v;
}

static void refuse(struct xml_reader *r, const char *why)
{
	tl_strlcpy(r->refusal, why, sizeof(r->refusal));
	XML_StopParser(r->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml_reader *r = ud;

	if (r->depth == TL_XML_MAX_DEPTH || r->nodes == TL_XML_MAX_NODES) {
		int deep = r->depth == TL_XML_MAX_DEPTH;
		char why[64];
		snprintf(why, sizeof(why), deep ? "elements nested deeper than %u" : "more than %u elements",
			 deep ? TL_XML_MAX_DEPTH : TL_XML_MAX_NODES);
		refuse(r, why);
		return;
	}
	struct tl__xml_node *node = new_node(name);
	node->attr = copy_attrs(atts);
	node->begin = r->base + (size_t)XML_GetCurrentByteIndex(r->p);
	node->parent = r->cur;
	if (r->cur->last_child)
		r->cur->last_child->next = node;
	else
		r->cur->child = node;
	r->cur->last_child = node;
	r->cur = node;
	r->depth++;
	r->nodes++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_reader *r = ud;

	(void)name; /* expat has checked that it matches */
	/* For <x/>, expat puts the end event past the tag, with no bytes. */
	r->cur->end = r->base + (size_t)(XML_GetCurrentByteIndex(r->p) + XML_GetCurrentByteCount(r->p));
	r->cur->complete = 1;
	r->cur = r->cur->parent;
	r->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_reader *r = ud;
	struct tl__xml_node *n = r->cur;
	size_t add = (size_t)len;

	if (n->text_len + add + 1 > n->text_cap) {
		size_t cap = n->text_cap ? n->text_cap : 32;
		while (cap < n->text_len + add + 1)
			cap *= 2;
		char *t = realloc(n->text_cap ? n->text : NULL, cap);
		TL_ASSERT(t != NULL);
		n->text = t;
		n->text_cap = cap;
	}
	memcpy(n->text + n->text_len, s, add);
	n->text_len += add;
	n->text[n->text_len] = '\0';
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	refuse(ud, "a DOCTYPE (the tools write none)");
}

/* The length of the UTF-8 sequence at S[0..N) when it encodes a character that XML 1.0
 * allows, else 0. */
static size_t xml_char_len(const unsigned char *s, size_t n)
{
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t k = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;

	if (s[0] < 0x80)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
	if (s[0] < 0xC2 || s[0] > 0xF4 || k > n)
		return 0;
	uint32_t cp = s[0] & (0x3Fu >> (k - 1));
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if (cp < least[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
		return 0;
	return k;
}

/* A copy of XML[0..LEN) in which each byte of what is not an XML character in UTF-8 is '?',
 * so offsets in the copy are offsets in XML. */
static char *xml_chars_only(const char *xml, size_t len)
{
	char *copy = malloc(len ? len : 1);
	TL_ASSERT(copy != NULL);
	for (size_t i = 0; i < len;) {
		size_t k = xml_char_len((const unsigned char *)xml + i, len - i);
		if (k == 0)
			copy[i++] = '?';
		for (; k > 0; k--, i++)
			copy[i] = xml[i];
	}
	return copy;
}

/* The 1-based line of offset AT in S, for error messages. */
static unsigned line_of(const char *s, size_t at)
{
	unsigned line = 1;
	for (size_t i = 0; i < at; i++)
		line += s[i] == '\n';
	return line;
}

enum doc_end { DOC_DONE, DOC_CUT, DOC_NEXT, DOC_BAD };

/* Reads the document that starts at offset R->base of S[0..LEN) into R's tree, with a fresh
 * expat parser. Returns DOC_DONE when the text ends after it, DOC_CUT when the text ends inside
 * it, DOC_NEXT with *NEXT at the offset of another document right after it, or DOC_BAD with ERR. */
static enum doc_end read_document(struct xml_reader *r, const char *s, size_t len, size_t *next,
				  char *err, size_t errlen)
{
	r->p = XML_ParserCreate("UTF-8"); /* overrides a declared encoding: the tools write UTF-8 */
	TL_ASSERT(r->p != NULL);
	XML_SetUserData(r->p, r);
	XML_SetElementHandler(r->p, on_start, on_end);
	XML_SetCharacterDataHandler(r->p, on_text);
	XML_SetStartDoctypeDeclHandler(r->p, on_doctype);
	/* Why parse as not final first: expat holds back a token it cannot finish, and the final
	 * call says what the end of the text cut. */
	if (XML_Parse(r->p, s + r->base, (int)(len - r->base), XML_FALSE) == XML_STATUS_OK &&
	    XML_Parse(r->p, NULL, 0, XML_TRUE) == XML_STATUS_OK) {
		XML_ParserFree(r->p);
		return DOC_DONE;
	}
	enum XML_Error e = r->refusal[0] ? XML_ERROR_ABORTED : XML_GetErrorCode(r->p);
	XML_Index i = XML_GetCurrentByteIndex(r->p); /* -1 when expat has no position */
	size_t at = r->base + (i > 0 ? (size_t)i : 0);
	XML_ParserFree(r->p);
	/* Why no XML_ERROR_PARTIAL_CHAR: a character cut by the end is no UTF-8, so it is '?' here. */
	if (e == XML_ERROR_NO_ELEMENTS || e == XML_ERROR_UNCLOSED_TOKEN || e == XML_ERROR_UNCLOSED_CDATA_SECTION)
		return DOC_CUT;
	/* Expat reports a tag or an XML declaration after the root as junk: another document. */
	if (e == XML_ERROR_JUNK_AFTER_DOC_ELEMENT) {
		TL_ASSERT(at > r->base && r->depth == 0);
		*next = at;
		return DOC_NEXT;
	}
	tl__errf(err, errlen, "line %u: %s: not XML", line_of(s, at), r->refusal[0] ? r->refusal : XML_ErrorString(e));
	return DOC_BAD;
}

/* See xml.h. */
int tl__xml_parse(const char *xml, size_t len, struct tl__xml_node **doc, int *truncated,
		  char *err, size_t errlen)
{
	struct xml_reader r = {0};
	enum doc_end end = DOC_NEXT;

	TL_ASSERT(doc != NULL && truncated != NULL && (xml != NULL || len == 0));
	const char *nul = len ? memchr(xml, '\0', len) : NULL;
	*doc = NULL;
	*truncated = 0;
	if (nul != NULL || len > INT_MAX) {
		tl__errf(err, errlen, nul ? "line %u: NUL byte: not XML" : "over %u bytes: not read",
			 nul ? line_of(xml, (size_t)(nul - xml)) : INT_MAX);
		return -1;
	}
	char *s = xml_chars_only(xml, len);
	r.doc = r.cur = new_node("");
	while (end == DOC_NEXT)
		end = read_document(&r, s, len, &r.base, err, errlen);
	free(s);
	if (end == DOC_BAD) {
		tl__xml_free(r.doc);
		return -1;
	}
	*truncated = end == DOC_CUT;
	/* Why close the open elements' extents: a caller may keep the text of a cut element. */
	for (struct tl__xml_node *n = r.cur; n != NULL; n = n->parent)
		n->end = len;
	r.doc->complete = !*truncated;
	*doc = r.doc;
	return 0;
}

int tl__xml_begin(const char *xml, size_t len, struct tl__xml_node **doc, int *truncated, char *err,
		  size_t errlen)
{
	*doc = NULL;
	tl__errf(err, errlen, "%s", "");
	TL_ASSERT(xml != NULL || len == 0);
	if (tl__is_blank(xml, len))
		return 1;
	return tl__xml_parse(xml, len, doc, truncated, err, errlen) < 0 ? -1 : 0;
}

/* See xml.h. The depth bound keeps the recursion short. */
void tl__xml_free(struct tl__xml_node *n)
{
	while (n != NULL) {
		struct tl__xml_node *next = n->next;
		tl__xml_free(n->child);
		if (n->text_cap)
			free(n->text);
		free(n->attr);
		free(n);
		n = next;
	}
}

const struct tl__xml_node *tl__xml_next(const struct tl__xml_node *n, const char *name)
{
	for (n = n ? n->next : NULL; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

const struct tl__xml_node *tl__xml_child(const struct tl__xml_node *n, const char *name)
{
	if (n == NULL || n->child == NULL)
		return NULL;
	if (strcmp(n->child->name, name) == 0)
		return n->child;
	return tl__xml_next(n->child, name);
}

const char *tl__xml_child_text(const struct tl__xml_node *n, const char *name)
{
	const struct tl__xml_node *c = tl__xml_child(n, name);
	return c ? c->text : NULL;
}

const char *tl__xml_attr(const struct tl__xml_node *n, const char *name)
{
	for (char **a = n ? n->attr : NULL; a != NULL && a[0] != NULL; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

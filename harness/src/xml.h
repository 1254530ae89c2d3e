/* xml.h: the small XML reader (over expat) that the Helgrind and cmocka parsers share; the `tl__` prefix marks it internal to them. */
#ifndef TL_XML_H
#define TL_XML_H

#include <stddef.h>

/* Bounds on what one text may make the reader build. The tools' XML is written where the
 * program under test may reach it, so a text can be hostile; the tools' own output nests 5
 * deep and a Helgrind log at Valgrind's error limit holds about 200,000 elements. */
#define TL_XML_MAX_DEPTH 64u
#define TL_XML_MAX_NODES (1u << 19)

struct tl__xml_node {
	char *text;            /* the decoded character data directly inside, "" when none */
	char **attr;           /* name, value, name, value, ..., NULL (values decoded) */
	int complete;          /* 1 once the end tag was read (always 1 for <x/>) */
	size_t begin, end;     /* byte offsets of the element's source text (end: past its end tag,
				* or the end of the input when it is not complete) */
	struct tl__xml_node *parent, *child, *last_child, *next;
	size_t text_len, text_cap; /* the reader's bookkeeping */
	char name[];           /* "" for the document node */
};

/* Parses XML[0..LEN), one or more documents in a row (cmocka appends one per group run, each
 * may open with its own XML declaration), into a document node whose children are their root
 * elements. The text is read as UTF-8; a byte that is not part of a UTF-8 encoded XML character
 * reads as '?' (a test's message lands in cmocka's report verbatim). Returns 0 and *DOC;
 * *TRUNCATED is 1 when the text ends before its first element or inside an element, a tag, a
 * comment, a CDATA section or a reference: what was read is kept and the elements still open
 * have complete == 0. Returns -1 with a message in ERR, and *DOC NULL, when the text is not XML,
 * holds a NUL byte or a DOCTYPE (the tools write none; refusing it leaves no entity to expand),
 * nests more than TL_XML_MAX_DEPTH elements, holds more than TL_XML_MAX_NODES or is over INT_MAX
 * bytes. Aborts when memory runs out. */
int tl__xml_parse(const char *xml, size_t len, struct tl__xml_node **doc, int *truncated,
		  char *err, size_t errlen);
/* The start of a parser of tool XML: clears ERR, and parses XML unless it is blank (a clean
 * run). Returns 1 for blank text (*DOC NULL), 0 with *DOC and *TRUNCATED as tl__xml_parse, or
 * -1 with ERR when the text is not XML. */
int tl__xml_begin(const char *xml, size_t len, struct tl__xml_node **doc, int *truncated, char *err,
		  size_t errlen);
/* Frees a tree from tl__xml_parse (NULL is fine). */
void tl__xml_free(struct tl__xml_node *doc);
/* The first child of N named NAME, or the next sibling of N named NAME; NULL when none (also
 * for a NULL N). */
const struct tl__xml_node *tl__xml_child(const struct tl__xml_node *n, const char *name);
const struct tl__xml_node *tl__xml_next(const struct tl__xml_node *n, const char *name);
/* The text of N's first child named NAME, or NULL when there is none. */
const char *tl__xml_child_text(const struct tl__xml_node *n, const char *name);
/* The value of N's attribute NAME, or NULL when N has none (or N is NULL). */
const char *tl__xml_attr(const struct tl__xml_node *n, const char *name);

#endif

/* escape.c: writes text safely into the reports' formats (JSON strings, XML and HTML text). */
#include "stages.h"

/* Bytes outside printable ASCII become '?', so every report is valid UTF-8 whatever a compiler
 * or a student's source put into a message. */
void tl_put_json(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p >= 0x80 ? '?' : *p, out);
	}
	fputc('"', out);
}

void tl_put_xml(FILE *out, const char *s, int html)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case '\t':
			fputs(html ? "    " : "\t", out);
			break;
		default:
			/* XML 1.0 allows no other control characters. */
			if (*p < 0x20 && *p != '\n' && *p != '\r')
				fputc(' ', out);
			else
				fputc(*p >= 0x80 ? '?' : *p, out);
		}
	}
}

/* parse_helgrind.c: turns Valgrind's --xml=yes output of a Helgrind run (protocol 4) into findings. */
#include "threadlab.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

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
	while (tl__is_space(*s))
		s++;
	for (; *s && o + 1 < dstlen; s++) {
		if (tl__is_space(*s)) {
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

/* The <stack> that follows the first child of ERROR named LABEL_NAME whose text starts with
 * PREFIX (any text when PREFIX is NULL), or NULL. */
static const struct tl__xml_node *stack_after(const struct tl__xml_node *error, const char *label_name,
					     const char *prefix, const struct tl__xml_node **label_out)
{
	for (const struct tl__xml_node *c = error->child; c; c = c->next) {
		if (strcmp(c->name, label_name) != 0)
			continue;
		if (prefix != NULL && !tl__has_prefix(label_text(c), prefix))
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

/* The source text of N, malloc'd; aborts when memory runs out, like tl_findings_add. */
static char *source_of(const char *xml, const struct tl__xml_node *n)
{
	char *p = strndup(xml + n->begin, n->end - n->begin);
	TL_ASSERT(p != NULL);
	return p;
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

/* Whether ROOT, a <valgrindoutput> (or NULL), is Helgrind's output of protocol 4. Returns 0,
 * or -1 with ERR. */
static int check_root(const struct tl__xml_node *root, char *err, size_t errlen)
{
	char buf[64];
	if (root == NULL) {
		tl__errf(err, errlen, "not Valgrind XML output: no <valgrindoutput> element");
		return -1;
	}
	const char *version = tl__xml_child_text(root, "protocolversion");
	if (version == NULL && root->complete) {
		tl__errf(err, errlen, "Valgrind XML without <protocolversion>");
		return -1;
	}
	copy_line(buf, sizeof(buf), version);
	if (version != NULL && strcmp(buf, "4") != 0) {
		tl__errf(err, errlen, "Valgrind XML protocol version %s, expected 4", buf);
		return -1;
	}
	copy_line(buf, sizeof(buf), tl__xml_child_text(root, "protocoltool"));
	if (buf[0] != '\0' && strcmp(buf, "helgrind") != 0) {
		tl__errf(err, errlen, "Valgrind XML from the %s tool, not helgrind", buf);
		return -1;
	}
	return 0;
}

/* Whether Valgrind closed ROOT's run as seen to the end: <status><state>FINISHED. When it gives
 * up (an internal limit, a panic) it may still close the document, without that status. */
static int finished(const struct tl__xml_node *root)
{
	char buf[64];
	int done = 0;
	for (const struct tl__xml_node *c = root->child; c; c = c->next)
		if (c->complete && strcmp(c->name, "status") == 0) {
			copy_line(buf, sizeof(buf), tl__xml_child_text(c, "state"));
			done |= strcmp(buf, "FINISHED") == 0;
		}
	return done;
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

	TL_ASSERT(out != NULL);
	int begun = tl__xml_begin(xml, len, &doc, &truncated, err, errlen);
	if (begun != 0)
		return begun > 0 ? 0 : -1;
	const struct tl__xml_node *root = tl__xml_child(doc, "valgrindoutput");
	if (check_root(root, err, errlen) != 0)
		goto out;
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
	size_t kept = local.n;
	tl__findings_move(out, &local);
	if (truncated)
		tl__errf(err, errlen, "Helgrind XML is cut short (was the run killed?); kept %zu findings "
			 "from its complete elements", kept);
	else if (!finished(root))
		tl__errf(err, errlen, "Helgrind XML has no FINISHED status (Valgrind stopped before the program "
			 "ended); kept %zu findings from its complete elements", kept);
	rc = 0;
out:
	tl_findings_free(&local);
	tl__xml_free(doc);
	return rc;
}

/*
 * tmpl.h - a small mustache subset rendering cJSON data to HTML.
 *
 * Debian 12 ships no C mustache library, so this is ours, kept small:
 *   {{name}} {{a.b}} {{.}}   a value, HTML-escaped (always, no opt-out here)
 *   {{{name}}} {{&name}}     raw: only for HTML the server built itself
 *   {{#name}}…{{/name}}      section: once per array item, once for a true
 *                            value or an object (pushed as context), else skipped
 *   {{^name}}…{{/name}}      inverted: when missing, false, null, "" , 0 or []
 *   {{>name}}                partial: another template by name
 *   {{!…}}                   comment
 *   {{name|ago}}             a time (Unix seconds, or "YYYY-MM-DD HH:MM:SS"
 *                            UTC) as <time datetime=… title=…>3 min ago</time>
 *   {{name|size}}            a byte count as <span title="N bytes">1.5 MiB</span>
 * A filter writes only fixed markup, digits and fixed words, so its output
 * needs no escaping.  "Now" for |ago is the data's top-level number "now"
 * when it has one (tests), else the clock.
 * Names resolve up the context stack, as in mustache.  Errors in a
 * template (unclosed tags or sections, unknown partials, nesting deeper
 * than TMPL_DEPTH) are reported, never half-rendered.
 */
#ifndef NB_TMPL_H
#define NB_TMPL_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "arena.h"
#include "err.h"

#define TMPL_DEPTH 16

struct tmpl_set;

/* Loads every *.html of dir; the name of "x.html" is "x".  0, or -1 with
 * e (NB_INTERNAL: the directory or a file cannot be read; a start-up
 * error that names the path). */
int tmpl_load_dir(struct tmpl_set **out, const char *dir, struct nb_err *e);
/* A set from memory: names[i] -> texts[i] (tests, fuzzing). */
int tmpl_load_mem(struct tmpl_set **out, const char *const *names,
		  const char *const *texts, int n);
void tmpl_free(struct tmpl_set *s);

/* Renders template name with data into b; 0, or -1 with e (NB_INTERNAL:
 * a broken or missing template is the program's bug) and b as it was. */
int tmpl_render(const struct tmpl_set *s, const char *name, const cJSON *data,
		struct buf *b, struct nb_err *e);
/* Renders a template text directly (no partials unless s is given). */
int tmpl_render_text(const struct tmpl_set *s, const char *text, size_t len,
		     const cJSON *data, struct buf *b, struct nb_err *e);

/* "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB" into out; returns out. */
char *tmpl_size(char *out, size_t n, long long bytes);
/* t (Unix seconds) relative to now: "just now" (within a minute), "5 min
 * ago", "2 h ago", "3 days ago", "in 4 min"; into out (32 bytes do);
 * returns out. */
char *tmpl_ago(char *out, size_t n, long long now, long long t);
/* Writes filter name (n bytes) of v into b: 0, or -1 for an unknown filter. */
int tmpl_filter(struct buf *b, const char *name, size_t n, const cJSON *v, long long now);

/* HTML-escapes s into b: & < > " ' become entities. */
void tmpl_escape(struct buf *b, const char *s, size_t n);

/* One tag of a template text, as the renderer reads it. */
struct tmpl_tag {
	size_t at;		/* offset of its "{{" */
	size_t next;		/* offset just past its closing "}}" or "}}}" */
	char kind;		/* ' ' value, '&' raw ({{{ }}} too), '#' '^' '/' '>' '!' */
	const char *name;	/* blanks trimmed, not NUL-terminated; may be empty */
	size_t len;
};

/*
 * Reads the first tag of t (len bytes): 1 with *tag filled, 0 when t
 * holds no "{{" (plain text), -1 when the first "{{" is never closed
 * (tag->at is set).  The renderer's own scanner, exported so the fuzzer
 * bounds its work by the same rule and checks the scanner's output.
 */
int tmpl_next_tag(const char *t, size_t len, struct tmpl_tag *tag);

/*
 * Finds the {{/name}} closing the section opened just before t, skipping
 * nested sections of the same name: its offset, or -1.  The renderer's
 * own rule, exported so the fuzzer bounds its work by the same rule.
 */
long tmpl_section_end(const char *t, size_t len, const char *name, size_t nl);

#endif

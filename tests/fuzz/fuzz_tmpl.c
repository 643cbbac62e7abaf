/*
 * fuzz_tmpl - tmpl_render() of a fuzzed template with fuzzed JSON data.
 *
 * The input is "<template>\0<json>": the template is everything before the
 * first NUL byte (tmpl_load_mem() takes C strings), the data is the JSON
 * after it, or {} when there is no NUL; inputs whose JSON does not parse
 * are skipped.  The set holds two templates: "page" (the fuzzed text) and
 * "p", a fixed partial including "page" again, so {{>p}} in the page runs
 * into the nesting limit unless the data ends the recursion.
 *
 * Invariants (abort() when broken):
 *  - failure: the buf keeps exactly its earlier bytes (never half a page)
 *    and err holds NB_INTERNAL with a non-empty message;
 *  - success: the earlier bytes are kept; rendering the same text again
 *    with tmpl_render_text() gives the same bytes;
 *  - a page without "{{" renders as itself;
 *  - without a raw tag ("{{{" or "{{&") or a filter ('|': its fixed markup)
 *    in the templates, each of < > " '
 *    that the templates do not contain never appears in the output: data
 *    values are always escaped, so e.g. "<script" can only come from the
 *    template text.
 *
 * Mustache output can grow exponentially (sections over arrays nested 16
 * deep, partials repeated at each level), which is fine for trusted
 * templates but would only make the fuzzer report timeouts.  work()
 * reads the tags with the renderer's own scanner (tmpl_next_tag) to bound
 * the work from above, and inputs over a budget are skipped; on the way
 * it checks the scanner's output against what a tag is (check_tag).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/tmpl.h"

#define PARTIAL "[{{>page}}]"
#define BUDGET 4e6	/* bytes scanned or written, an upper bound */

static const char prefix[] = "<!-- before -->";

struct bound {
	const char *page;
	double widest;	/* longest array in the data, at least 1 */
	double longest;	/* longest string in the data */
};

static void measure(const cJSON *v, struct bound *b)
{
	const cJSON *c;
	double n = 0;

	if (cJSON_IsString(v) && v->valuestring) {
		double l = (double)strlen(v->valuestring);
		if (l > b->longest)
			b->longest = l;
	}
	for (c = v ? v->child : NULL; c; c = c->next) {
		n++;
		measure(c, b);
	}
	if (cJSON_IsArray(v) && n > b->widest)
		b->widest = n;
}

/*
 * The scanner's output on t, checked against what a tag is (the renderer
 * reads every tag through it): no "{{" before the tag's own, the tag
 * opens with "{{" and closes with "}}" within t, its name lies inside it
 * without surrounding blanks, and its kind is one the renderer knows.
 */
static void check_tag(const char *t, size_t len, int rc, const struct tmpl_tag *g)
{
	if (rc == 0) {
		if (memmem(t, len, "{{", 2))
			abort();
		return;
	}
	if (rc != 1 && rc != -1)
		abort();
	if (g->at + 2 > len || memcmp(t + g->at, "{{", 2) || memmem(t, g->at + 1, "{{", 2))
		abort();
	if (rc < 0) {
		/* unclosed: no "}}" (after "{{{": no "}}}") after the opening */
		if (g->at + 2 < len && t[g->at + 2] == '{') {
			if (memmem(t + g->at + 3, len - g->at - 3, "}}}", 3))
				abort();
		} else if (memmem(t + g->at + 2, len - g->at - 2, "}}", 2)) {
			abort();
		}
		return;
	}
	if (g->next < g->at + 4 || g->next > len || memcmp(t + g->next - 2, "}}", 2))
		abort();
	if (g->name < t + g->at + 2 || g->name + g->len > t + g->next - 2)
		abort();
	if (g->len && (memchr(" \t", g->name[0], 2) || memchr(" \t", g->name[g->len - 1], 2)))
		abort();
	if (!memchr(" &#^/>!", g->kind, 7))
		abort();
	/* the tag's name ends before its closing braces: none inside a plain tag */
	if (t[g->at + 2] != '{' && memmem(t + g->at + 2, g->next - 2 - g->at - 2, "}}", 2))
		abort();
}

/*
 * An upper bound of the renderer's work on t: every section is taken as
 * iterating over the widest array, errors as if the render went on.  The
 * tags are read by the renderer's own scanner (tmpl_next_tag), its output
 * checked on the way.
 */
static double work(const struct bound *b, const char *t, size_t len, int nesting)
{
	double w = (double)len;
	size_t i = 0;

	if (nesting > TMPL_DEPTH)
		return 1;
	while (i < len && w < BUDGET) {
		struct tmpl_tag g;
		int rc = tmpl_next_tag(t + i, len - i, &g);

		check_tag(t + i, len - i, rc, &g);
		if (rc <= 0)
			break;
		i += g.next;
		if (g.kind == '!')
			continue;
		if (g.len == 0 || g.kind == '/')
			break;
		if (g.kind == '>') {
			if (g.len == 4 && !memcmp(g.name, "page", 4))
				w += work(b, b->page, strlen(b->page), nesting + 1);
			else if (g.len == 1 && g.name[0] == 'p')
				w += work(b, PARTIAL, strlen(PARTIAL), nesting + 1);
			continue;
		}
		if (g.kind == '#' || g.kind == '^') {
			long close = tmpl_section_end(t + i, len - i, g.name, g.len);

			w += (double)(len - i);
			if (close < 0)
				break;
			w += (g.kind == '#' ? b->widest : 1) *
			     work(b, t + i, (size_t)close, nesting + 1);
			i += (size_t)close;
			i = (size_t)((const char *)memmem(t + i, len - i, "}}", 2) + 2 - t);
			continue;
		}
		w += 6 * b->longest + 32;
	}
	return w;
}

static int has_raw(const char *t)
{
	/* a filter ({{t|ago}}) writes its own fixed markup, like a raw tag */
	return strstr(t, "{{{") || strstr(t, "{{&") || (strstr(t, "{{") && strchr(t, '|'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	size_t tlen = nul ? (size_t)(nul - in) : size;
	const char *names[2] = { "page", "p" };
	const char *texts[2];
	struct bound bd = { .widest = 1 };
	struct tmpl_set *set = NULL;
	struct arena a;
	struct buf b, again;
	struct nb_err err;
	char *page;
	cJSON *json;
	const char *s, *c;
	size_t olen;
	int rc;

	json = nul ? cJSON_ParseWithLength(nul + 1, size - tlen - 1)
		   : cJSON_CreateObject();
	if (!json)
		return 0;
	page = malloc(tlen + 1);
	if (!page)
		abort();
	memcpy(page, in, tlen);
	page[tlen] = '\0';
	bd.page = page;
	measure(json, &bd);
	if (work(&bd, page, tlen, 1) >= BUDGET) {
		free(page);
		cJSON_Delete(json);
		return 0;
	}
	texts[0] = page;
	texts[1] = PARTIAL;
	if (tmpl_load_mem(&set, names, texts, 2) < 0)
		abort();

	arena_init(&a);
	buf_init(&b, &a);
	buf_adds(&b, prefix);
	memset(&err, 'x', sizeof(err));
	rc = tmpl_render(set, "page", json, &b, &err);
	if (rc != 0 && rc != -1)
		abort();
	if (b.len < sizeof(prefix) - 1 || memcmp(b.p, prefix, sizeof(prefix) - 1))
		abort();
	if (rc < 0) {
		/* never half a page; a message, NUL-terminated */
		if (b.len != sizeof(prefix) - 1 || !memchr(err.msg, '\0', sizeof(err.msg)) ||
		    !err.msg[0] || err.kind != NB_INTERNAL)
			abort();
		goto out;
	}
	s = b.p + sizeof(prefix) - 1;
	olen = b.len - (sizeof(prefix) - 1);
	/* the same text rendered again gives the same bytes */
	buf_init(&again, &a);
	if (tmpl_render_text(set, page, tlen, json, &again, &err) < 0 ||
	    again.len != olen || (olen && memcmp(again.p, s, olen)))
		abort();
	if (!strstr(page, "{{") && (olen != tlen || memcmp(s, page, tlen)))
		abort();
	if (!has_raw(page) && !has_raw(PARTIAL))
		for (c = "<>\"'"; *c; c++)
			if (!strchr(page, *c) && !strchr(PARTIAL, *c) && memchr(s, *c, olen))
				abort();
out:
	arena_free(&a);
	tmpl_free(set);
	free(page);
	cJSON_Delete(json);
	return 0;
}

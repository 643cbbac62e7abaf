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
 * follows the renderer's own tag parsing to bound the work from above and
 * inputs over a budget are skipped.
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

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * An upper bound of the renderer's work on t: every section is taken as
 * iterating over the widest array, errors as if the render went on.
 */
static double work(const struct bound *b, const char *t, size_t len, int nesting)
{
	double w = (double)len;
	size_t i = 0;

	if (nesting > TMPL_DEPTH)
		return 1;
	while (i < len && w < BUDGET) {
		const char *open = memmem(t + i, len - i, "{{", 2), *tag, *end;
		size_t tl, skip = 2;
		char kind;

		if (!open)
			break;
		tag = open + 2;
		if (tag < t + len && *tag == '{') {
			tag++;
			skip = 3;
		}
		end = memmem(tag, (size_t)(t + len - tag), skip == 3 ? "}}}" : "}}", skip);
		if (!end)
			break;
		tl = (size_t)(end - tag);
		i = (size_t)(end + skip - t);
		kind = skip == 3 ? '&' : tl ? tag[0] : ' ';
		if (skip == 2 && kind && strchr("#^/&>!", kind)) {
			tag++;
			tl--;
		} else if (skip == 2) {
			kind = ' ';
		}
		trim(&tag, &tl);
		if (kind == '!')
			continue;
		if (tl == 0 || kind == '/')
			break;
		if (kind == '>') {
			if (tl == 4 && !memcmp(tag, "page", 4))
				w += work(b, b->page, strlen(b->page), nesting + 1);
			else if (tl == 1 && tag[0] == 'p')
				w += work(b, PARTIAL, strlen(PARTIAL), nesting + 1);
			continue;
		}
		if (kind == '#' || kind == '^') {
			long close = tmpl_section_end(t + i, len - i, tag, tl);

			w += (double)(len - i);
			if (close < 0)
				break;
			w += (kind == '#' ? b->widest : 1) *
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

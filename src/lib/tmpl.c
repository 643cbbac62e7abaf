#include "tmpl.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tmpl {
	char *name, *text;
	size_t len;
};

struct tmpl_set {
	struct tmpl *v;
	int n;
};

struct ctx {
	const struct tmpl_set *set;
	const cJSON *stack[TMPL_DEPTH * 2];
	int depth, nesting;
	struct buf *out;
	long long now;		/* for |ago */
	struct nb_err *e;
};

void tmpl_escape(struct buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		const char *e = NULL;
		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		buf_add(b, s + run, i - run);
		buf_adds(b, e);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

/* Finds a dotted name, innermost context first. */
static const cJSON *lookup(struct ctx *c, const char *name, size_t n)
{
	const char *dot;
	int i;

	if (n == 1 && name[0] == '.')
		return c->depth ? c->stack[c->depth - 1] : NULL;
	dot = memchr(name, '.', n);
	for (i = c->depth - 1; i >= 0; i--) {
		const cJSON *o = c->stack[i], *v;
		char key[128];
		size_t kl = dot ? (size_t)(dot - name) : n;
		if (!cJSON_IsObject(o) || kl >= sizeof(key))
			continue;
		memcpy(key, name, kl);
		key[kl] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(o, key);
		if (!v)
			continue;
		/* the first part found decides; the rest must follow from it */
		while (dot && v) {
			const char *rest = dot + 1, *end = name + n;
			dot = memchr(rest, '.', (size_t)(end - rest));
			kl = dot ? (size_t)(dot - rest) : (size_t)(end - rest);
			if (kl >= sizeof(key) || !cJSON_IsObject(v))
				return NULL;
			memcpy(key, rest, kl);
			key[kl] = '\0';
			v = cJSON_GetObjectItemCaseSensitive(v, key);
		}
		return v;
	}
	return NULL;
}

static int truthy(const cJSON *v)
{
	if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return v->valuestring && v->valuestring[0];
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsArray(v))
		return cJSON_GetArraySize(v) > 0;
	return 1;
}

static void emit_value(struct ctx *c, const cJSON *v, int raw)
{
	char num[64];
	const char *s = NULL;

	if (cJSON_IsString(v)) {
		s = v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* integers print as such; the cast is only defined within range */
		if (fabs(d) < 9007199254740992.0 && d == (double)(long long)d)
			snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			snprintf(num, sizeof(num), "%g", d);
		s = num;
	} else if (cJSON_IsBool(v)) {
		s = cJSON_IsTrue(v) ? "true" : "false";
	}
	if (!s)
		return;
	if (raw)
		buf_adds(c->out, s);
	else
		tmpl_escape(c->out, s, strlen(s));
}

static int fail(struct ctx *c, const char *fmt, const char *a, size_t n)
{
	char msg[NB_ERR_MSG_MAX];

	/* fmt is one of this file's literals, with a "%.*s" for the name */
	snprintf(msg, sizeof(msg), fmt, (int)n, a);
	return nb_fail(c->e, NB_INTERNAL, "%s", msg);
}

static const struct tmpl *find(const struct tmpl_set *s, const char *name, size_t n)
{
	int i;

	for (i = 0; s && i < s->n; i++)
		if (strlen(s->v[i].name) == n && !memcmp(s->v[i].name, name, n))
			return &s->v[i];
	return NULL;
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

long tmpl_section_end(const char *t, size_t len, const char *name, size_t nl)
{
	size_t i = 0;
	int level = 0;

	while (i + 4 <= len) {
		const char *open = memmem(t + i, len - i, "{{", 2), *end, *tag;
		size_t tl;
		if (!open)
			return -1;
		end = memmem(open + 2, len - (size_t)(open + 2 - t), "}}", 2);
		if (!end)
			return -1;
		tag = open + 2;
		tl = (size_t)(end - tag);
		if (tl > 0 && (tag[0] == '#' || tag[0] == '^' || tag[0] == '/')) {
			const char *nm = tag + 1;
			size_t nn = tl - 1;
			trim(&nm, &nn);
			if (nn == nl && !memcmp(nm, name, nl)) {
				if (tag[0] != '/')
					level++;
				else if (level-- == 0)
					return open - t;
			}
		}
		i = (size_t)(end + 2 - t);
	}
	return -1;
}

int tmpl_next_tag(const char *t, size_t len, struct tmpl_tag *g)
{
	const char *open = memmem(t, len, "{{", 2), *tag, *end;
	size_t skip = 2;

	if (!open)
		return 0;
	g->at = (size_t)(open - t);
	tag = open + 2;
	if (tag < t + len && *tag == '{') {
		tag++;
		skip = 3;
	}
	end = memmem(tag, (size_t)(t + len - tag), skip == 3 ? "}}}" : "}}", skip);
	if (!end)
		return -1;
	g->next = (size_t)(end + skip - t);
	g->name = tag;
	g->len = (size_t)(end - tag);
	g->kind = skip == 3 ? '&' : g->len ? tag[0] : ' ';
	if (skip == 2 && g->kind && strchr("#^/&>!", g->kind)) {
		g->name++;
		g->len--;
	} else if (skip == 2) {
		g->kind = ' ';
	}
	trim(&g->name, &g->len);
	return 1;
}

static int render(struct ctx *c, const char *t, size_t len);

/* {{name}}, {{{name}}} or {{name|filter}}. */
static int emit_tag(struct ctx *c, char kind, const char *tag, size_t tl)
{
	const char *bar = kind == ' ' ? memchr(tag, '|', tl) : NULL, *end = tag + tl;
	const char *f;
	size_t nl = bar ? (size_t)(bar - tag) : tl, fl;
	const cJSON *v;

	trim(&tag, &nl);
	v = nl ? lookup(c, tag, nl) : NULL;
	if (!bar) {
		if (v)
			emit_value(c, v, kind == '&');
		return 0;
	}
	f = bar + 1;
	fl = (size_t)(end - f);
	trim(&f, &fl);
	if (!nl)
		return fail(c, "empty tag%.*s", "", 0);
	if (tmpl_filter(c->out, f, fl, v, c->now) < 0)
		return fail(c, "unknown filter '%.*s'", f, fl);
	return 0;
}

static int render_section(struct ctx *c, char kind, const char *name, size_t nl,
			  const char *body, size_t bl)
{
	const cJSON *v = lookup(c, name, nl);
	int rc = 0;

	if (kind == '^')
		return truthy(v) ? 0 : render(c, body, bl);
	if (!truthy(v))
		return 0;
	if (c->depth + 1 >= (int)(sizeof(c->stack) / sizeof(c->stack[0])))
		return fail(c, "template nesting too deep at '%.*s'", name, nl);
	if (cJSON_IsArray(v)) {
		const cJSON *item;
		cJSON_ArrayForEach(item, v) {
			c->stack[c->depth++] = item;
			rc = render(c, body, bl);
			c->depth--;
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	c->stack[c->depth++] = v;
	rc = render(c, body, bl);
	c->depth--;
	return rc;
}

static int render(struct ctx *c, const char *t, size_t len)
{
	size_t i = 0;

	if (++c->nesting > TMPL_DEPTH) {
		c->nesting--;
		return fail(c, "templates nested too deeply%.*s", "", 0);
	}
	while (i < len) {
		struct tmpl_tag g;
		int found = tmpl_next_tag(t + i, len - i, &g);
		const char *tag;
		size_t tl;
		char kind;

		if (found == 0) {
			buf_add(c->out, t + i, len - i);
			break;
		}
		buf_add(c->out, t + i, g.at);
		if (found < 0) {
			const char *open = t + i + g.at;
			size_t rest = len - i - g.at;

			c->nesting--;
			return fail(c, "unclosed tag near '%.*s'", open, rest > 20 ? 20 : rest);
		}
		i += g.next;
		tag = g.name;
		tl = g.len;
		kind = g.kind;
		if (kind == '!')
			continue;
		if (tl == 0) {
			c->nesting--;
			return fail(c, "empty tag%.*s", "", 0);
		}
		if (kind == '/') {
			c->nesting--;
			return fail(c, "unexpected {{/%.*s}}", tag, tl);
		}
		if (kind == '>') {
			const struct tmpl *p = find(c->set, tag, tl);
			if (!p || render(c, p->text, p->len) < 0) {
				c->nesting--;
				return p ? -1 : fail(c, "unknown partial '%.*s'", tag, tl);
			}
			continue;
		}
		if (kind == '#' || kind == '^') {
			long close = tmpl_section_end(t + i, len - i, tag, tl);
			if (close < 0) {
				c->nesting--;
				return fail(c, "unclosed section '%.*s'", tag, tl);
			}
			if (render_section(c, kind, tag, tl, t + i, (size_t)close) < 0) {
				c->nesting--;
				return -1;
			}
			/* skip the body and its closing tag */
			i += (size_t)close;
			i = (size_t)((const char *)memmem(t + i, len - i, "}}", 2) + 2 - t);
			continue;
		}
		if (emit_tag(c, kind, tag, tl) < 0) {
			c->nesting--;
			return -1;
		}
	}
	c->nesting--;
	return 0;
}

int tmpl_render_text(const struct tmpl_set *s, const char *text, size_t len,
		     const cJSON *data, struct buf *b, struct nb_err *e)
{
	struct ctx c = { .set = s, .out = b, .e = e };
	size_t start = b->len;
	const cJSON *now = cJSON_GetObjectItemCaseSensitive(data, "now");

	c.now = cJSON_IsNumber(now) && fabs(now->valuedouble) < 1e15 ?
		(long long)now->valuedouble : (long long)time(NULL);
	c.stack[c.depth++] = data;
	if (render(&c, text, len) < 0) {
		b->len = start;	/* never half a page */
		return -1;
	}
	return 0;
}

int tmpl_render(const struct tmpl_set *s, const char *name, const cJSON *data,
		struct buf *b, struct nb_err *e)
{
	const struct tmpl *t = find(s, name, strlen(name));

	if (!t)
		return nb_fail(e, NB_INTERNAL, "no template '%s'", name);
	return tmpl_render_text(s, t->text, t->len, data, b, e);
}

static int add(struct tmpl_set *s, const char *name, size_t nl, const char *text, size_t len)
{
	struct tmpl *nv = realloc(s->v, sizeof(*nv) * (size_t)(s->n + 1));

	if (!nv)
		return -1;
	s->v = nv;
	nv[s->n].name = strndup(name, nl);
	nv[s->n].text = malloc(len + 1);
	if (!nv[s->n].name || !nv[s->n].text) {
		free(nv[s->n].name);
		free(nv[s->n].text);
		return -1;
	}
	memcpy(nv[s->n].text, text, len);
	nv[s->n].text[len] = '\0';
	nv[s->n].len = len;
	s->n++;
	return 0;
}

int tmpl_load_mem(struct tmpl_set **out, const char *const *names,
		  const char *const *texts, int n)
{
	struct tmpl_set *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++)
		if (add(s, names[i], strlen(names[i]), texts[i], strlen(texts[i])) < 0) {
			tmpl_free(s);
			return -1;
		}
	*out = s;
	return 0;
}

int tmpl_load_dir(struct tmpl_set **out, const char *dir, struct nb_err *err)
{
	struct tmpl_set *s = calloc(1, sizeof(*s));
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = NULL;
	if (!s || !d) {
		nb_fail(err, NB_INTERNAL, "templates %s: cannot open", dir);
		free(s);
		if (d)
			closedir(d);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char path[4096], *text = NULL;
		FILE *f;
		long sz;

		if (l < 6 || strcmp(e->d_name + l - 5, ".html") || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f || fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) < 0 || !(text = malloc((size_t)sz + 1)) ||
		    fread(text, 1, (size_t)sz, f) != (size_t)sz ||
		    add(s, e->d_name, l - 5, text, (size_t)sz) < 0) {
			nb_fail(err, NB_INTERNAL, "template %s: cannot read", path);
			if (f)
				fclose(f);
			free(text);
			closedir(d);
			tmpl_free(s);
			return -1;
		}
		fclose(f);
		free(text);
	}
	closedir(d);
	*out = s;
	return 0;
}

void tmpl_free(struct tmpl_set *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].text);
	}
	free(s->v);
	free(s);
}

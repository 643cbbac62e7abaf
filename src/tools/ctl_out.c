/*
 * nestboxctl's list printer (ctl_out.h): a table for the operator, the
 * old tab-separated lines for existing scripts, JSON for new ones.
 */
#include "ctl_out.h"
#include "../lib/tmpl.h"
#include "../lib/utf8.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum ctl_format ctl_format_pick(int json)
{
	if (json)
		return CTL_JSON;
	return isatty(1) ? CTL_TABLE : CTL_TSV;
}

char *ctl_size(char *out, size_t n, long long v)
{
	return tmpl_size(out, n, v);
}

char *ctl_when(char *out, size_t n, long long now, long long t)
{
	char abs[32] = "?", rel[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(abs, sizeof(abs), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(out, n, "%s (%s)", tmpl_ago(rel, sizeof(rel), now, t), abs);
	return out;
}

char *ctl_time(char *out, size_t n, enum ctl_format fmt, long long now, long long t,
	       const char *none)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		snprintf(out, n, "%s", none);
	else if (fmt == CTL_TABLE)
		ctl_when(out, n, now, t);
	else if (gmtime_r(&tt, &tm))
		strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
	else
		snprintf(out, n, "%lld", t);
	return out;
}

void ctl_list_init(struct ctl_list *l, const struct ctl_col *cols, int ncols,
		   enum ctl_format fmt, long long now, struct arena *a)
{
	memset(l, 0, sizeof(*l));
	l->cols = cols;
	l->ncols = ncols < CTL_COLS_MAX ? ncols : CTL_COLS_MAX;
	l->fmt = fmt;
	l->now = now;
	l->a = a;
	if (fmt == CTL_JSON)
		l->json = cJSON_CreateArray();
}

/* The length of the UTF-8 sequence at p when it is well-formed, else 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 :
		   *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;

	/* utf8_valid stops at the first byte that does not fit: never past a NUL */
	return n && utf8_valid((const char *)p, n) ? n : 0;
}

/* 1 when the sequence p (n bytes) is a character a terminal obeys or
 * lays out instead of showing: the C1 controls (U+0080-U+009F, CSI among
 * them), the line and paragraph separators and the bidirectional
 * overrides and isolates (U+2028-U+202E, U+2066-U+2069), which reorder
 * what follows on the line. */
static int utf8_control(const unsigned char *p, size_t n)
{
	if (n == 2)
		return p[0] == 0xc2 && p[1] <= 0x9f;
	return n == 3 && p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) ||
					  (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));
}

/* A terminal obeys escape sequences: stored text (a name from an uploaded
 * image, a package description, what a device reported) is shown with
 * every control character as '?', and so is every byte that is not UTF-8
 * (0x9b alone is CSI to an 8-bit terminal); other UTF-8 is kept.  A tab
 * or newline would also break the TSV line.  The one place that decides
 * what may reach the terminal. */
char *ctl_sanitize(char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *w = s;

	/* never longer than s: each sequence left out becomes one '?' */
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) || utf8_control(p, n)) {
			*w++ = '?';
			p += n ? n : 1;
			continue;
		}
		memmove(w, p, n);
		w += n;
		p += n;
	}
	*w = '\0';
	return s;
}

char *ctl_printable(struct arena *a, const char *s)
{
	return ctl_sanitize(arena_strdup(a, s));
}

static void push_cell(struct ctl_list *l, char *s)
{
	if (l->ncells == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = arena_alloc(l->a, cap * sizeof(*v));
		if (l->ncells)
			memcpy(v, l->cells, l->ncells * sizeof(*v));
		l->cells = v;
		l->cap = cap;
	}
	l->cells[l->ncells++] = s;
}

/* The column of the next cell, starting a JSON object at a row's start. */
static const struct ctl_col *next_col(struct ctl_list *l)
{
	const struct ctl_col *c = &l->cols[l->col];

	if (l->fmt == CTL_JSON && l->col == 0) {
		l->row = cJSON_CreateObject();
		cJSON_AddItemToArray(l->json, l->row);
	}
	l->col = (l->col + 1) % l->ncols;
	return c;
}

/* Whether column c is printed in this form. */
static int shown(const struct ctl_list *l, const struct ctl_col *c)
{
	if (l->fmt == CTL_JSON)
		return 1;
	if ((c->flags & CTL_JSON_ONLY) == CTL_JSON_ONLY)
		return 0;
	return l->fmt == CTL_TABLE || !(c->flags & CTL_NOT_TSV);
}

void ctl_put_text(struct ctl_list *l, const char *s)
{
	const struct ctl_col *c = next_col(l);

	if (!shown(l, c))
		return;
	if (l->fmt == CTL_JSON) {
		cJSON_AddItemToObject(l->row, c->key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
		return;
	}
	/* TSV keeps an empty text empty, as its lines always had it */
	if (!s || (!*s && l->fmt == CTL_TABLE))
		s = c->none ? c->none : "-";
	if (c->kind == CTL_HASH && strlen(s) > 12 &&
	    (l->fmt == CTL_TABLE || !(c->flags & CTL_TSV_FULL)))
		s = arena_strndup(l->a, s, 12);
	push_cell(l, ctl_printable(l->a, s));
}

/* A number's TABLE/TSV text by its column's kind. */
static char *number_text(struct ctl_list *l, const struct ctl_col *c, long long v)
{
	char b[96];

	if (c->kind == CTL_TIME)
		return arena_strdup(l->a, ctl_time(b, sizeof(b), l->fmt, l->now, v,
						   c->none ? c->none : "-"));
	if (c->kind == CTL_BYTES && l->fmt == CTL_TABLE)
		return arena_strdup(l->a, ctl_size(b, sizeof(b), v));
	if (l->fmt == CTL_TSV && c->unit)
		return arena_printf(l->a, (c->flags & CTL_UNIT_TIGHT) ? "%lld%s" : "%lld %s", v,
				    c->unit);
	return arena_lld(l->a, v);
}

void ctl_put_int(struct ctl_list *l, long long v)
{
	const struct ctl_col *c = next_col(l);

	if (!shown(l, c))
		return;
	if (l->fmt != CTL_JSON)
		push_cell(l, number_text(l, c, v));
	else if (c->kind == CTL_TIME && v <= 0)
		cJSON_AddItemToObject(l->row, c->key, cJSON_CreateNull());
	else
		cJSON_AddItemToObject(l->row, c->key, cJSON_CreateNumber((double)v));
}

/* Display width of UTF-8 text: one column per code point (what a
 * terminal shows for the names nestbox stores). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* The columns the table or TSV shows, in order, into idx; their count. */
static int shown_cols(const struct ctl_list *l, int *idx)
{
	int n = 0;

	for (int i = 0; i < l->ncols; i++)
		if (shown(l, &l->cols[i]))
			idx[n++] = i;
	return n;
}

static void print_row(FILE *f, char *const *cells, int n, const size_t *w, int table)
{
	for (int i = 0; i < n; i++) {
		int last = i == n - 1;
		fputs(cells[i], f);
		if (!last && table)
			fprintf(f, "%*s", (int)(w[i] - width(cells[i]) + 2), "");
		else if (!last)
			fputc('\t', f);
	}
	fputc('\n', f);
}

/* TABLE or TSV: the header (table only), then every row. */
static void print_text(struct ctl_list *l, FILE *f)
{
	int idx[CTL_COLS_MAX], n = shown_cols(l, idx);
	char *titles[CTL_COLS_MAX] = { 0 };
	size_t w[CTL_COLS_MAX] = { 0 }, rows = n ? l->ncells / (size_t)n : 0;

	for (int i = 0; i < n; i++) {
		titles[i] = (char *)l->cols[idx[i]].title;
		w[i] = width(titles[i]);
		for (size_t r = 0; r < rows; r++) {
			size_t cw = width(l->cells[r * (size_t)n + (size_t)i]);
			w[i] = cw > w[i] ? cw : w[i];
		}
	}
	if (l->fmt == CTL_TABLE)
		print_row(f, titles, n, w, 1);
	for (size_t r = 0; r < rows; r++)
		print_row(f, l->cells + r * (size_t)n, n, w, l->fmt == CTL_TABLE);
}

int ctl_list_print(struct ctl_list *l, FILE *f)
{
	if (l->fmt == CTL_JSON) {
		char *s = cJSON_PrintUnformatted(l->json);
		if (s) {
			fprintf(f, "%s\n", s);
			cJSON_free(s);
		}
		cJSON_Delete(l->json);
		l->json = NULL;
	} else {
		print_text(l, f);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int ctl_list_end(struct ctl_list *l, int rc, FILE *f)
{
	if (rc == 0)
		return ctl_list_print(l, f) < 0;
	cJSON_Delete(l->json);	/* NULL for a table or TSV */
	l->json = NULL;
	return rc;
}

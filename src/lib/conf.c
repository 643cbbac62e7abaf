#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

extern char **environ;

struct conf {
	const struct conf_key *keys;
	int n;
	char **val;		/* malloc'd, one per key */
	char *file;		/* "" when none */
	char *base;		/* directory relative file paths resolve against */
	unsigned char *seen;	/* keys given in the file, across repeated sections */
	short *slot;		/* name hash -> key index + 1; see key_index() */
	unsigned nslot;
};

/* A configuration error: NB_INVALID with the file, line and key named. */
static void seterr(struct nb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void seterr(struct nb_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nb_vfail(err, NB_INVALID, fmt, ap);
	va_end(ap);
}

static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Requests read configuration on every call: an open-addressing table
 * (at least four slots per key) makes a lookup one hash and one strcmp,
 * not a walk over every key.
 */
static int key_index(const struct conf *c, const char *name)
{
	unsigned i;

	if (!c->slot) {
		int k;
		for (k = 0; k < c->n; k++)
			if (strcmp(c->keys[k].name, name) == 0)
				return k;
		return -1;
	}
	for (i = name_hash(name) & (c->nslot - 1); c->slot[i]; i = (i + 1) & (c->nslot - 1))
		if (strcmp(c->keys[c->slot[i] - 1].name, name) == 0)
			return c->slot[i] - 1;
	return -1;
}

static void index_keys(struct conf *c)
{
	unsigned n = 16, i;
	int k;

	while (n < 4u * (unsigned)c->n)
		n *= 2;
	c->slot = calloc(n, sizeof(*c->slot));
	if (!c->slot || c->n > 32000) {
		free(c->slot);
		c->slot = NULL;	/* the walk still works */
		return;
	}
	c->nslot = n;
	for (k = 0; k < c->n; k++) {
		for (i = name_hash(c->keys[k].name) & (n - 1); c->slot[i]; i = (i + 1) & (n - 1))
			;
		c->slot[i] = (short)(k + 1);
	}
}

/* Joins a relative path to base; an existing result is canonicalized. */
static char *resolve(const char *base, const char *v)
{
	char *out, canon[PATH_MAX];

	if (v[0] == '\0' || !base || !*base)
		return strdup(v);
	if (v[0] == '/')
		out = strdup(v);
	else if (asprintf(&out, "%s/%s", base, v) < 0)
		return NULL;
	if (out && realpath(out, canon)) {
		free(out);
		out = strdup(canon);
	} else if (out) {
		/* not there yet (var/ before init): canonicalize its parent */
		char *slash = strrchr(out, '/'), *joined;
		if (slash && slash != out) {
			*slash = '\0';
			if (realpath(out, canon) && asprintf(&joined, "%s/%s", canon, slash + 1) >= 0) {
				free(out);
				return joined;
			}
			*slash = '/';
		}
	}
	return out;
}

/* Checks v against the key's type; returns NULL or a reason. */
static const char *check_type(enum conf_type t, const char *v)
{
	char *end;

	switch (t) {
	case CONF_INT:
		errno = 0;
		(void)strtoll(v, &end, 10);
		if (errno || !*v || *end)
			return "expected an integer";
		return NULL;
	case CONF_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "yes") ||
		    !strcmp(v, "no") || !strcmp(v, "on") || !strcmp(v, "off") ||
		    !strcmp(v, "1") || !strcmp(v, "0"))
			return NULL;
		return "expected true or false";
	default:
		return NULL;
	}
}

static int set_value(struct conf *c, int i, const char *v, const char *base,
		     const char *where, struct nb_err *err)
{
	const char *why = check_type(c->keys[i].type, v);
	char *nv;

	if (why) {
		seterr(err, "%s: key '%s': %s, got '%s'", where,
		       c->keys[i].name, why, v);
		return -1;
	}
	nv = c->keys[i].type == CONF_PATH ? resolve(base, v) : strdup(v);
	if (!nv) {
		seterr(err, "%s: out of memory", where);
		return -1;
	}
	free(c->val[i]);
	c->val[i] = nv;
	return 0;
}

void conf_free(struct conf *c);

static struct conf *conf_new(const struct conf_key *keys, const char *fname)
{
	struct conf *c = calloc(1, sizeof(*c));
	int i;
	char cwd[PATH_MAX];

	if (!c)
		return NULL;
	c->keys = keys;
	while (keys[c->n].name)
		c->n++;
	c->val = calloc((size_t)c->n + 1, sizeof(char *));
	c->seen = calloc((size_t)c->n + 1, 1);
	index_keys(c);
	c->file = strdup(fname ? fname : "");
	if (!c->val || !c->seen || !c->file) {
		conf_free(c);
		return NULL;
	}
	if (fname && *fname) {
		const char *slash = strrchr(fname, '/');
		c->base = slash ? strndup(fname, (size_t)(slash - fname)) : strdup(".");
		if (c->base && c->base[0] == '\0') {
			free(c->base);
			c->base = strdup("/");
		}
	} else {
		c->base = strdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	}
	for (i = 0; i < c->n; i++) {
		const char *d = keys[i].def ? keys[i].def : "";
		c->val[i] = keys[i].type == CONF_PATH ? resolve(c->base, d) : strdup(d);
	}
	return c;
}

void conf_free(struct conf *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; c->val && i < c->n; i++)
		free(c->val[i]);
	free(c->val);
	free(c->seen);
	free(c->slot);
	free(c->file);
	free(c->base);
	free(c);
}

struct yp {
	yaml_parser_t p;
	yaml_event_t ev;
	const char *fname;
	struct nb_err *err;
};

static int yp_next(struct yp *y)
{
	yaml_event_delete(&y->ev);
	if (!yaml_parser_parse(&y->p, &y->ev)) {
		seterr(y->err, "%s:%zu: YAML syntax error: %s", y->fname,
		       y->p.problem_mark.line + 1,
		       y->p.problem ? y->p.problem : "unknown");
		y->ev.type = YAML_NO_EVENT;
		return -1;
	}
	return 0;
}

static size_t yp_line(struct yp *y)
{
	return y->ev.start_mark.line + 1;
}

/* After the top-level node: the document must end, and with it the stream. */
static int yp_end(struct yp *y)
{
	if (yp_next(y) < 0 || yp_next(y) < 0)	/* document end, stream end */
		return -1;
	if (y->ev.type != YAML_STREAM_END_EVENT) {
		seterr(y->err, "%s:%zu: only one YAML document is allowed",
		       y->fname, yp_line(y));
		return -1;
	}
	return 0;
}

/* A key or section name with a NUL in it would be read as a shorter one. */
static int yp_name_ok(struct yp *y)
{
	if (memchr(y->ev.data.scalar.value, '\0', y->ev.data.scalar.length)) {
		seterr(y->err, "%s:%zu: a name may not contain a NUL byte",
		       y->fname, yp_line(y));
		return 0;
	}
	return 1;
}

/* Reads a scalar or a flow/block sequence of scalars into one string. */
static int yp_value(struct yp *y, char **out)
{
	size_t cap = 256, len = 0;
	char *s;

	if (y->ev.type == YAML_SCALAR_EVENT) {
		*out = strndup((char *)y->ev.data.scalar.value, y->ev.data.scalar.length);
		return *out ? 0 : -1;
	}
	if (y->ev.type != YAML_SEQUENCE_START_EVENT) {
		seterr(y->err, "%s:%zu: expected a value", y->fname, yp_line(y));
		return -1;
	}
	s = calloc(1, cap);
	for (;;) {
		if (!s || yp_next(y) < 0) {
			free(s);
			return -1;
		}
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			seterr(y->err, "%s:%zu: lists may hold only plain values",
			       y->fname, yp_line(y));
			free(s);
			return -1;
		}
		size_t l = y->ev.data.scalar.length;
		if (memchr(y->ev.data.scalar.value, ',', l)) {
			seterr(y->err, "%s:%zu: list items may not contain ','",
			       y->fname, yp_line(y));
			free(s);
			return -1;
		}
		while (len + l + 2 > cap) {
			char *ns = realloc(s, cap *= 2);
			if (!ns) {
				free(s);
				return -1;
			}
			s = ns;
		}
		if (len)
			s[len++] = ',';
		memcpy(s + len, y->ev.data.scalar.value, l);
		len += l;
		s[len] = '\0';
	}
	*out = s;
	return 0;
}

static int yp_section(struct yp *y, struct conf *c, const char *section)
{
	if (yp_next(y) < 0)
		return -1;
	if (y->ev.type == YAML_SCALAR_EVENT && y->ev.data.scalar.length == 0)
		return 0;	/* "section:" with nothing under it */
	if (y->ev.type != YAML_MAPPING_START_EVENT) {
		seterr(y->err, "%s:%zu: section '%s' must be a mapping of keys",
		       y->fname, yp_line(y), section);
		return -1;
	}
	for (;;) {
		char name[256], where[PATH_MAX + 32], *val = NULL;
		int i;

		if (yp_next(y) < 0)
			return -1;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			seterr(y->err, "%s:%zu: expected a key in section '%s'",
			       y->fname, yp_line(y), section);
			return -1;
		}
		if (!yp_name_ok(y))
			return -1;
		snprintf(name, sizeof(name), "%s.%.*s", section,
			 (int)y->ev.data.scalar.length, (char *)y->ev.data.scalar.value);
		snprintf(where, sizeof(where), "%s:%zu", y->fname, yp_line(y));
		i = key_index(c, name);
		if (i < 0) {
			seterr(y->err, "%s: unknown key '%s'", where, name);
			return -1;
		}
		if (c->seen[i]) {
			seterr(y->err, "%s: key '%s' given twice", where, name);
			return -1;
		}
		c->seen[i] = 1;
		if (yp_next(y) < 0 || yp_value(y, &val) < 0)
			return -1;
		if (c->keys[i].type != CONF_LIST && y->ev.type == YAML_SEQUENCE_END_EVENT) {
			seterr(y->err, "%s: key '%s' takes one value, not a list",
			       where, name);
			free(val);
			return -1;
		}
		int rc = set_value(c, i, val, c->base, where, y->err);
		free(val);
		if (rc < 0)
			return -1;
	}
}

static int yp_document(struct yp *y, struct conf *c)
{
	if (yp_next(y) < 0)
		return -1;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return 0;	/* empty file: all defaults */
	if (y->ev.type != YAML_DOCUMENT_START_EVENT || yp_next(y) < 0)
		return -1;
	if (y->ev.type == YAML_SCALAR_EVENT && y->ev.data.scalar.length == 0)
		return yp_end(y);	/* a document of only comments */
	if (y->ev.type != YAML_MAPPING_START_EVENT) {
		seterr(y->err, "%s:%zu: the top level must be a mapping of sections",
		       y->fname, yp_line(y));
		return -1;
	}
	for (;;) {
		char section[128];

		if (yp_next(y) < 0)
			return -1;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			seterr(y->err, "%s:%zu: expected a section name",
			       y->fname, yp_line(y));
			return -1;
		}
		if (!yp_name_ok(y))
			return -1;
		snprintf(section, sizeof(section), "%.*s",
			 (int)y->ev.data.scalar.length, (char *)y->ev.data.scalar.value);
		if (yp_section(y, c, section) < 0)
			return -1;
	}
	return yp_end(y);
}

int conf_parse(const struct conf_key *keys, const char *text, size_t len,
	       const char *fname, struct conf **out, struct nb_err *err)
{
	struct conf *c = conf_new(keys, fname);
	struct yp y = { .fname = fname, .err = err };
	int rc;

	*out = NULL;
	if (!c) {
		seterr(err, "out of memory");
		return -1;
	}
	if (err)
		nb_err_clear(err);
	yaml_parser_initialize(&y.p);
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	memset(&y.ev, 0, sizeof(y.ev));
	if (yp_next(&y) < 0 || y.ev.type != YAML_STREAM_START_EVENT)
		rc = -1;
	else
		rc = yp_document(&y, c);
	yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.p);
	if (rc < 0) {
		if (err && err->kind == NB_OK)
			seterr(err, "%s: not a valid configuration", fname);
		conf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int conf_apply_env(struct conf *c, char **envp, struct nb_err *err)
{
	char **e, cwd[PATH_MAX];
	const char *base = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	int i;

	/* plain aliases first, so NESTBOX_* wins over them */
	for (i = 0; i < c->n; i++) {
		const char *alias = c->keys[i].env_alias;
		for (e = envp; alias && e && *e; e++) {
			size_t al = strlen(alias);
			if (strncmp(*e, alias, al) == 0 && (*e)[al] == '=' &&
			    set_value(c, i, *e + al + 1, base, alias, err) < 0)
				return -1;
		}
	}
	for (e = envp; e && *e; e++) {
		const char *eq = strchr(*e, '='), *sep;
		char name[256], var[256];
		size_t k, o = 0;

		if (strncmp(*e, "NESTBOX_", 8) != 0 || !eq)
			continue;
		sep = strstr(*e + 8, "__");
		if (!sep || sep > eq)
			continue;	/* NESTBOX_CONFIG and friends are not keys */
		snprintf(var, sizeof(var), "%.*s", (int)(eq - *e), *e);
		for (k = 8; *e + k < eq && o < sizeof(name) - 1; k++) {
			if (*e + k == sep) {
				name[o++] = '.';
				k++;
			} else {
				name[o++] = (char)tolower((unsigned char)(*e)[k]);
			}
		}
		name[o] = '\0';
		i = key_index(c, name);
		if (i < 0) {
			seterr(err, "environment %s: unknown key '%s'", var, name);
			return -1;
		}
		if (set_value(c, i, eq + 1, base, var, err) < 0)
			return -1;
	}
	return 0;
}

static char *read_file(const char *path, size_t *len, struct nb_err *err)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		seterr(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 > cap) {
			char *ns = realloc(s, cap = cap ? cap * 2 : 8192);
			if (!ns || cap > (1 << 20)) {
				free(ns ? ns : s);
				fclose(f);
				seterr(err, "%s: file too large", path);
				return NULL;
			}
			s = ns;
		}
		size_t r = fread(s + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*len = n;
	return s;
}

int conf_load(const struct conf_key *keys, struct conf **out,
	      struct nb_err *err)
{
	const char *env = getenv("NESTBOX_CONFIG");
	const char *cands[] = { "/etc/nestbox/nestbox.yaml", "./etc/nestbox.yaml" };
	const char *path = NULL;
	char abs[PATH_MAX];
	size_t i, len = 0;
	char *text;
	int rc;

	if (env && *env) {
		path = env;
	} else {
		for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
			if (access(cands[i], F_OK) == 0) {
				path = cands[i];
				break;
			}
	}
	if (!path) {
		*out = conf_new(keys, NULL);
		if (!*out) {
			seterr(err, "out of memory");
			return -1;
		}
	} else {
		if (realpath(path, abs))
			path = abs;
		text = read_file(path, &len, err);
		if (!text)
			return -1;
		rc = conf_parse(keys, text, len, path, out, err);
		free(text);
		if (rc < 0)
			return -1;
	}
	if (conf_apply_env(*out, environ, err) < 0) {
		conf_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int must_index(const struct conf *c, const char *name)
{
	int i = key_index(c, name);

	if (i < 0) {
		fprintf(stderr, "nestbox: undeclared configuration key '%s'\n", name);
		abort();
	}
	return i;
}

const char *conf_str(const struct conf *c, const char *name)
{
	return c->val[must_index(c, name)];
}

long long conf_int(const struct conf *c, const char *name)
{
	return strtoll(conf_str(c, name), NULL, 10);
}

int conf_bool(const struct conf *c, const char *name)
{
	const char *v = conf_str(c, name);

	return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") ||
	       !strcmp(v, "1");
}

const char *conf_file(const struct conf *c)
{
	return c->file;
}

int conf_entry(const struct conf *c, int i, const char **name,
	       const char **value, int *secret)
{
	if (i < 0 || i >= c->n)
		return 0;
	*name = c->keys[i].name;
	*value = c->val[i];
	*secret = c->keys[i].secret;
	return 1;
}

/* GET|POST|… /log/echo[/…]: the request as the server saw it, as JSON. */
#include "log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "../lib/utf8.h"

/* HTTP_USER_AGENT -> User-Agent */
static char *header_name(struct arena *a, const char *var, size_t n)
{
	char *s = arena_strndup(a, var, n);
	size_t i;
	int up = 1;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			s[i] = '-';
			up = 1;
		} else {
			s[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
			up = 0;
		}
	}
	return s;
}

static void add_headers(struct http_req *r, cJSON *h)
{
	char **e;
	const char *ct = http_env(r, "CONTENT_TYPE"), *cl = http_env(r, "CONTENT_LENGTH");

	for (e = http_envp(r); e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (strncmp(*e, "HTTP_", 5) != 0 || !eq)
			continue;
		cJSON_AddStringToObject(h, header_name(r->a, *e + 5, (size_t)(eq - *e - 5)), eq + 1);
	}
	if (ct && *ct)
		cJSON_AddStringToObject(h, "Content-Type", ct);
	if (cl && *cl)
		cJSON_AddStringToObject(h, "Content-Length", cl);
}

static void add_query(struct http_req *r, cJSON *o)
{
	int i;

	for (i = 0; i < r->query.n; i++) {
		const char *k = r->query.v[i].key, *v = r->query.v[i].val;
		cJSON *old = cJSON_GetObjectItemCaseSensitive(o, k);
		if (!old) {
			cJSON_AddStringToObject(o, k, v);
		} else if (cJSON_IsArray(old)) {
			cJSON_AddItemToArray(old, cJSON_CreateString(v));
		} else {
			cJSON *arr = cJSON_CreateArray();
			cJSON_AddItemToArray(arr, cJSON_CreateString(old->valuestring));
			cJSON_AddItemToArray(arr, cJSON_CreateString(v));
			cJSON_ReplaceItemInObjectCaseSensitive(o, k, arr);
		}
	}
}

static int add_body(struct app *app, struct http_req *r, cJSON *o, struct nb_err *e)
{
	char *body;
	size_t len;

	if (r->content_length <= 0)
		return 0;
	if (http_read_body(r, app->set.max_body, &body, &len, e) < 0)
		return -1;
	cJSON_AddNumberToObject(o, "body_length", (double)len);
	if (utf8_valid(body, len)) {
		cJSON_AddStringToObject(o, "body", body);
	} else {
		char *b64 = arena_alloc(r->a, 4 * ((len + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)body, (int)len);
		cJSON_AddStringToObject(o, "body_base64", b64);
	}
	return 0;
}

int log_echo(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	cJSON *o = cJSON_CreateObject(), *seg = cJSON_CreateArray();
	const char *port = http_env(r, "REMOTE_PORT"), *https = http_env(r, "HTTPS");
	const char *scheme = http_env(r, "REQUEST_SCHEME");
	char *s;
	int i;

	cJSON_AddStringToObject(o, "remote_addr", r->remote_addr);
	cJSON_AddNumberToObject(o, "remote_port", port ? atoi(port) : 0);
	cJSON_AddStringToObject(o, "method", r->method);
	cJSON_AddStringToObject(o, "scheme", scheme ? scheme : https && !strcmp(https, "on") ? "https" : "http");
	cJSON_AddStringToObject(o, "protocol", http_env(r, "SERVER_PROTOCOL") ? http_env(r, "SERVER_PROTOCOL") : "");
	cJSON_AddStringToObject(o, "uri", r->uri);
	cJSON_AddStringToObject(o, "path", r->raw_path);
	for (i = 0; i < r->path.n; i++)
		cJSON_AddItemToArray(seg, cJSON_CreateString(r->path.seg[i]));
	cJSON_AddItemToObject(o, "segments", seg);
	cJSON_AddStringToObject(o, "query_string", r->raw_query);
	add_query(r, cJSON_AddObjectToObject(o, "query"));
	add_headers(r, cJSON_AddObjectToObject(o, "headers"));
	if (add_body(app, r, o, e) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	s = cJSON_Print(o);
	http_bytes(w, 200, "application/json", s, strlen(s));
	buf_addc(&w->body, '\n');
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}

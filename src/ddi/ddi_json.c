/*
 * Parsing what devices send (fuzzed: tests/fuzz/fuzz_ddi_feedback.c and
 * fuzz_ddi_config.c): action feedback and configData.
 */
#include "ddi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "Downloaded 40%" in the details is SWUpdate's progress report. */
static int progress_of(const cJSON *details, const cJSON *result)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(result, "progress"), *e;
	int pct = -1;

	if (p) {
		const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(p, "cnt");
		const cJSON *of = cJSON_GetObjectItemCaseSensitive(p, "of");
		if (cJSON_IsNumber(cnt) && cJSON_IsNumber(of) && of->valuedouble > 0) {
			/* clamped as a double: a huge count must not overflow the int */
			double v = cnt->valuedouble * 100 / of->valuedouble;
			pct = v >= 100 ? 100 : v > 0 ? (int)v : 0;
		}
	}
	cJSON_ArrayForEach(e, details) {
		const char *s = cJSON_IsString(e) ? strstr(e->valuestring, "Downloaded ") : NULL;
		if (s && s[11] >= '0' && s[11] <= '9') {
			long v = strtol(s + 11, NULL, 10);	/* saturates, unlike atoi */
			pct = v > 100 ? 100 : (int)v;
		}
	}
	return pct < 0 ? -1 : pct > 100 ? 100 : pct;
}

static const char *const executions[] = { "closed", "proceeding", "canceled", "scheduled",
	"rejected", "resumed", "downloaded", "download", NULL };

/* Validates a feedback body; fills execution, finished and the details text. */
static int parse_feedback(struct arena *a, cJSON *j, const char **exe, const char **fin,
			  char **details, int *progress)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status"), *result, *det, *e;
	struct buf b;
	int i;

	result = cJSON_GetObjectItemCaseSensitive(status, "result");
	*exe = jstr(status, "execution");
	*fin = jstr(result, "finished");
	if (!*fin)
		*fin = "none";
	for (i = 0; *exe && executions[i]; i++)
		if (!strcmp(*exe, executions[i]))
			break;
	if (!*exe || !executions[i] ||
	    (strcmp(*fin, "success") && strcmp(*fin, "failure") && strcmp(*fin, "none")))
		return -1;
	det = cJSON_GetObjectItemCaseSensitive(status, "details");
	buf_init(&b, a);
	cJSON_ArrayForEach(e, det)
		if (cJSON_IsString(e) && b.len < 65536) {
			buf_adds(&b, e->valuestring);
			buf_addc(&b, '\n');
		}
	*details = (char *)buf_cstr(&b);
	*progress = progress_of(det, result);
	return 0;
}


int ddi_feedback_parse(struct arena *a, const char *body, size_t len, struct ddi_fb *out,
		       const char **err)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const char *exe, *fin;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j)) {
		*err = "the body is not a JSON object";
	} else if (parse_feedback(a, j, &exe, &fin, &out->details, &out->progress) < 0) {
		*err = "feedback needs status.execution (closed, proceeding, ...) and "
		       "result.finished (success, failure, none)";
	} else {
		out->execution = arena_strdup(a, exe);
		out->finished = arena_strdup(a, fin);
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

int ddi_config_merge(const char *body, size_t len, const char *current, char **merged,
		     const char **err)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *data, *cur = NULL, *e;
	const char *mode = NULL;
	int n = 0;

	*merged = NULL;
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (cJSON_IsObject(j))
		mode = jstr(j, "mode");
	if (!mode)
		mode = "merge";
	if (!cJSON_IsObject(j) || !cJSON_IsObject(data) || !data->child ||
	    (strcmp(mode, "merge") && strcmp(mode, "replace") && strcmp(mode, "remove"))) {
		*err = "configData needs a non-empty data object and mode merge, replace or remove";
		cJSON_Delete(j);
		return -1;
	}
	cJSON_ArrayForEach(e, data)
		if (!cJSON_IsString(e) || !e->string || strlen(e->string) > 128 ||
		    strlen(e->valuestring) > 512 || ++n > 100) {
			*err = "attributes are at most 100 short strings";
			cJSON_Delete(j);
			return -1;
		}
	if (strcmp(mode, "replace") && current && *current)
		cur = cJSON_Parse(current);
	if (!cJSON_IsObject(cur)) {
		cJSON_Delete(cur);
		cur = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(e, data) {
		cJSON_DeleteItemFromObjectCaseSensitive(cur, e->string);
		if (strcmp(mode, "remove"))
			cJSON_AddStringToObject(cur, e->string, e->valuestring);
	}
	/* merges add up: the stored set has the same bound as one body */
	if (cJSON_GetArraySize(cur) > 100) {
		*err = "a device keeps at most 100 attributes (send mode replace)";
		cJSON_Delete(cur);
		cJSON_Delete(j);
		return -1;
	}
	*merged = cJSON_PrintUnformatted(cur);
	cJSON_Delete(cur);
	cJSON_Delete(j);
	return *merged ? 0 : -1;
}

/*
 * confirmationBase feedback: {"confirmation": "confirmed"|"denied",
 * "code": n, "details": [...]}.  hawkBit spells the values in lower case;
 * any case is taken.  *confirmed is 1 or 0.
 */
int ddi_confirm_parse(struct arena *a, const char *body, size_t len, int *confirmed,
		      char **details, const char **err)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *e;
	const char *c = jstr(j, "confirmation");
	struct buf b;

	if (!cJSON_IsObject(j) || !c || (strcasecmp(c, "confirmed") && strcasecmp(c, "denied"))) {
		cJSON_Delete(j);
		*err = "confirmation must be \"confirmed\" or \"denied\"";
		return -1;
	}
	*confirmed = !strcasecmp(c, "confirmed");
	buf_init(&b, a);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "details"))
		if (cJSON_IsString(e) && b.len < 65536) {
			buf_adds(&b, e->valuestring);
			buf_addc(&b, '\n');
		}
	*details = (char *)buf_cstr(&b);
	cJSON_Delete(j);
	return 0;
}

/* activateAutoConfirm: {"initiator": "...", "remark": "..."}, both optional. */
int ddi_autoconfirm_parse(struct arena *a, const char *body, size_t len, const char **initiator,
			  const char **remark, const char **err)
{
	cJSON *j;
	const char *i, *r;

	*initiator = *remark = "";
	if (len == 0)
		return 0;
	j = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*err = "the body is not a JSON object";
		return -1;
	}
	i = jstr(j, "initiator");
	r = jstr(j, "remark");
	if ((i && strlen(i) > 255) || (r && strlen(r) > 1024)) {
		cJSON_Delete(j);
		*err = "initiator or remark too long";
		return -1;
	}
	*initiator = arena_strdup(a, i ? i : "");
	*remark = arena_strdup(a, r ? r : "");
	cJSON_Delete(j);
	return 0;
}

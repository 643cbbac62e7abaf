/*
 * Parsing what devices send (fuzzed: tests/fuzz/fuzz_ddi_feedback.c,
 * fuzz_ddi_config.c and fuzz_ddi_confirm.c): action feedback, configData,
 * the consent-flow bodies and installedBase.  Each body is checked against
 * the required fields of hawkBit's DDI JSON model (ddi-api's
 * org.eclipse.hawkbit.ddi.json.model: @NotNull members), and must be
 * UTF-8 text (what is stored is shown as text on the admin pages) with
 * no key twice in one object (json_in.h: which one would count?).
 */
#include "ddi.h"
#include "../lib/json_in.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* details, when present, is a list of strings (hawkBit: List<String>), as lines */
static int lines_of(struct arena *a, const cJSON *det, char **out)
{
	const cJSON *e;
	struct buf b;

	if (det && !cJSON_IsArray(det))
		return -1;
	buf_init(&b, a);
	cJSON_ArrayForEach(e, det) {
		if (!cJSON_IsString(e))
			return -1;
		buf_adds(&b, e->valuestring);
		buf_addc(&b, '\n');
	}
	*out = (char *)buf_cstr(&b);
	return 0;
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

/* hawkBit's DdiStatus.ExecutionStatus and DdiResult.FinalResult, lowercase
 * as the DDI JSON spells them. */
static const char *const executions[] = { "closed", "proceeding", "canceled", "scheduled",
	"rejected", "resumed", "downloaded", "download", NULL };
static const char *const finishes[] = { "success", "failure", "none", NULL };

static int one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int ddi_execution_ok(const char *s)
{
	return one_of(s, executions);
}

int ddi_finished_ok(const char *s)
{
	return one_of(s, finishes);
}

/*
 * hawkBit's DdiActionFeedback: status (DdiStatus) with execution and
 * result (DdiResult) with finished are required; result.progress, when
 * sent, needs cnt.  0 when it follows, else -1 with e (NB_INVALID) saying
 * what is missing.
 */
static int feedback_rule(const cJSON *j, struct nb_err *e)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status"), *result, *p;

	if (!cJSON_IsObject(status))
		return nb_fail(e, NB_INVALID, "feedback needs a status object");
	if (!ddi_execution_ok(jstr(status, "execution")))
		return nb_fail(e, NB_INVALID, "status.execution must be closed, proceeding, canceled,"
			       " scheduled, rejected, resumed, downloaded or download");
	result = cJSON_GetObjectItemCaseSensitive(status, "result");
	if (!cJSON_IsObject(result))
		return nb_fail(e, NB_INVALID, "feedback needs status.result with finished"
			       " (success, failure, none)");
	if (!ddi_finished_ok(jstr(result, "finished")))
		return nb_fail(e, NB_INVALID, "status.result.finished must be success, failure or none");
	p = cJSON_GetObjectItemCaseSensitive(result, "progress");
	if (p && !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "cnt")))
		return nb_fail(e, NB_INVALID, "status.result.progress needs a number cnt");
	return 0;
}

int ddi_feedback_parse(struct arena *a, const char *body, size_t len, struct ddi_fb *out,
		       struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e), *status, *result, *det;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!j)
		return -1;
	status = cJSON_GetObjectItemCaseSensitive(j, "status");
	result = cJSON_GetObjectItemCaseSensitive(status, "result");
	det = cJSON_GetObjectItemCaseSensitive(status, "details");
	if (feedback_rule(j, e) == 0) {
		if (lines_of(a, det, &out->details) < 0) {
			nb_fail(e, NB_INVALID, "status.details must be a list of strings");
		} else {
			out->execution = arena_strdup(a, jstr(status, "execution"));
			out->finished = arena_strdup(a, jstr(result, "finished"));
			out->progress = progress_of(det, result);
			rc = 0;
		}
	}
	cJSON_Delete(j);
	return rc;
}

/*
 * hawkBit's DdiConfigData: data is required (a map of strings); mode is
 * merge (default), replace or remove.  nestbox bounds what it keeps: at
 * most DDI_ATTR_MAX attributes, keys of DDI_ATTR_KEY_MAX bytes, values of
 * DDI_ATTR_VALUE_MAX.  0 when data follows the rule, else -1 with e
 * (NB_INVALID) saying why not.  *mode is the mode asked for.
 */
static int config_rule(const cJSON *j, const char **mode, struct nb_err *e)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data"), *m, *it;
	int n = 0;

	m = cJSON_GetObjectItemCaseSensitive(j, "mode");
	*mode = cJSON_IsString(m) ? m->valuestring : m && !cJSON_IsNull(m) ? "" : "merge";
	if (strcmp(*mode, "merge") && strcmp(*mode, "replace") && strcmp(*mode, "remove"))
		return nb_fail(e, NB_INVALID, "configData mode must be merge, replace or remove");
	if (!cJSON_IsObject(data) || !data->child)
		return nb_fail(e, NB_INVALID, "configData needs a non-empty data object");
	cJSON_ArrayForEach(it, data) {
		if (!cJSON_IsString(it) || !it->string)
			return nb_fail(e, NB_INVALID, "configData values must be strings");
		if (strlen(it->string) > DDI_ATTR_KEY_MAX)
			return nb_fail(e, NB_INVALID, "configData keys are at most 128 bytes");
		if (strlen(it->valuestring) > DDI_ATTR_VALUE_MAX)
			return nb_fail(e, NB_INVALID, "configData values are at most 512 bytes");
		if (++n > DDI_ATTR_MAX)
			return nb_fail(e, NB_INVALID, "configData holds at most 100 attributes");
	}
	return 0;
}

int ddi_config_merge(const char *body, size_t len, const char *current, char **merged,
		     struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e), *cur = NULL, *it;
	const char *mode;

	*merged = NULL;
	if (!j)
		return -1;
	if (config_rule(j, &mode, e) < 0) {
		cJSON_Delete(j);
		return -1;
	}
	if (strcmp(mode, "replace") && current && *current)
		cur = cJSON_Parse(current);
	if (!cJSON_IsObject(cur)) {
		cJSON_Delete(cur);
		cur = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "data")) {
		cJSON_DeleteItemFromObjectCaseSensitive(cur, it->string);
		if (strcmp(mode, "remove"))
			cJSON_AddStringToObject(cur, it->string, it->valuestring);
	}
	/* merges add up: the stored set has the same bound as one body */
	if (cJSON_GetArraySize(cur) > DDI_ATTR_MAX) {
		nb_fail(e, NB_INVALID, "a device keeps at most 100 attributes (send mode replace)");
		cJSON_Delete(cur);
		cJSON_Delete(j);
		return -1;
	}
	*merged = cJSON_PrintUnformatted(cur);
	cJSON_Delete(cur);
	cJSON_Delete(j);
	return *merged ? 0 : nb_fail(e, NB_INTERNAL, "out of memory");
}

/*
 * confirmationBase feedback (hawkBit's DdiConfirmationFeedback):
 * {"confirmation": "confirmed"|"denied", "code": n, "details": [...]};
 * confirmation is required.  hawkBit spells the values in lower case;
 * any case is taken.  *confirmed is 1 or 0.
 */
int ddi_confirm_parse(struct arena *a, const char *body, size_t len, int *confirmed,
		      char **details, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e);
	const char *c = jstr(j, "confirmation");
	int rc = -1;

	if (!j)
		return -1;
	if (!c || (strcasecmp(c, "confirmed") && strcasecmp(c, "denied")))
		nb_fail(e, NB_INVALID, "confirmation must be \"confirmed\" or \"denied\"");
	else if (lines_of(a, cJSON_GetObjectItemCaseSensitive(j, "details"), details) < 0)
		nb_fail(e, NB_INVALID, "details must be a list of strings");
	else
		rc = 0;
	*confirmed = c && !strcasecmp(c, "confirmed");
	cJSON_Delete(j);
	return rc;
}

/* An optional string member: absent or null is "", another type is refused. */
static int opt_str(struct arena *a, const cJSON *j, const char *k, size_t max, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	*out = "";
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > max)
		return -1;
	*out = arena_strdup(a, v->valuestring);
	return 0;
}

/* activateAutoConfirm: {"initiator": "...", "remark": "..."}, both optional. */
int ddi_autoconfirm_parse(struct arena *a, const char *body, size_t len, const char **initiator,
			  const char **remark, struct nb_err *e)
{
	cJSON *j;
	int rc = 0;

	*initiator = *remark = "";
	if (len == 0)
		return 0;
	if (!(j = json_in_object(body, len, e)))
		return -1;
	if (opt_str(a, j, "initiator", 255, initiator) < 0 ||
	    opt_str(a, j, "remark", 1024, remark) < 0) {
		rc = nb_fail(e, NB_INVALID,
			     "initiator (at most 255 bytes) and remark (at most 1024) must be strings");
	}
	cJSON_Delete(j);
	return rc;
}

/*
 * PUT installedBase (hawkBit's DdiAssignedVersion): name and version are
 * both required and not empty; version is what the device runs now, kept
 * in a column of DDI_VERSION_MAX bytes.
 */
int ddi_installed_parse(struct arena *a, const char *body, size_t len, const char **name,
			const char **version, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e);
	const char *n = jstr(j, "name"), *v = jstr(j, "version");
	int rc = -1;

	if (!j)
		return -1;
	if (!n || !*n || strlen(n) > 255)
		nb_fail(e, NB_INVALID, "installedBase needs a name (1 to 255 bytes)");
	else if (!v || !*v || strlen(v) > DDI_VERSION_MAX)
		nb_fail(e, NB_INVALID, "installedBase needs a version (1 to 63 bytes)");
	else {
		*name = arena_strdup(a, n);
		*version = arena_strdup(a, v);
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/*
 * The renderer's filters ({{name|ago}}, {{name|size}}) and the two
 * formats behind them, shared with nestboxctl's lists (ctl_out.c): a time
 * said relative to now, a byte count in binary units.
 */
#include "tmpl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

char *tmpl_size(char *out, size_t n, long long v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(out, n, "%lld B", v);
		return out;
	}
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	snprintf(out, n, "%.1f %s", d, units[u]);
	return out;
}

/* "5 min", "2 h", "3 days", "4 months", "2 years": the largest unit that
 * fits s seconds, rounded down (what "ago" usually means). */
static void span(char *out, size_t n, long long s)
{
	if (s < 3600)
		snprintf(out, n, "%lld min", s / 60);
	else if (s < 86400)
		snprintf(out, n, "%lld h", s / 3600);
	else if (s < 60 * 86400)
		snprintf(out, n, "%lld day%s", s / 86400, s / 86400 == 1 ? "" : "s");
	else if (s < 730 * 86400)
		snprintf(out, n, "%lld months", s / (30 * 86400));
	else
		snprintf(out, n, "%lld years", s / (365 * 86400));
}

char *tmpl_ago(char *out, size_t n, long long now, long long t)
{
	char rel[32];
	long long d = now - t;

	if (d > -60 && d < 60) {
		snprintf(out, n, "just now");
		return out;
	}
	span(rel, sizeof(rel), d < 0 ? -d : d);
	snprintf(out, n, d < 0 ? "in %s" : "%s ago", rel);
	return out;
}

/* A time value of the data: a number (Unix seconds) or the pages' UTC
 * text "YYYY-MM-DD HH:MM:SS" (admin_when); 0 when it is neither or unset. */
static long long time_of(const cJSON *v)
{
	struct tm tm;
	const char *end;

	if (cJSON_IsNumber(v))
		return v->valuedouble >= 1 && v->valuedouble < 1e12 ? (long long)v->valuedouble : 0;
	if (!cJSON_IsString(v) || !v->valuestring)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(v->valuestring, "%Y-%m-%d %H:%M:%S", &tm);
	return end && !*end ? (long long)timegm(&tm) : 0;
}

/* <time datetime="ISO" title="UTC text">3 min ago</time>: every byte
 * written is a digit, a fixed word or fixed markup (nothing to escape). */
static void put_ago(struct buf *b, const cJSON *v, long long now)
{
	long long t = time_of(v);
	time_t tt = (time_t)t;
	struct tm tm;
	char iso[32], abs[32], rel[48];

	if (!t || !gmtime_r(&tt, &tm))
		return;
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(abs, sizeof(abs), "%Y-%m-%d %H:%M:%S UTC", &tm);
	tmpl_ago(rel, sizeof(rel), now, t);
	buf_printf(b, "<time datetime=\"%s\" title=\"%s\">%s</time>", iso, abs, rel);
}

/* <span title="N bytes">1.5 MiB</span> for a number of bytes. */
static void put_size(struct buf *b, const cJSON *v)
{
	char h[32];
	long long n;

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= 9e18)
		return;
	n = (long long)v->valuedouble;
	buf_printf(b, "<span title=\"%lld bytes\">%s</span>", n, tmpl_size(h, sizeof(h), n));
}

int tmpl_filter(struct buf *b, const char *name, size_t n, const cJSON *v, long long now)
{
	if (n == 3 && !memcmp(name, "ago", 3))
		put_ago(b, v, now);
	else if (n == 4 && !memcmp(name, "size", 4))
		put_size(b, v);
	else
		return -1;
	return 0;
}

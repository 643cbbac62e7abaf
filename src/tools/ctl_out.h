/*
 * ctl_out.h - how nestboxctl's lists are printed: one description of the
 * columns, three forms.
 *
 *   CTL_TABLE  (standard output is a terminal): a header row, aligned
 *              columns, times relative with the absolute UTC time, sizes in
 *              KiB/MiB/GiB, control characters (C0, C1, bidirectional
 *              overrides) and bytes that are not UTF-8 shown as '?'.
 *   CTL_TSV    (piped): one tab-separated line per row, no header, the
 *              columns and forms each list printed before --json existed
 *              (scripts that parse them keep working); times as the UTC
 *              time "2024-05-01 10:00:00" (epoch seconds are --json's).
 *   CTL_JSON   (--json): one JSON array of objects keyed by the columns'
 *              stable names; times are seconds since the epoch (null when
 *              none), sizes bytes, hashes in full.
 *
 * Owns no store access: a command reads its rows, then puts each cell.
 */
#ifndef NB_CTL_OUT_H
#define NB_CTL_OUT_H

#include "../lib/arena.h"

#include <stdio.h>

enum ctl_format { CTL_TABLE, CTL_TSV, CTL_JSON };

#define CTL_COLS_MAX 32

enum ctl_kind {
	CTL_TEXT,	/* a string; NULL is the column's none (JSON null) */
	CTL_INT,	/* a count or an id */
	CTL_TIME,	/* seconds since the epoch; <= 0 is the column's none */
	CTL_BYTES,	/* a size in bytes */
	CTL_HASH	/* hex; the table and TSV show its first 12 digits */
};

/* column flags */
#define CTL_NOT_TSV	1u	/* a column added after the TSV form was fixed */
#define CTL_JSON_ONLY	3u	/* in JSON only (implies CTL_NOT_TSV) */
#define CTL_TSV_FULL	4u	/* a CTL_HASH the TSV line always had in full */
#define CTL_UNIT_TIGHT	16u	/* the TSV unit follows the number unspaced: "50%" */

struct ctl_col {
	const char *key;	/* JSON name: stable, scripts depend on it */
	const char *title;	/* table header */
	enum ctl_kind kind;
	unsigned flags;
	const char *none;	/* table/TSV text for NULL or time 0; NULL: "-" */
	const char *unit;	/* TSV only: " <unit>" after the number */
};

struct ctl_list {
	const struct ctl_col *cols;
	int ncols, col;		/* col: the next cell's column */
	enum ctl_format fmt;
	long long now;		/* for relative times */
	struct arena *a;
	char **cells;		/* TABLE/TSV: rendered cells, row after row */
	size_t ncells, cap;
	void *json, *row;	/* JSON: the cJSON array and current object */
};

/*
 * The form a list takes: JSON when asked (--json), a table when standard
 * output is a terminal, else TSV.
 */
enum ctl_format ctl_format_pick(int json);

/* Starts a list of cols (1..CTL_COLS_MAX of them) in a (which must
 * outlive it). */
void ctl_list_init(struct ctl_list *l, const struct ctl_col *cols, int ncols,
		   enum ctl_format fmt, long long now, struct arena *a);
/* s with every control character (C0, DEL, C1, the bidirectional
 * overrides) and every byte that is not UTF-8 as one '?' (a terminal obeys
 * escape sequences; a tab or newline would break a line), other UTF-8
 * kept, copied into a: what every list's TABLE and TSV cell goes through,
 * and stored or device-reported text printed outside a list.  JSON keeps
 * the text exact. */
char *ctl_printable(struct arena *a, const char *s);
/* The same in place (the text only shrinks); returns s. */
char *ctl_sanitize(char *s);
/* The next cell of the current row, for a CTL_TEXT or CTL_HASH column. */
void ctl_put_text(struct ctl_list *l, const char *s);
/* The next cell, for a CTL_INT, CTL_TIME or CTL_BYTES column. */
void ctl_put_int(struct ctl_list *l, long long v);
/* Prints the list to f and frees what it holds outside the arena; 0, or
 * -1 when f could not be written (a closed pipe). */
int ctl_list_print(struct ctl_list *l, FILE *f);
/*
 * How every list command ends its list: with rc 0 (its rows were read)
 * prints it to f and returns 0, or 1 when f could not be written (the
 * exit status of a closed pipe); with rc the exit status of a failure
 * already said, frees what it holds outside the arena unprinted (a
 * shorter list is never printed) and returns rc.
 */
int ctl_list_end(struct ctl_list *l, int rc, FILE *f);

/*
 * "3 min ago (2024-05-01 10:00 UTC)": t relative to now, with the absolute
 * time; "in 5 min (...)" for a time ahead of the clock.  Into out (at least
 * 64 bytes); returns out.
 */
char *ctl_when(char *out, size_t n, long long now, long long t);
/*
 * A time t (epoch seconds) as a list's cell of form fmt shows it: on a
 * terminal ctl_when's, else "2024-05-01 10:00:00" (UTC; the same every
 * time it is printed); none for t <= 0.  Into out (at least 64 bytes);
 * returns out.  For show commands, which print outside a list.
 */
char *ctl_time(char *out, size_t n, enum ctl_format fmt, long long now, long long t,
	       const char *none);
/* "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB" into out; returns out. */
char *ctl_size(char *out, size_t n, long long bytes);

#endif

/*
 * What every nestboxctl command does with its arguments: options parsed
 * by one getopt loop that names what it refuses, operands counted, numbers
 * read whole, and errors and changes said in one form.  A usage error
 * (the command's shape) exits 2; a refused value or a failed change exits
 * nb_err_exit() of its error value.
 */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nestboxctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", ctl_usage_of(cmd));
	return 2;
}

/* The text of the option getopt just refused: "--name" or "-x" (a long
 * option is the argument getopt stepped over; optopt names a short one). */
static const char *refused(int argc, char **argv, char *shortopt)
{
	const char *s = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (!strncmp(s, "--", 2))
		return s;
	if (optopt) {
		snprintf(shortopt, 3, "-%c", optopt);
		return shortopt;
	}
	return s;
}

/* The option of opts that argv word s ("--name", "--na=x") names, or NULL:
 * its exact name, else the one it is a prefix of (getopt_long takes an
 * unambiguous prefix and has refused the others already). */
static const struct option *named(const struct option *opts, const char *s)
{
	const struct option *o, *prefix = NULL;
	size_t n;

	if (strncmp(s, "--", 2) || !s[2])
		return NULL;
	s += 2;
	n = strcspn(s, "=");
	for (o = opts; o->name; o++) {
		if (strncmp(o->name, s, n))
			continue;
		if (!o->name[n])
			return o;
		prefix = prefix ? prefix : o;
	}
	return prefix;
}

/* How many times the words argv[1..end) give option o (an option's value
 * in the next word is skipped: "--name --feed" names no feed). */
static int times_given(char **argv, int end, const struct option *opts,
		       const struct option *o)
{
	int i, n = 0;

	for (i = 1; i < end && strcmp(argv[i], "--"); i++) {
		const struct option *w = named(opts, argv[i]);
		if (!w)
			continue;
		n += w == o;
		if (w->has_arg == required_argument && !strchr(argv[i], '='))
			i++;
	}
	return n;
}

int ctl_getopt(const char *cmd, int argc, char **argv, const struct option *opts)
{
	return ctl_getopt_rep(cmd, argc, argv, opts, "");
}

int ctl_getopt_rep(const char *cmd, int argc, char **argv, const struct option *opts,
		   const char *repeatable)
{
	char shortopt[3];
	int c, idx = -1;

	opterr = 0;	/* getopt's own messages name argv[0], not the command */
	c = getopt_long(argc, argv, ":", opts, &idx);
	/* a repeated option is refused, as the web answers "given more than
	 * once": the last one silently winning hides a typo (issue 14); only
	 * an option that collects its values (device bulk --id) repeats */
	if (idx >= 0 && !strchr(repeatable, opts[idx].val) &&
	    times_given(argv, optind, opts, &opts[idx]) > 1) {
		ctl_usage_error(cmd, "--%s given more than once", opts[idx].name);
		return '?';
	}
	if (c == '?') {
		ctl_usage_error(cmd, "unknown option '%s'", refused(argc, argv, shortopt));
		return '?';
	}
	if (c == ':') {
		ctl_usage_error(cmd, "%s needs a value", refused(argc, argv, shortopt));
		return '?';
	}
	return c;
}

int ctl_operands(const char *cmd, int argc, char **argv, int min, int max, const char *need)
{
	int n = argc - optind;

	if (n < min) {
		ctl_usage_error(cmd, "needs %s", need);
		return -1;
	}
	if (n > max) {
		ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + max]);
		return -1;
	}
	return 0;
}

int ctl_number(const char *cmd, const char *what, const char *s, long long min, long long max,
	       long long *out)
{
	char *end;
	long long v;

	/* past LLONG_MAX strtoll clamps (ERANGE): refused, never taken as the bound */
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno == ERANGE || v < min || v > max) {
		ctl_usage_error(cmd, "%s must be a whole number from %lld to %lld, not '%s'", what,
				min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int ctl_fail(const char *ctx, const struct nb_err *e)
{
	if (ctx)
		fprintf(stderr, "nestboxctl: %s: %s\n", ctx, e->msg);
	else
		fprintf(stderr, "nestboxctl: %s\n", e->msg);
	return nb_err_exit(e->kind);
}

void ctl_note(const char *fmt, ...)
{
	va_list ap;

	fputs("nestboxctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_list_opts(const char *cmd, int argc, char **argv, int max_operands, const char *what,
		  int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	int c;

	*json = 0;
	optind = 1;
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		if (c != 'j')
			return -1;
		*json = 1;
	}
	return ctl_operands(cmd, argc, argv, 0, max_operands, what);
}

int ctl_word(const char *cmd, const char *what, const char *const *words, const char *s)
{
	char list[256] = "";
	size_t len = 0;
	int i, n;

	for (n = 0; words[n]; n++)
		if (!strcmp(words[n], s))
			return n;
	for (i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					!i ? "" : i == n - 1 ? " or " : ", ", words[i]);
	ctl_usage_error(cmd, "%s is %s, not '%s'", what, list, s);
	return -1;
}

int ctl_list_run(const char *cmd, int argc, char **argv, const struct ctl_col *cols, int ncols,
		 ctl_rows_fn *rows)
{
	struct ctl_list l;
	struct nb_err e;
	struct app app;
	struct arena a;
	int json, rc;

	if (ctl_list_opts(cmd, argc, argv, 0, "", &json) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	arena_init(&a);
	ctl_list_init(&l, cols, ncols, ctl_format_pick(json), time(NULL), &a);
	nb_err_clear(&e);
	rc = ctl_list_end(&l, rows(&app, &a, &l, &e) < 0 ? ctl_fail(cmd, &e) : 0, stdout);
	arena_free(&a);
	app_close(&app);
	return rc;
}

size_t ctl_read_secret(const char *prompt, char *out, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(0);
	size_t l;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	if (!fgets(out, (int)n, stdin))
		out[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	l = strcspn(out, "\r\n");
	out[l] = '\0';
	return l;
}

int ctl_to_option(const char *cmd, int argc, char **argv, const char **to)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 }
	};
	int c;

	*to = NULL;
	optind = 1;
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1)
		if (c == 't')
			*to = optarg;
		else
			return 2;
	return ctl_operands(cmd, argc, argv, 0, 0, "") < 0 ? 2 : 0;
}

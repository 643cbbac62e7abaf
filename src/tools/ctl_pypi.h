/*
 * ctl_pypi.h - nestboxctl pypi: the Python index's users, indexes,
 * uploads, yanks and deletions (ctl_pypi.c), export and import
 * (ctl_pypi_move.c).  Each works on the store through src/pypi, with the
 * same checks as pypi.fcgi, and writes the audit feed.
 */
#ifndef NB_CTL_PYPI_H
#define NB_CTL_PYPI_H

#include "ctl.h"
#include "../pypi/pypi_ops.h"

/* nestboxctl pypi <command> …: argv[0] is "pypi". */
int ctl_cmd_pypi(int argc, char **argv);

/* Opens the store as the pypi commands need it: root (and root/pypi)
 * made as pypi.fcgi's first start makes them.  0, or -1 (printed). */
int ctl_pypi_open(struct app *app);
/* "user/index" into its two names; -1 after printing why (exit 2). */
int ctl_pypi_index_arg(const char *arg, char *user, char *index);
int ctl_cmd_pypi_export(int argc, char **argv);
int ctl_cmd_pypi_import(int argc, char **argv);

#endif

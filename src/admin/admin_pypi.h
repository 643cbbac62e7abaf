/*
 * admin_pypi.h - the operators' pages of the Python index (under
 * /admin/pypi): the indexes with their type, bases, size
 * (admin_pypi.c); one index with its devpi config, editable, and its
 * projects (admin_pypi.c); one project with its versions and files and
 * yank, unyank and delete behind a confirmation (admin_pypi_project.c).
 * The store and the config rules are src/pypi's (pypi_ops.h), the same
 * as the devpi JSON API and nestboxctl pypi use; every change is written
 * to the audit feed.
 */
#ifndef NB_ADMIN_PYPI_H
#define NB_ADMIN_PYPI_H

#include "admin.h"

ADMIN_HANDLER(admin_pypi_indexes)	/* admin_pypi.c */
ADMIN_HANDLER(admin_pypi_index)
ADMIN_HANDLER(admin_pypi_index_save)
ADMIN_HANDLER(admin_pypi_project)	/* admin_pypi_project.c */
ADMIN_HANDLER(admin_pypi_yank)
ADMIN_HANDLER(admin_pypi_delete)

/* "1.5 MiB" for the pages, in a. */
const char *admin_pypi_size(struct arena *a, long long bytes);

#endif

/*
 * ddi.h - the hawkBit DDI server's domain: so far the software
 * repository (images ingested into the blob store with the hashes DDI
 * clients check).  The device-facing API comes next.
 * Wire facts: protocols/hawkbit-ddi.md.
 */
#ifndef NB_DDI_H
#define NB_DDI_H

#include "../lib/app.h"
#include "swu.h"

/*
 * Adds an update image to the repository: reads its version and
 * compatibility, stores it (sha1, md5, sha256 and size computed in one
 * pass), and returns its id.  -2 when the same version with overlapping
 * compatibility exists (a 409), -1 with err for a broken image.
 */
long long ddi_software_add(struct app *app, const char *path, const char *name,
			   char *err, size_t errlen);
/* Deletes software; -1 when it does not exist. */
int ddi_software_delete(struct app *app, long long id);

#endif

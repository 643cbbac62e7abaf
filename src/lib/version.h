/*
 * version.h - ordering version strings the way package and image tools do:
 * runs of digits compare as numbers ("1.10" > "1.9"), everything else
 * byte by byte.  SWUpdate's dotted numeric versions and mip's both fit.
 */
#ifndef NB_VERSION_H
#define NB_VERSION_H

int version_cmp(const char *a, const char *b);

#endif

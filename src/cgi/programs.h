/*
 * programs.h - the route tables and program definitions of the converted
 * programs, public so that tests/fuzz drive the tables that serve
 * requests.  A test or fuzz target includes the program's source with
 * NB_NO_MAIN defined (each src/cgi/<program>.fcgi.c is its own executable's
 * main, so it is not in the core library).
 */
#ifndef NB_PROGRAMS_H
#define NB_PROGRAMS_H

#include "../lib/app.h"

extern const struct route list_routes[];
extern const int list_nroutes;
extern const struct app_def list_def;

extern const struct route update_routes[];
extern const int update_nroutes;
extern const struct app_def update_def;

extern const struct route log_routes[];
extern const int log_nroutes;
extern const struct app_def log_def;

extern const struct route mip_routes[];
extern const int mip_nroutes;
extern const struct app_def mip_def;

extern const struct route ota_routes[];
extern const int ota_nroutes;
extern const struct app_def ota_def;

extern const struct route ddi_routes[];
extern const int ddi_nroutes;
extern const struct app_def ddi_def;

extern const struct route pypi_routes[];
extern const int pypi_nroutes;
extern const struct app_def pypi_def;

extern const struct route admin_routes[];
extern const int admin_nroutes;
extern const struct app_def admin_def;

#endif

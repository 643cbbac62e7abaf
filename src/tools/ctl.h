/*
 * ctl.h - what the nestboxctl command files share: opening the
 * installation's store, checking bounded fields, and every command's
 * entry point.
 */
#ifndef NB_CTL_H
#define NB_CTL_H

#include "../core/core.h"

/*
 * Loads the configuration and opens its existing store; prints why not
 * (naming the configuration file used and the store's path) and returns
 * -1.  Never creates a store: only ctl_create() (nestboxctl init) does.
 */
int ctl_open(struct app *app);
int ctl_create(struct app *app);
/*
 * 1 when value has min..max bytes (what its column or buffer holds), else
 * prints "<option> is at most <max> bytes" and returns 0: a value that does
 * not fit is refused, never cut.
 */
int ctl_field_ok(const char *option, const char *value, size_t min, size_t max);

/* Adds to the audit feed: the server account that ran the command did
 * action on target (printf-style), via "cli" (ctl_audit.c). */
void ctl_audit(struct app *app, const char *action, const char *target_fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cmd_audit(int argc, char **argv);
int cmd_rollout_show(int argc, char **argv);
int cmd_rollout_cancel(int argc, char **argv);
int cmd_rollout_finish(int argc, char **argv);
int cmd_rollout_limits(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_image_import(int argc, char **argv);
int cmd_image_list(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_user_add(int argc, char **argv);
int cmd_user_passwd(int argc, char **argv);
int cmd_user_del(int argc, char **argv);
int cmd_user_list(int argc, char **argv);
int cmd_user_first_admin(int argc, char **argv);
int cmd_mip_publish(int argc, char **argv);
int cmd_mip_list(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_software_add(int argc, char **argv);
int cmd_device_add(int argc, char **argv);
int cmd_device_list(int argc, char **argv);
int cmd_device_cancel(int argc, char **argv);
int cmd_device_show(int argc, char **argv);
int cmd_device_set(int argc, char **argv);
int cmd_device_del(int argc, char **argv);
int cmd_rollout_add(int argc, char **argv);
int cmd_rollout_list(int argc, char **argv);
int cmd_rollout_pause(int argc, char **argv);
int cmd_rollout_resume(int argc, char **argv);
int cmd_rollout_stage(int argc, char **argv);
int cmd_software_list(int argc, char **argv);
int cmd_software_del(int argc, char **argv);

#endif

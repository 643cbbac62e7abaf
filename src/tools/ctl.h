/*
 * ctl.h - what the nestboxctl command files share: opening the
 * installation's store, and every command's entry point.
 */
#ifndef NB_CTL_H
#define NB_CTL_H

#include "../core/core.h"

/* Loads the configuration and opens the store; prints why not. */
int ctl_open(struct app *app);

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

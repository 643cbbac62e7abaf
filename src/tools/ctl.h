/*
 * ctl.h - what the nestboxctl command files share: opening the
 * installation's store, checking bounded fields, and every command's
 * entry point.  One prefix, ctl_: a command's entry is
 * ctl_cmd_<noun>[_<verb>] (argc/argv after the command words; its exit
 * status), what the commands share is ctl_<what>.
 */
#ifndef NB_CTL_H
#define NB_CTL_H

#include "../core/core.h"
#include "ctl_out.h"

#include <getopt.h>

struct ddi_device;

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
/* ctl_field_ok, and the web forms' rule for text (req_v_text: no control
 * character), refused as "invalid <name>: ..." as the forms say it. */
int ctl_text_ok(const char *option, const char *value, size_t min, size_t max);

/* Adds to the audit feed: the server account that ran the command did
 * action on target (printf-style), via "cli" (ctl_audit.c). */
void ctl_audit(struct app *app, const char *action, const char *target_fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ctl_cmd_audit(int argc, char **argv);
int ctl_cmd_rollout_show(int argc, char **argv);
int ctl_cmd_rollout_cancel(int argc, char **argv);
int ctl_cmd_rollout_finish(int argc, char **argv);
int ctl_cmd_rollout_limits(int argc, char **argv);
/*
 * -- arguments, usage errors and what a command says (ctl_args.c) --
 * cmd is the command's name as typed: "image import", "gc".  A usage
 * error (the command's shape: an unknown option, a missing operand, a
 * number that is not one) prints what is wrong and the usage, and the
 * command exits 2; an error value exits nb_err_exit() of its kind.
 */
/* The usage line of cmd from nestboxctl's command table ("" if none). */
const char *ctl_usage_of(const char *cmd);
/* Prints "nestboxctl <cmd>: <what is wrong>" and cmd's usage on stderr;
 * returns 2, the exit status of a usage error. */
int ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * getopt_long over opts (long options only) that names what it refuses:
 * returns the option's val, -1 after the last option, or '?' after
 * printing "unknown option '--x'" or "--x needs a value" with the usage
 * (the caller returns 2).  Set optind = 1 before the first call.
 */
int ctl_getopt(const char *cmd, int argc, char **argv, const struct option *opts);
/* ctl_getopt, but the options whose val is in repeatable (a string of
 * vals) may be given more than once: each value is returned in turn. */
int ctl_getopt_rep(const char *cmd, int argc, char **argv, const struct option *opts,
		   const char *repeatable);
/* After the options: min..max operands remain, or -1 after printing
 * "needs <need>" or "unexpected argument 'X'" (the caller returns 2). */
int ctl_operands(const char *cmd, int argc, char **argv, int min, int max, const char *need);
/* *out = s as a whole number min..max, or -1 after printing "<what> must
 * be a whole number from min to max" (the caller returns 2). */
int ctl_number(const char *cmd, const char *what, const char *s, long long min, long long max,
	       long long *out);
/* The index of s among words (NULL-terminated), or -1 after printing
 * "<what> is a, b or c, not 's'" (the caller returns 2). */
int ctl_word(const char *cmd, const char *what, const char *const *words, const char *s);
/* A list command's arguments: --json and 0..max_operands operands (what:
 * their name); 0, or -1 after a usage error was printed. */
int ctl_list_opts(const char *cmd, int argc, char **argv, int max_operands, const char *what,
		  int *json);
/*
 * The first line of standard input into out (n bytes, n <= INT_MAX)
 * without its line end; on a terminal typed after prompt (on stderr)
 * without echo.  Its length: n - 1 when the line did not fit (the caller
 * refuses it rather than cut it).
 */
size_t ctl_read_secret(const char *prompt, char *out, size_t n);
/* The one option of blobs migrate and store migrate, --to VALUE, into
 * *to (NULL when not given), no operands; 0, or 2 after a usage error. */
int ctl_to_option(const char *cmd, int argc, char **argv, const char **to);
/* Puts a list's rows into l (ctl_put_*; text in a): their count, or -1 with e. */
typedef int ctl_rows_fn(struct app *app, struct arena *a, struct ctl_list *l, struct nb_err *e);
/*
 * A list command without filters (software list, user list ...): --json
 * and no operands, the store opened, the rows put by rows into a list of
 * the ncols cols, printed in the form ctl_format_pick() gives.  The exit
 * status: 2 after a usage error, nb_err_exit() of rows' error (said as
 * "nestboxctl: <cmd>: <message>"), 1 when the store cannot be opened or
 * standard output cannot be written, else 0.
 */
int ctl_list_run(const char *cmd, int argc, char **argv, const struct ctl_col *cols, int ncols,
		 ctl_rows_fn *rows);
/* Prints "nestboxctl: <ctx>: <e->msg>" (no ctx: the message alone) and
 * returns nb_err_exit(e->kind): 3 for a conflict, 1 otherwise. */
int ctl_fail(const char *ctx, const struct nb_err *e);
/* Says on stderr what a command changed when its standard output carries
 * what scripts read (a new id, a secret): "nestboxctl: <text>". */
void ctl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int ctl_cmd_init(int argc, char **argv);
int ctl_cmd_image_import(int argc, char **argv);
int ctl_cmd_image_list(int argc, char **argv);
int ctl_cmd_image_sync(int argc, char **argv);
int ctl_cmd_gc(int argc, char **argv);
int ctl_cmd_blobs_migrate(int argc, char **argv);
int ctl_cmd_blobs_verify(int argc, char **argv);
int ctl_cmd_user_add(int argc, char **argv);
int ctl_cmd_user_passwd(int argc, char **argv);
int ctl_cmd_user_del(int argc, char **argv);
int ctl_cmd_user_token(int argc, char **argv);
int ctl_cmd_user_list(int argc, char **argv);
int ctl_cmd_user_first_admin(int argc, char **argv);
int ctl_cmd_mip_publish(int argc, char **argv);
int ctl_cmd_mip_refresh(int argc, char **argv);
int ctl_cmd_mip_list(int argc, char **argv);
int ctl_cmd_config(int argc, char **argv);
int ctl_cmd_store_migrate(int argc, char **argv);
int ctl_cmd_software_add(int argc, char **argv);
int ctl_cmd_device_add(int argc, char **argv);
int ctl_cmd_device_list(int argc, char **argv);
int ctl_cmd_device_bulk(int argc, char **argv);
/* The device of controller id cid, in whichever tenant has it (the first
 * by id), into *d: 0, or -1 with e (NB_INVALID: not a controller id;
 * NB_NOT_FOUND "no device <cid>"; NB_UNAVAILABLE), said by the caller. */
int ctl_find_device(struct app *app, const char *cid, struct ddi_device *d, struct nb_err *e);
int ctl_cmd_device_cancel(int argc, char **argv);
int ctl_cmd_device_show(int argc, char **argv);
int ctl_cmd_device_set(int argc, char **argv);
int ctl_cmd_device_del(int argc, char **argv);
int ctl_cmd_rollout_add(int argc, char **argv);
int ctl_cmd_rollout_list(int argc, char **argv);
int ctl_cmd_rollout_pause(int argc, char **argv);
int ctl_cmd_rollout_resume(int argc, char **argv);
int ctl_cmd_rollout_stage(int argc, char **argv);
int ctl_cmd_software_list(int argc, char **argv);
int ctl_cmd_software_del(int argc, char **argv);
int ctl_cmd_ota_publish(int argc, char **argv);
int ctl_cmd_ota_push(int argc, char **argv);
int ctl_cmd_ota_repo(int argc, char **argv);
int ctl_cmd_ota_token(int argc, char **argv);
int ctl_cmd_ota_key(int argc, char **argv);
int ctl_cmd_ota_list(int argc, char **argv);
int ctl_cmd_ota_boards(int argc, char **argv);
int ctl_cmd_ota_rollout(int argc, char **argv);

#endif

/*
 * nestboxctl - the administration command line.  Each command is one
 * function with its own --help (ctl_*.c); this table lists them all.
 */
#include "ctl.h"
#include "ctl_pypi.h"

#include <stdio.h>
#include <string.h>

struct cmd {
	const char *name, *sub;
	int (*fn)(int argc, char **argv);
	const char *usage, *help;
};

static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static const struct cmd cmds[] = {
	{ "init", NULL, ctl_cmd_init, "nestboxctl init",
	  "Creates the state directory, the database and the blob store, and says where." },
	{ "store", "migrate", ctl_cmd_store_migrate, "nestboxctl store migrate --to postgresql://URL",
	  "Copies this installation's SQLite store (every table, ids kept) into a new,\n"
	  "empty PostgreSQL database in one transaction; then set db.url to the URL." },
	{ "image", "import", ctl_cmd_image_import,
	  "nestboxctl image import <file.img> --box B --board X [--branch BR] [--version V]"
	  " [--level N] [--threads N]",
	  "Compresses a raw disk image with zstd and publishes <image>.img.zst, .img.sha256\n"
	  "and .img.buildID into <image_path>/<box>/, exactly as the mkbox pipeline does.\n"
	  "The image is named <box>-<board>[-<branch>][-<version>]." },
	{ "image", "list", ctl_cmd_image_list, "nestboxctl image list [search] [--json]",
	  "Lists every build in the image directory: box/image, buildID, size, time." },
	{ "image", "sync", ctl_cmd_image_sync, "nestboxctl image sync",
	  "Checks the image directory as the pipeline left it: composes each build's\n"
	  "update tar and the front end's static answers (update checks, /list), so\n"
	  "that boxes are answered by the front end itself.  Run it from a timer or\n"
	  "after the pipeline publishes; the programs also add what is missing." },
	{ "gc", NULL, ctl_cmd_gc, "nestboxctl gc [--grace SECONDS]",
	  "Drops cached update tars of builds that are gone, the front end's static\n"
	  "answers of builds changed since, unreferenced blobs and abandoned temp\n"
	  "files older than the grace period (default 3600 s)." },
	{ "blobs", "migrate", ctl_cmd_blobs_migrate, "nestboxctl blobs migrate --to s3://BUCKET[/PREFIX]",
	  "Copies every blob of the filesystem store (blob.dir) into an S3 bucket\n"
	  "(blob.s3_endpoint, blob.s3_region and the keys from the configuration;\n"
	  "no PREFIX: blob.s3_prefix), hashing each before and checking its size\n"
	  "after.  Blobs already there with the same size are skipped: run it again\n"
	  "after an interruption, then set blob.backend: s3." },
	{ "blobs", "verify", ctl_cmd_blobs_verify, "nestboxctl blobs verify",
	  "Reads every blob of the configured store back and checks it hashes to its\n"
	  "name; lists the damaged and unreadable ones (exit status 1 if any)." },
	{ "user", "add", ctl_cmd_user_add, "nestboxctl user add NAME [--role admin|readonly]",
	  "Adds an admin-page user (role admin by default).  The password is read from\n"
	  "the first line of standard input, or asked for on a terminal." },
	{ "user", "passwd", ctl_cmd_user_passwd, "nestboxctl user passwd NAME [--keep-tokens]",
	  "Sets a user's password (read as for user add), ends the user's sessions and\n"
	  "revokes the user's API tokens (unless --keep-tokens), and says how many." },
	{ "user", "del", ctl_cmd_user_del, "nestboxctl user del NAME",
	  "Deletes a user, with its sessions and API tokens." },
	{ "user", "token", ctl_cmd_user_token, "nestboxctl user token NAME [--name LABEL]",
	  "Creates an API token of user NAME (with the user's role) for the admin HTTP\n"
	  "API and prints it once on standard output; only its hash is kept." },
	{ "user", "list", ctl_cmd_user_list, "nestboxctl user list [--json]",
	  "Lists users, their roles and when each was created." },
	{ "user", "first-admin", ctl_cmd_user_first_admin, "nestboxctl user first-admin",
	  "Creates the user admin when there are no users, with $NESTBOX_ADMIN_PASSWORD\n"
	  "or a random password, and prints it; with $NESTBOX_ADMIN_PASSWORD set it also\n"
	  "resets admin's password to it.  `make run` calls this." },
	{ "mip", "publish", ctl_cmd_mip_publish,
	  "nestboxctl mip publish <dir|archive|file.py> --name N --version V [--description D]",
	  "Publishes a MicroPython package on the index at /mip: a directory or archive\n"
	  "(tar, tar.gz, zip: what libarchive reads) with a package.json whose urls name\n"
	  "the files ([destination, source]; deps are kept), or without one every .py file.\n"
	  "Files are compiled to .mpy when mip.mpy_cross is set (not boot.py or main.py).\n"
	  "A published version never changes (exit status 3 when it exists)." },
	{ "mip", "refresh", ctl_cmd_mip_refresh, "nestboxctl mip refresh [--ahead SECONDS]",
	  "Revalidates every proxied package JSON that expires within --ahead seconds\n"
	  "(default 600) against mip.upstream, so that the front end keeps sending it\n"
	  "as a file.  Run it from a timer more often than --ahead; exits 1 when some\n"
	  "could not be revalidated (they are served stale once they expire)." },
	{ "mip", "list", ctl_cmd_mip_list, "nestboxctl mip list [--json]",
	  "Lists the hosted packages: name, version, files, size, when published." },
	{ "software", "add", ctl_cmd_software_add,
	  "nestboxctl software add <file.swu|file.raucb> | --url URL [--name N]",
	  "Adds an update image to the software repository of the hawkBit DDI server:\n"
	  "an SWUpdate .swu (version and hardware compatibility from sw-description) or\n"
	  "a RAUC .raucb (from manifest.raucm).  sha1, md5 and sha256 are computed.\n"
	  "With --url the image stays at that URL (a CDN, an object store): it is\n"
	  "fetched once to be read and hashed, and devices download it from there.\n"
	  "Prints the new id.  The same version with overlapping compatibility is\n"
	  "refused (exit status 3); so is a broken or truncated image (exit status 1)." },
	{ "software", "list", ctl_cmd_software_list, "nestboxctl software list [--json]",
	  "Lists the software repository: id, name, version, kind (swu or raucb), size,\n"
	  "sha256, external URL, compatibility (board:revision)." },
	{ "software", "del", ctl_cmd_software_del, "nestboxctl software del <id>",
	  "Deletes software no action, rollout or assignment uses (exit status 3 if used),\n"
	  "and says which it deleted." },
	{ "device", "add", ctl_cmd_device_add,
	  "nestboxctl device add <controllerId> [--token T] [--feed F]"
	  " [--mode rollout|latest|assigned|pinned] [--assign SOFTWARE_ID]",
	  "Pre-registers a DDI device (tenant DEFAULT unless --tenant), with its\n"
	  "TargetToken (stored hashed) and how its updates are chosen." },
	{ "device", "list", ctl_cmd_device_list,
	  "nestboxctl device list [--search S] [--state ST] [--feed F] [--model M]"
	  " [--version V] [--seen hour|day|old|never] [--sort COLUMN [--desc]]"
	  " [--page N] [--limit N] [--json]",
	  "Lists DDI devices: id, state, version, mode, board:revision, last seen\n"
	  "(and feed, name, tags on a terminal and in JSON), found as the devices\n"
	  "page finds them: --search is a substring of the controller id, name, tags\n"
	  "or attributes; --feed, --model and --version take substrings (any case);\n"
	  "--state is registered, waiting, running, finished or error.  --sort is\n"
	  "id, cid (the default), name, state, version, model, feed, mode or seen.\n"
	  "--page N shows the Nth page of --limit devices (admin.page_size when not\n"
	  "given) and says \"showing 51-63 of 63\" (on standard error when piped)." },
	{ "device", "bulk", ctl_cmd_device_bulk,
	  "nestboxctl device bulk assign SOFTWARE_ID | feed FEED | mode rollout|latest|pinned"
	  " | cancel | delete (--id CID... | --search S [filters of device list]) [--yes]",
	  "Does one of the devices page's bulk actions to the devices given by --id\n"
	  "(repeated for each) or to every device a search finds (device list's\n"
	  "filters), in one transaction, with the page's audit row.  Without --yes it\n"
	  "lists the devices it would change and exits 2 with \"would change N\n"
	  "devices; add --yes\"; devices it would not change (already on that feed,\n"
	  "no open action to cancel) are left out, and when none is left it says\n"
	  "\"unchanged\" and exits 0." },
	{ "device", "show", ctl_cmd_device_show, "nestboxctl device show <controllerId>",
	  "Shows a device, why it is or is not offered an update, and its actions." },
	{ "device", "set", ctl_cmd_device_set,
	  "nestboxctl device set <controllerId> [--mode M] [--assign ID] [--feed F]"
	  " [--name N] [--tags T,…] [--force]",
	  "Changes how a device is updated; --force offers its software again even\n"
	  "when it runs that version or failed it before." },
	{ "device", "cancel", ctl_cmd_device_cancel, "nestboxctl device cancel <controllerId>",
	  "Cancels the device's open action: a running one is canceled on its next\n"
	  "poll, one still waiting for confirmation at once." },
	{ "device", "del", ctl_cmd_device_del, "nestboxctl device del <controllerId>",
	  "Deletes a device with its actions and their history." },
	{ "rollout", "add", ctl_cmd_rollout_add,
	  "nestboxctl rollout add --feed F --software ID [--name N] [--percent P]"
	  " [--max-failures N] [--max-failure-rate PCT] [--confirm-empty]",
	  "Offers software to the devices of a feed that are in rollout mode; the\n"
	  "newest running rollout of a feed wins.  --percent stages it: only that\n"
	  "share of the feed (the same devices every time) is offered it.  It pauses\n"
	  "itself after --max-failures failed devices, or when more than\n"
	  "--max-failure-rate percent of its results (after ddi.rollout_min_results)\n"
	  "failed; the defaults come from ddi.rollout_max_failures and\n"
	  "ddi.rollout_max_failure_rate.  A feed with no device in rollout mode\n"
	  "(often a misspelt feed) is refused, as on the page, unless\n"
	  "--confirm-empty.  Prints the new id." },
	{ "rollout", "list", ctl_cmd_rollout_list, "nestboxctl rollout list [--json]",
	  "Lists rollouts: id, state, feed, software version, percent, successes,\n"
	  "failures, open actions, why paused." },
	{ "rollout", "pause", ctl_cmd_rollout_pause, "nestboxctl rollout pause <id>",
	  "Pauses a rollout: no new device is offered its software." },
	{ "rollout", "resume", ctl_cmd_rollout_resume, "nestboxctl rollout resume <id>",
	  "Resumes a paused rollout." },
	{ "rollout", "stage", ctl_cmd_rollout_stage, "nestboxctl rollout stage <id> <percent>",
	  "Sets the share of the feed (1-100) offered the rollout's software." },
	{ "rollout", "show", ctl_cmd_rollout_show, "nestboxctl rollout show [--json] <id>",
	  "Shows a rollout and its devices by result: succeeded, failed (with the last\n"
	  "line the device reported), running, waiting, not eligible (and why).\n"
	  "Progress is counted over the devices that can take its software; an offer\n"
	  "the device never answered waits and says since when.  --json: the same as\n"
	  "GET /admin/api/rollouts/<id>." },
	{ "rollout", "cancel", ctl_cmd_rollout_cancel, "nestboxctl rollout cancel <id>",
	  "Cancels a rollout: nothing more is offered, offers not yet taken are\n"
	  "withdrawn and devices installing it are asked to stop." },
	{ "rollout", "finish", ctl_cmd_rollout_finish, "nestboxctl rollout finish <id>",
	  "Finishes a rollout: nothing more is offered; updates under way complete." },
	{ "rollout", "limits", ctl_cmd_rollout_limits,
	  "nestboxctl rollout limits <id> [--max-failures N] [--max-failure-rate PCT]",
	  "Sets the failure limits at which the rollout pauses itself (0: none)." },
	{ "audit", NULL, ctl_cmd_audit, "nestboxctl audit [--user NAME] [--limit N] [--json]",
	  "Lists what operators changed, newest first: time, user, via (page, api,\n"
	  "cli), action and what it changed." },
	{ "ota", "publish", ctl_cmd_ota_publish,
	  "nestboxctl ota publish --repo o/r --tag T [--version V] [--post-update PATH]"
	  " [--message M] [--no-manifest] <dir|tar.gz|zip|git repo [ref]>",
	  "Publishes a release (stable) of a MicroPython OTA updater repository\n"
	  "(served under /ota).  A git repository keeps its ids (an annotated tag\n"
	  "named T too); --message makes an annotated tag otherwise.  Hidden files are\n"
	  "left out; paths the updater refuses fail the publication.  An existing\n"
	  "tag: exit status 3." },
	{ "ota", "push", ctl_cmd_ota_push,
	  "nestboxctl ota push --repo o/r --branch B <dir|tar.gz|zip|git repo [ref]>",
	  "Sets a branch tip of an OTA repository, read as publish reads a release." },
	{ "ota", "repo", ctl_cmd_ota_repo, "nestboxctl ota repo --repo o/r [--private|--public]",
	  "Creates an OTA repository, or sets who may read it, and says which it is." },
	{ "ota", "token", ctl_cmd_ota_token, "nestboxctl ota token --repo o/r [--name BOARD]",
	  "Prints a new read token of a repository (kept hashed: shown once)." },
	{ "ota", "key", ctl_cmd_ota_key, "nestboxctl ota key --repo o/r [--remove]",
	  "Prints a new manifest signing key (shown once), or removes the key." },
	{ "ota", "list", ctl_cmd_ota_list, "nestboxctl ota list [--json]",
	  "Lists OTA repositories and their releases (the newest 30 of each)." },
	{ "pypi", NULL, ctl_cmd_pypi, "nestboxctl pypi user|index|upload|yank|unyank|delete|export|import …",
	  "The Python package index (/pypi, devpi's URLs and JSON API):\n"
	  "  pypi user list [--json] | add NAME [--email E] | passwd NAME | delete NAME\n"
	  "      (a password is read from the first line of standard input)\n"
	  "  pypi index list [USER] [--json]\n"
	  "  pypi index create|modify USER/INDEX [key=value …]   devpi's keys: type,\n"
	  "      bases, volatile, acl_upload, mirror_whitelist, mirror_url,\n"
	  "      mirror_cache_expiry, title (lists comma-separated)\n"
	  "  pypi index delete USER/INDEX\n"
	  "  pypi upload USER/INDEX FILE…   the checks of a twine upload\n"
	  "  pypi yank|unyank USER/INDEX (PROJECT VERSION | --file NAME) [--reason R]\n"
	  "  pypi delete USER/INDEX (PROJECT [VERSION] | --file NAME) [--force]\n"
	  "      (--force on a non-volatile index, as devpi's ?force)\n"
	  "  pypi export DIR   users (with password hashes), indexes, files and their\n"
	  "      metadata into DIR/pypi.json and DIR/files/\n"
	  "  pypi import DIR   the same back, into a store holding no index data yet\n"
	  "      (exit status 3 otherwise)" },
	{ "ota", "boards", ctl_cmd_ota_boards, "nestboxctl ota boards [--repo o/r] [--json]",
	  "Lists the boards that checked an OTA repository: by token name (or address),\n"
	  "when last seen, user agent, the release or commit fetched completely last,\n"
	  "the files of the last fetch, and the release it is fetching when unfinished." },
	{ "ota", "rollout", ctl_cmd_ota_rollout,
	  "nestboxctl ota rollout --repo o/r [--stage PCT] [--pause|--resume]",
	  "Shows or changes the staged rollout of the newest release: releases/latest\n"
	  "gives it to PCT% of the boards (a stable hash of each board's token) and\n"
	  "the previous release to the rest; paused, it goes to no more boards.  A\n"
	  "board never loses a release it has started fetching." },
	{ "config", NULL, ctl_cmd_config, "nestboxctl config",
	  "Prints the effective configuration (file, then environment), secrets masked." },
	{ NULL, NULL, NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "usage: nestboxctl <command> [options]   (each command takes --help)\n\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %s\n", c->usage);
	fprintf(f, "\nLists print a table on a terminal, tab-separated lines without a header\n"
		   "when piped, and one JSON array of objects with --json.\n"
		   "Configuration: $NESTBOX_CONFIG, /etc/nestbox/nestbox.yaml or ./etc/nestbox.yaml,\n"
		   "then NESTBOX_<SECTION>__<KEY> variables.\n");
}

/* A group's commands, each with its usage and help. */
static void group_usage(FILE *f, const char *group)
{
	const struct cmd *c;

	fprintf(f, "usage: nestboxctl %s <command> [options]   (nestboxctl %s <command> --help)\n",
		group, group);
	for (c = cmds; c->name; c++) {
		const char *h = c->help, *nl;
		if (strcmp(c->name, group))
			continue;
		fprintf(f, "\n  %s\n", c->usage);
		for (; *h; h = nl + (*nl != '\0')) {
			nl = strchrnul(h, '\n');
			fprintf(f, "      %.*s\n", (int)(nl - h), h);
		}
	}
}

const char *ctl_usage_of(const char *cmd)
{
	const struct cmd *c;
	size_t n;

	for (c = cmds; c->name; c++) {
		n = strlen(c->name);
		if (strncmp(cmd, c->name, n))
			continue;
		if (c->sub ? (cmd[n] == ' ' && !strcmp(cmd + n + 1, c->sub)) : !cmd[n])
			return c->usage;
	}
	return "";
}

/* The entry of argv's command: its group, then its sub-command if the
 * group has them; NULL after printing the usage (*rc the exit status). */
static const struct cmd *find(int argc, char **argv, int *rc)
{
	const struct cmd *c, *group = NULL;

	for (c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		if (!c->sub)
			return c;
		group = c;
		if (argc >= 3 && !strcmp(c->sub, argv[2]))
			return c;
	}
	if (!group) {
		fprintf(stderr, "nestboxctl: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		*rc = 2;
	} else if (argc < 3 || argv[2][0] == '-') {
		*rc = wants_help(argc, argv) ? 0 : 2;
		group_usage(*rc ? stderr : stdout, group->name);
	} else {
		fprintf(stderr, "nestboxctl: unknown %s command '%s'\n\n", group->name, argv[2]);
		group_usage(stderr, group->name);
		*rc = 2;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int rc = 2;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	c = find(argc, argv, &rc);
	if (!c)
		return rc;
	if (wants_help(argc, argv)) {
		printf("usage: %s\n\n%s\n", c->usage, c->help);
		return 0;
	}
	return c->fn(argc - (c->sub ? 2 : 1), argv + (c->sub ? 2 : 1));
}

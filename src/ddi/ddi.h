/*
 * ddi.h - the hawkBit DDI server's domain: the software repository
 * (images ingested into the blob store with the hashes DDI clients
 * check), the device registry, rollouts, the update decision and the
 * device-facing API.  Wire facts: protocols/hawkbit-ddi.md.
 *
 * Errors: every function that reads or writes the store takes a
 * `struct nb_err *e` last (NULL when the caller only wants -1) and chooses
 * the kind itself: NB_UNAVAILABLE when the store failed (a step, not only
 * a prepare: a loop's db_reset is checked), NB_NOT_FOUND, NB_CONFLICT,
 * NB_INVALID as each comment says; callers map it once (app_fail,
 * nb_err_exit).  A lookup whose "none" is an ordinary answer (an open
 * action, a candidate, a device on its first request) returns 1 found, 0
 * none, -1 with e, so that a busy store is never taken for "none".
 */
#ifndef NB_DDI_H
#define NB_DDI_H

#include "../lib/app.h"
#include "swu.h"

/*
 * Bounds of what the DDI tables keep, refused at the door when exceeded
 * (a value is never cut): versions, boards, revisions, feeds and tenants
 * are read into 64-byte buffers; device attributes are bounded so one
 * device's row stays small.
 */
#define DDI_VERSION_MAX 63	/* software.version, sw_version, hw_model, hw_revision */
#define DDI_FEED_MAX 63		/* a device's or rollout's feed, a tenant */
#define DDI_NAME_MAX 255	/* a software's name and artifact file name */
#define DDI_ATTR_MAX 100	/* configData attributes per device */
#define DDI_ATTR_KEY_MAX 128
#define DDI_ATTR_VALUE_MAX 512

/*
 * An artifact being received (an upload, a file given to nestboxctl): its
 * bytes go once, as they arrive, into a blob's temporary file and through
 * the sha1 and md5 hashers (the blob writer keeps the sha256); the
 * catalogue is then read from that stored copy.  Nothing is staged
 * anywhere else.
 */
struct ddi_upload {
	struct blob_writer w;
	struct hash_ctx sha1, md5;
	long long size;			/* bytes so far */
	int open;
};
/*
 * The software repository's settings (ddi_software.c), read once at start
 * by the programs that add software (admin.fcgi, nestboxctl); never
 * looked up per request.
 */
struct ddi_sw_settings {
	unsigned long long max_image;	/* ddi.max_image, bytes fetched from a URL */
	long fetch_timeout;		/* ddi.fetch_timeout, seconds */
	char rauc_sep[16];		/* ddi.rauc_revision_separator ("" none) */
};
void ddi_sw_settings_read(const struct app *app, struct ddi_sw_settings *s);
/* 0, or -1 with e NB_UNAVAILABLE (the blob store cannot be written). */
int ddi_upload_open(struct app *app, struct ddi_upload *u, struct nb_err *e);
/* Appends n bytes; 0, or -1 with e NB_UNAVAILABLE (disk full, I/O). */
int ddi_upload_write(struct ddi_upload *u, const void *p, size_t n, struct nb_err *e);
/* Drops what was received (no-op once closed). */
void ddi_upload_abort(struct ddi_upload *u);
/*
 * Adds the received image to the repository under its artifact file name
 * (what devices download it as) and name ("" or NULL: the file name):
 * reads its version and compatibility from the stored bytes, commits the
 * blob and records the row.  Always closes u.  Returns the id, or -1 with
 * e: NB_CONFLICT when the same version with overlapping compatibility
 * exists, NB_INVALID for a broken image or a name, file name or
 * sw-description value longer than is kept (the message names the field
 * and its limit: DDI_NAME_MAX, DDI_VERSION_MAX, SWU_MAX_COMPAT),
 * NB_UNAVAILABLE when the store failed.
 */
long long ddi_software_add(struct app *app, const struct ddi_sw_settings *set,
			   struct ddi_upload *u, const char *filename, const char *name,
			   struct nb_err *e);
/* ddi_software_add of the file at path, named for its last component. */
long long ddi_software_add_file(struct app *app, const struct ddi_sw_settings *set,
				const char *path, const char *name, struct nb_err *e);
/*
 * Adds software that lives at an external URL (a CDN, an object store):
 * fetched once to read and hash it, then only the row is kept and devices
 * download from the URL.  Same returns as ddi_software_add().
 */
long long ddi_software_add_url(struct app *app, const struct ddi_sw_settings *set,
			       const char *url, const char *name, struct nb_err *e);
/* Deletes software (ddi_software_store.c); 0, or -1 with e NB_NOT_FOUND (no such software),
 * NB_CONFLICT (an action, rollout or device assignment names it) or
 * NB_UNAVAILABLE (database busy). */
int ddi_software_delete(struct app *app, long long id, struct nb_err *e);
/* gc: 1 while a blob (its sha256 in hex) is software of the repository,
 * 0 when it is not, -1 with e NB_UNAVAILABLE when the store cannot say
 * (gc keeps the blob on anything but 0: never removed on a doubt). */
int ddi_software_blob_known(struct app *app, const char *sha256, struct nb_err *e);

/* status: waiting (for confirmation), running, canceling, finished, error, canceled */
struct ddi_action {
	long long id, software_id, rollout_id;
	char status[16];
	int progress;
};

/*
 * hawkBit's rule for a controller id, applied wherever one enters nestbox
 * (DDI URLs, nestboxctl, the admin pages and API) before anything is
 * stored: 1 to DDI_CID_MAX bytes of UTF-8, no whitespace, no control
 * byte, no '/' (hawkBit's Target.controllerId: @Size(1, 256) and the
 * pattern [\S&&[^/]]*).  Returns 1 when s follows it, else 0.
 */
#define DDI_CID_MAX 256
int ddi_controller_id_ok(const char *s);

struct ddi_device {
	long long id, assigned, last_seen;
	long long held;			/* software whose cancel stands; 0 none */
	char tenant[64], cid[DDI_CID_MAX + 1], token_hash[65];
	char hw_model[64], hw_revision[64], sw_version[64], feed[64], mode[16], state[16];
	int force, has_attrs, auto_confirm;
	struct ddi_action last;		/* its newest action; id 0 when none */
};

struct ddi_software {
	long long id, size;
	char name[256], version[64], filename[256], sha1[41], md5[33], sha256[65];
	char url[1024];			/* "" when the blob store holds it */
};

/* -- the repository's rows (ddi_software_store.c) -- */
/* An existing entry's board and revision ("" any; board NULL when the
 * software has no compatibility list): 0 walks on, a positive answer
 * stops the walk. */
typedef int ddi_compat_fn(void *ctx, const char *board, const char *revision);
/*
 * Calls fn for each compatibility entry of each software of version (once
 * with NULL for one without entries) until fn answers non-zero: that
 * answer, 0 when none did, or -1 with e NB_UNAVAILABLE when a step failed
 * (a walk cut short is never "none overlaps").
 */
int ddi_software_version_each(struct app *app, const char *version, ddi_compat_fn *fn,
			      void *ctx, struct nb_err *e);
/*
 * Records s (all but id; url "" when the blob store holds it) of kind
 * ("swu", "raucb") with its description and n compatibility entries, in
 * the caller's transaction: the new id, or -1 with e NB_UNAVAILABLE when a
 * write failed (the caller rolls back).
 */
long long ddi_software_insert(struct app *app, const struct ddi_software *s, const char *kind,
			      const char *description, const struct swu_compat *compat, int n,
			      struct nb_err *e);
/* One software of the repository as nestboxctl software list shows it. */
struct ddi_software_entry {
	struct ddi_software s;
	char kind[8];			/* swu, raucb */
	const struct swu_compat *compat;	/* its ncompat entries by board, revision ("" any);
						 * none: every board */
	int ncompat;
};
/*
 * Every software, by id, with its compatibility, into *out (an array in
 * arena a): the count, or -1 with e NB_UNAVAILABLE.
 */
int ddi_software_catalogue(struct app *app, struct arena *a, struct ddi_software_entry **out,
			   struct nb_err *e);

struct ddi_rollout {
	long long id, software_id, created;
	char name[128], feed[64], state[16], version[64], pause_reason[128];
	int percent, max_failures, max_failure_rate;
	long long success, failure, open;
};

/* -- the update decision (ddi_decide.c) -- */
struct ddi_candidate {
	long long software_id, rollout_id;	/* rollout_id 0 outside rollout mode */
	char version[64];
	int percent;				/* the rollout's stage; 100 otherwise */
	int failed_before;			/* its last action on this device failed */
	int canceled;				/* an operator's cancel of it stands */
};

/*
 * Each reason a device is or is not offered software.  The poll needs
 * only OFFER or not; the others are told to a person (admin pages, the
 * admin API's "reason", nestboxctl device show) by ddi_verdict_explain.
 * NO_BOARD and the ones after it are only given when the caller passes
 * the facts they need (struct ddi_decide_ctx): the poll does not.
 */
enum ddi_verdict {
	DDI_OFFER, DDI_NO_ATTRIBUTES, DDI_PINNED, DDI_NO_SOFTWARE, DDI_UP_TO_DATE,
	DDI_FAILED_BEFORE, DDI_NOT_IN_STAGE, DDI_FLEET_BUSY, DDI_CANCELED,
	DDI_NO_BOARD,			/* attributes sent, none names a board */
	DDI_NO_ROLLOUT,			/* rollout mode, no running or paused rollout on its feed */
	DDI_ROLLOUT_PAUSED,		/* rollout mode, its feed's rollout is paused */
	DDI_ASSIGNED_OTHER_BOARD,	/* assigned software not for its board/revision */
	DDI_WAITING_CONSENT,		/* an action waits for the device's confirmation */
	DDI_UNDER_WAY,			/* an action is running */
	DDI_CANCELING,			/* an operator's cancel waits for the device */
	DDI_VERDICT_COUNT
};

/*
 * What the store has when it found no candidate for a device's mode
 * (ddi_nocand_facts): read only to explain a decision, never on a poll.
 */
struct ddi_nocand {
	long long rollout_id;		/* rollout mode: its feed's newest running or paused one */
	char rollout_name[128], rollout_state[16], pause_reason[128], rollout_version[64];
	long long assigned_id;		/* assigned mode: the software, 0 when it is gone */
	char assigned_name[256], assigned_version[64];
	const struct swu_compat *compat;	/* its ncompat compatibility rows by board,
						 * revision ("" any), in the caller's arena */
	int ncompat;
	const char *attributes;		/* the attributes JSON the device sent, as stored
					 * (in the caller's arena); "" when none */
};

struct ddi_decide_in {
	const char *mode, *installed, *tenant, *cid;
	int has_attrs, force;
	const struct ddi_candidate *cand;	/* NULL: nothing for its mode */
	long running, max_running;		/* max_running 0: no limit */
};

/* The facts only a person's explanation needs (ddi_explain); the poll has none. */
struct ddi_decide_ctx {
	const char *board, *revision, *feed;	/* the device's hw_model, hw_revision, feed */
	const struct ddi_action *open;		/* its open action (waiting/running/canceling) */
	const struct ddi_nocand *why;		/* what is there when in->cand is NULL */
};

/* The decision table (protocols/hawkbit-ddi.md "Update decision per poll"). */
enum ddi_verdict ddi_decide(const struct ddi_decide_in *in);
/* The same with ctx's facts (NULL: none), which make the reasons specific. */
enum ddi_verdict ddi_decide_ctx(const struct ddi_decide_in *in, const struct ddi_decide_ctx *ctx);
/* A stable word per verdict for scripts ("rollout_paused"), "?" out of range. */
const char *ddi_verdict_key(enum ddi_verdict v);
/* A short text per verdict, without the device's particulars. */
const char *ddi_verdict_text(enum ddi_verdict v);
/*
 * The sentence a person reads for verdict v of in and ctx (NULL: none):
 * the reason with the device's particulars (versions, board, rollout, the
 * attribute names nestbox reads).  Written into out (cut to n bytes);
 * returns out.  The one text the device page, the admin API and
 * nestboxctl device show give.
 */
const char *ddi_verdict_explain(const struct ddi_decide_in *in, const struct ddi_decide_ctx *ctx,
				enum ddi_verdict v, char *out, size_t n);
int ddi_stage_bucket(const char *tenant, const char *cid, long long rollout_id);

/* A decision explained: the verdict, its sentence, what it is about. */
struct ddi_explained {
	enum ddi_verdict v;
	char text[512];
	struct ddi_candidate cand;	/* software_id 0: none */
	struct ddi_action open;		/* id 0: none open */
};
/*
 * The decision dev's next poll makes, with its reason: reads the store
 * (candidate, open action, running count, and when nothing is found what
 * is there instead, read into arena a).  max_running is
 * ddi.max_concurrent_updates.  0, or -1 with e NB_UNAVAILABLE when the
 * store could not be read (never a verdict made from part of the facts).
 */
int ddi_explain(struct app *app, struct arena *a, const struct ddi_device *dev,
		long max_running, struct ddi_explained *out, struct nb_err *e);

/* -- store (ddi_store.c) -- */
/*
 * The software of the current row of st, whose columns 0 to 8 are id,
 * size, name, version, filename, sha1, md5, sha256, url (text cut to the
 * buffers): the one reader of every query that selects a software.
 */
void ddi_software_read(struct db_stmt *st, struct ddi_software *s);
/*
 * The device tenant/cid into d.  1 when found, 0 when there is no such
 * device, -1 with e NB_UNAVAILABLE when the store could not be read (busy,
 * or PostgreSQL lost): a device must not be told "unauthorized" for the
 * store's fault.
 */
int ddi_device_get(struct app *app, const char *tenant, const char *cid, struct ddi_device *d,
		   struct nb_err *e);
/*
 * An operator adds a device.  tenant 1-DDI_FEED_MAX bytes; cid follows
 * ddi_controller_id_ok(); token_hash "" or 64 hex digits; feed NULL/"" for
 * "default" or at most DDI_FEED_MAX bytes; mode NULL/"" for rollout, or
 * latest, assigned (with assigned > 0), pinned.  0 when stored, else -1
 * with e: NB_INVALID when an argument breaks these rules, NB_CONFLICT when
 * the device exists, NB_NOT_FOUND when the assigned software does not,
 * NB_UNAVAILABLE when the store failed (nothing stored in every case).
 */
int ddi_device_add(struct app *app, const char *tenant, const char *cid, const char *token_hash,
		   const char *feed, const char *mode, long long assigned, struct nb_err *e);
/*
 * A device registering itself on its first request: DDI_BY_SELF (setup or
 * lax mode, bounded by lim: a cap on all self-registered devices and a
 * count per hour, 0 for no limit) or DDI_BY_GATEWAY (the GatewayToken
 * holder vouches for it, no limit).  0 when stored; -1 with e
 * (NB_INVALID: a bad tenant, id or token hash; NB_CONFLICT: it exists;
 * NB_UNAVAILABLE: the store failed; NB_FORBIDDEN: lim's cap refused it;
 * NB_TOO_MANY: lim's hourly rate refused it).
 */
enum ddi_origin { DDI_BY_SELF, DDI_BY_GATEWAY };
struct ddi_self_limits {
	long long max;			/* ddi.self_register_max */
	long long per_hour;		/* ddi.self_register_per_hour */
};
int ddi_device_register(struct app *app, const char *tenant, const char *cid,
			const char *token_hash, enum ddi_origin origin,
			const struct ddi_self_limits *lim, struct nb_err *e);
/* Devices that registered themselves: all into *total, and since a time
 * (unix s) into *recent; 0, or -1 with e NB_UNAVAILABLE. */
int ddi_self_registered(struct app *app, long long since, long long *total, long long *recent,
			struct nb_err *e);
/* last_seen updates waiting for one batched write */
#define DDI_SEEN_MAX 256
struct ddi_seen {
	/* an IPv6 address with a zone id ("fe80::1%eth0") fits whole */
	struct { long long id, ts; char addr[64]; } e[DDI_SEEN_MAX];
	int n;
	long long first;
};
/* Queues last_seen when the stored one is over a minute old. */
void ddi_seen_queue(struct app *app, struct ddi_seen *q, const struct ddi_device *d,
		    const char *addr);
/* Writes the queue in one transaction (always / when due). */
void ddi_seen_flush(struct app *app, struct ddi_seen *q);
void ddi_seen_tick(struct app *app, struct ddi_seen *q);
/*
 * Stores device d's configData (json, the merged object's text) and the
 * board, revision and version read from it (NULL: kept; the version only
 * until an action set one): 0, or -1 with e NB_UNAVAILABLE.
 */
int ddi_device_attributes(struct app *app, const struct ddi_device *d, const char *json,
			  const char *hw_model, const char *hw_revision, const char *sw_version,
			  struct nb_err *e);
/* Device id's state, and its version (NULL: kept; a new one also ends a
 * forced offer): 0, or -1 with e NB_UNAVAILABLE. */
int ddi_device_set_version(struct app *app, long long id, const char *version, const char *state,
			   struct nb_err *e);
/* Software id into *s: 0, or -1 with e NB_NOT_FOUND ("no software <id>")
 * or NB_UNAVAILABLE (the store failed). */
int ddi_software_get(struct app *app, long long id, struct ddi_software *s, struct nb_err *e);
/* Renumbers ddi_software.vrank in version order (after an insert, in its
 * transaction): 0, or -1 with e NB_UNAVAILABLE (the caller rolls back). */
int ddi_software_rerank(struct app *app, struct nb_err *e);
/* The id of the highest version compatible with a board and revision
 * ("" for a device that sent none); 0 when none is, -1 with e NB_UNAVAILABLE. */
long long ddi_software_latest(struct app *app, const char *board, const char *revision,
			      struct nb_err *e);
/*
 * 1 when software id is the device's to download: one of its actions
 * names it or it is the device's assignment (hawkBit answers 404 for
 * artifacts of any other module); 0 when not; -1 with e NB_UNAVAILABLE.
 */
int ddi_software_owned(struct app *app, const struct ddi_device *d, long long id,
		       struct nb_err *e);
/* Device device_id's open action (waiting, running or canceling) into *a:
 * 1, 0 when it has none, -1 with e NB_UNAVAILABLE. */
int ddi_action_open(struct app *app, long long device_id, struct ddi_action *a,
		    struct nb_err *e);
/* Action id of device device_id (another device's is not there) into *a:
 * 0, or -1 with e NB_NOT_FOUND ("no such action") or NB_UNAVAILABLE. */
int ddi_action_get(struct app *app, long long device_id, long long id, struct ddi_action *a,
		   struct nb_err *e);
/* A new action of status for the device (rollout_id 0: none), which ends
 * a held cancel: its id, or -1 with e NB_UNAVAILABLE (the caller rolls back). */
long long ddi_action_create(struct app *app, long long device_id, long long software_id,
			    long long rollout_id, const char *status, struct nb_err *e);
/* Action id's status and progress (percent; -1: kept): 0, or -1 with e NB_UNAVAILABLE. */
int ddi_action_update(struct app *app, long long id, const char *status, int progress,
		      struct nb_err *e);
/* the progress (-1: kept) and updated time of action id, its status kept;
 * 0, or -1 with e NB_UNAVAILABLE */
int ddi_action_progress(struct app *app, long long id, int progress, struct nb_err *e);
struct ddi_fb;
/*
 * A feedback that leaves its action open (progress: not closed, not
 * canceled, not a cancel's), in the device's write transaction
 * (ddi_begin_device): action id of device device_id into *a as it was,
 * and when it is open (running or canceling) fb's entry (ddi_action_log)
 * and progress (ddi_action_progress) written; 0 (nothing written when it
 * was not open: the caller answers from *a), or -1 with e NB_NOT_FOUND
 * ("no such action") or NB_UNAVAILABLE.  On PostgreSQL one statement
 * with the transaction's COMMIT (db_commit_with_next: BEGIN, the locks,
 * the read, the writes and the COMMIT one round trip); the caller's
 * ddi_commit says whether it committed.
 */
int ddi_action_take(struct app *app, long long device_id, long long id, const struct ddi_fb *fb,
		    struct ddi_action *a, struct nb_err *e);
/* One status entry of action id as the device (or the server) wrote it,
 * the oldest trimmed past hawkBit's 1000: 0, or -1 with e NB_UNAVAILABLE. */
int ddi_action_log(struct app *app, long long id, const char *execution, const char *finished,
		   const char *details, struct nb_err *e);
/*
 * The device's reported messages of an action (its details lines), newest
 * report first, into out (room for DDI_HISTORY_MAX), each line copied into
 * arena a: max of them, 0 none, a negative max all of them; at most
 * DDI_HISTORY_MAX either way (hawkBit's
 * RepositoryConstants.MAX_ACTION_HISTORY_MSG_COUNT).  Lines the server
 * wrote itself start with DDI_SERVER_MSG and are left out, as hawkBit
 * leaves out its "Update Server: " messages.  The count, or -1 with e
 * NB_UNAVAILABLE.
 */
#define DDI_HISTORY_MAX 100
#define DDI_SERVER_MSG "Update Server: "
int ddi_action_messages(struct app *app, struct arena *a, long long action_id, int max,
			const char **out, struct nb_err *e);
/*
 * The device acknowledged a cancel (or canceled by itself): the action is
 * canceled, the device registered, and the software held: the update
 * decision does not offer it again until an operator assigns again or
 * forces (ddi_device_set_mode, ddi_device_set_field "force").  0, or -1
 * with e NB_UNAVAILABLE when a write failed (the caller rolls back).
 */
int ddi_action_canceled(struct app *app, long long device_id, long long action_id,
			long long software_id, int progress, struct nb_err *e);
/* Devices with an open action (waiting, running or canceling): the count,
 * or -1 with e NB_UNAVAILABLE. */
int ddi_running_count(struct app *app, struct nb_err *e);
/* The software the device's mode points at into *c: 1, 0 when there is
 * none, -1 with e NB_UNAVAILABLE. */
int ddi_candidate_find(struct app *app, const struct ddi_device *dev, struct ddi_candidate *c,
		       struct nb_err *e);
/* The same without failed_before: it depends only on mode, feed or
 * assignment, board and revision, so it can be cached (1, 0 none, -1 with e) */
int ddi_candidate_lookup(struct app *app, const struct ddi_device *dev, struct ddi_candidate *c,
			 struct nb_err *e);
/* 1 when the device's newest action of the software failed, 0 when not
 * (or it has none), -1 with e NB_UNAVAILABLE. */
int ddi_failed_before(struct app *app, long long device_id, long long software_id,
		      struct nb_err *e);
/*
 * What is there instead of a candidate for dev (struct ddi_nocand): raw
 * values, their text in arena a; the explanation (ddi_decide.c) names
 * them.  0, or -1 with e NB_UNAVAILABLE when the store cannot be read.
 */
int ddi_nocand_facts(struct app *app, struct arena *a, const struct ddi_device *dev,
		     struct ddi_nocand *f, struct nb_err *e);

/* -- finding devices (admin pages, API, nestboxctl): ddi_store.c -- */
enum ddi_sort {
	DDI_SORT_ID, DDI_SORT_CID, DDI_SORT_NAME, DDI_SORT_STATE, DDI_SORT_VERSION,
	DDI_SORT_MODEL, DDI_SORT_FEED, DDI_SORT_MODE, DDI_SORT_SEEN, DDI_SORT_COUNT
};
/* The words ?sort= takes, in enum ddi_sort's order, NULL-terminated. */
extern const char *const ddi_sort_words[];
struct ddi_search {
	const char *q;			/* substring of controller id, name, tags or attributes */
	const char *state;		/* exact state; NULL any */
	const char *feed, *model, *version;	/* substrings (case-insensitive); NULL any */
	long long seen_lo, seen_hi;	/* last_seen range (unix s); seen_lo < 0: any */
	long long after;		/* ids above this only (keyset paging by id); 0 all */
	enum ddi_sort sort;
	int desc;			/* 1: descending */
	long long offset, limit;	/* the page: rows skipped, at most limit rows */
};
struct ddi_device_row {
	long long id, last_seen;
	char tenant[DDI_FEED_MAX + 1], cid[DDI_CID_MAX + 1], name[64], tags[256];
	char hw_model[64], hw_revision[64], sw_version[64], feed[64], mode[16], state[16];
	char last_addr[64];
};
/*
 * One page of the devices s matches, in s->sort order (ties by id), into
 * out (room for max rows, max >= s->limit); *total is how many match in
 * all.  The count of rows written, or -1 with e NB_UNAVAILABLE.
 */
int ddi_device_search(struct app *app, const struct ddi_search *s, struct ddi_device_row *out,
		      int max, long long *total, struct nb_err *e);

/* What one bulk action does to each selected device. */
enum ddi_bulk_op { DDI_BULK_ASSIGN, DDI_BULK_FEED, DDI_BULK_MODE, DDI_BULK_CANCEL,
		   DDI_BULK_DELETE };
/*
 * Applies op to the n devices ids in one transaction: ASSIGN (software
 * assigned > 0: mode assigned), FEED (arg, 1..DDI_FEED_MAX bytes), MODE
 * (arg rollout, latest or pinned), CANCEL (those with an open action),
 * DELETE.  All or nothing: the count changed, or -1 with e (NB_INVALID
 * a bad argument, NB_NOT_FOUND a device or the software is not there,
 * NB_UNAVAILABLE the store failed) and nothing changed.
 */
/* A device's tags as stored ("a,b"), into out (n bytes, "" on failure);
 * 0, or -1 with e NB_NOT_FOUND (no such device) or NB_UNAVAILABLE. */
int ddi_device_tags(struct app *app, long long id, char *out, size_t n, struct nb_err *e);
long ddi_device_bulk(struct app *app, enum ddi_bulk_op op, const long long *ids, int n,
		     const char *arg, long long assigned, struct nb_err *e);

/* -- what operators change -- */
/*
 * Device id's update mode (rollout, latest, pinned, or assigned with
 * software assigned > 0); ends a held cancel.  0, or -1 with e: NB_INVALID
 * (another mode, assigned without software), NB_NOT_FOUND (no such device,
 * or no such software to assign), NB_UNAVAILABLE.
 */
int ddi_device_set_mode(struct app *app, long long id, const char *mode, long long assigned,
			struct nb_err *e);
/*
 * field: "feed" (1 to DDI_FEED_MAX bytes), "name" (at most 63), "tags"
 * (comma-separated, at most 255) or "force" ("1" / "0").  0, or -1 with e
 * NB_INVALID (another field, a value out of bounds), NB_NOT_FOUND (no such
 * device) or NB_UNAVAILABLE.
 */
int ddi_device_set_field(struct app *app, long long id, const char *field, const char *value,
			 struct nb_err *e);
/* Deletes device id with its actions: 0, or -1 with e NB_NOT_FOUND or NB_UNAVAILABLE. */
int ddi_device_delete(struct app *app, long long id, struct nb_err *e);
/* Cancels device device_id's open action (a waiting one at once, a
 * running one asks the device): 0, or -1 with e NB_CONFLICT (none is
 * open) or NB_UNAVAILABLE. */
int ddi_action_cancel(struct app *app, long long device_id, struct nb_err *e);
/* Turns device id's auto-confirm on (by whom and why: "" or NULL none)
 * or off: 0, or -1 with e NB_NOT_FOUND or NB_UNAVAILABLE. */
int ddi_device_auto_confirm(struct app *app, long long id, int on, const char *by,
			    const char *remark, struct nb_err *e);

/* -- what the device API and nestboxctl read back (ddi_store.c) -- */
/*
 * Device id's stored configData attributes (a JSON object's text) copied
 * into arena a, into *out ("" when it has none or there is no such
 * device): 0, or -1 with e NB_UNAVAILABLE (never "" for a store that
 * failed: the merge would drop what was stored).  Read inside configData's
 * write transaction.
 */
int ddi_device_attrs_text(struct app *app, struct arena *a, long long id, const char **out,
			  struct nb_err *e);
/* Who turned a device's auto-confirm on, why, and when (unix ms; 0 never). */
struct ddi_autoconfirm {
	const char *by, *remark;	/* "" when not given; in the caller's arena */
	long long at;
};
/* Device id's auto-confirm facts into *out (strings in a): 0, or -1 with
 * e NB_NOT_FOUND (no such device) or NB_UNAVAILABLE. */
int ddi_device_autoconfirm_get(struct app *app, struct arena *a, long long id,
			       struct ddi_autoconfirm *out, struct nb_err *e);
/* The tenant of the first device (by id) with controller id cid, into
 * tenant (n bytes, "" when none): 0, or -1 with e NB_NOT_FOUND ("no device
 * <cid>") or NB_UNAVAILABLE. */
int ddi_device_first_tenant(struct app *app, const char *cid, char *tenant, size_t n,
			    struct nb_err *e);
/*
 * Every device, by controller id, into *out (an array in arena a; each
 * row as ddi_device_search fills it): the count, or -1 with e
 * NB_UNAVAILABLE.
 */
int ddi_device_roster(struct app *app, struct arena *a, struct ddi_device_row **out,
		      struct nb_err *e);
/* One action of a device with its software's version. */
struct ddi_action_entry {
	struct ddi_action a;		/* rollout_id 0 outside a rollout */
	char version[64];
};
/* Device device_id's actions, newest first, into *out (an array in
 * arena a): the count, or -1 with e NB_UNAVAILABLE. */
int ddi_action_history(struct app *app, struct arena *a, long long device_id,
		       struct ddi_action_entry **out, struct nb_err *e);

/* -- rollouts (ddi_rollout.c: the rules; ddi_rollout_store.c: their rows) -- */
/*
 * From r's name, feed, software_id, percent and failure limits: the id, or
 * -1 with e (NB_INVALID: a bound broken; NB_NOT_FOUND: no such software;
 * NB_UNAVAILABLE: the store failed).
 */
long long ddi_rollout_create(struct app *app, const struct ddi_rollout *r, struct nb_err *e);
/*
 * Pauses ("paused") or resumes ("running") rollout id, or moves its stage
 * to percent (1..100; devices offered already keep it).  0, or -1 with e:
 * NB_INVALID (another state, a percent out of range), NB_NOT_FOUND (no
 * such rollout), NB_CONFLICT (it ended: "rollout <id> is <state>: it
 * changes no more"), NB_UNAVAILABLE.
 */
int ddi_rollout_set_state(struct app *app, long long id, const char *state, struct nb_err *e);
int ddi_rollout_stage(struct app *app, long long id, int percent, struct nb_err *e);
/* An action of rollout id closed; min_results is ddi.rollout_min_results
 * (struct ddi_settings): the results before a failure rate may pause it.
 * In the caller's transaction: 0, or -1 with e NB_UNAVAILABLE. */
int ddi_rollout_result(struct app *app, long long id, int success, long long min_results,
		       struct nb_err *e);
/* Rollout id into *r: 0, or -1 with e (NB_NOT_FOUND "no rollout <id>";
 * NB_UNAVAILABLE when the store cannot be read, so a busy store is a 503,
 * never a 404).  e may be NULL. */
int ddi_rollout_get(struct app *app, long long id, struct ddi_rollout *r, struct nb_err *e);
/* Rollouts newest first, from offset, at most max into out: how many were
 * filled, or -1 with e NB_UNAVAILABLE (never a list cut short). */
int ddi_rollout_list(struct app *app, struct ddi_rollout *out, int max, int offset,
		     struct nb_err *e);
/* The running and paused rollouts, newest first: how many were filled, or
 * -1 with e NB_UNAVAILABLE. */
int ddi_rollout_active(struct app *app, struct ddi_rollout *out, int max, struct nb_err *e);
/*
 * Ends rollout id: state "finished" (nothing more is offered, what runs
 * runs on) or "canceled" (also withdraws its offers not yet taken and asks
 * devices installing it to stop; *withdrawn counts those actions).  0, or
 * -1 with e: NB_NOT_FOUND (no such rollout), NB_CONFLICT (it ended
 * already), NB_UNAVAILABLE (the store failed).
 */
int ddi_rollout_end(struct app *app, long long id, const char *state, int *withdrawn,
		    struct nb_err *e);
/* Sets the failure limits (0 = none; a rate in percent, 0..100) of a
 * running or paused rollout: 0, or -1 with e NB_INVALID, NB_NOT_FOUND,
 * NB_CONFLICT (it ended) or NB_UNAVAILABLE. */
int ddi_rollout_limits(struct app *app, long long id, int max_failures, int max_failure_rate,
		       struct nb_err *e);

/* A rollout's devices by result; ddi_rollout_groups[] names each group. */
enum { DDI_RG_SUCCEEDED, DDI_RG_FAILED, DDI_RG_RUNNING, DDI_RG_WAITING, DDI_RG_NOT_ELIGIBLE,
       DDI_RG_N };
extern const char *const ddi_rollout_groups[DDI_RG_N];
struct ddi_rollout_dev {
	long long id;
	char tenant[64], cid[DDI_CID_MAX + 1], name[128], mode[16];
	char board[64], revision[64], version[64];
	char note[256];		/* failed: the last line it reported; else why it waits */
	long long offered;	/* when its newest action of the rollout was made (Unix s); 0: none */
	int answered;		/* the device sent a status line for that action */
	int group;
};
/*
 * Classifies d (its mode, board, revision, version, answered filled) for
 * rollout ro from its newest action of ro (status "" when none; an open
 * one the device never answered waits, it is not running; details: that
 * action's newest status lines), whether the software fits its board and
 * whether it sent attributes; sets d->group and d->note, returns the group.
 */
int ddi_rollout_group(const struct ddi_rollout *ro, struct ddi_rollout_dev *d,
		      const char *status, const char *details, int compatible, int has_attrs);
/*
 * The devices of ro's feed and those with an action of ro, by id: the
 * first max into out, every one counted into counts[group].  Returns how
 * many were filled, or -1 with e NB_UNAVAILABLE.  Devices that can take
 * the software are all but counts[DDI_RG_NOT_ELIGIBLE].
 */
int ddi_rollout_devices(struct app *app, const struct ddi_rollout *ro,
			struct ddi_rollout_dev *out, int max, long long counts[DDI_RG_N],
			struct nb_err *e);

/*
 * -- rollouts' rows (ddi_rollout_store.c): what the rules above read and
 * write, without checking them (the callers do) --
 */
/*
 * Inserts rollout r (its feed, software_id, percent and failure limits,
 * already checked) under name, running: the id, or -1 with e
 * NB_UNAVAILABLE.
 */
long long ddi_rollout_insert(struct app *app, const struct ddi_rollout *r, const char *name,
			     struct nb_err *e);
/*
 * A running or paused rollout's state ("running" or "paused": pausing
 * records "paused by an operator", running clears the reason), percent
 * (its stage) or failure limits: 1 when the row changed, 0 when there is
 * no such rollout or one that ended, -1 with e
 * NB_UNAVAILABLE when the store failed.
 */
int ddi_rollout_put_state(struct app *app, long long id, const char *state, struct nb_err *e);
int ddi_rollout_put_percent(struct app *app, long long id, int percent, struct nb_err *e);
int ddi_rollout_put_limits(struct app *app, long long id, int max_failures,
			   int max_failure_rate, struct nb_err *e);
/*
 * Ends a running or paused rollout in one transaction with state
 * "finished" or "canceled" (canceled also cancels its waiting actions,
 * their devices back to registered, and turns its running ones to
 * canceling; *withdrawn counts both).  0 when ended; 1 when it is not
 * running or paused (no such rollout, or ended already); -1 with e
 * NB_UNAVAILABLE when the store failed.  Nothing changes unless 0.
 */
int ddi_rollout_close(struct app *app, long long id, const char *state, int *withdrawn,
		      struct nb_err *e);
/* One device of a rollout as the store reads it (ddi_rollout_dev_each). */
struct ddi_rollout_devrow {
	struct ddi_rollout_dev d;	/* id, tenant, cid, name, mode, board, revision, version */
	const char *status;		/* its newest action of the rollout; "" none */
	const char *details;		/* that action's newest status lines; "" none */
	int compatible;			/* the rollout's software fits its board and revision */
	int has_attrs;			/* it sent its attributes */
};
/* Called per device; row and its strings last until the call returns. */
typedef void ddi_rollout_dev_fn(void *ctx, struct ddi_rollout_devrow *row);
/*
 * Calls fn for each device of ro's feed and each device with an action of
 * ro (its id, software_id and feed are read), by id.  The count, or -1
 * with e NB_UNAVAILABLE (fn may have seen some rows).
 */
int ddi_rollout_dev_each(struct app *app, const struct ddi_rollout *ro, ddi_rollout_dev_fn *fn,
			 void *ctx, struct nb_err *e);

/* -- what devices send (ddi_json.c) -- */
struct ddi_fb {
	const char *execution, *finished;
	char *details;		/* the details lines, each ending in \n */
	int progress;		/* percent, -1 when not reported */
};
/*
 * Each parser takes a body of len bytes and answers 0, or -1 with e
 * NB_INVALID and a message for the device: not UTF-8, not a JSON object, a
 * required member of hawkBit's model missing or of the wrong type, a bound
 * passed.
 */
int ddi_feedback_parse(struct arena *a, const char *body, size_t len, struct ddi_fb *out,
		       struct nb_err *e);
/* 1 when s (NULL: no) is a DDI status.execution ("closed", "proceeding",
 * ...) or result.finished ("success", "failure", "none") the feedback
 * parser takes; exact, case-sensitive (hawkBit's enums), else 0. */
int ddi_execution_ok(const char *s);
int ddi_finished_ok(const char *s);
int ddi_confirm_parse(struct arena *a, const char *body, size_t len, int *confirmed,
		      char **details, struct nb_err *e);
int ddi_autoconfirm_parse(struct arena *a, const char *body, size_t len, const char **initiator,
			  const char **remark, struct nb_err *e);
/* The device's attributes after a configData body; *merged is malloc'd
 * (NB_INTERNAL when it cannot be). */
int ddi_config_merge(const char *body, size_t len, const char *current, char **merged,
		     struct nb_err *e);
/* PUT installedBase: {"name": "...", "version": "..."}, both required. */
int ddi_installed_parse(struct arena *a, const char *body, size_t len, const char **name,
			const char **version, struct nb_err *e);

/* -- settings (ddi_settings.c): read once, at start -- */
#define DDI_TENANTS_MAX 64	/* tenants one server serves (ddi.tenants) */
struct ddi_settings {
	char auth_mode[16];		/* ddi.auth_mode: setup, lax, strict */
	char poll_time[16];		/* ddi.poll_time, HH:MM:SS */
	const char *gateway_token;	/* ddi.gateway_token ("" none), kept by app->conf */
	int confirm;			/* ddi.confirmation_required */
	long max_running;		/* ddi.max_concurrent_updates, 0 no limit */
	struct ddi_self_limits self;	/* ddi.self_register_max, _per_hour */
	long long rollout_min_results;	/* ddi.rollout_min_results */
	int rollout_max_failures;	/* ddi.rollout_max_failures (a new rollout's default) */
	int rollout_max_failure_rate;	/* ddi.rollout_max_failure_rate, percent */
	int ntenants;			/* ddi.tenants, parsed: 0 serves none (all 404) */
	char tenant[DDI_TENANTS_MAX][DDI_FEED_MAX + 1];
};
/*
 * Reads the ddi.* keys of app->conf into s (the only place they are
 * read): 0, or -1 with e NB_INVALID naming the key and its rule (an auth
 * mode that is not setup, lax or strict; a poll time that is not
 * HH:MM:SS; a tenant of 0 or more than DDI_FEED_MAX bytes; more than
 * DDI_TENANTS_MAX tenants): the program then does not start.
 */
int ddi_settings_read(const struct app *app, struct ddi_settings *s, struct nb_err *e);
/*
 * The comma-separated list of ddi.tenants (a C string) into s->tenant[]
 * and s->ntenants; "" serves none.  0, or -1 with e NB_INVALID naming
 * ddi.tenants and its rule (a tenant of 0 or more than DDI_FEED_MAX
 * bytes, more than DDI_TENANTS_MAX).  Fuzzed: tests/fuzz/fuzz_ddi_routes.c.
 */
int ddi_tenants_parse(const char *list, struct ddi_settings *s, struct nb_err *e);
/* 1 when s serves tenant t (an exact, case-sensitive match), else 0. */
int ddi_tenant_served(const struct ddi_settings *s, const char *t);

/*
 * Route field validators of ddi.fcgi (req.h): pure, no allocation (the
 * poll is ROUTE_HOT).  ddi_tenant_valid refuses a tenant not in
 * ((struct ddi *)app->domain)->set with NB_NOT_FOUND "unknown tenant" (a
 * server that does not serve it, as hawkBit's 404); ddi_cid_valid refuses
 * what breaks ddi_controller_id_ok() (400 "invalid controllerId");
 * ddi_history_valid takes ?actionHistory=N, any integer: out->i is N cut
 * to DDI_HISTORY_MAX, -1 for a negative N (all), 0 none.
 */
int ddi_tenant_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int ddi_cid_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e);
int ddi_history_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e);

/*
 * -- the device API: one file per resource under
 * /{tenant}/controller/v1/{controllerId}, each handler a route_run_fn
 * (0 answered, -1 with e) --
 */
int ddi_init(struct app *app, struct nb_err *e);
void ddi_fini(struct app *app);
/* authentication (ddi_auth.c), the program's before hook (app.h): 0 when
 * the device may go on; -1 with e (NB_UNAUTHORIZED; NB_FORBIDDEN or
 * NB_TOO_MANY from a self-registration limit; NB_UNAVAILABLE), a
 * Retry-After set on w for the last two */
int ddi_before(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_poll.c: GET {controllerId} */
int ddi_poll(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_config_data.c: PUT configData */
int ddi_config_data(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_deployment.c: GET deploymentBase/{actionId} */
int ddi_deployment(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_feedback.c: POST deploymentBase/{actionId}/feedback */
int ddi_feedback(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_cancel.c: GET cancelAction/{actionId} and POST its feedback */
int ddi_cancel(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int ddi_cancel_feedback(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e);
/* ddi_installed.c: GET installedBase/{actionId}, PUT installedBase */
int ddi_installed(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int ddi_installed_put(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e);
/* ddi_artifacts.c: GET softwaremodules/{softwareModuleId}/artifacts[/{fileName}] */
int ddi_artifacts(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int ddi_artifact(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ddi_confirmation.c: confirmationBase, its actions and auto-confirm */
int ddi_confirmation_base(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e);
int ddi_confirmation_action(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e);
int ddi_confirmation_feedback(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e);
int ddi_autoconfirm_on(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);
int ddi_autoconfirm_off(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e);

#endif

/*
 * What nestbox adds to GitHub's shapes for a fleet: which board fetched
 * what (the inventory) and staged rollouts of the stable channel.
 *
 * A board is known by the token it sends ("Authorization: token T",
 * per-board read tokens: its row keeps only sha256(T)) or, without one,
 * by its address.  Boards check often and fetch rarely, so the check path
 * reads one row and writes only when something changed or last_seen is a
 * minute old (as DDI coalesces last_seen); a fetch writes once per new
 * file.  The rollout rule is a pure function of the release's tag and the
 * board's key (ota_rollout_bucket), so raising the percent only adds
 * boards, and a board never loses a release it has started fetching.
 */
#include "ota_http.h"
#include "../lib/auth.h"
#include "../lib/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEEN_EVERY 60	/* seconds: last_seen is kept to the minute */

void ota_who_of(struct app *app, struct http_req *r, const struct ota_repo *repo,
		struct ota_who *who)
{
	const char *tok = ota_auth_token(r);
	char h[HASH_HEX_MAX];
	struct nb_err e;

	memset(who, 0, sizeof(*who));
	who->addr = r->remote_addr ? r->remote_addr : "";
	who->agent = http_header(r, "User-Agent");
	if (!who->agent)
		who->agent = "";
	snprintf(who->name, sizeof(who->name), "%s", who->addr);
	if (!tok || !*tok) {
		snprintf(who->key, sizeof(who->key), "a:%s", who->addr);
		return;
	}
	nb_err_clear(&e);
	if (ota_token_check(app, repo->id, tok, who->name, sizeof(who->name), &e) == 0) {
		/* one of the repository's tokens: the operator made it, the board
		 * only repeats it, so its key (and rollout bucket) is the server's */
		auth_token_hash(tok, h);
		snprintf(who->key, sizeof(who->key), "t:%s", h);
		if (!who->name[0])
			snprintf(who->name, sizeof(who->name), "%s", who->addr);
		return;
	}
	/* any other token is the board's own choice: as anonymous as none (no
	 * row per made-up token, no bucket picked by trying tokens) */
	snprintf(who->name, sizeof(who->name), "%s", who->addr);
	snprintf(who->key, sizeof(who->key), "a:%s", who->addr);
	/* the store failed: who it is is not known; the inventory is left as
	 * it is (its row would be renamed) */
	if (e.kind != NB_NOT_FOUND) {
		who->unknown = 1;
		fprintf(stderr, "nestbox[ota]: board inventory: %s\n", e.msg);
	}
}

/* The board's row, or a new one (never seen: first_seen now); -1 when
 * the store cannot say, who is unknown (a store failure said on stderr:
 * the inventory is best effort, the board's answer goes on) or the
 * repository has ota.max_boards boards already.  app is ota.fcgi's (its
 * settings in app->domain). */
static int board_load(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		      struct ota_boardrow *b, int *fresh)
{
	const struct ota *o = app->domain;
	struct nb_err e;
	long long n;

	*fresh = 0;
	if (who->unknown)
		return -1;	/* said by ota_who_of */
	if (ota_board_get(app, repo->id, who->key, b, &e) == 0)
		return 0;
	if (e.kind != NB_NOT_FOUND) {
		fprintf(stderr, "nestbox[ota]: board inventory: %s\n", e.msg);
		return -1;
	}
	/* a new board: only while the repository has room (ota.max_boards) */
	if (ota_board_count(app, repo->id, &n, &e) < 0) {
		fprintf(stderr, "nestbox[ota]: board inventory: %s\n", e.msg);
		return -1;
	}
	if (n >= o->set.max_boards)
		return -1;	/* served, not recorded: the inventory is full */
	memset(b, 0, sizeof(*b));
	b->repo_id = repo->id;
	snprintf(b->key, sizeof(b->key), "%s", who->key);
	b->first_seen = (long long)time(NULL);
	*fresh = 1;
	return 0;
}

/* Copies who's name, address and agent into b; 1 when one changed. */
static int board_ident(struct ota_boardrow *b, const struct ota_who *who)
{
	char agent[sizeof(b->agent)];
	int changed;

	snprintf(agent, sizeof(agent), "%s", who->agent);
	changed = strcmp(b->name, who->name) || strcmp(b->address, who->addr) ||
		  strcmp(b->agent, agent);
	snprintf(b->name, sizeof(b->name), "%s", who->name);
	snprintf(b->address, sizeof(b->address), "%s", who->addr);
	snprintf(b->agent, sizeof(b->agent), "%s", agent);
	return changed;
}

static void board_save(struct app *app, const struct ota_boardrow *b)
{
	struct nb_err e;

	if (ota_board_put(app, b, &e) < 0)
		fprintf(stderr, "nestbox[ota]: board inventory: %s\n", e.msg);
}

void ota_board_seen(struct app *app, const struct ota_repo *repo, const struct ota_who *who)
{
	struct ota_boardrow b;
	long long now = (long long)time(NULL);
	int fresh;

	if (board_load(app, repo, who, &b, &fresh) < 0)
		return;
	if (board_ident(&b, who) || fresh || now - b.last_seen >= SEEN_EVERY) {
		b.last_seen = now;
		board_save(app, &b);
	}
}

void ota_board_fetched(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		       const char *ref, const char *commit, int manifest_mode, const char *path)
{
	struct ota_boardrow b;
	struct nb_err e;
	int fresh, changed, cmp;

	if (board_load(app, repo, who, &b, &fresh) < 0)
		return;
	changed = board_ident(&b, who) | fresh;
	if (strcmp(b.fetch_commit, commit)) {
		/* a new fetch: how many files make it complete */
		if (ota_file_count(app, repo->id, commit, manifest_mode, &b.fetch_total, &e) < 0) {
			fprintf(stderr, "nestbox[ota]: board inventory: %s\n", e.msg);
			return;
		}
		snprintf(b.fetch_commit, sizeof(b.fetch_commit), "%s", commit);
		b.fetch_n = 0;
		b.fetch_path[0] = '\0';
	}
	snprintf(b.fetch_ref, sizeof(b.fetch_ref), "%s", ref);
	/*
	 * The client walks the manifest or tree in path order (git's tree
	 * order is the byte order of whole paths): the same path again is a
	 * retry, counted once; a smaller one starts a new pass.
	 */
	cmp = strncmp(path, b.fetch_path, sizeof(b.fetch_path) - 1);
	if (cmp) {
		snprintf(b.fetch_path, sizeof(b.fetch_path), "%s", path);
		b.fetch_n = cmp < 0 ? 1 : b.fetch_n + 1;
		changed = 1;
	}
	if (b.fetch_n >= b.fetch_total && strcmp(b.done_commit, commit)) {
		snprintf(b.done_commit, sizeof(b.done_commit), "%s", commit);
		snprintf(b.done_ref, sizeof(b.done_ref), "%s", ref);
		b.done_at = (long long)time(NULL);
	}
	if (changed || (long long)time(NULL) - b.last_seen >= SEEN_EVERY) {
		b.last_seen = (long long)time(NULL);
		board_save(app, &b);
	}
}

int ota_rollout_bucket(const char *tag, const char *key)
{
	char hex[HASH_HEX_MAX], *text;
	size_t n = strlen(tag) + strlen(key) + 2;

	text = malloc(n);
	if (!text)
		return 99;	/* out of memory: the board waits, the safe side */
	snprintf(text, n, "%s\n%s", tag, key);
	hash_hex(HASH_SHA256, text, n - 1, hex);
	free(text);
	hex[8] = '\0';
	return (int)(strtoul(hex, NULL, 16) % 100);
}

/* 1 when the board has started or finished fetching commit, 0 when not
 * (or never seen), -1 with e when the store cannot say. */
static int board_has(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		     const char *commit, struct nb_err *e)
{
	struct ota_boardrow b;

	if (ota_board_get(app, repo->id, who->key, &b, e) < 0)
		return e->kind == NB_NOT_FOUND ? 0 : -1;
	return !strcmp(b.fetch_commit, commit) || !strcmp(b.done_commit, commit);
}

/*
 * A store that cannot answer is an error (503, the board retries), never
 * a guess: guessing "no rollout" would hand the release to every board,
 * guessing "not fetched" would take it from a board that has it.
 */
int ota_latest_read(struct app *app, long long repo_id, struct ota_release *rel,
		    struct ota_rollout *ro, int *has_ro, struct nb_err *e)
{
	*has_ro = 0;
	if (ota_release_latest(app, repo_id, rel, e) < 0)
		return -1;
	if (ota_rollout_get(app, repo_id, ro, e) == 0)
		*has_ro = 1;
	else if (e->kind != NB_NOT_FOUND)
		return -1;
	return 0;			/* no rollout: every board gets the newest */
}

int ota_rollout_pick(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		     const struct ota_rollout *ro, struct ota_release *rel, struct nb_err *e)
{
	int has;

	if (!ro || ro->release_id != rel->id || !ro->prev_id)
		return 0;
	if (!ro->paused && ota_rollout_bucket(rel->tag, who->key) < ro->percent)
		return 0;
	has = board_has(app, repo, who, rel->commit, e);
	if (has != 0)
		return has < 0 ? -1 : 0;	/* it keeps the release it started */
	return ota_release_by_id(app, repo->id, ro->prev_id, rel, e);
}

int ota_release_for(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		    struct ota_release *rel, struct nb_err *e)
{
	struct ota_rollout ro;
	int has_ro;

	if (ota_latest_read(app, repo->id, rel, &ro, &has_ro, e) < 0)
		return -1;
	return ota_rollout_pick(app, repo, who, has_ro ? &ro : NULL, rel, e);
}

int ota_rollout_change(struct app *app, long long repo_id, int percent, int pause,
		       struct ota_rollout *ro, struct nb_err *e)
{
	struct ota_release rel;
	int got;

	if (percent < -1 || percent > 100)
		return nb_fail(e, NB_INVALID, "the stage is a percent of the boards, 0..100");
	if (ota_release_latest(app, repo_id, &rel, e) < 0)
		return nb_err_prefix(e, "no release to roll out");
	got = ota_rollout_get(app, repo_id, ro, e);
	if (got < 0 && e->kind != NB_NOT_FOUND)
		return -1;
	if (got < 0 || ro->release_id != rel.id) {
		/* releases published before rollouts existed: all boards have it */
		memset(ro, 0, sizeof(*ro));
		ro->repo_id = repo_id;
		ro->release_id = rel.id;
		ro->percent = 100;
	}
	if (percent >= 0)
		ro->percent = percent;
	if (pause >= 0)
		ro->paused = pause;
	return ota_rollout_put(app, ro, e);
}

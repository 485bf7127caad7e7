/*
 * subscribe.c: subscribe streams and their venvs_changed notifications.
 *
 * A subscriber is a connection that asked "subscribe", with the answers
 * it was last sent for each of its paths (or, with no paths, the index).
 * An ev_prepare watcher notices the generation moving after any loop
 * iteration; a settle timer then waits until it has been quiet for
 * SUBSCRIBE_QUIET_S, but never longer than SUBSCRIBE_MAX_DELAY_S after
 * the first change, so a "python -m venv" (thousands of events) becomes
 * one notification. On settling, every subscriber's paths are resolved
 * again through the cache and compared with what it was last sent; the
 * index's records that may have changed are read again and compared
 * with the copy kept here. A notification goes only to a subscriber
 * whose view changed.
 *
 * What may have changed is told, path by path, by the modules that
 * change it (subscribe_touched, wired in venvd_daemon.c): index.c's
 * touch hook for every write to a record (recorded, resolved, moved,
 * marked missing, forgotten, activations counted; sizer.c's sizes and
 * interp.c's broken state go through index.c or index_touched),
 * cache.c for each venv whose cached answer an event dropped (a file
 * of its bin/ or its pyvenv.cfg changed: its verdict may have), and
 * verdict.c for a git check settled or a decision that moved. So a
 * settle costs what changed, not the size of the index. The kinds no
 * hook can place mark the whole index dirty, and only that settle
 * lists and compares all of it (index_list()): a decision given (allow
 * or deny, which every record reaching that venv by any path shows), a
 * stale decision dropped, a root unwatched (its records lose their
 * root), the watcher losing events, no copy of the index yet (the
 * index could not be read), or more paths to read than a listing costs
 * (SUBSCRIBE_DIRTY_MAX, a quarter of the index). A verdict can only
 * change with the files of the venv, which the cache watches for a
 * venv it answers with (an event drops that answer, and the hook says
 * so): the verdict of a venv no cached answer gives is read again when
 * its record is touched, as the full listing used to do at whatever
 * settle came next.
 *
 * The clock. Every settle that changed a record of the index (a venv
 * added, removed, moved, its state, broken, trust or size changed) or
 * moved the generation (which may change some path's answer) moves the
 * clock, "<instance>:<N>" (instance as in the generation; N counts
 * settles that changed something). The paths of the records each one
 * changed go into a change log of the last SUBSCRIBE_LOG_MAX entries
 * and at most SUBSCRIBE_LOG_BYTES of paths: 4096 venvs at about 100
 * bytes a path, some 450 KiB at most with the entries' own size. That
 * covers a client that reconnects after a restart of the editor, or
 * after a batch as large as a first scan of a big tree, and a resume
 * that it cannot cover costs no more than the full state it falls back
 * to. subscribe {"since": CLOCK} of this instance, not older than the
 * oldest change the log holds, answers only what changed after it: for
 * the index, the records of the paths logged since (or {"path": P,
 * "removed": true}); for paths, every path when the clock moved at all
 * (listing more than changed is allowed, less never). Anything else
 * gets "fresh_instance": true and the full state.
 *
 * A subscriber's connection is the struct request_conn its subscribe
 * came on; output to it is queued through that connection's send op,
 * capped at VENVD_SUBSCRIBE_QUEUE_CAP: a peer that stops reading is sent a final
 * error notification and dropped. The state here (with the change
 * log) is made by the first subscriber and kept until the daemon stops,
 * so that a client can resume after its connection was gone; an
 * editor-free daemon pays nothing.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "daemon.h"
#include "cache.h"
#include "db.h"
#include "generation.h"
#include "index.h"
#include "request.h"
#include "subscribe.h"
#include "verdict.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

#define SUBSCRIBE_QUIET_S	(VENVD_SUBSCRIBE_QUIET_MS / 1000.0)
#define SUBSCRIBE_MAX_DELAY_S	(VENVD_SUBSCRIBE_MAX_DELAY_MS / 1000.0)
#define SUBSCRIBE_LOG_MAX	VENVD_SUBSCRIBE_LOG_MAX
#define SUBSCRIBE_LOG_BYTES	VENVD_SUBSCRIBE_LOG_BYTES
/* Past this many paths to read again (and a quarter of the index), list it all. */
#define SUBSCRIBE_DIRTY_MAX	256

/* One entry of the change log: the record at path changed at clock. */
struct subs_change {
	uint64_t	 clock;
	char		*path;
};

struct sub_path {
	char		*path;		/* as the subscriber gave it */
	char		*dir;		/* the directory resolved for it */
	json_t		*last;		/* the venv object last sent, or json null */
};

struct subscriber {
	struct subs	*subs;
	struct request_conn	*conn;
	struct sub_path	*paths;
	size_t		 npaths;	/* 0: the whole index */
	LIST_ENTRY(subscriber) entry;
};

struct subs {
	struct daemon	*d;
	ev_prepare	 prepare;	/* notices generation changes */
	ev_timer	 settle;	/* fires once the changes settle */
	char		 seen[64];	/* the generation last noticed */
	int		 db_changes;	/* sqlite3_total_changes() last noticed */
	int		 snap_changes;	/* ... when index was taken */
	ev_tstamp	 first;		/* first unsettled change, 0 if none */
	json_t		*index;		/* path -> list record, as last compared */
	json_t		*dirty;		/* path -> true: records to read again */
	json_t		*below;		/* path -> true: ... and every one below */
	int		 full;		/* a change no path names: list it all */
	int		 poke;		/* told of a change since the last settle */
	char		 settled[64];	/* the generation after the last settle */
	uint64_t	 clock;		/* settles that changed something */
	uint64_t	 floor;		/* the newest clock dropped from the log */
	struct subs_change log[SUBSCRIBE_LOG_MAX];	/* a ring, oldest at head */
	size_t		 log_head;
	size_t		 log_len;
	size_t		 log_bytes;	/* of the paths in it */
	int		 busy;		/* notifying: do not free */
	size_t		 n;
	size_t		 n_index;	/* subscribers with no paths */
	LIST_HEAD(, subscriber) list;
};

/* Rows the index has written so far (0 without one): moves when a venv is recorded. */
static int
subs_db_changes(struct daemon *d)
{
	struct sqlite3 *h = d->db != NULL ? db_handle(d->db) : NULL;

	return h != NULL ? sqlite3_total_changes(h) : 0;
}

/* The index as {path: record}, from index_list(); NULL if unavailable. */
static json_t *
subs_index_snapshot(struct daemon *d)
{
	json_t *list, *venvs, *v, *snap = NULL;
	char err[256];
	int code;
	size_t i;

	list = index_list(d, NULL, &code, err, sizeof err);
	venvs = json_object_get(list, "venvs");
	if (json_is_array(venvs)) {
		snap = json_object();
		json_array_foreach(venvs, i, v) {
			const char *p = json_string_value(json_object_get(v, "path"));

			if (p != NULL)
				json_object_set_nocheck(snap, p, v);
		}
	}
	json_decref(list);
	return snap;
}

/* Are two index records the same, apart from last_seen (refreshed by every visit)? */
static int
subs_record_equal(json_t *a, json_t *b)
{
	const char *key;
	json_t *v;

	if (json_object_size(a) != json_object_size(b))
		return 0;
	json_object_foreach(a, key, v) {
		if (strcmp(key, "last_seen") == 0)
			continue;
		if (!json_equal(v, json_object_get(b, key)))
			return 0;
	}
	return 1;
}

/*
 * Records that differ between old and new, as an array: a record for an
 * added or changed venv, {"path": P, "removed": true} for one gone.
 */
static json_t *
subs_index_diff(json_t *old, json_t *new)
{
	json_t *diff = json_array(), *v, *o, *gone;
	const char *path;

	json_object_foreach(new, path, v) {
		o = old != NULL ? json_object_get(old, path) : NULL;
		if (o == NULL || !subs_record_equal(o, v))
			json_array_append(diff, v);
	}
	if (old != NULL) {
		json_object_foreach(old, path, v) {
			if (new != NULL && json_object_get(new, path) != NULL)
				continue;
			gone = json_object();
			json_object_set_new(gone, "path", rpc_path_to_json(path));
			json_object_set_new(gone, "removed", json_true());
			json_array_append_new(diff, gone);
		}
	}
	return diff;
}

/* Add path (below: and every record below it; NULL: any) to what to read again. */
void
subscribe_touched(struct daemon *d, const char *path, int below)
{
	struct subs *subs = d->subs;

	if (subs == NULL)
		return;
	subs->poke = 1;
	if (path == NULL)
		subs->full = 1;
	else if (!subs->full)
		json_object_set_new(below ? subs->below : subs->dirty, path,
		    json_true());
}

/* Is path p at or below dir? */
static int
subs_at_or_below(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(p, dir, n) != 0)
		return 0;
	return p[n] == '\0' || p[n] == '/' || (n > 0 && dir[n - 1] == '/');
}

/*
 * Read again the records of dirty (and of every record at or below a
 * path of below) and bring index up to date. The records that differ go
 * to diff (as subs_index_diff gives them), their previous records to
 * old. The number of records read, or -1 when the index cannot be
 * read or more paths are dirty than a listing costs: nothing is changed then.
 */
static int
subs_index_apply(struct subs *subs, json_t *index, json_t *dirty,
    json_t *below, json_t *old, json_t *diff)
{
	json_t *fetched, *rec, *cur, *v, *w, *gone;
	const char *path, *dir;
	size_t n;

	json_object_foreach(below, dir, v) {
		json_object_set_new(dirty, dir, json_true());
		json_object_foreach(index, path, w)
			if (subs_at_or_below(path, dir))
				json_object_set_new(dirty, path, json_true());
	}
	n = json_object_size(dirty);
	if (n > SUBSCRIBE_DIRTY_MAX && n > json_object_size(index) / 4)
		return -1;
	fetched = json_object();
	json_object_foreach(dirty, path, v) {
		switch (index_get(subs->d, path, &rec)) {
		case -1:
			json_decref(fetched);
			return -1;
		case 0:
			rec = json_null();
			break;
		}
		json_object_set_new(fetched, path, rec);
	}
	json_object_foreach(fetched, path, rec) {
		cur = json_object_get(index, path);
		if (json_is_null(rec)) {
			if (cur == NULL)
				continue;
			json_object_set(old, path, cur);
			json_object_del(index, path);
			gone = json_object();
			json_object_set_new(gone, "path", rpc_path_to_json(path));
			json_object_set_new(gone, "removed", json_true());
			json_array_append_new(diff, gone);
			continue;
		}
		if (cur == NULL || !subs_record_equal(cur, rec)) {
			if (cur != NULL)
				json_object_set(old, path, cur);
			json_array_append(diff, rec);
		}
		json_object_set(index, path, rec);
	}
	json_decref(fetched);
	return (int)n;
}

/* The venv object answering dir now (json null when none applies). */
static json_t *
subs_answer(struct daemon *d, const char *dir)
{
	struct venv_info vi;
	char err[256];
	int hit = 0, cacheable = 1, rc;
	json_t *j;

	memset(&vi, 0, sizeof vi);
	rc = cache_resolve(d->cache, NULL, dir, &vi, &hit, &cacheable, err, sizeof err);
	if (rc != 1)
		return json_null();
	/*
	 * Judged as a resolve is: a client uses only a trusted venv, and a
	 * verdict that settles later (git) moves the generation, so the
	 * subscriber is sent the new trust then.
	 */
	if (d->verdicts != NULL) {
		free(vi.trust);
		vi.trust = verdict_judge(d->verdicts, &vi, &cacheable);
	}
	j = rpc_venv_to_json(&vi);
	venv_info_free(&vi);
	return j;
}

/* Add the index record for venv (or the venv object itself) to venvs once. */
static void
subs_add_record(json_t *venvs, json_t *index, json_t *venv)
{
	const char *p = json_string_value(json_object_get(venv, "path"));
	json_t *rec, *v;
	size_t i;

	if (p == NULL)
		return;
	json_array_foreach(venvs, i, v)
		if (strcmp(json_string_value(json_object_get(v, "path")), p) == 0)
			return;
	rec = index != NULL ? json_object_get(index, p) : NULL;
	json_array_append(venvs, rec != NULL ? rec : venv);
}

/*
 * Did venv's index record change its health or trust ("state", "broken",
 * "trust") from old to new? Sizes and times changing do not count.
 */
static int
subs_health_changed(json_t *old, json_t *new, json_t *venv)
{
	static const char *const keys[] = { "state", "broken", "trust" };
	const char *p = json_string_value(json_object_get(venv, "path"));
	json_t *a, *b, *va, *vb;
	size_t i;

	if (p == NULL || old == NULL || new == NULL)
		return 0;
	a = json_object_get(old, p);
	b = json_object_get(new, p);
	if (a == NULL || b == NULL)
		return 0;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		va = json_object_get(a, keys[i]);
		vb = json_object_get(b, keys[i]);
		if ((va == NULL) != (vb == NULL) ||
		    (va != NULL && !json_equal(va, vb)))
			return 1;
	}
	return 0;
}

/*
 * Compare what sub was last sent with the answers now. Fills changes
 * and venvs; every path when all is set. old and index are the index
 * before and now (either may be NULL). Updates what sub was sent.
 */
static void
subs_compare(struct subscriber *sub, json_t *old, json_t *index, int all,
    json_t *changes, json_t *venvs)
{
	struct daemon *d = sub->subs->d;
	json_t *now, *ch;
	size_t i;
	int touched;

	for (i = 0; i < sub->npaths; i++) {
		struct sub_path *sp = &sub->paths[i];

		now = subs_answer(d, sp->dir);
		/* Same answer, but its venv broke (base interpreter gone, say). */
		touched = json_is_object(now) && subs_health_changed(old, index, now);
		if (all || touched || sp->last == NULL || !json_equal(sp->last, now)) {
			ch = json_object();
			json_object_set_new(ch, "path", rpc_path_to_json(sp->path));
			json_object_set(ch, "venv", now);
			json_array_append_new(changes, ch);
			if (json_is_object(now))
				subs_add_record(venvs, index, now);
		}
		json_decref(sp->last);
		sp->last = now;
	}
}

/* Queue one line (a JSON value and '\n') on sub; -1 if sub was dropped. */
static int
subs_send(struct subscriber *sub, json_t *msg)
{
	char *s = rpc_dumps(msg, JSON_COMPACT);
	struct buf line = BUF_INIT, final = BUF_INIT;
	json_t *err, *params;
	char *f;
	int rc;

	if (s == NULL)
		return 0;
	buf_puts(&line, s);
	buf_putc(&line, '\n');
	free(s);

	err = json_object();
	params = json_object();
	json_object_set_new(params, "code", json_integer(RPC_SUBSCRIBER_DROPPED));
	json_object_set_new(params, "message",
	    json_string("subscriber too slow: dropped"));
	json_object_set_new(err, "jsonrpc", json_string("2.0"));
	json_object_set_new(err, "method", json_string(VENVD_N_ERROR));
	json_object_set_new(err, "params", params);
	f = json_dumps(err, JSON_COMPACT);
	buf_puts(&final, f);
	buf_putc(&final, '\n');
	free(f);
	json_decref(err);

	rc = sub->conn->ops->send(sub->conn, line.data, line.len,
	    VENVD_SUBSCRIBE_QUEUE_CAP, final.data);
	buf_free(&line);
	buf_free(&final);
	return rc;
}

/* Drop the oldest entry of the change log. */
static void
subs_log_pop(struct subs *subs)
{
	struct subs_change *c = &subs->log[subs->log_head];

	if (c->clock > subs->floor)
		subs->floor = c->clock;
	subs->log_bytes -= strlen(c->path);
	free(c->path);
	c->path = NULL;
	subs->log_head = (subs->log_head + 1) % SUBSCRIBE_LOG_MAX;
	subs->log_len--;
}

/* Log that the record at path changed at the current clock. */
static void
subs_log_push(struct subs *subs, const char *path)
{
	size_t len = strlen(path);

	while (subs->log_len > 0 && (subs->log_len == SUBSCRIBE_LOG_MAX ||
	    subs->log_bytes + len > SUBSCRIBE_LOG_BYTES))
		subs_log_pop(subs);
	if (len > SUBSCRIBE_LOG_BYTES) {
		subs->floor = subs->clock;
		return;
	}
	subs->log[(subs->log_head + subs->log_len) % SUBSCRIBE_LOG_MAX] =
	    (struct subs_change){ subs->clock, xstrdup(path) };
	subs->log_len++;
	subs->log_bytes += len;
}

/* The clock as the protocol shows it: "<instance>:<N>". */
static json_t *
subs_clock(const struct subs *subs)
{
	const char *g = generation_string(subs->d->gen), *dash = strchr(g, '-');
	char s[64];

	snprintf(s, sizeof s, "%.*s:%" PRIu64, dash != NULL ? (int)(dash - g) :
	    (int)strlen(g), g, subs->clock);
	return json_string(s);
}

/*
 * Is since a clock of this instance that the log still covers (every
 * change after it is in the log)? 1 and *n its counter, else 0.
 */
static int
subs_covered(const struct subs *subs, const char *since, uint64_t *n)
{
	const char *g = generation_string(subs->d->gen), *dash = strchr(g, '-');
	const char *colon = strchr(since, ':');
	char *end;
	unsigned long long v;

	if (dash == NULL || colon == NULL || colon - since != dash - g ||
	    strncmp(since, g, (size_t)(dash - g)) != 0 ||
	    colon[1] < '0' || colon[1] > '9')
		return 0;
	errno = 0;
	v = strtoull(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v > subs->clock || v < subs->floor)
		return 0;
	*n = v;
	return 1;
}

/*
 * Append to venvs what changed in the index after clock since: the
 * record of each path logged since then (once), or {"path": P,
 * "removed": true} for one no longer in it.
 */
static void
subs_log_since(struct subs *subs, uint64_t since, json_t *venvs)
{
	json_t *seen = json_object(), *rec, *gone;
	const struct subs_change *c;
	size_t i;

	for (i = 0; i < subs->log_len; i++) {
		c = &subs->log[(subs->log_head + i) % SUBSCRIBE_LOG_MAX];
		if (c->clock <= since || json_object_get(seen, c->path) != NULL)
			continue;
		json_object_set_new_nocheck(seen, c->path, json_true());
		rec = subs->index != NULL ? json_object_get(subs->index, c->path) :
		    NULL;
		if (rec != NULL) {
			json_array_append(venvs, rec);
			continue;
		}
		gone = json_object();
		json_object_set_new(gone, "path", rpc_path_to_json(c->path));
		json_object_set_new(gone, "removed", json_true());
		json_array_append_new(venvs, gone);
	}
	json_decref(seen);
}

/* Free the state (the daemon stops). */
void
subscribe_free(struct daemon *d)
{
	struct subs *subs = d->subs;

	if (subs == NULL)
		return;
	ev_prepare_stop(d->loop, &subs->prepare);
	ev_timer_stop(d->loop, &subs->settle);
	json_decref(subs->index);
	json_decref(subs->dirty);
	json_decref(subs->below);
	while (subs->log_len > 0)
		subs_log_pop(subs);
	free(subs);
	d->subs = NULL;
}

/* The changes settled: tell every subscriber whose view changed. */
static void
subs_settle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct subs *subs = w->data;
	struct daemon *d = subs->d;
	struct subscriber *sub, *next;
	json_t *index = NULL, *old, *diff, *changes, *venvs, *params, *msg;
	json_t *dirty, *below, *prev = NULL;
	size_t sent = 0;
	int dbc = subs_db_changes(d), full, nread = 0;

	(void)loop;
	(void)revents;
	subs->first = 0;
	subs->busy = 1;
	/* What the hooks say from here on is for the next settle. */
	dirty = subs->dirty;
	below = subs->below;
	full = subs->full || subs->index == NULL;
	subs->dirty = json_object();
	subs->below = json_object();
	subs->full = 0;
	subs->poke = 0;
	diff = json_array();
	if (!full) {
		/* Only the records the hooks named: the copy is updated in place. */
		prev = json_object();
		if ((nread = subs_index_apply(subs, subs->index, dirty, below,
		    prev, diff)) == -1) {
			json_decref(prev);
			prev = NULL;
			full = 1;
		}
	}
	if (full) {
		/* A change no hook could place: list the whole index. */
		log_debug("settle: listing the whole index");
		index = subs_index_snapshot(d);
		subs->snap_changes = dbc;
		old = index != NULL ? subs->index : NULL;
		if (index != NULL) {
			json_decref(diff);
			diff = subs_index_diff(subs->index, index);
		}
	} else {
		log_debug("settle: %d records read again, %zu changed", nread,
		    json_array_size(diff));
		index = json_incref(subs->index);
		old = prev;
	}
	json_decref(dirty);
	json_decref(below);
	if (json_array_size(diff) > 0 ||
	    strcmp(subs->settled, generation_string(d->gen)) != 0) {
		json_t *v;
		size_t i;

		subs->clock++;
		json_array_foreach(diff, i, v) {
			const char *p = json_string_value(json_object_get(v, "path"));

			if (p != NULL)
				subs_log_push(subs, p);
		}
	}
	for (sub = LIST_FIRST(&subs->list); sub != NULL; sub = next) {
		next = LIST_NEXT(sub, entry);
		changes = json_array();
		if (sub->npaths == 0)
			venvs = json_incref(diff);
		else {
			venvs = json_array();
			subs_compare(sub, old, index != NULL ? index : subs->index,
			    0, changes, venvs);
		}
		if (json_array_size(changes) > 0 || json_array_size(venvs) > 0) {
			params = json_object();
			json_object_set_new(params, "generation",
			    json_string(generation_string(d->gen)));
			json_object_set_new(params, "clock", subs_clock(subs));
			json_object_set_new(params, "changes", changes);
			json_object_set_new(params, "venvs", venvs);
			msg = json_object();
			json_object_set_new(msg, "jsonrpc", json_string("2.0"));
			json_object_set_new(msg, "method",
			    json_string(VENVD_N_VENVS_CHANGED));
			json_object_set_new(msg, "params", params);
			(void)subs_send(sub, msg);
			json_decref(msg);
			sent++;
		} else {
			json_decref(changes);
			json_decref(venvs);
		}
	}
	json_decref(diff);
	json_decref(prev);
	if (index != NULL) {
		json_decref(subs->index);
		subs->index = index;
	}
	if (sent > 0)
		log_debug("generation %s: notified %zu of %zu subscribers",
		    generation_string(d->gen), sent, subs->n);
	/* Resolving may have bumped the generation: noticed, harmlessly, next time. */
	snprintf(subs->seen, sizeof subs->seen, "%s", generation_string(d->gen));
	snprintf(subs->settled, sizeof subs->settled, "%s", subs->seen);
	subs->db_changes = subs_db_changes(d);
	subs->busy = 0;
}

/*
 * Before the loop blocks: did the generation move (or, for index
 * subscribers, the index)? Start settling.
 */
static void
subs_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct subs *subs = w->data;
	const char *g = generation_string(subs->d->gen);
	int dbc = subs_db_changes(subs->d);
	ev_tstamp now, at;

	(void)revents;
	if (strcmp(g, subs->seen) == 0 && dbc == subs->db_changes &&
	    !subs->poke)
		return;
	subs->poke = 0;
	snprintf(subs->seen, sizeof subs->seen, "%s", g);
	subs->db_changes = dbc;
	now = ev_now(loop);
	if (subs->first == 0)
		subs->first = now;
	at = now + SUBSCRIBE_QUIET_S;
	if (at > subs->first + SUBSCRIBE_MAX_DELAY_S)
		at = subs->first + SUBSCRIBE_MAX_DELAY_S;
	ev_timer_stop(loop, &subs->settle);
	ev_timer_set(&subs->settle, at > now ? at - now : 0., 0.);
	ev_timer_start(loop, &subs->settle);
}

/* Free a subscriber's paths and what it was sent for them. */
static void
subs_free_paths(struct subscriber *sub)
{
	size_t i;

	for (i = 0; i < sub->npaths; i++) {
		free(sub->paths[i].path);
		free(sub->paths[i].dir);
		json_decref(sub->paths[i].last);
	}
	free(sub->paths);
	sub->paths = NULL;
	sub->npaths = 0;
}

/* The subscriber's connection closed: forget it. */
static void
subs_on_close(void *arg)
{
	struct subscriber *sub = arg;
	struct subs *subs = sub->subs;

	LIST_REMOVE(sub, entry);
	subs->n--;
	if (sub->npaths == 0)
		subs->n_index--;
	subs_free_paths(sub);
	free(sub);
	log_debug("subscriber gone, %zu left", subs->n);
}

/* The state, made on first use. */
static struct subs *
subs_get(struct daemon *d)
{
	struct subs *subs;

	if (d->subs != NULL)
		return d->subs;
	subs = xcalloc(1, sizeof *subs);
	subs->d = d;
	LIST_INIT(&subs->list);
	ev_prepare_init(&subs->prepare, subs_prepare_cb);
	subs->prepare.data = subs;
	ev_init(&subs->settle, subs_settle_cb);
	subs->settle.data = subs;
	snprintf(subs->seen, sizeof subs->seen, "%s", generation_string(d->gen));
	snprintf(subs->settled, sizeof subs->settled, "%s", subs->seen);
	subs->db_changes = subs->snap_changes = subs_db_changes(d);
	subs->index = subs_index_snapshot(d);
	subs->dirty = json_object();
	subs->below = json_object();
	ev_prepare_start(d->loop, &subs->prepare);
	d->subs = subs;
	return subs;
}

/* Check params; fill paths (strings) and since. -1 with err. */
static int
subs_params(json_t *params, json_t **paths, const char **since, char *err,
    size_t errlen)
{
	json_t *p, *s;
	size_t i;

	*paths = NULL;
	*since = NULL;
	p = json_object_get(params, "paths");
	s = json_object_get(params, "since");
	if (s != NULL && !json_is_null(s)) {
		if (!json_is_string(s)) {
			snprintf(err, errlen, "since must be a clock string");
			return -1;
		}
		*since = json_string_value(s);
	}
	if (p == NULL || json_is_null(p))
		return 0;
	if (!json_is_array(p)) {
		snprintf(err, errlen, "paths must be an array of absolute paths");
		return -1;
	}
	if (json_array_size(p) > VENVD_SUBSCRIBE_MAX_PATHS) {
		snprintf(err, errlen, "at most %d paths per subscription",
		    VENVD_SUBSCRIBE_MAX_PATHS);
		return -1;
	}
	json_array_foreach(p, i, s) {
		const char *v = json_string_value(s);

		if (v == NULL || strlen(v) != json_string_length(s) || v[0] != '/' ||
		    json_string_length(s) >= PATH_MAX) {
			snprintf(err, errlen, "paths[%zu] must be an absolute path "
			    "(a string without NUL, shorter than %d bytes)", i, PATH_MAX);
			return -1;
		}
	}
	*paths = p;
	return 0;
}

/*
 * subscribe {"paths"?: [...], "since"?: CLOCK}: answer the state (all of
 * it, or what changed after since), then make conn a stream. request.c has checked that there is an id and a conn
 * (REQUEST_STREAM).
 */
void
subscribe_request(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	json_t *id = req->id, *params = req->params;
	struct subscriber *sub;
	struct subs *subs;
	json_t *paths, *result, *changes, *venvs, *v;
	const char *since, *gen = generation_string(d->gen), *key;
	char err[256];
	int fresh, covered;
	uint64_t n = 0;
	size_t i;

	if (subs_params(params, &paths, &since, err, sizeof err) == -1) {
		rpc_write_error(out, id, RPC_INVALID_PARAMS, err);
		return;
	}
	subs = subs_get(d);

	/* Subscribing again on a stream replaces its subscription. */
	LIST_FOREACH(sub, &subs->list, entry)
		if (sub->conn == conn)
			break;
	if (sub != NULL) {
		if (sub->npaths == 0)
			subs->n_index--;
		subs_free_paths(sub);
		LIST_REMOVE(sub, entry);
		subs->n--;
	} else
		sub = xcalloc(1, sizeof *sub);
	/*
	 * A change noticed but not settled yet: settle it now (telling the
	 * other subscribers), so the answer is as new as list's.
	 */
	if (ev_is_active(&subs->settle) && !subs->busy) {
		ev_timer_stop(d->loop, &subs->settle);
		subs_settle_cb(d->loop, &subs->settle, 0);
	}
	covered = since != NULL && subs_covered(subs, since, &n);
	fresh = since != NULL && !covered;
	sub->subs = subs;
	sub->conn = conn;
	sub->npaths = paths != NULL ? json_array_size(paths) : 0;
	sub->paths = xcalloc(sub->npaths > 0 ? sub->npaths : 1, sizeof *sub->paths);
	for (i = 0; i < sub->npaths; i++) {
		sub->paths[i].path = xstrdup(json_string_value(json_array_get(paths, i)));
		sub->paths[i].dir = request_dir(sub->paths[i].path);
	}
	LIST_INSERT_HEAD(&subs->list, sub, entry);
	subs->n++;
	if (sub->npaths == 0)
		subs->n_index++;
	conn->ops->stream(conn, subs_on_close, sub);

	changes = json_array();
	venvs = json_array();
	subs_compare(sub, NULL, subs->index, 1, changes, venvs);
	if (covered && (n == subs->clock || sub->npaths == 0)) {
		/* Up to date, or only the index changes since: the baseline is kept. */
		json_array_clear(changes);
		json_array_clear(venvs);
		if (sub->npaths == 0)
			subs_log_since(subs, n, venvs);
	} else if (sub->npaths == 0 && subs->index != NULL) {
		json_object_foreach(subs->index, key, v)
			json_array_append(venvs, v);
	}
	result = json_object();
	json_object_set_new(result, "generation", json_string(gen));
	json_object_set_new(result, "clock", subs_clock(subs));
	json_object_set_new(result, "fresh_instance", json_boolean(fresh));
	json_object_set_new(result, "changes", changes);
	json_object_set_new(result, "venvs", venvs);
	json_object_set_new(result, "indexed", json_boolean(subs->index != NULL));
	rpc_write_result(out, id, result);
	log_debug("subscriber with %zu paths (%zu in all)", sub->npaths, subs->n);
}

/* Subscribers right now. */
size_t
subscribe_count(const struct daemon *d)
{
	return d->subs != NULL ? d->subs->n : 0;
}

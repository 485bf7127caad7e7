/*
 * index.c: the venv index as the protocol shows it (list, forget) and
 * the writes the roots, the interpreter watches and resolve make to it.
 *
 * index.c is the one writer of venv records. A venv is recorded by the
 * resolver (cache.c through index_resolved, root unchanged), by a
 * discovery root's scan (roots.c, root set) or when its interpreter
 * changes (interp.c). Whoever must follow the records (the interpreter
 * watches, the sizer) registers a change hook (index_on_change) instead
 * of being called by name; list has its records completed (their trust)
 * by a hook too (index_on_list). state is "ok", "broken:<reason>" or
 * "missing": a venv that vanished from under a root keeps its row (and
 * its activation history) as "missing" until `forget` drops it or it
 * comes back. forget never touches files; a venv still present under a
 * root is found again by the next scan.
 *
 * Each record says which tool keeps the venv (its manager): the tool
 * whose central store it sits in (the stores are taken from the
 * daemon's environment when it starts: locator_stores), else the
 * locator that found it, else "venv". A venv in a store described
 * as itself (found by a scan, or by a shell inside it) belongs to the
 * project its .project file names (Pipenv, virtualenvwrapper), or, with
 * none, keeps the project a resolve found it through (db.c merges).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <uthash.h>

#include "daemon.h"
#include "db.h"
#include "generation.h"
#include "index.h"
#include "locator.h"
#include "log.h"
#include "small_file.h"
#include "protocol.h"
#include "rpc.h"
#include "trust_rules.h"
#include "xmalloc.h"

#define INDEX_COLUMNS \
	"path, project, version, home, prompt, include_system_site_packages," \
	" broken, found_as, kind, state, first_seen, last_seen," \
	" last_activated, activation_count, size_bytes, size_measured, root," \
	" manager, moved_from"
#define INDEX_HOOKS_MAX	4
#define INDEX_ACTIVATIONS_MAX	256	/* venvs with activations to write, at most */
#define INDEX_ACTIVATIONS_S	2.0	/* the longest they wait to be written */

/* Activations counted but not yet written (index_activated). */
struct index_activation {
	char		*path;
	sqlite3_int64	 count;
	sqlite3_int64	 last;		/* unix seconds of the latest */
	UT_hash_handle	 hh;
};

struct index {
	struct {
		index_change_fn	 fn;
		void		*ctx;
	}		 hooks[INDEX_HOOKS_MAX];
	int		 nhooks;
	index_fill_fn	 fill;
	void		*fill_ctx;
	index_move_fn	 move;
	void		*move_ctx;
	index_touch_fn	 touch;
	void		*touch_ctx;
	struct locator_store stores[LOCATOR_MAX_STORES];
	size_t		 nstores;

	struct daemon	*d;
	struct index_activation *activations;	/* uthash by path */
	ev_timer	 activations_timer;
};

static void	index_activations_cb(struct ev_loop *, ev_timer *, int);

/* No hooks yet; the tools' stores of the daemon's environment. */
struct index *
index_new(struct daemon *d)
{
	struct index *idx = xcalloc(1, sizeof(struct index));
	struct resolve_opts opts;

	idx->d = d;
	ev_timer_init(&idx->activations_timer, index_activations_cb,
	    INDEX_ACTIVATIONS_S, 0.);
	idx->activations_timer.data = idx;

	resolve_opts_from_conf(&opts, &d->cfg);
	idx->nstores = locator_stores(&opts, idx->stores);
	for (size_t i = 0; i < idx->nstores; i++)
		log_debug("store of %s: %s", idx->stores[i].manager,
		    idx->stores[i].path);
	return idx;
}

/* Free the hooks and the stores (write the activations first: index_flush). */
void
index_free(struct index *idx)
{
	struct index_activation *a, *tmp;

	if (idx == NULL)
		return;
	if (idx->d->loop != NULL)
		ev_timer_stop(idx->d->loop, &idx->activations_timer);
	HASH_ITER(hh, idx->activations, a, tmp) {
		HASH_DEL(idx->activations, a);
		free(a->path);
		free(a);
	}
	locator_stores_free(idx->stores, idx->nstores);
	free(idx);
}

/* The tools' central stores (locator_stores), for the roots; *n of them. */
const struct locator_store *
index_stores(struct daemon *d, size_t *n)
{
	*n = d->index != NULL ? d->index->nstores : 0;
	return d->index != NULL ? d->index->stores : NULL;
}

/* Call fn(ctx, ...) on every change, after the hooks added before it; -1 when full. */
int
index_on_change(struct index *idx, index_change_fn fn, void *ctx)
{
	if (idx->nhooks == INDEX_HOOKS_MAX)
		return -1;
	idx->hooks[idx->nhooks].fn = fn;
	idx->hooks[idx->nhooks].ctx = ctx;
	idx->nhooks++;
	return 0;
}

/* Have fn(ctx, rec) complete each record list returns. */
void
index_on_list(struct index *idx, index_fill_fn fn, void *ctx)
{
	idx->fill = fn;
	idx->fill_ctx = ctx;
}

/* Have fn(ctx, ...) told when a venv's record follows it to a new path. */
void
index_on_move(struct index *idx, index_move_fn fn, void *ctx)
{
	idx->move = fn;
	idx->move_ctx = ctx;
}

/* Have fn(ctx, path, below) told of every write that may change a listed record. */
void
index_on_touch(struct index *idx, index_touch_fn fn, void *ctx)
{
	idx->touch = fn;
	idx->touch_ctx = ctx;
}

/* Tell the touch hook that the record at path (and below it) may have changed. */
void
index_touched(struct daemon *d, const char *path, int below)
{
	struct index *idx = d->index;

	if (idx != NULL && idx->touch != NULL)
		idx->touch(idx->touch_ctx, path, below);
}

/* Tell every change hook: v recorded at path, or (v NULL) path gone from use. */
static void
index_changed(struct daemon *d, const char *path, const struct venv_info *v)
{
	struct index *idx = d->index;

	if (idx == NULL)
		return;
	for (int i = 0; i < idx->nhooks; i++)
		idx->hooks[i].fn(idx->hooks[i].ctx, path, v);
}

/* Run sql with up to two text binds and an optional integer; changes or -1. */
static int
index_exec(struct daemon *d, const char *sql, const char *a, const char *b,
    sqlite3_int64 n)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	int rc, changes;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("prepare: %s", sqlite3_errmsg(h));
		return -1;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, n);
	rc = sqlite3_step(st);
	changes = sqlite3_changes(h);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("index write: %s", sqlite3_errstr(rc));
		db_note(d->db, rc);
		return -1;
	}
	return changes;
}

/*
 * Describe the venv at path as resolve would find it: a project's venv
 * (path's name is one of venv_dirs) from its project, else the venv
 * itself. 1 and out (to free), or 0 if path is not (now) a venv.
 */
int
index_describe(struct daemon *d, const char *path, struct venv_info *out)
{
	struct resolve_opts opts;
	const char *names[1];
	char parent[PATH_MAX + 1], err[256], *slash;
	size_t i;

	resolve_opts_from_conf(&opts, &d->cfg);
	opts.n_venv_dirs = 0;
	/* The index describes every venv, whichever locators activate. */
	opts.locators_off = NULL;
	opts.n_locators_off = 0;
	if (snprintf(parent, sizeof parent, "%s", path) >= (int)sizeof parent)
		return 0;
	slash = strrchr(parent, '/');
	for (i = 0; slash != NULL && slash != parent && i < d->cfg.n_venv_dirs;
	    i++) {
		if (strcmp(slash + 1, d->cfg.venv_dirs[i]) != 0)
			continue;
		names[0] = d->cfg.venv_dirs[i];
		opts.venv_dirs = names;
		opts.n_venv_dirs = 1;
		*slash = '\0';
		break;
	}
	/* Only that level: a venv the walk would find above is another one. */
	if (resolve_level(opts.n_venv_dirs > 0 ? parent : path, &opts, out, err,
	    sizeof err) != 1)
		return 0;
	if (strcmp(out->path, path) != 0) {
		/* The project is a venv itself, which resolve would give. */
		venv_info_free(out);
		memset(out, 0, sizeof *out);
		return 0;
	}
	return 1;
}

/*
 * The .project back-reference in the venv at venv (Pipenv and
 * virtualenvwrapper write one): an absolute path (malloc'd), or NULL.
 */
static char *
index_backref(const char *venv)
{
	char path[PATH_MAX + 16], *text;
	size_t len;

	if (snprintf(path, sizeof path, "%s/.project", strcmp(venv, "/") == 0 ?
	    "" : venv) >= (int)sizeof path)
		return NULL;
	if (small_file_read(path, PATH_MAX + 1, &text, &len) != SMALL_FILE_OK)
		return NULL;
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len == 0 || len > PATH_MAX || text[0] != '/' ||
	    memchr(text, '\0', len) != NULL || memchr(text, '\n', len) != NULL) {
		free(text);
		return NULL;
	}
	return text;
}

/* The project of a record, or NULL when it is the venv itself or none. */
static const char *
index_project_of(const char *project, const char *path)
{
	return project != NULL && strcmp(project, path) != 0 ? project : NULL;
}

/*
 * The venv at v->path, with identity id, appeared where no record of
 * it is (none, or one of a directory deleted there): was it moved
 * there? The path of the record with the same st_dev,
 * st_ino and birth time whose own path no longer leads to that
 * directory (malloc'd, with its project in *project), or NULL. A
 * record with no birth time (0: the filesystem keeps none) is never
 * matched, since an inode number freed by a deleted venv may be given
 * to an unrelated directory.
 */
static char *
index_moved_from(struct daemon *d, const char *path, const struct trust_id *id,
    char **project)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	struct trust_id now;
	char *from = NULL, *real;
	const char *p;

	*project = NULL;
	if (h == NULL || id->born == 0 || sqlite3_prepare_v2(h,
	    "SELECT path, project FROM venvs WHERE ino = ?1 AND dev = ?2"
	    " AND born = ?3 AND path != ?4 AND NOT EXISTS"
	    " (SELECT 1 FROM venvs WHERE path = ?4 AND ((ino = ?1 AND dev = ?2"
	    " AND born = ?3) OR (dev IS NULL AND state != 'missing')))", -1,
	    &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id->ino);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id->dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id->born);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	while (from == NULL && sqlite3_step(st) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(st, 0);
		if (trust_rule_identity(p, &real, &now) == 0) {
			free(real);
			if (now.dev == id->dev && now.ino == id->ino &&
			    now.born == id->born)
				continue;	/* still there: another way in */
		}
		from = xstrdup(p);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*project = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return from;
}

/*
 * The venv v (identity id) was moved from from: its record takes the
 * new path and remembers the old one; the activations counted so far
 * go with it. The change hooks hear that from went out of use, the move
 * hook (verdict.c) decides whether the trust decision follows.
 */
static void
index_take_over(struct daemon *d, const struct venv_info *v, const char *from,
    const char *old_project)
{
	struct index *idx = d->index;
	int same;

	index_flush(d);
	/* The record of a venv deleted at the new path gives way. */
	if (index_exec(d, "DELETE FROM venvs WHERE path = ?1", v->path, NULL,
	    0) > 0) {
		log_info("%s: the record of the venv that was there is dropped",
		    v->path);
		db_seen_forget(d->db, v->path);
	}
	index_touched(d, v->path, 0);
	if (index_exec(d, "UPDATE venvs SET path = ?2, moved_from = ?1"
	    " WHERE path = ?1", from, v->path, 0) != 1)
		return;
	index_touched(d, from, 0);
	db_seen_forget(d->db, from);
	log_info("%s: moved to %s; its record follows", from, v->path);
	same = (index_project_of(old_project, from) == NULL &&
	    index_project_of(v->project, v->path) == NULL) ||
	    (index_project_of(old_project, from) != NULL &&
	    index_project_of(v->project, v->path) != NULL &&
	    strcmp(old_project, v->project) == 0);
	if (idx != NULL && idx->move != NULL)
		idx->move(idx->move_ctx, from, v->path, same);
	index_changed(d, from, NULL);
}

/* Store id as the identity of the record at path, if it changed. */
static void
index_set_identity(struct daemon *d, const char *path, const struct trust_id *id)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	int rc;

	if (h == NULL || sqlite3_prepare_v2(h, "UPDATE venvs SET dev = ?2,"
	    " ino = ?3, born = ?4 WHERE path = ?1 AND (dev IS NOT ?2 OR"
	    " ino IS NOT ?3 OR born IS NOT ?4)", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id->dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id->ino);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)id->born);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		db_note(d->db, rc);
	sqlite3_finalize(st);
}

/*
 * Write v's record (index_write_as), first taking over the record of
 * the same directory at its old path when it was moved, then storing
 * its identity.
 */
static int index_write_as(struct daemon *, const struct venv_info *);

/* Write v's record, following a move (see index_write_as). */
static int
index_write(struct daemon *d, const struct venv_info *v)
{
	struct trust_id id;
	char *real = NULL, *from, *project;
	int have_id, rc;

	have_id = d->db != NULL && trust_rule_identity(v->path, &real, &id) == 0;
	free(real);
	if (have_id && (from = index_moved_from(d, v->path, &id, &project)) !=
	    NULL) {
		index_take_over(d, v, from, project);
		free(from);
		free(project);
	}
	if ((rc = index_write_as(d, v)) == 0 && have_id)
		index_set_identity(d, v->path, &id);
	return rc;
}

/*
 * Write v's record with its manager. A venv in a tool's store that was
 * described as itself (found_as "self") is recorded with the project
 * its back-reference names, found as that tool, or with none.
 */
static int
index_write_as(struct daemon *d, const struct venv_info *v)
{
	struct index *idx = d->index;
	struct venv_info copy;
	const char *manager;
	char *backref = NULL;
	int rc;

	if (idx == NULL)
		return db_record_venv(d->db, v);
	if (locator_in_store(idx->stores, idx->nstores, v->path))
		backref = index_backref(v->path);
	manager = locator_manager(idx->stores, idx->nstores, v->path,
	    v->project, v->found_as, backref);
	if (strcmp(manager, "venv") == 0 || v->found_as == NULL ||
	    strcmp(v->found_as, "self") != 0) {
		free(backref);
		return db_record_venv_as(d->db, v, manager);
	}
	venv_info_copy(&copy, v);
	free(copy.project);
	copy.project = backref;		/* may be NULL: none */
	if (backref != NULL) {
		free(copy.found_as);
		copy.found_as = xstrdup(manager);
	}
	rc = db_record_venv_as(d->db, &copy, manager);
	venv_info_free(&copy);
	return rc;
}

/* Record v, found under root (NULL: keep the stored root). */
int
index_record(struct daemon *d, const struct venv_info *v, const char *root)
{
	if (d->db == NULL || v == NULL || v->path == NULL)
		return -1;
	/* Always write: a scan relies on last_seen being fresh. */
	db_seen_forget(d->db, v->path);
	if (index_write(d, v) == -1)
		return -1;
	if (root != NULL && index_exec(d, "UPDATE venvs SET root = ?2"
	    " WHERE path = ?1", v->path, root, 0) == -1)
		return -1;
	index_touched(d, v->path, 0);
	index_changed(d, v->path, v);
	return 0;
}

/* The resolver found v: record it unless it was recorded unchanged a moment ago. */
void
index_resolved(struct daemon *d, const struct venv_info *v)
{
	if (d->db != NULL && v != NULL && v->path != NULL &&
	    index_write(d, v) == 0)
		index_touched(d, v->path, 0);
}

/* Mark the venv at path, and every venv below it, missing. */
void
index_mark_missing(struct daemon *d, const char *path)
{
	int n;

	n = index_exec(d, "UPDATE venvs SET state = 'missing'"
	    " WHERE (path = ?1 OR substr(CAST(path AS BLOB), 1,"
	    " length(CAST(?1 AS BLOB)) + 1) = CAST(?1 || '/' AS BLOB))"
	    " AND state != 'missing'", path, NULL, 0);
	if (n > 0) {
		log_debug("%s: %d venv(s) missing", path, n);
		db_seen_forget(d->db, NULL);
		index_touched(d, path, 1);
	}
	index_changed(d, path, NULL);
}

/* Mark venvs of root not seen since since missing (after a full scan). */
void
index_mark_unseen(struct daemon *d, const char *root, time_t since)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	char **gone = NULL;
	size_t n = 0, i;

	if (h == NULL || sqlite3_prepare_v2(h, "SELECT path FROM venvs"
	    " WHERE root = ?1 AND last_seen < ?2 AND state != 'missing'", -1,
	    &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	while (sqlite3_step(st) == SQLITE_ROW) {
		gone = xrealloc(gone, (n + 1) * sizeof *gone);
		gone[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++) {
		log_info("%s: no longer under %s: missing", gone[i], root);
		index_mark_missing(d, gone[i]);
		free(gone[i]);
	}
	free(gone);
}

/*
 * May an activation of v be counted? Only when its trust, if judged
 * (request.c judges it before counting), is "trusted": an untrusted or
 * denied venv is not activated by the hooks.
 */
static int
index_counts_activation(struct daemon *d, const struct venv_info *v)
{
	(void)d;
	return v->trust == NULL || strcmp(v->trust, "trusted") == 0;
}

/*
 * Write the activations counted since the last write, in one
 * transaction: last_activated and activation_count of each venv.
 */
void
index_flush(struct daemon *d)
{
	struct index *idx = d->index;
	struct index_activation *a, *tmp;
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st = NULL;
	int rc, began = 0;

	if (idx == NULL || idx->activations == NULL)
		return;
	if (d->loop != NULL)
		ev_timer_stop(d->loop, &idx->activations_timer);
	if (h != NULL && sqlite3_get_autocommit(h))
		began = sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (h != NULL && sqlite3_prepare_v2(h, "UPDATE venvs SET"
	    " last_activated = ?2, activation_count = activation_count + ?3"
	    " WHERE path = ?1", -1, &st, NULL) != SQLITE_OK) {
		log_error("prepare: %s", sqlite3_errmsg(h));
		st = NULL;
	}
	HASH_ITER(hh, idx->activations, a, tmp) {
		if (st != NULL) {
			sqlite3_bind_text(st, 1, a->path, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, a->last);
			sqlite3_bind_int64(st, 3, a->count);
			if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
				log_error("index write: %s", sqlite3_errstr(rc));
				db_note(d->db, rc);
			} else if (sqlite3_changes(h) > 0) {
				log_debug("activation of %s counted (%lld)",
				    a->path, (long long)a->count);
				index_touched(d, a->path, 0);
			}
			sqlite3_reset(st);
		}
		HASH_DEL(idx->activations, a);
		free(a->path);
		free(a);
	}
	sqlite3_finalize(st);
	if (began && (rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		log_error("index write: %s", sqlite3_errstr(rc));
		db_note(d->db, rc);
		(void)sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* The activations waited INDEX_ACTIVATIONS_S: write them. */
static void
index_activations_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct index *idx = w->data;

	(void)loop;
	(void)revents;
	index_flush(idx->d);
}

/*
 * A shell activated v: last_activated = now, activation_count + 1. Not
 * written while the shell waits for its answer: counted in memory and
 * written within INDEX_ACTIVATIONS_S (index_flush), before list or
 * forget reads or drops the rows, and when the daemon stops.
 */
void
index_activated(struct daemon *d, const struct venv_info *v)
{
	struct index *idx = d->index;
	struct index_activation *a;

	if (v == NULL || v->path == NULL || !index_counts_activation(d, v) ||
	    db_handle(d->db) == NULL)
		return;
	if (idx == NULL || d->loop == NULL) {
		if (index_exec(d, "UPDATE venvs SET last_activated = ?3,"
		    " activation_count = activation_count + 1 WHERE path = ?1",
		    v->path, NULL, (sqlite3_int64)time(NULL)) > 0) {
			log_debug("activation of %s counted", v->path);
			index_touched(d, v->path, 0);
		}
		return;
	}
	HASH_FIND_STR(idx->activations, v->path, a);
	if (a == NULL) {
		if (HASH_COUNT(idx->activations) >= INDEX_ACTIVATIONS_MAX)
			index_flush(d);
		a = xcalloc(1, sizeof *a);
		a->path = xstrdup(v->path);
		HASH_ADD_KEYPTR(hh, idx->activations, a->path,
		    strlen(a->path), a);
	}
	a->count++;
	a->last = (sqlite3_int64)time(NULL);
	if (!ev_is_active(&idx->activations_timer))
		ev_timer_start(d->loop, &idx->activations_timer);
}

/* Column i as a JSON string or null. */
static json_t *
index_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? rpc_path_to_json((const char *)t) : json_null();
}

/* Column i as a JSON integer or null. */
static json_t *
index_int(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_integer((json_int_t)sqlite3_column_int64(st, i));
}

/* One row (INDEX_COLUMNS) as a venv record. */
static json_t *
index_row(sqlite3_stmt *st)
{
	json_t *o = json_object();
	const char *path = (const char *)sqlite3_column_text(st, 0);
	char *python;

	json_object_set_new(o, "path", index_text(st, 0));
	json_object_set_new(o, "project", index_text(st, 1));
	xasprintf(&python, "%s/bin/python", strcmp(path, "/") == 0 ? "" : path);
	json_object_set_new(o, "python", rpc_path_to_json(python));
	free(python);
	json_object_set_new(o, "version", index_text(st, 2));
	json_object_set_new(o, "home", index_text(st, 3));
	json_object_set_new(o, "prompt", index_text(st, 4));
	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		json_object_set_new(o, "include_system_site_packages", json_null());
	else
		json_object_set_new(o, "include_system_site_packages",
		    json_boolean(sqlite3_column_int(st, 5)));
	json_object_set_new(o, "broken", sqlite3_column_type(st, 6) ==
	    SQLITE_NULL ? json_false() : index_text(st, 6));
	json_object_set_new(o, "found_as", index_text(st, 7));
	json_object_set_new(o, "kind", index_text(st, 8));
	json_object_set_new(o, "state", index_text(st, 9));
	/* index_list has its fill hook (verdict.c) fill this in. */
	json_object_set_new(o, "trust", json_null());
	json_object_set_new(o, "first_seen", index_int(st, 10));
	json_object_set_new(o, "last_seen", index_int(st, 11));
	json_object_set_new(o, "last_activated", index_int(st, 12));
	json_object_set_new(o, "activation_count", index_int(st, 13));
	json_object_set_new(o, "size_bytes", index_int(st, 14));
	json_object_set_new(o, "size_measured", index_int(st, 15));
	json_object_set_new(o, "root", index_text(st, 16));
	json_object_set_new(o, "manager", index_text(st, 17));
	/* Where it was before its last move (mv), if it ever was. */
	if (sqlite3_column_type(st, 18) != SQLITE_NULL)
		json_object_set_new(o, "moved_from", index_text(st, 18));
	return o;
}

/* An optional boolean member: 0/1, def when absent, -1 when not a boolean. */
static int
index_param_bool(json_t *params, const char *key, int def)
{
	json_t *v = json_object_get(params, key);

	if (v == NULL || json_is_null(v))
		return def;
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

/*
 * list {"project"?, "include_broken"?, "broken_only"?, "stale_days"?,
 * "sort"?}: venv records. Stale means last activated (or, never
 * activated, first seen) more than stale_days ago. Sorts: "path"
 * (default), "size" (largest first, unmeasured last), "last-used" (most
 * recently activated first, never activated last).
 */
json_t *
index_list(struct daemon *d, json_t *params, int *code, char *err,
    size_t errlen)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	json_t *jproject, *jstale, *jsort, *venvs, *result;
	const char *sort = "path", *order;
	int include_broken, broken_only;
	json_int_t stale = -1;
	char sql[1024];
	int rc;

	index_flush(d);		/* the activations counted so far */
	*code = RPC_INVALID_PARAMS;
	if (params != NULL && !json_is_object(params)) {
		snprintf(err, errlen, "list takes an object of parameters");
		return NULL;
	}
	jproject = json_object_get(params, "project");
	jstale = json_object_get(params, "stale_days");
	jsort = json_object_get(params, "sort");
	include_broken = index_param_bool(params, "include_broken", 1);
	broken_only = index_param_bool(params, "broken_only", 0);
	if (include_broken == -1 || broken_only == -1) {
		snprintf(err, errlen, "include_broken and broken_only must be "
		    "booleans");
		return NULL;
	}
	if (jproject != NULL && !json_is_null(jproject) &&
	    (!json_is_string(jproject) || json_string_value(jproject)[0] != '/')) {
		snprintf(err, errlen, "project must be an absolute path");
		return NULL;
	}
	if (jstale != NULL && !json_is_null(jstale)) {
		if (!json_is_integer(jstale) || json_integer_value(jstale) < 0 ||
		    json_integer_value(jstale) > VENVD_LIST_MAX_STALE_DAYS) {
			snprintf(err, errlen, "stale_days must be a whole number "
			    "of days, 0 to %d", VENVD_LIST_MAX_STALE_DAYS);
			return NULL;
		}
		stale = json_integer_value(jstale);
	}
	if (jsort != NULL && !json_is_null(jsort)) {
		if (!json_is_string(jsort)) {
			snprintf(err, errlen, "sort must be \"path\", \"size\" "
			    "or \"last-used\"");
			return NULL;
		}
		sort = json_string_value(jsort);
	}
	if (strcmp(sort, "path") == 0)
		order = "path";
	else if (strcmp(sort, "size") == 0)
		order = "size_bytes DESC NULLS LAST, path";
	else if (strcmp(sort, "last-used") == 0)
		order = "last_activated DESC NULLS LAST, path";
	else {
		snprintf(err, errlen, "sort must be \"path\", \"size\" or "
		    "\"last-used\", not \"%.64s\"", sort);
		return NULL;
	}
	if (h == NULL) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "the index database is unavailable");
		return NULL;
	}
	snprintf(sql, sizeof sql, "SELECT " INDEX_COLUMNS " FROM venvs WHERE"
	    " (?1 IS NULL OR project = ?1 OR path = ?1)"
	    " AND (?2 OR state NOT LIKE 'broken:%%')"
	    " AND (NOT ?3 OR state LIKE 'broken:%%')"
	    " AND (?4 < 0 OR coalesce(last_activated, first_seen) < ?5)"
	    " ORDER BY %s", order);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "list: %s", sqlite3_errmsg(h));
		return NULL;
	}
	if (jproject != NULL && json_is_string(jproject))
		sqlite3_bind_text(st, 1, json_string_value(jproject), -1,
		    SQLITE_STATIC);
	sqlite3_bind_int(st, 2, include_broken);
	sqlite3_bind_int(st, 3, broken_only);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)stale);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL) -
	    (sqlite3_int64)(stale < 0 ? 0 : stale) * 86400);
	venvs = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = index_row(st);

		if (d->index != NULL && d->index->fill != NULL)
			d->index->fill(d->index->fill_ctx, rec);
		json_array_append_new(venvs, rec);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(venvs);
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "list: %s", sqlite3_errstr(rc));
		return NULL;
	}
	result = json_object();
	json_object_set_new(result, "venvs", venvs);
	json_object_set_new(result, "generation",
	    json_string(d->gen != NULL ? generation_string(d->gen) : "0-0"));
	return result;
}

/*
 * The record at path as list shows it, its trust filled in: 1 and *rec,
 * 0 when there is none, -1 when the index cannot be read. Activations
 * not yet written are not in it (index_flush touches them when it writes).
 */
int
index_get(struct daemon *d, const char *path, json_t **rec)
{
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	int rc;

	*rec = NULL;
	if (h == NULL || sqlite3_prepare_v2(h, "SELECT " INDEX_COLUMNS
	    " FROM venvs WHERE path = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rec = index_row(st);
		if (d->index != NULL && d->index->fill != NULL)
			d->index->fill(d->index->fill_ctx, *rec);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* forget {"path": VENV}: drop it from the index (files are untouched). */
json_t *
index_forget(struct daemon *d, json_t *params, int *code, char *err,
    size_t errlen)
{
	json_t *jpath = json_is_object(params) ?
	    json_object_get(params, "path") : NULL, *result;
	const char *path;
	int n;

	index_flush(d);		/* no count lands on a row forgotten */
	*code = RPC_INVALID_PARAMS;
	if (!json_is_string(jpath) || json_string_value(jpath)[0] != '/' ||
	    strlen(json_string_value(jpath)) != json_string_length(jpath)) {
		snprintf(err, errlen, "forget needs params {\"path\": "
		    "ABSOLUTE_VENV_PATH}");
		return NULL;
	}
	path = json_string_value(jpath);
	if (d->db == NULL) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "the index database is unavailable");
		return NULL;
	}
	if ((n = index_exec(d, "DELETE FROM venvs WHERE path = ?1", path, NULL,
	    0)) == -1) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "cannot write the index");
		return NULL;
	}
	db_seen_forget(d->db, path);
	if (n > 0)
		index_touched(d, path, 0);
	index_changed(d, path, NULL);
	if (n > 0)
		log_info("forgot %s", path);
	result = json_object();
	json_object_set_new(result, "forgotten", json_boolean(n > 0));
	return result;
}

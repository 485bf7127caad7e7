/* index.h: the venv records (index.c). */
#ifndef VENVD_DAEMON_INDEX_H
#define VENVD_DAEMON_INDEX_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "resolve.h"

struct daemon;

/*
 * A change to the venv records: v was recorded (inserted or refreshed
 * by index_record), or, v NULL, the venv at path and every venv below
 * it went out of use (marked missing, or forgotten).
 */
typedef void (*index_change_fn)(void *ctx, const char *path,
	    const struct venv_info *v);
/*
 * The venv recorded at from was moved (mv) to to, and its record with
 * it. same_project: it belongs to the same project there (or to none
 * in both places).
 */
typedef void (*index_move_fn)(void *ctx, const char *from, const char *to,
	    int same_project);
/*
 * A record list shows may have changed: the one at path, or (below set)
 * it and every record below path; path NULL: any record.
 */
typedef void (*index_touch_fn)(void *ctx, const char *path, int below);
/* Complete a venv record list returns (e.g. its "trust"). */
typedef void (*index_fill_fn)(void *ctx, json_t *rec);

/* The index's hooks (d->index); the records themselves live in d->db. */
struct index *index_new(struct daemon *);
void	index_free(struct index *);
/*
 * Call fn(ctx, ...) on every change to the records, after the hooks
 * added before it. 0, or -1 when full.
 */
int	index_on_change(struct index *, index_change_fn fn, void *ctx);
/* Have fn(ctx, rec) complete each record list returns. */
void	index_on_list(struct index *, index_fill_fn fn, void *ctx);
/* Have fn(ctx, from, to, same_project) told of each venv moved (one hook). */
void	index_on_move(struct index *, index_move_fn fn, void *ctx);
/*
 * Have fn(ctx, path, below) told of every write that may change what
 * list shows of a record (one hook), index_changed's or not.
 */
void	index_on_touch(struct index *, index_touch_fn fn, void *ctx);
/* Another module wrote the record at path (sizer.c): tell the touch hook. */
void	index_touched(struct daemon *, const char *path, int below);
/*
 * The record at path as list shows it (its trust filled in): 1 and
 * *rec, 0 when there is none, -1 when the index cannot be read.
 */
int	index_get(struct daemon *, const char *path, json_t **rec);
struct locator_store;
/* The tools' central stores of venvs (locator_stores), *n of them. */
const struct locator_store *index_stores(struct daemon *, size_t *n);

json_t *index_list(struct daemon *, json_t *, int *, char *, size_t);
json_t *index_forget(struct daemon *, json_t *, int *, char *, size_t);
/*
 * Record a venv (insert, or refresh every field, state and last_seen);
 * root is the discovery root it was found under, or NULL to keep the
 * stored one. Then tells the change hooks (index_on_change).
 */
int	index_record(struct daemon *, const struct venv_info *, const char *root);
/*
 * The resolver found v: record it, unless it was recorded unchanged a
 * moment ago (db_record_venv); the root is kept and no hook is told.
 */
void	index_resolved(struct daemon *, const struct venv_info *);
/*
 * Describe the venv at path exactly as resolve finds it (a venv_dirs
 * name is described from its project). 1 and out, or 0 if not a venv.
 */
int	index_describe(struct daemon *, const char *path, struct venv_info *out);
/* Mark the venv at path, and every venv below path, missing. */
void	index_mark_missing(struct daemon *, const char *path);
/* Mark venvs of root not seen since since missing (after a full scan). */
void	index_mark_unseen(struct daemon *, const char *root, time_t since);
/* A shell activated v (resolve with "activating": true). */
void	index_activated(struct daemon *, const struct venv_info *);
/* Write the activations index_activated() counted (a few seconds at most). */
void	index_flush(struct daemon *);

#endif

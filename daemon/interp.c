/*
 * interp.c: the base interpreters of indexed venvs.
 *
 * For each venv it watches two directories: its pyvenv.cfg "home" and
 * the directory holding the final target of bin/python (usually the
 * same). Any entry of such a directory created, deleted or moved, or the
 * directory itself going, re-describes every venv that depends on it
 * (the resolver's broken rules, no Python run); a venv whose state
 * changes ("ok" <-> "broken:<reason>") is rewritten in the index, the
 * change hook runs (the wiring drops the cache's answers: they carry
 * the broken reason) and the generation is bumped. All of it happens in
 * the event's loop iteration, well within a second.
 *
 * interp.c does not call the index back: it learns of records through
 * the index's change hook, which the wiring points at interp_track and
 * interp_untrack. At start (interp_start, once that hook is in place)
 * every indexed venv that is not "missing" is checked once and tracked;
 * a venv that is gone is marked missing.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uthash.h>

#include "daemon.h"
#include "db.h"
#include "generation.h"
#include "index.h"
#include "interp.h"
#include "watch.h"
#include "log.h"
#include "xmalloc.h"

#define INTERP_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
#define INTERP_NDIRS	2
#define INTERP_HOPS	8		/* links interp_direct_target follows */

/* A watched directory and the venvs depending on it. */
struct iwatch {
	int		 wd;
	char		*dir;
	char		**venvs;
	size_t		 nvenvs;
	UT_hash_handle	 hh;
};

/* A tracked venv. */
struct ivenv {
	char		*path;
	char		*broken;	/* as last recorded, NULL if healthy */
	char		*dirs[INTERP_NDIRS];	/* as asked for, NULL: none */
	int		 wds[INTERP_NDIRS];	/* -1: none */
	UT_hash_handle	 hh;
};

struct interp {
	struct daemon	*d;
	struct watch_owner owner;	/* registered with d->watcher */
	struct iwatch	*watches;	/* by wd */
	struct ivenv	*venvs;		/* by path */
	void		(*on_change)(void *);	/* a venv's state changed */
	void		*on_change_ctx;
};

/* Does a equal b, NULLs included? */
static int
interp_streq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Drop one use of wd by venv path, keeping the watch; the watch, or NULL. */
static struct iwatch *
interp_unlink_once(struct interp *in, int wd, const char *path)
{
	struct iwatch *w;
	size_t i;

	HASH_FIND_INT(in->watches, &wd, w);
	if (w == NULL)
		return NULL;
	for (i = 0; i < w->nvenvs; i++) {
		if (strcmp(w->venvs[i], path) != 0)
			continue;
		free(w->venvs[i]);
		w->venvs[i] = w->venvs[--w->nvenvs];
		break;
	}
	return w;
}

/* Drop venv path from the users of wd; remove the watch if none is left. */
static void
interp_unlink(struct interp *in, int wd, const char *path)
{
	struct iwatch *w;

	if ((w = interp_unlink_once(in, wd, path)) == NULL || w->nvenvs > 0)
		return;
	HASH_DEL(in->watches, w);
	watch_remove_owned(in->d->watcher, w->wd, &in->owner);
	free(w->venvs);
	free(w->dir);
	free(w);
}

/*
 * Watch dir for venv path; the wd or -1. A dir that does not exist (the
 * interpreter is gone) is waited for on its nearest existing ancestor.
 */
static int
interp_link(struct interp *in, const char *dir, const char *path)
{
	struct iwatch *w;
	char at[PATH_MAX], *slash;
	int wd;

	snprintf(at, sizeof at, "%s", dir);
	while ((wd = watch_add_owned(in->d->watcher, at, INTERP_MASK,
	    &in->owner)) == -1 && (errno == ENOENT || errno == ENOTDIR) &&
	    (slash = strrchr(at, '/')) != NULL && strcmp(at, "/") != 0) {
		if (slash == at)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (wd == -1) {
		log_debug("cannot watch interpreter dir %s: %s", at,
		    strerror(errno));
		return -1;
	}
	dir = at;
	HASH_FIND_INT(in->watches, &wd, w);
	if (w == NULL) {
		w = xcalloc(1, sizeof *w);
		w->wd = wd;
		w->dir = xstrdup(dir);
		HASH_ADD_INT(in->watches, wd, w);
	}
	/* The caller unlinked path first: no duplicate check (O(1) per venv). */
	w->venvs = xrealloc(w->venvs, (w->nvenvs + 1) * sizeof *w->venvs);
	w->venvs[w->nvenvs++] = xstrdup(path);
	return wd;
}

/* Stop tracking one venv. */
static void
interp_drop(struct interp *in, struct ivenv *v)
{
	int i;

	HASH_DEL(in->venvs, v);
	for (i = 0; i < INTERP_NDIRS; i++) {
		if (v->wds[i] != -1)
			interp_unlink(in, v->wds[i], v->path);
		free(v->dirs[i]);
	}
	free(v->path);
	free(v->broken);
	free(v);
}

/*
 * Does python lead, through symlinks only, to a regular file in home?
 * Each link must name a file in home ("/home/name") or, relative without
 * a '/', one next to it: venv's bin/python -> python3 -> /usr/bin/python3
 * -> python3.11. Then realpath's directory is home and need not be
 * asked: one readlink per link plus an lstat, instead of realpath's
 * one per path component (a first visit and a scan pay this).
 */
static int
interp_direct_target(const char *python, const char *home)
{
	char cur[PATH_MAX], target[PATH_MAX], *slash;
	struct stat sb;
	ssize_t n;
	size_t hl;
	int hops;

	if (home == NULL || snprintf(cur, sizeof cur, "%s", python) >=
	    (int)sizeof cur)
		return 0;
	hl = strlen(home);
	for (hops = 0; hops <= INTERP_HOPS; hops++) {
		if ((n = readlink(cur, target, sizeof target - 1)) <= 0)
			break;
		target[n] = '\0';
		if (target[0] == '/') {
			if (strncmp(target, home, hl) != 0 ||
			    target[hl] != '/' ||
			    strchr(target + hl + 1, '/') != NULL)
				return 0;
			memcpy(cur, target, (size_t)n + 1);
		} else {
			if (strchr(target, '/') != NULL ||
			    strcmp(target, ".") == 0 || strcmp(target, "..") == 0 ||
			    (slash = strrchr(cur, '/')) == NULL ||
			    (size_t)(slash + 1 - cur) + (size_t)n >= sizeof cur)
				return 0;
			memcpy(slash + 1, target, (size_t)n + 1);
		}
	}
	/* Not a link (EINVAL) after at least one: the final file, in home? */
	if (hops == 0 || hops > INTERP_HOPS || errno != EINVAL ||
	    strncmp(cur, home, hl) != 0 || cur[hl] != '/' ||
	    strchr(cur + hl + 1, '/') != NULL)
		return 0;
	return lstat(cur, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Watch v's base interpreter (home, the target of bin/python). */
void
interp_track(struct interp *in, const struct venv_info *vi)
{
	struct ivenv *v;
	char python[PATH_MAX + 16], target[PATH_MAX], *slash;
	const char *dirs[INTERP_NDIRS];
	int i, wds[INTERP_NDIRS];

	if (in == NULL || vi == NULL || vi->path == NULL)
		return;
	dirs[0] = vi->home;
	dirs[1] = NULL;
	snprintf(python, sizeof python, "%s/bin/python", vi->path);
	if (interp_direct_target(python, vi->home))
		;	/* python links straight to a file in home (the usual case) */
	else if (realpath(python, target) != NULL &&
	    (slash = strrchr(target, '/')) != NULL) {
		if (slash == target)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (vi->home == NULL || strcmp(target, vi->home) != 0)
			dirs[1] = target;
	}
	HASH_FIND_STR(in->venvs, vi->path, v);
	if (v != NULL && interp_streq(v->dirs[0], dirs[0]) &&
	    interp_streq(v->dirs[1], dirs[1]) && v->broken == NULL &&
	    vi->broken == NULL)
		return;		/* the same interpreter, already watched */
	if (v != NULL)
		interp_drop(in, v);
	v = xcalloc(1, sizeof *v);
	v->path = xstrdup(vi->path);
	HASH_ADD_KEYPTR(hh, in->venvs, v->path, strlen(v->path), v);
	v->broken = vi->broken != NULL ? xstrdup(vi->broken) : NULL;
	for (i = 0; i < INTERP_NDIRS; i++) {
		v->dirs[i] = dirs[i] != NULL ? xstrdup(dirs[i]) : NULL;
		wds[i] = dirs[i] != NULL && dirs[i][0] == '/' ?
		    interp_link(in, dirs[i], vi->path) : -1;
		/* Both dirs on one inode: one use of the watch. */
		if (i > 0 && wds[i] != -1 && wds[i] == wds[0]) {
			interp_unlink_once(in, wds[i], vi->path);
			wds[i] = -1;
		}
		v->wds[i] = wds[i];
	}
}

/* Stop watching for the venv at path and every venv below it. */
void
interp_untrack(struct interp *in, const char *path)
{
	struct ivenv *v, *tmp;
	size_t n = strlen(path);

	if (in == NULL)
		return;
	HASH_ITER(hh, in->venvs, v, tmp)
		if (strncmp(v->path, path, n) == 0 &&
		    (v->path[n] == '\0' || v->path[n] == '/'))
			interp_drop(in, v);
}

/* Describe the venv at path again; 1 if its state changed. */
static int
interp_check(struct interp *in, const char *path)
{
	struct daemon *d = in->d;
	struct venv_info vi;
	struct ivenv *v;
	int changed;

	HASH_FIND_STR(in->venvs, path, v);
	if (index_describe(d, path, &vi) != 1) {
		/* No longer a venv at all. */
		log_info("%s: no longer a venv: missing", path);
		index_mark_missing(d, path);	/* untracks it */
		return 1;
	}
	changed = v == NULL || !interp_streq(v->broken, vi.broken);
	if (!changed && vi.broken != NULL) {
		/* Follow the interpreter's way back, then look again (no race). */
		interp_track(in, &vi);
		venv_info_free(&vi);
		if (index_describe(d, path, &vi) != 1)
			return 0;
		changed = vi.broken == NULL;
	}
	if (changed) {
		if (vi.broken != NULL)
			log_warn("%s is broken: %s", path, vi.broken);
		else if (v != NULL)
			log_info("%s is healthy again", path);
		(void)index_record(d, &vi, NULL);	/* tracks it again */
	}
	venv_info_free(&vi);
	return changed;
}

/* An event on an interpreter directory (struct watch_owner): re-check the venvs that use it. */
static void
interp_on_event(void *ctx, int wd, uint32_t mask, const char *name)
{
	struct interp *in = ctx;
	struct iwatch *w;
	char **paths;
	size_t i, n;
	int changed = 0;

	(void)name;
	HASH_FIND_INT(in->watches, &wd, w);
	if (w == NULL)
		return;
	log_debug("interpreter dir %s: event 0x%x%s%s", w->dir, mask,
	    name != NULL ? " on " : "", name != NULL ? name : "");
	/* Copy: checking may unlink venvs from this very watch. */
	n = w->nvenvs;
	paths = xcalloc(n + 1, sizeof *paths);
	for (i = 0; i < n; i++)
		paths[i] = xstrdup(w->venvs[i]);
	if (mask & IN_IGNORED) {
		/* The kernel dropped the watch: forget it (tracking re-adds). */
		HASH_DEL(in->watches, w);
		for (i = 0; i < w->nvenvs; i++)
			free(w->venvs[i]);
		free(w->venvs);
		free(w->dir);
		free(w);
	}
	for (i = 0; i < n; i++) {
		changed |= interp_check(in, paths[i]);
		free(paths[i]);
	}
	free(paths);
	if (changed) {
		if (in->on_change != NULL)
			in->on_change(in->on_change_ctx);
		generation_bump(in->d->gen);
	}
}

/* Watch nothing yet (NULL without inotify); interp_start checks the index. */
struct interp *
interp_new(struct daemon *d)
{
	struct interp *in;

	if (d->watcher == NULL)
		return NULL;
	in = xcalloc(1, sizeof *in);
	in->d = d;
	in->owner.name = "interp";
	in->owner.on_event = interp_on_event;
	in->owner.ctx = in;
	(void)watch_register(d->watcher, &in->owner);
	return in;
}

/* Call fn(ctx) when a venv turns broken or healthy, before the generation moves. */
void
interp_on_change(struct interp *in, void (*fn)(void *), void *ctx)
{
	if (in == NULL)
		return;
	in->on_change = fn;
	in->on_change_ctx = ctx;
}

/* Check every indexed venv that is not missing once (the index's hook tracks it). */
void
interp_start(struct interp *in)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char **paths = NULL;
	size_t n = 0, i;

	if (in == NULL)
		return;
	h = db_handle(in->d->db);
	if (h == NULL || sqlite3_prepare_v2(h, "SELECT path FROM venvs"
	    " WHERE state != 'missing'", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		paths = xrealloc(paths, (n + 1) * sizeof *paths);
		paths[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++) {
		(void)interp_check(in, paths[i]);
		free(paths[i]);
	}
	free(paths);
}

/* Free everything (the watcher's fd closes the watches). */
void
interp_free(struct interp *in)
{
	struct ivenv *v, *tmp;

	if (in == NULL)
		return;
	HASH_ITER(hh, in->venvs, v, tmp)
		interp_drop(in, v);
	watch_unregister(in->d->watcher, &in->owner);
	free(in);
}

/*
 * roots.c: discovery roots. Each root is scanned breadth-first up to its
 * depth (the root is level 0; a venv at level depth is still found),
 * never descending into .git, node_modules, __pycache__, .tox, a venv
 * (a directory holding pyvenv.cfg), a symlink, or another filesystem
 * unless cross_fs. Every directory scanned that is not a venv gets an
 * inotify watch, so venvs appearing, moving or vanishing below it are
 * seen at once: a new directory is queued for scanning, a vanished one
 * marks the venvs at and below it "missing" (index.c).
 *
 * The scan does not block requests: an ev_idle takes directories off one
 * queue for at most ROOTS_SLICE_MS per loop iteration (idle watchers run
 * only when nothing else is pending), reading each with getdents via
 * readdir(3) and using d_type to avoid a stat per entry.
 *
 * Watch budget. Root watches (with those that absent stores hold to
 * follow a name) may use max_watches minus a quarter, which
 * is kept for the cache's answers (the directories a shell is in right
 * now are worth more than a deep corner of a tree). Within that, watches
 * are granted in scan order, breadth-first, so when the budget (or the
 * kernel's limit) runs out it is the deepest directories of the roots
 * scanned last that go unwatched. Such a root is still scanned fully, is
 * reported by status.degraded and `roots` ("degraded"), and is rescanned
 * every ROOTS_RESCAN_S seconds (and when watches are freed) so its index
 * stays right even without live events.
 *
 * The roots are an owner of watches (watch.c): told of events on their
 * watches, and of lost events (every root is rescanned). Their degraded
 * states go to the health registry (health.c) under "root:<path>".
 *
 * Stores. Unless discover_stores is off, the central stores where the
 * tools keep their venvs (locator_stores, through index.c) are roots too,
 * those of tools whose locator is off (the config's locators) excepted
 * (source "store"), one level deep: Poetry's, Pipenv's and
 * virtualenvwrapper's venvs are their entries; pyenv-virtualenv's are
 * versions/<name> and versions/<version>/envs/<name> (a version's
 * directory is entered only for its envs). A store that does not exist
 * is not an error and costs one name followed in the nearest directory
 * above it that does (state "absent"): when that entry appears, the
 * store is scanned again, so a store made after the daemon started is
 * picked up, and one that is deleted is followed again. The venvs of
 * Pipenv's and virtualenvwrapper's stores are also watched for their
 * .project back-reference being written, which index.c records as the
 * venv's project.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include <jansson.h>

#include "daemon.h"
#include "db.h"
#include "health.h"
#include "index.h"
#include "locator.h"
#include "roots.h"
#include "watch.h"
#include "log.h"
#include "paths.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

/* How often roots_follow looks again for a directory that went while it looked. */
#define ROOTS_FOLLOW_TRIES	8
#define ROOTS_DEFAULT_DEPTH	VENVD_WATCH_DEFAULT_DEPTH
#define ROOTS_MAX_DEPTH		VENVD_WATCH_MAX_DEPTH
#define ROOTS_SLICE_MS		4.0
#define ROOTS_RESCAN_S		60.0
#define ROOTS_PENDING_S		10.0	/* how long a half-made venv is waited for */
#define ROOTS_PENDING_TICK	0.05
#define ROOTS_DEFAULT_MAX_WATCHES 8192

#define ROOTS_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Where a root comes from (struct root's source). */
#define ROOTS_INDEX	0	/* venvd watch, kept in the index */
#define ROOTS_CONFIG	1	/* roots = ... in the config */
#define ROOTS_STORE	2	/* a tool's store (discover_stores) */

struct root {
	char		*path;
	int		 depth;
	int		 cross_fs;
	int		 source;	/* ROOTS_INDEX, ROOTS_CONFIG, ROOTS_STORE */
	const char	*via;		/* a store's: at level 1 enter only this name */
	int		 absent;	/* a store that does not exist (yet) */
	int		 follow_wd;	/* absent: the watch of the nearest directory, or -1 */
	char		 follow_name[NAME_MAX + 1];	/* its entry on the way to the store */
	time_t		 added;
	dev_t		 dev;
	long		 dirs;		/* directories scanned by the last scan */
	long		 venvs;		/* venvs found by the last scan */
	long		 unwatched;	/* directories left unwatched */
	int		 enospc;	/* the kernel's limit, not ours */
	long		 queued;	/* scan items waiting */
	int		 full;		/* a full scan is running */
	time_t		 scan_wall;	/* when the full scan started */
	double		 scan_start;
	long		 scan_ms;	/* of the last full scan, -1 before */
	char		 error[256];	/* the root itself cannot be scanned */
	TAILQ_ENTRY(root) entry;
};

/* A directory watched for a root. */
struct rdir {
	int		 wd;
	char		*path;
	int		 depth;
	struct root	*root;
	UT_hash_handle	 hh;
};

struct scan_item {
	struct root	*root;
	char		*path;
	int		 depth;
	int		 live;		/* from an event, not a full scan */
	TAILQ_ENTRY(scan_item) entry;
};

/* A directory with a pyvenv.cfg but (yet) no bin/python. */
struct pending {
	char		*path;
	char		*root;
	double		 deadline;
	LIST_ENTRY(pending) entry;
};

struct roots {
	struct daemon	*d;
	struct watch_owner owner;	/* registered with d->watcher */
	TAILQ_HEAD(, root) roots;
	struct rdir	*dirs;		/* uthash by wd */
	long		 nwatches;
	TAILQ_HEAD(, scan_item) queue;
	LIST_HEAD(, pending) pending;
	ev_idle		 idle;
	ev_timer	 pending_timer;
	ev_timer	 rescan_timer;
};

static void	roots_scan_start(struct roots *, struct root *);
static void	roots_on_event(void *, int, uint32_t, const char *);
static void	roots_rescan_all(void *);

/* Directory names never descended into. */
static int
roots_skip_name(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, "node_modules") == 0 ||
	    strcmp(name, "__pycache__") == 0 || strcmp(name, ".tox") == 0;
}

/* Does r scan the directory called name at level depth? */
static int
roots_descends(const struct root *r, int depth, const char *name)
{
	if (roots_skip_name(name) || depth > r->depth)
		return 0;
	/* pyenv's versions/<version>/: only envs/ holds venvs. */
	return r->via == NULL || depth != 2 || strcmp(name, r->via) == 0;
}

/* Monotonic seconds. */
static double
roots_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is path equal to dir or below it? */
static int
roots_is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The watches roots may hold: max_watches less a quarter kept for the cache. */
static long
roots_budget(const struct roots *rs)
{
	long max = rs->d->cfg.max_watches > 0 ? rs->d->cfg.max_watches :
	    ROOTS_DEFAULT_MAX_WATCHES;

	return max - max / 4;
}

/* The root whose path is path, or NULL. */
static struct root *
roots_find(struct roots *rs, const char *path)
{
	struct root *r;

	TAILQ_FOREACH(r, &rs->roots, entry)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

/* Queue path (at depth below r) for scanning and wake the idle watcher. */
static void
roots_enqueue(struct roots *rs, struct root *r, const char *path, int depth,
    int live)
{
	struct scan_item *it = xcalloc(1, sizeof *it);

	it->root = r;
	it->path = xstrdup(path);
	it->depth = depth;
	it->live = live;
	TAILQ_INSERT_TAIL(&rs->queue, it, entry);
	r->queued++;
	ev_idle_start(rs->d->loop, &rs->idle);
}

/* Does a root follow a name in the directory of wd (an absent store)? */
static int
roots_wd_followed(struct roots *rs, int wd)
{
	struct root *r;

	TAILQ_FOREACH(r, &rs->roots, entry)
		if (r->follow_wd == wd)
			return 1;
	return 0;
}

/* How many watches absent stores hold only to follow a name (not also a root's directory). */
static long
roots_follow_watches(struct roots *rs)
{
	struct root *r, *q;
	struct rdir *rd;
	long n = 0;

	TAILQ_FOREACH(r, &rs->roots, entry) {
		if (r->follow_wd == -1)
			continue;
		HASH_FIND_INT(rs->dirs, &r->follow_wd, rd);
		if (rd != NULL)
			continue;
		/* Count each watch once, at the first root that follows it. */
		TAILQ_FOREACH(q, &rs->roots, entry)
			if (q == r || q->follow_wd == r->follow_wd)
				break;
		if (q == r)
			n++;
	}
	return n;
}

/* Forget one watched directory and let go of its watch. */
static void
roots_drop_dir(struct roots *rs, struct rdir *rd, int kernel_gone)
{
	HASH_DEL(rs->dirs, rd);
	if (!kernel_gone && !roots_wd_followed(rs, rd->wd))
		watch_remove_owned(rs->d->watcher, rd->wd, &rs->owner);
	rs->nwatches--;
	free(rd->path);
	free(rd);
}

/* Drop the watches of dirs strictly below path (or at it too, if self). */
static void
roots_drop_below(struct roots *rs, const char *path, int self)
{
	struct rdir *rd, *tmp;

	HASH_ITER(hh, rs->dirs, rd, tmp) {
		if (!roots_is_below(rd->path, path))
			continue;
		if (!self && strcmp(rd->path, path) == 0)
			continue;
		roots_drop_dir(rs, rd, 0);
	}
}

/* Update the degraded state of r in status. */
static void
roots_report(struct roots *rs, struct root *r)
{
	char key[PATH_MAX + 8];

	snprintf(key, sizeof key, "root:%s", r->path);
	if (r->error[0] != '\0')
		health_degraded_set(rs->d->health, key, "root %s cannot be scanned: %s",
		    r->path, r->error);
	else if (r->unwatched > 0 && r->enospc)
		health_degraded_set(rs->d->health, key, "root %s is not fully watched: "
		    "inotify watch limit reached (%ld directories unwatched); "
		    "raise fs.inotify.max_user_watches with sysctl", r->path,
		    r->unwatched);
	else if (r->unwatched > 0)
		health_degraded_set(rs->d->health, key, "root %s is not fully watched: "
		    "watch budget (max_watches=%ld) reached (%ld directories "
		    "unwatched)", r->path, rs->d->cfg.max_watches, r->unwatched);
	else
		health_clear(rs->d->health, key);
}

/* Stop following a name for r; the watch goes unless the roots still use it. */
static void
roots_unfollow(struct roots *rs, struct root *r)
{
	struct rdir *rd;
	int wd = r->follow_wd;

	if (wd == -1)
		return;
	r->follow_wd = -1;
	r->follow_name[0] = '\0';
	HASH_FIND_INT(rs->dirs, &wd, rd);
	if (rd == NULL && !roots_wd_followed(rs, wd))
		watch_remove_owned(rs->d->watcher, wd, &rs->owner);
}

/*
 * The store r does not exist: follow the one name on the way to it in
 * the nearest directory that does (roots_on_event scans r again when it
 * appears). Called while r is being scanned.
 */
static void
roots_follow(struct roots *rs, struct root *r)
{
	char dir[PATH_MAX + 1], name[NAME_MAX + 1], path[PATH_MAX + NAME_MAX + 2];
	struct stat sb;
	int wd;

	r->absent = 1;
	r->error[0] = '\0';
	/*
	 * The directory found can go before it is watched (rm -rf of the
	 * store's parents in progress): look again, further up.
	 */
	for (int tries = 0;; tries++) {
		if (paths_absent_parent(r->path, dir, name) == -1) {
			roots_unfollow(rs, r);
			snprintf(r->error, sizeof r->error, "no directory "
			    "above it to watch");
			return;
		}
		if ((wd = watch_add_owned(rs->d->watcher, dir, ROOTS_MASK,
		    &rs->owner)) != -1)
			break;
		if ((errno != ENOENT && errno != ENOTDIR) ||
		    tries == ROOTS_FOLLOW_TRIES) {
			roots_unfollow(rs, r);
			snprintf(r->error, sizeof r->error, "cannot watch the "
			    "directory above it for it to appear: %s",
			    strerror(errno));
			return;
		}
	}
	if (r->follow_wd != wd || strcmp(r->follow_name, name) != 0) {
		if (r->follow_wd != wd)
			roots_unfollow(rs, r);
		r->follow_wd = wd;
		snprintf(r->follow_name, sizeof r->follow_name, "%s", name);
		log_debug("store %s does not exist: following %s in %s",
		    r->path, name, dir);
	}
	/* Made between the look and the watch: scan again. */
	snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
	    name);
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		roots_unfollow(rs, r);
		roots_enqueue(rs, r, r->path, 0, 0);
	}
}

/* Watch dir for r within the budget; 0, or -1 (counted as unwatched). */
static int
roots_watch_dir(struct roots *rs, struct root *r, const char *path, int depth)
{
	struct rdir *rd;
	uint32_t mask = ROOTS_MASK;
	int wd;

	/* A venv of a store: its .project back-reference being written. */
	if (r->source == ROOTS_STORE && r->via == NULL && depth == r->depth)
		mask |= IN_CLOSE_WRITE;
	if (rs->nwatches + roots_follow_watches(rs) >= roots_budget(rs)) {
		r->unwatched++;
		return -1;
	}
	if ((wd = watch_add_owned(rs->d->watcher, path, mask,
	    &rs->owner)) == -1) {
		if (errno == ENOSPC) {
			r->enospc = 1;
			r->unwatched++;
		} else
			log_debug("cannot watch %s: %s", path, strerror(errno));
		return -1;
	}
	HASH_FIND_INT(rs->dirs, &wd, rd);
	if (rd != NULL)
		return 0;	/* the same directory, reached again */
	rd = xcalloc(1, sizeof *rd);
	rd->wd = wd;
	rd->path = xstrdup(path);
	rd->depth = depth;
	rd->root = r;
	HASH_ADD_INT(rs->dirs, wd, rd);
	rs->nwatches++;
	return 0;
}

/* Record the venv at path found under root; 1 if it is (already) a whole venv. */
static int
roots_record(struct roots *rs, const char *root, const char *path)
{
	struct venv_info vi;

	if (index_describe(rs->d, path, &vi) != 1)
		return 0;
	if (index_record(rs->d, &vi, root) == 0)
		log_debug("indexed %s (root %s)", path, root);
	venv_info_free(&vi);
	return 1;
}

/* Wait a while for the venv at path to become whole. */
static void
roots_pending_add(struct roots *rs, const char *root, const char *path)
{
	struct pending *p;

	LIST_FOREACH(p, &rs->pending, entry)
		if (strcmp(p->path, path) == 0)
			return;
	p = xcalloc(1, sizeof *p);
	p->path = xstrdup(path);
	p->root = xstrdup(root);
	p->deadline = roots_now() + ROOTS_PENDING_S;
	LIST_INSERT_HEAD(&rs->pending, p, entry);
	if (!ev_is_active(&rs->pending_timer))
		ev_timer_again(rs->d->loop, &rs->pending_timer);
}

/* Free one pending entry. */
static void
roots_pending_free(struct pending *p)
{
	LIST_REMOVE(p, entry);
	free(p->path);
	free(p->root);
	free(p);
}

/* Retry half-made venvs; stop when none is left. */
static void
roots_pending_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct roots *rs = t->data;
	struct pending *p, *next;
	double now = roots_now();

	(void)revents;
	for (p = LIST_FIRST(&rs->pending); p != NULL; p = next) {
		next = LIST_NEXT(p, entry);
		if (roots_find(rs, p->root) == NULL ||
		    roots_record(rs, p->root, p->path) || now > p->deadline) {
			/* Now a venv: nothing of its interior is watched. */
			roots_drop_below(rs, p->path, 0);
			roots_pending_free(p);
		}
	}
	if (LIST_EMPTY(&rs->pending))
		ev_timer_stop(loop, t);
}

/* A full scan of r has drained: venvs it did not see are missing. */
static void
roots_scan_done(struct roots *rs, struct root *r)
{
	r->full = 0;
	r->scan_ms = (long)((roots_now() - r->scan_start) * 1000.0);
	if (r->error[0] == '\0')
		index_mark_unseen(rs->d, r->path, r->scan_wall);
	log_info("scanned root %s: %ld directories, %ld venvs in %ld ms%s",
	    r->path, r->dirs, r->venvs, r->scan_ms,
	    r->unwatched > 0 ? " (not fully watched)" : "");
	roots_report(rs, r);
}

/* Is a directory of path, strictly above it and below its root, a watched venv's interior? */
static int
roots_inside_venv(const char *root, const char *path)
{
	char buf[PATH_MAX + 16];
	size_t rlen = strlen(root), n;
	char *p;

	snprintf(buf, sizeof buf, "%s", path);
	while ((p = strrchr(buf, '/')) != NULL && (size_t)(p - buf) > rlen) {
		*p = '\0';
		n = strlen(buf);
		if (n + sizeof "/pyvenv.cfg" > sizeof buf)
			return 0;
		memcpy(buf + n, "/pyvenv.cfg", sizeof "/pyvenv.cfg");
		if (access(buf, F_OK) == 0)
			return 1;
		buf[n] = '\0';
	}
	return 0;
}

/* Scan one directory: a venv is recorded, else watched and its subdirs queued. */
static void
roots_scan_dir(struct roots *rs, struct scan_item *it)
{
	struct root *r = it->root;
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	char **subs = NULL, child[PATH_MAX + 1];
	size_t nsubs = 0, cap = 0, i;
	int fd, venv = 0, descend = it->depth < r->depth;

	/* A store may be a symbolic link (~/.virtualenvs -> /data/venvs). */
	fd = open(it->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (it->depth == 0 && r->source == ROOTS_STORE ? 0 : O_NOFOLLOW));
	if (fd == -1) {
		if (it->depth == 0 && r->source == ROOTS_STORE &&
		    (errno == ENOENT || errno == ENOTDIR))
			roots_follow(rs, r);
		else if (it->depth == 0)
			snprintf(r->error, sizeof r->error, "%s", strerror(errno));
		return;
	}
	if (it->depth == 0) {
		r->error[0] = '\0';
		r->absent = 0;
		roots_unfollow(rs, r);
	}
	if (!r->cross_fs) {
		if (fstat(fd, &sb) == -1) {
			close(fd);
			return;
		}
		if (it->depth == 0)
			r->dev = sb.st_dev;
		else if (sb.st_dev != r->dev) {
			close(fd);
			return;		/* another filesystem */
		}
	}
	if (it->live && it->depth > 0 && roots_inside_venv(r->path, it->path)) {
		close(fd);
		return;
	}
	r->dirs++;
	/* Watch before reading, so nothing created meanwhile is missed. */
	(void)roots_watch_dir(rs, r, it->path, it->depth);
	if (!descend) {
		venv = faccessat(fd, "pyvenv.cfg", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		close(fd);
	} else {
		if ((dp = fdopendir(fd)) == NULL) {
			close(fd);
			return;
		}
		while ((de = readdir(dp)) != NULL) {
			const char *n = de->d_name;
			unsigned char type = de->d_type;

			if (n[0] == '.' && (n[1] == '\0' ||
			    (n[1] == '.' && n[2] == '\0')))
				continue;
			if (strcmp(n, "pyvenv.cfg") == 0) {
				venv = 1;
				continue;
			}
			if (type == DT_UNKNOWN) {
				if (fstatat(dirfd(dp), n, &sb,
				    AT_SYMLINK_NOFOLLOW) == -1)
					continue;
				type = S_ISDIR(sb.st_mode) ? DT_DIR : DT_REG;
			}
			if (type != DT_DIR || !roots_descends(r, it->depth + 1, n))
				continue;
			if (nsubs == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				subs = xrealloc(subs, cap * sizeof *subs);
			}
			subs[nsubs++] = xstrdup(n);
		}
		closedir(dp);
	}
	if (venv) {
		r->venvs++;
		if (!roots_record(rs, r->path, it->path))
			roots_pending_add(rs, r->path, it->path);
		/* Its own watch stays, to see pyvenv.cfg go; not its interior. */
		if (it->live)
			roots_drop_below(rs, it->path, 0);
	} else {
		for (i = 0; i < nsubs; i++) {
			if (snprintf(child, sizeof child, "%s/%s",
			    strcmp(it->path, "/") == 0 ? "" : it->path,
			    subs[i]) >= (int)sizeof child)
				continue;
			roots_enqueue(rs, r, child, it->depth + 1, it->live);
		}
	}
	for (i = 0; i < nsubs; i++)
		free(subs[i]);
	free(subs);
}

/* Idle: scan queued directories for at most ROOTS_SLICE_MS. */
static void
roots_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct roots *rs = w->data;
	struct scan_item *it;
	struct root *r;
	double start = roots_now();
	unsigned n = 0;

	(void)revents;
	/* One transaction per slice: a thousand venvs are not a thousand fsyncs. */
	if (db_handle(rs->d->db) != NULL)
		(void)sqlite3_exec(db_handle(rs->d->db), "BEGIN", NULL, NULL, NULL);
	while ((it = TAILQ_FIRST(&rs->queue)) != NULL) {
		TAILQ_REMOVE(&rs->queue, it, entry);
		r = it->root;
		roots_scan_dir(rs, it);
		free(it->path);
		free(it);
		if (--r->queued == 0) {
			if (r->full)
				roots_scan_done(rs, r);
			else
				roots_report(rs, r);
		}
		if (++n % 32 == 0 &&
		    (roots_now() - start) * 1000.0 >= ROOTS_SLICE_MS)
			break;
	}
	if (db_handle(rs->d->db) != NULL &&
	    sqlite3_exec(db_handle(rs->d->db), "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_warn("index commit: %s", sqlite3_errmsg(db_handle(rs->d->db)));
		(void)sqlite3_exec(db_handle(rs->d->db), "ROLLBACK", NULL, NULL,
		    NULL);
	}
	if (TAILQ_EMPTY(&rs->queue))
		ev_idle_stop(loop, w);
}

/* Drop r's queued items and watches. */
static void
roots_quiesce(struct roots *rs, struct root *r)
{
	struct scan_item *it, *next;
	struct rdir *rd, *tmp;

	for (it = TAILQ_FIRST(&rs->queue); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (it->root != r)
			continue;
		TAILQ_REMOVE(&rs->queue, it, entry);
		free(it->path);
		free(it);
	}
	r->queued = 0;
	HASH_ITER(hh, rs->dirs, rd, tmp)
		if (rd->root == r)
			roots_drop_dir(rs, rd, 0);
}

/* (Re)start a full scan of r from scratch. */
static void
roots_scan_start(struct roots *rs, struct root *r)
{
	roots_quiesce(rs, r);
	r->dirs = r->venvs = r->unwatched = 0;
	r->enospc = 0;
	r->full = 1;
	r->scan_wall = time(NULL);
	r->scan_start = roots_now();
	roots_enqueue(rs, r, r->path, 0, 0);
}

/* Rescan every root that is not fully watched (watches were freed, or time passed). */
static void
roots_rescan_degraded(struct roots *rs)
{
	struct root *r;

	TAILQ_FOREACH(r, &rs->roots, entry)
		if ((r->unwatched > 0 || r->error[0] != '\0') && r->queued == 0)
			roots_scan_start(rs, r);
}

/* Timer: rescan roots that are not live-watched. */
static void
roots_rescan_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	roots_rescan_degraded(t->data);
}

/* Events were lost (struct watch_owner): rescan every root. */
static void
roots_rescan_all(void *ctx)
{
	struct roots *rs = ctx;
	struct root *r;

	if (rs == NULL)
		return;
	TAILQ_FOREACH(r, &rs->roots, entry)
		roots_scan_start(rs, r);
}

/* Add a root to the list (not yet scanned). */
static struct root *
roots_add(struct roots *rs, const char *path, int depth, int cross_fs,
    int source, time_t added)
{
	struct root *r = xcalloc(1, sizeof *r);

	r->path = xstrdup(path);
	r->depth = depth;
	r->cross_fs = cross_fs;
	r->source = source;
	r->follow_wd = -1;
	r->added = added;
	r->scan_ms = -1;
	TAILQ_INSERT_TAIL(&rs->roots, r, entry);
	return r;
}

/* Remove r: its watches, queue items and degraded state. */
static void
roots_del(struct roots *rs, struct root *r)
{
	char key[PATH_MAX + 8];

	roots_quiesce(rs, r);
	roots_unfollow(rs, r);
	snprintf(key, sizeof key, "root:%s", r->path);
	health_clear(rs->d->health, key);
	TAILQ_REMOVE(&rs->roots, r, entry);
	free(r->path);
	free(r);
}

/* Strip trailing slashes (keeping "/") into out; -1 if too long. */
static int
roots_clean_path(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n >= outlen)
		return -1;
	memcpy(out, in, n + 1);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

/* Load the roots (database and config) and start scanning them. */
struct roots *
roots_new(struct daemon *d)
{
	struct roots *rs;
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	const struct locator_store *stores;
	const struct locator *loc;
	struct resolve_opts opts;
	char path[PATH_MAX];
	struct root *r;
	size_t i, nstores;

	if (d->watcher == NULL)
		return NULL;
	rs = xcalloc(1, sizeof *rs);
	rs->d = d;
	rs->owner.name = "roots";
	rs->owner.on_event = roots_on_event;
	rs->owner.on_overflow = roots_rescan_all;
	rs->owner.ctx = rs;
	(void)watch_register(d->watcher, &rs->owner);
	TAILQ_INIT(&rs->roots);
	TAILQ_INIT(&rs->queue);
	LIST_INIT(&rs->pending);
	ev_idle_init(&rs->idle, roots_idle);
	rs->idle.data = rs;
	ev_init(&rs->pending_timer, roots_pending_tick);
	rs->pending_timer.repeat = ROOTS_PENDING_TICK;
	rs->pending_timer.data = rs;
	ev_timer_init(&rs->rescan_timer, roots_rescan_tick, ROOTS_RESCAN_S,
	    ROOTS_RESCAN_S);
	rs->rescan_timer.data = rs;
	ev_timer_start(d->loop, &rs->rescan_timer);

	for (i = 0; i < d->cfg.n_roots; i++) {
		if (d->cfg.roots[i][0] != '/' || roots_clean_path(d->cfg.roots[i],
		    path, sizeof path) == -1 || roots_find(rs, path) != NULL)
			continue;
		roots_add(rs, path, ROOTS_DEFAULT_DEPTH, 0, ROOTS_CONFIG,
		    d->started);
	}
	if (h != NULL && sqlite3_prepare_v2(h, "SELECT path, depth, cross_fs,"
	    " added FROM roots ORDER BY added, path", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(st, 0);

			if (p == NULL || roots_find(rs, p) != NULL)
				continue;
			roots_add(rs, p, sqlite3_column_int(st, 1),
			    sqlite3_column_int(st, 2) != 0,
			    ROOTS_INDEX, (time_t)sqlite3_column_int64(st, 3));
		}
		sqlite3_finalize(st);
	}
	stores = index_stores(d, &nstores);
	resolve_opts_from_conf(&opts, &d->cfg);
	for (i = 0; d->cfg.discover_stores && i < nstores; i++) {
		if (roots_clean_path(stores[i].path, path, sizeof path) == -1 ||
		    roots_find(rs, path) != NULL)
			continue;
		/* A tool whose locator the config turned off: not its store either. */
		if ((loc = locator_by_name(stores[i].manager)) != NULL &&
		    !locator_on(&opts, loc))
			continue;
		/* One level; pyenv's versions/<version>/envs/<name> is three. */
		r = roots_add(rs, path, stores[i].via != NULL ? 3 : 1, 0,
		    ROOTS_STORE, d->started);
		r->via = stores[i].via;
	}
	TAILQ_FOREACH(r, &rs->roots, entry)
		roots_scan_start(rs, r);
	return rs;
}

/* Stop scanning and free everything (the watcher's fd closes the watches). */
void
roots_free(struct roots *rs)
{
	struct root *r;
	struct pending *p;

	if (rs == NULL)
		return;
	while ((r = TAILQ_FIRST(&rs->roots)) != NULL)
		roots_del(rs, r);
	while ((p = LIST_FIRST(&rs->pending)) != NULL)
		roots_pending_free(p);
	ev_idle_stop(rs->d->loop, &rs->idle);
	ev_timer_stop(rs->d->loop, &rs->pending_timer);
	ev_timer_stop(rs->d->loop, &rs->rescan_timer);
	watch_unregister(rs->d->watcher, &rs->owner);
	free(rs);
}

/*
 * An event on a directory where absent stores follow a name: the name
 * appeared (scan the store again: it exists now, or the next step on the
 * way does), or the directory went (follow from further up).
 */
static void
roots_follow_event(struct roots *rs, int wd, uint32_t mask, const char *name)
{
	struct root *r;

	TAILQ_FOREACH(r, &rs->roots, entry) {
		if (r->follow_wd != wd)
			continue;
		if (mask & IN_IGNORED) {
			r->follow_wd = -1;	/* the kernel let go of it */
			roots_scan_start(rs, r);
		} else if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
			roots_unfollow(rs, r);
			roots_scan_start(rs, r);
		} else if (name != NULL && strcmp(name, r->follow_name) == 0 &&
		    (mask & (IN_CREATE | IN_MOVED_TO))) {
			log_info("store %s: %s appeared", r->path, name);
			roots_unfollow(rs, r);
			roots_scan_start(rs, r);
		}
	}
}

/* An event on a watch the roots own (struct watch_owner). */
static void
roots_on_event(void *ctx, int wd, uint32_t mask, const char *name)
{
	struct roots *rs = ctx;
	struct rdir *rd;
	struct root *r;
	char child[PATH_MAX + 1];

	roots_follow_event(rs, wd, mask, name);
	HASH_FIND_INT(rs->dirs, &wd, rd);
	if (rd == NULL)
		return;
	r = rd->root;
	if (mask & IN_IGNORED) {
		int top = rd->depth == 0;

		roots_drop_dir(rs, rd, 1);
		if (top && r->source == ROOTS_STORE)
			roots_scan_start(rs, r);	/* follows it again */
		else if (top)
			snprintf(r->error, sizeof r->error, "the directory "
			    "is gone");
		roots_report(rs, r);
		return;
	}
	if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (rd->depth == 0 && r->source == ROOTS_STORE) {
			log_info("store %s is gone", r->path);
			index_mark_missing(rs->d, r->path);
			roots_drop_dir(rs, rd, 0);
			roots_scan_start(rs, r);	/* follows it again */
		} else if (rd->depth == 0) {
			snprintf(r->error, sizeof r->error, "the directory "
			    "was %s", mask & IN_MOVE_SELF ? "moved" : "deleted");
			index_mark_missing(rs->d, r->path);
			roots_drop_dir(rs, rd, 0);
			roots_report(rs, r);
		} else if (mask & IN_MOVE_SELF)
			roots_drop_dir(rs, rd, 0);	/* the parent saw it go */
		return;
	}
	if (name == NULL || snprintf(child, sizeof child, "%s/%s",
	    strcmp(rd->path, "/") == 0 ? "" : rd->path, name) >=
	    (int)sizeof child)
		return;
	if (r->source == ROOTS_STORE && strcmp(name, ".project") == 0 &&
	    !(mask & IN_ISDIR)) {
		/* A back-reference written, moved or removed. */
		if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE |
		    IN_MOVED_FROM))
			(void)roots_record(rs, r->path, rd->path);
		return;
	}
	if (strcmp(name, "pyvenv.cfg") == 0 && !(mask & IN_ISDIR)) {
		if (mask & (IN_CREATE | IN_MOVED_TO)) {
			if (!roots_record(rs, r->path, rd->path))
				roots_pending_add(rs, r->path, rd->path);
			else
				roots_drop_below(rs, rd->path, 0);
		} else if (mask & (IN_DELETE | IN_MOVED_FROM))
			index_mark_missing(rs->d, rd->path);
		return;
	}
	if (!(mask & IN_ISDIR))
		return;
	if (mask & (IN_DELETE | IN_MOVED_FROM)) {
		log_debug("%s is gone", child);
		index_mark_missing(rs->d, child);
		roots_drop_below(rs, child, 1);
	}
	if ((mask & (IN_CREATE | IN_MOVED_TO)) &&
	    roots_descends(r, rd->depth + 1, name))
		roots_enqueue(rs, r, child, rd->depth + 1, 1);
}

/* A root as the protocol shows it. */
static json_t *
roots_json(const struct root *r)
{
	json_t *o = json_object();
	const char *state;

	if (r->queued > 0)
		state = "scanning";
	else if (r->absent && r->error[0] == '\0')
		state = "absent";
	else if (r->unwatched > 0 || r->error[0] != '\0')
		state = "degraded";
	else
		state = "live";
	json_object_set_new(o, "path", rpc_path_to_json(r->path));
	json_object_set_new(o, "depth", json_integer(r->depth));
	json_object_set_new(o, "cross_fs", json_boolean(r->cross_fs));
	json_object_set_new(o, "source", json_string(r->source == ROOTS_STORE ?
	    "store" : r->source == ROOTS_CONFIG ? "config" : "index"));
	json_object_set_new(o, "state", json_string(state));
	if (r->error[0] != '\0')
		json_object_set_new(o, "reason", json_string(r->error));
	else if (r->unwatched > 0)
		json_object_set_new(o, "reason", json_string(r->enospc ?
		    "inotify watch limit (fs.inotify.max_user_watches) reached" :
		    "watch budget (max_watches) reached"));
	json_object_set_new(o, "dirs", json_integer(r->dirs));
	json_object_set_new(o, "venvs", json_integer(r->venvs));
	json_object_set_new(o, "unwatched", json_integer(r->unwatched));
	json_object_set_new(o, "added", json_integer((json_int_t)r->added));
	if (r->scan_ms >= 0)
		json_object_set_new(o, "scan_ms", json_integer(r->scan_ms));
	return o;
}

/* The "path" parameter as a clean absolute directory name, or NULL with err. */
static const char *
roots_param_path(json_t *params, char *out, size_t outlen, char *err,
    size_t errlen)
{
	json_t *j = json_is_object(params) ? json_object_get(params, "path") :
	    NULL;
	const char *p;

	if (!json_is_string(j)) {
		snprintf(err, errlen, "needs params {\"path\": ABSOLUTE_DIRECTORY}");
		return NULL;
	}
	p = json_string_value(j);
	if (strlen(p) != json_string_length(j) || p[0] != '/') {
		snprintf(err, errlen, "path must be absolute, without NUL bytes");
		return NULL;
	}
	if (roots_clean_path(p, out, outlen) == -1) {
		snprintf(err, errlen, "path is longer than PATH_MAX");
		return NULL;
	}
	return out;
}

/* watch {"path", "depth"?, "cross_fs"?}: add (or change) a root and scan it. */
json_t *
roots_watch(struct daemon *d, json_t *params, int *code, char *err,
    size_t errlen)
{
	struct roots *rs = d->roots;
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	char path[PATH_MAX];
	json_t *jdepth, *jcross, *result;
	struct stat sb;
	struct root *r;
	int depth = ROOTS_DEFAULT_DEPTH, cross_fs = 0, rc;
	time_t now = time(NULL);

	*code = RPC_INVALID_PARAMS;
	if (roots_param_path(params, path, sizeof path, err, errlen) == NULL)
		return NULL;
	jdepth = json_object_get(params, "depth");
	jcross = json_object_get(params, "cross_fs");
	if (jdepth != NULL && !json_is_null(jdepth)) {
		if (!json_is_integer(jdepth) || json_integer_value(jdepth) < 0 ||
		    json_integer_value(jdepth) > ROOTS_MAX_DEPTH) {
			snprintf(err, errlen, "depth must be a whole number "
			    "from 0 to %d", ROOTS_MAX_DEPTH);
			return NULL;
		}
		depth = (int)json_integer_value(jdepth);
	}
	if (jcross != NULL && !json_is_null(jcross)) {
		if (!json_is_boolean(jcross)) {
			snprintf(err, errlen, "cross_fs must be a boolean");
			return NULL;
		}
		cross_fs = json_is_true(jcross);
	}
	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return NULL;
	}
	if (rs == NULL || h == NULL) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "cannot watch roots: %s", h == NULL ?
		    "the index database is unavailable" : "inotify is unavailable");
		return NULL;
	}
	if ((r = roots_find(rs, path)) != NULL && r->source == ROOTS_CONFIG) {
		snprintf(err, errlen, "%s is a root from the configuration "
		    "file: change it there", path);
		return NULL;
	}
	if (r != NULL && r->source == ROOTS_STORE) {
		snprintf(err, errlen, "%s is a tool's store of venvs, already "
		    "watched (discover_stores in the configuration file)", path);
		return NULL;
	}
	if (sqlite3_prepare_v2(h, "INSERT INTO roots (path, depth, cross_fs,"
	    " added) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (path) DO UPDATE SET"
	    " depth = excluded.depth, cross_fs = excluded.cross_fs", -1, &st,
	    NULL) != SQLITE_OK) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "watch: %s", sqlite3_errmsg(h));
		return NULL;
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, depth);
	sqlite3_bind_int(st, 3, cross_fs);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*code = RPC_INTERNAL_ERROR;
		snprintf(err, errlen, "watch: %s", sqlite3_errstr(rc));
		return NULL;
	}
	if (r == NULL)
		r = roots_add(rs, path, depth, cross_fs, 0, now);
	r->depth = depth;
	r->cross_fs = cross_fs;
	log_info("watching root %s (depth %d%s)", path, depth,
	    cross_fs ? ", across filesystems" : "");
	roots_scan_start(rs, r);
	result = json_object();
	json_object_set_new(result, "root", roots_json(r));
	return result;
}

/* unwatch {"path"}: remove a root added with watch. */
json_t *
roots_unwatch(struct daemon *d, json_t *params, int *code, char *err,
    size_t errlen)
{
	struct roots *rs = d->roots;
	sqlite3 *h = db_handle(d->db);
	sqlite3_stmt *st;
	char path[PATH_MAX];
	struct root *r = NULL;
	json_t *result;
	int removed = 0;

	*code = RPC_INVALID_PARAMS;
	if (roots_param_path(params, path, sizeof path, err, errlen) == NULL)
		return NULL;
	if (rs != NULL && (r = roots_find(rs, path)) != NULL &&
	    r->source == ROOTS_CONFIG) {
		snprintf(err, errlen, "%s is a root from the configuration "
		    "file (roots = ...): remove it there and restart the "
		    "daemon", path);
		return NULL;
	}
	if (r != NULL && r->source == ROOTS_STORE) {
		snprintf(err, errlen, "%s is a tool's store of venvs: turn the "
		    "stores off with discover_stores = no in the configuration "
		    "file and restart the daemon", path);
		return NULL;
	}
	if (h != NULL && sqlite3_prepare_v2(h, "DELETE FROM roots WHERE"
	    " path = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			removed = sqlite3_changes(h) > 0;
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(h, "UPDATE venvs SET root = NULL WHERE"
		    " root = ?1", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
			(void)sqlite3_step(st);
			sqlite3_finalize(st);
			/* Any record may have had that root. */
			index_touched(d, NULL, 0);
		}
	}
	if (rs != NULL && (r = roots_find(rs, path)) != NULL) {
		roots_del(rs, r);
		removed = 1;
		log_info("no longer watching root %s", path);
		/* Watches were freed: roots left short may now fit. */
		roots_rescan_degraded(rs);
	}
	result = json_object();
	json_object_set_new(result, "removed", json_boolean(removed));
	return result;
}

/* roots {}: every root and its state. */
json_t *
roots_list(struct daemon *d, json_t *params, int *code, char *err,
    size_t errlen)
{
	json_t *result = json_object(), *arr = json_array();
	struct root *r;

	(void)params;
	(void)code;
	(void)err;
	(void)errlen;
	if (d->roots != NULL)
		TAILQ_FOREACH(r, &d->roots->roots, entry)
			json_array_append_new(arr, roots_json(r));
	json_object_set_new(result, "roots", arr);
	return result;
}

/*
 * The root watch made for params (its "path" as watch takes it), for
 * watch's answer after the scan: {"root": root object}, with *scanning
 * set while it is being scanned and *dirs and *venvs its scan's counters
 * so far. NULL with err when it is not (any longer) a root.
 */
json_t *
roots_watched(struct daemon *d, json_t *params, int *scanning, long *dirs,
    long *venvs, int *code, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct root *r;
	json_t *result;

	*scanning = 0;
	*dirs = *venvs = 0;
	*code = RPC_INVALID_PARAMS;
	if (roots_param_path(params, path, sizeof path, err, errlen) == NULL)
		return NULL;
	if (d->roots == NULL || (r = roots_find(d->roots, path)) == NULL) {
		snprintf(err, errlen, "%s is no longer a root (unwatched "
		    "meanwhile)", path);
		return NULL;
	}
	*scanning = r->queued > 0;
	*dirs = r->dirs;
	*venvs = r->venvs;
	result = json_object();
	json_object_set_new(result, "root", roots_json(r));
	return result;
}

/*
 * How many roots are being scanned right now; *dirs and *venvs the sum
 * of their scans' counters so far.
 */
int
roots_scanning(struct daemon *d, long *dirs, long *venvs)
{
	struct root *r;
	int n = 0;

	*dirs = *venvs = 0;
	if (d->roots == NULL)
		return 0;
	TAILQ_FOREACH(r, &d->roots->roots, entry) {
		if (r->queued == 0)
			continue;
		n++;
		*dirs += r->dirs;
		*venvs += r->venvs;
	}
	return n;
}

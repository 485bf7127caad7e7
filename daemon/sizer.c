/*
 * sizer.c: how much disk each indexed venv takes, measured off the loop.
 *
 * The size is what du(1) reports: st_blocks * 512 of every directory,
 * file and symlink below the venv (symlinks are not followed, other
 * filesystems are not skipped), each inode with st_nlink > 1 counted
 * once by (st_dev, st_ino) so hard-linked installs (uv, pip caches) are
 * not counted twice. Entries vanishing during the walk are skipped.
 *
 * A worker thread does the walks. The loop hands it a batch of paths
 * (venvs in state "ok" never measured, or measured over a day ago) from
 * a timer, and the thread hands each result back through an ev_async;
 * only the loop touches SQLite. A venv re-recorded by a scan or a
 * resolve "kicks" the timer, so new venvs are measured within seconds.
 * A full batch is followed by the next one at once, so a thousand new
 * venvs are measured in one go rather than 64 every SIZER_PERIOD_S. A
 * venv that cannot be read is noted as measured (its size stays what it
 * was), so it is tried again only when stale.
 *
 * Progress (sizer_progress): a round starts when the worker is handed
 * work and ends when a tick finds nothing left to measure; the sizes
 * written in it and the venvs never measured yet make "N of TOTAL".
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "daemon.h"
#include "db.h"
#include "index.h"
#include "sizer.h"
#include "log.h"
#include "xmalloc.h"

#define SIZER_MAX_DEPTH		128
#define SIZER_STALE_S		86400
#define SIZER_BATCH		64
#define SIZER_PERIOD_S		600.0
#define SIZER_KICK_S		2.0

struct sizer_ino {
	struct {
		dev_t	 dev;
		ino_t	 ino;
	}		 key;
	UT_hash_handle	 hh;
};

struct sizer_walk {
	struct sizer_ino *seen;
	uint64_t	 bytes;
};

/* One path to measure, or a result coming back. */
struct sizer_job {
	char		*path;
	uint64_t	 bytes;
	int		 ok;
	struct sizer_job *next;
};

struct sizer {
	struct daemon	*d;
	pthread_t	 thread;
	int		 started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct sizer_job *todo;		/* loop -> thread */
	struct sizer_job *done;		/* thread -> loop */
	int		 busy;		/* a batch is out */
	int		 full;		/* it was a full batch: more may wait */
	long		 round_done;	/* sizes written this round */
	int		 stop;
	ev_async	 async;
	ev_timer	 timer;
};

/* Count sb once (hard links by dev and ino). */
static void
sizer_count(struct sizer_walk *w, const struct stat *sb)
{
	struct sizer_ino *e, key;

	if (sb->st_nlink > 1 && !S_ISDIR(sb->st_mode)) {
		memset(&key, 0, sizeof key);
		key.key.dev = sb->st_dev;
		key.key.ino = sb->st_ino;
		HASH_FIND(hh, w->seen, &key.key, sizeof key.key, e);
		if (e != NULL)
			return;
		e = xcalloc(1, sizeof *e);
		e->key = key.key;
		HASH_ADD(hh, w->seen, key, sizeof e->key, e);
	}
	w->bytes += (uint64_t)sb->st_blocks * 512;
}

/* Walk the directory open at fd (consumed), counting every entry. */
static void
sizer_dir(struct sizer_walk *w, int fd, int depth)
{
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	int sub;

	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		const char *n = de->d_name;

		if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
			continue;
		if (fstatat(dirfd(dp), n, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* vanished meanwhile */
		sizer_count(w, &sb);
		if (!S_ISDIR(sb.st_mode) || depth >= SIZER_MAX_DEPTH)
			continue;
		sub = openat(dirfd(dp), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (sub != -1)
			sizer_dir(w, sub, depth + 1);
	}
	closedir(dp);
}

/* du-like size of path; 0 and *bytes, or -1 with errno. */
int
sizer_walk(const char *path, uint64_t *bytes)
{
	struct sizer_walk w;
	struct sizer_ino *e, *tmp;
	struct stat sb;
	int fd;

	memset(&w, 0, sizeof w);
	if (lstat(path, &sb) == -1)
		return -1;
	sizer_count(&w, &sb);
	if (S_ISDIR(sb.st_mode)) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			return -1;
		sizer_dir(&w, fd, 0);
	}
	HASH_ITER(hh, w.seen, e, tmp) {
		HASH_DEL(w.seen, e);
		free(e);
	}
	*bytes = w.bytes;
	return 0;
}

/* The worker: measure each job, hand results back. */
static void *
sizer_main(void *arg)
{
	struct sizer *s = arg;
	struct sizer_job *j;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->todo == NULL && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop)
			break;
		j = s->todo;
		s->todo = j->next;
		pthread_mutex_unlock(&s->mu);
		j->ok = sizer_walk(j->path, &j->bytes) == 0;
		pthread_mutex_lock(&s->mu);
		j->next = s->done;
		s->done = j;
		ev_async_send(s->d->loop, &s->async);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Free a list of jobs. */
static void
sizer_free_jobs(struct sizer_job *j)
{
	struct sizer_job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		free(j->path);
		free(j);
	}
}

/* Results are back: write them (loop thread only). */
static void
sizer_results(struct ev_loop *loop, ev_async *a, int revents)
{
	struct sizer *s = a->data;
	struct sizer_job *done, *j;
	sqlite3 *h = db_handle(s->d->db);
	sqlite3_stmt *st = NULL;
	int idle;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&s->mu);
	done = s->done;
	s->done = NULL;
	idle = s->todo == NULL;
	pthread_mutex_unlock(&s->mu);
	if (h != NULL && sqlite3_prepare_v2(h, "UPDATE venvs SET size_bytes ="
	    " CASE WHEN ?4 THEN ?2 ELSE size_bytes END, size_measured = ?3"
	    " WHERE path = ?1", -1, &st, NULL) != SQLITE_OK)
		st = NULL;
	for (j = done; j != NULL && st != NULL; j = j->next) {
		s->round_done++;
		sqlite3_bind_text(st, 1, j->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)j->bytes);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
		sqlite3_bind_int(st, 4, j->ok);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warn("cannot record the size of %s", j->path);
		else
			index_touched(s->d, j->path, 0);
		sqlite3_reset(st);
		if (j->ok)
			log_debug("%s: %llu bytes", j->path,
			    (unsigned long long)j->bytes);
		else
			log_debug("%s: cannot be measured", j->path);
	}
	sqlite3_finalize(st);
	sizer_free_jobs(done);
	if (idle) {
		s->busy = 0;
		/* A full batch: the next one now, not in SIZER_PERIOD_S. */
		if (s->full) {
			s->timer.repeat = 0.001;
			ev_timer_again(loop, &s->timer);
		}
	}
}

/* Timer: hand the worker the venvs whose size is unknown or old. */
static void
sizer_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct sizer *s = t->data;
	sqlite3 *h = db_handle(s->d->db);
	sqlite3_stmt *st;
	struct sizer_job *list = NULL, *j;

	(void)revents;
	t->repeat = SIZER_PERIOD_S;
	ev_timer_again(loop, t);
	if (s->busy || h == NULL || sqlite3_prepare_v2(h, "SELECT path FROM"
	    " venvs WHERE state = 'ok' AND (size_measured IS NULL OR"
	    " size_measured < ?1) ORDER BY size_measured NULLS FIRST LIMIT ?2",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL) - SIZER_STALE_S);
	sqlite3_bind_int(st, 2, SIZER_BATCH);
	s->full = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		s->full++;
		j = xcalloc(1, sizeof *j);
		j->path = xstrdup((const char *)sqlite3_column_text(st, 0));
		j->next = list;
		list = j;
	}
	sqlite3_finalize(st);
	s->full = s->full == SIZER_BATCH;
	if (list == NULL) {
		s->round_done = 0;	/* the round is over */
		return;
	}
	s->busy = 1;
	pthread_mutex_lock(&s->mu);
	s->todo = list;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Start the worker thread and the timer that queues unmeasured venvs. */
struct sizer *
sizer_new(struct daemon *d)
{
	struct sizer *s = xcalloc(1, sizeof *s);
	int rc;

	s->d = d;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	ev_async_init(&s->async, sizer_results);
	s->async.data = s;
	ev_async_start(d->loop, &s->async);
	ev_init(&s->timer, sizer_tick);
	s->timer.repeat = SIZER_KICK_S;
	s->timer.data = s;
	ev_timer_again(d->loop, &s->timer);
	if ((rc = pthread_create(&s->thread, NULL, sizer_main, s)) != 0)
		log_warn("cannot start the size worker: %s; sizes stay "
		    "unmeasured", strerror(rc));
	else
		s->started = 1;
	return s;
}

/* Stop the worker (after its current walk) and free everything. */
void
sizer_free(struct sizer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	ev_async_stop(s->d->loop, &s->async);
	ev_timer_stop(s->d->loop, &s->timer);
	sizer_free_jobs(s->todo);
	sizer_free_jobs(s->done);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* A venv was recorded: measure soon (the timer batches kicks). */
void
sizer_kick(struct sizer *s)
{
	if (s == NULL || !s->started)
		return;
	if (ev_timer_remaining(s->d->loop, &s->timer) > SIZER_KICK_S) {
		s->timer.repeat = SIZER_KICK_S;
		ev_timer_again(s->d->loop, &s->timer);
	}
}

/*
 * How far measuring has got: the number of venvs (state "ok") never
 * measured yet, 0 when there are none or no worker runs; then *measured
 * is the sizes written this round and *total that plus the ones left.
 */
long
sizer_progress(struct sizer *s, long *measured, long *total)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long left = 0;

	*measured = *total = 0;
	if (s == NULL || !s->started || (h = db_handle(s->d->db)) == NULL)
		return 0;
	if (sqlite3_prepare_v2(h, "SELECT count(*) FROM venvs WHERE state ="
	    " 'ok' AND size_measured IS NULL", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		left = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (left > 0 && !s->busy)
		sizer_kick(s);
	*measured = s->round_done;
	*total = s->round_done + left;
	return left;
}

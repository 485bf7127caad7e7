/*
 * watch.c: the daemon's one inotify fd, read by an ev_io.
 *
 * Events go to the owners of the watch: the cache (cache_on_event), the
 * discovery roots (roots_on_event), the interpreter watches
 * (interp_on_event) and the socket dir's guard (instance_on_event); each
 * decides what an event means to it. A queue overflow means events were
 * lost: the whole cache is dropped, the generation bumped, and the
 * daemon reports itself degraded for a minute. The generation file is
 * written once per read batch, not once per event.
 *
 * inotify hands back the same wd for the same inode, so the watcher
 * keeps the set of wds it holds: watch_count() counts each once, and
 * watch_remove() of a wd the kernel already dropped (IN_IGNORED) is a
 * no-op.
 */
#include "config.h"

#include <sys/inotify.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "daemon.h"
#include "cache.h"
#include "generation.h"
#include "instance.h"
#include "interp.h"
#include "roots.h"
#include "watch.h"
#include "log.h"
#include "xmalloc.h"

#define WATCH_OVERFLOW_CLEAR_S	60.0
#define WATCH_READ_BUF		(64 * 1024)

struct watch_wd {
	int		 wd;
	unsigned	 owners;	/* WATCH_OWNER_* bits */
	UT_hash_handle	 hh;
};

struct watcher {
	ev_io		 io;		/* first: the ev callback casts back */
	ev_timer	 overflow_timer;
	struct daemon	*d;
	int		 fd;
	long		 count;
	struct watch_wd	*wds;		/* uthash by wd */
};

/* Forget wd in the held set; 1 if it was held. */
static int
watch_forget(struct watcher *w, int wd)
{
	struct watch_wd *h;

	HASH_FIND_INT(w->wds, &wd, h);
	if (h == NULL)
		return 0;
	HASH_DEL(w->wds, h);
	free(h);
	w->count--;
	return 1;
}

/* The overflow is a minute old: no longer report it. */
static void
watch_overflow_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct watcher *w = t->data;

	(void)loop;
	(void)revents;
	daemon_degraded_clear(w->d, "overflow");
}

/* Events were lost: drop every cached answer and say so. */
static void
watch_overflow(struct watcher *w)
{
	struct daemon *d = w->d;
	char when[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	log_warn("inotify event queue overflowed: dropping %zu cached "
	    "directories", d->cache != NULL ? cache_size(d->cache) : 0);
	if (d->cache != NULL)
		cache_clear(d->cache);
	if (d->roots != NULL)
		roots_rescan_all(d->roots);
	/* A deletion in the socket dir may be among the lost events. */
	instance_check(d->instance);
	generation_bump(d->gen);
	daemon_degraded_set(d, "overflow",
	    "inotify event queue overflowed at %s; cache rebuilt", when);
	ev_timer_stop(d->loop, &w->overflow_timer);
	ev_timer_set(&w->overflow_timer, WATCH_OVERFLOW_CLEAR_S, 0.0);
	ev_timer_start(d->loop, &w->overflow_timer);
}

/* Hand one event to each owner of its watch. */
static void
watch_dispatch(struct watcher *w, const struct inotify_event *ev)
{
	const char *name = ev->len > 0 && ev->name[0] != '\0' ? ev->name : NULL;
	struct watch_wd *h;
	unsigned owners;

	if (ev->mask & IN_Q_OVERFLOW) {
		watch_overflow(w);
		return;
	}
	HASH_FIND_INT(w->wds, &ev->wd, h);
	owners = h != NULL ? h->owners : WATCH_OWNER_CACHE;
	/* The kernel dropped this watch; it no longer counts. */
	if (ev->mask & IN_IGNORED)
		watch_forget(w, ev->wd);
	if ((owners & WATCH_OWNER_CACHE) && w->d->cache != NULL)
		cache_on_event(w->d->cache, ev->wd, ev->mask, name);
	if ((owners & WATCH_OWNER_ROOTS) && w->d->roots != NULL)
		roots_on_event(w->d->roots, ev->wd, ev->mask, name);
	if ((owners & WATCH_OWNER_INTERP) && w->d->interp != NULL)
		interp_on_event(w->d->interp, ev->wd, ev->mask, name);
	if ((owners & WATCH_OWNER_INSTANCE) && w->d->instance != NULL)
		instance_on_event(w->d->instance, ev->wd, ev->mask, name);
}

/* The inotify fd is readable: drain it, then write the generation once. */
static void
watch_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watcher *w = (struct watcher *)io;
	char buf[WATCH_READ_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	(void)loop;
	(void)revents;
	for (;;) {
		n = read(w->fd, buf, sizeof buf);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_error("read inotify: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		for (p = buf; p < buf + n;
		    p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			watch_dispatch(w, ev);
		}
	}
	generation_flush(w->d->gen);
}

/* Open the inotify fd and start its ev_io. NULL with err on failure. */
struct watcher *
watcher_new(struct daemon *d, char *err, size_t errlen)
{
	struct watcher *w;
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		snprintf(err, errlen, "inotify_init1: %s%s", strerror(errno),
		    errno == EMFILE ? " (fs.inotify.max_user_instances "
		    "reached)" : "");
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->d = d;
	w->fd = fd;
	ev_io_init(&w->io, watch_readable, fd, EV_READ);
	ev_io_start(d->loop, &w->io);
	ev_timer_init(&w->overflow_timer, watch_overflow_timeout,
	    WATCH_OVERFLOW_CLEAR_S, 0.0);
	w->overflow_timer.data = w;
	return w;
}

/* Stop watching and close the fd (the kernel drops every watch). */
void
watcher_free(struct watcher *w)
{
	struct watch_wd *h, *tmp;

	if (w == NULL)
		return;
	ev_io_stop(w->d->loop, &w->io);
	ev_timer_stop(w->d->loop, &w->overflow_timer);
	HASH_ITER(hh, w->wds, h, tmp) {
		HASH_DEL(w->wds, h);
		free(h);
	}
	close(w->fd);
	free(w);
}

/* inotify_add_watch(path, mask | IN_MASK_ADD) for the cache. */
int
watch_add(struct watcher *w, const char *path, uint32_t mask)
{
	return watch_add_owned(w, path, mask, WATCH_OWNER_CACHE);
}

/* inotify_remove_watch for the cache. */
void
watch_remove(struct watcher *w, int wd)
{
	watch_remove_owned(w, wd, WATCH_OWNER_CACHE);
}

/* inotify_add_watch(path, mask | IN_MASK_ADD) for owner; the wd, or -1 with errno. */
int
watch_add_owned(struct watcher *w, const char *path, uint32_t mask,
    unsigned owner)
{
	struct watch_wd *h;
	int wd;

	if (w == NULL) {
		errno = EBADF;
		return -1;
	}
	/* IN_MASK_ADD: one dir may be a level for one answer, a venv for another. */
	if ((wd = inotify_add_watch(w->fd, path, mask | IN_MASK_ADD)) == -1)
		return -1;
	HASH_FIND_INT(w->wds, &wd, h);
	if (h == NULL) {
		h = xcalloc(1, sizeof *h);
		h->wd = wd;
		HASH_ADD_INT(w->wds, wd, h);
		w->count++;
	}
	h->owners |= owner;
	return wd;
}

/* Let go of wd for owner; inotify_rm_watch when no owner is left. */
void
watch_remove_owned(struct watcher *w, int wd, unsigned owner)
{
	struct watch_wd *h;

	if (w == NULL)
		return;
	HASH_FIND_INT(w->wds, &wd, h);
	if (h == NULL)
		return;		/* the kernel already dropped it */
	h->owners &= ~owner;
	if (h->owners != 0 || !watch_forget(w, wd))
		return;
	if (inotify_rm_watch(w->fd, wd) == -1 && errno != EINVAL)
		log_warn("inotify_rm_watch %d: %s", wd, strerror(errno));
}

/* Watches held right now. */
long
watch_count(const struct watcher *w)
{
	return w == NULL ? 0 : w->count;
}

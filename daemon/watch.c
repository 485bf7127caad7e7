/*
 * watch.c: the daemon's one inotify fd, read by an ev_io.
 *
 * Events go to the owners of the watch (struct watch_owner: the cache,
 * the discovery roots, the interpreter watches and the socket dir's
 * guard register one each); each decides what an event means to it.
 * watch.c names none of them. A queue overflow means events were lost:
 * every owner's on_overflow runs (the cache drops everything, the roots
 * rescan, the socket dir is checked), the generation is bumped, and the
 * daemon reports itself degraded for a minute. The generation file is
 * written once per read batch, not once per event.
 *
 * inotify hands back the same wd for the same inode, so the watcher
 * keeps the set of wds it holds: watch_count() counts each once, and
 * watch_remove_owned() of a wd the kernel already dropped (IN_IGNORED)
 * is a no-op.
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

#include "generation.h"
#include "health.h"
#include "watch.h"
#include "log.h"
#include "xmalloc.h"

#define WATCH_OVERFLOW_CLEAR_S	60.0
#define WATCH_READ_BUF		(64 * 1024)
#define WATCH_OWNERS_MAX	8	/* bits of watch_wd.owners */

struct watch_wd {
	int		 wd;
	unsigned	 owners;	/* bit i: owners[i] of the watcher */
	UT_hash_handle	 hh;
};

struct watcher {
	ev_io		 io;		/* first: the ev callback casts back */
	ev_timer	 overflow_timer;
	struct ev_loop	*loop;
	struct generation *gen;
	struct health	*health;
	const struct watch_owner *owners[WATCH_OWNERS_MAX];	/* NULL: free */
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
	health_clear(w->health, "overflow");
}

/* Events were lost: tell every owner, and say so. */
static void
watch_overflow(struct watcher *w)
{
	char when[64];
	struct tm tm;
	time_t now = time(NULL);
	int i;

	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	for (i = 0; i < WATCH_OWNERS_MAX; i++)
		if (w->owners[i] != NULL && w->owners[i]->on_overflow != NULL)
			w->owners[i]->on_overflow(w->owners[i]->ctx);
	generation_bump(w->gen);
	health_degraded_set(w->health, "overflow",
	    "inotify event queue overflowed at %s; cache rebuilt", when);
	ev_timer_stop(w->loop, &w->overflow_timer);
	ev_timer_set(&w->overflow_timer, WATCH_OVERFLOW_CLEAR_S, 0.0);
	ev_timer_start(w->loop, &w->overflow_timer);
}

/* Hand one event to each owner of its watch. */
static void
watch_dispatch(struct watcher *w, const struct inotify_event *ev)
{
	const char *name = ev->len > 0 && ev->name[0] != '\0' ? ev->name : NULL;
	const struct watch_owner *o;
	struct watch_wd *h;
	unsigned owners;
	int i;

	if (ev->mask & IN_Q_OVERFLOW) {
		watch_overflow(w);
		return;
	}
	HASH_FIND_INT(w->wds, &ev->wd, h);
	if (h == NULL)
		return;		/* let go of already: no owner holds it */
	owners = h->owners;
	/* The kernel dropped this watch; it no longer counts. */
	if (ev->mask & IN_IGNORED)
		watch_forget(w, ev->wd);
	for (i = 0; i < WATCH_OWNERS_MAX; i++)
		if ((owners & (1u << i)) && (o = w->owners[i]) != NULL)
			o->on_event(o->ctx, ev->wd, ev->mask, name);
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
	generation_flush(w->gen);
}

/* Open the inotify fd and start its ev_io. NULL with err on failure. */
struct watcher *
watcher_new(struct ev_loop *loop, struct generation *gen, struct health *health,
    char *err, size_t errlen)
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
	w->loop = loop;
	w->gen = gen;
	w->health = health;
	w->fd = fd;
	ev_io_init(&w->io, watch_readable, fd, EV_READ);
	ev_io_start(loop, &w->io);
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
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->overflow_timer);
	HASH_ITER(hh, w->wds, h, tmp) {
		HASH_DEL(w->wds, h);
		free(h);
	}
	close(w->fd);
	free(w);
}

/* The bit of a registered owner in watch_wd.owners, or 0 if not registered. */
static unsigned
watch_owner_bit(const struct watcher *w, const struct watch_owner *owner)
{
	int i;

	for (i = 0; i < WATCH_OWNERS_MAX; i++)
		if (w->owners[i] == owner)
			return 1u << i;
	return 0;
}

/* Register owner, told of events in registration order; 0, or -1 when full. */
int
watch_register(struct watcher *w, const struct watch_owner *owner)
{
	int i;

	if (w == NULL || watch_owner_bit(w, owner) != 0)
		return 0;
	for (i = 0; i < WATCH_OWNERS_MAX; i++) {
		if (w->owners[i] == NULL) {
			w->owners[i] = owner;
			return 0;
		}
	}
	log_error("watch owner %s: too many owners", owner->name);
	return -1;
}

/* Let go of every watch owner holds and stop telling it anything. */
void
watch_unregister(struct watcher *w, const struct watch_owner *owner)
{
	struct watch_wd *h, *tmp;
	unsigned bit;
	int wd;

	if (w == NULL || (bit = watch_owner_bit(w, owner)) == 0)
		return;
	HASH_ITER(hh, w->wds, h, tmp) {
		if ((h->owners & bit) == 0)
			continue;
		h->owners &= ~bit;
		wd = h->wd;
		if (h->owners == 0 && watch_forget(w, wd) &&
		    inotify_rm_watch(w->fd, wd) == -1 && errno != EINVAL)
			log_warn("inotify_rm_watch %d: %s", wd, strerror(errno));
	}
	for (int i = 0; i < WATCH_OWNERS_MAX; i++)
		if (w->owners[i] == owner)
			w->owners[i] = NULL;
}

/* inotify_add_watch(path, mask | IN_MASK_ADD) for owner; the wd, or -1 with errno. */
int
watch_add_owned(struct watcher *w, const char *path, uint32_t mask,
    const struct watch_owner *owner)
{
	struct watch_wd *h;
	unsigned bit;
	int wd;

	if (w == NULL || (bit = watch_owner_bit(w, owner)) == 0) {
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
	h->owners |= bit;
	return wd;
}

/* Let go of wd for owner; inotify_rm_watch when no owner is left. */
void
watch_remove_owned(struct watcher *w, int wd, const struct watch_owner *owner)
{
	struct watch_wd *h;

	if (w == NULL)
		return;
	HASH_FIND_INT(w->wds, &wd, h);
	if (h == NULL)
		return;		/* the kernel already dropped it */
	h->owners &= ~watch_owner_bit(w, owner);
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

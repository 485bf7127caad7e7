/* watch.h: the one inotify fd (watch.c). */
#ifndef VENVD_DAEMON_WATCH_H
#define VENVD_DAEMON_WATCH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

struct generation;
struct health;

/*
 * An owner of watches (the cache, the roots, the interpreter watches,
 * the socket dir's guard). One inode has one wd, so owners may share
 * it: events go to every owner of the watch, in the order the owners
 * were registered, and the kernel watch goes when its last owner lets go.
 */
struct watch_owner {
	const char	*name;		/* for the log */
	/* An event on a watch it holds; name is the entry's, or NULL. */
	void		(*on_event)(void *ctx, int wd, uint32_t mask,
			    const char *name);
	/* The kernel's queue overflowed: events were lost (NULL: nothing to do). */
	void		(*on_overflow)(void *ctx);
	void		*ctx;
};

/*
 * Open the inotify fd and start its ev_io on loop. An overflow bumps
 * gen and is reported in health for a minute. NULL with err on failure.
 */
struct watcher *watcher_new(struct ev_loop *, struct generation *,
	    struct health *, char *err, size_t errlen);
void	watcher_free(struct watcher *);
/* Register owner (kept by pointer until watch_unregister); 0, or -1 when full. */
int	watch_register(struct watcher *, const struct watch_owner *);
/* Let go of every watch owner holds and stop telling it anything. */
void	watch_unregister(struct watcher *, const struct watch_owner *);
/*
 * inotify_add_watch(path, mask) for a registered owner; the wd, or -1
 * with errno (ENOSPC: kernel limit).
 */
int	watch_add_owned(struct watcher *, const char *path, uint32_t mask,
	    const struct watch_owner *);
/* Let go of wd for owner; inotify_rm_watch when no owner is left. */
void	watch_remove_owned(struct watcher *, int wd, const struct watch_owner *);
/* Watches held right now. */
long	watch_count(const struct watcher *);

#endif

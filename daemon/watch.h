/* watch.h: the one inotify fd (watch.c). */
#ifndef VENVD_DAEMON_WATCH_H
#define VENVD_DAEMON_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
/* Open the inotify fd and start its ev_io. NULL with err on failure. */
struct watcher *watcher_new(struct daemon *, char *err, size_t errlen);
void	watcher_free(struct watcher *);
/* inotify_add_watch(path, mask); the wd, or -1 with errno (ENOSPC: kernel limit). */
int	watch_add(struct watcher *, const char *path, uint32_t mask);
/* inotify_rm_watch. */
void	watch_remove(struct watcher *, int wd);
/*
 * Owners of a watch: one inode has one wd, so the cache, the roots and
 * the interpreter watches may share it. Events go to every owner; the
 * kernel watch goes when its last owner lets go. watch_add/watch_remove
 * act for WATCH_OWNER_CACHE.
 */
#define WATCH_OWNER_CACHE	0x1u
#define WATCH_OWNER_ROOTS	0x2u
#define WATCH_OWNER_INTERP	0x4u
#define WATCH_OWNER_INSTANCE	0x8u
int	watch_add_owned(struct watcher *, const char *path, uint32_t mask, unsigned owner);
void	watch_remove_owned(struct watcher *, int wd, unsigned owner);
/* Watches held right now. */
long	watch_count(const struct watcher *);

#endif

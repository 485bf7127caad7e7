/* cache.h: per-directory answers and their watches (cache.c). */
#ifndef VENVD_DAEMON_CACHE_H
#define VENVD_DAEMON_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

struct daemon;
struct locator;

/* A new, empty cache; it owns watches of d->watcher (told of their events and of overflows). */
struct cache *cache_new(struct daemon *);
void	cache_free(struct cache *);
/* Ask table (NULL-terminated) instead of locators[] on a miss; for tests. */
void	cache_set_locators(struct cache *, const struct locator *const *table);
/*
 * Answer for an absolute directory in the locator environment env
 * (locator_env_collect's form, as rpc_env_from_json gives it; NULL: the
 * daemon's own): from the cache, or by resolve_dir() with env plus
 * watches on every directory the answer depends on. Sets *hit when
 * it came from the cache and *cacheable to 0 when the answer could not
 * be watched (ENOSPC, remote filesystem) and so is resolved afresh on
 * every request. Returns as resolve_dir() does.
 */
int	cache_resolve(struct cache *, const char *const *env, const char *dir,
	    struct venv_info *out, int *hit, int *cacheable, char *err,
	    size_t errlen);
/*
 * The cached answer for dir in env (as cache_resolve), without a system
 * call: 1 with out filled, 0 (none applies), or -1 when dir has no
 * cached answer there.
 */
int	cache_lookup(struct cache *, const char *const *env, const char *dir,
	    struct venv_info *out);
/*
 * The i-th locator environment answers are kept for (0: the daemon's
 * own, from its start) and how many directories it has cached; NULL
 * past the end.
 */
const char *const *cache_env_at(const struct cache *, size_t i,
	    size_t *cached_dirs);
/* Directories with a cached answer. */
size_t	cache_size(const struct cache *);
/* Drop everything (events were lost, or answers carry stale venv state). */
void	cache_clear(struct cache *);
/*
 * Have fn(ctx, venv) told, for an event that drops cached answers, of
 * each venv they gave (its verdict may change), or of NULL (any venv)
 * when the watcher lost events. One hook.
 */
void	cache_on_drop(struct cache *, void (*fn)(void *ctx, const char *venv),
	    void *ctx);

#endif

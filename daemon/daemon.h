/*
 * daemon.h: the parts of venvd-daemon and how they meet.
 *
 *   venvd_daemon.c options, detaching, signals, taking the instance lock, startup/shutdown
 *   instance.c    the lock, socket and generation file: noticed when deleted, put back
 *   server.c      the listening socket and connections: accept, peer uid, framing,
 *                 write queues, idle timeouts, the client cap
 *   request.c     one request line in, one response line out, from a table of
 *                 methods; handlers get their connection (no socket code)
 *   cache.c       per-directory answers, their watches, LRU eviction
 *   watch.c       the one inotify fd and its ev_io
 *   generation.c  the change counter and <socket dir>/generation
 *   db.c          the SQLite index: open, migrate, quick_check, record venvs
 *   subscribe.c   subscribe streams and coalesced venvs_changed notifications
 *   index.c       the venv index methods: list, forget, activation counting
 *   roots.c       discovery roots: incremental scans and their watches
 *   interp.c      base interpreters of indexed venvs: broken within a second
 *   sizer.c       venv sizes, measured by a worker thread
 *   health.c      the index's storage: failed writes raise a fault, retried until they land
 */
#ifndef VENVD_DAEMON_H
#define VENVD_DAEMON_H

#include <ev.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "resolve.h"

struct server;
struct cache;
struct watcher;
struct generation;
struct db;
struct subs;
struct roots;
struct interp;
struct sizer;
struct instance;
struct health;
struct json_t;

#define DEGRADED_MAX 16

struct daemon {
	struct ev_loop	*loop;
	struct conf	 cfg;
	char		 socket_path[PATH_MAX];
	char		 socket_dir[PATH_MAX];
	char		 state_dir[PATH_MAX];
	time_t		 started;

	struct server	*server;
	struct cache	*cache;
	struct watcher	*watcher;
	struct generation *gen;
	struct db	*db;
	struct subs	*subs;		/* subscribe.c, made by the first subscriber */

	uint64_t	 requests;	/* requests answered */
	uint64_t	 cache_hits;	/* resolves answered from the cache */

	/*
	 * Reasons the daemon is not fully healthy, keyed so each can be
	 * cleared. A notice is also shown once by every hook.
	 */
	struct {
		char	*key;
		char	*reason;
		int	 notice;
	}		 degraded[DEGRADED_MAX];
	int		 n_degraded;

	struct roots	*roots;		/* NULL without an index or inotify */
	struct interp	*interp;
	struct sizer	*sizer;
	struct verdicts	*verdicts;	/* verdict.c */
	struct instance	*instance;	/* instance.c */
	struct health	*health;	/* health.c */
};

/* venvd_daemon.c: record (or replace) a degraded state under key, and log it once. */
void	daemon_degraded_set(struct daemon *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * venvd_daemon.c: the same for a fault every hook shows once: resolve answers
 * carry it in "notices", and the generation moves when it is raised,
 * reworded or cleared, so that shells ask again.
 */
void	daemon_notice_set(struct daemon *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* venvd_daemon.c: clear the degraded state under key, if any. */
void	daemon_degraded_clear(struct daemon *, const char *key);
/* venvd_daemon.c: stop the loop and shut down cleanly. */
void	daemon_shutdown(struct daemon *);

#endif

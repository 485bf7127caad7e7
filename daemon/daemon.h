/*
 * daemon.h: the parts of venvd-daemon and how they meet.
 *
 * Layers, bottom to top; a file calls only into its own layer or the
 * ones below it, and learns of anything above through a hook it was
 * handed (a callback and a context):
 *
 * infrastructure
 *   watch.c       the one inotify fd and its ev_io; owners register a
 *                 struct watch_owner (events, overflow) and are not named
 *   generation.c  the change counter and <socket dir>/generation
 *   db.c          the SQLite index: open, migrate, quick_check, record venvs
 *   health.c      the registry of degraded states and notices (status,
 *                 resolve's "notices")
 * domain
 *   index.c       the venv records' one writer; list, forget, activation
 *                 counting; change hooks (index_on_change) for the rest
 *   storage.c     the index's storage: failed writes raise a fault,
 *                 retried until they land
 *   verdict.c     trust verdicts; says when a git check settled (a hook)
 *   sizer.c       venv sizes, measured by a worker thread
 *   interp.c      base interpreters of indexed venvs: broken within a second
 *   roots.c       discovery roots: incremental scans and their watches
 *   cache.c       per-directory answers, their watches, LRU eviction
 *   instance.c    the lock, socket and generation file: noticed when
 *                 deleted, put back (the socket through hooks)
 * protocol
 *   request.c     one request line in, one response line out, from a table of
 *                 methods; handlers get their connection (no socket code)
 *   subscribe.c   subscribe streams and coalesced venvs_changed notifications
 * transport
 *   server.c      the listening socket and connections: accept, peer uid,
 *                 framing, write queues, idle timeouts, the client cap
 * wiring
 *   venvd_daemon.c options, detaching, signals, taking the instance lock,
 *                 startup/shutdown; the only file that knows every module
 *                 and the one place hooks are connected
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
struct index;
struct storage;
struct json_t;

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

	struct health	*health;	/* health.c: degraded states, notices */
	struct index	*index;		/* index.c: its change hooks */

	struct roots	*roots;		/* NULL without an index or inotify */
	struct interp	*interp;
	struct sizer	*sizer;
	struct verdicts	*verdicts;	/* verdict.c */
	struct instance	*instance;	/* instance.c */
	struct storage	*storage;	/* storage.c */
};

/* venvd_daemon.c: stop the loop and shut down cleanly (request.c's shutdown). */
void	daemon_shutdown(struct daemon *);

#endif

/*
 * daemon.h: the parts of venvd-daemon and how they meet.
 *
 *   venvd_daemon.c options, detaching, signals, taking the instance lock, startup/shutdown
 *   instance.c    the lock, socket and generation file: noticed when deleted, put back
 *   server.c      the listening socket and connections: accept, peer uid, framing,
 *                 write queues, idle timeouts, the client cap
 *   request.c     one request line in, one response line out (no socket code)
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

#include "buf.h"
#include "conf.h"
#include "embedded.h"
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

/* server.c ------------------------------------------------------------- */
/*
 * Listen on d->socket_path (replacing a stale socket; the caller holds the
 * instance lock), or adopt listen_fd >= 0 (systemd socket activation).
 * Returns NULL with err on failure.
 */
struct server *server_start(struct daemon *, int listen_fd, char *err, size_t errlen);
/*
 * Close every connection and the listener; unlink the socket if we bound
 * it and it is still the one we listen on.
 */
void	server_stop(struct server *);
/* Is the file at d->socket_path still the socket we listen on? */
int	server_socket_intact(const struct server *);
/*
 * The socket file went: bind d->socket_path afresh and accept there
 * instead. Open connections keep working. 0, or -1 with err.
 */
int	server_rebind(struct server *, char *err, size_t errlen);
/* The socket file belongs to another daemon now: never unlink it. */
void	server_disown(struct server *);
/* Connected clients right now. */
int	server_clients(const struct server *);
struct server_conn;
/*
 * Holding a request (see server.c): server_defer_slow() puts it on the
 * slow queue when it needs uncached work; server_wait() holds it until
 * server_wake(key) or wait_s after it arrived. Both return 0 when the
 * request is held (append no answer now; it is replayed later) and -1
 * when it must be answered now. A replayed request sees
 * server_replaying(); one replayed at its deadline sees server_final().
 */
int	server_defer_slow(struct server *);
int	server_wait(struct server *, const char *key, double wait_s);
void	server_wake(struct server *, const char *key);
int	server_replaying(const struct server *);
int	server_final(const struct server *);
/* Requests held right now. */
int	server_held(const struct server *);
/* The connection whose request request_handle() is answering now, or NULL. */
struct server_conn *server_current_conn(const struct server *);
/* Make a connection a stream: no idle timeout; on_close(arg) once when it closes. */
void	server_conn_stream(struct server_conn *, void (*on_close)(void *), void *arg);
/*
 * Queue data on a stream (written from the loop, so the connection never
 * closes under the caller). Past cap unsent bytes, drop the queued lines
 * not yet begun, queue final instead and close after it: returns -1.
 */
int	server_conn_send(struct server_conn *, const char *data, size_t len,
	    size_t cap, const char *final);

/* subscribe.c ---------------------------------------------------------- */
/*
 * subscribe: make the current connection a stream of venvs_changed
 * notifications; the result (current state) is appended to out.
 */
void	subscribe_request(struct daemon *, json_t *id, json_t *params, struct buf *out);
/* Subscribers right now. */
size_t	subscribe_count(const struct daemon *);

/* request.c ------------------------------------------------------------ */
/*
 * Handle one request line and append the response line (with '\n') to
 * out. Appends nothing for a notification. Never fails: errors become
 * JSON-RPC error responses.
 */
void	request_handle(struct daemon *, const char *line, size_t len, struct buf *out);
/*
 * The directory to resolve for an absolute path: path itself, or its
 * parent when path names an existing non-directory. A string to free.
 */
char	*request_dir(const char *path);

/* cache.c -------------------------------------------------------------- */
struct cache *cache_new(struct daemon *);
void	cache_free(struct cache *);
/*
 * Answer for an absolute directory: from the cache, or by resolve_dir()
 * plus watches on every directory the answer depends on. Sets *hit when
 * it came from the cache and *cacheable to 0 when the answer could not
 * be watched (ENOSPC, remote filesystem) and so is resolved afresh on
 * every request. Returns as resolve_dir() does.
 */
int	cache_resolve(struct cache *, const char *dir, struct venv_info *out,
	    int *hit, int *cacheable, char *err, size_t errlen);
/*
 * The cached answer for dir, without a system call: 1 with out filled,
 * 0 (none applies), or -1 when dir has no cached answer.
 */
int	cache_lookup(struct cache *, const char *dir, struct venv_info *out);
/* Directories with a cached answer. */
size_t	cache_size(const struct cache *);
/* Drop everything (inotify overflow). */
void	cache_clear(struct cache *);
/* watch.c calls this for each event on a watch the cache owns. */
void	cache_on_event(struct cache *, int wd, uint32_t mask, const char *name);

/* watch.c -------------------------------------------------------------- */
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

/* generation.c --------------------------------------------------------- */
/* Choose a fresh instance prefix and write <dir>/generation. */
struct generation *generation_new(const char *socket_dir, char *err, size_t errlen);
void	generation_free(struct generation *, int remove_file);
/* Something changed that can alter an answer. Written out by generation_flush(). */
void	generation_bump(struct generation *);
/* Write the file (by rename) if bumped since the last flush. */
void	generation_flush(struct generation *);
/* "<instance>-<counter>", valid until the next bump. */
const char *generation_string(const struct generation *);
/* Are the file and the current marker both there? */
int	generation_intact(const struct generation *);

/* instance.c ----------------------------------------------------------- */
/* Take over the held instance lock fd and watch the socket dir. */
struct instance *instance_new(struct daemon *, int lock_fd, const char *lock_path);
/* Stop watching and release the lock. */
void	instance_free(struct instance *);
/* Check the socket dir now and put back what went (SIGUSR1, timers). */
void	instance_check(struct instance *);
/* watch.c calls this for each event on the watch instance owns. */
void	instance_on_event(struct instance *, int wd, uint32_t mask, const char *name);
/* Did another daemon take the socket dir over (leave its files alone)? */
int	instance_superseded(const struct instance *);
/* Write our pid into the held lock file. */
void	instance_write_pid(int fd);

/* db.c ----------------------------------------------------------------- */
/*
 * Open (creating and migrating) the index at path in WAL mode. A file
 * that cannot be opened or fails quick_check is moved aside to
 * path.corrupt-<timestamp> and a fresh one is made. When the storage
 * fails (full, read-only) the file is opened read-only instead (see
 * db_readonly; err then says why). NULL only if all that fails; the
 * daemon then serves without an index.
 */
struct db *db_open(const char *path, char *err, size_t errlen);
void	db_close(struct db *);
/* Record (insert or refresh last_seen etc. of) a venv the resolver found. */
int	db_record_venv(struct db *, const struct venv_info *);
/* The SQLite handle (NULL when serving without an index), for modules with their own tables. */
struct sqlite3 *db_handle(struct db *);
/* PRAGMA quick_check: 0 when the index is sound, else -1 with err (for status). */
int	db_check(struct db *, char *err, size_t errlen);
/* Schema version (PRAGMA user_version). */
int	db_schema_version(struct db *);
/* Number of venvs indexed. */
long	db_venv_count(struct db *);
struct sqlite3;
/*
 * Apply each migration of list (ended by a NULL name; names "NNN-x.sql",
 * NNN increasing) above PRAGMA user_version, one transaction each.
 * Returns how many were applied, or -1 with err.
 */
int	db_migrate(struct sqlite3 *, const struct embedded_file *list,
	    char *err, size_t errlen);

/*
 * Migrations built into the daemon from schema/NNN-name.sql by
 * build-aux/embed.sh (schema_sql.c is generated), in file-name order.
 * Migration NNN takes PRAGMA user_version from NNN-1 to NNN.
 */
extern const struct embedded_file schema_files[];
/* Forget that path was recorded recently (NULL: all), so the next record writes. */
void	db_seen_forget(struct db *, const char *path);
/* Is a SQLite result code a failure of the storage (full, read-only, I/O)? */
int	db_storage_error(int rc);
/* Call fn(arg, rc) whenever a write fails for lack of storage. */
void	db_on_storage(struct db *, void (*fn)(void *, int), void *arg);
/* After a write with result rc: tell the storage callback if the storage failed. */
void	db_note(struct db *, int rc);
/* Write the venv records kept while the storage failed: 0 none left, -1 with *rc. */
int	db_flush_pending(struct db *, int *rc);
/* Was the index opened read-only because the storage failed at start? */
int	db_readonly(struct db *);
/* Venv records waiting to be written. */
size_t	db_pending_count(struct db *);
/* Does a (harmless) write reach the storage now? 0, or -1 with *rc. */
int	db_probe_write(struct db *, int *rc);

/* health.c ------------------------------------------------------------- */
/* Watch the index's writes (after db_open). */
void	health_start(struct daemon *);
void	health_stop(struct daemon *);
/* A write to the index failed for lack of storage (rc: its SQLite code). */
void	health_storage_failed(struct daemon *, int rc);

/*
 * Method bodies for request.c: params in (may be NULL), a result out, or
 * NULL with *code (a JSON-RPC error code) and err.
 */
typedef struct json_t *(*method_fn)(struct daemon *, struct json_t *params,
	    int *code, char *err, size_t errlen);

/* index.c -------------------------------------------------------------- */
struct json_t *index_list(struct daemon *, struct json_t *, int *, char *, size_t);
struct json_t *index_forget(struct daemon *, struct json_t *, int *, char *, size_t);
/*
 * Record a venv (insert, or refresh every field, state and last_seen);
 * root is the discovery root it was found under, or NULL to keep the
 * stored one. Also hands the venv to the interpreter watches.
 */
int	index_record(struct daemon *, const struct venv_info *, const char *root);
/*
 * Describe the venv at path exactly as resolve finds it (a venv_dirs
 * name is described from its project). 1 and out, or 0 if not a venv.
 */
int	index_describe(struct daemon *, const char *path, struct venv_info *out);
/* Mark the venv at path, and every venv below path, missing. */
void	index_mark_missing(struct daemon *, const char *path);
/* Mark venvs of root not seen since since missing (after a full scan). */
void	index_mark_unseen(struct daemon *, const char *root, time_t since);
/* A shell activated v (resolve with "activating": true). */
void	index_activated(struct daemon *, const struct venv_info *);

/* roots.c -------------------------------------------------------------- */
/* Load the roots (database and config) and start scanning them. */
struct roots *roots_new(struct daemon *);
void	roots_free(struct roots *);
struct json_t *roots_watch(struct daemon *, struct json_t *, int *, char *, size_t);
struct json_t *roots_unwatch(struct daemon *, struct json_t *, int *, char *, size_t);
struct json_t *roots_list(struct daemon *, struct json_t *, int *, char *, size_t);
/* watch.c calls this for each event on a watch the roots own. */
void	roots_on_event(struct roots *, int wd, uint32_t mask, const char *name);
/* Events were lost: rescan every root. */
void	roots_rescan_all(struct roots *);

/* interp.c ------------------------------------------------------------- */
struct interp *interp_new(struct daemon *);
void	interp_free(struct interp *);
/* Watch v's base interpreter (home, the target of bin/python). */
void	interp_track(struct interp *, const struct venv_info *);
/* Stop watching for the venv at path. */
void	interp_untrack(struct interp *, const char *path);
/* watch.c calls this for each event on a watch interp owns. */
void	interp_on_event(struct interp *, int wd, uint32_t mask, const char *name);

/* sizer.c -------------------------------------------------------------- */
/*
 * Size of everything below path as du(1) counts it: st_blocks * 512 of
 * every file, directory and symlink (not followed), each inode with
 * st_nlink > 1 once (by dev and ino); entries vanishing mid-walk are
 * skipped. Returns 0 and *bytes, or -1 with errno if path cannot be read.
 */
int	sizer_walk(const char *path, uint64_t *bytes);
/* Start the worker thread and the timer that queues unmeasured venvs. */
struct sizer *sizer_new(struct daemon *);
void	sizer_free(struct sizer *);
/* Measure path soon (it changed). */
void	sizer_kick(struct sizer *);

/* verdict.c ------------------------------------------------------------ */
struct verdicts;
struct venv_info;
/* The trust state (decisions in the index, the git check cache). */
struct verdicts *verdict_new(struct daemon *);
void	verdict_free(struct verdicts *);
/*
 * Judge a resolved venv: a malloc'd "trusted", "untrusted:<reason>" or
 * "denied". Clears *cacheable while the git check runs in the background.
 */
char	*verdict_judge(struct verdicts *, const struct venv_info *, int *cacheable);
/*
 * The key a resolve waits on (server_wait()) while git checks the venv at
 * path: its real path, to free; NULL if it cannot be had.
 */
char	*verdict_git_key(struct verdicts *, const char *path);
/* Store allow (allow != 0) or deny for the venv; allowing one that fails the hard rule is refused. 0 or -1 with err. */
int	verdict_decide(struct verdicts *, const struct venv_info *, int allow,
	    char *err, size_t errlen);
/* The decisions: [{"path","decision","dev","ino","decided"}...]. */
json_t	*verdict_decisions(struct verdicts *);
/* Set a venv record's "trust" as resolve would, without running git (left as is then). */
void	verdict_fill_record(struct verdicts *, json_t *rec);

#endif

/*
 * trust.c: judging venvs before a shell puts their bin/ on PATH.
 *
 * Every resolve answer carries "trust": "trusted", "untrusted:<reason>"
 * or "denied". The order of the checks:
 *
 *   1. the hard rule (common/trust.c): fails -> untrusted, whatever the
 *      user allowed and whatever the mode;
 *   2. a stored decision (venvd allow / deny) whose identity (real path,
 *      st_dev, st_ino, birth time) still matches -> trusted / denied; a stale one
 *      (the venv was deleted and another made there) is removed;
 *   3. trust = all -> trusted; trust = ask -> untrusted;
 *   4. trust = auto: committed to version control -> untrusted; a bin/
 *      executable shadowing a core command -> untrusted; else trusted.
 *
 * The version-control check runs git once per venv identity, when the
 * venv is first judged, and caches the answer in memory and in the
 * index (table trust_git):
 *
 *   git --no-optional-locks --literal-pathspecs -c core.fsmonitor=false
 *       -C PARENT ls-files --error-unmatch -- NAME
 *
 * with stdin/stdout/stderr on /dev/null (exit 0: tracked; anything else:
 * not tracked, or not in a git tree, or no git). The loop never waits
 * for git: while it runs the verdict is "untrusted:checking version
 * control", marked not cacheable. request.c holds such a resolve
 * (server_wait() on trust_git_key()) until an ev_child watcher collects
 * git's status, stores it, bumps the generation (so every hook asks
 * again) and wakes the held requests (server_wake()); a request still
 * waiting VENVD_RESOLVE_WAIT_MS after it arrived gets the "checking"
 * answer, for which the hooks print no notice. Other clients are served
 * meanwhile. git is killed after TRUST_GIT_KILL_S.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include <jansson.h>

#include "daemon.h"
#include "log.h"
#include "rpc.h"
#include "trust.h"
#include "xmalloc.h"

extern char **environ;

#define TRUST_GIT_KILL_S	20.0	/* give up on a git this slow */

enum git_state {
	GIT_CHECKING,
	GIT_CLEAN,
	GIT_TRACKED,
};

/* The version-control answer for one venv identity. */
struct git_entry {
	char		*path;		/* real path: the hash key */
	struct trust_id	 id;
	enum git_state	 state;
	pid_t		 pid;		/* git, while checking */
	ev_child	 child;
	ev_timer	 timer;
	struct trust	*t;
	UT_hash_handle	 hh;
};

/*
 * A verdict remembered for one venv path while the generation does not
 * move. Everything a verdict rests on bumps the generation: the cache
 * watches the venv root, pyvenv.cfg and every entry of bin/ (modes
 * included), decisions and finished git checks bump it here. So a cached
 * resolve or a list costs a hash lookup, not a walk of bin/.
 */
struct verdict {
	char		*path;		/* key: the venv as reached */
	char		*trust;		/* "trusted", "untrusted:...", "denied" */
	char		*generation;	/* generation_string() when judged */
	UT_hash_handle	 hh;
};

struct trust {
	struct daemon	*d;
	struct git_entry *git;		/* uthash by real path */
	struct verdict	*verdicts;	/* uthash by venv path */
	size_t		 n_verdicts;
	sqlite3		*h;		/* NULL without an index */
};

/* Most verdicts remembered; past it the memo starts afresh. */
#define TRUST_MAX_VERDICTS	16384

static void verdicts_clear(struct trust *);

/* Prepare sql on the index; NULL without an index or on error (logged). */
static sqlite3_stmt *
trust_stmt(struct trust *t, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (t->h == NULL)
		return NULL;
	if (sqlite3_prepare_v2(t->h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warn("prepare: %s", sqlite3_errmsg(t->h));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Make the trust state. */
struct trust *
trust_new(struct daemon *d)
{
	struct trust *t = xcalloc(1, sizeof *t);

	t->d = d;
	t->h = d->db != NULL ? db_handle(d->db) : NULL;
	return t;
}

/* Forget one git entry (stopping its watchers; git, if running, is killed). */
static void
git_entry_free(struct trust *t, struct git_entry *e)
{
	if (e->pid > 0) {
		ev_child_stop(t->d->loop, &e->child);
		ev_timer_stop(t->d->loop, &e->timer);
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	HASH_DEL(t->git, e);
	free(e->path);
	free(e);
}

/* Free the trust state. */
void
trust_free(struct trust *t)
{
	struct git_entry *e, *tmp;

	if (t == NULL)
		return;
	HASH_ITER(hh, t->git, e, tmp)
		git_entry_free(t, e);
	verdicts_clear(t);
	free(t);
}

/* A remembered verdict for path, if judged at the current generation. */
static const char *
verdict_get(struct trust *t, const char *path)
{
	struct verdict *v;

	if (t->d->gen == NULL)
		return NULL;
	HASH_FIND_STR(t->verdicts, path, v);
	if (v == NULL || strcmp(v->generation, generation_string(t->d->gen)) != 0)
		return NULL;
	return v->trust;
}

/* Remember verdict for path at the current generation. */
static void
verdict_put(struct trust *t, const char *path, const char *trust)
{
	struct verdict *v;

	if (t->d->gen == NULL)
		return;
	HASH_FIND_STR(t->verdicts, path, v);
	if (v == NULL) {
		if (t->n_verdicts >= TRUST_MAX_VERDICTS)
			verdicts_clear(t);
		v = xcalloc(1, sizeof *v);
		v->path = xstrdup(path);
		HASH_ADD_KEYPTR(hh, t->verdicts, v->path, strlen(v->path), v);
		t->n_verdicts++;
	} else {
		free(v->trust);
		free(v->generation);
	}
	v->trust = xstrdup(trust);
	v->generation = xstrdup(generation_string(t->d->gen));
}

/* Forget every remembered verdict. */
static void
verdicts_clear(struct trust *t)
{
	struct verdict *v, *tmp;

	HASH_ITER(hh, t->verdicts, v, tmp) {
		HASH_DEL(t->verdicts, v);
		free(v->path);
		free(v->trust);
		free(v->generation);
		free(v);
	}
	t->n_verdicts = 0;
}

/* Store a finished git answer in the index. */
static void
git_store(struct trust *t, const struct git_entry *e)
{
	sqlite3_stmt *st = trust_stmt(t, "INSERT OR REPLACE INTO trust_git"
	    " (path, dev, ino, born, tracked, checked) VALUES (?1, ?2, ?3, ?6, ?4, ?5)");

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, e->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->id.dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)e->id.ino);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)e->id.born);
	sqlite3_bind_int(st, 4, e->state == GIT_TRACKED);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("trust_git: %s", sqlite3_errmsg(t->h));
	sqlite3_finalize(st);
}

/* The stored git answer for this identity: GIT_CLEAN/GIT_TRACKED, or -1 if none. */
static int
git_load(struct trust *t, const char *real, const struct trust_id *id)
{
	sqlite3_stmt *st = trust_stmt(t, "SELECT tracked FROM trust_git"
	    " WHERE path = ?1 AND dev = ?2 AND ino = ?3 AND born = ?4");
	int rc = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id->dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id->ino);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)id->born);
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = sqlite3_column_int(st, 0) ? GIT_TRACKED : GIT_CLEAN;
	sqlite3_finalize(st);
	return rc;
}

/* Record git's exit status in e. */
static void
git_finish(struct trust *t, struct git_entry *e, int status)
{
	e->pid = 0;
	e->state = WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	    GIT_TRACKED : GIT_CLEAN;
	log_debug("git check of %s: %s (status %d)", e->path,
	    e->state == GIT_TRACKED ? "tracked" : "not tracked", status);
	git_store(t, e);
}

/*
 * git finished: store, make every hook ask again and answer the
 * resolves waiting for it.
 */
static void
git_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct git_entry *e = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &e->timer);
	git_finish(e->t, e, w->rstatus);
	if (e->t->d->gen != NULL) {
		generation_bump(e->t->d->gen);
		generation_flush(e->t->d->gen);
	}
	server_wake(e->t->d->server, e->path);
}

/* git took too long: kill it; the child watcher then records "not tracked". */
static void
git_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct git_entry *e = w->data;

	(void)loop;
	(void)revents;
	log_warn("git check of %s took over %.0f s: killed", e->path, TRUST_GIT_KILL_S);
	if (e->pid > 0)
		kill(e->pid, SIGKILL);
}

/*
 * Spawn git to ask whether the venv at venv is committed, its stdio on
 * /dev/null. 0 and *pid, or -1 (logged) if git cannot be run.
 */
static int
git_spawn(const char *venv, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	char *parent = xstrdup(venv), *slash, *name;
	char *argv[] = { "git", "--no-optional-locks", "--literal-pathspecs", "-c",
	    "core.fsmonitor=false", "-C", NULL, "ls-files", "--error-unmatch", "--",
	    NULL, NULL };
	int rc;

	slash = strrchr(parent, '/');
	name = slash + 1;
	if (slash == parent)
		argv[6] = "/";
	else {
		*slash = '\0';
		argv[6] = parent;
	}
	argv[10] = name;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(parent);
	if (rc != 0) {
		log_debug("cannot run git for %s: %s", venv, strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Start git for e's venv (as reached at venv) and watch for its end;
 * never waits for it. Without git, e is settled as not tracked at once.
 */
static void
git_start(struct trust *t, struct git_entry *e, const char *venv)
{
	pid_t pid;

	if (git_spawn(venv, &pid) == -1) {
		e->state = GIT_CLEAN;
		git_store(t, e);
		return;
	}
	log_debug("git check of %s started (pid %ld)", e->path, (long)pid);
	e->state = GIT_CHECKING;
	e->pid = pid;
	ev_child_init(&e->child, git_child_cb, pid, 0);
	e->child.data = e;
	ev_child_start(t->d->loop, &e->child);
	ev_timer_init(&e->timer, git_timer_cb, TRUST_GIT_KILL_S, 0.);
	e->timer.data = e;
	ev_timer_start(t->d->loop, &e->timer);
}

/* The key a resolve waits on while git checks the venv at path: its real path. */
char *
trust_git_key(struct trust *t, const char *path)
{
	(void)t;
	return realpath(path, NULL);
}

/* Are two identities the same venv? */
static int
same_id(const struct trust_id *a, const struct trust_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->born == b->born;
}

/*
 * Is the venv committed to version control? From memory, the index, or
 * (when start is set) git. -1 when unknown and start is not set.
 */
static int
git_state(struct trust *t, const char *venv, const char *real,
    const struct trust_id *id, int start)
{
	struct git_entry *e;
	int stored;

	HASH_FIND_STR(t->git, real, e);
	if (e != NULL && !same_id(&e->id, id)) {
		if (e->state == GIT_CHECKING)
			return GIT_CHECKING;	/* settle the old check first */
		git_entry_free(t, e);
		e = NULL;
	}
	if (e != NULL)
		return e->state;
	if (!start) {
		stored = git_load(t, real, id);
		return stored;
	}
	e = xcalloc(1, sizeof *e);
	e->path = xstrdup(real);
	e->id = *id;
	e->t = t;
	HASH_ADD_KEYPTR(hh, t->git, e->path, strlen(e->path), e);
	if ((stored = git_load(t, real, id)) != -1)
		e->state = (enum git_state)stored;
	else
		git_start(t, e, venv);
	return e->state;
}

/* The stored decision for this identity: 'a'llow, 'd'eny or 0. A stale row is removed. */
static int
decision_get(struct trust *t, const char *real, const struct trust_id *id)
{
	sqlite3_stmt *st = trust_stmt(t,
	    "SELECT decision, dev, ino, born FROM trust_decisions WHERE path = ?1");
	int rc = 0, stale = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		struct trust_id row = {
			.dev = (dev_t)sqlite3_column_int64(st, 1),
			.ino = (ino_t)sqlite3_column_int64(st, 2),
			.born = (long long)sqlite3_column_int64(st, 3),
		};

		if (!same_id(&row, id))
			stale = 1;
		else
			rc = strcmp((const char *)sqlite3_column_text(st, 0), "deny") == 0 ?
			    'd' : 'a';
	}
	sqlite3_finalize(st);
	if (stale) {
		log_info("forgetting the trust decision for %s: another venv is there now",
		    real);
		if ((st = trust_stmt(t, "DELETE FROM trust_decisions WHERE path = ?1")) != NULL) {
			sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
	return rc;
}

/*
 * Judge the venv at venv; a malloc'd trust string. Clears *cacheable
 * while git runs. With start unset, never runs git: NULL when the
 * answer would need it.
 */
static char *
judge(struct trust *t, const char *venv, int *cacheable, int start)
{
	char reason[PATH_MAX + 128], *real = NULL, *out;
	struct trust_id id;
	int rc;

	if (trust_identity(venv, &real, &id) == -1) {
		xasprintf(&out, "untrusted:cannot examine the venv: %s", strerror(errno));
		return out;
	}
	if (trust_hard_rule(real, reason, sizeof reason) == -1)
		goto untrusted;
	switch (decision_get(t, real, &id)) {
	case 'd':
		free(real);
		return xstrdup("denied");
	case 'a':
		free(real);
		return xstrdup("trusted");
	}
	if (t->d->cfg.trust == CONF_TRUST_ALL)
		goto trusted;
	if (t->d->cfg.trust == CONF_TRUST_ASK) {
		snprintf(reason, sizeof reason, "not allowed yet (trust = ask)");
		goto untrusted;
	}
	switch (git_state(t, venv, real, &id, start)) {
	case -1:
		free(real);
		return NULL;
	case GIT_TRACKED:
		snprintf(reason, sizeof reason, "committed to git");
		goto untrusted;
	case GIT_CHECKING:
		*cacheable = 0;
		snprintf(reason, sizeof reason, "checking version control");
		goto untrusted;
	case GIT_CLEAN:
		break;
	}
	if ((rc = trust_shadow_rule(real, reason, sizeof reason)) != 0)
		goto untrusted;
trusted:
	free(real);
	return xstrdup("trusted");
untrusted:
	free(real);
	xasprintf(&out, "untrusted:%s", reason);
	return out;
}

/*
 * Judge the venv vi; a malloc'd trust string. Clears *cacheable while git
 * runs. A verdict is remembered only when the answer is cacheable (so the
 * venv is watched and any change to it moves the generation).
 */
char *
trust_judge(struct trust *t, const struct venv_info *vi, int *cacheable)
{
	const char *known = verdict_get(t, vi->path);
	int watched = *cacheable;
	char *v;

	if (known != NULL)
		return xstrdup(known);
	v = judge(t, vi->path, cacheable, 1);
	if (watched && *cacheable && v != NULL)
		verdict_put(t, vi->path, v);
	return v;
}

/* Set "trust" of an index record as trust_judge would, but never run git (null then). */
void
trust_fill_record(struct trust *t, json_t *rec)
{
	json_t *path = json_object_get(rec, "path");
	json_t *state = json_object_get(rec, "state");
	int cacheable = 1;
	const char *known;
	char *v;

	if (json_is_string(state) && strcmp(json_string_value(state), "missing") == 0)
		return;
	if (t == NULL || !json_is_string(path))
		return;
	if ((known = verdict_get(t, json_string_value(path))) != NULL) {
		json_object_set_new(rec, "trust", rpc_string_lossy(known));
		return;
	}
	if ((v = judge(t, json_string_value(path), &cacheable, 0)) == NULL)
		return;
	json_object_set_new(rec, "trust", rpc_string_lossy(v));
	free(v);
}

/*
 * Store the user's decision (allow != 0: allow, else deny) for the venv
 * vi. Allowing a venv that fails the hard rule is refused. Returns 0,
 * or -1 with err.
 */
int
trust_decide(struct trust *t, const struct venv_info *vi, int allow,
    char *err, size_t errlen)
{
	char reason[PATH_MAX + 128], *real = NULL;
	sqlite3_stmt *st;
	struct trust_id id;
	int rc = -1;

	if (t->h == NULL) {
		snprintf(err, errlen, "the daemon has no index, so it cannot store decisions");
		return -1;
	}
	if (trust_identity(vi->path, &real, &id) == -1) {
		snprintf(err, errlen, "cannot examine %s: %s", vi->path, strerror(errno));
		return -1;
	}
	if (allow && trust_hard_rule(real, reason, sizeof reason) == -1) {
		snprintf(err, errlen, "%s cannot be trusted: %s", vi->path, reason);
		goto out;
	}
	st = trust_stmt(t, "INSERT OR REPLACE INTO trust_decisions"
	    " (path, dev, ino, born, decision, decided) VALUES (?1, ?2, ?3, ?6, ?4, ?5)");
	if (st == NULL) {
		snprintf(err, errlen, "cannot store the decision");
		goto out;
	}
	sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id.dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id.ino);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)id.born);
	sqlite3_bind_text(st, 4, allow ? "allow" : "deny", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		snprintf(err, errlen, "cannot store the decision: %s", sqlite3_errmsg(t->h));
	else
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0) {
		log_info("%s %s (%s)", allow ? "allowed" : "denied", vi->path, real);
		if (t->d->gen != NULL)
			generation_bump(t->d->gen);
	}
out:
	free(real);
	return rc;
}

/* The stored decisions as a JSON array of {"path","decision","dev","ino","decided"}. */
json_t *
trust_decisions(struct trust *t)
{
	sqlite3_stmt *st = trust_stmt(t, "SELECT path, decision, dev, ino, decided"
	    " FROM trust_decisions ORDER BY path");
	json_t *list = json_array();

	if (st == NULL)
		return list;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, json_pack("{s:o, s:s, s:I, s:I, s:I}",
		    "path", rpc_string_lossy((const char *)sqlite3_column_text(st, 0)),
		    "decision", (const char *)sqlite3_column_text(st, 1),
		    "dev", (json_int_t)sqlite3_column_int64(st, 2),
		    "ino", (json_int_t)sqlite3_column_int64(st, 3),
		    "decided", (json_int_t)sqlite3_column_int64(st, 4)));
	}
	sqlite3_finalize(st);
	return list;
}

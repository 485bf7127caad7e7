/*
 * verdict.c: judging venvs before a shell puts their bin/ on PATH.
 *
 * Every resolve answer carries "trust": "trusted", "untrusted:<reason>"
 * or "denied". The order of the checks:
 *
 *   1. the hard rule (common/trust_rules.c): fails -> untrusted, whatever the
 *      user allowed and whatever the mode;
 *   2. a stored decision (venvd allow / deny) whose identity (real path,
 *      st_dev, st_ino, birth time) still matches -> trusted / denied; a stale one
 *      (the venv was deleted and another made there) is removed;
 *   3. trust = all -> trusted; trust = ask -> untrusted;
 *   4. trust = auto: committed to version control -> untrusted; a bin/
 *      executable shadowing a core command -> untrusted; else trusted.
 *
 * An allow covers what the venv's bin/ shadowed when it was given: the
 * sorted names of its shadowing executables are stored with it
 * (trust_decisions.shadows). A shadowing name that is not in that
 * snapshot revokes the allow while it is there: "untrusted:bin/sudo
 * appeared after venvd allow" (the hook prints that once per shell);
 * venvd allow again takes a new snapshot. An allow stored before
 * snapshots existed (shadows NULL) adopts what bin/ shadows when it is
 * next judged, so old allows keep working from then on.
 *
 * The version-control check asks git about the venv's own files in
 * whichever repository holds them, whether the venv sits in a work tree,
 * is its root, or is (or is in) a submodule, a linked worktree or a work
 * tree with a separate git dir: git finds that repository itself from
 * the venv's real path. The question (its command line, environment and
 * the meaning of its answer) is common/git_check.c, which the client's
 * fallback asks too:
 *
 *   git --no-optional-locks -c core.fsmonitor=false
 *       -c safe.bareRepository=explicit -C VENV
 *       ls-files -- pyvenv.cfg bin 'lib/python*' 'lib/pypy*' lib64
 *
 * with stdin on /dev/null, stdout and stderr into memory files, LC_ALL=C
 * and no GIT_* variables in its environment (git_check_interpret):
 *
 *   exit 0, output        tracked: "untrusted:committed to git"
 *   exit 0, no output     clean
 *   "fatal: not a git repository" (exit 128)
 *                         clean: no repository holds the venv
 *   anything else         fails closed: "untrusted:cannot tell whether
 *                         it is committed to git: <git's message>", e.g.
 *                         a repository owned by another user ("dubious
 *                         ownership"), a corrupt index, an implicit bare
 *                         repository inside the venv, git killed after
 *                         the config's git_timeout. Kept in memory only, so a
 *                         restart asks again; venvd allow overrides it.
 *   git not installed     clean (nothing to ask; the shadow rule still
 *                         applies), not stored.
 *
 * No repository configuration can run code here: ls-files runs no hooks,
 * filters or external diff, the fsmonitor hook is off and an implicit
 * bare repository is refused.
 *
 * The check runs once per venv identity, when the venv is first judged,
 * and a clean or tracked answer is kept in memory and in the index
 * (table trust_git; migration 004 emptied it because the question
 * changed). The loop never waits for git: while it runs the verdict is
 * "untrusted:checking version control", marked not cacheable. request.c
 * holds such a resolve (its connection's wait on verdict_git_key()) until an
 * ev_child watcher collects git's status, stores it, bumps the
 * generation (so every hook asks again) and says the check settled
 * (the hook of verdict_on_settled, which venvd_daemon.c points at
 * server_wake()); a request still waiting VENVD_RESOLVE_WAIT_MS after it
 * arrived gets the "checking" answer, for which the hooks print no
 * notice. Other clients are served meanwhile. git (with its process
 * group) is killed after the config's git_timeout.
 *
 * The client's local fallback, which answers while the daemon is down
 * or late, has no index: the denies reach it through a file,
 * DENY_LIST_FILE in the state directory next to the index
 * (common/deny_list.h), which verdict_export_denied writes from
 * trust_decisions at start and after each change of the decisions (an
 * allow, a deny, a stale row removed), through a temporary file and
 * rename(2), mode 0600. A failure to write it is logged, never fatal:
 * the fallback then reads the last list written, or refuses every venv
 * when it cannot read one (client/client_trust.c). Allows are not
 * exported: the fallback judges an allowed venv by the rules alone,
 * which at worst refuses it.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include <jansson.h>

#include "atomic_file.h"
#include "daemon.h"
#include "db.h"
#include "deny_list.h"
#include "generation.h"
#include "git_check.h"
#include "verdict.h"
#include "log.h"
#include "rpc.h"
#include "trust_rules.h"
#include "xmalloc.h"

extern char **environ;

/* The version-control answer for one venv identity. */
struct git_entry {
	char		*path;		/* real path: the hash key */
	char		*venv;		/* the venv as the judge that started it reached it */
	struct trust_id	 id;
	enum git_state	 state;
	pid_t		 pid;		/* git, while checking */
	int		 out_fd;	/* git's stdout and stderr (memfds), or -1 */
	int		 err_fd;
	char		*error;		/* GIT_ERROR: why, as git said it */
	int		 killed;	/* by git_timer_cb */
	ev_child	 child;
	ev_timer	 timer;
	struct verdicts	*t;
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

struct verdicts {
	struct daemon	*d;
	struct git_entry *git;		/* uthash by real path */
	struct verdict	*verdicts;	/* uthash by venv path */
	size_t		 n_verdicts;
	sqlite3		*h;		/* NULL without an index */
	void		(*settled)(void *, const char *);	/* a git check ended */
	void		*settled_ctx;
	void		(*trust)(void *, const char *);	/* verdict_on_trust */
	void		*trust_ctx;
};

/* Most verdicts remembered; past it the memo starts afresh. */
#define TRUST_MAX_VERDICTS	16384

static void verdicts_clear(struct verdicts *);

/* Prepare sql on the index; NULL without an index or on error (logged). */
static sqlite3_stmt *
trust_stmt(struct verdicts *t, const char *sql)
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

/*
 * Write the denied venvs of trust_decisions to DENY_LIST_FILE in the
 * state directory, for the client's local fallback. Without an index,
 * or when it cannot be read, the file written last is left as it is.
 */
static void
verdict_export_denied(struct verdicts *t)
{
	struct deny_list list = DENY_LIST_INIT;
	struct buf out = BUF_INIT;
	char path[PATH_MAX + 16], err[PATH_MAX + 128];
	const char *p;
	sqlite3_stmt *st;
	int rc;

	if (t->d->state_dir[0] != '/' || (st = trust_stmt(t, "SELECT path,"
	    " dev, ino, born FROM trust_decisions WHERE decision = 'deny'"
	    " ORDER BY path")) == NULL)
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = (const char *)sqlite3_column_text(st, 0)) == NULL)
			continue;
		if (deny_list_add(&list, p,
		    (unsigned long long)sqlite3_column_int64(st, 1),
		    (unsigned long long)sqlite3_column_int64(st, 2),
		    (long long)sqlite3_column_int64(st, 3)) == -1)
			log_warn("the deny of %s cannot be exported: not an "
			    "absolute path shorter than PATH_MAX", p);
	}
	if (rc != SQLITE_DONE) {
		log_warn("cannot export the denied venvs: %s", sqlite3_errmsg(t->h));
		goto out;
	}
	deny_list_encode(&list, &out);
	snprintf(path, sizeof path, "%s/%s", t->d->state_dir, DENY_LIST_FILE);
	if (atomic_file_write(path, out.data, out.len, err, sizeof err) == -1)
		log_warn("the local fallback will not see the latest denies: %s",
		    err);
	else
		log_debug("%s: %zu denied venvs", path, list.n);
out:
	sqlite3_finalize(st);
	deny_list_free(&list);
	buf_free(&out);
}

/*
 * Before the daemon makes a new index in state_dir: an empty deny list,
 * so the client's fallback, which refuses every venv when it finds an
 * index without a list, never sees one on a first start (the hook's
 * first prompt answers locally while the daemon starts).
 */
void
verdict_export_none(const char *state_dir)
{
	struct deny_list list = DENY_LIST_INIT;
	struct buf out = BUF_INIT;
	char path[PATH_MAX + 16], err[PATH_MAX + 128];

	deny_list_encode(&list, &out);
	snprintf(path, sizeof path, "%s/%s", state_dir, DENY_LIST_FILE);
	if (atomic_file_write(path, out.data, out.len, err, sizeof err) == -1)
		log_warn("the local fallback will refuse every venv until the "
		    "denies are exported: %s", err);
	buf_free(&out);
}

/* Make the trust state; export the stored denies for the fallback. */
struct verdicts *
verdict_new(struct daemon *d)
{
	struct verdicts *t = xcalloc(1, sizeof *t);

	t->d = d;
	t->h = d->db != NULL ? db_handle(d->db) : NULL;
	verdict_export_denied(t);
	return t;
}

/* Call fn(ctx, key) when the git check for key (verdict_git_key) settles. */
void
verdict_on_settled(struct verdicts *t, void (*fn)(void *, const char *),
    void *ctx)
{
	t->settled = fn;
	t->settled_ctx = ctx;
}

/* Call fn(ctx, path) when the verdict of path may change alone (NULL: any venv's). */
void
verdict_on_trust(struct verdicts *t, void (*fn)(void *, const char *), void *ctx)
{
	t->trust = fn;
	t->trust_ctx = ctx;
}

/* Tell the trust hook that the verdict of path (NULL: any venv) may have changed. */
static void
verdict_trust_changed(struct verdicts *t, const char *path)
{
	if (t->trust != NULL)
		t->trust(t->trust_ctx, path);
}

/* Close the memory files holding git's output. */
static void
git_close_output(struct git_entry *e)
{
	if (e->out_fd != -1)
		close(e->out_fd);
	if (e->err_fd != -1)
		close(e->err_fd);
	e->out_fd = e->err_fd = -1;
}

/* Forget one git entry (stopping its watchers; git, if running, is killed). */
static void
git_entry_free(struct verdicts *t, struct git_entry *e)
{
	if (e->pid > 0) {
		ev_child_stop(t->d->loop, &e->child);
		ev_timer_stop(t->d->loop, &e->timer);
		kill(-e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	git_close_output(e);
	HASH_DEL(t->git, e);
	free(e->path);
	free(e->venv);
	free(e->error);
	free(e);
}

/* Free the trust state. */
void
verdict_free(struct verdicts *t)
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
verdict_get(struct verdicts *t, const char *path)
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
verdict_put(struct verdicts *t, const char *path, const char *trust)
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
verdicts_clear(struct verdicts *t)
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
git_store(struct verdicts *t, const struct git_entry *e)
{
	sqlite3_stmt *st = trust_stmt(t, "INSERT OR REPLACE INTO trust_git"
	    " (path, dev, ino, born, tracked, checked) VALUES (?1, ?2, ?3, ?6, ?4, ?5)");
	int rc;

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, e->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->id.dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)e->id.ino);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)e->id.born);
	sqlite3_bind_int(st, 4, e->state == GIT_TRACKED);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		log_warn("trust_git: %s", sqlite3_errmsg(t->h));
		db_note(t->d->db, sqlite3_extended_errcode(t->h));
	}
	sqlite3_finalize(st);
}

/* The stored git answer for this identity: GIT_CLEAN/GIT_TRACKED, or -1 if none. */
static int
git_load(struct verdicts *t, const char *real, const struct trust_id *id)
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

/* Record git's exit status (and output) in e; store a definite answer. */
static void
git_finish(struct verdicts *t, struct git_entry *e, int status)
{
	char err[512];
	off_t out_len;

	e->pid = 0;
	git_check_output(e->out_fd, e->err_fd, &out_len, err, sizeof err);
	git_close_output(e);
	free(e->error);
	e->state = git_check_interpret(status, out_len, err, &e->error);
	if (e->killed && e->state == GIT_ERROR) {
		free(e->error);
		xasprintf(&e->error, "git took over %ld s", e->t->d->cfg.git_timeout);
	}
	log_debug("git check of %s: %s (status %d%s%s)", e->path,
	    e->state == GIT_TRACKED ? "tracked" : e->state == GIT_CLEAN ?
	    "not tracked" : "failed", status, e->error != NULL ? ": " : "",
	    e->error != NULL ? e->error : "");
	if (e->state == GIT_ERROR)
		log_warn("cannot tell whether %s is committed to git: %s", e->path,
		    e->error);
	else
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
	verdict_trust_changed(e->t, e->path);
	if (e->venv != NULL && strcmp(e->venv, e->path) != 0)
		verdict_trust_changed(e->t, e->venv);
	if (e->t->settled != NULL)
		e->t->settled(e->t->settled_ctx, e->path);
}

/* git took too long: kill it; the child watcher then records the failure. */
static void
git_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct git_entry *e = w->data;

	(void)loop;
	(void)revents;
	log_warn("git check of %s took over %ld s: killed", e->path,
	    e->t->d->cfg.git_timeout);
	if (e->pid > 0) {
		e->killed = 1;
		kill(-e->pid, SIGKILL);
	}
}

/* The environment git runs in (git_check_environ of ours). Made once. */
static char **
git_environ(void)
{
	static char **env;

	if (env == NULL)
		env = git_check_environ(environ);
	return env;
}

/*
 * Start git about the venv at real with its stdout and stderr into e's
 * memory files; 0 with *pid, or an errno value.
 */
static int
git_spawn(struct git_entry *e, const char *real, pid_t *pid)
{
	int rc;

	if ((e->out_fd = memfd_create("venvd-git-out", MFD_CLOEXEC)) == -1 ||
	    (e->err_fd = memfd_create("venvd-git-err", MFD_CLOEXEC)) == -1) {
		rc = errno;
		git_close_output(e);
		return rc;
	}
	rc = git_check_spawn(real, git_environ(), e->out_fd, e->err_fd, pid);
	if (rc != 0)
		git_close_output(e);
	return rc;
}

/*
 * Start git for e's venv (at its real path) and watch for its end; never
 * waits for it. Without git, e is settled as not tracked at once.
 */
static void
git_start(struct verdicts *t, struct git_entry *e)
{
	pid_t pid;
	int rc;

	e->state = GIT_CLEAN;
	if ((rc = git_spawn(e, e->path, &pid)) != 0) {
		if (rc == ENOENT) {
			/* No git: nothing to ask (not stored: it may be installed later). */
			log_debug("cannot run git for %s: %s", e->path, strerror(rc));
			return;
		}
		e->state = GIT_ERROR;
		xasprintf(&e->error, "cannot run git: %s", strerror(rc));
		log_warn("%s: %s", e->path, e->error);
		return;
	}
	log_debug("git check of %s started (pid %ld)", e->path, (long)pid);
	e->state = GIT_CHECKING;
	e->pid = pid;
	ev_child_init(&e->child, git_child_cb, pid, 0);
	e->child.data = e;
	ev_child_start(t->d->loop, &e->child);
	ev_timer_init(&e->timer, git_timer_cb, (double)t->d->cfg.git_timeout, 0.);
	e->timer.data = e;
	ev_timer_start(t->d->loop, &e->timer);
}

/* The key a resolve waits on while git checks the venv at path: its real path. */
char *
verdict_git_key(struct verdicts *t, const char *path)
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
 * (when start is set) git. -1 when unknown and start is not set. For
 * GIT_ERROR, *why is git's complaint.
 */
static int
git_state(struct verdicts *t, const char *venv, const char *real,
    const struct trust_id *id, int start, const char **why)
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
	if (e != NULL) {
		*why = e->error;
		return e->state;
	}
	if (!start) {
		stored = git_load(t, real, id);
		return stored;
	}
	e = xcalloc(1, sizeof *e);
	e->path = xstrdup(real);
	e->venv = xstrdup(venv);
	e->id = *id;
	e->t = t;
	e->out_fd = e->err_fd = -1;
	HASH_ADD_KEYPTR(hh, t->git, e->path, strlen(e->path), e);
	if ((stored = git_load(t, real, id)) != -1)
		e->state = (enum git_state)stored;
	else
		git_start(t, e);
	*why = e->error;
	return e->state;
}

/*
 * The stored decision for this identity: 'a'llow, 'd'eny or 0. For an
 * allow, *shadows is its snapshot (malloc'd; NULL for an allow stored
 * before snapshots). A stale row is removed.
 */
static int
decision_get(struct verdicts *t, const char *real, const struct trust_id *id,
    char **shadows)
{
	sqlite3_stmt *st = trust_stmt(t,
	    "SELECT decision, dev, ino, born, shadows FROM trust_decisions WHERE path = ?1");
	int rc = 0, stale = 0;

	*shadows = NULL;
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
		if (rc == 'a' && sqlite3_column_type(st, 4) != SQLITE_NULL)
			*shadows = xstrdup((const char *)sqlite3_column_text(st, 4));
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
		verdict_export_denied(t);
		/* Records reaching it by another path may be judged otherwise now. */
		verdict_trust_changed(t, NULL);
	}
	return rc;
}

/* The shadowing names as a snapshot: sorted, one per line ("" for none). */
static char *
snapshot_join(char **names, size_t n)
{
	size_t len = 1, i;
	char *out, *p;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	p = out = xmalloc(len);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i > 0 ? "\n" : "", names[i]);
	*p = '\0';
	return out;
}

/* Is name one of the lines of snapshot? */
static int
snapshot_has(const char *snapshot, const char *name)
{
	size_t n = strlen(name);
	const char *p = snapshot;

	while (*p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return 0;
}

/* Store snapshot as the allow's for real (an old allow adopting one). */
static void
snapshot_store(struct verdicts *t, const char *real, const char *snapshot)
{
	sqlite3_stmt *st = trust_stmt(t, "UPDATE trust_decisions SET shadows = ?2"
	    " WHERE path = ?1 AND decision = 'allow'");

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, snapshot, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("trust_decisions: %s", sqlite3_errmsg(t->h));
	sqlite3_finalize(st);
}

/*
 * Does the allow with this snapshot still cover the venv at real? 0 yes;
 * 1 with the reason when bin/ gained a shadowing name since; -1 with the
 * reason when bin/ cannot be read. A NULL snapshot (an allow from before
 * snapshots) adopts what bin/ shadows now.
 */
static int
allow_covers(struct verdicts *t, const char *real, const char *snapshot,
    char *reason, size_t len)
{
	char **names, *now;
	size_t n, i;
	int rc = 0;

	if (trust_rule_shadow_names(real, &names, &n, reason, len) == -1)
		return -1;
	if (snapshot == NULL) {
		now = snapshot_join(names, n);
		log_info("the allow of %s now covers what its bin/ shadows: %s", real,
		    n > 0 ? now : "nothing");
		snapshot_store(t, real, now);
		free(now);
	} else {
		for (i = 0; i < n && rc == 0; i++) {
			if (!snapshot_has(snapshot, names[i])) {
				snprintf(reason, len, "bin/%s appeared after venvd allow",
				    names[i]);
				rc = 1;
			}
		}
	}
	trust_rule_names_free(names, n);
	return rc;
}

/*
 * Judge the venv at venv; a malloc'd trust string. Clears *cacheable
 * while git runs. With start unset, never runs git: NULL when the
 * answer would need it.
 */
static char *
judge(struct verdicts *t, const char *venv, int *cacheable, int start)
{
	char reason[PATH_MAX + 128], *real = NULL, *out, *shadows;
	const char *why = NULL;
	struct trust_id id;
	int rc;

	if (trust_rule_identity(venv, &real, &id) == -1) {
		xasprintf(&out, "untrusted:cannot examine the venv: %s", strerror(errno));
		return out;
	}
	if (trust_rule_hard(real, reason, sizeof reason) == -1)
		goto untrusted;
	switch (decision_get(t, real, &id, &shadows)) {
	case 'd':
		free(real);
		return xstrdup("denied");
	case 'a':
		rc = allow_covers(t, real, shadows, reason, sizeof reason);
		free(shadows);
		if (rc != 0)
			goto untrusted;
		goto trusted;
	}
	if (t->d->cfg.trust == CONF_TRUST_ALL)
		goto trusted;
	if (t->d->cfg.trust == CONF_TRUST_ASK) {
		snprintf(reason, sizeof reason, "not allowed yet (trust = ask)");
		goto untrusted;
	}
	switch (git_state(t, venv, real, &id, start, &why)) {
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
	case GIT_ERROR:
		snprintf(reason, sizeof reason, "cannot tell whether it is committed to git: %s",
		    why != NULL ? why : "?");
		goto untrusted;
	case GIT_CLEAN:
		break;
	}
	if ((rc = trust_rule_shadow(real, reason, sizeof reason)) != 0)
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
verdict_judge(struct verdicts *t, const struct venv_info *vi, int *cacheable)
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

/* Set "trust" of an index record as verdict_judge would, but never run git (null then). */
void
verdict_fill_record(struct verdicts *t, json_t *rec)
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
verdict_decide(struct verdicts *t, const struct venv_info *vi, int allow,
    char *err, size_t errlen)
{
	char reason[PATH_MAX + 128], *real = NULL, *snapshot = NULL, **names;
	sqlite3_stmt *st;
	struct trust_id id;
	size_t n;
	int rc = -1;

	if (t->h == NULL) {
		snprintf(err, errlen, "the daemon has no index, so it cannot store decisions");
		return -1;
	}
	if (trust_rule_identity(vi->path, &real, &id) == -1) {
		snprintf(err, errlen, "cannot examine %s: %s", vi->path, strerror(errno));
		return -1;
	}
	if (allow && trust_rule_hard(real, reason, sizeof reason) == -1) {
		snprintf(err, errlen, "%s cannot be trusted: %s", vi->path, reason);
		goto out;
	}
	if (allow) {
		/* The allow covers what bin/ shadows now, and no new name. */
		if (trust_rule_shadow_names(real, &names, &n, reason, sizeof reason) == -1) {
			snprintf(err, errlen, "%s cannot be trusted: %s", vi->path, reason);
			goto out;
		}
		snapshot = snapshot_join(names, n);
		trust_rule_names_free(names, n);
	}
	st = trust_stmt(t, "INSERT OR REPLACE INTO trust_decisions"
	    " (path, dev, ino, born, decision, decided, shadows)"
	    " VALUES (?1, ?2, ?3, ?6, ?4, ?5, ?7)");
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
	if (snapshot != NULL)
		sqlite3_bind_text(st, 7, snapshot, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else if (db_storage_error(sqlite3_extended_errcode(t->h))) {
		/* Rolled back: the decision stored before (if any) still applies. */
		snprintf(err, errlen, "cannot store the decision: %s (the "
		    "state directory %s is full or read-only); nothing was "
		    "changed", sqlite3_errmsg(t->h), t->d->state_dir);
		db_note(t->d->db, sqlite3_extended_errcode(t->h));
	} else
		snprintf(err, errlen, "cannot store the decision: %s",
		    sqlite3_errmsg(t->h));
	sqlite3_finalize(st);
	if (rc == 0) {
		log_info("%s %s (%s)", allow ? "allowed" : "denied", vi->path, real);
		verdict_export_denied(t);
		if (t->d->gen != NULL)
			generation_bump(t->d->gen);
		/* Every record reaching that venv, by any path. */
		verdict_trust_changed(t, NULL);
	}
out:
	free(snapshot);
	free(real);
	return rc;
}

/*
 * The venv the index knew at from was moved (mv) to to. A deny follows
 * it always. An allow follows it only where the rules would judge it
 * as before: the same project (or none in both places) and no
 * repository around the new place that could track it; anywhere else
 * it is dropped and the venv is judged afresh (the git check, the
 * shadow rule, trust = ask). Only a decision whose identity (st_dev,
 * st_ino and a birth time) is the directory's now can follow, and only
 * from a path that no longer leads to it.
 */
void
verdict_moved(struct verdicts *t, const char *from, const char *to,
    int same_project)
{
	sqlite3_stmt *st;
	struct trust_id id, now;
	char *real = NULL, *old = NULL, *r, decision = 0;
	const char *p;
	int carry;

	if (t->h == NULL || trust_rule_identity(to, &real, &id) == -1)
		return;
	if (id.born == 0 || (st = trust_stmt(t, "SELECT path, decision FROM"
	    " trust_decisions WHERE dev = ?1 AND ino = ?2 AND born = ?3"
	    " AND path != ?4")) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id.dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id.ino);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id.born);
	sqlite3_bind_text(st, 4, real, -1, SQLITE_STATIC);
	while (old == NULL && sqlite3_step(st) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(st, 0);
		if (trust_rule_identity(p, &r, &now) == 0) {
			free(r);
			if (same_id(&now, &id))
				continue;
		}
		old = xstrdup(p);
		decision = strcmp((const char *)sqlite3_column_text(st, 1),
		    "deny") == 0 ? 'd' : 'a';
	}
	sqlite3_finalize(st);
	if (old == NULL)
		goto out;
	carry = decision == 'd' || (same_project && !trust_rule_in_repository(real));
	if (carry && (st = trust_stmt(t, "DELETE FROM trust_decisions"
	    " WHERE path = ?1")) != NULL) {
		sqlite3_bind_text(st, 1, real, -1, SQLITE_STATIC);
		(void)sqlite3_step(st);
		sqlite3_finalize(st);
	}
	st = trust_stmt(t, carry ? "UPDATE trust_decisions SET path = ?2"
	    " WHERE path = ?1" : "DELETE FROM trust_decisions WHERE path = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
		if (carry)
			sqlite3_bind_text(st, 2, real, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warn("trust_decisions: %s", sqlite3_errmsg(t->h));
		sqlite3_finalize(st);
	}
	if (carry)
		log_info("%s moved from %s: its %s follows it", to, from,
		    decision == 'd' ? "deny" : "allow");
	else
		log_info("%s moved from %s %s: its allow is dropped and it is "
		    "judged again", to, from, same_project ? "where a repository "
		    "could track it" : "to another project");
	verdict_export_denied(t);
	if (t->d->gen != NULL)
		generation_bump(t->d->gen);
	verdict_trust_changed(t, to);
	verdict_trust_changed(t, from);
	verdict_trust_changed(t, real);
	verdict_trust_changed(t, old);
out:
	free(old);
	free(real);
}

/* The stored decisions as a JSON array of {"path","decision","dev","ino","decided"}. */
json_t *
verdict_decisions(struct verdicts *t)
{
	sqlite3_stmt *st = trust_stmt(t, "SELECT path, decision, dev, ino, decided"
	    " FROM trust_decisions ORDER BY path");
	json_t *list = json_array();

	if (st == NULL)
		return list;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(list, json_pack("{s:o, s:s, s:I, s:I, s:I}",
		    "path", rpc_path_to_json((const char *)sqlite3_column_text(st, 0)),
		    "decision", (const char *)sqlite3_column_text(st, 1),
		    "dev", (json_int_t)sqlite3_column_int64(st, 2),
		    "ino", (json_int_t)sqlite3_column_int64(st, 3),
		    "decided", (json_int_t)sqlite3_column_int64(st, 4)));
	}
	sqlite3_finalize(st);
	return list;
}

/*
 * request.c: one JSON-RPC request line in, one response line out,
 * dispatched from request_table.
 *
 * No socket code here: server.c frames the lines, hands each to
 * request_handle() with its connection and writes the output. A handler
 * does with its connection only what struct request_conn_ops offers
 * (hold the request, make it a stream, send on it); the wire format
 * itself is in protocol.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "daemon.h"
#include "cache.h"
#include "db.h"
#include "generation.h"
#include "health.h"
#include "index.h"
#include "interp.h"
#include "request.h"
#include "roots.h"
#include "sizer.h"
#include "subscribe.h"
#include "verdict.h"
#include "watch.h"
#include "locator_env.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

/*
 * The directory to resolve for path: path itself, or its parent when
 * path names an existing non-directory (an editor asking about a file).
 * Returns a string to free.
 */
char *
request_dir(const char *path)
{
	struct stat st;
	char *dir = xstrdup(path), *slash;

	if (stat(path, &st) == -1 || S_ISDIR(st.st_mode))
		return dir;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	return dir;
}

/*
 * Resolve an absolute path for a request. A cached answer for path as
 * given costs no system call: a name is cached only when it was resolved
 * as a directory (or did not exist, when its answer is its parent's), and
 * the cache's watches drop it when that changes. Otherwise request_dir()
 * (one stat) and cache_resolve(), in the client's locator environment
 * env (NULL: the daemon's own). Returns as cache_resolve() does, or
 * -2 when defer (the connection) is set and the request was put off
 * through its defer_slow op until the loop has time for uncached work.
 */
static int
request_resolve(struct daemon *d, struct request_conn *defer,
    const char *const *env, const char *path, struct venv_info *vi, int *hit,
    int *cacheable, char *err, size_t errlen)
{
	char *dir;
	int found;

	if ((found = cache_lookup(d->cache, env, path, vi)) != -1) {
		*hit = 1;
		*cacheable = 1;
		return found;
	}
	if (defer != NULL && defer->ops->defer_slow(defer) == 0)
		return -2;
	dir = request_dir(path);
	found = cache_resolve(d->cache, env, dir, vi, hit, cacheable, err,
	    errlen);
	free(dir);
	return found;
}

/*
 * The "env" of params (the client's locator environment) into *env: 0
 * (*env NULL when params has none: the daemon's own), or -1 with the
 * error written to out.
 */
static int
request_env(const struct rpc_request *req, char ***env, struct buf *out)
{
	json_t *jenv = json_is_object(req->params) ?
	    json_object_get(req->params, "env") : NULL;
	char err[PATH_MAX + 128];

	*env = NULL;
	if (jenv == NULL)
		return 0;
	if (rpc_env_from_json(jenv, env, err, sizeof err) == -1) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS, err);
		return -1;
	}
	return 0;
}

/* Add "notices": the faults every hook shows once (none: no member). */
static void
request_notices(struct daemon *d, json_t *result)
{
	json_t *list = NULL;
	const char *reason;
	int notice;

	for (size_t i = 0; (reason = health_reason(d->health, i, &notice)) != NULL; i++) {
		if (!notice)
			continue;
		if (list == NULL)
			list = json_array();
		json_array_append_new(list, rpc_string_lossy(reason));
	}
	if (list != NULL)
		json_object_set_new(result, "notices", list);
}

/*
 * vi's verdict waits for git: hold the request until git is done, or
 * until wait_ms after it arrived. 0 when held, else -1
 * (answer now: "checking version control", not cacheable).
 */
static int
request_wait_git(struct daemon *d, struct request_conn *conn,
    const struct venv_info *vi, long wait_ms)
{
	char *key;
	int rc;

	if (vi->trust == NULL || strcmp(vi->trust, VENVD_TRUST_CHECKING) != 0 ||
	    conn == NULL || conn->final)
		return -1;
	if ((key = verdict_git_key(d->verdicts, vi->path)) == NULL)
		return -1;
	rc = conn->ops->wait(conn, key, wait_ms / 1000.0);
	free(key);
	return rc;
}

/* resolve {"path": ABS}: which venv applies to that directory. */
static void
method_resolve(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	json_t *jpath = json_is_object(req->params) ?
	    json_object_get(req->params, "path") : NULL;
	json_t *jact = json_is_object(req->params) ?
	    json_object_get(req->params, "activating") : NULL;
	json_t *jactive = json_is_object(req->params) ?
	    json_object_get(req->params, "active") : NULL;
	json_t *jwait = json_is_object(req->params) ?
	    json_object_get(req->params, "wait_ms") : NULL;
	long wait_ms = VENVD_RESOLVE_WAIT_MS;
	struct venv_info vi;
	char **env = NULL;
	const char *path;
	size_t len;
	char err[512];
	int found, hit = 0, cacheable = 1;
	json_t *result;

	if (jpath == NULL) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    "resolve needs params {\"path\": ABSOLUTE_DIRECTORY}");
		return;
	}
	if (!json_is_string(jpath)) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS, "path must be a string");
		return;
	}
	path = json_string_value(jpath);
	len = json_string_length(jpath);
	if (strlen(path) != len) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    "path must not contain NUL bytes");
		return;
	}
	if (path[0] != '/') {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS, "path must be absolute");
		return;
	}
	if (len >= PATH_MAX) {
		snprintf(err, sizeof err, "path is longer than PATH_MAX (%d bytes)",
		    PATH_MAX - 1);
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS, err);
		return;
	}
	if (jwait != NULL) {
		if (!json_is_integer(jwait) || json_integer_value(jwait) < 0 ||
		    json_integer_value(jwait) > VENVD_RESOLVE_WAIT_MAX_MS) {
			snprintf(err, sizeof err, "wait_ms must be an integer from 0 to %d",
			    VENVD_RESOLVE_WAIT_MAX_MS);
			rpc_write_error(out, req->id, RPC_INVALID_PARAMS, err);
			return;
		}
		wait_ms = (long)json_integer_value(jwait);
	}
	if (request_env(req, &env, out) == -1)
		return;

	memset(&vi, 0, sizeof vi);
	err[0] = '\0';
	found = request_resolve(d, conn, (const char *const *)env, path, &vi,
	    &hit, &cacheable, err, sizeof err);
	locator_env_free(env);
	if (found == -2)
		return;		/* answered when replayed */
	if (found == -1) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    err[0] != '\0' ? err : "cannot resolve that path");
		return;
	}
	/* A miss was recorded in the index by cache_resolve(). */
	if (hit && (conn == NULL || !conn->replaying))
		d->cache_hits++;
	log_debug("resolve %s -> %s%s", path, found == 1 ? vi.path : "none",
	    hit ? " (cached)" : "");
	if (found == 1 && !hit && d->interp != NULL)
		interp_track(d->interp, &vi);
	if (found == 1 && d->verdicts != NULL) {
		free(vi.trust);
		vi.trust = verdict_judge(d->verdicts, &vi, &cacheable);
		if (request_wait_git(d, conn, &vi, wait_ms) == 0) {
			venv_info_free(&vi);
			return;		/* answered when git is done */
		}
	}
	/* "active": the venv the shell has active; answering it again is no activation. */
	if (found == 1 && json_is_true(jact) && !(json_is_string(jactive) &&
	    strcmp(json_string_value(jactive), vi.path) == 0))
		index_activated(d, &vi);

	result = json_object();
	json_object_set_new(result, "venv", found == 1 ? rpc_venv_to_json(&vi) : json_null());
	json_object_set_new(result, "generation",
	    json_string(d->gen != NULL ? generation_string(d->gen) : "0-0"));
	json_object_set_new(result, "cacheable", json_boolean(cacheable));
	request_notices(d, result);
	rpc_write_result(out, req->id, result);
	if (found == 1)
		venv_info_free(&vi);
}

/*
 * Add "locator_env" (the daemon's own locator environment) and
 * "client_envs" (the others clients resolved with) to a status result.
 */
static void
request_status_envs(struct daemon *d, json_t *result)
{
	const char *const *own, *const *env;
	json_t *list = json_array(), *diffs, *one;
	char diff[512], *p, *sp;
	size_t n;

	own = d->cache != NULL ? cache_env_at(d->cache, 0, NULL) : NULL;
	json_object_set_new(result, "locator_env", rpc_env_to_json(own));
	for (size_t i = 1; d->cache != NULL &&
	    (env = cache_env_at(d->cache, i, &n)) != NULL; i++) {
		locator_env_diff(own, env, diff, sizeof diff);
		diffs = json_array();
		for (p = strtok_r(diff, " ", &sp); p != NULL;
		    p = strtok_r(NULL, " ", &sp))
			json_array_append_new(diffs, json_string(p));
		one = json_object();
		json_object_set_new(one, "env", rpc_env_to_json(env));
		json_object_set_new(one, "differs", diffs);
		json_object_set_new(one, "cached_dirs", json_integer((json_int_t)n));
		json_array_append_new(list, one);
	}
	json_object_set_new(result, "client_envs", list);
}

/* status {}: how the daemon is doing. */
static void
method_status(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	json_t *result = json_object(), *degraded = json_array();
	time_t now = time(NULL);
	char dberr[600];

	for (size_t i = 0; health_reason(d->health, i, NULL) != NULL; i++)
		json_array_append_new(degraded, json_string(health_reason(d->health, i, NULL)));
	json_object_set_new(result, "pid", json_integer((json_int_t)getpid()));
	json_object_set_new(result, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(result, "protocol", json_integer(VENVD_PROTOCOL_VERSION));
	json_object_set_new(result, "uptime_s",
	    json_integer(now > d->started ? (json_int_t)(now - d->started) : 0));
	json_object_set_new(result, "socket", json_string(d->socket_path));
	json_object_set_new(result, "generation",
	    json_string(d->gen != NULL ? generation_string(d->gen) : "0-0"));
	json_object_set_new(result, "requests", json_integer((json_int_t)d->requests));
	json_object_set_new(result, "cache_hits", json_integer((json_int_t)d->cache_hits));
	json_object_set_new(result, "cached_dirs",
	    json_integer(d->cache != NULL ? (json_int_t)cache_size(d->cache) : 0));
	json_object_set_new(result, "watches",
	    json_integer(d->watcher != NULL ? (json_int_t)watch_count(d->watcher) : 0));
	json_object_set_new(result, "watch_limit", json_integer((json_int_t)d->cfg.max_watches));
	json_object_set_new(result, "clients",
	    json_integer(conn != NULL ? conn->ops->clients(conn) : 0));
	json_object_set_new(result, "held",
	    json_integer(conn != NULL ? conn->ops->held(conn) : 0));
	json_object_set_new(result, "degraded", degraded);
	request_status_envs(d, result);
	/* For venvd doctor: the index's integrity, checked now. */
	if (db_check(d->db, dberr, sizeof dberr) == 0)
		json_object_set_new(result, "db_ok", json_true());
	else {
		json_object_set_new(result, "db_ok", json_false());
		json_object_set_new(result, "db_error", json_string(dberr));
	}
	rpc_write_result(out, req->id, result);
}

/*
 * allow/deny {"path": VENV|PROJECT}: store the user's decision for the
 * venv that applies to path.
 */
static void
method_decide(struct daemon *d, const struct rpc_request *req, struct buf *out,
    int allow)
{
	json_t *jpath = json_is_object(req->params) ?
	    json_object_get(req->params, "path") : NULL;
	struct venv_info vi;
	char err[PATH_MAX + 256], **env;
	int found, hit, cacheable;

	if (!json_is_string(jpath) || json_string_value(jpath)[0] != '/' ||
	    strlen(json_string_value(jpath)) != json_string_length(jpath) ||
	    json_string_length(jpath) >= PATH_MAX) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    "needs params {\"path\": ABSOLUTE_PATH}");
		return;
	}
	if (request_env(req, &env, out) == -1)
		return;
	memset(&vi, 0, sizeof vi);
	err[0] = '\0';
	found = request_resolve(d, NULL, (const char *const *)env,
	    json_string_value(jpath), &vi, &hit, &cacheable, err, sizeof err);
	locator_env_free(env);
	if (found != 1) {
		if (found == 0)
			snprintf(err, sizeof err, "no venv applies to %s",
			    json_string_value(jpath));
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS, err);
		return;
	}
	if (d->verdicts == NULL || verdict_decide(d->verdicts, &vi, allow, err, sizeof err) == -1)
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    d->verdicts == NULL ? "trust is unavailable" : err);
	else
		rpc_write_result(out, req->id, json_pack("{s:o, s:s}",
		    "venv", rpc_path_to_json(vi.path),
		    "trust", allow ? "trusted" : "denied"));
	venv_info_free(&vi);
}

/* allow {"path": VENV|PROJECT}: trust the venv that applies to path. */
static void
method_allow(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	(void)conn;
	method_decide(d, req, out, 1);
}

/* deny {"path": VENV|PROJECT}: never activate the venv that applies to path. */
static void
method_deny(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	(void)conn;
	method_decide(d, req, out, 0);
}

/* trust {}: the stored decisions. */
static void
method_trust(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	(void)conn;
	rpc_write_result(out, req->id, json_pack("{s:o}", "decisions",
	    d->verdicts != NULL ? verdict_decisions(d->verdicts) : json_array()));
}

static void	request_call_body(struct daemon *, const struct rpc_request *,
		    struct buf *, request_body *);

/* How shutdown stops the daemon: set by the wiring (venvd_daemon.c). */
static void	(*request_shutdown)(struct daemon *);

/* The wiring says how the shutdown method stops the daemon. */
void
request_on_shutdown(void (*fn)(struct daemon *))
{
	request_shutdown = fn;
}

/* shutdown {}: answer, then stop once the answer is written. */
static void
method_shutdown(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	json_t *result = json_object();

	(void)conn;
	json_object_set_new(result, "ok", json_true());
	rpc_write_result(out, req->id, result);
	log_info("shutdown requested by a client");
	if (request_shutdown != NULL)
		request_shutdown(d);
}

/*
 * Does req ask for progress notifications ("progress": true)? 1 when it
 * does and can have them (an id and a connection), 0 when not, -1 with
 * the error written to out when "progress" is not a boolean.
 */
static int
request_progress_asked(const struct rpc_request *req,
    struct request_conn *conn, struct buf *out)
{
	json_t *j = json_is_object(req->params) ?
	    json_object_get(req->params, "progress") : NULL;

	if (j != NULL && !json_is_boolean(j)) {
		rpc_write_error(out, req->id, RPC_INVALID_PARAMS,
		    "progress must be a boolean");
		return -1;
	}
	return json_is_true(j) && req->id != NULL && conn != NULL;
}

/*
 * Send req's progress notification (params: counters, stolen; "id" is
 * added) and hold req to be replayed at the next report, or when key is
 * done. 0 when held (answer nothing now), 1 when the connection was
 * dropped for not reading (answer nothing at all), -1 when it must be
 * answered now (its deadline, VENVD_PROGRESS_HOLD_S, passed).
 */
static int
request_progress_hold(struct request_conn *conn, const struct rpc_request *req,
    const char *key, json_t *params)
{
	struct buf line = BUF_INIT, final = BUF_INIT;
	json_t *note;
	char *text;
	int rc;

	if (conn->final || params == NULL) {
		json_decref(params);
		return -1;
	}
	json_object_set(params, "id", req->id);
	note = json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method",
	    VENVD_N_PROGRESS, "params", params);
	text = rpc_dumps(note, JSON_COMPACT);
	json_decref(note);
	if (text == NULL)
		return -1;
	buf_printf(&line, "%s\n", text);
	free(text);
	rpc_write_error(&final, req->id, RPC_SUBSCRIBER_DROPPED,
	    "progress notifications were not read");
	rc = conn->ops->send(conn, line.data, line.len,
	    VENVD_PROGRESS_QUEUE_CAP, final.data);
	buf_free(&line);
	buf_free(&final);
	if (rc == -1)
		return 1;
	return conn->ops->wait_tick(conn, key, VENVD_PROGRESS_HOLD_S,
	    VENVD_PROGRESS_MS / 1000.0) == 0 ? 0 : -1;
}

/*
 * watch: add a root and scan it (roots_watch). With "progress": true,
 * the answer waits for the end of the scan, with a progress
 * notification ("dirs", "venvs" so far) every VENVD_PROGRESS_MS.
 */
static void
method_watch(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	char err[PATH_MAX + 256], key[PATH_MAX + 16];
	json_t *result, *jpath;
	long dirs, venvs;
	int progress, code = RPC_INTERNAL_ERROR, scanning, rc;

	if ((progress = request_progress_asked(req, conn, out)) == -1)
		return;
	err[0] = '\0';
	/* A replay is the same request, waiting: the root was added. */
	if (!progress || !conn->replaying) {
		if ((result = roots_watch(d, req->params, &code, err,
		    sizeof err)) == NULL) {
			rpc_write_error(out, req->id, code, err[0] != '\0' ?
			    err : "internal error");
			return;
		}
		if (!progress) {
			rpc_write_result(out, req->id, result);
			return;
		}
		json_decref(result);
	}
	if ((result = roots_watched(d, req->params, &scanning, &dirs, &venvs,
	    &code, err, sizeof err)) == NULL) {
		rpc_write_error(out, req->id, code, err);
		return;
	}
	if (scanning) {
		jpath = json_object_get(json_object_get(result, "root"), "path");
		snprintf(key, sizeof key, "scan:%s", json_is_string(jpath) ?
		    json_string_value(jpath) : "");
		rc = request_progress_hold(conn, req, key, json_pack("{s:s, s:O,"
		    " s:I, s:I}", "phase", "scan", "path", jpath,
		    "dirs", (json_int_t)dirs, "venvs", (json_int_t)venvs));
		if (rc >= 0) {
			json_decref(result);
			return;
		}
	}
	rpc_write_result(out, req->id, result);
}

/*
 * list: the index (index_list). With "progress": true, the answer
 * waits until the roots being scanned are scanned and every venv was
 * measured (sizer.c), with a progress notification every
 * VENVD_PROGRESS_MS: "phase" "scan" ("roots", "dirs", "venvs") or
 * "sizes" ("measured", "total").
 */
static void
method_list(struct daemon *d, struct request_conn *conn,
    const struct rpc_request *req, struct buf *out)
{
	long dirs, venvs, measured, total;
	int progress, nroots, rc = -1;

	if ((progress = request_progress_asked(req, conn, out)) == -1)
		return;
	if (progress && (nroots = roots_scanning(d, &dirs, &venvs)) > 0)
		rc = request_progress_hold(conn, req, "list", json_pack("{s:s,"
		    " s:i, s:I, s:I}", "phase", "scan", "roots", nroots,
		    "dirs", (json_int_t)dirs, "venvs", (json_int_t)venvs));
	else if (progress && sizer_progress(d->sizer, &measured, &total) > 0)
		rc = request_progress_hold(conn, req, "list", json_pack("{s:s,"
		    " s:I, s:I}", "phase", "sizes", "measured",
		    (json_int_t)measured, "total", (json_int_t)total));
	if (rc >= 0)
		return;		/* answered after the work, or dropped */
	request_call_body(d, req, out, index_list);
}

/*
 * Every method. The wire format of each (params, result, errors) is
 * documented in protocol.h and venvd-protocol(7); a unit test checks
 * that every name here appears in both.
 */
const struct request_entry request_table[] = {
	{ VENVD_M_RESOLVE,	method_resolve,		NULL,		0 },
	{ VENVD_M_STATUS,	method_status,		NULL,		0 },
	{ VENVD_M_SHUTDOWN,	method_shutdown,	NULL,		0 },
	{ VENVD_M_LIST,		method_list,		NULL,		0 },
	{ VENVD_M_FORGET,	NULL,			index_forget,	0 },
	{ VENVD_M_WATCH,	method_watch,		NULL,		0 },
	{ VENVD_M_UNWATCH,	NULL,			roots_unwatch,	0 },
	{ VENVD_M_ROOTS,	NULL,			roots_list,	0 },
	{ VENVD_M_ALLOW,	method_allow,		NULL,		0 },
	{ VENVD_M_DENY,		method_deny,		NULL,		0 },
	{ VENVD_M_TRUST,	method_trust,		NULL,		0 },
	{ VENVD_M_SUBSCRIBE,	subscribe_request,	NULL,		REQUEST_STREAM },
	{ NULL,			NULL,			NULL,		0 }
};

/* The table's entry for method, or NULL. */
static const struct request_entry *
request_find(const char *method)
{
	const struct request_entry *e;

	for (e = request_table; e->method != NULL; e++) {
		if (strcmp(e->method, method) == 0)
			return e;
	}
	return NULL;
}

/* Call a module's method body; write its result or error. */
static void
request_call_body(struct daemon *d, const struct rpc_request *req,
    struct buf *out, request_body *body)
{
	json_t *result;
	char err[PATH_MAX + 256];
	int code = RPC_INTERNAL_ERROR;

	err[0] = '\0';
	if ((result = body(d, req->params, &code, err, sizeof err)) == NULL)
		rpc_write_error(out, req->id, code, err[0] != '\0' ? err :
		    "internal error");
	else
		rpc_write_result(out, req->id, result);
}

/* Handle one request line that came on conn; append the response line to out. */
void
request_handle(struct daemon *d, struct request_conn *conn, const char *line,
    size_t len, struct buf *out)
{
	const struct request_entry *e;
	struct rpc_request req;
	struct buf discard = BUF_INIT;
	json_t *id = NULL;
	char err[256], msg[320];
	int code = 0;

	if (conn == NULL || !conn->replaying)
		d->requests++;
	err[0] = '\0';
	if (rpc_parse_request(line, len, &req, &code, &id, err, sizeof err) == -1) {
		log_debug("bad request: %s", err);
		rpc_write_error(out, id, code != 0 ? code : RPC_INVALID_REQUEST,
		    err[0] != '\0' ? err : "invalid request");
		json_decref(id);
		return;
	}

	/* A notification is carried out but gets no answer. */
	struct buf *dst = req.id != NULL ? out : &discard;

	if ((e = request_find(req.method)) == NULL) {
		json_t *m = json_string(req.method);
		char *q = m != NULL ? json_dumps(m, JSON_ENCODE_ANY) : NULL;

		snprintf(msg, sizeof msg, "unknown method %s", q != NULL ? q : "(invalid)");
		rpc_write_error(dst, req.id, RPC_METHOD_NOT_FOUND, msg);
		free(q);
		json_decref(m);
	} else if ((e->flags & REQUEST_STREAM) && (req.id == NULL || conn == NULL)) {
		snprintf(msg, sizeof msg, "%s needs an id and a connection of "
		    "its own", e->method);
		rpc_write_error(dst, req.id, RPC_INVALID_REQUEST, msg);
	} else if (e->handler != NULL)
		e->handler(d, conn, &req, dst);
	else
		request_call_body(d, &req, dst, e->body);
	buf_free(&discard);
	rpc_request_free(&req);
}

/*
 * check_request.c: request dispatch (daemon/request.c) on a daemon with
 * no socket: malformed lines, unknown methods, bad params, notifications,
 * every method in the table, holding and replaying a request through a
 * test connection, and the table against protocol.h and
 * venvd-protocol(7).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "suites.h"
#include "buf.h"
#include "conf.h"
#include "daemon.h"
#include "cache.h"
#include "protocol.h"
#include "request.h"
#include "rpc.h"
#include "transport_rpc.h"
#include "tmptree.h"
#include "xmalloc.h"

/* A test connection: records what handlers asked of it. */
struct test_conn {
	struct request_conn rc;		/* first: the ops get &rc */
	int	defer;			/* defer_slow holds (returns 0) when set */
	int	deferred;		/* times defer_slow held the request */
	int	waited;
	int	streamed;
};

/* defer_slow: hold when the test says so. */
static int
test_defer_slow(struct request_conn *rc)
{
	struct test_conn *t = (struct test_conn *)rc;

	if (!t->defer)
		return -1;
	t->deferred++;
	return 0;
}

/* wait: never holds (answer now). */
static int
test_wait(struct request_conn *rc, const char *key, double wait_s)
{
	(void)key;
	(void)wait_s;
	((struct test_conn *)rc)->waited++;
	return -1;
}

/* stream: only counted. */
static void
test_stream(struct request_conn *rc, void (*on_close)(void *), void *arg)
{
	(void)on_close;
	(void)arg;
	((struct test_conn *)rc)->streamed++;
}

/* send: takes everything. */
static int
test_send(struct request_conn *rc, const char *data, size_t len, size_t cap,
    const char *final)
{
	(void)rc;
	(void)data;
	(void)len;
	(void)cap;
	(void)final;
	return 0;
}

/* clients: a number status must pass on. */
static int
test_clients(struct request_conn *rc)
{
	(void)rc;
	return 7;
}

/* held: another. */
static int
test_held(struct request_conn *rc)
{
	(void)rc;
	return 3;
}

static const struct request_conn_ops test_ops = {
	.defer_slow = test_defer_slow,
	.wait = test_wait,
	.stream = test_stream,
	.send = test_send,
	.clients = test_clients,
	.held = test_held,
};

static struct daemon	 td;
static int		 shutdowns;

/* The shutdown callback the wiring would set. */
static void
test_shutdown(struct daemon *d)
{
	ck_assert_ptr_eq(d, &td);
	shutdowns++;
}

/* A daemon with nothing running: no loop, index, cache or trust state. */
static void
setup(void)
{
	memset(&td, 0, sizeof td);
	conf_defaults(&td.cfg);
	snprintf(td.socket_path, sizeof td.socket_path, "/nonexistent/venvd.sock");
	shutdowns = 0;
	request_on_shutdown(test_shutdown);
}

/* Undo setup. */
static void
teardown(void)
{
	request_on_shutdown(NULL);
	conf_free(&td.cfg);
}

/*
 * Handle line on conn and parse the one response line; NULL when there
 * was none (the output must then be empty).
 */
static json_t *
handle(struct request_conn *conn, const char *line)
{
	struct buf out = BUF_INIT;
	json_t *resp = NULL;

	request_handle(&td, conn, line, strlen(line), &out);
	if (out.len > 0) {
		ck_assert_msg(out.data[out.len - 1] == '\n', "no newline: %s", out.data);
		ck_assert_ptr_eq(memchr(out.data, '\n', out.len), out.data + out.len - 1);
		resp = rpc_loadb(out.data, out.len, 0, NULL);
		ck_assert_msg(resp != NULL, "not JSON: %s", out.data);
		ck_assert_str_eq(json_string_value(json_object_get(resp, "jsonrpc")), "2.0");
	}
	buf_free(&out);
	return resp;
}

/* The error code of resp (0 when it is a result). */
static int
error_code(json_t *resp)
{
	json_t *e = json_object_get(resp, "error");

	ck_assert_ptr_nonnull(resp);
	if (e == NULL) {
		ck_assert_ptr_nonnull(json_object_get(resp, "result"));
		return 0;
	}
	return (int)json_integer_value(json_object_get(e, "code"));
}

/* The error message of resp. */
static const char *
error_message(json_t *resp)
{
	return json_string_value(json_object_get(json_object_get(resp, "error"),
	    "message"));
}

START_TEST(test_malformed)
{
	json_t *r;

	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
	ck_assert_int_eq(error_code(r), RPC_PARSE_ERROR);
	ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	r = handle(NULL, "[1,2]");
	ck_assert_int_eq(error_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"status\"}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":7}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_REQUEST);
	json_decref(r);
	/* Even a malformed request was a request. */
	ck_assert_uint_eq(td.requests, 4);
}
END_TEST

START_TEST(test_unknown_method)
{
	json_t *r;

	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"resolv\"}");
	ck_assert_int_eq(error_code(r), RPC_METHOD_NOT_FOUND);
	ck_assert_str_eq(error_message(r), "unknown method \"resolv\"");
	ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "x");
	json_decref(r);
	/* Method names are exact: no prefix or case folding. */
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"STATUS\"}");
	ck_assert_int_eq(error_code(r), RPC_METHOD_NOT_FOUND);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}");
	ck_assert_int_eq(error_code(r), RPC_METHOD_NOT_FOUND);
	json_decref(r);
}
END_TEST

START_TEST(test_wrong_params)
{
	json_t *r;

	/* params must be an object, for every method. */
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":[]}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\",\"params\":\"/\"}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	/* A member of the wrong type. */
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\",\"params\":{\"path\":5}}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	ck_assert_str_eq(error_message(r), "path must be a string");
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\",\"params\":{}}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\",\"params\":{\"path\":\"rel\"}}");
	ck_assert_str_eq(error_message(r), "path must be absolute");
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\","
	    "\"params\":{\"path\":\"/\",\"wait_ms\":20001}}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\",\"params\":{\"sort\":1}}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"allow\",\"params\":{\"path\":[]}}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_PARAMS);
	json_decref(r);
}
END_TEST

START_TEST(test_notification)
{
	struct test_conn t = { .rc = { .ops = &test_ops } };

	/* Carried out, never answered: not even an error. */
	ck_assert_ptr_null(handle(NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
	ck_assert_ptr_null(handle(NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"status\"}"));
	ck_assert_ptr_null(handle(NULL,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"resolve\",\"params\":{\"path\":5}}"));
	ck_assert_ptr_null(handle(&t.rc, "{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\"}"));
	ck_assert_int_eq(t.streamed, 0);
	ck_assert_ptr_null(handle(NULL, "{\"jsonrpc\":\"2.0\",\"method\":\"shutdown\"}"));
	ck_assert_int_eq(shutdowns, 1);
	ck_assert_uint_eq(td.requests, 5);
}
END_TEST

/* Every method protocol.h names: each must be in the table. */
static const char *const protocol_methods[] = {
	VENVD_M_RESOLVE, VENVD_M_STATUS, VENVD_M_SHUTDOWN, VENVD_M_LIST,
	VENVD_M_FORGET, VENVD_M_WATCH, VENVD_M_UNWATCH, VENVD_M_ROOTS,
	VENVD_M_ALLOW, VENVD_M_DENY, VENVD_M_TRUST, VENVD_M_SUBSCRIBE,
};

START_TEST(test_every_method)
{
	struct test_conn t = { .rc = { .ops = &test_ops } };
	const struct request_entry *e;
	char line[256];
	json_t *r;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof protocol_methods / sizeof protocol_methods[0]; i++) {
		for (e = request_table; e->method != NULL; e++) {
			if (strcmp(e->method, protocol_methods[i]) == 0)
				break;
		}
		ck_assert_msg(e->method != NULL, "%s is not dispatched",
		    protocol_methods[i]);
	}

	/*
	 * Each method is dispatched (no "unknown method") and answers its
	 * id, with a result or with an error about its params or state. The
	 * params are of the wrong type where a method takes any, so that
	 * nothing here needs a loop, an index or a cache.
	 */
	for (e = request_table; e->method != NULL; e++, n++) {
		ck_assert_msg((e->handler == NULL) != (e->body == NULL),
		    "%s: exactly one of handler and body", e->method);
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"%s\",\"params\":{\"path\":5,\"paths\":5}}",
		    100 + n, e->method);
		r = handle(&t.rc, line);
		ck_assert_msg(r != NULL, "%s: no answer", e->method);
		ck_assert_msg(error_code(r) != RPC_METHOD_NOT_FOUND, "%s: %s",
		    e->method, error_message(r));
		ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 100 + n);
		json_decref(r);
		for (const struct request_entry *f = request_table; f < e; f++)
			ck_assert_msg(strcmp(e->method, f->method) != 0,
			    "%s is in the table twice", e->method);
	}
	ck_assert_int_eq(n, (int)(sizeof protocol_methods / sizeof protocol_methods[0]));
	ck_assert_int_eq(shutdowns, 1);
	ck_assert_int_eq(t.streamed, 0);
}
END_TEST

START_TEST(test_status)
{
	struct test_conn t = { .rc = { .ops = &test_ops } };
	json_t *r, *res;

	r = handle(&t.rc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
	ck_assert_int_eq(error_code(r), 0);
	res = json_object_get(r, "result");
	ck_assert_int_eq(json_integer_value(json_object_get(res, "protocol")),
	    VENVD_PROTOCOL_VERSION);
	/* The transport's counts come through the connection's ops. */
	ck_assert_int_eq(json_integer_value(json_object_get(res, "clients")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "held")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "requests")), 1);
	ck_assert(json_is_false(json_object_get(res, "db_ok")));
	ck_assert_str_eq(json_string_value(json_object_get(res, "generation")), "0-0");
	json_decref(r);
	/* With no connection, no transport to count. */
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_object_get(r, "result"), "clients")), 0);
	json_decref(r);
}
END_TEST

/*
 * resolve's "env": the client's locator environment decides the answer
 * (a virtualenvwrapper venv in the client's WORKON_HOME); a hostile value
 * is refused before anything is read; status shows the environments.
 */
START_TEST(test_resolve_env)
{
	struct test_conn t = { .rc = { .ops = &test_ops } };
	char *root = tmptree_new(), line[3 * PATH_MAX], proj[PATH_MAX];
	static const char *const bad[] = {
		"\"rel/store\"", "\"/a\\nb\"", "\"/a\\u0000b\"", "1", "null",
	};
	json_t *r, *venv, *res;

	td.cache = cache_new(&td);
	snprintf(proj, sizeof proj, "%s/proj", root);
	tmptree_mkdir(root, "proj/src");
	tmptree_venv(root, "envs/p", "home = /usr/bin\nversion = 3.11.2\n");
	tmptree_write(root, "envs/p/.project", proj);
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"resolve\",\"params\":{\"path\":\"%s/proj/src\",\"env\":"
	    "{\"WORKON_HOME\":\"%s/envs\"}}}", root, root);
	r = handle(&t.rc, line);
	ck_assert_int_eq(error_code(r), 0);
	venv = json_object_get(json_object_get(r, "result"), "venv");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(venv,
	    "path")), "/envs/p"));
	ck_assert_str_eq(json_string_value(json_object_get(venv, "found_as")),
	    "virtualenvwrapper");
	json_decref(r);
	/* The same client without the variable: its own answer, none. */
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"resolve\",\"params\":{\"path\":\"%s/proj/src\",\"env\":{}}}",
	    root);
	r = handle(&t.rc, line);
	ck_assert_int_eq(error_code(r), 0);
	ck_assert(json_is_null(json_object_get(json_object_get(r, "result"), "venv")));
	json_decref(r);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":3,"
		    "\"method\":\"resolve\",\"params\":{\"path\":\"%s\",\"env\":"
		    "{\"WORKON_HOME\":%s}}}", proj, bad[i]);
		r = handle(&t.rc, line);
		ck_assert_msg(error_code(r) == RPC_INVALID_PARAMS ||
		    error_code(r) == RPC_PARSE_ERROR, "%s accepted", bad[i]);
		json_decref(r);
	}
	r = handle(&t.rc, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"status\"}");
	res = json_object_get(r, "result");
	ck_assert(json_is_object(json_object_get(res, "locator_env")));
	ck_assert_uint_ge(json_array_size(json_object_get(res, "client_envs")), 1);
	json_decref(r);
	cache_free(td.cache);
	td.cache = NULL;
	tmptree_free(root);
}
END_TEST

START_TEST(test_subscribe_needs_stream)
{
	json_t *r;

	/* No connection of its own: refused before anything is set up. */
	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}");
	ck_assert_int_eq(error_code(r), RPC_INVALID_REQUEST);
	ck_assert_str_eq(error_message(r),
	    "subscribe needs an id and a connection of its own");
	json_decref(r);
}
END_TEST

START_TEST(test_shutdown_answers_first)
{
	json_t *r;

	r = handle(NULL, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"shutdown\"}");
	ck_assert_int_eq(error_code(r), 0);
	ck_assert(json_is_true(json_object_get(json_object_get(r, "result"), "ok")));
	ck_assert_int_eq(shutdowns, 1);
	json_decref(r);
}
END_TEST

START_TEST(test_hold_and_replay)
{
	struct test_conn t = { .rc = { .ops = &test_ops } };
	char *root = tmptree_new(), line[PATH_MAX + 128];
	json_t *r, *venv;

	td.cache = cache_new(&td);
	tmptree_venv(root, "proj/.venv", "home = /usr/bin\nversion = 3.11.2\n");
	tmptree_mkdir(root, "proj/src");
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"resolve\",\"params\":{\"path\":\"%s/proj/src\"}}", root);

	/* Uncached: the handler holds it through its connection, answering nothing. */
	t.defer = 1;
	ck_assert_ptr_null(handle(&t.rc, line));
	ck_assert_int_eq(t.deferred, 1);
	ck_assert_uint_eq(td.requests, 1);

	/* Replayed when the transport has time: answered, not counted again. */
	t.defer = 0;
	t.rc.replaying = 1;
	r = handle(&t.rc, line);
	t.rc.replaying = 0;
	ck_assert_int_eq(error_code(r), 0);
	venv = json_object_get(json_object_get(r, "result"), "venv");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(venv,
	    "path")), "/proj/.venv"));
	ck_assert_uint_eq(td.requests, 1);
	json_decref(r);

	/* allow/deny never hold: without trust state they say so. */
	t.defer = 1;
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
	    "\"allow\",\"params\":{\"path\":\"%s/proj\"}}", root);
	r = handle(&t.rc, line);
	ck_assert_str_eq(error_message(r), "trust is unavailable");
	json_decref(r);
	ck_assert_int_eq(t.deferred, 1);

	cache_free(td.cache);
	td.cache = NULL;
	tmptree_free(root);
}
END_TEST

/* Read TOP_SRCDIR/rel whole, or NULL (and say why) when it cannot be. */
static char *
read_source(const char *rel)
{
	const char *top = getenv("TOP_SRCDIR");
	char *path, *text;
	size_t len = 0, n;
	FILE *f;

	if (top == NULL) {
		fprintf(stderr, "skipped: TOP_SRCDIR is not set (run through make check)\n");
		return NULL;
	}
	xasprintf(&path, "%s/%s", top, rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	text = xmalloc(1024 * 1024);
	while ((n = fread(text + len, 1, 1024 * 1024 - 1 - len, f)) > 0)
		len += n;
	text[len] = '\0';
	fclose(f);
	free(path);
	return text;
}

/*
 * Does text have a line that, after its leading blanks and prefix, is
 * word followed by a blank or its end, and then rest?
 */
static int
has_line(const char *text, const char *prefix, const char *word,
    const char *rest)
{
	const char *p = text, *q;
	size_t plen = strlen(prefix), wlen = strlen(word);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		q = p;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, prefix, plen) != 0)
			continue;
		q += plen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, word, wlen) != 0)
			continue;
		q += wlen;
		if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\0')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, rest, strlen(rest)) == 0)
			return 1;
	}
	return 0;
}

START_TEST(test_table_documented)
{
	const struct request_entry *e;
	char *header, *man, quoted[128];

	if ((header = read_source("common/protocol.h")) == NULL)
		return;
	if ((man = read_source("man/venvd-protocol.7")) == NULL) {
		free(header);
		return;
	}
	for (e = request_table; e->method != NULL; e++) {
		/* protocol.h: defined, and its params documented: "<method> {". */
		snprintf(quoted, sizeof quoted, "\"%s\"", e->method);
		ck_assert_msg(strstr(header, quoted) != NULL,
		    "%s is not defined in protocol.h", e->method);
		ck_assert_msg(has_line(header, "/*", e->method, "{") ||
		    has_line(header, "*", e->method, "{"),
		    "protocol.h does not document %s's params (a comment line "
		    "\"%s {...} -> ...\")", e->method, e->method);
		/* venvd-protocol(7): an item of the Methods list. */
		ck_assert_msg(has_line(man, ".It Cm", e->method, ""),
		    "venvd-protocol(7) has no \".It Cm %s\"", e->method);
	}
	/* The check itself must be able to fail. */
	ck_assert(!has_line(header, "*", "no-such-method", "{"));
	ck_assert(!has_line(man, ".It Cm", "resolv", ""));
	free(header);
	free(man);
}
END_TEST

Suite *
suite_request(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("dispatch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_unknown_method);
	tcase_add_test(tc, test_wrong_params);
	tcase_add_test(tc, test_notification);
	tcase_add_test(tc, test_every_method);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_resolve_env);
	tcase_add_test(tc, test_subscribe_needs_stream);
	tcase_add_test(tc, test_shutdown_answers_first);
	tcase_add_test(tc, test_hold_and_replay);
	suite_add_tcase(s, tc);
	tc = tcase_create("documented");
	tcase_add_test(tc, test_table_documented);
	suite_add_tcase(s, tc);
	return s;
}

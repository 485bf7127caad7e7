/*
 * transport_rpc.c: JSON-RPC calls (jansson) over transport.c's
 * connection, for the venvd command.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rpc.h"
#include "transport_rpc.h"

/* Send one request and wait for its result by the deadline. */
json_t *
transport_call(struct transport *c, const char *method, json_t *params,
    long long deadline_ms, char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	json_t *result = NULL;
	const char *line;
	size_t len;
	int code = 0, rc;

	rpc_write_request(&out, transport_next_id(c), method, params);
	rc = transport_exchange(c, &out, &line, &len, deadline_ms, err, errlen);
	buf_free(&out);
	if (rc == -1)
		return NULL;
	rc = rpc_parse_response(line, len, &result, &code, err, errlen);
	if (rc == -1) {
		errno = EPROTO;
		return NULL;
	}
	return result;
}

/*
 * Is line a notification (a "method" and no "id")? Then hand its method
 * and params to on_note and return 1; 0 for anything else.
 */
static int
transport_notification(const char *line, size_t len, transport_note_fn *on_note,
    void *ctx)
{
	json_error_t jerr;
	json_t *root, *m;
	int is_note = 0;

	if ((root = rpc_loadb(line, len, 0, &jerr)) == NULL)
		return 0;
	m = json_object_get(root, "method");
	if (json_is_string(m) && json_object_get(root, "id") == NULL) {
		is_note = 1;
		if (on_note != NULL)
			on_note(json_string_value(m), json_object_get(root,
			    "params"), ctx);
	}
	json_decref(root);
	return is_note;
}

/* Send one request; hand notifications to on_note until its result. */
json_t *
transport_call_notified(struct transport *c, const char *method,
    json_t *params, long long idle_ms, transport_note_fn *on_note, void *ctx,
    char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	json_t *result = NULL;
	const char *line;
	size_t len;
	int code = 0, rc;

	rpc_write_request(&out, transport_next_id(c), method, params);
	rc = transport_send(c, &out, now_ms() + idle_ms, err, errlen);
	buf_free(&out);
	if (rc == -1)
		return NULL;
	do {
		if (transport_read(c, &line, &len, now_ms() + idle_ms, err,
		    errlen) == -1)
			return NULL;
	} while (transport_notification(line, len, on_note, ctx));
	if (rpc_parse_response(line, len, &result, &code, err, errlen) == -1) {
		errno = EPROTO;
		return NULL;
	}
	return result;
}

/* One call on a fresh connection. */
json_t *
transport_call_once(const char *method, json_t *params, long long budget_ms, int *down,
    char *err, size_t errlen)
{
	long long deadline = now_ms() + budget_ms;
	struct transport *c;
	json_t *result;

	*down = 0;
	if ((c = transport_open(deadline, err, errlen)) == NULL) {
		*down = (errno == ENOENT || errno == ECONNREFUSED);
		json_decref(params);
		return NULL;
	}
	result = transport_call(c, method, params, deadline, err, errlen);
	transport_close(c);
	return result;
}

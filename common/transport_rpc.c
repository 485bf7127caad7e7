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

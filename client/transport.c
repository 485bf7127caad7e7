/*
 * transport.c: the venvd command's calls to the daemon, over
 * common/transport.c (shared with the in-shell hooks).
 */
#include "config.h"

#include <errno.h>

#include "client.h"

/* One call on a fresh connection. */
json_t *
client_call(const char *method, json_t *params, long long budget_ms, int *down,
    char *err, size_t errlen)
{
	return transport_call_once(method, params, budget_ms, down, err, errlen);
}

/* One call on a fresh connection, notifications before its result to on_note. */
json_t *
client_call_notified(const char *method, json_t *params, long long budget_ms,
    transport_note_fn *on_note, void *ctx, int *down, char *err, size_t errlen)
{
	struct transport *c;
	json_t *result;

	*down = 0;
	if ((c = transport_open(now_ms() + budget_ms, err, errlen)) == NULL) {
		*down = (errno == ENOENT || errno == ECONNREFUSED);
		json_decref(params);
		return NULL;
	}
	result = transport_call_notified(c, method, params, budget_ms, on_note,
	    ctx, err, errlen);
	transport_close(c);
	return result;
}

/*
 * transport_rpc.h: JSON-RPC calls over a transport (transport.h), built
 * and parsed with jansson; for the venvd command, not the in-shell hooks.
 */
#ifndef VENVD_TRANSPORT_RPC_H
#define VENVD_TRANSPORT_RPC_H

#include <jansson.h>

#include "transport.h"

/*
 * Send one request (steals params; NULL for {}) and wait for its result
 * by the deadline. NULL with err on failure or an error reply.
 */
json_t	*transport_call(struct transport *, const char *method, json_t *params,
	    long long deadline_ms, char *err, size_t errlen);
/* What a notification's method and params (may be NULL) are handed to. */
typedef void transport_note_fn(const char *method, json_t *params, void *ctx);
/*
 * Send one request (steals params) and hand each notification that comes
 * before its result to on_note (NULL: ignored), such as the "progress"
 * ones a request with "progress": true gets. Waits at most idle_ms for
 * each line, so a daemon that keeps reporting is waited for. NULL with
 * err on failure or an error reply.
 */
json_t	*transport_call_notified(struct transport *, const char *method,
	    json_t *params, long long idle_ms, transport_note_fn *on_note,
	    void *ctx, char *err, size_t errlen);
/*
 * One call on a fresh connection (steals params). NULL with err on
 * failure; *down is set to 1 when nobody listens on the socket
 * (ENOENT/ECONNREFUSED).
 */
json_t	*transport_call_once(const char *method, json_t *params,
	    long long budget_ms, int *down, char *err, size_t errlen);

#endif

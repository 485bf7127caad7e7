/*
 * transport.c: the venvd command's calls to the daemon, over
 * common/transport.c (shared with the in-shell hooks).
 */
#include "config.h"

#include "client.h"

/* One call on a fresh connection. */
json_t *
client_call(const char *method, json_t *params, long long budget_ms, int *down,
    char *err, size_t errlen)
{
	return transport_call_once(method, params, budget_ms, down, err, errlen);
}

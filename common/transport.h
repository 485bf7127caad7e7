/*
 * transport.h: one connection to the daemon within a hard time budget,
 * shared by the venvd command (client/) and the in-shell hooks (inshell/).
 */
#ifndef VENVD_TRANSPORT_H
#define VENVD_TRANSPORT_H

#include <stddef.h>

#include <jansson.h>

struct transport;

/* Monotonic clock in milliseconds. */
long long now_ms(void);
/*
 * Connect to the daemon, finishing by deadline_ms (CLOCK_MONOTONIC
 * milliseconds). NULL with err when it does not answer in time (errno
 * ETIMEDOUT); errno ECONNREFUSED/ENOENT means nobody listens.
 */
struct transport *transport_open(long long deadline_ms, char *err, size_t errlen);
/*
 * Send one request (steals params; NULL for {}) and wait for its result
 * by the deadline. NULL with err on failure or an error reply.
 */
json_t	*transport_call(struct transport *, const char *method, json_t *params,
	    long long deadline_ms, char *err, size_t errlen);
/* Close the connection and free it. NULL is fine. */
void	transport_close(struct transport *);
/*
 * One call on a fresh connection (steals params). NULL with err on
 * failure; *down is set to 1 when nobody listens on the socket
 * (ENOENT/ECONNREFUSED).
 */
json_t	*transport_call_once(const char *method, json_t *params,
	    long long budget_ms, int *down, char *err, size_t errlen);

#endif

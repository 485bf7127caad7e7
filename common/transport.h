/*
 * transport.h: one connection to the daemon within a hard time budget,
 * shared by the venvd command (client/) and the in-shell hooks (inshell/).
 */
#ifndef VENVD_TRANSPORT_H
#define VENVD_TRANSPORT_H

#include <stddef.h>

#include "buf.h"

struct transport;

/* Monotonic clock in milliseconds. */
long long now_ms(void);
/*
 * Connect to the daemon, finishing by deadline_ms (CLOCK_MONOTONIC
 * milliseconds). NULL with err when it does not answer in time (errno
 * ETIMEDOUT); errno ECONNREFUSED/ENOENT means nobody listens.
 */
struct transport *transport_open(long long deadline_ms, char *err, size_t errlen);
/* The id for the next request on this connection (1, 2, ...). */
long	transport_next_id(struct transport *);
/*
 * Send one request line (with its '\n') and read the reply line by the
 * deadline. *line (no '\n') stays valid until the next exchange or close;
 * -1 with err (errno ETIMEDOUT when late).
 */
int	transport_exchange(struct transport *, const struct buf *request,
	    const char **line, size_t *len, long long deadline_ms, char *err,
	    size_t errlen);
/* Send all of request (lines with their '\n') by the deadline; -1 with err. */
int	transport_send(struct transport *, const struct buf *request,
	    long long deadline_ms, char *err, size_t errlen);
/*
 * Read the next line the daemon sent (a reply, or a notification before
 * it) by the deadline; *line as transport_exchange's. -1 with err.
 */
int	transport_read(struct transport *, const char **line, size_t *len,
	    long long deadline_ms, char *err, size_t errlen);
/* Close the connection and free it. NULL is fine. */
void	transport_close(struct transport *);

#endif

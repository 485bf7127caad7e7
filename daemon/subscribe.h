/* subscribe.h: subscribe streams (subscribe.c), part of the protocol layer. */
#ifndef VENVD_DAEMON_SUBSCRIBE_H
#define VENVD_DAEMON_SUBSCRIBE_H

#include <stddef.h>

#include "request.h"

struct daemon;
/*
 * The subscribe method (a request_handler, REQUEST_STREAM): make conn a
 * stream of venvs_changed notifications; the result (current state) is
 * appended to out.
 */
void	subscribe_request(struct daemon *, struct request_conn *conn,
	    const struct rpc_request *req, struct buf *out);
/* Free the subscribers' state and the change log (the daemon stops). */
void	subscribe_free(struct daemon *);
/*
 * The record at path (below set: and every record below it) may have
 * changed, in the index or in its trust; path NULL: any record. Noted
 * for the next settle (nothing without subscribers ever).
 */
void	subscribe_touched(struct daemon *, const char *path, int below);
/* Subscribers right now. */
size_t	subscribe_count(const struct daemon *);

#endif

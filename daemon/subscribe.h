/* subscribe.h: subscribe streams (subscribe.c). */
#ifndef VENVD_DAEMON_SUBSCRIBE_H
#define VENVD_DAEMON_SUBSCRIBE_H

#include <stddef.h>
#include <jansson.h>

#include "buf.h"

struct daemon;
/*
 * subscribe: make the current connection a stream of venvs_changed
 * notifications; the result (current state) is appended to out.
 */
void	subscribe_request(struct daemon *, json_t *id, json_t *params, struct buf *out);
/* Subscribers right now. */
size_t	subscribe_count(const struct daemon *);

#endif

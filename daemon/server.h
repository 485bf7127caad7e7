/*
 * server.h: the transport: the listening socket and its connections
 * (server.c). What a request's handler may do with its connection is
 * struct request_conn_ops in request.h, which server.c implements.
 */
#ifndef VENVD_DAEMON_SERVER_H
#define VENVD_DAEMON_SERVER_H

#include <stddef.h>

struct daemon;
/*
 * Listen on d->socket_path (replacing a stale socket; the caller holds the
 * instance lock), or adopt listen_fd >= 0 (systemd socket activation).
 * Returns NULL with err on failure.
 */
struct server *server_start(struct daemon *, int listen_fd, char *err, size_t errlen);
/*
 * Close every connection and the listener; unlink the socket if we bound
 * it and it is still the one we listen on.
 */
void	server_stop(struct server *);
/* Is the file at d->socket_path still the socket we listen on? */
int	server_socket_intact(const struct server *);
/*
 * The socket file went: bind d->socket_path afresh and accept there
 * instead. Open connections keep working. 0, or -1 with err.
 */
int	server_rebind(struct server *, char *err, size_t errlen);
/* The socket file belongs to another daemon now: never unlink it. */
void	server_disown(struct server *);
/*
 * key is done (see the wait op of struct request_conn_ops in request.h):
 * replay, from the loop, every request held waiting for it.
 */
void	server_wake(struct server *, const char *key);

#endif

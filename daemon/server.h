/* server.h: the listening socket and its connections (server.c). */
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
/* Connected clients right now. */
int	server_clients(const struct server *);
struct server_conn;
/*
 * Holding a request (see server.c): server_defer_slow() puts it on the
 * slow queue when it needs uncached work; server_wait() holds it until
 * server_wake(key) or wait_s after it arrived. Both return 0 when the
 * request is held (append no answer now; it is replayed later) and -1
 * when it must be answered now. A replayed request sees
 * server_replaying(); one replayed at its deadline sees server_final().
 */
int	server_defer_slow(struct server *);
int	server_wait(struct server *, const char *key, double wait_s);
void	server_wake(struct server *, const char *key);
int	server_replaying(const struct server *);
int	server_final(const struct server *);
/* Requests held right now. */
int	server_held(const struct server *);
/* The connection whose request request_handle() is answering now, or NULL. */
struct server_conn *server_current_conn(const struct server *);
/* Make a connection a stream: no idle timeout; on_close(arg) once when it closes. */
void	server_conn_stream(struct server_conn *, void (*on_close)(void *), void *arg);
/*
 * Queue data on a stream (written from the loop, so the connection never
 * closes under the caller). Past cap unsent bytes, drop the queued lines
 * not yet begun, queue final instead and close after it: returns -1.
 */
int	server_conn_send(struct server_conn *, const char *data, size_t len,
	    size_t cap, const char *final);

#endif

/*
 * request.h: the protocol layer (request.c, subscribe.c): one request
 * line in, one response line out, dispatched from request_table.
 *
 * The transport (server.c) owns the sockets. It hands each request line
 * to request_handle() with the connection it came on, as a struct
 * request_conn whose ops are all a handler may do with that connection.
 * Nothing here calls the transport by name.
 */
#ifndef VENVD_DAEMON_REQUEST_H
#define VENVD_DAEMON_REQUEST_H

#include <stddef.h>
#include <jansson.h>

#include "buf.h"

struct daemon;
struct rpc_request;
struct request_conn;

/* What a handler may do with its connection; the transport implements it. */
struct request_conn_ops {
	/*
	 * The request needs uncached work: put it off until the loop has
	 * time, when it is replayed. 0 when held (append no answer now), -1
	 * when the work is to be done now.
	 */
	int	(*defer_slow)(struct request_conn *);
	/*
	 * The request waits for key (work in the background): hold it until
	 * the transport is told key is done, or until wait_s after the
	 * request arrived, when it is replayed with final set. 0 when held,
	 * -1 when it must be answered now.
	 */
	int	(*wait)(struct request_conn *, const char *key, double wait_s);
	/*
	 * As wait, for long work that reports progress: the request is also
	 * replayed every tick_s (final not set), so that its handler can
	 * send a notification (the send op) and wait again. 0 when held,
	 * -1 when it must be answered now.
	 */
	int	(*wait_tick)(struct request_conn *, const char *key,
		    double wait_s, double tick_s);
	/* Make the connection a stream: no idle timeout; on_close(arg) once when it closes. */
	void	(*stream)(struct request_conn *, void (*on_close)(void *), void *arg);
	/*
	 * Queue data on a stream, or a notification ahead of a held
	 * request's answer, written later from the loop (so the
	 * connection never closes under the caller). Past cap unsent bytes,
	 * drop the queued lines not yet begun, queue final instead and close
	 * after it: returns -1.
	 */
	int	(*send)(struct request_conn *, const char *data, size_t len,
		    size_t cap, const char *final);
	/* For status: connections open and requests held, transport-wide. */
	int	(*clients)(struct request_conn *);
	int	(*held)(struct request_conn *);
};

/* A connection as the protocol layer sees it (embedded in the transport's). */
struct request_conn {
	const struct request_conn_ops *ops;
	int	replaying;	/* the request was held and is replayed: counted already */
	int	final;		/* its deadline passed: answer now with what is known */
};

/*
 * A method's handler: answer req (append one response line to out; out
 * is discarded for a notification) or hold it through conn's ops and
 * append nothing (notifications before the answer go through the send
 * op). conn is NULL when the request came on no connection.
 */
typedef void request_handler(struct daemon *, struct request_conn *conn,
	    const struct rpc_request *req, struct buf *out);
/*
 * A simpler method body from a domain module: params in (may be NULL), a
 * result out, or NULL with *code (a JSON-RPC error code) and err.
 */
typedef json_t *request_body(struct daemon *, json_t *params, int *code,
	    char *err, size_t errlen);

/* The request needs an id and a connection of its own (it becomes a stream). */
#define REQUEST_STREAM	0x1

/* One method, as tmux's cmd_entry: exactly one of handler and body is set. */
struct request_entry {
	const char	*method;	/* a VENVD_M_* name from protocol.h */
	request_handler	*handler;
	request_body	*body;
	int		 flags;		/* REQUEST_* */
};
/* Every method, ending with an entry whose method is NULL. */
extern const struct request_entry request_table[];

/*
 * Handle one request line that came on conn (NULL: none) and append the
 * response line (with '\n') to out. Appends nothing for a notification
 * or a request held through conn. Never fails: errors become JSON-RPC
 * error responses.
 */
void	request_handle(struct daemon *, struct request_conn *conn,
	    const char *line, size_t len, struct buf *out);
/* The wiring says how the shutdown method stops the daemon. */
void	request_on_shutdown(void (*)(struct daemon *));
/*
 * The directory to resolve for an absolute path: path itself, or its
 * parent when path names an existing non-directory. A string to free.
 */
char	*request_dir(const char *path);

#endif

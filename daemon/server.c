/*
 * server.c: the listening socket and its connections.
 *
 * Accept (surviving EMFILE with a spare fd), check the peer's uid with
 * SO_PEERCRED, enforce the client cap, split each connection's bytes
 * into lines, hand them to request_handle() and write the answers back
 * without ever blocking. A connection whose output backs up stops being
 * read until it drains; one that says nothing for VENVD_IDLE_TIMEOUT_S
 * is closed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "frame.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

#define SERVER_BACKLOG		128
#define SERVER_READ_CHUNK	(64 * 1024)
#define SERVER_OUT_HIGH		(1024 * 1024)	/* stop reading past this much unsent output */
#define SERVER_ACCEPT_RETRY_S	0.5		/* pause accepting when out of fds entirely */
#define SERVER_STREAM_SNDBUF	(64 * 1024)	/* kernel send buffer of a subscriber */

struct conn {
	struct server	*srv;
	int		 fd;
	pid_t		 pid;		/* the peer, for the log */
	ev_io		 rio;
	ev_io		 wio;
	ev_timer	 idle;
	struct frame	 fr;
	struct buf	 out;
	int		 eof;		/* the peer finished sending */
	int		 closing;	/* close once out is flushed */
	int		 stream;	/* a subscriber: no idle timeout */
	int		 midline;	/* the last byte sent was not the end of a line */
	void		(*on_close)(void *);	/* stream's owner, told once on close */
	void		*on_close_arg;
	struct conn	*prev, *next;
};

struct server {
	struct daemon	*d;
	int		 fd;
	int		 bound;		/* we bound the socket: unlink it on stop */
	int		 have_file;	/* sock_dev/sock_ino name the socket file */
	dev_t		 sock_dev;
	ino_t		 sock_ino;
	ev_io		 aio;
	ev_timer	 retry;		/* restarts aio after a total fd exhaustion */
	int		 spare_fd;	/* /dev/null, given up to accept on EMFILE */
	int		 emfile_logged;
	int		 n_conns;
	struct conn	*conns;
	struct conn	*current;	/* whose request is being handled */
};

static void	conn_read_cb(struct ev_loop *, ev_io *, int);
static void	conn_write_cb(struct ev_loop *, ev_io *, int);
static void	conn_idle_cb(struct ev_loop *, ev_timer *, int);
static void	conn_pump(struct conn *);

/* Open the spare fd kept for the EMFILE trick; -1 if even that fails. */
static int
spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Unlink and close the connection, freeing everything it holds. */
static void
conn_close(struct conn *c)
{
	struct server *s = c->srv;
	struct ev_loop *loop = s->d->loop;

	if (c->on_close != NULL)
		c->on_close(c->on_close_arg);
	if (s->current == c)
		s->current = NULL;
	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	ev_timer_stop(loop, &c->idle);
	close(c->fd);
	frame_free(&c->fr);
	buf_free(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_conns--;
	log_debug("closed connection fd %d (pid %ld), %d left", c->fd,
	    (long)c->pid, s->n_conns);
	free(c);
}

/*
 * Write as much pending output as the socket takes. Returns -1 if the
 * connection was closed (error, or flushed while closing), else 0.
 */
static int
conn_flush(struct conn *c)
{
	struct ev_loop *loop = c->srv->d->loop;
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->midline = c->out.data[n - 1] != '\n';
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		log_debug("write to fd %d: %s", c->fd, strerror(errno));
		conn_close(c);
		return -1;
	}
	if (c->out.len > 0) {
		ev_io_start(loop, &c->wio);
		return 0;
	}
	ev_io_stop(loop, &c->wio);
	/* An idle subscriber keeps no output storage. */
	if (c->stream)
		buf_free(&c->out);
	if (c->closing || c->eof) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/*
 * Answer the complete lines buffered so far, stopping while output is
 * backed up; then read again or not, and flush. May close c.
 */
static void
conn_pump(struct conn *c)
{
	struct server *s = c->srv;
	struct ev_loop *loop = s->d->loop;
	const char *line;
	size_t len;
	int handled = 0;

	while (!c->closing && c->out.len < SERVER_OUT_HIGH) {
		enum frame_result r = frame_next(&c->fr, &line, &len);

		if (r == FRAME_NONE)
			break;
		if (r == FRAME_TOO_LONG) {
			char msg[128];

			snprintf(msg, sizeof msg, "request line longer than %d bytes",
			    VENVD_MAX_LINE);
			rpc_write_error(&c->out, NULL, RPC_LINE_TOO_LONG, msg);
			log_warn("pid %ld sent a line over %d bytes; closing",
			    (long)c->pid, VENVD_MAX_LINE);
			c->closing = 1;
			break;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		s->current = c;
		request_handle(s->d, line, len, &c->out);
		s->current = NULL;
		handled = 1;
	}
	if (handled)
		generation_flush(s->d->gen);

	/* Read only while there is room for the answers. */
	if (c->closing || c->eof || c->out.len >= SERVER_OUT_HIGH)
		ev_io_stop(loop, &c->rio);
	else
		ev_io_start(loop, &c->rio);
	conn_flush(c);
}

/* Bytes from the peer: frame them and answer whole lines. */
static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	char chunk[SERVER_READ_CHUNK];
	ssize_t n;

	n = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("read from fd %d: %s", c->fd, strerror(errno));
		conn_close(c);
		return;
	}
	if (n == 0) {
		/* A last line without '\n' still counts. */
		c->eof = 1;
		if (frame_pending(&c->fr) > 0)
			frame_feed(&c->fr, "\n", 1);
	} else {
		frame_feed(&c->fr, chunk, (size_t)n);
		if (!c->stream)
			ev_timer_again(loop, &c->idle);
	}
	conn_pump(c);
}

/* The socket can take more output. */
static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	int was_full = c->out.len >= SERVER_OUT_HIGH;

	if (conn_flush(c) == -1)
		return;
	/* Drained below the mark: answer what is buffered and read again. */
	if (was_full && c->out.len < SERVER_OUT_HIGH)
		conn_pump(c);
}

/* The peer sent nothing for VENVD_IDLE_TIMEOUT_S. */
static void
conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	log_debug("closing idle connection fd %d (pid %ld)", c->fd, (long)c->pid);
	conn_close(c);
}

/* Write one error line straight to a connection we are about to close. */
static void
refuse_with_error(int fd, int code, const char *message)
{
	struct buf b = BUF_INIT;
	ssize_t n;

	rpc_write_error(&b, NULL, code, message);
	n = send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	buf_free(&b);
}

/* Set up a connection for an accepted fd, or refuse it. */
static void
conn_new(struct server *s, int fd)
{
	struct ev_loop *loop = s->d->loop;
	struct ucred cred;
	socklen_t clen = sizeof cred;
	struct conn *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1) {
		log_warn("SO_PEERCRED: %s; refusing connection", strerror(errno));
		close(fd);
		return;
	}
	if (cred.uid != geteuid()) {
		log_warn("refused connection from uid %lu (pid %ld): not our uid %lu",
		    (unsigned long)cred.uid, (long)cred.pid, (unsigned long)geteuid());
		close(fd);
		return;
	}
	if (s->d->cfg.max_clients > 0 && s->n_conns >= s->d->cfg.max_clients) {
		log_warn("refused connection from pid %ld: %d clients already "
		    "(max_clients)", (long)cred.pid, s->n_conns);
		refuse_with_error(fd, RPC_SERVER_BUSY, "too many clients");
		close(fd);
		return;
	}

	c = xcalloc(1, sizeof *c);
	c->srv = s;
	c->fd = fd;
	c->pid = cred.pid;
	frame_init(&c->fr, VENVD_MAX_LINE);
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_init(&c->idle, conn_idle_cb);
	c->idle.repeat = VENVD_IDLE_TIMEOUT_S;
	c->rio.data = c->wio.data = c->idle.data = c;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	ev_io_start(loop, &c->rio);
	ev_timer_again(loop, &c->idle);
	log_debug("connection fd %d from pid %ld (%d clients)", fd,
	    (long)cred.pid, s->n_conns);
}

/* Out of fds: take the pending connection with the spare fd and drop it. */
static void
accept_emfile(struct server *s)
{
	struct ev_loop *loop = s->d->loop;
	int fd;

	if (!s->emfile_logged) {
		log_error("out of file descriptors; dropping new connections "
		    "until some close");
		s->emfile_logged = 1;
	}
	if (s->spare_fd != -1) {
		close(s->spare_fd);
		s->spare_fd = -1;
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd != -1)
			close(fd);
		s->spare_fd = spare_open();
		if (fd != -1 || s->spare_fd != -1)
			return;
	}
	/* Not even the spare: pause accepting rather than spin. */
	ev_io_stop(loop, &s->aio);
	ev_timer_set(&s->retry, SERVER_ACCEPT_RETRY_S, 0.);
	ev_timer_start(loop, &s->retry);
}

/* Accept every pending connection. */
static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	int fd;

	for (;;) {
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				accept_emfile(s);
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (s->emfile_logged) {
			log_info("file descriptors available again");
			s->emfile_logged = 0;
		}
		conn_new(s, fd);
	}
}

/* Try accepting again after a pause. */
static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	if (s->spare_fd == -1)
		s->spare_fd = spare_open();
	ev_io_start(loop, &s->aio);
}

/* Bind and listen on path, replacing a stale socket. -1 with err. */
static int
listen_on(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);

	/* We hold the instance lock, so whatever is here is stale. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		if (unlink(path) == -1) {
			snprintf(err, errlen, "cannot remove stale socket %s: %s",
			    path, strerror(errno));
			return -1;
		}
		log_info("replaced stale socket %s", path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, SERVER_BACKLOG) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Make an inherited listener non-blocking and close-on-exec. -1 with err. */
static int
adopt_listener(int fd, char *err, size_t errlen)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof type;
	int fl;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		snprintf(err, errlen, "inherited fd %d is not a socket: %s", fd,
		    strerror(errno));
		return -1;
	}
	len = sizeof listening;
	if (type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 ||
	    !listening) {
		snprintf(err, errlen, "inherited fd %d is not a listening stream socket", fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "fcntl on fd %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

/* Remember which file at d->socket_path is our socket. */
static void
server_note_file(struct server *s)
{
	struct stat st;

	s->have_file = lstat(s->d->socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
	if (s->have_file) {
		s->sock_dev = st.st_dev;
		s->sock_ino = st.st_ino;
	}
}

/* Is the file at d->socket_path still the socket we listen on? */
int
server_socket_intact(const struct server *s)
{
	struct stat st;

	if (s == NULL)
		return 1;
	/* A passed socket whose file we never saw: nothing to compare with. */
	if (!s->have_file && !s->bound)
		return 1;
	return s->have_file && lstat(s->d->socket_path, &st) == 0 &&
	    st.st_dev == s->sock_dev && st.st_ino == s->sock_ino;
}

/* Bind d->socket_path afresh and accept there; open connections stay. */
int
server_rebind(struct server *s, char *err, size_t errlen)
{
	int fd;

	if ((fd = listen_on(s->d->socket_path, err, errlen)) == -1)
		return -1;
	ev_io_stop(s->d->loop, &s->aio);
	ev_timer_stop(s->d->loop, &s->retry);
	close(s->fd);
	s->fd = fd;
	s->bound = 1;
	server_note_file(s);
	ev_io_set(&s->aio, fd, EV_READ);
	ev_io_start(s->d->loop, &s->aio);
	log_info("listening on %s again", s->d->socket_path);
	return 0;
}

/* The socket file is another daemon's now: never unlink it. */
void
server_disown(struct server *s)
{
	if (s != NULL)
		s->bound = 0;
}

/* Listen (or adopt listen_fd) and start accepting. */
struct server *
server_start(struct daemon *d, int listen_fd, char *err, size_t errlen)
{
	struct server *s;
	int fd, bound = 0;

	if (listen_fd >= 0) {
		if (adopt_listener(listen_fd, err, errlen) == -1)
			return NULL;
		fd = listen_fd;
		log_info("using the socket passed by the service manager (fd %d)", fd);
	} else {
		if ((fd = listen_on(d->socket_path, err, errlen)) == -1)
			return NULL;
		bound = 1;
	}

	s = xcalloc(1, sizeof *s);
	s->d = d;
	s->fd = fd;
	s->bound = bound;
	server_note_file(s);
	s->spare_fd = spare_open();
	ev_io_init(&s->aio, accept_cb, fd, EV_READ);
	s->aio.data = s;
	ev_init(&s->retry, retry_cb);
	s->retry.data = s;
	ev_io_start(d->loop, &s->aio);
	return s;
}

/* Close every connection (after a last try at flushing) and the listener. */
void
server_stop(struct server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL) {
		struct conn *c = s->conns;

		c->closing = 1;
		if (conn_flush(c) == 0)
			conn_close(c);
	}
	ev_io_stop(s->d->loop, &s->aio);
	ev_timer_stop(s->d->loop, &s->retry);
	/* Only our own socket file: it may have been replaced meanwhile. */
	if (s->bound && server_socket_intact(s) &&
	    unlink(s->d->socket_path) == -1 && errno != ENOENT)
		log_warn("unlink %s: %s", s->d->socket_path, strerror(errno));
	close(s->fd);
	if (s->spare_fd != -1)
		close(s->spare_fd);
	free(s);
}

/* Connected clients right now. */
int
server_clients(const struct server *s)
{
	return s != NULL ? s->n_conns : 0;
}

/* The connection whose request request_handle() is answering, or NULL. */
struct conn *
server_current_conn(const struct server *s)
{
	return s != NULL ? s->current : NULL;
}

/*
 * Make c a stream (a subscriber): no idle timeout, a modest kernel send
 * buffer, and on_close(arg) called once when it closes.
 */
void
server_conn_stream(struct conn *c, void (*on_close)(void *), void *arg)
{
	int sndbuf = SERVER_STREAM_SNDBUF;

	c->stream = 1;
	c->on_close = on_close;
	c->on_close_arg = arg;
	ev_timer_stop(c->srv->d->loop, &c->idle);
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == -1)
		log_debug("SO_SNDBUF on fd %d: %s", c->fd, strerror(errno));
}

/*
 * Queue data for a stream; it is written from the loop, never from here,
 * so c cannot close under the caller. If that would leave more than cap
 * bytes unsent, drop every queued line not yet begun, queue final
 * instead, and close c once that is written (or after the idle timeout
 * if the peer never reads). Returns 0, or -1 when c was dropped (or
 * already is being closed).
 */
int
server_conn_send(struct conn *c, const char *data, size_t len, size_t cap,
    const char *final)
{
	struct ev_loop *loop = c->srv->d->loop;
	char *nl;
	size_t keep;

	if (c->closing)
		return -1;
	if (c->out.len + len > cap) {
		/* Keep the rest of a line already partly sent, if any. */
		nl = c->midline && c->out.len > 0 ?
		    memchr(c->out.data, '\n', c->out.len) : NULL;
		keep = nl != NULL ? (size_t)(nl - c->out.data) + 1 : 0;
		if (keep < c->out.len) {
			c->out.len = keep;
			c->out.data[keep] = '\0';
		}
		buf_puts(&c->out, final);
		c->closing = 1;
		ev_io_stop(loop, &c->rio);
		c->idle.repeat = VENVD_IDLE_TIMEOUT_S;
		ev_timer_again(loop, &c->idle);
		ev_io_start(loop, &c->wio);
		log_warn("subscriber pid %ld is not reading: dropped", (long)c->pid);
		return -1;
	}
	buf_append(&c->out, data, len);
	ev_io_start(loop, &c->wio);
	return 0;
}

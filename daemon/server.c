/*
 * server.c: the listening socket and its connections.
 *
 * Accept (surviving EMFILE with a spare fd), check the peer's uid with
 * SO_PEERCRED, enforce the client cap, split each connection's bytes
 * into lines, hand them to request_handle() and write the answers back
 * without ever blocking. Each connection carries a struct request_conn
 * (request.h): its ops, below, are all the protocol layer may do with
 * it. A connection whose output backs up stops being read until it
 * drains; one that says nothing for VENVD_IDLE_TIMEOUT_S is closed.
 *
 * Work per loop iteration is bounded, so that a crowd of clients asking
 * about fresh directories never starves a cached resolve or status:
 *
 *   - accept takes at most SERVER_ACCEPT_PER_TURN connections per turn;
 *   - a connection has at most SERVER_LINES_PER_TURN requests answered
 *     per turn; with more lines buffered it goes on the run queue and is
 *     served again next turn, after everyone else;
 *   - a request that needs uncached work (the defer_slow op: a resolve
 *     the cache cannot answer) is held on the slow queue, and an ev_check
 *     replays those for at most SERVER_SLOW_TURN_S per turn (at least one);
 *   - a request waiting for something in the background (the wait op:
 *     a git check) is held until server_wake() names its key, or until
 *     its deadline, when it is replayed with its request_conn's final
 *     set and must answer with what is known;
 *   - one waiting for long work that reports progress (the wait_tick
 *     op: a scan, sizes) is also replayed every tick, to send a
 *     progress notification and wait again.
 *
 * A connection with a held request reads nothing more until it is
 * answered, so answers keep the order of the requests.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "daemon.h"
#include "generation.h"
#include "request.h"
#include "server.h"
#include "frame.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

#define SERVER_ACCEPT_PER_TURN	64		/* connections accepted per loop turn */
#define SERVER_LINES_PER_TURN	4		/* requests answered per connection per turn */
#define SERVER_SLOW_TURN_S	0.002		/* uncached work per turn (at least one request) */
#define SERVER_READ_CHUNK	(64 * 1024)
#define SERVER_OUT_HIGH		(1024 * 1024)	/* stop reading past this much unsent output */
#define SERVER_ACCEPT_RETRY_S	0.5		/* pause accepting when out of fds entirely */
#define SERVER_STREAM_SNDBUF	(64 * 1024)	/* kernel send buffer of a subscriber */

struct server_conn {
	struct request_conn rc;		/* what request.c sees: ops and replay flags */
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
	struct server_conn	*prev, *next;

	ev_tstamp	 started;	/* when the request being answered arrived */
	char		*held;		/* a request put off (NUL-terminated line) */
	size_t		 held_len;
	char		*held_key;	/* what it waits for; NULL: on the slow queue */
	ev_timer	 hold;		/* its deadline; fed EV_CUSTOM by server_wake() */
	ev_timer	 tick;		/* wait_tick: replay it (not final) when this fires */
	int		 in_runq;	/* more lines buffered: served again next turn */
	int		 in_slowq;
	TAILQ_ENTRY(server_conn) runq_entry;
	TAILQ_ENTRY(server_conn) slowq_entry;
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
	struct server_conn	*conns;
	struct server_conn	*current;	/* whose request is being handled */
	const char	*current_line;	/* and that request */
	size_t		 current_len;
	int		 slow_ok;	/* it may do uncached work now */
	int		 n_held;	/* requests held right now */
	TAILQ_HEAD(conn_q, server_conn) runq;	/* connections with lines left over */
	struct conn_q	 slowq;		/* connections holding uncached work */
	ev_check	 turn;		/* serves the queues once per loop turn */
	ev_idle		 busy;		/* keeps the loop from sleeping while they are not empty */
};

static void	conn_read_cb(struct ev_loop *, ev_io *, int);
static void	conn_write_cb(struct ev_loop *, ev_io *, int);
static void	conn_idle_cb(struct ev_loop *, ev_timer *, int);
static void	conn_pump(struct server_conn *);
static void	conn_hold_cb(struct ev_loop *, ev_timer *, int);
static void	conn_tick_cb(struct ev_loop *, ev_timer *, int);
static const struct request_conn_ops server_conn_ops;

/* The server_conn holding rc. */
#define SERVER_CONN(rc) \
	((struct server_conn *)(void *)((char *)(rc) - offsetof(struct server_conn, rc)))

/* Open the spare fd kept for the EMFILE trick; -1 if even that fails. */
static int
spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Unlink and close the connection, freeing everything it holds. */
static void
server_conn_close(struct server_conn *c)
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
	ev_timer_stop(loop, &c->hold);
	ev_timer_stop(loop, &c->tick);
	if (c->in_runq)
		TAILQ_REMOVE(&s->runq, c, runq_entry);
	if (c->in_slowq)
		TAILQ_REMOVE(&s->slowq, c, slowq_entry);
	if (c->held != NULL)
		s->n_held--;
	free(c->held);
	free(c->held_key);
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
conn_flush(struct server_conn *c)
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
		server_conn_close(c);
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
	/* After EOF, close once every request read has been answered. */
	if (c->closing || (c->eof && c->held == NULL && !c->in_runq &&
	    frame_pending(&c->fr) == 0)) {
		server_conn_close(c);
		return -1;
	}
	return 0;
}

/* Queue c to be served again next turn (it has lines left over). */
static void
runq_add(struct server_conn *c)
{
	struct server *s = c->srv;

	if (c->in_runq)
		return;
	TAILQ_INSERT_TAIL(&s->runq, c, runq_entry);
	c->in_runq = 1;
	ev_idle_start(s->d->loop, &s->busy);
}

/* Start or stop reading c: only while it has nothing pending. */
static void
conn_set_reading(struct server_conn *c)
{
	struct ev_loop *loop = c->srv->d->loop;

	if (c->closing || c->eof || c->held != NULL || c->in_runq ||
	    c->out.len >= SERVER_OUT_HIGH)
		ev_io_stop(loop, &c->rio);
	else
		ev_io_start(loop, &c->rio);
}

/* Handle one request line of c (it may be held instead of answered). */
static void
conn_handle(struct server_conn *c, const char *line, size_t len)
{
	struct server *s = c->srv;

	s->current = c;
	s->current_line = line;
	s->current_len = len;
	request_handle(s->d, &c->rc, line, len, &c->out);
	s->current = NULL;
	s->current_line = NULL;
	s->current_len = 0;
}

/*
 * Answer up to SERVER_LINES_PER_TURN of the complete lines buffered so
 * far, stopping while output is backed up or a request is held; queue c
 * for the next turn if there may be more; then read again or not, and
 * flush. May close c.
 */
static void
conn_pump(struct server_conn *c)
{
	struct server *s = c->srv;
	const char *line;
	size_t len;
	int handled = 0;

	while (!c->closing && c->held == NULL && c->out.len < SERVER_OUT_HIGH) {
		enum frame_result r;

		if (handled == SERVER_LINES_PER_TURN) {
			runq_add(c);
			break;
		}
		r = frame_next(&c->fr, &line, &len);
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
		c->started = ev_now(s->d->loop);
		conn_handle(c, line, len);
		handled++;
	}
	if (handled)
		generation_flush(s->d->gen);
	conn_set_reading(c);
	conn_flush(c);
}

/*
 * Replay c's held request: final when its deadline passed. Then go on
 * with its next lines. May close c.
 */
static void
conn_replay(struct server_conn *c, int final)
{
	struct server *s = c->srv;
	char *line = c->held;
	size_t len = c->held_len;

	if (line == NULL)
		return;
	c->held = NULL;
	s->n_held--;
	free(c->held_key);
	c->held_key = NULL;
	c->rc.replaying = 1;
	c->rc.final = final;
	s->slow_ok = 1;
	conn_handle(c, line, len);
	c->rc.replaying = c->rc.final = 0;
	s->slow_ok = 0;
	free(line);
	if (c->held == NULL) {
		ev_timer_stop(s->d->loop, &c->hold);
		ev_timer_stop(s->d->loop, &c->tick);
	}
	generation_flush(s->d->gen);
	conn_pump(c);
}

/* A held request's deadline passed (EV_TIMER), or what it waits for is done (EV_CUSTOM). */
static void
conn_hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server_conn *c = w->data;

	(void)loop;
	if (c->held == NULL || c->in_slowq)
		return;
	conn_replay(c, (revents & EV_TIMER) != 0);
}

/* A held request reporting progress is due a report (wait_tick). */
static void
conn_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server_conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->held == NULL || c->in_slowq)
		return;
	conn_replay(c, 0);
}

/*
 * Once per loop turn: replay a few held uncached requests, then give
 * every connection with lines left over one more turn.
 */
static void
server_turn_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct server *s = w->data;
	struct server_conn *c, *last;
	ev_tstamp start = ev_time();
	int was_last;

	(void)revents;
	while ((c = TAILQ_FIRST(&s->slowq)) != NULL) {
		if (ev_time() - start > SERVER_SLOW_TURN_S)
			break;
		TAILQ_REMOVE(&s->slowq, c, slowq_entry);
		c->in_slowq = 0;
		conn_replay(c, 0);
	}
	/* Those queued now get one turn each; those queued meanwhile wait. */
	last = TAILQ_LAST(&s->runq, conn_q);
	while ((c = TAILQ_FIRST(&s->runq)) != NULL) {
		was_last = c == last;
		TAILQ_REMOVE(&s->runq, c, runq_entry);
		c->in_runq = 0;
		conn_pump(c);
		if (was_last)
			break;
	}
	if (TAILQ_EMPTY(&s->slowq) && TAILQ_EMPTY(&s->runq))
		ev_idle_stop(loop, &s->busy);
}

/* Nothing to do: an active idle watcher only keeps the loop from sleeping. */
static void
server_busy_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* Bytes from the peer: frame them and answer whole lines. */
static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server_conn *c = w->data;
	char chunk[SERVER_READ_CHUNK];
	ssize_t n;

	n = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("read from fd %d: %s", c->fd, strerror(errno));
		server_conn_close(c);
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
	struct server_conn *c = w->data;
	int was_full = c->out.len >= SERVER_OUT_HIGH;

	if (conn_flush(c) == -1)
		return;
	/* Drained below the mark: answer what is buffered and read again. */
	if (was_full && c->out.len < SERVER_OUT_HIGH)
		conn_pump(c);
}

/* The peer sent nothing for VENVD_IDLE_TIMEOUT_S (and we owe it nothing). */
static void
conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server_conn *c = w->data;

	/* Not idle while its own requests wait for their turn. */
	if (c->held != NULL || c->in_runq) {
		ev_timer_again(loop, &c->idle);
		return;
	}
	log_debug("closing idle connection fd %d (pid %ld)", c->fd, (long)c->pid);
	server_conn_close(c);
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
	struct server_conn *c;

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
	c->rc.ops = &server_conn_ops;
	c->srv = s;
	c->fd = fd;
	c->pid = cred.pid;
	frame_init(&c->fr, VENVD_MAX_LINE);
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_init(&c->idle, conn_idle_cb);
	c->idle.repeat = VENVD_IDLE_TIMEOUT_S;
	ev_init(&c->hold, conn_hold_cb);
	ev_init(&c->tick, conn_tick_cb);
	c->rio.data = c->wio.data = c->idle.data = c->hold.data = c;
	c->tick.data = c;
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

/*
 * Accept pending connections, at most SERVER_ACCEPT_PER_TURN (the
 * listener stays readable, so the rest come next turn).
 */
static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	int fd, n;

	for (n = 0; n < SERVER_ACCEPT_PER_TURN; n++) {
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

/* The listen backlog: room for every client; the kernel caps it at net.core.somaxconn. */
static int
server_backlog(const struct daemon *d)
{
	return d->cfg.max_clients > SOMAXCONN ? d->cfg.max_clients : SOMAXCONN;
}

/*
 * Bind and listen on path, replacing a stale socket, with room in the
 * backlog for backlog waiting connections. -1 with err.
 */
static int
listen_on(const char *path, int backlog, char *err, size_t errlen)
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
	if (listen(fd, backlog) == -1) {
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

	if ((fd = listen_on(s->d->socket_path, server_backlog(s->d), err,
	    errlen)) == -1)
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
		if ((fd = listen_on(d->socket_path, server_backlog(d), err,
		    errlen)) == -1)
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
	TAILQ_INIT(&s->runq);
	TAILQ_INIT(&s->slowq);
	ev_check_init(&s->turn, server_turn_cb);
	s->turn.data = s;
	ev_idle_init(&s->busy, server_busy_cb);
	s->busy.data = s;
	ev_io_start(d->loop, &s->aio);
	ev_check_start(d->loop, &s->turn);
	return s;
}

/* Close every connection (after a last try at flushing) and the listener. */
void
server_stop(struct server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL) {
		struct server_conn *c = s->conns;

		c->closing = 1;
		if (conn_flush(c) == 0)
			server_conn_close(c);
	}
	ev_io_stop(s->d->loop, &s->aio);
	ev_timer_stop(s->d->loop, &s->retry);
	ev_check_stop(s->d->loop, &s->turn);
	ev_idle_stop(s->d->loop, &s->busy);
	/* Only our own socket file: it may have been replaced meanwhile. */
	if (s->bound && server_socket_intact(s) &&
	    unlink(s->d->socket_path) == -1 && errno != ENOENT)
		log_warn("unlink %s: %s", s->d->socket_path, strerror(errno));
	close(s->fd);
	if (s->spare_fd != -1)
		close(s->spare_fd);
	free(s);
}

/* Connected clients right now (the clients op). */
static int
server_clients(struct request_conn *rc)
{
	return SERVER_CONN(rc)->srv->n_conns;
}

/* Requests held right now, on the slow queue or waiting (the held op). */
static int
server_held(struct request_conn *rc)
{
	return SERVER_CONN(rc)->srv->n_held;
}

/* Hold c's request, the one being answered; 0, or -1 if it cannot be held. */
static int
server_hold(struct server_conn *c)
{
	struct server *s = c->srv;

	if (s->current != c || s->current_line == NULL || c->held != NULL)
		return -1;
	c->held = xmalloc(s->current_len + 1);
	memcpy(c->held, s->current_line, s->current_len);
	c->held[s->current_len] = '\0';
	c->held_len = s->current_len;
	s->n_held++;
	return 0;
}

/*
 * The defer_slow op: the request being answered needs uncached work:
 * hold it on the slow queue, to be replayed (when it may do that work)
 * within a few turns. 0 when held (answer nothing now), -1 when the
 * work is to be done now.
 */
static int
server_defer_slow(struct request_conn *rc)
{
	struct server_conn *c = SERVER_CONN(rc);
	struct server *s = c->srv;

	if (s->slow_ok || server_hold(c) == -1)
		return -1;
	TAILQ_INSERT_TAIL(&s->slowq, c, slowq_entry);
	c->in_slowq = 1;
	ev_idle_start(s->d->loop, &s->busy);
	return 0;
}

/*
 * The wait op: the request being answered waits for key (something
 * running in the background): hold it until server_wake(key) or until
 * wait_s after it arrived, when it is replayed with final set. 0 when
 * held, -1 when it must be answered now (its deadline passed).
 */
static int
server_wait(struct request_conn *rc, const char *key, double wait_s)
{
	struct server_conn *c = SERVER_CONN(rc);
	struct server *s = c->srv;
	ev_tstamp left;

	if (rc->final)
		return -1;
	left = c->started + wait_s - ev_now(s->d->loop);
	if (left <= 0 || server_hold(c) == -1)
		return -1;
	c->held_key = xstrdup(key);
	if (!ev_is_active(&c->hold)) {
		ev_timer_set(&c->hold, left, 0.);
		ev_timer_start(s->d->loop, &c->hold);
	}
	return 0;
}

/*
 * The wait_tick op: as wait, and also replayed (final not set) every
 * tick_s, so that the handler can report progress and wait again.
 */
static int
server_wait_tick(struct request_conn *rc, const char *key, double wait_s,
    double tick_s)
{
	struct server_conn *c = SERVER_CONN(rc);

	if (server_wait(rc, key, wait_s) == -1)
		return -1;
	ev_timer_stop(c->srv->d->loop, &c->tick);
	ev_timer_set(&c->tick, tick_s, 0.);
	ev_timer_start(c->srv->d->loop, &c->tick);
	return 0;
}

/* key is done: replay (from the loop, soon) every request waiting for it. */
void
server_wake(struct server *s, const char *key)
{
	struct server_conn *c;

	if (s == NULL)
		return;
	for (c = s->conns; c != NULL; c = c->next) {
		if (c->held_key != NULL && strcmp(c->held_key, key) == 0)
			ev_feed_event(s->d->loop, &c->hold, EV_CUSTOM);
	}
}

/*
 * The stream op: make c a stream (a subscriber): no idle timeout, a
 * modest kernel send buffer, and on_close(arg) called once when it
 * closes.
 */
static void
server_conn_stream(struct request_conn *rc, void (*on_close)(void *), void *arg)
{
	struct server_conn *c = SERVER_CONN(rc);
	int sndbuf = SERVER_STREAM_SNDBUF;

	c->stream = 1;
	c->on_close = on_close;
	c->on_close_arg = arg;
	ev_timer_stop(c->srv->d->loop, &c->idle);
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == -1)
		log_debug("SO_SNDBUF on fd %d: %s", c->fd, strerror(errno));
}

/*
 * The send op: queue data for a stream (or a notification ahead of a
 * held request's answer); it is written from the loop,
 * never from here, so c cannot close under the caller. If that would
 * leave more than cap bytes unsent, drop every queued line not yet
 * begun, queue final instead, and close c once that is written (or
 * after the idle timeout if the peer never reads). Returns 0, or -1
 * when c was dropped (or already is being closed).
 */
static int
server_conn_send(struct request_conn *rc, const char *data, size_t len,
    size_t cap, const char *final)
{
	struct server_conn *c = SERVER_CONN(rc);
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

/* What request.c may do with a connection. */
static const struct request_conn_ops server_conn_ops = {
	.defer_slow = server_defer_slow,
	.wait = server_wait,
	.wait_tick = server_wait_tick,
	.stream = server_conn_stream,
	.send = server_conn_send,
	.clients = server_clients,
	.held = server_held,
};

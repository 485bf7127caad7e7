/*
 * transport.c: a client's side of the daemon's socket, for the venvd
 * command and the in-shell hooks alike. Connect within a hard time
 * budget, send one request line and read its reply line, framed by
 * frame.c as the daemon frames requests. No JSON here (the in-shell hooks
 * link this without jansson): transport_rpc.c adds JSON-RPC calls.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "paths.h"
#include "protocol.h"
#include "transport.h"
#include "xmalloc.h"

struct transport {
	int	 fd;
	long	 next_id;
	struct frame in;	/* received bytes, split into reply lines */
};

/* Monotonic clock in milliseconds. */
long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(2); 0 when past. */
static int
ms_left(long long deadline_ms)
{
	long long left = deadline_ms - now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short events, long long deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, ms_left(deadline_ms));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return 0;
		}
		return 1;
	}
}

/* Connect to the daemon by the deadline. */
struct transport *
transport_open(long long deadline_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[PATH_MAX];
	struct transport *c;
	int fd, saved;

	if (paths_socket(path, sizeof path, err, errlen) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "socket path %s is too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/*
	 * A Unix socket connects at once or fails; EAGAIN means the listen
	 * backlog is full, so retry briefly until the deadline.
	 */
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t sl = sizeof soerr;

			if (wait_fd(fd, POLLOUT, deadline_ms) != 1)
				goto fail;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
				goto fail;
			if (soerr != 0) {
				errno = soerr;
				goto fail;
			}
			break;
		}
		if (errno == EAGAIN && ms_left(deadline_ms) > 0) {
			poll(NULL, 0, 2);
			continue;
		}
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		goto fail;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->next_id = 1;
	frame_init(&c->in, VENVD_MAX_RESPONSE);
	return c;

fail:
	saved = errno;
	snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(saved));
	close(fd);
	errno = saved;
	return NULL;
}

/* Close the connection and free it. */
void
transport_close(struct transport *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	frame_free(&c->in);
	free(c);
}

/* Send all of b by the deadline. */
int
transport_send(struct transport *c, const struct buf *b, long long deadline_ms,
    char *err, size_t errlen)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = send(c->fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (wait_fd(c->fd, POLLOUT, deadline_ms) == 1)
				continue;
		}
		snprintf(err, errlen, "sending to the daemon: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Read one line (a reply or a notification) by the deadline. *line (no
 * '\n') stays valid until the next read on c.
 */
int
transport_read(struct transport *c, const char **line, size_t *len,
    long long deadline_ms, char *err, size_t errlen)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		switch (frame_next(&c->in, line, len)) {
		case FRAME_LINE:
			return 0;
		case FRAME_TOO_LONG:
			snprintf(err, errlen, "the daemon's answer is too long");
			errno = EPROTO;
			return -1;
		case FRAME_NONE:
			break;
		}
		n = recv(c->fd, chunk, sizeof chunk, 0);
		if (n > 0) {
			frame_feed(&c->in, chunk, (size_t)n);
			continue;
		}
		if (n == 0) {
			snprintf(err, errlen, "the daemon closed the connection");
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (wait_fd(c->fd, POLLIN, deadline_ms) == 1)
				continue;
			if (errno == ETIMEDOUT) {
				snprintf(err, errlen, "the daemon did not answer in time");
				return -1;
			}
		}
		snprintf(err, errlen, "reading from the daemon: %s", strerror(errno));
		return -1;
	}
}

/* The id for the next request on c. */
long
transport_next_id(struct transport *c)
{
	return c->next_id++;
}

/* Send one request line and read the reply line by the deadline. */
int
transport_exchange(struct transport *c, const struct buf *request,
    const char **line, size_t *len, long long deadline_ms, char *err,
    size_t errlen)
{
	if (transport_send(c, request, deadline_ms, err, errlen) == -1)
		return -1;
	return transport_read(c, line, len, deadline_ms, err, errlen);
}

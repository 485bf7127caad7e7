/*
 * bench_rpc.c: how fast venvd-daemon answers, measured against a trivial
 * echo server over the same kind of socket in the same run.
 *
 *	bench_rpc --dir WORKDIR [--socket PATH] [--echo-only]
 *
 * WORKDIR must hold a project with a venv at WORKDIR/proj/.venv (bench/run.sh
 * makes it with python3 -m venv); the daemon must be listening on PATH
 * (default $VENVD_SOCKET). The echo server is forked here: it reads lines
 * over a Unix stream socket in an epoll loop and writes each one back.
 *
 * Figures: round-trips per second and p50/p99 latency, over one connection
 * and over a fresh connection per request, for cached resolve (the same
 * directory again and again), uncached resolve (a fresh directory 10 levels
 * below the project for every request), each with its ratio to the echo
 * server in the same mode; and the daemon's RSS after resolving 10,000
 * distinct directories.
 *
 * Under load: the p50 and p99 of status and of a cached resolve (a fresh
 * connection each, as a hook makes), first idle and then while
 * N_LOAD_CLIENTS clients, forked here, each resolve one fresh directory
 * after another (a fresh connection per request); also how many of
 * their connects failed (EAGAIN: the listen backlog was full).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "xmalloc.h"

#define N_CACHED_ONE	20000	/* cached requests over one connection */
#define N_CACHED_FRESH	5000	/* cached requests, one connection each */
#define N_UNCACHED	500	/* uncached requests per mode */
#define N_RSS_DIRS	10000	/* distinct directories for the RSS figure */
#define N_WARMUP	500	/* requests before each timed series */
#define ROUNDS		5	/* interleaved echo/daemon rounds, best kept */
#define N_CACHED_TOTAL	(N_CACHED_ONE + N_CACHED_FRESH + 2 * N_WARMUP)
#define UNCACHED_DEPTH	10	/* levels below the project */
#define ECHO_MAX_LINE	(64 * 1024)
#define ECHO_MAX_FD	4096
#define N_LOAD_CLIENTS	300	/* concurrent clients of the load */
#define N_LOAD_DIRS	30000	/* fresh directories they resolve */
#define N_LOAD_SAMPLES	300	/* status and cached resolves measured, each */
#define LOAD_MAX_S	20.0	/* measure under load at most this long */

/* One measured series. */
struct figure {
	double	rps;		/* round-trips per second */
	double	p50_us;
	double	p99_us;
};

/* Produces the i-th request line of a series into b. */
typedef void (*request_fn)(void *ctx, size_t i, struct buf *b);

static const char *workdir;
static const char *daemon_socket;
static char echo_socket[PATH_MAX];
static pid_t echo_pid = -1;

/* Print a message and exit 1, stopping the echo server first. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_rpc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (echo_pid > 0) {
		kill(echo_pid, SIGTERM);
		waitpid(echo_pid, NULL, 0);
	}
	exit(1);
}

/* Monotonic time in nanoseconds. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Fill a sockaddr_un for path; -1 if it does not fit. */
static int
unix_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path)
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/* A blocking connection to the Unix socket at path, or -1 with errno. */
static int
connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	if (unix_addr(&sun, path) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Write all of s; -1 on error. */
static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one request line and read one response line into resp; -1 on error or EOF. */
static int
round_trip(int fd, const struct buf *req, struct buf *resp)
{
	char chunk[8192];
	ssize_t n;

	buf_reset(resp);
	if (write_all(fd, req->data, req->len) == -1)
		return -1;
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		buf_append(resp, chunk, (size_t)n);
		if (chunk[n - 1] == '\n')
			return 0;
	}
}

/* Order two uint64_t for qsort. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Run n requests from make against the socket at path, over one
 * connection or a fresh one per request, after warmup untimed ones.
 * The first response is kept in first (if not NULL).
 */
static void
measure(const char *path, int fresh, size_t n, size_t warmup,
    request_fn make, void *ctx, struct figure *out, struct buf *first)
{
	struct buf req = { 0 }, resp = { 0 };
	uint64_t *lat, t0, start = 0, total;
	size_t i;
	int fd = -1;

	lat = xcalloc(n, sizeof *lat);
	for (i = 0; i < warmup + n; i++) {
		if (i == warmup)
			start = now_ns();
		buf_reset(&req);
		make(ctx, i, &req);
		t0 = now_ns();
		if (fd == -1 && (fd = connect_unix(path)) == -1)
			die("connect %s: %s", path, strerror(errno));
		if (round_trip(fd, &req, &resp) == -1)
			die("request %zu to %s: %s", i, path,
			    errno ? strerror(errno) : "connection closed");
		if (i >= warmup)
			lat[i - warmup] = now_ns() - t0;
		if (first != NULL && i == 0)
			buf_append(first, resp.data, resp.len);
		if (fresh) {
			close(fd);
			fd = -1;
		}
	}
	total = now_ns() - start;
	if (fd != -1)
		close(fd);
	qsort(lat, n, sizeof *lat, cmp_u64);
	out->rps = (double)n / ((double)total / 1e9);
	out->p50_us = (double)lat[n / 2] / 1e3;
	out->p99_us = (double)lat[(n * 99) / 100] / 1e3;
	free(lat);
	buf_free(&req);
	buf_free(&resp);
}

/* Append s to b as a JSON string. */
static void
json_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* Append a resolve request for dir with the given id. */
static void
resolve_request(struct buf *b, size_t id, const char *dir)
{
	buf_printf(b, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"resolve\","
	    "\"params\":{\"path\":", id);
	json_quote(b, dir);
	buf_puts(b, "}}\n");
}

/* Cached series: the same directory every time. ctx is the directory. */
static void
make_cached(void *ctx, size_t i, struct buf *b)
{
	resolve_request(b, i + 1, ctx);
}

/* Directories for a series with a distinct directory per request. */
struct dir_list {
	char	**dirs;
	size_t	  n;
};

/* Distinct series: the i-th directory of the list. */
static void
make_distinct(void *ctx, size_t i, struct buf *b)
{
	struct dir_list *l = ctx;

	resolve_request(b, i + 1, l->dirs[i % l->n]);
}

/* A status request. */
static void
make_status(void *ctx, size_t i, struct buf *b)
{
	buf_printf(b, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"status\"}\n",
	    i + 1);
}

/* mkdir -p; dies on failure. */
static void
mkdir_p(const char *path)
{
	char tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof tmp)
		die("path too long: %s", path);
	strcpy(tmp, path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			die("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
		die("mkdir %s: %s", tmp, strerror(errno));
}

/* Make n fresh directories named by fmt-like layout; see the callers. */
static void
dir_list_new(struct dir_list *l, size_t n, const char *tag, int deep)
{
	struct buf b = { 0 };
	size_t i;
	int level;

	l->dirs = xcalloc(n, sizeof *l->dirs);
	l->n = n;
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s/proj/%s/%zu", workdir, tag, i);
		/* The leaf sits UNCACHED_DEPTH levels below the project. */
		for (level = 3; deep && level <= UNCACHED_DEPTH; level++)
			buf_printf(&b, "/%d", level);
		l->dirs[i] = buf_take(&b);
		mkdir_p(l->dirs[i]);
	}
	buf_free(&b);
}

/* Free a directory list (the directories stay on disk). */
static void
dir_list_free(struct dir_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->dirs[i]);
	free(l->dirs);
}

/* One status call to the daemon; the response line in out. */
static void
daemon_status(struct buf *out)
{
	struct figure ignored;

	buf_reset(out);
	measure(daemon_socket, 1, 1, 0, make_status, NULL, &ignored, out);
}

/* The number after "key": in a JSON text, or -1. */
static double
json_number(const struct buf *b, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if (b->data == NULL || (p = strstr(b->data, pat)) == NULL)
		return -1;
	return strtod(p + strlen(pat), NULL);
}

/* VmRSS of pid in KiB, or -1. */
static long
rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

/* Echo server: a connection's pending input. */
struct echo_conn {
	char	*buf;
	size_t	 len;
};

/* Write a whole line back, waiting with poll if the socket is full. */
static int
echo_write(int fd, const char *s, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what fd has and answer every complete line; -1 to close it. */
static int
echo_readable(int fd, struct echo_conn *c)
{
	char *nl, *start;
	ssize_t n;

	for (;;) {
		if (c->len == ECHO_MAX_LINE)
			return -1;
		n = read(fd, c->buf + c->len, ECHO_MAX_LINE - c->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
		start = c->buf;
		while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
			if (echo_write(fd, start, (size_t)(nl - start + 1)) == -1)
				return -1;
			start = nl + 1;
		}
		c->len -= (size_t)(start - c->buf);
		memmove(c->buf, start, c->len);
	}
}

/* The echo server's epoll loop over the listening socket lfd; never returns. */
static void __attribute__((noreturn))
echo_serve(int lfd)
{
	struct epoll_event ev, events[64];
	struct echo_conn *conns;
	int ep, n, i, fd;

	conns = xcalloc(ECHO_MAX_FD, sizeof *conns);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		_exit(1);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, events, 64, -1)) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (i = 0; i < n; i++) {
			fd = events[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
					if (fd >= ECHO_MAX_FD) {
						close(fd);
						continue;
					}
					conns[fd].buf = xmalloc(ECHO_MAX_LINE);
					conns[fd].len = 0;
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (echo_readable(fd, &conns[fd]) == -1) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				free(conns[fd].buf);
				conns[fd].buf = NULL;
			}
		}
	}
}

/* Bind the echo socket and fork the echo server. */
static void
echo_start(void)
{
	struct sockaddr_un sun;
	int lfd;

	snprintf(echo_socket, sizeof echo_socket, "%s/echo.sock", workdir);
	if (unix_addr(&sun, echo_socket) == -1)
		die("socket path too long: %s", echo_socket);
	unlink(echo_socket);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		die("socket: %s", strerror(errno));
	if (bind(lfd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(lfd, 128) == -1)
		die("bind %s: %s", echo_socket, strerror(errno));
	if ((echo_pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (echo_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		echo_serve(lfd);
	}
	close(lfd);
}

/* Stop the echo server. */
static void
echo_stop(void)
{
	if (echo_pid > 0) {
		kill(echo_pid, SIGTERM);
		waitpid(echo_pid, NULL, 0);
		echo_pid = -1;
	}
	unlink(echo_socket);
}

/*
 * Cached series for one mode: ROUNDS rounds of n / ROUNDS requests, echo
 * then daemon, interleaved so that load from elsewhere on the machine
 * hits both alike; each side keeps its best round (highest req/s).
 * dmn NULL: echo only. The daemon's first response goes to first.
 */
static void
measure_rounds(int fresh, size_t n, char *dir, struct figure *echo,
    struct figure *dmn, struct buf *first)
{
	struct figure f;
	int r;

	memset(echo, 0, sizeof *echo);
	if (dmn != NULL)
		memset(dmn, 0, sizeof *dmn);
	for (r = 0; r < ROUNDS; r++) {
		measure(echo_socket, fresh, n / ROUNDS, r == 0 ? N_WARMUP : 0,
		    make_cached, dir, &f, NULL);
		if (f.rps > echo->rps)
			*echo = f;
		if (dmn == NULL)
			continue;
		measure(daemon_socket, fresh, n / ROUNDS, r == 0 ? N_WARMUP : 0,
		    make_cached, dir, &f, r == 0 ? first : NULL);
		if (f.rps > dmn->rps)
			*dmn = f;
	}
}

/* Print one row: a figure and its ratios to the echo figure of the same mode. */
static void
print_row(const char *name, const struct figure *f, const struct figure *echo)
{
	if (echo == NULL || f == echo) {
		printf("  %-34s %9.0f          %8.1f          %8.1f\n",
		    name, f->rps, f->p50_us, f->p99_us);
		return;
	}
	printf("  %-34s %9.0f (%5.2fx) %8.1f (%5.2fx) %8.1f (%5.2fx)\n",
	    name, f->rps, f->rps / echo->rps, f->p50_us, f->p50_us / echo->p50_us,
	    f->p99_us, f->p99_us / echo->p99_us);
}

/* Print the table header. */
static void
print_header(void)
{
	printf("  %-34s %9s %-8s %8s %-8s %8s %-8s\n", "", "req/s", "(÷echo)",
	    "p50 µs", "(÷echo)", "p99 µs", "(÷echo)");
}

/* Say whether cached resolve is within 2x of echo in one mode. */
static void
goal(const char *mode, const struct figure *f, const struct figure *echo)
{
	double slow_rps = echo->rps / f->rps, slow_p50 = f->p50_us / echo->p50_us;
	int met = slow_rps <= 2.0 && slow_p50 <= 2.0;

	printf("  %-18s throughput %.2fx slower, p50 %.2fx slower: %s\n",
	    mode, slow_rps, slow_p50, met ? "MET" : "MISSED");
}

/* One load client: its connection (-1 between requests) and its input. */
struct load_client {
	int	fd;
	int	sent;
	size_t	got;
	char	in[8192];
};

/* Counts of a load run, sent up a pipe to the parent. */
struct load_counts {
	uint64_t answered;
	uint64_t eagain;	/* connects refused: backlog full */
	uint64_t errors;
	int	 exhausted;	/* ran out of fresh directories */
};

static volatile sig_atomic_t load_stop;

/* SIGTERM in the load process. */
static void
load_term(int sig)
{
	(void)sig;
	load_stop = 1;
}

/* Connect cl without waiting; 0, or -1 (EAGAIN counted) to try later. */
static int
load_connect(struct load_client *cl, struct load_counts *n)
{
	struct sockaddr_un sun;
	int fd;

	if (unix_addr(&sun, daemon_socket) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		n->errors++;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EAGAIN)
			n->eagain++;
		else
			n->errors++;
		close(fd);
		return -1;
	}
	cl->fd = fd;
	cl->sent = 0;
	cl->got = 0;
	return 0;
}

/*
 * The load process: N_LOAD_CLIENTS clients, each connecting, resolving
 * the next fresh directory of dirs, reading the answer and closing, until
 * SIGTERM or the directories run out. Writes a byte to ready_fd once
 * every client has been started, its counts to out_fd at the end.
 */
static void __attribute__((noreturn))
load_run(struct dir_list *dirs, int ready_fd, int out_fd)
{
	struct load_client *cl = xcalloc(N_LOAD_CLIENTS, sizeof *cl);
	struct pollfd *pfd = xcalloc(N_LOAD_CLIENTS, sizeof *pfd);
	struct load_counts n = { 0 };
	struct buf req = { 0 };
	size_t next = 0, i;
	int idle, told = 0;
	ssize_t r;
	char *nl;

	signal(SIGTERM, load_term);
	for (i = 0; i < N_LOAD_CLIENTS; i++)
		cl[i].fd = -1;
	while (!load_stop) {
		idle = 0;
		for (i = 0; i < N_LOAD_CLIENTS; i++) {
			if (cl[i].fd == -1) {
				if (next == dirs->n) {
					idle++;
					pfd[i].fd = -1;
					continue;
				}
				if (load_connect(&cl[i], &n) == -1) {
					pfd[i].fd = -1;
					continue;
				}
				buf_reset(&req);
				resolve_request(&req, next + 1, dirs->dirs[next]);
				next++;
				if (write_all(cl[i].fd, req.data, req.len) == -1) {
					n.errors++;
					close(cl[i].fd);
					cl[i].fd = -1;
					pfd[i].fd = -1;
					continue;
				}
			}
			pfd[i].fd = cl[i].fd;
			pfd[i].events = POLLIN;
		}
		if (!told) {
			r = write(ready_fd, "r", 1);
			(void)r;
			told = 1;
		}
		if (idle == N_LOAD_CLIENTS) {
			n.exhausted = 1;
			break;
		}
		if (poll(pfd, N_LOAD_CLIENTS, 1) == -1 && errno != EINTR)
			break;
		for (i = 0; i < N_LOAD_CLIENTS; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = read(cl[i].fd, cl[i].in + cl[i].got, sizeof cl[i].in - cl[i].got - 1);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0) {
				cl[i].got += (size_t)r;
				cl[i].in[cl[i].got] = '\0';
				if ((nl = strchr(cl[i].in, '\n')) == NULL &&
				    cl[i].got < sizeof cl[i].in - 1)
					continue;
				if (strstr(cl[i].in, "\"result\"") != NULL)
					n.answered++;
				else
					n.errors++;
			} else
				n.errors++;
			close(cl[i].fd);
			cl[i].fd = -1;
		}
	}
	r = write(out_fd, &n, sizeof n);
	(void)r;
	_exit(0);
}

/* Percentile p (0-100) of n sorted latencies, in µs. */
static double
pct_us(const uint64_t *lat, size_t n, int p)
{
	if (n == 0)
		return 0;
	return (double)lat[(n * (size_t)p) / 100 < n ? (n * (size_t)p) / 100 : n - 1] / 1e3;
}

/* Is the load process still running? */
static int
load_alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/*
 * Status and cached resolve, a fresh connection each, alternately: up to
 * N_LOAD_SAMPLES of each, stopping after LOAD_MAX_S or when load_pid
 * (if > 0) has ended. Sorted latencies (ns) in st and ca, counts in *n.
 */
static void
sample_pair(char *dir, pid_t load_pid, uint64_t *st, uint64_t *ca, size_t *n)
{
	struct figure f;
	struct buf resp = { 0 };
	uint64_t t0, start = now_ns();

	for (*n = 0; *n < N_LOAD_SAMPLES; (*n)++) {
		if ((double)(now_ns() - start) / 1e9 > LOAD_MAX_S ||
		    (load_pid > 0 && !load_alive(load_pid)))
			break;
		t0 = now_ns();
		measure(daemon_socket, 1, 1, 0, make_status, NULL, &f, NULL);
		st[*n] = now_ns() - t0;
		t0 = now_ns();
		buf_reset(&resp);
		measure(daemon_socket, 1, 1, 0, make_cached, dir, &f, &resp);
		ca[*n] = now_ns() - t0;
	}
	qsort(st, *n, sizeof *st, cmp_u64);
	qsort(ca, *n, sizeof *ca, cmp_u64);
	buf_free(&resp);
}

/* The load section: idle figures, then the same under N_LOAD_CLIENTS clients. */
static void
bench_load(char *cached_dir)
{
	uint64_t *st0 = xcalloc(N_LOAD_SAMPLES, sizeof *st0);
	uint64_t *ca0 = xcalloc(N_LOAD_SAMPLES, sizeof *ca0);
	uint64_t *st1 = xcalloc(N_LOAD_SAMPLES, sizeof *st1);
	uint64_t *ca1 = xcalloc(N_LOAD_SAMPLES, sizeof *ca1);
	struct load_counts counts = { 0 };
	struct dir_list dirs;
	size_t n0, n1;
	int ready[2], out[2];
	uint64_t t0, took;
	pid_t pid;
	char c;

	printf("\n  under load: %d concurrent clients, each resolving one fresh "
	    "directory after another\n", N_LOAD_CLIENTS);
	dir_list_new(&dirs, N_LOAD_DIRS, "load", 0);
	sample_pair(cached_dir, 0, st0, ca0, &n0);
	if (pipe(ready) == -1 || pipe(out) == -1)
		die("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(ready[0]);
		close(out[0]);
		load_run(&dirs, ready[1], out[1]);
	}
	close(ready[1]);
	close(out[1]);
	if (read(ready[0], &c, 1) != 1)
		die("the load process did not start");
	t0 = now_ns();
	sample_pair(cached_dir, pid, st1, ca1, &n1);
	kill(pid, SIGTERM);
	if (read(out[0], &counts, sizeof counts) != (ssize_t)sizeof counts)
		memset(&counts, 0, sizeof counts);
	took = now_ns() - t0;
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(out[0]);
	dir_list_free(&dirs);

	printf("  %-34s %10s %10s %10s %10s\n", "(fresh connection each, µs)",
	    "idle p50", "idle p99", "load p50", "load p99");
	printf("  %-34s %10.1f %10.1f %10.1f %10.1f\n", "status",
	    pct_us(st0, n0, 50), pct_us(st0, n0, 99), pct_us(st1, n1, 50),
	    pct_us(st1, n1, 99));
	printf("  %-34s %10.1f %10.1f %10.1f %10.1f\n", "resolve cached",
	    pct_us(ca0, n0, 50), pct_us(ca0, n0, 99), pct_us(ca1, n1, 50),
	    pct_us(ca1, n1, 99));
	printf("  (%zu idle and %zu loaded samples of each; meanwhile the load "
	    "had %llu uncached resolves answered, %.0f/s, %llu connects failed "
	    "with EAGAIN, %llu errors%s)\n", n0, n1,
	    (unsigned long long)counts.answered,
	    (double)counts.answered / ((double)took / 1e9),
	    (unsigned long long)counts.eagain, (unsigned long long)counts.errors,
	    counts.exhausted ? "; it ran out of fresh directories before the "
	    "samples were taken" : "");
	free(st0);
	free(ca0);
	free(st1);
	free(ca1);
}

/* Print usage and exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: bench_rpc --dir WORKDIR [--socket PATH] [--echo-only]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "echo-only", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct figure echo_one, echo_fresh, cached_one, cached_fresh;
	struct figure unc_one, unc_fresh, rss_fig;
	struct dir_list unc_one_dirs, unc_fresh_dirs, rss_dirs;
	struct buf first = { 0 }, st = { 0 }, expect = { 0 };
	char cached_dir[PATH_MAX];
	double hits0, hits1, cached_dirs;
	long pid, rss0, rss1;
	int c, echo_only = 0;

	daemon_socket = getenv("VENVD_SOCKET");
	while ((c = getopt_long(argc, argv, "d:s:eh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			workdir = optarg;
			break;
		case 's':
			daemon_socket = optarg;
			break;
		case 'e':
			echo_only = 1;
			break;
		default:
			usage();
		}
	}
	if (workdir == NULL || optind != argc ||
	    (!echo_only && daemon_socket == NULL))
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	snprintf(cached_dir, sizeof cached_dir, "%s/proj/a/b", workdir);
	mkdir_p(cached_dir);
	echo_start();

	printf("venvd RPC benchmark: cached series are the best of %d "
	    "interleaved echo/daemon rounds\n  (%d requests over one connection, "
	    "%d with a fresh connection each; uncached: %d per mode)\n",
	    ROUNDS, N_CACHED_ONE, N_CACHED_FRESH, N_UNCACHED);
	if (echo_only) {
		print_header();
		measure_rounds(0, N_CACHED_ONE, cached_dir, &echo_one, NULL, NULL);
		print_row("echo, one connection", &echo_one, NULL);
		measure_rounds(1, N_CACHED_FRESH, cached_dir, &echo_fresh, NULL,
		    NULL);
		print_row("echo, fresh connection", &echo_fresh, NULL);
		echo_stop();
		return 0;
	}

	daemon_status(&st);
	if ((pid = (long)json_number(&st, "pid")) <= 0)
		die("no status from the daemon on %s: %.*s", daemon_socket,
		    (int)st.len, st.data != NULL ? st.data : "");
	hits0 = json_number(&st, "cache_hits");
	buf_puts(&expect, "\"path\":");
	{
		struct buf venv = { 0 };

		buf_printf(&venv, "%s/proj/.venv", workdir);
		json_quote(&expect, venv.data);
		buf_free(&venv);
	}

	/* Cached resolve: the answer must be the project's venv, then hits. */
	measure_rounds(0, N_CACHED_ONE, cached_dir, &echo_one, &cached_one,
	    &first);
	if (strstr(first.data, expect.data) == NULL)
		die("resolve %s did not find %s/proj/.venv: %s", cached_dir,
		    workdir, first.data);
	measure_rounds(1, N_CACHED_FRESH, cached_dir, &echo_fresh,
	    &cached_fresh, NULL);
	echo_stop();
	print_header();
	print_row("echo, one connection", &echo_one, NULL);
	print_row("echo, fresh connection", &echo_fresh, NULL);
	print_row("resolve cached, one connection", &cached_one, &echo_one);
	print_row("resolve cached, fresh connection", &cached_fresh, &echo_fresh);
	daemon_status(&st);
	hits1 = json_number(&st, "cache_hits");
	/* All but the very first request must have been cache hits. */
	if (hits0 >= 0 && hits1 - hits0 < N_CACHED_TOTAL - 1)
		printf("  warning: only %.0f of %d cached requests were cache "
		    "hits\n", hits1 - hits0, N_CACHED_TOTAL);

	/* Uncached: every request names a fresh directory 10 levels deep. */
	dir_list_new(&unc_one_dirs, N_UNCACHED, "u1", 1);
	dir_list_new(&unc_fresh_dirs, N_UNCACHED, "u2", 1);
	hits0 = hits1;
	buf_reset(&first);
	measure(daemon_socket, 0, N_UNCACHED, 0, make_distinct, &unc_one_dirs,
	    &unc_one, &first);
	if (strstr(first.data, expect.data) == NULL)
		die("resolve %s did not find the venv: %s", unc_one_dirs.dirs[0],
		    first.data);
	print_row("resolve uncached 10 deep, one conn", &unc_one, &echo_one);
	measure(daemon_socket, 1, N_UNCACHED, 0, make_distinct, &unc_fresh_dirs,
	    &unc_fresh, NULL);
	print_row("resolve uncached 10 deep, fresh", &unc_fresh, &echo_fresh);
	daemon_status(&st);
	hits1 = json_number(&st, "cache_hits");
	if (hits0 >= 0 && hits1 - hits0 > 0)
		printf("  warning: %.0f uncached requests were cache hits\n",
		    hits1 - hits0);
	dir_list_free(&unc_one_dirs);
	dir_list_free(&unc_fresh_dirs);

	/* RSS with 10,000 more distinct directories cached. */
	rss0 = rss_kib(pid);
	dir_list_new(&rss_dirs, N_RSS_DIRS, "r", 0);
	measure(daemon_socket, 0, N_RSS_DIRS, 0, make_distinct, &rss_dirs,
	    &rss_fig, NULL);
	dir_list_free(&rss_dirs);
	daemon_status(&st);
	rss1 = rss_kib(pid);
	cached_dirs = json_number(&st, "cached_dirs");
	printf("\n  daemon RSS: %ld KiB before, %ld KiB after resolving %d "
	    "distinct directories (%.0f cached dirs, %.0f watches); "
	    "%.0f bytes per directory\n", rss0, rss1, N_RSS_DIRS, cached_dirs,
	    json_number(&st, "watches"),
	    rss0 > 0 && rss1 > 0 ? (double)(rss1 - rss0) * 1024 / N_RSS_DIRS : 0);
	printf("  (those %d first-time resolves ran at %.0f/s, p50 %.1f µs)\n",
	    N_RSS_DIRS, rss_fig.rps, rss_fig.p50_us);

	printf("\n  goal: cached resolve within 2x of echo\n");
	goal("one connection", &cached_one, &echo_one);
	goal("fresh connection", &cached_fresh, &echo_fresh);

	bench_load(cached_dir);
	buf_free(&first);
	buf_free(&st);
	buf_free(&expect);
	return 0;
}

/*
 * conn.c: talking to the daemon within a hard time budget, resolving
 * locally when it does not answer, starting it in the background, and
 * the start, stop and restart commands.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "paths.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

/* Longest response line accepted from the daemon. */
#define CONN_MAX_RESPONSE	(1024 * 1024)

struct client_conn {
	int	 fd;
	long	 next_id;
	struct buf in;		/* received bytes not yet consumed */
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
struct client_conn *
client_conn_open(long long deadline_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[PATH_MAX];
	struct client_conn *c;
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
client_conn_close(struct client_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	buf_free(&c->in);
	free(c);
}

/* Send all of b by the deadline. */
static int
conn_send(struct client_conn *c, const struct buf *b, long long deadline_ms,
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

/* Read one response line by the deadline; returns its length (no '\n'). */
static ssize_t
conn_read_line(struct client_conn *c, long long deadline_ms, char *err, size_t errlen)
{
	char chunk[8192];
	char *nl;
	ssize_t n;

	while ((nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL) == NULL) {
		if (c->in.len > CONN_MAX_RESPONSE) {
			snprintf(err, errlen, "the daemon's answer is too long");
			errno = EPROTO;
			return -1;
		}
		n = recv(c->fd, chunk, sizeof chunk, 0);
		if (n > 0) {
			buf_append(&c->in, chunk, (size_t)n);
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
	return nl - c->in.data;
}

/* Send one request and wait for its result by the deadline. */
json_t *
client_conn_call(struct client_conn *c, const char *method, json_t *params,
    long long deadline_ms, char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	json_t *result = NULL;
	ssize_t len;
	int code = 0, rc;

	rpc_write_request(&out, c->next_id++, method, params);
	rc = conn_send(c, &out, deadline_ms, err, errlen);
	buf_free(&out);
	if (rc == -1)
		return NULL;
	if ((len = conn_read_line(c, deadline_ms, err, errlen)) == -1)
		return NULL;
	rc = rpc_parse_response(c->in.data, (size_t)len, &result, &code, err, errlen);
	buf_consume(&c->in, (size_t)len + 1);
	if (rc == -1) {
		errno = EPROTO;
		return NULL;
	}
	return result;
}

/* One call on a fresh connection. */
json_t *
client_call(const char *method, json_t *params, long long budget_ms, int *down,
    char *err, size_t errlen)
{
	long long deadline = now_ms() + budget_ms;
	struct client_conn *c;
	json_t *result;

	*down = 0;
	if ((c = client_conn_open(deadline, err, errlen)) == NULL) {
		*down = (errno == ENOENT || errno == ECONNREFUSED);
		json_decref(params);
		return NULL;
	}
	result = client_conn_call(c, method, params, deadline, err, errlen);
	client_conn_close(c);
	return result;
}

/* Path of venvd-daemon: $VENVD_DAEMON, else beside this binary, else BINDIR. */
const char *
client_daemon_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("VENVD_DAEMON");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] == '/')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(path, sizeof path, "%s/venvd-daemon", exe) <
			    (int)sizeof path && access(path, X_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof path, "%s/venvd-daemon", BINDIR);
	return path;
}

/* In the grandchild: detach and exec the daemon, keeping lock_fd open. */
static void __attribute__((noreturn))
autostart_exec(int lock_fd)
{
	char fdstr[16];
	int null;

	setsid();
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	snprintf(fdstr, sizeof fdstr, "%d", lock_fd);
	setenv("VENVD_STARTLOCK_FD", fdstr, 1);
	execl(client_daemon_path(), "venvd-daemon", (char *)NULL);
	_exit(127);
}

/* Does something accept connections on the socket right now? */
static int
socket_answers(void)
{
	char err[512];
	struct client_conn *c;

	if ((c = client_conn_open(now_ms() + 100, err, sizeof err)) == NULL)
		return 0;
	client_conn_close(c);
	return 1;
}

/* Does a process with this pid exist (a zombie counts as gone)? */
static int
pid_alive(pid_t pid)
{
	char path[64], stat[512], *rparen;
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH))
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno != ENOENT;
	n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return 1;
	stat[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	if ((rparen = strrchr(stat, ')')) != NULL && rparen[1] == ' ' &&
	    rparen[2] == 'Z')
		return 0;
	return 1;
}

/* Is pid a venvd-daemon (by its command name)? */
static int
pid_is_daemon(pid_t pid)
{
	char path[64], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno != ENOENT;	/* no /proc: take the lock's word */
	n = read(fd, comm, sizeof comm - 1);
	close(fd);
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "venvd-daemon") == 0;
}

/*
 * Who holds the instance lock: its pid, -1 when it is held but the pid
 * in it is not (yet) a live venvd-daemon, 0 when nobody holds it. The
 * test takes the lock shared for an instant; a starting daemon tries
 * its exclusive lock for a while before giving up, so this never stops
 * one from starting.
 */
static long
lock_holder(void)
{
	char path[PATH_MAX], err[PATH_MAX + 64], buf[32];
	long pid;
	ssize_t n;
	int fd;

	/* Only a lock in our private socket dir names a pid worth a signal. */
	if (paths_socket_dir(path, sizeof path, err, sizeof err) == -1 ||
	    paths_private_dir(path, 0, err, sizeof err) == -1 ||
	    paths_lock_file(path, sizeof path, err, sizeof err) == -1)
		return 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 0 || !pid_alive((pid_t)pid) || !pid_is_daemon((pid_t)pid))
		return -1;
	return pid;
}

/* Does something accept connections on the socket right now? */
static int socket_answers(void);

/* Nobody answers on the socket: find a running daemon by its lock. */
long
client_daemon_by_lock(int rebind, int *answers)
{
	long long deadline = now_ms() + CLIENT_REBIND_WAIT_MS;
	long pid = lock_holder();

	if (answers != NULL)
		*answers = 0;
	if (!rebind || pid == 0)
		return pid;
	/* Starting: its pid and socket come together, soon. */
	while (pid == -1 && now_ms() < deadline) {
		poll(NULL, 0, 20);
		pid = lock_holder();
	}
	if (pid == 0)
		return 0;	/* it went away meanwhile */
	if (pid > 0)
		kill((pid_t)pid, SIGUSR1);
	for (;;) {
		if (socket_answers()) {
			if (answers != NULL)
				*answers = 1;
			break;
		}
		if (now_ms() >= deadline)
			break;
		poll(NULL, 0, 20);
	}
	return pid;
}

/*
 * Nobody listens on the socket. Unless another client is starting the
 * daemon (the autostart lock is held) or it came up meanwhile, remove
 * the stale generation file (a dead daemon cannot bump it; this makes
 * shells drop their caches) and, unless VENVD_AUTOSTART=0, start the
 * daemon in the background. Never waits for it. Returns 0 if a start
 * was launched.
 */
int
client_autostart(void)
{
	const char *env = getenv("VENVD_AUTOSTART");
	char dir[PATH_MAX], lock[PATH_MAX], gen[PATH_MAX], err[PATH_MAX + 128];
	int fd, status, start = env == NULL || strcmp(env, "0") != 0;
	long holder;
	pid_t pid;

	if (paths_socket_dir(dir, sizeof dir, err, sizeof err) == -1 ||
	    paths_autostart_lock(lock, sizeof lock, err, sizeof err) == -1 ||
	    paths_generation_file(gen, sizeof gen, err, sizeof err) == -1)
		return -1;
	/* An unsafe socket directory: touch nothing; the daemon would refuse too. */
	if (paths_private_dir(dir, start, err, sizeof err) == -1) {
		if (start)
			log_warn("not starting the daemon: %s", err);
		return -1;
	}
	/* Inheritable on purpose: the daemon closes it once it is listening. */
	fd = open(lock, O_RDWR | O_NOFOLLOW | (start ? O_CREAT : 0), 0600);
	if (fd == -1 && (start || errno != ENOENT)) {
		log_warn("%s: %s", lock, strerror(errno));
		return -1;
	}
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		/* Someone else is starting it: its generation file is fresh. */
		close(fd);
		return -1;
	}
	/* Between our failed connect and the lock, a daemon may have come up. */
	if (socket_answers()) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	/*
	 * A daemon runs but its socket was deleted: ask it to bind again
	 * (a second daemon would only find the lock taken).
	 */
	if ((holder = lock_holder()) != 0) {
		if (holder > 0 && kill((pid_t)holder, SIGUSR1) == 0)
			log_debug("asked the daemon (pid %ld) to bind its socket "
			    "again", holder);
		if (fd != -1)
			close(fd);
		return -1;
	}
	unlink(gen);
	paths_remove_generation_markers(dir);
	if (!start) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("fork: %s", strerror(errno));
		close(fd);
		return -1;
	case 0:
		if (fork() == 0)
			autostart_exec(fd);
		_exit(0);
	default:
		break;
	}
	close(fd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	log_debug("started %s in the background", client_daemon_path());
	return 0;
}

/* Resolve dir with the common resolver (its locators) and the config. */
static int
resolve_locally(const char *dir, struct venv_info *out, char *err, size_t errlen)
{
	struct resolve_opts opts;
	struct conf cfg;
	char cerr[512];
	int rc;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	resolve_opts_from_conf(&opts, &cfg);
	rc = resolve_dir(dir, &opts, out, err, errlen);
	conf_free(&cfg);
	return rc;
}

/* The notices of the last resolve answer (client_resolve_notices). */
static char *resolve_notices;

/* The daemon's notices with the last resolve answer, or NULL. */
const char *
client_resolve_notices(void)
{
	return resolve_notices;
}

/* Keep the "notices" of a resolve answer as "venvd: TEXT" lines. */
static void
resolve_keep_notices(json_t *result)
{
	json_t *list = json_object_get(result, "notices"), *n;
	struct buf b = BUF_INIT;
	size_t i;

	free(resolve_notices);
	resolve_notices = NULL;
	json_array_foreach(list, i, n) {
		if (!json_is_string(n))
			continue;
		if (b.len > 0)
			buf_putc(&b, '\n');
		buf_puts(&b, "venvd: ");
		buf_puts(&b, json_string_value(n));
	}
	if (b.len > 0)
		resolve_notices = buf_take(&b);
	buf_free(&b);
}

/* Set by client_resolve_activating(): sent with the next resolve. */
static int resolve_activating;
static char *resolve_active;

/*
 * The next client_resolve() tells the daemon the shell will activate the
 * answer unless it is active (the venv venvd has active now, or NULL):
 * "activating": true and "active": ACTIVE in the same request.
 */
void
client_resolve_activating(const char *active)
{
	resolve_activating = 1;
	free(resolve_active);
	resolve_active = active != NULL ? xstrdup(active) : NULL;
}

/* Ask the daemon; 1/0 as resolve_dir, -1 when it gave no usable answer. */
static int
resolve_by_daemon(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, int *down, long long budget_ms)
{
	char err[512];
	json_t *result, *venv, *gen, *cache, *params;
	int rc = -1;

	params = json_pack("{s:o}", "path", rpc_path_to_json(dir));
	if (resolve_activating) {
		json_object_set_new(params, "activating", json_true());
		if (resolve_active != NULL)
			json_object_set_new(params, "active",
			    rpc_path_to_json(resolve_active));
		resolve_activating = 0;
		free(resolve_active);
		resolve_active = NULL;
	}
	result = client_call(VENVD_M_RESOLVE, params, budget_ms, down, err,
	    sizeof err);
	if (result == NULL) {
		log_debug("%s", err);
		return -1;
	}
	venv = json_object_get(result, "venv");
	gen = json_object_get(result, "generation");
	cache = json_object_get(result, "cacheable");
	if (venv == NULL || !json_is_string(gen)) {
		log_debug("malformed answer from the daemon");
		goto out;
	}
	if (json_is_null(venv))
		rc = 0;
	else if (rpc_venv_from_json(venv, out) == 0)
		rc = 1;
	else {
		log_debug("malformed venv object from the daemon");
		goto out;
	}
	*generation = xstrdup(json_string_value(gen));
	*cacheable = cache == NULL || json_is_true(cache);
	resolve_keep_notices(result);
out:
	json_decref(result);
	return rc;
}

/*
 * A dir of PATH_MAX bytes or more: no venv in the levels past PATH_MAX
 * (walked with openat), then the answer for the longest ancestor that fits.
 */
static int
resolve_long(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, enum answer_source *source, char *err, size_t errlen)
{
	struct resolve_opts opts;
	struct conf cfg;
	char cerr[512], *anc;
	size_t anc_len;
	int rc;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	resolve_opts_from_conf(&opts, &cfg);
	rc = resolve_long_levels(dir, &opts, &anc_len, err, errlen);
	conf_free(&cfg);
	if (rc == -1)
		return -1;
	anc = xmalloc(anc_len + 1);
	memcpy(anc, dir, anc_len);
	anc[anc_len] = '\0';
	rc = client_resolve(anc, out, generation, cacheable, source, err, errlen);
	free(anc);
	return rc;
}

/* Resolve dir: the daemon within the budget, else locally. */
int
client_resolve(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, enum answer_source *source, char *err, size_t errlen)
{
	int rc, down = 0;

	*generation = NULL;
	*cacheable = 0;
	*source = SOURCE_LOCAL;
	memset(out, 0, sizeof *out);
	/* The daemon takes any bytes (as \udcXX), but no path over PATH_MAX. */
	if (dir[0] == '/' && strlen(dir) < PATH_MAX) {
		/*
		 * While git checks a venv the daemon holds the answer, up to
		 * VENVD_RESOLVE_WAIT_MS, well inside this budget.
		 */
		rc = resolve_by_daemon(dir, out, generation, cacheable, &down,
		    VENVD_CLIENT_BUDGET_MS);
		if (rc >= 0) {
			*source = SOURCE_DAEMON;
			/* A daemon that does not judge trust: judge here. */
			if (rc == 1 && out->trust == NULL)
				client_trust_local(out);
			return rc;
		}
	}
	if (dir[0] == '/' && strlen(dir) >= PATH_MAX)
		return resolve_long(dir, out, generation, cacheable, source, err, errlen);
	if (down)
		client_autostart();
	if ((rc = resolve_locally(dir, out, err, errlen)) == 1)
		client_trust_local(out);
	return rc;
}

/* The daemon's pid from a status object, or 0. */
static pid_t
status_pid(json_t *st)
{
	json_t *pid = json_object_get(st, "pid");

	return json_is_integer(pid) ? (pid_t)json_integer_value(pid) : 0;
}

/* The socket path for messages (a placeholder if it cannot be computed). */
static void
socket_for_message(char *out, size_t len)
{
	char err[256];

	if (paths_socket(out, len, err, sizeof err) == -1)
		snprintf(out, len, "(unknown: %s)", err);
}

/* Check a control command's arguments: none allowed. */
static int
no_args(const char *cmd, int argc, char **argv)
{
	if (argc > 1)
		return usage_error(cmd, "%s takes no arguments", cmd);
	return EXIT_OK;
}

static int	stop_daemon(int);

/* Start the daemon and wait until it is ready; EXIT_OK or EXIT_NONE. */
static int
start_daemon(void)
{
	const char *path = client_daemon_path();
	char err[512];
	json_t *st;
	pid_t pid;
	int status, down;

	fflush(stdout);
	switch ((pid = fork())) {
	case -1:
		fprintf(stderr, "venvd: fork: %s\n", strerror(errno));
		return EXIT_NONE;
	case 0:
		execl(path, "venvd-daemon", (char *)NULL);
		fprintf(stderr, "venvd: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	default:
		break;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			fprintf(stderr, "venvd: waitpid: %s\n", strerror(errno));
			return EXIT_NONE;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "venvd: could not start the daemon\n");
		return EXIT_NONE;
	}
	if ((st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err)) == NULL) {
		fprintf(stderr, "venvd: the daemon started but does not answer: %s\n", err);
		return EXIT_NONE;
	}
	printf("venvd: daemon started (pid %ld)\n", (long)status_pid(st));
	json_decref(st);
	return EXIT_OK;
}

/* venvd start. */
int
cmd_start(int argc, char **argv)
{
	char err[512];
	json_t *st;
	int rc, down, answers;

	if ((rc = no_args("start", argc, argv)) != EXIT_OK)
		return rc;
	st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (st != NULL) {
		printf("venvd: daemon already running (pid %ld)\n", (long)status_pid(st));
		json_decref(st);
		return EXIT_OK;
	}
	if (down && client_daemon_by_lock(1, &answers) != 0) {
		/* Running without its socket: it was asked to bind it again. */
		if (answers && (st = client_call(VENVD_M_STATUS, NULL,
		    CLIENT_CTL_BUDGET_MS, &down, err, sizeof err)) != NULL) {
			printf("venvd: daemon already running (pid %ld); its "
			    "socket was missing and is back\n",
			    (long)status_pid(st));
			json_decref(st);
			return EXIT_OK;
		}
		/* It cannot: replace it. */
		if ((rc = stop_daemon(1)) != EXIT_OK)
			return rc;
	}
	return start_daemon();
}

/*
 * Stop a daemon that holds the lock but whose socket is gone: SIGTERM,
 * and wait for it to exit. pid -1: its pid is not written yet.
 */
static int
stop_by_signal(long pid, const char *sock)
{
	long long deadline = now_ms() + CLIENT_STOP_WAIT_MS;

	while (pid == -1 && now_ms() < deadline) {
		poll(NULL, 0, 20);
		pid = client_daemon_by_lock(0, NULL);
	}
	if (pid == 0) {
		printf("venvd: daemon stopped\n");
		return EXIT_OK;
	}
	if (pid == -1) {
		fprintf(stderr, "venvd: a daemon holds the lock of %s but its "
		    "pid is unknown\n", sock);
		return EXIT_NONE;
	}
	if (kill((pid_t)pid, SIGTERM) == -1 && errno != ESRCH) {
		fprintf(stderr, "venvd: cannot stop the daemon (pid %ld): %s\n",
		    pid, strerror(errno));
		return EXIT_NONE;
	}
	while (pid_alive((pid_t)pid)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "venvd: the daemon (pid %ld) did not stop "
			    "within %d s\n", pid, CLIENT_STOP_WAIT_MS / 1000);
			return EXIT_NONE;
		}
		poll(NULL, 0, 20);
	}
	printf("venvd: daemon stopped (pid %ld; its socket %s was missing)\n",
	    pid, sock);
	return EXIT_OK;
}

/* Stop the daemon; quiet_absent: a daemon not running is no message. */
static int
stop_daemon(int quiet_absent)
{
	char err[512], sock[PATH_MAX + 64];
	long long deadline;
	json_t *st, *r;
	long holder;
	pid_t pid;
	int down;

	socket_for_message(sock, sizeof sock);
	st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (st == NULL && down) {
		if ((holder = client_daemon_by_lock(0, NULL)) != 0)
			return stop_by_signal(holder, sock);
		if (!quiet_absent)
			printf("venvd: daemon not running (socket %s)\n", sock);
		return EXIT_OK;
	}
	if (st == NULL) {
		fprintf(stderr, "venvd: the daemon on %s does not answer: %s\n", sock, err);
		return EXIT_NONE;
	}
	pid = status_pid(st);
	json_decref(st);
	r = client_call(VENVD_M_SHUTDOWN, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (r == NULL && !down) {
		fprintf(stderr, "venvd: cannot stop the daemon: %s\n", err);
		return EXIT_NONE;
	}
	json_decref(r);
	deadline = now_ms() + CLIENT_STOP_WAIT_MS;
	while (socket_answers() || pid_alive(pid)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "venvd: the daemon (pid %ld) did not stop "
			    "within %d s\n", (long)pid, CLIENT_STOP_WAIT_MS / 1000);
			return EXIT_NONE;
		}
		poll(NULL, 0, 20);
	}
	printf("venvd: daemon stopped (pid %ld)\n", (long)pid);
	return EXIT_OK;
}

/* venvd stop. */
int
cmd_stop(int argc, char **argv)
{
	int rc;

	if ((rc = no_args("stop", argc, argv)) != EXIT_OK)
		return rc;
	return stop_daemon(0);
}

/* venvd restart. */
int
cmd_restart(int argc, char **argv)
{
	int rc;

	if ((rc = no_args("restart", argc, argv)) != EXIT_OK)
		return rc;
	if ((rc = stop_daemon(1)) != EXIT_OK)
		return rc;
	return start_daemon();
}

/*
 * venvd_daemon.c: venvd-daemon's options, instance lock, detaching, signals,
 * and the order things start and stop in.
 *
 * This is the wiring: the one file that knows every module. Modules call
 * only downwards (see daemon.h); where a lower one must tell a higher
 * one something, it takes a hook, and the hooks are connected here:
 * the index's changes to the interpreter watches and the sizer, its list
 * records to the trust verdicts, an interpreter's change to the cache, a
 * settled git check to the server's held requests, and the socket and
 * the daemon's end to instance.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "cache.h"
#include "db.h"
#include "generation.h"
#include "health.h"
#include "index.h"
#include "instance.h"
#include "interp.h"
#include "request.h"
#include "roots.h"
#include "server.h"
#include "sizer.h"
#include "storage.h"
#include "subscribe.h"
#include "verdict.h"
#include "watch.h"
#include "log.h"
#include "paths.h"
#include "protocol.h"
#include "xmalloc.h"

#define PROGNAME	"venvd-daemon"
#define SD_LISTEN_FDS_START 3
#define LOCK_RETRY_MS	200	/* how long a held instance lock is tried */

/* Write end of the pipe to the launching process while detaching; -1 after. */
static int	startup_fd = -1;
static int	foreground;

/* Print usage to fp. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: " PROGNAME " [-fhvV]\n"
	    "  -f, --foreground  stay in the foreground and log to stderr\n"
	    "  -v, --verbose     log debug messages\n"
	    "  -h, --help        show this help\n"
	    "  -V, --version     show the version\n");
}

/*
 * Startup failed: say why (on stderr, in the log, and to the waiting
 * launcher when detached) and exit 1.
 */
static void __attribute__((format(printf, 1, 2), noreturn))
startup_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (startup_fd != -1) {
		ssize_t n = write(startup_fd, msg, strlen(msg));
		(void)n;
		log_error("%s", msg);
	} else
		fprintf(stderr, PROGNAME ": %s\n", msg);
	exit(1);
}

/* Tell the waiting launcher that we are listening. */
static void
startup_done(void)
{
	if (startup_fd == -1)
		return;
	ssize_t n = write(startup_fd, "", 1);
	(void)n;
	close(startup_fd);
	startup_fd = -1;
}

/*
 * Detach: fork, setsid, fork. The original process waits on a pipe and
 * exits 0 once the daemon listens, or 1 with the daemon's error.
 */
static void
detach(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		startup_fail("pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		startup_fail("fork: %s", strerror(errno));
	if (pid > 0) {
		char msg[1024];
		size_t got = 0;
		ssize_t n;
		int status;

		close(p[1]);
		while (got < sizeof msg - 1) {
			n = read(p[0], msg + got, sizeof msg - 1 - got);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
			if (msg[0] == '\0')
				break;
		}
		waitpid(pid, &status, 0);
		if (got >= 1 && msg[0] == '\0')
			_exit(0);
		msg[got] = '\0';
		fprintf(stderr, PROGNAME ": %s\n", got > 0 ? msg :
		    "the daemon exited during startup (see its log)");
		_exit(1);
	}

	close(p[0]);
	startup_fd = p[1];
	if (setsid() == -1)
		startup_fail("setsid: %s", strerror(errno));
	if ((pid = fork()) == -1)
		startup_fail("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		startup_fail("chdir /: %s", strerror(errno));
	int fd = open("/dev/null", O_RDWR);
	if (fd == -1)
		startup_fail("/dev/null: %s", strerror(errno));
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * Take the instance lock on path; instance_write_pid records our pid in it
 * later. Exits 1 with a clear message if another daemon holds it. A
 * client testing the lock holds it shared for an instant, so a held lock
 * is tried again for LOCK_RETRY_MS before giving up.
 */
static int
lock_take(const char *path, const char *sock)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	char buf[32];
	ssize_t n;
	int fd, tries = LOCK_RETRY_MS / 10;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		startup_fail("cannot open lock file %s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			startup_fail("cannot lock %s: %s", path, strerror(errno));
		if (tries-- > 0) {
			nanosleep(&pause, NULL);
			continue;
		}
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		startup_fail("another instance is already running on %s (pid %s)",
		    sock, buf[0] != '\0' ? buf : "unknown");
	}
	/* Until our pid is written, no stale pid must stand for us. */
	if (ftruncate(fd, 0) == -1)
		log_warn("cannot truncate %s: %s", path, strerror(errno));
	return fd;
}

/* Refuse to start if the index or its -wal/-shm files are not ours alone (0600). */
static void
check_private_db(const char *db_path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[PATH_MAX + 8], err[PATH_MAX + 256];

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]);
		if (paths_private_file(path, err, sizeof err) == -1)
			startup_fail("unsafe index database: %s", err);
	}
}

/*
 * systemd socket activation: the listening fd if LISTEN_PID is us and
 * LISTEN_FDS >= 1, else -1. Unsets the LISTEN_* variables either way.
 */
static int
socket_activation_fd(void)
{
	const char *spid = getenv("LISTEN_PID"), *sfds = getenv("LISTEN_FDS");
	int fd = -1;

	if (spid != NULL && sfds != NULL) {
		char *end;
		long pid = strtol(spid, &end, 10);

		if (*end == '\0' && pid == (long)getpid()) {
			long n = strtol(sfds, &end, 10);

			if (*end == '\0' && n >= 1)
				fd = SD_LISTEN_FDS_START;
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

/* The fd from VENVD_STARTLOCK_FD (a launching client's flock), or -1. */
static int
startlock_fd(int listen_fd)
{
	const char *v = getenv("VENVD_STARTLOCK_FD");
	char *end;
	long fd;

	if (v == NULL)
		return -1;
	unsetenv("VENVD_STARTLOCK_FD");
	fd = strtol(v, &end, 10);
	if (*end != '\0' || fd <= STDERR_FILENO || fd > INT_MAX || fd == listen_fd ||
	    fcntl((int)fd, F_GETFD) == -1)
		return -1;
	return (int)fd;
}

/* dir/name into out; -1 if it does not fit. */
static int
join_path(char *out, size_t len, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);

	if (dl + 1 + nl + 1 > len)
		return -1;
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return 0;
}

/* Stop the loop; main() then shuts everything down in order. */
void
daemon_shutdown(struct daemon *d)
{
	ev_break(d->loop, EVBREAK_ALL);
}

/* The index's change hook for interp.c: follow a recorded venv, or let one go. */
static void
wire_index_to_interp(void *ctx, const char *path, const struct venv_info *v)
{
	if (v != NULL)
		interp_track(ctx, v);
	else
		interp_untrack(ctx, path);
}

/* The index's change hook for sizer.c: a recorded venv may need measuring. */
static void
wire_index_to_sizer(void *ctx, const char *path, const struct venv_info *v)
{
	(void)path;
	if (v != NULL)
		sizer_kick(ctx);
}

/* The index's list hook: each record's trust, as resolve would judge it. */
static void
wire_list_to_verdict(void *ctx, json_t *rec)
{
	verdict_fill_record(ctx, rec);
}

/* The index's move hook: does the trust decision follow the venv? */
static void
wire_move_to_verdict(void *ctx, const char *from, const char *to,
    int same_project)
{
	verdict_moved(ctx, from, to, same_project);
}

/* The index's touch hook: a record the subscribers follow may have changed. */
static void
wire_index_to_subscribe(void *ctx, const char *path, int below)
{
	subscribe_touched(ctx, path, below);
}

/* The cache's drop hook and verdict.c's trust hook: a venv's verdict may have changed. */
static void
wire_trust_to_subscribe(void *ctx, const char *path)
{
	subscribe_touched(ctx, path, 0);
}

/* interp.c's change hook: cached answers carry the broken reason; drop them. */
static void
wire_interp_to_cache(void *ctx)
{
	cache_clear(ctx);
}

/* verdict.c's settled hook: answer the resolves held for key. */
static void
wire_verdict_to_server(void *ctx, const char *key)
{
	struct daemon *d = ctx;

	server_wake(d->server, key);
}

/* instance.c's hook: is the socket file still ours? */
static int
wire_socket_intact(void *ctx)
{
	struct daemon *d = ctx;

	return server_socket_intact(d->server);
}

/* instance.c's hook: bind the socket again. */
static int
wire_socket_rebind(void *ctx, char *err, size_t errlen)
{
	struct daemon *d = ctx;

	return server_rebind(d->server, err, errlen);
}

/* instance.c's hook: another daemon owns the socket path now. */
static void
wire_socket_disown(void *ctx)
{
	struct daemon *d = ctx;

	server_disown(d->server);
}

/* instance.c's hook: stop the daemon. */
static void
wire_shutdown(void *ctx)
{
	daemon_shutdown(ctx);
}

/* SIGTERM, SIGINT: shut down cleanly. */
static void
sig_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info("caught signal %d; shutting down", w->signum);
	daemon_shutdown(d);
}

/* SIGHUP: reopen the log after rotation. */
static void
sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	if (log_reopen() == -1)
		log_error("cannot reopen the log: %s", strerror(errno));
	else
		log_info("log reopened");
}

/* SIGUSR1: check the socket, lock and generation files now (a client asks). */
static void
sig_usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info("asked to check the socket directory");
	instance_check(d->instance);
}

/* Parse options, check the dirs, lock, detach, start the parts, run the loop. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground",	no_argument, NULL, 'f' },
		{ "verbose",	no_argument, NULL, 'v' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon dm;
	struct daemon *d = &dm;
	char err[1024], conf_err[1024], lock_path[PATH_MAX], log_path[PATH_MAX];
	char db_path[PATH_MAX];
	struct instance_hooks instance_hooks = {
		wire_socket_intact, wire_socket_rebind, wire_socket_disown,
		wire_shutdown, d
	};
	ev_signal sig_term, sig_int, sig_hup, sig_usr1;
	int ch, verbose = 0, conf_bad, listen_fd, lock_fd, start_fd;

	while ((ch = getopt_long(argc, argv, "fvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROGNAME " " PACKAGE_VERSION " (protocol %d)\n",
			    VENVD_PROTOCOL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROGNAME ": unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	log_init(PROGNAME, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	signal(SIGPIPE, SIG_IGN);
	/* A client may ask for a check (SIGUSR1) before the loop handles it. */
	signal(SIGUSR1, SIG_IGN);
	umask(077);
	listen_fd = socket_activation_fd();

	conf_err[0] = '\0';
	conf_defaults(&d->cfg);
	conf_bad = conf_load_default(&d->cfg, conf_err, sizeof conf_err) == -1;

	if (paths_socket(d->socket_path, sizeof d->socket_path, err, sizeof err) == -1 ||
	    paths_socket_dir(d->socket_dir, sizeof d->socket_dir, err, sizeof err) == -1 ||
	    paths_lock_file(lock_path, sizeof lock_path, err, sizeof err) == -1 ||
	    paths_state_dir(d->state_dir, sizeof d->state_dir, err, sizeof err) == -1)
		startup_fail("%s", err);
	if (paths_private_dir(d->socket_dir, 1, err, sizeof err) == -1)
		startup_fail("unsafe socket directory: %s", err);
	if (paths_private_dir(d->state_dir, 1, err, sizeof err) == -1)
		startup_fail("unsafe state directory: %s", err);
	if (paths_private_file(lock_path, err, sizeof err) == -1)
		startup_fail("unsafe lock file: %s", err);
	lock_fd = lock_take(lock_path, d->socket_path);

	if (!foreground) {
		if (join_path(log_path, sizeof log_path, d->state_dir, "daemon.log") == -1)
			startup_fail("%s/daemon.log: path too long", d->state_dir);
		if (paths_private_file(log_path, err, sizeof err) == -1)
			startup_fail("unsafe log file: %s", err);
		detach();
		if (log_open_file(log_path) == -1)
			startup_fail("cannot open log %s: %s", log_path, strerror(errno));
	}
	instance_write_pid(lock_fd);
	log_info("starting, version %s, pid %ld", PACKAGE_VERSION, (long)getpid());
	if (conf_bad)
		log_warn("config: %s; using defaults for what could not be read", conf_err);

	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (d->loop == NULL)
		startup_fail("cannot initialise libev");
	d->started = time(NULL);

	if ((d->gen = generation_new(d->socket_dir, err, sizeof err)) == NULL)
		startup_fail("generation file: %s", err);
	d->health = health_new(d->gen);
	if (join_path(db_path, sizeof db_path, d->state_dir, "index.sqlite3") == -1)
		startup_fail("%s/index.sqlite3: path too long", d->state_dir);
	check_private_db(db_path);
	if (access(db_path, F_OK) == -1 && errno == ENOENT)
		verdict_export_none(d->state_dir);
	if ((d->db = db_open(db_path, err, sizeof err)) == NULL) {
		log_error("index database %s: %s", db_path, err);
		health_notice_set(d->health, "database",
		    "index database unavailable: %s", err);
	} else if (db_readonly(d->db))
		health_notice_set(d->health, "storage", "storage: the index in "
		    "%s is read-only (%s): stored decisions apply, nothing new "
		    "is stored; restart the daemon once it can be written",
		    d->state_dir, err);
	storage_start(d);
	if ((d->watcher = watcher_new(d->loop, d->gen, d->health, err,
	    sizeof err)) == NULL)
		health_degraded_set(d->health, "inotify", "cannot watch for "
		    "changes, resolving uncached: %s", err);
	d->index = index_new(d);
	/*
	 * Owners of watches hear of an event in the order they were made:
	 * the cache, the roots, the interpreter watches, the socket dir.
	 */
	d->cache = cache_new(d);
	d->roots = roots_new(d);
	d->interp = interp_new(d);
	if (d->interp != NULL) {
		(void)index_on_change(d->index, wire_index_to_interp, d->interp);
		interp_on_change(d->interp, wire_interp_to_cache, d->cache);
	}
	interp_start(d->interp);
	d->sizer = sizer_new(d);
	if (d->sizer != NULL)
		(void)index_on_change(d->index, wire_index_to_sizer, d->sizer);
	d->verdicts = verdict_new(d);
	index_on_list(d->index, wire_list_to_verdict, d->verdicts);
	index_on_move(d->index, wire_move_to_verdict, d->verdicts);
	verdict_on_settled(d->verdicts, wire_verdict_to_server, d);
	index_on_touch(d->index, wire_index_to_subscribe, d);
	if (d->cache != NULL)
		cache_on_drop(d->cache, wire_trust_to_subscribe, d);
	verdict_on_trust(d->verdicts, wire_trust_to_subscribe, d);
	request_on_shutdown(daemon_shutdown);
	if ((d->server = server_start(d, listen_fd, err, sizeof err)) == NULL)
		startup_fail("%s", err);
	d->instance = instance_new(d, lock_fd, lock_path, &instance_hooks);

	ev_signal_init(&sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&sig_hup, sig_hup_cb, SIGHUP);
	ev_signal_init(&sig_usr1, sig_usr1_cb, SIGUSR1);
	sig_term.data = sig_int.data = sig_hup.data = sig_usr1.data = d;
	ev_signal_start(d->loop, &sig_term);
	ev_signal_start(d->loop, &sig_int);
	ev_signal_start(d->loop, &sig_hup);
	ev_signal_start(d->loop, &sig_usr1);

	log_info("listening on %s", d->socket_path);
	if ((start_fd = startlock_fd(listen_fd)) != -1)
		close(start_fd);
	startup_done();

	ev_run(d->loop, 0);

	log_info("shutting down");
	server_stop(d->server);
	subscribe_free(d);
	index_flush(d);		/* the activations not written yet */
	/* No hook may reach a module freed below. */
	index_free(d->index);
	d->index = NULL;
	sizer_free(d->sizer);
	roots_free(d->roots);
	d->roots = NULL;
	interp_free(d->interp);
	d->interp = NULL;
	verdict_free(d->verdicts);
	cache_free(d->cache);
	if (d->watcher != NULL)
		watcher_free(d->watcher);
	d->watcher = NULL;
	storage_stop(d);
	if (d->db != NULL)
		db_close(d->db);
	health_free(d->health);
	/* Superseded: the generation file is the new daemon's. */
	generation_free(d->gen, !instance_superseded(d->instance));
	conf_free(&d->cfg);
	instance_free(d->instance);
	ev_loop_destroy(d->loop);
	log_info("stopped");
	return 0;
}

/*
 * autostart.c: finding the daemon and starting it. Where its program
 * is, whether one runs (by its instance lock) when nobody answers on the
 * socket, and starting it in the background for a client that found
 * nobody listening.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "paths.h"

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
int
client_socket_answers(void)
{
	char err[512];
	struct transport *c;

	if ((c = transport_open(now_ms() + 100, err, sizeof err)) == NULL)
		return 0;
	transport_close(c);
	return 1;
}

/* Does a process with this pid exist (a zombie counts as gone)? */
int
client_pid_alive(pid_t pid)
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
	if (pid <= 0 || !client_pid_alive((pid_t)pid) || !pid_is_daemon((pid_t)pid))
		return -1;
	return pid;
}

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
		if (client_socket_answers()) {
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
	if (client_socket_answers()) {
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

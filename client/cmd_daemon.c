/*
 * cmd_daemon.c: venvd start, stop and restart. The client's control of
 * the daemon's life: start it and wait until it answers, ask it to shut
 * down (or signal one whose socket is gone) and wait until it is gone.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "paths.h"
#include "protocol.h"

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

static int	stop_and_wait(int);

/* Start the daemon and wait until it is ready; EXIT_OK or EXIT_NONE. */
static int
start_and_wait(void)
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
		if ((rc = stop_and_wait(1)) != EXIT_OK)
			return rc;
	}
	return start_and_wait();
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
	while (client_pid_alive((pid_t)pid)) {
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
stop_and_wait(int quiet_absent)
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
	while (client_socket_answers() || client_pid_alive(pid)) {
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
	return stop_and_wait(0);
}

/* venvd restart. */
int
cmd_restart(int argc, char **argv)
{
	int rc;

	if ((rc = no_args("restart", argc, argv)) != EXIT_OK)
		return rc;
	if ((rc = stop_and_wait(1)) != EXIT_OK)
		return rc;
	return start_and_wait();
}

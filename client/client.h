/*
 * client.h: the venvd command.
 *
 *   main.c    command-line parsing and dispatch, usage, exit codes
 *   conn.c    talking to the daemon within a hard time budget; autostart
 *   export.c  the environment transition for a directory (export, hook mode)
 *   hook.c    printing the shell hooks
 *   output.c  human and JSON output for resolve and status
 */
#ifndef VENVD_CLIENT_H
#define VENVD_CLIENT_H

#include <jansson.h>

#include "conf.h"
#include "resolve.h"
#include "shell_quote.h"

/* Exit codes (documented in venvd(1)). */
#define EXIT_OK		0
#define EXIT_NONE	1	/* resolve: no venv applies; generic failure */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NODAEMON	3	/* status: no daemon running */

struct conn;

/*
 * Connect to the daemon, finishing by deadline_ms (CLOCK_MONOTONIC
 * milliseconds). NULL with err when it does not answer in time; errno
 * ECONNREFUSED/ENOENT means nobody listens.
 */
struct conn *conn_open(long long deadline_ms, char *err, size_t errlen);
/* Send one request and wait for its result by the deadline. NULL with err on failure or error reply. */
json_t	*conn_call(struct conn *, const char *method, json_t *params,
	    long long deadline_ms, char *err, size_t errlen);
void	conn_close(struct conn *);
/* Monotonic clock in milliseconds. */
long long now_ms(void);
/*
 * Start the daemon in the background unless VENVD_AUTOSTART=0 or another
 * client is already starting it (flock on the autostart lock). Never waits
 * for it. Returns 0 if a start was launched.
 */
int	daemon_autostart(void);
/* Path of venvd-daemon: beside this binary, else BINDIR. */
const char *daemon_path(void);

/*
 * Resolve dir: ask the daemon within the budget, else resolve locally with
 * resolve_dir(). Returns as resolve_dir(). *generation gets the daemon's
 * generation (malloc'd) or NULL when answered locally; *cacheable is 0 when
 * the shell must not cache the answer.
 */
int	client_resolve(const struct conf *, const char *dir, struct venv_info *out,
	    char **generation, int *cacheable, char *err, size_t errlen);

/* export.c */
int	cmd_export(int argc, char **argv, const struct conf *);
/* hook.c */
int	cmd_hook(int argc, char **argv);
/* output.c */
int	cmd_resolve(int argc, char **argv, const struct conf *);
int	cmd_status(int argc, char **argv);

#endif

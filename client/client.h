/*
 * client.h: the venvd command.
 *
 *   venvd.c          command-line parsing and dispatch, usage, exit codes
 *   transport.c      one connection to the daemon within a hard time
 *                    budget; one call; replies framed by common/frame.c
 *   autostart.c      where venvd-daemon is, finding a running one by its
 *                    instance lock, starting it in the background
 *   client_resolve.c the answer for a directory: the daemon's, else the
 *                    local fallback; which directory a command is about
 *   cmd_daemon.c     venvd start, stop, restart
 *   export.c         venvd export: reads the environment, applies
 *                    common/transition.c, prints shell code (or the
 *                    hooks' answer line)
 *   cmd_exec.c       venvd exec: the same transition applied to this
 *                    process's environment, then execvp
 *   hook.c           printing the shell hooks
 *   client_trust.c   the local trust judgement (no daemon); the notice
 *                    for an untrusted venv
 *   client_git.c     the daemon's git check, run by the fallback with a
 *                    deadline
 *   cmd_trust.c      venvd allow, deny, trust
 *   cmd_index.c      the venv index: list, forget, gc, roots, watch, unwatch
 *   doctor.c         venvd doctor: checks with one suggested command each
 *   output.c         human and JSON output for resolve and status; the one
 *                    function through which terminal text goes
 *   progress.c       the one self-overwriting progress line on stderr
 *                    (a terminal only) for long work: watch, list, gc
 *
 * One header for the whole program, as tmux has tmux.h: the client is
 * small, every file needs most of it, and a section per file below says
 * where each function lives.
 */
#ifndef VENVD_CLIENT_H
#define VENVD_CLIENT_H

#include <sys/types.h>

#include <jansson.h>
#include <stdio.h>

#include "buf.h"
#include "embedded.h"
#include "git_check.h"
#include "protocol.h"
#include "resolve.h"
#include "shell_quote.h"
#include "transport_rpc.h"

/* Exit codes (documented in venvd(1)). */
#define EXIT_OK		0
#define EXIT_NONE	1	/* resolve: no venv applies; generic failure */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NODAEMON	3	/* status: no daemon running */

/* Budget for the interactive control commands (status, start, stop). */
#define CLIENT_CTL_BUDGET_MS	2000
/* How long "venvd stop" waits for the daemon to go away. */
#define CLIENT_STOP_WAIT_MS	5000
/* How long a client waits for a daemon it asked to bind its socket again. */
#define CLIENT_REBIND_WAIT_MS	2000
/*
 * How long the fallback (daemon down) waits for git to say whether a
 * venv in a repository is committed: the budget a prompt already gives
 * the daemon for a whole answer. Later is "checking version control".
 */
#define CLIENT_GIT_WAIT_MS	VENVD_CLIENT_BUDGET_MS
/* How much longer it waits for a killed git to be reaped. */
#define CLIENT_GIT_REAP_MS	100

/* The hook files compiled in from hooks/ (generated client/hooks_embed.c). */
extern const struct embedded_file hook_files[];

/* transport.c (the connection itself: common/transport.h) */
/*
 * One call on a fresh connection. NULL with err on failure; *down is set
 * to 1 when nobody listens on the socket (ENOENT/ECONNREFUSED).
 */
json_t	*client_call(const char *method, json_t *params, long long budget_ms,
	    int *down, char *err, size_t errlen);
/*
 * client_call for a request that may send notifications before its
 * result (steals params): each is handed to on_note, and each line
 * read allows budget_ms more for the next.
 */
json_t	*client_call_notified(const char *method, json_t *params,
	    long long budget_ms, transport_note_fn *on_note, void *ctx,
	    int *down, char *err, size_t errlen);

/* autostart.c */
/*
 * Nobody listens: unless another client is starting the daemon (flock on
 * the autostart lock) or it came up meanwhile, unlink the stale generation
 * file and, unless VENVD_AUTOSTART=0, start the daemon in the background.
 * Never waits for it. Returns 0 if a start was launched.
 */
int	client_autostart(void);
/*
 * Nobody answers on the socket: is a daemon running anyway? It is when
 * it holds the instance lock (<socket>.lock, which holds its pid). Its
 * pid, -1 when it runs but its pid is not written yet, or 0. With
 * rebind, ask it (SIGUSR1) to bind its socket again and wait up to
 * CLIENT_REBIND_WAIT_MS: *answers tells whether the socket answers now.
 */
long	client_daemon_by_lock(int rebind, int *answers);
/* Path of venvd-daemon: $VENVD_DAEMON, else beside this binary, else BINDIR. */
const char *client_daemon_path(void);
/* Does something accept connections on the socket right now? */
int	client_socket_answers(void);
/* Does a process with this pid exist (a zombie counts as gone)? */
int	client_pid_alive(pid_t pid);

/* client_resolve.c */

/* Where an answer came from. */
enum answer_source {
	SOURCE_DAEMON,
	SOURCE_LOCAL,
};

/*
 * Resolve the absolute dir: ask the daemon within VENVD_CLIENT_BUDGET_MS,
 * else resolve locally with resolve_dir() and the config's venv_dirs.
 * Returns as resolve_dir(). *generation gets the daemon's generation
 * (malloc'd) or NULL when answered locally; *cacheable is 0 when the
 * shell must not cache the answer (local, or the daemon said so).
 */
int	client_resolve(const char *dir, struct venv_info *out,
	    char **generation, int *cacheable, enum answer_source *source,
	    char *err, size_t errlen);

/*
 * The next client_resolve() tells the daemon that the shell will activate
 * its answer unless the answer is active (VENVD_ACTIVE, or NULL): the
 * resolve request carries "activating": true and "active": ACTIVE, so
 * the daemon counts an activation without an extra request.
 */
void	client_resolve_activating(const char *active);
/*
 * The daemon's notices with the last client_resolve() answer (faults
 * every hook shows once, e.g. "storage: ..."), one per line, each
 * starting "venvd: "; NULL when none.
 */
const char *client_resolve_notices(void);
/*
 * This process's locator environment (locator_env_collect of environ)
 * as resolve's "env" object: what the daemon resolves with for us, so
 * that its answer is the one the local fallback would give. New reference.
 */
json_t	*client_locator_env_json(void);

/*
 * The directory a command is about: dir made absolute against the
 * logical $PWD (or getcwd) and cleaned of ".", ".." and repeated "/"
 * lexically, as a shell's cd does. NULL dir means the current directory.
 * Returns a malloc'd path, or NULL with err.
 */
char	*client_dir(const char *dir, char *err, size_t errlen);
/*
 * client_resolve() for the directory a command is about (client_dir()
 * of given), left in *dir to free. Returns as client_resolve() does; -1
 * after printing why, with nothing to free.
 */
int	client_resolve_given(const char *given, char **dir,
	    struct venv_info *out, enum answer_source *source);

/* export.c */
int	cmd_export(int argc, char **argv);
struct transition_state;
/*
 * The state a transition starts from, read from this process's
 * environment (the variables of transition.h; no bookkeeping): what
 * venvd export and venvd exec step from.
 */
void	client_env_state(struct transition_state *st);
/* Is st a manual activation (VIRTUAL_ENV set, not venvd's)? */
int	client_manual_activation(const struct transition_state *st);
/*
 * With no manual activation in the environment, have the next
 * client_resolve() count an activation of its answer (unless it is
 * VENVD_ACTIVE already), as the hook does.
 */
void	client_report_activation(void);
/* cmd_exec.c */
int	cmd_exec(int argc, char **argv);
/* hook.c */
int	cmd_hook(int argc, char **argv);
int	client_pip_guard(void);
/* A fast path's file: $var if absolute, else dir/venvd.so; -1: turned off. */
int	client_fast_path_file(const char *var, const char *dir, char *out,
	    size_t len);
/* output.c */
int	cmd_resolve(int argc, char **argv);
int	cmd_status(int argc, char **argv);
/* cmd_daemon.c */
int	cmd_start(int argc, char **argv);
int	cmd_stop(int argc, char **argv);
int	cmd_restart(int argc, char **argv);
/* cmd_index.c: list, forget, gc, roots, watch, unwatch */
int	cmd_list(int argc, char **argv);
int	cmd_forget(int argc, char **argv);
int	cmd_gc(int argc, char **argv);
int	cmd_roots(int argc, char **argv);
int	cmd_watch(int argc, char **argv);
int	cmd_unwatch(int argc, char **argv);
/*
 * Call method on the daemon, starting it (unless VENVD_AUTOSTART=0) and
 * waiting up to 3 s when nobody listens. Steals params. NULL with the
 * reason printed to stderr.
 */
json_t	*client_index_call(const char *method, json_t *params);
/* Format bytes for people: 512B, 12K, 1.2G; "-" when negative (unknown). */
void	human_size(char *out, size_t len, long long bytes);
/* doctor.c */
int	cmd_doctor(int argc, char **argv);
/* venvd.c */
/* Print a usage error for cmd to stderr; returns EXIT_USAGE. */
int	usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print the help text for cmd (NULL: general) to f. */
void	usage(FILE *f, const char *cmd);
/* Is s "-h" or "--help"? */
int	is_help(const char *s);

/*
 * output.c: write s to f as text for a terminal. Every path, prompt or
 * pyvenv.cfg value printed for a person goes through here.
 */
void	term_puts(FILE *f, const char *s);
/* Append s with control characters (C0, DEL, C1) made visible as \xNN. */
void	escape_controls(struct buf *out, const char *s);

/* progress.c: one progress line on stderr, on a terminal only. */
struct progress {
	int	 on;		/* stderr is a terminal */
	int	 dumb;		/* TERM=dumb: '\r' and spaces, no escapes */
	int	 shown;		/* a line is on the screen */
	long long start_ms;	/* when the work started */
	long long drawn_ms;	/* when the line was last drawn */
	long long delay_ms;	/* show nothing for work quicker than this */
	size_t	 width;		/* columns of the line shown */
	char	 text[512];	/* the line shown */
};
/* Start timing work; the line is shown only if stderr is a terminal. */
void	progress_start(struct progress *);
/* Would progress be shown (stderr is a terminal)? */
int	progress_wanted(void);
/*
 * Draw the line (printf-style; made printable, cut to the terminal's
 * width) unless the work is younger than the delay (400 ms,
 * VENVD_PROGRESS_DELAY_MS) or it was drawn under 100 ms ago.
 */
void	progress_show(struct progress *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Would progress_show draw now (for work whose text costs to make)? */
int	progress_due(const struct progress *);
/* Erase the line, if shown: before other output and at the end. */
void	progress_clear(struct progress *);

/* cmd_trust.c */
int	cmd_allow(int argc, char **argv);
int	cmd_deny(int argc, char **argv);
int	cmd_trust(int argc, char **argv);

/* client_git.c */
/*
 * Is the venv at real (a real path) committed to git? The daemon's
 * question (common/git_check.h), waiting at most CLIENT_GIT_WAIT_MS:
 * GIT_CLEAN (no git installed too), GIT_TRACKED, GIT_ERROR with *why
 * (malloc'd), GIT_CHECKING when git was late (it is killed and reaped).
 */
enum git_state client_git_check(const char *real, char **why);

/* client_trust.c */
/*
 * The local fallback's judgement (no stored decisions): set vi->trust
 * from the hard rule, the config's trust mode and, under auto, the git
 * check and the shadow rule, in the daemon's order. The git check runs
 * only when run_git is set and a repository could hold the venv
 * (trust_rule_in_repository); a venv in a repository that is not asked
 * is "checking version control".
 */
void	client_trust_local(struct venv_info *vi, int run_git);
/* May the shell activate vi? (its trust is "trusted") */
int	client_trust_allows(const struct venv_info *vi);
/*
 * Append the one-line notice for an untrusted vi ("venvd: not activating
 * ~/x/.venv: REASON (venvd allow ~/x to trust it)"), sanitised; nothing
 * for a trusted or denied venv or one still being checked.
 */
void	client_trust_notice(struct buf *out, const struct venv_info *vi);
/* Append path for a person: $HOME shown as ~, sanitised. */
void	client_show_path(struct buf *out, const char *path);

#endif

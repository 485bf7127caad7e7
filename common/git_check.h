/*
 * git_check.h: the one question venvd asks git about a venv, shared by
 * the daemon (daemon/verdict.c, which runs it in the background of its
 * loop) and the client's fallback (client/client_trust.c, which runs it
 * with a short deadline while the daemon is down).
 *
 * Are any of the venv's own files tracked by whichever repository holds
 * them (a work tree around it, the venv as the root of one, a submodule,
 * a linked worktree, a separate git dir)?
 *
 *   git --no-optional-locks -c core.fsmonitor=false
 *       -c safe.bareRepository=explicit -C VENV
 *       ls-files -- pyvenv.cfg bin 'lib/python*' 'lib/pypy*' lib64
 *
 * with stdin on /dev/null, stdout and stderr into files the caller reads
 * back, LC_ALL=C and no GIT_* variables (git_check_environ), in its own
 * process group with no signal blocked or ignored. No repository
 * configuration can run code: ls-files runs no hooks, filters or
 * external diff, the fsmonitor hook is off and an implicit bare
 * repository is refused. What the answer means is git_check_interpret.
 */
#ifndef VENVD_GIT_CHECK_H
#define VENVD_GIT_CHECK_H

#include <sys/types.h>

enum git_state {
	GIT_CHECKING,		/* git still runs (the daemon) */
	GIT_CLEAN,		/* no file of the venv is tracked, or no repository */
	GIT_TRACKED,		/* committed to git */
	GIT_ERROR,		/* git could not answer: fails closed */
};

/* Slots in git_check_argv's vector, the terminating NULL included. */
#define GIT_CHECK_ARGC	16

/*
 * Fill argv with the command line above for the venv at real (a real
 * path; not copied: argv points into it).
 */
void	git_check_argv(char *argv[GIT_CHECK_ARGC], const char *real);

/*
 * The environment git runs in, made from env: without GIT_* (which could
 * point it at another repository or add configuration), LC_ALL and
 * LANGUAGE, and with LC_ALL=C, so its messages are the ones
 * git_check_interpret reads. malloc'd; free with git_check_environ_free.
 */
char	**git_check_environ(char *const *env);
void	  git_check_environ_free(char **env);

/*
 * Start the check of the venv at real with env as its environment and
 * its stdout and stderr on out_fd and err_fd (stdin on /dev/null), in a
 * process group of its own (so that the caller can kill git and anything
 * it started with kill(-pid, ...)), with an empty signal mask and the
 * default action for the signals that end or stop it. 0 with *pid, or
 * an errno value (ENOENT: git is not installed).
 */
int	git_check_spawn(const char *real, char **env, int out_fd, int err_fd,
	    pid_t *pid);

/*
 * What git's answer means: GIT_TRACKED, GIT_CLEAN or GIT_ERROR with *why
 * set (malloc'd), from status (waitpid's), out_len (the size of its
 * stdout) and err (the first line of its stderr):
 *
 *   exit 0, output        GIT_TRACKED
 *   exit 0, no output     GIT_CLEAN
 *   exit 128 with "fatal: not a git repository"
 *                         GIT_CLEAN: no repository holds the venv
 *   anything else         GIT_ERROR, *why being git's message without
 *                         "fatal: ", or how it ended
 * Pure.
 */
enum git_state git_check_interpret(int status, off_t out_len, const char *err,
	    char **why);

/*
 * Read back what git wrote into the files out_fd and err_fd (from offset
 * 0; they are not moved): *out_len the size of its stdout, err its first
 * stderr line (at most errlen - 1 bytes, "" when none).
 */
void	git_check_output(int out_fd, int err_fd, off_t *out_len, char *err,
	    size_t errlen);

#endif

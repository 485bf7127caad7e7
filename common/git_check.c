/*
 * git_check.c: the command line, environment and reading of venvd's one
 * git question (see git_check.h). The daemon waits for git in its loop,
 * the client's fallback with a deadline; both ask exactly this.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git_check.h"
#include "xmalloc.h"

/* Fill argv with the command line for the venv at real. */
void
git_check_argv(char *argv[GIT_CHECK_ARGC], const char *real)
{
	static const char *const fixed[GIT_CHECK_ARGC] = {
		"git", "--no-optional-locks", "-c", "core.fsmonitor=false",
		"-c", "safe.bareRepository=explicit", "-C", NULL, "ls-files",
		"--", "pyvenv.cfg", "bin", "lib/python*", "lib/pypy*", "lib64",
		NULL
	};
	size_t i;

	for (i = 0; i < GIT_CHECK_ARGC; i++)
		argv[i] = (char *)fixed[i];
	argv[7] = (char *)real;
}

/* Does the environment entry e name the variable that prefix ends with '='? */
static int
env_is(const char *e, const char *prefix)
{
	return strncmp(e, prefix, strlen(prefix)) == 0;
}

/* The environment git runs in: env without GIT_*, LC_ALL, LANGUAGE; LC_ALL=C. */
char **
git_check_environ(char *const *env)
{
	char **out;
	size_t n = 0, i;

	while (env != NULL && env[n] != NULL)
		n++;
	out = xcalloc(n + 2, sizeof *out);
	for (i = n = 0; env != NULL && env[i] != NULL; i++) {
		if (env_is(env[i], "GIT_") || env_is(env[i], "LC_ALL=") ||
		    env_is(env[i], "LANGUAGE="))
			continue;
		out[n++] = xstrdup(env[i]);
	}
	out[n++] = xstrdup("LC_ALL=C");
	out[n] = NULL;
	return out;
}

/* Free what git_check_environ made. */
void
git_check_environ_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Start git about the venv at real; 0 with *pid, or an errno value. */
int
git_check_spawn(const char *real, char **env, int out_fd, int err_fd, pid_t *pid)
{
	static const int deflt[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
	    SIGCHLD };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	char *argv[GIT_CHECK_ARGC];
	size_t i;
	int rc;

	git_check_argv(argv, real);
	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < sizeof deflt / sizeof deflt[0]; i++)
		sigaddset(&def, deflt[i]);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* Nothing of ours but 0, 1 and 2 (a shell's fds included). */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	rc = posix_spawnp(pid, "git", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* What git's answer means: GIT_TRACKED, GIT_CLEAN, or GIT_ERROR with *why. */
enum git_state
git_check_interpret(int status, off_t out_len, const char *err, char **why)
{
	const char *msg = err;

	*why = NULL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return out_len > 0 ? GIT_TRACKED : GIT_CLEAN;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 128 &&
	    strncmp(err, "fatal: not a git repository", 27) == 0)
		return GIT_CLEAN;
	if (strncmp(msg, "fatal: ", 7) == 0)
		msg += 7;
	if (WIFSIGNALED(status))
		xasprintf(why, "git was stopped by signal %d", WTERMSIG(status));
	else if (*msg != '\0')
		xasprintf(why, "%s", msg);
	else
		xasprintf(why, "git exited with status %d", WEXITSTATUS(status));
	return GIT_ERROR;
}

/* Read back git's stdout size and first stderr line. */
void
git_check_output(int out_fd, int err_fd, off_t *out_len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n = -1;

	if (errlen > 0) {
		if (err_fd != -1 && errlen > 1)
			n = pread(err_fd, err, errlen - 1, 0);
		err[n > 0 ? n : 0] = '\0';
		err[strcspn(err, "\n")] = '\0';
	}
	if (out_fd == -1 || fstat(out_fd, &st) == -1)
		*out_len = 0;
	else
		*out_len = st.st_size;
}

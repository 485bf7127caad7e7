/*
 * client_git.c: the daemon's git check (common/git_check.c), run by the
 * client's fallback while the daemon is down, waiting for git at most
 * CLIENT_GIT_WAIT_MS.
 *
 * git runs exactly as the daemon runs it (the same command line, flags,
 * environment and reading of its answer), in a process group of its
 * own, its output in memory files (so it never blocks on a full pipe and
 * never reaches the terminal). The wait blocks SIGCHLD and the signals
 * that end the client (SIGHUP, SIGINT, SIGQUIT, SIGTERM, unless they are
 * ignored) and takes them with sigtimedwait until git has ended, the
 * deadline passed or one of those signals came. Then git's whole
 * process group is killed (before git is reaped, so its id cannot have
 * been reused) and git is reaped; a killed git gets CLIENT_GIT_REAP_MS
 * more at most (one stuck in the kernel is left to init: the client
 * exits right after). A signal that came is raised again once the mask
 * is back, so ^C still ends the client, after git. A late git is not an
 * answer: GIT_CHECKING, which the fallback turns into the daemon's
 * "checking version control" (not activated, no notice).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "git_check.h"
#include "log.h"
#include "xmalloc.h"

extern char **environ;

/*
 * Wait until git (pid) has ended, leaving it unreaped (so that its pid,
 * the id of its process group, cannot be reused), or until deadline
 * (now_ms) passes or a signal of set other than SIGCHLD comes (*sig,
 * unless set already). 1 when git has ended.
 */
static int
git_wait(pid_t pid, const sigset_t *set, long long deadline, int *sig)
{
	struct timespec ts;
	siginfo_t info;
	long long left;
	int s;

	for (;;) {
		memset(&info, 0, sizeof info);
		if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
			if (info.si_pid == pid)
				return 1;
		} else if (errno != EINTR)
			return 0;	/* not our child: nothing to wait for */
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		s = sigtimedwait(set, NULL, &ts);
		if (s > 0 && s != SIGCHLD && *sig == 0) {
			*sig = s;
			return 0;
		}
	}
}

/*
 * Is the venv at real (a real path) committed to git? GIT_CLEAN,
 * GIT_TRACKED, GIT_ERROR with *why (malloc'd), or GIT_CHECKING when git
 * did not answer within CLIENT_GIT_WAIT_MS. No git installed: GIT_CLEAN,
 * as the daemon has it.
 */
enum git_state
client_git_check(const char *real, char **why)
{
	static const int ending[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
	struct sigaction dfl, old_chld, cur;
	sigset_t set, old_mask;
	enum git_state state;
	int out_fd, err_fd, rc, status = 0, sig = 0, ended;
	char err[512], **env;
	off_t out_len;
	size_t i;
	pid_t pid;

	*why = NULL;
	out_fd = memfd_create("venvd-git-out", MFD_CLOEXEC);
	err_fd = out_fd == -1 ? -1 : memfd_create("venvd-git-err", MFD_CLOEXEC);
	if (err_fd == -1) {
		xasprintf(why, "cannot run git: %s", strerror(errno));
		if (out_fd != -1)
			close(out_fd);
		return GIT_ERROR;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof ending / sizeof ending[0]; i++) {
		/* An ignored one (a background job's ^C) stays ignored. */
		if (sigaction(ending[i], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
			sigaddset(&set, ending[i]);
	}
	sigprocmask(SIG_BLOCK, &set, &old_mask);
	/* SIGCHLD ignored (inherited) would make git vanish unreaped. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);

	env = git_check_environ(environ);
	rc = git_check_spawn(real, env, out_fd, err_fd, &pid);
	git_check_environ_free(env);
	if (rc != 0) {
		if (rc == ENOENT) {
			log_debug("no git to ask about %s", real);
			state = GIT_CLEAN;
		} else {
			xasprintf(why, "cannot run git: %s", strerror(rc));
			state = GIT_ERROR;
		}
		goto out;
	}
	ended = git_wait(pid, &set, now_ms() + CLIENT_GIT_WAIT_MS, &sig);
	/* Whatever git started goes with it, whether it answered or not. */
	kill(-pid, SIGKILL);
	if (!ended) {
		log_debug("git about %s: %s, killed", real, sig != 0 ?
		    "a signal came" : "no answer in time");
		if (git_wait(pid, &set, now_ms() + CLIENT_GIT_REAP_MS, &sig))
			waitpid(pid, NULL, 0);
		state = GIT_CHECKING;
		goto out;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	git_check_output(out_fd, err_fd, &out_len, err, sizeof err);
	state = git_check_interpret(status, out_len, err, why);
	log_debug("git about %s: %s (status %d%s%s)", real,
	    state == GIT_TRACKED ? "tracked" : state == GIT_CLEAN ?
	    "not tracked" : "failed", status, *why != NULL ? ": " : "",
	    *why != NULL ? *why : "");
out:
	close(out_fd);
	close(err_fd);
	sigaction(SIGCHLD, &old_chld, NULL);
	if (sig != 0)
		raise(sig);	/* pending until the mask is back */
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return state;
}

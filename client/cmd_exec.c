/*
 * cmd_exec.c: venvd exec [-C DIR] [--require] [--] CMD [ARGS...].
 *
 * Runs CMD with the environment the prompt hook would give DIR: the
 * state is read from this process's environment (client_env_state, as
 * venvd export does), DIR's answer comes from client_resolve (the
 * daemon within the hook's budget, else the local fallback), one step
 * of common/transition.c computes the next state, and each variable
 * that changed is set or unset here. Then execvp: CMD replaces this
 * process (same pid, same stdin, stdout, stderr and signals), so its
 * exit status is CMD's.
 *
 * Nothing the hook keeps in the shell (PS1, deactivate, the notices
 * shown, suppression) applies. The pip guard is kept or lifted as the
 * hook would, but never added: with no venv CMD sees the environment it
 * was given. A manual activation (VIRTUAL_ENV set, not venvd's) is left
 * alone and DIR is not asked about, as the hook does.
 *
 * Refusals never run CMD: an untrusted, denied or broken venv is 126
 * with the reason, --require with no venv active is 1, usage is 2, CMD
 * not found 127 and not executable 126 (execvp's errors, as a shell).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "protocol.h"
#include "sanitize.h"
#include "transition.h"
#include "trust_notice.h"

/* Exit codes of venvd exec besides CMD's own (venvd(1)). */
#define EXEC_REFUSED	126	/* untrusted, denied, broken; CMD not executable */
#define EXEC_NOTFOUND	127	/* CMD not found */

/*
 * How long exec asks again while the answer is "checking version
 * control" (git still deciding whether the venv is committed): each try
 * keeps the hook's budget (and never waits for a daemon to start); the
 * tries end here. Refused after that, like any venv not judged trusted.
 */
#define EXEC_CHECK_WAIT_MS	5000
/* The pause between two of those tries. */
#define EXEC_CHECK_PAUSE_MS	50

/* Milliseconds on the monotonic clock. */
static long long
exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Is vi's trust "untrusted:checking version control"? */
static int
exec_checking(const struct venv_info *vi)
{
	return vi->trust != NULL && strcmp(vi->trust, VENVD_TRUST_CHECKING) == 0;
}

/*
 * DIR's answer as the hook's resolve gives it, asked again while git is
 * still checking the venv (up to EXEC_CHECK_WAIT_MS). Returns as
 * client_resolve(); -1 after printing why.
 */
static int
exec_resolve(const char *dir, struct venv_info *vi)
{
	enum answer_source source;
	long long deadline = exec_now_ms() + EXEC_CHECK_WAIT_MS;
	char err[512], *gen;
	int rc, cacheable;

	for (;;) {
		gen = NULL;
		rc = client_resolve(dir, vi, &gen, &cacheable, &source, err,
		    sizeof err);
		free(gen);
		if (rc == -1) {
			fprintf(stderr, "venvd: ");
			term_puts(stderr, dir);
			fprintf(stderr, ": %s\n", err);
			return -1;
		}
		if (rc == 0 || !exec_checking(vi) || exec_now_ms() >= deadline)
			return rc;
		venv_info_free(vi);
		poll(NULL, 0, EXEC_CHECK_PAUSE_MS);
	}
}

/* Print the daemon's notices (NULL: none), line by line, for a terminal. */
static void
exec_notices(const char *notices)
{
	const char *line = notices, *nl;
	char *copy;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		copy = strndup(line, nl != NULL ? (size_t)(nl - line) : strlen(line));
		if (copy != NULL) {
			term_puts(stderr, copy);
			fprintf(stderr, "\n");
			free(copy);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
}

/* Print "venvd: TEXT" lines of buf, then why cmd does not run. */
static void
exec_refuse(const struct buf *why, const char *cmd)
{
	if (why->len > 0)
		fprintf(stderr, "%s\n", why->data);
	fprintf(stderr, "venvd: exec: not running ");
	term_puts(stderr, cmd);
	fprintf(stderr, "\n");
}

/*
 * Refuse a venv the hook would not activate, or activates only with a
 * notice (broken): 126 with the reason on stderr; 0 when it may run.
 */
static int
exec_judge(const struct venv_info *vi, const char *cmd)
{
	struct buf why = BUF_INIT;
	int rc = 0;

	if (vi->trust != NULL && strcmp(vi->trust, "denied") == 0) {
		/* The daemon's deny, or the fallback's from its list. */
		trust_notice_denied(&why, vi, getenv("HOME"));
		rc = EXEC_REFUSED;
	} else if (exec_checking(vi)) {
		buf_puts(&why, "venvd: not activating ");
		client_show_path(&why, vi->path);
		buf_puts(&why, ": git did not say in time whether it is "
		    "committed (try again)");
		rc = EXEC_REFUSED;
	} else if (!client_trust_allows(vi)) {
		client_trust_notice(&why, vi);
		if (why.len == 0) {
			buf_puts(&why, "venvd: not activating ");
			client_show_path(&why, vi->path);
			buf_puts(&why, ": not trusted");
		}
		rc = EXEC_REFUSED;
	} else if (vi->broken != NULL) {
		trust_notice_broken(&why, vi);
		rc = EXEC_REFUSED;
	}
	if (rc != 0)
		exec_refuse(&why, cmd);
	buf_free(&why);
	return rc;
}

/* Set or unset, in this process's environment, each variable that changed. */
static int
exec_apply(const struct transition_state *old, const struct transition_state *new)
{
	const char *name;

	for (int i = 0; i < TR_NVARS; i++) {
		if (!transition_changed(old, new, i))
			continue;
		name = transition_var_names[i];
		if ((new->var[i] != NULL ? setenv(name, new->var[i], 1) :
		    unsetenv(name)) == -1) {
			fprintf(stderr, "venvd: exec: %s: %s\n", name,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* chdir to dir (absolute, clean) and say so in PWD, as cd does. */
static int
exec_chdir(const char *given, const char *dir)
{
	if (chdir(dir) == -1 || setenv("PWD", dir, 1) == -1) {
		fprintf(stderr, "venvd: exec: ");
		term_puts(stderr, given);
		fprintf(stderr, ": %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Replace this process with argv[0]; on failure, the shell's status. */
static int
exec_run(char **argv)
{
	int saved;

	fflush(stdout);
	fflush(stderr);
	execvp(argv[0], argv);
	saved = errno;
	fprintf(stderr, "venvd: ");
	term_puts(stderr, argv[0]);
	if (saved == ENOENT && strchr(argv[0], '/') == NULL) {
		fprintf(stderr, ": command not found\n");
		return EXEC_NOTFOUND;
	}
	fprintf(stderr, ": %s\n", strerror(saved));
	return saved == ENOENT || saved == ENOTDIR ? EXEC_NOTFOUND :
	    EXEC_REFUSED;
}

/* venvd exec [-C DIR] [--require] [--] CMD [ARGS...] */
int
cmd_exec(int argc, char **argv)
{
	struct transition_state old, new;
	struct transition_answer ans = { NULL, NULL, NULL };
	struct venv_info vi;
	struct buf prompt = BUF_INIT;
	const char *given = NULL, *guard;
	char err[512], *dir = NULL;
	int i, require = 0, rc = 0, status = EXIT_NONE;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (is_help(argv[i])) {
			usage(stdout, "exec");
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--require") == 0)
			require = 1;
		else if (strcmp(argv[i], "-C") == 0) {
			if (++i == argc)
				return usage_error("exec", "-C needs a directory");
			given = argv[i];
		} else if (strncmp(argv[i], "-C", 2) == 0)
			given = argv[i] + 2;
		else
			return usage_error("exec", "unknown option %s", argv[i]);
	}
	if (i >= argc)
		return usage_error("exec", "which command?");
	if (given != NULL && given[0] == '\0')
		return usage_error("exec", "-C needs a directory");

	if ((dir = client_dir(given, err, sizeof err)) == NULL) {
		fprintf(stderr, "venvd: %s\n", err);
		return EXIT_NONE;
	}
	if (given != NULL && exec_chdir(given, dir) == -1)
		goto out;

	memset(&vi, 0, sizeof vi);
	client_env_state(&old);
	/* The hook's pip guard is kept or lifted, never added. */
	guard = getenv("VENVD_PIP_GUARD");
	old.pip_guard_on = client_pip_guard() && guard != NULL &&
	    strcmp(guard, "1") == 0;
	transition_init(&new);
	transition_copy(&new, &old);
	if (!client_manual_activation(&old)) {
		client_report_activation();
		if ((rc = exec_resolve(dir, &vi)) == -1)
			goto done;
		exec_notices(client_resolve_notices());
		if (rc == 1 && (status = exec_judge(&vi, argv[i])) != 0)
			goto done;
		if (rc == 1) {
			sanitize_prompt(&prompt, vi.prompt);
			ans.venv = vi.path;
			ans.prompt = prompt.data;
		}
	}
	/* A manual activation: the hook leaves it, and so does exec. */
	transition_answer(&new, &ans);
	status = EXIT_NONE;
	if (require && (new.var[TR_VIRTUAL_ENV] == NULL ||
	    new.var[TR_VIRTUAL_ENV][0] == '\0')) {
		fprintf(stderr, "venvd: exec: no venv applies to ");
		term_puts(stderr, dir);
		fprintf(stderr, " (--require): not running ");
		term_puts(stderr, argv[i]);
		fprintf(stderr, "\n");
		goto done;
	}
	if (exec_apply(&old, &new) == -1)
		goto done;
	status = exec_run(argv + i);
done:
	if (rc == 1)
		venv_info_free(&vi);
	transition_free(&old);
	transition_free(&new);
	buf_free(&prompt);
out:
	free(dir);
	return status;
}

/*
 * client_trust.c: trust as the client judges and shows it. The client's
 * own judgement when the daemon is not there, and the notice the hooks
 * print for an untrusted venv.
 *
 * The local fallback has no index: the decisions live in the daemon's.
 * It applies the daemon's rules in the daemon's order: the hard rule;
 * the denies, from the list the daemon exports next to its index
 * (common/deny_list.h: DENY_LIST_FILE in the state directory, rewritten
 * at each start and each allow or deny); under trust = auto the git
 * check, then the shadow rule. Under trust = ask it activates nothing
 * (allows are not exported).
 *
 * A venv in that list, by its real path whatever its identity now, or
 * by its identity (moved), is "denied", as the daemon says it: not
 * activated, no notice. When the list cannot be read the fallback
 * cannot tell, and fails closed: "untrusted:cannot tell whether it was
 * denied: WHY" for every venv (that passes the hard rule). That is the
 * case for a list that is a symbolic link, not a regular file, not ours,
 * writable by group or others, over DENY_LIST_MAX bytes or not in its
 * exact format (cut short...), for a state directory that is not
 * private, and for a missing list next to an existing index (written by
 * a daemon from before the list, or that could not write it). A missing
 * state directory, or one with neither, is a user who never decided
 * anything: no denies.
 *
 * The git check is the daemon's own question (common/git_check.c), asked
 * synchronously by client_git.c with a deadline, and only for a venv
 * that a repository could hold (trust_rule_in_repository: a .git or a
 * bare repository at or above its real path; a few lstat calls), so a
 * venv outside every repository never starts git:
 *
 *   tracked                     "untrusted:committed to git"
 *   clean, not a repository,
 *   git not installed           on to the shadow rule
 *   git failed                  the daemon's "untrusted:cannot tell
 *                               whether it is committed to git: ..."
 *   git late (killed)           "untrusted:checking version control",
 *                               what the daemon answers while git runs:
 *                               not activated, no notice
 *
 * The fallback's answers are never cached by the hooks, so the daemon,
 * started meanwhile, answers at a later prompt. So the fallback never
 * activates a venv the daemon would refuse as committed, however it was
 * reached (a .venv directory or symlink, a .venv file, .pdm-python,
 * .python-version...).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conf.h"
#include "deny_list.h"
#include "log.h"
#include "paths.h"
#include "sanitize.h"
#include "small_file.h"
#include "trust_notice.h"
#include "trust_rules.h"
#include "xmalloc.h"

/* The reason the daemon gives while git still runs: no notice for it. */
#define TRUST_CHECKING	"untrusted:checking version control"

/*
 * The git check for the venv at path: GIT_CLEAN outside any repository,
 * GIT_CHECKING when a repository could hold it and run_git is not set;
 * else client_git_check's answer (GIT_ERROR with *why).
 */
static enum git_state
local_git_state(const char *path, int run_git, char **why)
{
	enum git_state state;
	char *real;

	*why = NULL;
	if ((real = realpath(path, NULL)) == NULL)
		return GIT_CHECKING;
	if (!trust_rule_in_repository(real))
		state = GIT_CLEAN;
	else if (!run_git)
		state = GIT_CHECKING;
	else
		state = client_git_check(real, why);
	free(real);
	return state;
}

/* Word a reason into why (len bytes), cut to fit. */
static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/*
 * Read the daemon's list of denied venvs from the state directory into
 * list: 0 (an empty list when no daemon ever kept decisions there), or
 * -1 with why the fallback cannot tell.
 */
static int
local_deny_read(struct deny_list *list, char *why, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], err[PATH_MAX + 128], *text;
	struct stat st;
	size_t n;
	int rc = -1;

	if (paths_state_dir(dir, sizeof dir, err, sizeof err) == -1) {
		why_set(why, len, "%s", err);
		return -1;
	}
	if (lstat(dir, &st) == -1 && errno == ENOENT)
		return 0;
	if (paths_private_dir(dir, 0, err, sizeof err) == -1) {
		why_set(why, len, "%s", err);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, DENY_LIST_FILE);
	switch (small_file_read_private(path, DENY_LIST_MAX, &text, &n)) {
	case SMALL_FILE_OK:
		if ((rc = deny_list_parse(text, n, list, err, sizeof err)) == -1)
			why_set(why, len, "%s: %s", path, err);
		free(text);
		return rc;
	case SMALL_FILE_OPEN:
		if (errno != ENOENT)
			break;
		/* The index is the daemon's: where it is, so must the list be. */
		snprintf(path, sizeof path, "%s/index.sqlite3", dir);
		if (lstat(path, &st) == -1 && errno == ENOENT)
			return 0;
		why_set(why, len, "%s/%s is missing while the index is there",
		    dir, DENY_LIST_FILE);
		return -1;
	case SMALL_FILE_LINK:
		why_set(why, len, "%s is a symbolic link", path);
		return -1;
	case SMALL_FILE_OWNER:
		why_set(why, len, "%s is not yours", path);
		return -1;
	case SMALL_FILE_WRITABLE:
		why_set(why, len, "%s is writable by group or others", path);
		return -1;
	case SMALL_FILE_NOT_REGULAR:
		why_set(why, len, "%s is not a regular file", path);
		return -1;
	case SMALL_FILE_TOO_BIG:
		why_set(why, len, "%s is larger than %d bytes", path,
		    DENY_LIST_MAX);
		return -1;
	case SMALL_FILE_STAT:
	case SMALL_FILE_READ:
		break;
	}
	why_set(why, len, "%s: %s", path, strerror(errno));
	return -1;
}

/*
 * Did the user deny the venv at path (the daemon's exported list, read
 * once per process)? 1 yes, 0 no, -1 with why when the list cannot tell.
 */
static int
local_denied(const char *path, char *why, size_t len)
{
	static struct deny_list list = DENY_LIST_INIT;
	static int state;		/* 0 not read, 1 read, -1 failed */
	static char failed[PATH_MAX + 256];
	struct trust_id id;
	char *real;
	int rc;

	if (state == 0) {
		state = local_deny_read(&list, failed, sizeof failed) == 0 ? 1 : -1;
		if (state == -1)
			log_debug("the list of denied venvs: %s", failed);
	}
	if (state == -1) {
		why_set(why, len, "cannot tell whether it was denied: %s", failed);
		return -1;
	}
	if (trust_rule_identity(path, &real, &id) == -1) {
		why_set(why, len, "cannot tell whether it was denied: %s",
		    strerror(errno));
		return -1;
	}
	rc = deny_list_match(&list, real, (unsigned long long)id.dev,
	    (unsigned long long)id.ino, id.born);
	free(real);
	return rc;
}

/* The local judgement: hard rule, denies, mode, git check, shadow rule. */
void
client_trust_local(struct venv_info *vi, int run_git)
{
	struct conf cfg;
	char reason[4096], cerr[512], *why;
	enum conf_trust mode;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	mode = cfg.trust;
	conf_free(&cfg);
	free(vi->trust);
	vi->trust = NULL;
	if (trust_rule_hard(vi->path, reason, sizeof reason) == -1)
		goto untrusted;
	switch (local_denied(vi->path, reason, sizeof reason)) {
	case 1:
		vi->trust = xstrdup("denied");
		return;
	case -1:
		goto untrusted;
	}
	if (mode == CONF_TRUST_ALL) {
		vi->trust = xstrdup("trusted");
		return;
	}
	if (mode == CONF_TRUST_ASK) {
		snprintf(reason, sizeof reason,
		    "not allowed yet (trust = ask; the daemon is not running)");
		goto untrusted;
	}
	switch (local_git_state(vi->path, run_git, &why)) {
	case GIT_CHECKING:
		vi->trust = xstrdup(TRUST_CHECKING);
		return;
	case GIT_TRACKED:
		snprintf(reason, sizeof reason, "committed to git");
		goto untrusted;
	case GIT_ERROR:
		snprintf(reason, sizeof reason,
		    "cannot tell whether it is committed to git: %s",
		    why != NULL ? why : "?");
		free(why);
		goto untrusted;
	case GIT_CLEAN:
		break;
	}
	if (trust_rule_shadow(vi->path, reason, sizeof reason) != 0)
		goto untrusted;
	vi->trust = xstrdup("trusted");
	return;
untrusted:
	xasprintf(&vi->trust, "untrusted:%s", reason);
}

/* May the shell activate vi? */
int
client_trust_allows(const struct venv_info *vi)
{
	return vi->trust != NULL && strcmp(vi->trust, "trusted") == 0;
}

/* Append path for a person: $HOME shown as ~, sanitised. */
void
client_show_path(struct buf *out, const char *path)
{
	trust_show_path(out, path, getenv("HOME"));
}

/* Append the notice for an untrusted venv (nothing otherwise). */
void
client_trust_notice(struct buf *out, const struct venv_info *vi)
{
	trust_notice(out, vi, getenv("HOME"));
}

/*
 * client_trust.c: trust as the client judges and shows it. The client's
 * own judgement when the daemon is not there, and the notice the hooks
 * print for an untrusted venv.
 *
 * The local fallback has no stored decisions (they live in the daemon).
 * It applies the daemon's rules in the daemon's order: the hard rule;
 * under trust = auto the git check, then the shadow rule. Under
 * trust = ask it activates nothing (it cannot see what was allowed).
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "sanitize.h"
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

/* The local judgement: hard rule, mode, git check, shadow rule. */
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

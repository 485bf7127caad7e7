/*
 * locator_venv_file.c: a .venv that is a file naming the venv (PEP 832
 * draft, virtualfish, zsh-autoswitch-virtualenv), found as "venv-file".
 *
 * L/.venv, a regular file (a symlink to one is followed), is read
 * (pointer_file.h): its first line is a path relative to L, or
 * absolute. When that is not a venv and the line holds no '/', it is
 * also looked up as a name in $WORKON_HOME, else ~/.virtualenvs (the
 * environment comes in through resolve_opts). A .venv directory is not
 * this locator's: venv_dirs has it.
 *
 * The file itself must pass the hard rule's test for a part of a venv
 * (trust_rule_pointer): owned by us or root, writable by neither group
 * nor others. zsh-autoswitch-virtualenv refuses such files too. One
 * that fails is not followed: the locator offers nothing for it and
 * logs why (a warning, so `venvd resolve` and the daemon's log say it),
 * and the walk goes on as if the file named nothing. The venv it names
 * is judged like any other venv afterwards (the hard rule, allow, the
 * git check of the venv's own path).
 *
 * Nothing points further: a candidate must be a directory with a
 * pyvenv.cfg, so a .venv file naming itself or another .venv file
 * names nothing, and there is no chain to loop through. In the long
 * walk (w->fd != -1) the file is not read and nothing is offered.
 *
 * Dependencies: the file (RESOLVE_DEP_FILE; a chmod counts), each
 * candidate that exists (locator_dep_venv), each one that does not
 * (RESOLVE_DEP_ABSENT), and the store when the name is looked up there.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "log.h"
#include "pointer_file.h"
#include "small_file.h"
#include "trust_rules.h"
#include "xmalloc.h"

/* Offer the venv at path (absolute or under L): 1 when it is one. */
static int
venv_file_try(struct locator_walk *w, const char *path)
{
	char joined[PATH_MAX * 2 + 2], real[PATH_MAX];
	int n;

	if (!locator_is_dir(w, path)) {
		locator_dep_absent(w, path);
		return 0;
	}
	/*
	 * "../envs/x" or "./x": name the venv by its real path, so that
	 * VIRTUAL_ENV and PATH hold no "..". Only the kernel can take ".."
	 * apart when a component is a symlink, so realpath, not text.
	 */
	if (!pointer_path_plain(path)) {
		n = path[0] == '/' ? snprintf(joined, sizeof joined, "%s", path) :
		    snprintf(joined, sizeof joined, "%s/%s",
		    strcmp(w->level, "/") == 0 ? "" : w->level, path);
		if (n > 0 && (size_t)n < sizeof joined &&
		    realpath(joined, real) != NULL)
			path = real;
	}
	locator_dep_venv(w, path);
	return locator_is_venv(w, path) ? locator_found(w, path, "venv-file", ".venv") : 0;
}

/* The venv L/.venv (a file) names. */
static int
locator_venv_file_at(struct locator_walk *w)
{
	char file[PATH_MAX + 16], err[256], storebuf[PATH_MAX + 1];
	char *text, *path, *cand;
	const char *store;
	struct stat st;
	size_t len;
	int is_name, rc = 0;

	if (w->fd != -1 || !locator_is_file(w, ".venv"))
		return 0;
	if (snprintf(file, sizeof file, "%s/.venv",
	    strcmp(w->level, "/") == 0 ? "" : w->level) >= (int)sizeof file)
		return 0;
	locator_dep(w, ".venv", RESOLVE_DEP_FILE);
	if (small_file_read_stat(file, VENV_FILE_MAX, &text, &len, &st) !=
	    SMALL_FILE_OK) {
		log_debug("%s: cannot be read", file);
		return 0;
	}
	if (trust_rule_pointer(&st, err, sizeof err) == -1) {
		log_warn("not following %s: %s", file, err);
		free(text);
		return 0;
	}
	if (venv_file_parse(text, len, &path, &is_name, err, sizeof err) == -1) {
		log_debug("%s: %s", file, err);
		free(text);
		return 0;
	}
	free(text);
	if (venv_file_try(w, path))
		rc = 1;
	else if (is_name && venv_file_name_ok(path) &&
	    locator_workon_home(w, storebuf) == 0) {
		store = storebuf;
		locator_dep_store(w, store);
		xasprintf(&cand, "%s/%s", store, path);
		rc = venv_file_try(w, cand);
		free(cand);
	}
	free(path);
	return rc;
}

/* Does name matter: a .venv appearing? */
static int
locator_venv_file_names(const struct resolve_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, ".venv") == 0;
}

const struct locator locator_venv_file = {
	"venv-file", locator_venv_file_at, locator_venv_file_names,
	"the .venv file's rule"
};

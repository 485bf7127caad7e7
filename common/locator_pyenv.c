/*
 * locator_pyenv.c: the virtualenv a .python-version names
 * (pyenv-virtualenv), found as "pyenv-virtualenv".
 *
 * pyenv uses the nearest .python-version walking up from the directory
 * (pyenv-version-file: the first that is a file). The walk already goes
 * up, asking each level L in turn, so L/.python-version is the nearest
 * one unless a level between the walk's start (w->dir) and L has its
 * own: that one was asked at its level and named no virtualenv, and it
 * hides L's, as it does for pyenv (a plain version there means the
 * plain Python, not L's virtualenv). Other locators at higher levels
 * still apply, as they did before this locator.
 *
 * The file's entries (pointer_file.h) are tried in order under
 * $PYENV_ROOT/versions (default ~/.pyenv/versions): the first that is a
 * venv applies, whether versions/NAME is the symlink `pyenv virtualenv`
 * makes (to versions/VER/envs/NAME), a venv directory itself, or the
 * entry is written VER/envs/NAME. "system" and plain Python versions
 * (no pyvenv.cfg) never activate anything. PYENV_VERSION and the global
 * $PYENV_ROOT/version are not read: they are not about a directory.
 *
 * The file is not judged like a .venv file: it can only choose among
 * the venvs in the user's own $PYENV_ROOT, each judged as any venv.
 *
 * Dependencies: the file (RESOLVE_DEP_FILE), versions/ (locator_dep_store),
 * each entry that exists (a venv with locator_dep_venv, a plain version
 * as RESOLVE_DEP_VENV so a pyvenv.cfg appearing counts), and each entry
 * that does not (RESOLVE_DEP_ABSENT).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "log.h"
#include "pointer_file.h"
#include "small_file.h"
#include "xmalloc.h"

/* $PYENV_ROOT/versions, else ~/.pyenv/versions, into buf; NULL if unknown. */
static const char *
pyenv_versions(struct locator_walk *w, char *buf, size_t len)
{
	const char *v;
	int n;

	if ((v = locator_env_path(w, "PYENV_ROOT")) != NULL)
		n = snprintf(buf, len, "%s/versions",
		    strcmp(v, "/") == 0 ? "" : v);
	else if ((v = locator_home(w)) != NULL)
		n = snprintf(buf, len, "%s/.pyenv/versions",
		    strcmp(v, "/") == 0 ? "" : v);
	else
		return NULL;
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

/* $PYENV_ROOT/versions, else ~/.pyenv/versions, into buf; NULL if unknown (locator.h). */
const char *
locator_pyenv_versions(struct locator_walk *w, char *buf, size_t len)
{
	return pyenv_versions(w, buf, len);
}

/*
 * Does a level below w->level, down to where the walk began, have a
 * .python-version of its own (hiding w->level's)?
 */
static int
pyenv_hidden(struct locator_walk *w)
{
	size_t lvl = strlen(w->level), n = strlen(w->dir);
	char *p;
	int hidden = 0;

	if (n <= lvl || strncmp(w->dir, w->level, lvl) != 0)
		return 0;
	p = xstrdup(w->dir);
	while (!hidden && n > lvl && n > 1) {
		char *file;

		xasprintf(&file, "%.*s/.python-version", (int)n, p);
		hidden = locator_is_file(w, file);
		free(file);
		while (n > 0 && p[n - 1] != '/')
			n--;
		if (n > 1)
			n--;
	}
	free(p);
	return hidden;
}

/* The first entry of L/.python-version that is a virtualenv. */
static int
locator_pyenv_at(struct locator_walk *w)
{
	char file[PATH_MAX + 32], err[256], versions[PATH_MAX + 1];
	char *text, **entries, *cand;
	size_t len, n;
	int rc = 0;

	if (w->fd != -1 || !locator_is_file(w, ".python-version"))
		return 0;
	if (snprintf(file, sizeof file, "%s/.python-version",
	    strcmp(w->level, "/") == 0 ? "" : w->level) >= (int)sizeof file)
		return 0;
	locator_dep(w, ".python-version", RESOLVE_DEP_FILE);
	if (small_file_read(file, PYTHON_VERSION_MAX, &text, &len) != SMALL_FILE_OK) {
		log_debug("%s: cannot be read", file);
		return 0;
	}
	if (python_version_parse(text, len, &entries, &n, err, sizeof err) == -1) {
		log_debug("%s: %s", file, err);
		free(text);
		return 0;
	}
	free(text);
	if (n == 0 || pyenv_versions(w, versions, sizeof versions) == NULL) {
		python_version_free(entries, n);
		return 0;
	}
	locator_dep_store(w, versions);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strcmp(entries[i], "system") == 0)
			continue;
		xasprintf(&cand, "%s/%s", versions, entries[i]);
		if (!locator_is_dir(w, cand))
			locator_dep_absent(w, cand);
		else if (!locator_is_venv(w, cand))
			locator_dep(w, cand, RESOLVE_DEP_VENV);	/* a plain version */
		else {
			locator_dep_venv(w, cand);
			rc = pyenv_hidden(w) ? -1 : locator_found(w, cand,
			    "pyenv-virtualenv", ".python-version");
		}
		free(cand);
	}
	python_version_free(entries, n);
	return rc == 1 ? 1 : 0;
}

/* Does name matter: a .python-version appearing? */
static int
locator_pyenv_names(const struct resolve_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, ".python-version") == 0;
}

const struct locator locator_pyenv = {
	"pyenv-virtualenv", locator_pyenv_at, locator_pyenv_names,
	"pyenv-virtualenv's rule"
};

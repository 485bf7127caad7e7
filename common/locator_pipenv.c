/*
 * locator_pipenv.c: Pipenv's venv for a level L that holds a Pipfile,
 * found as "pipenv" (Pipenv 2022.12.19, Debian 12's pipenv; its rules
 * are in pipenv/project.py).
 *
 * - L/.venv a directory: that is the venv (Pipenv uses it whatever
 *   PIPENV_VENV_IN_PROJECT says). L/.venv a file names the venv: the
 *   .venv file's own rule answers for it, this one offers nothing.
 * - No L/.venv and PIPENV_VENV_IN_PROJECT true: the venv would be
 *   L/.venv, which is not there yet.
 * - Otherwise the central venv <store>/<name>-<h8>: the store is
 *   $WORKON_HOME, else $XDG_DATA_HOME/virtualenvs, else
 *   ~/.local/share/virtualenvs; for the Pipfile's realpath P, name is
 *   the basename of P's directory with [ &$`!*@"()[]\\\r\n\t] made '_'
 *   and cut to 42 characters, and h8 the first 8 characters of
 *   urlsafe-base64(sha256(P)[:6]).
 *
 * Not followed: PIPENV_PIPFILE, PIPENV_CUSTOM_VENV_NAME, PIPENV_PYTHON
 * (a suffix on the name) and PIPENV_MAX_DEPTH. Pipenv looks for a
 * Pipfile at most 3 levels up; here a Pipfile applies to every
 * directory below it, as a .venv does. The realpath makes the answer
 * depend on symlinks above L that are not watched as such: a level
 * reached through a retargeted symlink is a new walk anyway.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "locator.h"
#include "digest.h"
#include "utf8.h"

/* Pipenv's limit on the name part (BINPRM_BUF_SIZE, see project.py). */
#define PIPENV_NAME_CHARS	42

/* Does Pipenv replace byte c of a directory name with '_'? */
static int
pipenv_unsafe(unsigned char c)
{
	return c != '\0' && strchr(" &$`!*@\"()[]\\\r\n\t", c) != NULL;
}

/* Pipenv's name for the central venv of the Pipfile at pipfile. */
int
locator_pipenv_name(const char *pipfile, char *out, size_t outlen)
{
	uint8_t digest[SHA256_LEN];
	char b64[4 * 2 + 1];
	const char *slash, *dir;
	size_t dirlen, i, o = 0, chars = 0, n;

	if (!utf8_valid(pipfile) || (slash = strrchr(pipfile, '/')) == NULL)
		return -1;
	/* The Pipfile's directory's name ("" for a Pipfile in '/'). */
	dir = slash;
	while (dir > pipfile && dir[-1] != '/')
		dir--;
	dirlen = (size_t)(slash - dir);
	for (i = 0; i < dirlen && chars < PIPENV_NAME_CHARS; chars++) {
		n = utf8_char_len(dir + i, dirlen - i);
		if (n == 0)
			return -1;	/* cannot happen: checked above */
		if (o + n >= outlen)
			return -1;
		if (n == 1 && pipenv_unsafe((unsigned char)dir[i]))
			out[o] = '_';
		else
			memcpy(out + o, dir + i, n);
		o += n;
		i += n;
	}
	sha256(pipfile, strlen(pipfile), digest);
	if (base64url_encode(digest, 6, b64, sizeof b64) != 8 ||
	    o + 1 + 8 >= outlen)
		return -1;
	out[o++] = '-';
	memcpy(out + o, b64, 8);
	out[o + 8] = '\0';
	return 0;
}

/*
 * PIPENV_VENV_IN_PROJECT as Pipenv reads it: 1 true, 0 false, -1
 * unset or empty (another value counts as true).
 */
static int
pipenv_in_project(const char *v)
{
	static const char *const no[] = { "0", "false", "no", "off" };

	if (v == NULL || v[0] == '\0')
		return -1;
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return 1;
}

/* Pipenv's store of venvs into buf (PATH_MAX + 1): 0, or -1 if there is none. */
static int
pipenv_store(struct locator_walk *w, char *buf)
{
	const char *v;
	int n;

	if ((v = locator_env_path(w, "WORKON_HOME")) != NULL)
		n = snprintf(buf, PATH_MAX + 1, "%s", v);
	else if ((v = locator_env_path(w, "XDG_DATA_HOME")) != NULL)
		n = snprintf(buf, PATH_MAX + 1, "%s/virtualenvs", v);
	else if ((v = locator_home(w)) != NULL)
		n = snprintf(buf, PATH_MAX + 1, "%s/.local/share/virtualenvs",
		    strcmp(v, "/") == 0 ? "" : v);
	else
		return -1;
	return n < 0 || n > PATH_MAX ? -1 : 0;
}

/* Pipenv's store of venvs into buf (PATH_MAX + 1): 0, or -1 (locator.h). */
int
locator_pipenv_store(struct locator_walk *w, char *buf)
{
	return pipenv_store(w, buf);
}

/* Pipenv's venv for the Pipfile at L. */
static int
locator_pipenv_at(struct locator_walk *w)
{
	char pipfile[PATH_MAX + 1], real[PATH_MAX + 1], store[PATH_MAX + 1];
	char name[NAME_MAX + 1], venv[2 * PATH_MAX + 2];
	int n;

	/* A level longer than PATH_MAX cannot be realpath'd, nor activated. */
	if (w->fd != -1 || !locator_is_file(w, "Pipfile"))
		return 0;
	locator_dep(w, "Pipfile", RESOLVE_DEP_FILE);
	if (locator_is_dir(w, ".venv")) {
		locator_dep_venv(w, ".venv");
		if (locator_is_venv(w, ".venv"))
			return locator_found(w, ".venv", "pipenv", "Pipfile");
		return 0;
	}
	/*
	 * A .venv appearing here would be Pipenv's venv, but ".venv" is
	 * not a name every level watches (venv_dirs may leave it out):
	 * watch this level's entries, for a Pipfile's level only.
	 */
	locator_dep(w, NULL, RESOLVE_DEP_DIR);
	if (locator_is_file(w, ".venv") ||
	    pipenv_in_project(locator_env(w, "PIPENV_VENV_IN_PROJECT")) == 1)
		return 0;

	n = snprintf(pipfile, sizeof pipfile, "%s/Pipfile",
	    strcmp(w->level, "/") == 0 ? "" : w->level);
	if (n < 0 || (size_t)n >= sizeof pipfile ||
	    realpath(pipfile, real) == NULL ||
	    locator_pipenv_name(real, name, sizeof name) == -1 ||
	    pipenv_store(w, store) == -1)
		return 0;
	locator_dep_store(w, store);
	n = snprintf(venv, sizeof venv, "%s/%s", strcmp(store, "/") == 0 ? "" :
	    store, name);
	if (n < 0 || n > PATH_MAX || !locator_is_dir(w, venv))
		return 0;
	locator_dep_venv(w, venv);
	if (locator_is_venv(w, venv))
		return locator_found(w, venv, "pipenv", "Pipfile");
	return 0;
}

/* Is name the Pipfile? */
static int
locator_pipenv_names(const struct resolve_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, "Pipfile") == 0;
}

const struct locator locator_pipenv = {
	"pipenv", locator_pipenv_at, locator_pipenv_names, "Pipenv's rule"
};

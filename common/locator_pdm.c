/*
 * locator_pdm.c: the interpreter a PDM project at L has chosen, found
 * as "pdm". PDM >= 2.5 keeps its path in L/.pdm-python (one line);
 * older PDM, Debian 12's python3-pdm 2.2.1 among them, in the
 * [python] path key of L/.pdm.toml ("pdm use" writes either). When
 * that interpreter is <venv>/bin/<name> and <venv> is a venv, <venv>
 * applies, wherever it is: in the project (PDM's default .venv, also
 * found by venv_dirs) or in PDM's central venv.location. A relative
 * path is taken from L. A path that is not clean (".", "..", "//"), or
 * an interpreter outside a venv, offers nothing. A .pdm-python that
 * exists decides alone, as it does for PDM.
 *
 * Both files name a venv by any path, as a .venv file does, so they
 * pass the same test (locator_read_pointer: owned by us or root,
 * writable by neither group nor others) or are not followed. The venv
 * they lead to is judged like any other (the hard rule, allow, the git
 * check of the venv's own files): a pointer only selects.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "pointer_file.h"
#include "toml.h"
#include "xmalloc.h"

#define PDM_FILE_MAX	(64 * 1024)

/* The venv whose bin/ holds the interpreter python (named in via): 1 (found) when it is one. */
static int
pdm_offer(struct locator_walk *w, const char *python, const char *via)
{
	char *venv, *slash;
	int found = 0;

	if (python[0] == '\0' || strlen(python) > PATH_MAX || !pointer_path_plain(python))
		return 0;
	venv = xstrdup(python);
	/* <venv>/bin/<interpreter> */
	if ((slash = strrchr(venv, '/')) == NULL || slash == venv)
		goto out;
	*slash = '\0';
	if ((slash = strrchr(venv, '/')) == NULL || strcmp(slash, "/bin") != 0)
		goto out;
	if (slash == venv)
		goto out;
	*slash = '\0';
	if (locator_is_dir(w, venv)) {
		locator_dep_venv(w, venv);
		if (locator_is_venv(w, venv))
			found = locator_found(w, venv, "pdm", via);
	}
out:
	free(venv);
	return found;
}

/* The interpreter .pdm-python names: its one line, without the newline. */
static char *
pdm_python_file(struct locator_walk *w)
{
	char *text, *nl;
	size_t len;

	if (!locator_read_pointer(w, ".pdm-python", PDM_FILE_MAX, &text, &len))
		return NULL;
	/* PDM strips the text it reads. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	if ((nl = strchr(text, '\n')) != NULL) {
		free(text);
		return NULL;
	}
	return text;
}

/* [python] path of .pdm.toml. */
static char *
pdm_toml_path(struct locator_walk *w)
{
	static const char *const keys[] = { "python", "path" };
	struct toml_want want = { keys, 2, TOML_STRING, 0, NULL, 0 };
	char err[256], *text;
	size_t len;

	if (!locator_read_pointer(w, ".pdm.toml", PDM_FILE_MAX, &text, &len))
		return NULL;
	if (toml_lookup(text, len, &want, 1, err, sizeof err) == -1)
		want.str = NULL;
	free(text);
	return want.str;
}

/* The venv of the interpreter PDM recorded for L. */
static int
locator_pdm_at(struct locator_walk *w)
{
	const char *via = ".pdm-python";
	char *python = NULL;
	int found = 0;

	if (w->fd != -1)
		return 0;
	if (locator_is_file(w, ".pdm-python")) {
		locator_dep(w, ".pdm-python", RESOLVE_DEP_FILE);
		python = pdm_python_file(w);
	} else if (locator_is_file(w, ".pdm.toml")) {
		locator_dep(w, via = ".pdm.toml", RESOLVE_DEP_FILE);
		python = pdm_toml_path(w);
	}
	if (python == NULL)
		return 0;
	if (python[0] != '/') {
		char *abs;

		xasprintf(&abs, "%s%s%s", w->level,
		    strcmp(w->level, "/") == 0 ? "" : "/", python);
		free(python);
		python = abs;
	}
	found = pdm_offer(w, python, via);
	free(python);
	return found;
}

/* Does an entry called name decide a PDM answer at a level? */
static int
locator_pdm_names(const struct resolve_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, ".pdm-python") == 0 || strcmp(name, ".pdm.toml") == 0;
}

const struct locator locator_pdm = {
	"pdm", locator_pdm_at, locator_pdm_names, "PDM's rule"
};

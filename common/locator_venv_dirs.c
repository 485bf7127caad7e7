/*
 * locator_venv_dirs.c: a project's own venv, L/N for each name N of the
 * config's venv_dirs (".venv", "venv") in order, found as N.
 */
#include "config.h"

#include <string.h>

#include "locator.h"

/* The first L/N that is a venv. */
static int
locator_venv_dirs_at(struct locator_walk *w)
{
	const struct resolve_opts *opts = w->opts;

	for (size_t i = 0; i < opts->n_venv_dirs; i++) {
		const char *name = opts->venv_dirs[i];

		/* Not there: the level's watch sees it appear. */
		if (!locator_is_dir(w, name))
			continue;
		locator_dep_venv(w, name);
		if (locator_is_venv(w, name))
			return locator_found(w, name, name, name);
	}
	return 0;
}

/* Is name one of venv_dirs? */
static int
locator_venv_dirs_names(const struct resolve_opts *opts, const char *name)
{
	for (size_t i = 0; i < opts->n_venv_dirs; i++) {
		if (strcmp(name, opts->venv_dirs[i]) == 0)
			return 1;
	}
	return 0;
}

const struct locator locator_venv_dirs = {
	"venv_dirs", locator_venv_dirs_at, locator_venv_dirs_names,
	"the venv_dirs rule"
};

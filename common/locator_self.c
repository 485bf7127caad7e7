/*
 * locator_self.c: a level that is a venv itself (L/pyvenv.cfg and
 * L/bin/python), found as "self", its own project.
 */
#include "config.h"

#include "locator.h"

/* L itself, if it is a venv. */
static int
locator_self_at(struct locator_walk *w)
{
	if (!locator_is_file(w, "pyvenv.cfg"))
		return 0;
	if (locator_has_python(w, NULL)) {
		locator_dep_venv(w, NULL);
		return locator_found(w, NULL, "self", "pyvenv.cfg");
	}
	/* Half made: python appearing in bin/ completes it. */
	if (locator_is_dir(w, "bin"))
		locator_dep(w, "bin", RESOLVE_DEP_BIN);
	return 0;
}

const struct locator locator_self = {
	"self", locator_self_at, NULL, "the directory is a venv"
};

/*
 * locator.c: the table of locators, in the order each level asks them.
 *
 * A level that is a venv itself comes first: a directory inside a venv
 * belongs to that venv, not to a .venv it might contain. Then the
 * project's own venv directories, in the config's venv_dirs order.
 * New locators are one line here (see locator.h).
 */
#include "config.h"

#include <string.h>

#include "locator.h"

const struct locator *const locators[] = {
	&locator_self,
	&locator_venv_file,
	&locator_venv_dirs,
	&locator_pyenv,
	NULL
};

/* Does an entry called name decide the answer of some locator of table at a level? */
int
locator_names_match(const struct locator *const *table,
    const struct resolve_opts *opts, const char *name)
{
	for (size_t i = 0; table[i] != NULL; i++) {
		if (table[i]->names != NULL && table[i]->names(opts, name))
			return 1;
	}
	return 0;
}

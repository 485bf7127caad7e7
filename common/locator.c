/*
 * locator.c: the table of locators, in the order each level asks them.
 *
 * A level that is a venv itself comes first: a directory inside a venv
 * belongs to that venv, not to a .venv it might contain. Then the
 * project's own venv directories, in the config's venv_dirs order.
 * New locators are one line here (see locator.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "xmalloc.h"

const struct locator *const locators[] = {
	&locator_self,
	&locator_venv_dirs,
	&locator_pipenv,
	&locator_virtualenvwrapper,
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

/* One locator's slot for the rest of a walk. */
struct locator_memo {
	const struct locator	*loc;
	void			*data;
	void			(*freefn)(void *);
	struct locator_memo	*next;
};

/* The slot loc keeps for the rest of the walk. */
void **
locator_memo(struct locator_walk *w, const struct locator *loc,
    void (*freefn)(void *))
{
	struct locator_memo *m;

	for (m = w->memo; m != NULL; m = m->next) {
		if (m->loc == loc)
			return &m->data;
	}
	m = xcalloc(1, sizeof *m);
	m->loc = loc;
	m->freefn = freefn;
	m->next = w->memo;
	w->memo = m;
	return &m->data;
}

/* The walk ends: free what the locators kept. */
void
locator_memo_free(struct locator_walk *w)
{
	struct locator_memo *m, *next;

	for (m = w->memo; m != NULL; m = next) {
		next = m->next;
		if (m->data != NULL && m->freefn != NULL)
			m->freefn(m->data);
		free(m);
	}
	w->memo = NULL;
}

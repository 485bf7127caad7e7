/*
 * locator.c: the table of locators, in the order each level asks them.
 *
 * A level that is a venv itself comes first: a directory inside a venv
 * belongs to that venv, not to a .venv it might contain. Then the
 * project's own venv directories, in the config's venv_dirs order.
 * New locators are one line here (see locator.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "log.h"
#include "small_file.h"
#include "trust_rules.h"
#include "xmalloc.h"

const struct locator *const locators[] = {
	&locator_self,
	&locator_venv_file,
	&locator_venv_dirs,
	&locator_pdm,
	&locator_poetry,
	&locator_pipenv,
	&locator_pyenv,
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

/* The value of name in w->opts->env; NULL when it is unset or empty. */
const char *
locator_env(struct locator_walk *w, const char *name)
{
	size_t n = strlen(name);

	if (w->opts->env == NULL)
		return NULL;
	for (size_t i = 0; w->opts->env[i] != NULL; i++) {
		const char *e = w->opts->env[i];

		if (strncmp(e, name, n) == 0 && e[n] == '=')
			return e[n + 1] != '\0' ? e + n + 1 : NULL;
	}
	return NULL;
}

/* The value of name in w->opts->env if it is an absolute path, else NULL. */
const char *
locator_env_path(struct locator_walk *w, const char *name)
{
	const char *v = locator_env(w, name);

	return v != NULL && v[0] == '/' ? v : NULL;
}

/* The user's home: $HOME if it is absolute, else NULL (no central store is then looked at). */
const char *
locator_home(struct locator_walk *w)
{
	return locator_env_path(w, "HOME");
}

/* The store of named venvs ($WORKON_HOME, else ~/.virtualenvs) into buf (PATH_MAX + 1): 0, or -1 if unknown. */
int
locator_workon_home(struct locator_walk *w, char *buf)
{
	const char *v;
	int n;

	if ((v = locator_env_path(w, "WORKON_HOME")) != NULL)
		n = snprintf(buf, PATH_MAX + 1, "%s", v);
	else if ((v = locator_home(w)) != NULL)
		n = snprintf(buf, PATH_MAX + 1, "%s/.virtualenvs",
		    strcmp(v, "/") == 0 ? "" : v);
	else
		return -1;
	return n < 0 || n > PATH_MAX ? -1 : 0;
}

/* Read the small file rel under the level (or absolute) into *text: 1, else 0. */
int
locator_read(struct locator_walk *w, const char *rel, size_t max, char **text,
    size_t *len)
{
	char path[PATH_MAX + 1];
	int n;

	*text = NULL;
	*len = 0;
	if (w->fd != -1)
		return 0;
	if (rel[0] == '/')
		n = snprintf(path, sizeof path, "%s", rel);
	else
		n = snprintf(path, sizeof path, "%s%s%s", w->level,
		    strcmp(w->level, "/") == 0 ? "" : "/", rel);
	if (n < 0 || (size_t)n >= sizeof path)
		return 0;
	if (small_file_read(path, max, text, len) != SMALL_FILE_OK)
		return 0;
	if (memchr(*text, '\0', *len) != NULL) {
		free(*text);
		*text = NULL;
		*len = 0;
		return 0;
	}
	return 1;
}

/* Read the pointer file rel like locator_read, refusing one others could write. */
int
locator_read_pointer(struct locator_walk *w, const char *rel, size_t max,
    char **text, size_t *len)
{
	char path[PATH_MAX + 1], why[256];
	struct stat st;
	int n;

	*text = NULL;
	*len = 0;
	if (w->fd != -1)
		return 0;
	if (rel[0] == '/')
		n = snprintf(path, sizeof path, "%s", rel);
	else
		n = snprintf(path, sizeof path, "%s%s%s", w->level,
		    strcmp(w->level, "/") == 0 ? "" : "/", rel);
	if (n < 0 || (size_t)n >= sizeof path)
		return 0;
	if (small_file_read_stat(path, max, text, len, &st) != SMALL_FILE_OK)
		return 0;
	if (trust_rule_pointer(&st, why, sizeof why) == -1) {
		log_warn("not following %s: %s", path, why);
		goto refuse;
	}
	if (memchr(*text, '\0', *len) != NULL)
		goto refuse;
	return 1;
refuse:
	free(*text);
	*text = NULL;
	*len = 0;
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

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
#include "locator_env.h"
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

/* The locator of locators[] called name, or NULL. */
const struct locator *
locator_by_name(const char *name)
{
	for (size_t i = 0; locators[i] != NULL; i++) {
		if (strcmp(locators[i]->name, name) == 0)
			return locators[i];
	}
	return NULL;
}

/* Is loc on for opts? "self" always is. */
int
locator_on(const struct resolve_opts *opts, const struct locator *loc)
{
	if (loc == &locator_self)
		return 1;
	for (size_t i = 0; i < opts->n_locators_off; i++) {
		if (strcmp(opts->locators_off[i], loc->name) == 0)
			return 0;
	}
	return 1;
}

/* Does an entry called name decide the answer of some locator of table (on for opts) at a level? */
int
locator_names_match(const struct locator *const *table,
    const struct resolve_opts *opts, const char *name)
{
	for (size_t i = 0; table[i] != NULL; i++) {
		if (table[i]->names != NULL && locator_on(opts, table[i]) &&
		    table[i]->names(opts, name))
			return 1;
	}
	return 0;
}

/*
 * The value of name in w->opts->env; NULL when it is unset, empty or
 * breaks locator_env_check, or when name is not in locator_env_vars[]
 * (a locator reads only listed variables: the daemon answers clients for
 * their values of exactly those).
 */
const char *
locator_env(struct locator_walk *w, const char *name)
{
	const char *v;
	char err[128];

	if (locator_env_lookup(name) == NULL)
		return NULL;
	if ((v = locator_env_find(w->opts->env, name)) == NULL ||
	    locator_env_check(name, v, strlen(v), err, sizeof err) != 1)
		return NULL;
	return v;
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

/*
 * Read the small file rel under the level (or absolute) into *text: 1,
 * else 0. A pointer file must also pass trust_rule_pointer.
 */
static int
locator_read_file(struct locator_walk *w, const char *rel, size_t max,
    char **text, size_t *len, int pointer)
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
	if (pointer && trust_rule_pointer(&st, why, sizeof why) == -1) {
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

/* Read the small file rel under the level (or absolute) into *text: 1, else 0. */
int
locator_read(struct locator_walk *w, const char *rel, size_t max, char **text,
    size_t *len)
{
	return locator_read_file(w, rel, max, text, len, 0);
}

/* Read the pointer file rel like locator_read, refusing one others could write. */
int
locator_read_pointer(struct locator_walk *w, const char *rel, size_t max,
    char **text, size_t *len)
{
	return locator_read_file(w, rel, max, text, len, 1);
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

/* Add a store at path (may be NULL: none) to out[*n]. */
static void
store_add(struct locator_store *out, size_t *n, char *path,
    const char *manager, const char *via)
{
	if (path == NULL)
		return;
	if (*n == LOCATOR_MAX_STORES || path[0] != '/') {
		free(path);
		return;
	}
	out[*n].path = path;
	out[*n].manager = manager;
	out[*n].via = via;
	(*n)++;
}

/* The tools' central stores for opts' environment. */
size_t
locator_stores(const struct resolve_opts *opts, struct locator_store *out)
{
	struct resolve_opts quiet = *opts;
	struct locator_walk w;
	char buf[PATH_MAX + 1];
	size_t n = 0;

	quiet.dep = NULL;	/* nothing is being answered */
	memset(&w, 0, sizeof w);
	w.opts = &quiet;
	w.level = "/";
	w.dir = "/";
	w.fd = -1;
	store_add(out, &n, locator_poetry_store(&w), "poetry", NULL);
	if (locator_pipenv_store(&w, buf) == 0)
		store_add(out, &n, xstrdup(buf), "pipenv", NULL);
	if (locator_workon_home(&w, buf) == 0)
		store_add(out, &n, xstrdup(buf), "virtualenvwrapper", NULL);
	if (locator_pyenv_versions(&w, buf, sizeof buf) != NULL)
		store_add(out, &n, xstrdup(buf), "pyenv-virtualenv", "envs");
	return n;
}

/* Free what locator_stores filled in. */
void
locator_stores_free(struct locator_store *stores, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(stores[i].path);
		stores[i].path = NULL;
	}
}

/* Is dir (of dirlen bytes) the store st, or one of its <any>/<via> directories? */
static int
store_dir_is(const struct locator_store *st, const char *dir, size_t dirlen)
{
	size_t n = strlen(st->path), vlen;
	const char *rest;

	if (dirlen == n && memcmp(dir, st->path, n) == 0)
		return 1;
	if (st->via == NULL || dirlen <= n + 1 || memcmp(dir, st->path, n) != 0 ||
	    dir[n] != '/')
		return 0;
	/* <store>/<name>/<via> */
	rest = dir + n + 1;
	vlen = strlen(st->via);
	dirlen -= n + 1;
	if (dirlen < vlen + 2 || memcmp(rest + dirlen - vlen, st->via, vlen) != 0 ||
	    rest[dirlen - vlen - 1] != '/')
		return 0;
	return memchr(rest, '/', dirlen - vlen - 1) == NULL;
}

/* The index of the first store holding path, or -1. */
static int
store_of(const struct locator_store *stores, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash[1] == '\0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (store_dir_is(&stores[i], path, slash == path ? 1 :
		    (size_t)(slash - path)))
			return (int)i;
	}
	return -1;
}

/* Does a store of stores hold the venv at path? */
int
locator_in_store(const struct locator_store *stores, size_t n,
    const char *path)
{
	return store_of(stores, n, path) != -1;
}

/* Is path's name Pipenv's name for the project at backref? */
static int
is_pipenv_name(const char *path, const char *backref)
{
	char pipfile[PATH_MAX + 1], name[256];
	int len;

	if (backref == NULL || backref[0] != '/')
		return 0;
	len = snprintf(pipfile, sizeof pipfile, "%s/Pipfile",
	    strcmp(backref, "/") == 0 ? "" : backref);
	if (len < 0 || (size_t)len >= sizeof pipfile ||
	    locator_pipenv_name(pipfile, name, sizeof name) == -1)
		return 0;
	return strcmp(strrchr(path, '/') + 1, name) == 0;
}

/* Which tool keeps the venv at path, for the index (locator.h). */
const char *
locator_manager(const struct locator_store *stores, size_t n,
    const char *path, const char *project, const char *found_as,
    const char *backref)
{
	const char *manager = NULL;
	size_t plen;
	int i, shared = 0;

	if ((i = store_of(stores, n, path)) != -1) {
		manager = stores[i].manager;
		for (size_t j = 0; j < n; j++) {
			if (strcmp(stores[j].path, stores[i].path) == 0 &&
			    strcmp(stores[j].manager, manager) != 0)
				shared = 1;
		}
		if (!shared)
			return manager;
		/* $WORKON_HOME, both Pipenv's and virtualenvwrapper's. */
		return is_pipenv_name(path, backref) ? "pipenv" :
		    "virtualenvwrapper";
	}
	if (found_as == NULL || strcmp(found_as, "self") == 0)
		return "venv";
	if (project != NULL && (plen = strlen(project)) < strlen(path) &&
	    strncmp(path, project, plen) == 0 &&
	    strcmp(path + plen + (strcmp(project, "/") != 0), found_as) == 0 &&
	    (strcmp(project, "/") == 0 || path[plen] == '/'))
		return "venv";	/* a venv_dirs name */
	for (size_t k = 0; locators[k] != NULL; k++) {
		if (locators[k] != &locator_self &&
		    locators[k] != &locator_venv_dirs &&
		    strcmp(locators[k]->name, found_as) == 0)
			return locators[k]->name;
	}
	return "venv";
}

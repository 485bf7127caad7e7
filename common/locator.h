/*
 * locator.h: the rules that say where a project directory's venv is.
 *
 * resolve.c walks from a directory up to '/'. At each level L it asks
 * the locators in locators[] (locator.c), in table order, for the venvs
 * they offer at L. The first candidate that is a venv (pyvenv.cfg and a
 * bin/python entry) wins; a level nearer the directory wins over every
 * level above it, whatever the locators' order.
 *
 * A locator is one file, common/locator_NAME.c, that defines
 *
 *	const struct locator locator_NAME = { "NAME", locator_NAME_at };
 *
 * Its function looks at L only through the helpers below (they work on
 * a path, and on a directory fd in resolve_long_levels, where L can be
 * longer than PATH_MAX; w->fd != -1 there, and a locator that must read
 * a file by its path may offer nothing), reports with locator_dep()
 * every existing path whose change could alter what it offers, and ends
 * with locator_found() for the first candidate that is a venv. The
 * daemon's cache watches exactly what is reported, so a dependency left
 * out is an answer that goes stale: a candidate venv root with
 * locator_dep_venv(), a file the locator reads (pyproject.toml, a .venv
 * file) as RESOLVE_DEP_FILE, a directory outside the project whose
 * entries matter (a tool's store of venvs) as RESOLVE_DEP_DIR, and a
 * path that would matter if it existed (a store not made yet, a venv a
 * pointer file names) as RESOLVE_DEP_ABSENT: locator_dep_store() and
 * locator_dep_absent() choose.
 *
 * Entries of L other than pyvenv.cfg and bin/ whose appearing decides
 * its answer (a candidate directory, a file it would read) are named by
 * its names function, so that the cache's watch on L drops the answer
 * when one is created, removed or renamed. The found_as it gives is
 * shown to users ("self", the venv_dirs name); a new locator uses its
 * own name ("poetry").
 *
 * To add one: write common/locator_NAME.c, list it in Makefile.am
 * (common_libvenvd_common_a_SOURCES), declare it below, and add one line
 * to locators[] in locator.c where its precedence at a level falls.
 */
#ifndef VENVD_LOCATOR_H
#define VENVD_LOCATOR_H

#include "resolve.h"

/* One level of a walk, as the locators see it. */
struct locator_walk {
	const struct resolve_opts *opts;	/* the config (venv_dirs) */
	const char	*level;		/* L: absolute, normalised */
	const char	*dir;		/* where the walk began (L or below it) */
	int		 fd;		/* L opened (long walk), else -1 */
	struct venv_info *out;		/* filled by locator_found, or NULL */
	struct locator_memo *memo;	/* what locators keep until the walk ends */
};

struct locator {
	const char	*name;		/* found_as, and its name in the config's locators */
	/*
	 * Offer the candidates at w->level in order: 1 (from
	 * locator_found) for the first that is a venv, else 0.
	 */
	int		(*at)(struct locator_walk *w);
	/*
	 * Does an entry of a level called name (not pyvenv.cfg or bin,
	 * which every level watch already follows) decide an answer?
	 * NULL: none does.
	 */
	int		(*names)(const struct resolve_opts *opts, const char *name);
	/* How venvd resolve names the rule: "Poetry's rule"; NULL: "<name>'s rule". */
	const char	*rule;
};

/* The table, in the order each level asks them; ends with NULL. */
extern const struct locator *const locators[];

extern const struct locator locator_self;
extern const struct locator locator_venv_dirs;
extern const struct locator locator_venv_file;
extern const struct locator locator_pyenv;
extern const struct locator locator_pdm;
extern const struct locator locator_poetry;
extern const struct locator locator_pipenv;
extern const struct locator locator_virtualenvwrapper;

/*
 * Pipenv's name for the central venv of the Pipfile at pipfile (its
 * realpath): "<dir name, sanitised, 42 characters>-<h8>" into out.
 * 0, or -1 if it does not fit or the path is not UTF-8 (Pipenv cannot
 * hash one that is not).
 */
int	locator_pipenv_name(const char *pipfile, char *out, size_t outlen);

/* Where the tools keep their central venvs (locator_poetry.c, _pipenv.c, _pyenv.c). */
int	locator_pipenv_store(struct locator_walk *w, char *buf);
char	*locator_poetry_store(struct locator_walk *w);
const char *locator_pyenv_versions(struct locator_walk *w, char *buf, size_t len);

/*
 * A central store of venvs a tool keeps. Its venvs are its entries, or
 * with via, the entries of <path>/<any name>/<via> as well
 * (pyenv-virtualenv's versions/<version>/envs/<name>).
 */
struct locator_store {
	char		*path;		/* absolute, malloc'd */
	const char	*manager;	/* "poetry", "pipenv", "virtualenvwrapper", "pyenv-virtualenv" */
	const char	*via;		/* NULL, or "envs" */
};
#define LOCATOR_MAX_STORES	4

/*
 * The stores for opts' environment into out (LOCATOR_MAX_STORES): Poetry's
 * virtualenvs.path (its config.toml and POETRY_*), Pipenv's ($WORKON_HOME,
 * else $XDG_DATA_HOME/virtualenvs, else ~/.local/share/virtualenvs),
 * virtualenvwrapper's ($WORKON_HOME, else ~/.virtualenvs) and
 * $PYENV_ROOT/versions. Whether they exist is not looked at; Pipenv and
 * virtualenvwrapper may share one path. Returns how many.
 */
size_t	locator_stores(const struct resolve_opts *opts, struct locator_store *out);
void	locator_stores_free(struct locator_store *stores, size_t n);
/* Does a store of stores hold the venv at path (is it one of its venvs)? */
int	locator_in_store(const struct locator_store *stores, size_t n,
	    const char *path);
/*
 * Which tool keeps the venv at path, for the index: the manager of the
 * store holding it (Pipenv's when both Pipenv and virtualenvwrapper use
 * that store and path's name is Pipenv's name for backref/Pipfile, else
 * virtualenvwrapper's); else the locator found_as names ("poetry",
 * "pipenv", "pdm", "pyenv-virtualenv", "virtualenvwrapper", "venv-file");
 * else (found_as "self", or a venv_dirs name: path is project/found_as)
 * "venv". backref is the venv's .project back-reference, or NULL. Pure.
 */
const char *locator_manager(const struct locator_store *stores, size_t n,
	    const char *path, const char *project, const char *found_as,
	    const char *backref);

/*
 * What a locator may ask about w->level. rel is a path under the level
 * ("bin", ".venv/pyvenv.cfg"); NULL or "" is the level itself. Nothing
 * that cannot be looked at (EACCES, ENOENT, ELOOP) exists.
 */
/* Is rel a directory (following symlinks)? */
int	locator_is_dir(struct locator_walk *w, const char *rel);
/* Is rel something other than a directory (following symlinks)? */
int	locator_is_file(struct locator_walk *w, const char *rel);
/* Is there a rel/bin/python entry that is not a directory (a dangling symlink counts)? */
int	locator_has_python(struct locator_walk *w, const char *rel);
/* Is rel a venv: rel/pyvenv.cfg a file and a rel/bin/python entry? */
int	locator_is_venv(struct locator_walk *w, const char *rel);
/* Report rel as a dependency of the answer (nothing in the long walk). */
void	locator_dep(struct locator_walk *w, const char *rel, enum resolve_dep kind);
/* Report rel as a candidate venv root, and rel/bin if it is a directory. */
void	locator_dep_venv(struct locator_walk *w, const char *rel);
/*
 * Report rel, which does not exist, as RESOLVE_DEP_ABSENT: its appearing
 * matters, nothing else near it (the daemon follows that one name in
 * the nearest directory that exists, often $HOME, whose other entries
 * change all the time).
 */
void	locator_dep_absent(struct locator_walk *w, const char *rel);
/* Report the store rel: RESOLVE_DEP_DIR (any entry matters) if it is a directory, else RESOLVE_DEP_ABSENT. */
void	locator_dep_store(struct locator_walk *w, const char *rel);
/*
 * The venv at rel applies, with project w->level, found as found_as
 * because of the file via (the one that made the rule apply, relative
 * to the level, or absolute when it lies elsewhere: "pyproject.toml",
 * "Pipfile", "<venv>/.project"): fill w->out (if wanted) and return 1,
 * for the locator to return.
 */
int	locator_found(struct locator_walk *w, const char *rel,
	    const char *found_as, const char *via);

/*
 * The value of name in w->opts->env; NULL when it is unset, empty or
 * invalid (locator_env.h), or not listed in locator_env_vars[]: a
 * locator that reads a new variable lists it there.
 */
const char *locator_env(struct locator_walk *w, const char *name);
/* The value of name in w->opts->env if it is an absolute path, else NULL. */
const char *locator_env_path(struct locator_walk *w, const char *name);
/* The user's home: $HOME if it is absolute, else NULL (no central store is then looked at). */
const char *locator_home(struct locator_walk *w);
/*
 * The store of named venvs that virtualenvwrapper, virtualfish and
 * .venv files share ($WORKON_HOME, else ~/.virtualenvs) into buf
 * (PATH_MAX + 1 bytes): 0, or -1 if there is no home to put it in.
 */
int	locator_workon_home(struct locator_walk *w, char *buf);
/*
 * Read the small file rel (at most max bytes, a regular file holding no
 * NUL) into *text (malloc'd, NUL-terminated) and *len: 1, or 0 when it
 * is missing, unreadable or refused, or in the long walk.
 */
int	locator_read(struct locator_walk *w, const char *rel, size_t max,
	    char **text, size_t *len);
/*
 * locator_read for a file that names a venv by its path (.pdm-python,
 * .pdm.toml): also 0, with a warning in the log, when the file fails
 * trust_rule_pointer (owned by someone other than us or root, or
 * writable by group or others), so that nobody else can choose the
 * venv. The venv it names is judged afterwards like any other.
 */
int	locator_read_pointer(struct locator_walk *w, const char *rel, size_t max,
	    char **text, size_t *len);
/*
 * The slot locator loc keeps for the rest of the walk (a store it read
 * once, not at every level): *slot is NULL the first time; what the
 * locator puts there is given to freefn when the walk ends.
 */
void	**locator_memo(struct locator_walk *w, const struct locator *loc,
	    void (*freefn)(void *));
/* The walk ends: free what the locators kept (resolve.c calls it). */
void	locator_memo_free(struct locator_walk *w);

/* The locator of locators[] called name ("poetry"), or NULL. */
const struct locator *locator_by_name(const char *name);
/*
 * Is loc on for opts (not named in opts->locators_off)? The level
 * itself ("self") is always on.
 */
int	locator_on(const struct resolve_opts *opts, const struct locator *loc);

/* Does an entry called name decide the answer of some locator of table at a level (of those on)? */
int	locator_names_match(const struct locator *const *table,
	    const struct resolve_opts *opts, const char *name);

#endif

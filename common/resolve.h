/*
 * resolve.h: which venv applies to a directory. Shared by the daemon
 * and the client's fallback so both give the same answer.
 *
 * Walk from dir up to '/', along the path as given (logical $PWD). At
 * each level L ask the locators (locator.h) in table order: L itself if
 * L/pyvenv.cfg and L/bin/python exist (found_as "self"); else for each
 * name N in venv_dirs, L/N with project L if L/N/pyvenv.cfg and
 * L/N/bin/python exist (found_as N). The nearest match wins. A dangling
 * bin/python still counts.
 */
#ifndef VENVD_RESOLVE_H
#define VENVD_RESOLVE_H

#include <stddef.h>

#include "venv_cfg.h"

struct conf;

struct venv_info {
	char	*path;		/* the venv root, as reached (L or L/N) */
	char	*project;	/* the directory it belongs to */
	char	*python;	/* <path>/bin/python */
	char	*version;	/* may be NULL */
	char	*home;		/* may be NULL */
	char	*prompt;	/* never NULL: cfg prompt, project name, or venv dir name */
	int	 include_system_site_packages;	/* 1, 0, or -1 unknown */
	char	*broken;	/* NULL, or why it is broken */
	char	*found_as;	/* "self", the venv_dirs name (".venv"), else the locator's name ("poetry") */
	char	*found_via;	/* the file that made it apply, relative to project or absolute; NULL: unknown */
	enum venv_kind kind;
	char	*trust;		/* NULL (not judged), "trusted", "untrusted:<reason>" or "denied" */
};

/*
 * What a dependency reported to resolve_dep_fn is: each kind is watched
 * by daemon/cache.c for what it says matters. A path reported must
 * exist (one that cannot be watched makes the answer uncacheable); its
 * appearing is seen through its parent, a level (locator.h: names).
 */
enum resolve_dep {
	RESOLVE_DEP_LEVEL,	/* a directory walked through: entries appearing matter */
	RESOLVE_DEP_VENV,	/* a (candidate) venv root: pyvenv.cfg and bin/ matter */
	RESOLVE_DEP_BIN,	/* a venv's bin/: python appearing or vanishing matters */
	RESOLVE_DEP_FILE,	/* a file a locator reads: its contents matter */
	RESOLVE_DEP_DIR,	/* a directory outside the walk: any entry matters */
	RESOLVE_DEP_ABSENT,	/* a path that does not exist: its appearing matters */
};

/* Called for each directory whose contents the answer depends on. */
typedef void (*resolve_dep_fn)(void *ctx, const char *dir, enum resolve_dep kind);

struct locator;

struct resolve_opts {
	const char *const *venv_dirs;	/* names to look for in each level */
	size_t	 n_venv_dirs;
	const char *const *env;		/* "NAME=value" list the locators read (locator_env_vars[]); NULL: none */
	const char *const *locators_off;	/* names of the locators not to ask (the config's locators) */
	size_t	 n_locators_off;
	resolve_dep_fn dep;		/* may be NULL */
	void	*dep_ctx;
};

/*
 * Resolve dir (absolute, at most PATH_MAX, no NUL). Returns 1 and fills
 * out when a venv applies, 0 when none does, -1 with err for an invalid
 * path (relative or too long). Unreadable or vanished directories and
 * symlink loops end the walk at that level quietly.
 */
int	resolve_dir(const char *dir, const struct resolve_opts *opts,
	    struct venv_info *out, char *err, size_t errlen);
/* resolve_dir, asking the locators of table (NULL-terminated) instead of locators[]. */
int	resolve_dir_with(const struct locator *const *table, const char *dir,
	    const struct resolve_opts *opts, struct venv_info *out, char *err,
	    size_t errlen);
/*
 * What the locators find at dir itself, without walking upwards: 1 with
 * out filled (out->project is dir), 0, or -1 as resolve_dir.
 */
int	resolve_level(const char *dir, const struct resolve_opts *opts,
	    struct venv_info *out, char *err, size_t errlen);
/*
 * For an absolute, clean dir of PATH_MAX bytes or more: walk the levels
 * past the longest ancestor that fits (its length goes to *anc_len) with
 * openat. 0 when none of them holds a venv (dir's answer is then the
 * ancestor's); -1 with err when one does (no venv path that long can be
 * used) or a level cannot be opened.
 */
int	resolve_long_levels(const char *dir, const struct resolve_opts *opts,
	    size_t *anc_len, char *err, size_t errlen);
/* The name of a dependency kind, for logs and tests: "LEVEL", "VENV"... */
const char *resolve_dep_name(enum resolve_dep kind);
/* opts for cfg's venv_dirs and locators and the process's environment, no dependency callback. */
void	resolve_opts_from_conf(struct resolve_opts *opts, const struct conf *cfg);
/* Free what resolve_dir filled in. */
void	venv_info_free(struct venv_info *);
/* Deep copy. */
void	venv_info_copy(struct venv_info *dst, const struct venv_info *src);

#endif

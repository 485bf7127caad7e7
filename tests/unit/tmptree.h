/* tmptree.h: build throwaway directory trees for tests. */
#ifndef VENVD_TMPTREE_H
#define VENVD_TMPTREE_H

#include "buf.h"
#include "resolve.h"

/* Make a fresh temporary directory; returns its malloc'd path. */
char	*tmptree_new(void);
/* Remove a tree made by tmptree_new (restoring permissions first). */
void	tmptree_free(char *root);
/* mkdir -p root/rel. */
void	tmptree_mkdir(const char *root, const char *rel);
/* Write text to root/rel, creating parents. */
void	tmptree_write(const char *root, const char *rel, const char *text);
/* symlink(target, root/rel). */
void	tmptree_symlink(const char *root, const char *rel, const char *target);
/* Make root/rel a minimal venv: pyvenv.cfg with cfg_text and bin/python -> /usr/bin/python3. */
void	tmptree_venv(const char *root, const char *rel, const char *cfg_text);
/* The dependencies a walk reported, one "KIND path" line each; root shown as "R". */
struct tmptree_deps {
	const char	*root;
	struct buf	 b;
};
/* resolve_opts.dep for a struct tmptree_deps. */
void	tmptree_dep(void *ctx, const char *dir, enum resolve_dep kind);

/*
 * A NULL-terminated "NAME=value" list, as resolve_opts.env takes, from
 * name, value pairs ending with a NULL name; a pair whose value is NULL
 * is left out. Free it with tmptree_env_free.
 */
char	**tmptree_env(const char *name, ...);
/* Free what tmptree_env made. */
void	 tmptree_env_free(char **env);

#endif

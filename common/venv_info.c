/*
 * venv_info.c: freeing and copying a struct venv_info (resolve.h). Apart
 * from resolve.c so that rpc.c's users (the bash builtin) do not link the
 * resolver and its locators.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "xmalloc.h"

/* Free what resolve_dir filled in. */
void
venv_info_free(struct venv_info *vi)
{
	free(vi->path);
	free(vi->project);
	free(vi->python);
	free(vi->version);
	free(vi->home);
	free(vi->prompt);
	free(vi->broken);
	free(vi->found_as);
	free(vi->found_via);
	free(vi->trust);
	memset(vi, 0, sizeof *vi);
}

/* strdup that passes NULL through. */
static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep copy. */
void
venv_info_copy(struct venv_info *dst, const struct venv_info *src)
{
	dst->path = dup_or_null(src->path);
	dst->project = dup_or_null(src->project);
	dst->python = dup_or_null(src->python);
	dst->version = dup_or_null(src->version);
	dst->home = dup_or_null(src->home);
	dst->prompt = dup_or_null(src->prompt);
	dst->include_system_site_packages = src->include_system_site_packages;
	dst->broken = dup_or_null(src->broken);
	dst->found_as = dup_or_null(src->found_as);
	dst->found_via = dup_or_null(src->found_via);
	dst->kind = src->kind;
	dst->trust = dup_or_null(src->trust);
}

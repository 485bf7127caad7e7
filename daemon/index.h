/* index.h: the venv records (index.c). */
#ifndef VENVD_DAEMON_INDEX_H
#define VENVD_DAEMON_INDEX_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "resolve.h"

struct daemon;
json_t *index_list(struct daemon *, json_t *, int *, char *, size_t);
json_t *index_forget(struct daemon *, json_t *, int *, char *, size_t);
/*
 * Record a venv (insert, or refresh every field, state and last_seen);
 * root is the discovery root it was found under, or NULL to keep the
 * stored one. Also hands the venv to the interpreter watches.
 */
int	index_record(struct daemon *, const struct venv_info *, const char *root);
/*
 * Describe the venv at path exactly as resolve finds it (a venv_dirs
 * name is described from its project). 1 and out, or 0 if not a venv.
 */
int	index_describe(struct daemon *, const char *path, struct venv_info *out);
/* Mark the venv at path, and every venv below path, missing. */
void	index_mark_missing(struct daemon *, const char *path);
/* Mark venvs of root not seen since since missing (after a full scan). */
void	index_mark_unseen(struct daemon *, const char *root, time_t since);
/* A shell activated v (resolve with "activating": true). */
void	index_activated(struct daemon *, const struct venv_info *);

#endif

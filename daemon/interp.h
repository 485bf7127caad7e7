/* interp.h: base interpreters of indexed venvs (interp.c). */
#ifndef VENVD_DAEMON_INTERP_H
#define VENVD_DAEMON_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

struct daemon;
/* Own watches of d->watcher (NULL without one); nothing is tracked yet. */
struct interp *interp_new(struct daemon *);
void	interp_free(struct interp *);
/*
 * Check and track every indexed venv that is not missing (once the
 * index's change hook leads here).
 */
void	interp_start(struct interp *);
/* Call fn(ctx) when a tracked venv turns broken or healthy again. */
void	interp_on_change(struct interp *, void (*fn)(void *), void *ctx);
/* Watch v's base interpreter (home, the target of bin/python). */
void	interp_track(struct interp *, const struct venv_info *);
/* Stop watching for the venv at path. */
void	interp_untrack(struct interp *, const char *path);

#endif

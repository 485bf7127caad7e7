/* interp.h: base interpreters of indexed venvs (interp.c). */
#ifndef VENVD_DAEMON_INTERP_H
#define VENVD_DAEMON_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

struct daemon;
struct interp *interp_new(struct daemon *);
void	interp_free(struct interp *);
/* Watch v's base interpreter (home, the target of bin/python). */
void	interp_track(struct interp *, const struct venv_info *);
/* Stop watching for the venv at path. */
void	interp_untrack(struct interp *, const char *path);
/* watch.c calls this for each event on a watch interp owns. */
void	interp_on_event(struct interp *, int wd, uint32_t mask, const char *name);

#endif

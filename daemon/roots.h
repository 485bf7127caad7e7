/* roots.h: discovery roots (roots.c). */
#ifndef VENVD_DAEMON_ROOTS_H
#define VENVD_DAEMON_ROOTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct daemon;
/*
 * Load the roots (database and config) and start scanning them; they
 * own watches of d->watcher (NULL without one).
 */
struct roots *roots_new(struct daemon *);
void	roots_free(struct roots *);
json_t *roots_watch(struct daemon *, json_t *, int *, char *, size_t);
json_t *roots_unwatch(struct daemon *, json_t *, int *, char *, size_t);
json_t *roots_list(struct daemon *, json_t *, int *, char *, size_t);
/*
 * After watch: {"root": root object} for params' "path", *scanning set
 * while its scan runs, *dirs and *venvs that scan's counters so far. NULL
 * with *code and err when it is no root (any longer).
 */
json_t *roots_watched(struct daemon *, json_t *params, int *scanning,
	    long *dirs, long *venvs, int *code, char *err, size_t errlen);
/* How many roots are being scanned now; *dirs, *venvs: their counters summed. */
int	roots_scanning(struct daemon *, long *dirs, long *venvs);

#endif

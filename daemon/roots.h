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

#endif

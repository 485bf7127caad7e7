/* roots.h: discovery roots (roots.c). */
#ifndef VENVD_DAEMON_ROOTS_H
#define VENVD_DAEMON_ROOTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct daemon;
/* Load the roots (database and config) and start scanning them. */
struct roots *roots_new(struct daemon *);
void	roots_free(struct roots *);
json_t *roots_watch(struct daemon *, json_t *, int *, char *, size_t);
json_t *roots_unwatch(struct daemon *, json_t *, int *, char *, size_t);
json_t *roots_list(struct daemon *, json_t *, int *, char *, size_t);
/* watch.c calls this for each event on a watch the roots own. */
void	roots_on_event(struct roots *, int wd, uint32_t mask, const char *name);
/* Events were lost: rescan every root. */
void	roots_rescan_all(struct roots *);

#endif

/* health.h: the index's storage health (health.c). */
#ifndef VENVD_DAEMON_HEALTH_H
#define VENVD_DAEMON_HEALTH_H

#include <stddef.h>

struct daemon;
/* Watch the index's writes (after db_open). */
void	health_start(struct daemon *);
void	health_stop(struct daemon *);
/* A write to the index failed for lack of storage (rc: its SQLite code). */
void	health_storage_failed(struct daemon *, int rc);

#endif

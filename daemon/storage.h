/* storage.h: the index's storage, watched (storage.c). */
#ifndef VENVD_DAEMON_STORAGE_H
#define VENVD_DAEMON_STORAGE_H

#include <stddef.h>

struct daemon;
/* Watch the index's writes (after db_open). */
void	storage_start(struct daemon *);
void	storage_stop(struct daemon *);
/* A write to the index failed for lack of storage (rc: its SQLite code). */
void	storage_failed(struct daemon *, int rc);

#endif

/*
 * storage.c: the index's storage, watched.
 *
 * A write to the index that fails for lack of storage (the state
 * directory full or read-only, I/O errors) raises the "storage" fault:
 * status names it, doctor prints it and every hook shows it once (a
 * notice in the registry of health.c). Nothing stored is lost: SQLite
 * rolls the failed write back, decisions already stored still apply, and
 * the venv records that could not be written wait in memory (db.c). Every
 * STORAGE_RETRY_S the waiting records are written, or when none waits a
 * harmless write is tried; once that succeeds the fault clears. An index
 * opened read-only (the storage failed at start) stays so until restart.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "daemon.h"
#include "db.h"
#include "health.h"
#include "storage.h"
#include "log.h"
#include "xmalloc.h"

#define STORAGE_RETRY_S	1.0

struct storage {
	struct daemon	*d;
	ev_timer	 retry;
	int		 failing;
};

/* Raise (or reword) the storage fault and retry until writes succeed. */
void
storage_failed(struct daemon *d, int rc)
{
	struct storage *h = d->storage;

	/* Opened read-only: the fault says so already, and stays. */
	if (h == NULL || db_readonly(d->db))
		return;
	health_notice_set(d->health, "storage", "storage: cannot write the "
	    "index in %s: %s", d->state_dir, sqlite3_errstr(rc));
	h->failing = 1;
	if (!ev_is_active(&h->retry)) {
		ev_timer_set(&h->retry, STORAGE_RETRY_S, STORAGE_RETRY_S);
		ev_timer_start(d->loop, &h->retry);
	}
}

/* The retry timer: write what waits, or probe; clear the fault on success. */
static void
storage_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct storage *h = w->data;
	struct daemon *d = h->d;
	size_t waiting = db_pending_count(d->db);
	int rc;

	(void)revents;
	if (db_flush_pending(d->db, &rc) == -1 ||
	    db_probe_write(d->db, &rc) == -1) {
		if (db_storage_error(rc))
			storage_failed(d, rc);
		return;
	}
	ev_timer_stop(loop, w);
	h->failing = 0;
	log_info("the index can be written again (%zu waiting records "
	    "written)", waiting);
	health_clear(d->health, "storage");
}

/* The index's storage callback (db_on_storage). */
static void
storage_db_cb(void *arg, int rc)
{
	storage_failed(arg, rc);
}

/* Watch the index's writes. */
void
storage_start(struct daemon *d)
{
	struct storage *h = xcalloc(1, sizeof *h);

	h->d = d;
	ev_init(&h->retry, storage_retry_cb);
	h->retry.data = h;
	d->storage = h;
	db_on_storage(d->db, storage_db_cb, d);
}

/* Stop watching. */
void
storage_stop(struct daemon *d)
{
	if (d->storage == NULL)
		return;
	ev_timer_stop(d->loop, &d->storage->retry);
	db_on_storage(d->db, NULL, NULL);
	free(d->storage);
	d->storage = NULL;
}

/* db.h: the SQLite index file (db.c). */
#ifndef VENVD_DAEMON_DB_H
#define VENVD_DAEMON_DB_H

#include <stddef.h>

#include "resolve.h"
#include "embedded.h"

/*
 * Open (creating and migrating) the index at path in WAL mode. A file
 * that cannot be opened or fails quick_check is moved aside to
 * path.corrupt-<timestamp> and a fresh one is made. When the storage
 * fails (full, read-only) the file is opened read-only instead (see
 * db_readonly; err then says why). NULL only if all that fails; the
 * daemon then serves without an index.
 */
struct db *db_open(const char *path, char *err, size_t errlen);
void	db_close(struct db *);
/* Record (insert or refresh last_seen etc. of) a venv the resolver found. */
int	db_record_venv(struct db *, const struct venv_info *);
/*
 * Record v and the tool that keeps it (manager; NULL keeps the stored
 * one). A NULL project keeps the project (and found_as) the venv was
 * found through, and manager "venv" does not replace a tool's.
 */
int	db_record_venv_as(struct db *, const struct venv_info *,
	    const char *manager);
/* The SQLite handle (NULL when serving without an index), for modules with their own tables. */
struct sqlite3 *db_handle(struct db *);
/* PRAGMA quick_check: 0 when the index is sound, else -1 with err (for status). */
int	db_check(struct db *, char *err, size_t errlen);
/* Schema version (PRAGMA user_version). */
int	db_schema_version(struct db *);
/* Number of venvs indexed. */
long	db_venv_count(struct db *);
struct sqlite3;
/*
 * Apply each migration of list (ended by a NULL name; names "NNN-x.sql",
 * NNN increasing) above PRAGMA user_version, one transaction each.
 * Returns how many were applied, or -1 with err.
 */
int	db_migrate(struct sqlite3 *, const struct embedded_file *list,
	    char *err, size_t errlen);

/*
 * Migrations built into the daemon from schema/NNN-name.sql by
 * build-aux/embed.sh (schema_sql.c is generated), in file-name order.
 * Migration NNN takes PRAGMA user_version from NNN-1 to NNN.
 */
extern const struct embedded_file schema_files[];
/* Forget that path was recorded recently (NULL: all), so the next record writes. */
void	db_seen_forget(struct db *, const char *path);
/* Is a SQLite result code a failure of the storage (full, read-only, I/O)? */
int	db_storage_error(int rc);
/* Call fn(arg, rc) whenever a write fails for lack of storage. */
void	db_on_storage(struct db *, void (*fn)(void *, int), void *arg);
/* After a write with result rc: tell the storage callback if the storage failed. */
void	db_note(struct db *, int rc);
/* Write the venv records kept while the storage failed: 0 none left, -1 with *rc. */
int	db_flush_pending(struct db *, int *rc);
/* Was the index opened read-only because the storage failed at start? */
int	db_readonly(struct db *);
/* Venv records waiting to be written. */
size_t	db_pending_count(struct db *);
/* Does a (harmless) write reach the storage now? 0, or -1 with *rc. */
int	db_probe_write(struct db *, int *rc);

#endif

/*
 * db.c: the SQLite index of venvs the resolver has found.
 *
 * The file is opened without following symlinks, in WAL mode with
 * synchronous=NORMAL, and checked with PRAGMA quick_check. A file that
 * cannot be opened, is not a database, fails the check or cannot be
 * migrated is renamed aside to <path>.corrupt-YYYYmmddTHHMMSS (with its
 * -wal and -shm) and a fresh database is made: the daemon keeps serving.
 *
 * Migrations are the schema/NNN-name.sql files built in (schema_files),
 * applied in order when NNN > PRAGMA user_version, each in its own
 * transaction that ends by setting user_version = NNN.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "buf.h"
#include "embedded.h"
#include "db.h"
#include "log.h"
#include "venv_cfg.h"
#include "xmalloc.h"

/* A venv written recently: identical answers within this time are not rewritten. */
#define DB_REFRESH_S	60
#define DB_BUSY_MS	1000

/* Venv records kept while the index cannot be written, at most. */
#define DB_PENDING_MAX	1024

/* A venv record that could not be written yet. */
struct db_pending {
	struct venv_info v;
	char		*manager;
	UT_hash_handle	 hh;
};

struct db_seen {
	char		*path;
	uint64_t	 digest;	/* of the recorded fields */
	time_t		 written;
	UT_hash_handle	 hh;
};

struct db {
	sqlite3		*h;
	char		*path;
	sqlite3_stmt	*upsert;
	sqlite3_stmt	*count;
	struct db_seen	*seen;		/* uthash by path */
	struct db_pending *pending;	/* uthash by v.path: records not written yet */
	int		 readonly;	/* opened read-only: the storage failed at start */
	void		(*on_storage)(void *, int);	/* a write failed for lack of storage */
	void		*on_storage_arg;
};

/*
 * A record merges with the stored one: a NULL project (a venv in a
 * tool's store that nothing links to a project) keeps a project the
 * venv was found through, with its found_as; a NULL manager keeps the
 * stored one, and "venv" does not replace a tool's.
 */
static const char db_upsert_sql[] =
    "INSERT INTO venvs (path, project, version, home, prompt, found_as,"
    " kind, broken, first_seen, last_seen, include_system_site_packages,"
    " state, manager)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10,"
    " CASE WHEN ?8 IS NULL THEN 'ok' ELSE 'broken:' || ?8 END, ?11)"
    " ON CONFLICT (path) DO UPDATE SET"
    " project = CASE WHEN excluded.project IS NULL AND venvs.project IS NOT"
    " venvs.path THEN venvs.project ELSE excluded.project END,"
    " found_as = CASE WHEN excluded.project IS NULL AND venvs.project IS NOT"
    " NULL AND venvs.project IS NOT venvs.path THEN venvs.found_as ELSE"
    " excluded.found_as END,"
    " version = excluded.version, home = excluded.home,"
    " prompt = excluded.prompt,"
    " kind = excluded.kind, broken = excluded.broken,"
    " last_seen = excluded.last_seen,"
    " include_system_site_packages = excluded.include_system_site_packages,"
    " state = excluded.state,"
    " manager = CASE WHEN excluded.manager IS NULL OR (excluded.manager ="
    " 'venv' AND venvs.manager IS NOT NULL) THEN venvs.manager ELSE"
    " excluded.manager END";

/* The migration number NNN from "NNN-name.sql", or -1 if the name has none. */
static int
db_migration_number(const char *name)
{
	char *end;
	long n;

	if (name == NULL || name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	n = strtol(name, &end, 10);
	if (errno != 0 || *end != '-' || n <= 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

/* Read PRAGMA user_version; -1 on error. */
static int
db_user_version(sqlite3 *h)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Apply every migration in list (ended by a NULL name) whose number is
 * above user_version, each in one transaction. Returns the number
 * applied, or -1 with err (the failing migration is rolled back).
 */
int
db_migrate(struct sqlite3 *h, const struct embedded_file *list, char *err,
    size_t errlen)
{
	char *msg = NULL, sql[64];
	int cur, n, prev = 0, applied = 0;
	size_t i;

	if ((cur = db_user_version(h)) < 0) {
		snprintf(err, errlen, "cannot read user_version: %s",
		    sqlite3_errmsg(h));
		return -1;
	}
	for (i = 0; list[i].name != NULL; i++) {
		if ((n = db_migration_number(list[i].name)) <= prev) {
			snprintf(err, errlen, "migration %s: name must start "
			    "with a number above %d", list[i].name, prev);
			return -1;
		}
		prev = n;
		if (n <= cur)
			continue;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", n);
		if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
		    SQLITE_OK ||
		    sqlite3_exec(h, list[i].text, NULL, NULL, &msg) !=
		    SQLITE_OK ||
		    sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s: %s", list[i].name,
			    msg != NULL ? msg : sqlite3_errmsg(h));
			sqlite3_free(msg);
			(void)sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("applied migration %s", list[i].name);
		applied++;
	}
	if (cur > prev)
		log_warn("database schema %d is newer than this venvd (%d)",
		    cur, prev);
	return applied;
}

/* Run one pragma-like statement expecting a single text row; copy it to out. */
static int
db_pragma_text(sqlite3 *h, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	int rc;

	if ((rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc;
}

/* Create path with mode 0600 if it does not exist (never through a symlink). */
static int
db_create_file(const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	close(fd);
	return 0;
}

/* Squash a multi-line SQLite message onto one line. */
static void
db_one_line(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* A struct db around the open handle h (closed on failure): NULL with err. */
static struct db *
db_wrap(sqlite3 *h, const char *path, char *err, size_t errlen)
{
	struct db *db = xcalloc(1, sizeof *db);

	db->h = h;
	db->path = xstrdup(path);
	if (sqlite3_prepare_v3(h, db_upsert_sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &db->upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(h, "SELECT count(*) FROM venvs", -1,
	    SQLITE_PREPARE_PERSISTENT, &db->count, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(h));
		db_close(db);
		return NULL;
	}
	return db;
}

/* Append s to b as a URI path: '%', '?' and '#' percent-encoded. */
static void
db_uri_path(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == '?' || *s == '#')
			buf_printf(b, "%%%02X", (unsigned char)*s);
		else
			buf_putc(b, *s);
	}
}

/*
 * The storage fails under an index that is sound: open it read-only so
 * that the decisions stored in it still apply. First as usual, then (no
 * room even for the shared-memory file) as immutable, which reads the
 * database file alone: a clean shutdown leaves everything in it.
 * Checked by reading the schema version. NULL with err.
 */
static struct db *
db_open_readonly(const char *path, char *err, size_t errlen)
{
	struct buf uri = BUF_INIT;
	sqlite3 *h = NULL;
	struct db *db;
	int rc, immutable;

	for (immutable = 0; immutable <= 1; immutable++) {
		buf_reset(&uri);
		buf_puts(&uri, "file:");
		db_uri_path(&uri, path);
		if (immutable)
			buf_puts(&uri, "?immutable=1");
		rc = sqlite3_open_v2(uri.data, &h, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(h, DB_BUSY_MS);
			sqlite3_extended_result_codes(h, 1);
			if (db_user_version(h) > 0) {
				/* db_wrap closes h when it fails. */
				if ((db = db_wrap(h, path, err, errlen)) == NULL)
					break;
				buf_free(&uri);
				db->readonly = 1;
				return db;
			}
		}
		snprintf(err, errlen, "cannot open read-only either: %s",
		    h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close_v2(h);
		h = NULL;
	}
	buf_free(&uri);
	return NULL;
}

/*
 * Open, configure, check and migrate path into a new struct db. NULL
 * with err; *busy is set when the file is merely locked by someone else
 * or the storage under it fails (full, read-only, I/O errors): then the
 * file is not at fault and must not be moved aside.
 */
static struct db *
db_try_open(const char *path, int *busy, char *err, size_t errlen)
{
	struct stat sb;
	sqlite3 *h = NULL;
	char mode[32], check[256], merr[256];
	int rc;

	*busy = 0;
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "not a regular file%s",
		    S_ISLNK(sb.st_mode) ? " (a symbolic link)" : "");
		return NULL;
	}
	if (db_create_file(path) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		*busy = 1;
		return NULL;
	}
	rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open: %s",
		    h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		*busy = db_storage_error(rc);
		goto fail;
	}
	sqlite3_busy_timeout(h, DB_BUSY_MS);
	sqlite3_extended_result_codes(h, 1);
	if ((rc = db_pragma_text(h, "PRAGMA journal_mode=WAL", mode,
	    sizeof mode)) != SQLITE_OK) {
		snprintf(err, errlen, "journal_mode=WAL: %s",
		    sqlite3_errmsg(h));
		*busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
		    db_storage_error(rc);
		goto fail;
	}
	if (strcmp(mode, "wal") != 0)
		log_warn("%s: journal mode is %s, not wal", path, mode);
	if ((rc = sqlite3_exec(h, "PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "synchronous=NORMAL: %s",
		    sqlite3_errmsg(h));
		*busy = db_storage_error(rc);
		goto fail;
	}
	if ((rc = db_pragma_text(h, "PRAGMA quick_check", check,
	    sizeof check)) != SQLITE_OK) {
		snprintf(err, errlen, "quick_check: %s", sqlite3_errmsg(h));
		*busy = db_storage_error(rc);
		goto fail;
	}
	if (strcmp(check, "ok") != 0) {
		db_one_line(check);
		snprintf(err, errlen, "quick_check: %s", check);
		goto fail;
	}
	if (db_migrate(h, schema_files, merr, sizeof merr) == -1) {
		snprintf(err, errlen, "%s", merr);
		rc = sqlite3_extended_errcode(h);
		*busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
		    db_storage_error(rc);
		goto fail;
	}

	return db_wrap(h, path, err, errlen);

fail:
	if (h != NULL)
		sqlite3_close_v2(h);
	return NULL;
}

/* Rename path (and its -wal and -shm) to path.corrupt-<timestamp>; 0 or -1. */
static int
db_move_aside(const char *path, char *dest, size_t destlen)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char stamp[32], from[PATH_MAX + 8], to[PATH_MAX + 48];
	struct tm tm;
	time_t now = time(NULL);
	struct stat sb;
	size_t i;
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	for (n = 0; n < 100; n++) {
		if (n == 0)
			snprintf(dest, destlen, "%s.corrupt-%s", path, stamp);
		else
			snprintf(dest, destlen, "%s.corrupt-%s.%d", path,
			    stamp, n);
		if (lstat(dest, &sb) == -1 && errno == ENOENT)
			break;
	}
	if (rename(path, dest) == -1 && errno != ENOENT)
		return -1;
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(from, sizeof from, "%s%s", path, sfx[i]);
		snprintf(to, sizeof to, "%s%s", dest, sfx[i]);
		if (rename(from, to) == -1 && errno != ENOENT)
			log_warn("rename %s: %s", from, strerror(errno));
	}
	return 0;
}

/*
 * Open (creating and migrating) the index at path. A broken file is moved
 * aside and replaced. NULL with err only if even a fresh file fails.
 */
struct db *
db_open(const char *path, char *err, size_t errlen)
{
	struct db *db;
	char why[512], dest[PATH_MAX + 40];
	int busy;

	if ((db = db_try_open(path, &busy, why, sizeof why)) != NULL) {
		log_debug("opened %s (schema %d)", path, db_schema_version(db));
		/* SQLite falls back to reading a file it may not write. */
		if (sqlite3_db_readonly(db->h, "main") == 1) {
			db->readonly = 1;
			snprintf(err, errlen, "it cannot be opened for writing");
			log_warn("%s: opened read-only", path);
		}
		return db;
	}
	if (busy) {
		/* The file is not at fault: read what it holds, change nothing. */
		if ((db = db_open_readonly(path, err, errlen)) != NULL) {
			log_warn("%s: %s: opened read-only", path, why);
			snprintf(err, errlen, "%s", why);
			return db;
		}
		log_error("%s: %s", path, err);
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	if (db_move_aside(path, dest, sizeof dest) == -1) {
		snprintf(err, errlen, "%s: %s; and cannot move it aside: %s",
		    path, why, strerror(errno));
		return NULL;
	}
	log_warn("database %s is unusable (%s): moved aside to %s, starting "
	    "a fresh index", path, why, dest);
	if ((db = db_try_open(path, &busy, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	return db;
}

/* Forget every record not written yet. */
static void
db_pending_drop(struct db *db)
{
	struct db_pending *p, *tmp;

	HASH_ITER(hh, db->pending, p, tmp) {
		HASH_DEL(db->pending, p);
		venv_info_free(&p->v);
		free(p->manager);
		free(p);
	}
}

/* Finalize statements and close the database. */
void
db_close(struct db *db)
{
	struct db_seen *s, *tmp;

	if (db == NULL)
		return;
	HASH_ITER(hh, db->seen, s, tmp) {
		HASH_DEL(db->seen, s);
		free(s->path);
		free(s);
	}
	if (db->pending != NULL)
		log_warn("%u venv records could not be written to %s",
		    HASH_COUNT(db->pending), db->path);
	db_pending_drop(db);
	sqlite3_finalize(db->upsert);
	sqlite3_finalize(db->count);
	if (sqlite3_close(db->h) != SQLITE_OK)
		log_warn("close %s: %s", db->path, sqlite3_errmsg(db->h));
	free(db->path);
	free(db);
}

/* FNV-1a over a string (NULL hashes differently from ""), continuing from h. */
static uint64_t
db_digest_str(uint64_t h, const char *s)
{
	if (s == NULL)
		return (h ^ 0xff) * 0x100000001b3ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0) * 0x100000001b3ULL;
}

/* Digest of every field recorded for v. */
static uint64_t
db_digest(const struct venv_info *v, const char *manager)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = db_digest_str(h, manager);
	h = db_digest_str(h, v->project);
	h = db_digest_str(h, v->version);
	h = db_digest_str(h, v->home);
	h = db_digest_str(h, v->prompt);
	h = db_digest_str(h, v->found_as);
	h = db_digest_str(h, venv_kind_name(v->kind));
	h = db_digest_str(h, v->broken);
	return h;
}

/* Bind a possibly NULL string. */
static int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Is rc a failure of the storage under the index (full, read-only, I/O,
 * cannot open a file) rather than of the request?
 */
int
db_storage_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return 1;
	}
	return 0;
}

/* Call back when a write failed for lack of storage (see db_note). */
void
db_on_storage(struct db *db, void (*fn)(void *, int), void *arg)
{
	if (db == NULL)
		return;
	db->on_storage = fn;
	db->on_storage_arg = arg;
}

/* After a write: tell the storage callback when rc says the storage failed. */
void
db_note(struct db *db, int rc)
{
	if (db != NULL && db->on_storage != NULL && db_storage_error(rc))
		db->on_storage(db->on_storage_arg, rc);
}

/* Write v's row now: the sqlite3_step result code. */
static int
db_upsert(struct db *db, const struct venv_info *v, const char *manager,
    time_t now)
{
	sqlite3_stmt *st = db->upsert;
	int rc;

	db_bind_text(st, 1, v->path);
	db_bind_text(st, 2, v->project);
	db_bind_text(st, 3, v->version);
	db_bind_text(st, 4, v->home);
	db_bind_text(st, 5, v->prompt);
	db_bind_text(st, 6, v->found_as);
	db_bind_text(st, 7, venv_kind_name(v->kind));
	db_bind_text(st, 8, v->broken);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)now);
	if (v->include_system_site_packages >= 0)
		sqlite3_bind_int(st, 10, v->include_system_site_packages);
	else
		sqlite3_bind_null(st, 10);
	db_bind_text(st, 11, manager);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Remember that v's row (with digest) was written at now. */
static void
db_seen_put(struct db *db, const struct venv_info *v, uint64_t digest,
    time_t now)
{
	struct db_seen *s;

	HASH_FIND_STR(db->seen, v->path, s);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->path = xstrdup(v->path);
		HASH_ADD_KEYPTR(hh, db->seen, s->path, strlen(s->path), s);
	}
	s->digest = digest;
	s->written = now;
}

/* Keep v to write later (replacing an older pending record of its path). */
static void
db_pending_put(struct db *db, const struct venv_info *v, const char *manager)
{
	struct db_pending *p;

	HASH_FIND_STR(db->pending, v->path, p);
	if (p != NULL) {
		HASH_DEL(db->pending, p);
		venv_info_free(&p->v);
		free(p->manager);
	} else if (HASH_COUNT(db->pending) >= DB_PENDING_MAX) {
		log_warn("more than %d venv records wait to be written: "
		    "dropping the record of %s", DB_PENDING_MAX, v->path);
		return;
	} else
		p = xcalloc(1, sizeof *p);
	venv_info_copy(&p->v, v);
	p->manager = manager != NULL ? xstrdup(manager) : NULL;
	HASH_ADD_KEYPTR(hh, db->pending, p->v.path, strlen(p->v.path), p);
}

/*
 * Record v: insert it, or refresh its fields and last_seen keeping
 * first_seen. An unchanged venv recorded under DB_REFRESH_S ago is not
 * rewritten. When the storage fails, the record is kept in memory and
 * written by db_flush_pending(). Returns 0, or -1 (logged) when the
 * write fails.
 */
int
db_record_venv(struct db *db, const struct venv_info *v)
{
	return db_record_venv_as(db, v, NULL);
}

/* db_record_venv, recording manager too (NULL: keep the stored one). */
int
db_record_venv_as(struct db *db, const struct venv_info *v, const char *manager)
{
	struct db_seen *s;
	uint64_t digest;
	time_t now;
	int rc;

	if (db == NULL || v == NULL || v->path == NULL)
		return -1;
	now = time(NULL);
	digest = db_digest(v, manager);
	HASH_FIND_STR(db->seen, v->path, s);
	if (s != NULL && s->digest == digest && now >= s->written &&
	    now - s->written < DB_REFRESH_S)
		return 0;

	rc = db_upsert(db, v, manager, now);
	if (rc != SQLITE_DONE) {
		log_error("cannot record %s in %s: %s", v->path, db->path,
		    sqlite3_errstr(rc));
		if (db_storage_error(rc))
			db_pending_put(db, v, manager);
		db_note(db, rc);
		return -1;
	}
	db_seen_put(db, v, digest, now);
	return 0;
}

/*
 * Write the records kept while the storage failed. 0 when none is left,
 * else -1 with *rc the failing write's result code.
 */
int
db_flush_pending(struct db *db, int *rc)
{
	struct db_pending *p, *tmp;
	time_t now = time(NULL);
	int r;

	*rc = SQLITE_OK;
	if (db == NULL)
		return 0;
	HASH_ITER(hh, db->pending, p, tmp) {
		if ((r = db_upsert(db, &p->v, p->manager, now)) != SQLITE_DONE) {
			*rc = r;
			return -1;
		}
		log_info("recorded %s in %s (written late)", p->v.path, db->path);
		db_seen_put(db, &p->v, db_digest(&p->v, p->manager), now);
		HASH_DEL(db->pending, p);
		venv_info_free(&p->v);
		free(p->manager);
		free(p);
	}
	return 0;
}

/* Was the index opened read-only (the storage failed at start)? */
int
db_readonly(struct db *db)
{
	return db != NULL && db->readonly;
}

/* Records waiting to be written. */
size_t
db_pending_count(struct db *db)
{
	return db == NULL ? 0 : HASH_COUNT(db->pending);
}

/*
 * Does a write reach the storage now? A rewrite of the schema version
 * (the same value): 0, or -1 with *rc.
 */
int
db_probe_write(struct db *db, int *rc)
{
	char sql[64];
	int v;

	*rc = SQLITE_OK;
	if (db == NULL || (v = db_user_version(db->h)) < 0)
		return 0;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
	if ((*rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) != SQLITE_OK) {
		*rc = sqlite3_extended_errcode(db->h);
		return -1;
	}
	return 0;
}

/* Forget that path (NULL: every path) was recorded recently. */
void
db_seen_forget(struct db *db, const char *path)
{
	struct db_seen *s, *tmp;

	if (db == NULL)
		return;
	if (path != NULL) {
		HASH_FIND_STR(db->seen, path, s);
		if (s != NULL) {
			HASH_DEL(db->seen, s);
			free(s->path);
			free(s);
		}
		return;
	}
	HASH_ITER(hh, db->seen, s, tmp) {
		HASH_DEL(db->seen, s);
		free(s->path);
		free(s);
	}
}

/* Run PRAGMA quick_check: 0 when the index is sound, else -1 with err. */
int
db_check(struct db *db, char *err, size_t errlen)
{
	char check[512];

	if (db == NULL || db->h == NULL) {
		snprintf(err, errlen, "the daemon serves without an index");
		return -1;
	}
	if (db_pragma_text(db->h, "PRAGMA quick_check", check, sizeof check) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "quick_check: %s", sqlite3_errmsg(db->h));
		return -1;
	}
	if (strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "quick_check: %s", check);
		return -1;
	}
	return 0;
}

/* The SQLite handle, for modules that keep their own tables (trust, roots). */
struct sqlite3 *
db_handle(struct db *db)
{
	return db == NULL ? NULL : db->h;
}

/* Schema version (PRAGMA user_version), or -1. */
int
db_schema_version(struct db *db)
{
	return db == NULL ? -1 : db_user_version(db->h);
}

/* Number of venvs indexed, or -1. */
long
db_venv_count(struct db *db)
{
	long n = -1;

	if (db == NULL)
		return -1;
	if (sqlite3_step(db->count) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(db->count, 0);
	sqlite3_reset(db->count);
	return n;
}

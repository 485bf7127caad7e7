/* check_db.c: unit tests for the SQLite index (daemon/db.c) and its migrations. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "embedded.h"
#include "db.h"
#include "suites.h"

static char dir[PATH_MAX];
static char dbpath[PATH_MAX + 32];

/* Make a private temporary directory for each test. */
static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/check_db.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/index.sqlite3", dir);
}

/* Remove the test's directory and everything in it (one level deep). */
static void
teardown(void)
{
	char p[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* The highest migration number built in. */
static int
latest_version(void)
{
	int i, v = 0;

	for (i = 0; schema_files[i].name != NULL; i++)
		v = atoi(schema_files[i].name);
	return v;
}

/* Open path directly with SQLite (not through db.c). */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *h = NULL;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	return h;
}

/* Run SQL on h, failing the test on error. */
static void
raw_exec(sqlite3 *h, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", sql, msg);
}

/* One integer from a query. */
static long long
raw_int(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	long long v;

	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text value (or "NULL") from a query, copied into out. */
static const char *
raw_text(sqlite3 *h, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	t = sqlite3_column_text(st, 0);
	snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "NULL");
	sqlite3_finalize(st);
	return out;
}

/* How many entries in the test dir start with prefix. */
static int
count_files(const char *prefix)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* A venv_info pointing at static strings. */
static struct venv_info
sample_venv(const char *path, const char *broken)
{
	struct venv_info v;

	memset(&v, 0, sizeof v);
	v.path = (char *)path;
	v.project = (char *)"/home/u/proj";
	v.python = (char *)"/home/u/proj/.venv/bin/python";
	v.version = (char *)"3.11.2";
	v.home = (char *)"/usr/bin";
	v.prompt = (char *)"proj";
	v.include_system_site_packages = 0;
	v.broken = (char *)broken;
	v.found_as = (char *)".venv";
	v.kind = VENV_KIND_VENV;
	return v;
}

START_TEST(test_fresh_latest_version)
{
	char err[512] = "", mode[16];
	struct stat sb;
	struct db *db;
	sqlite3 *h;

	ck_assert_int_ge(latest_version(), 1);
	db = db_open(dbpath, err, sizeof err);
	ck_assert_msg(db != NULL, "db_open: %s", err);
	ck_assert_int_eq(db_schema_version(db), latest_version());
	ck_assert_int_eq(db_venv_count(db), 0);
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	db_close(db);

	h = raw_open(dbpath);
	ck_assert_str_eq(raw_text(h, "PRAGMA journal_mode", mode, sizeof mode),
	    "wal");
	ck_assert_int_eq(raw_int(h, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'venvs'"), 1);
	sqlite3_close(h);
	ck_assert_int_eq(count_files("index.sqlite3.corrupt"), 0);
}
END_TEST

START_TEST(test_reopen_idempotent)
{
	char err[512] = "";
	struct venv_info v = sample_venv("/home/u/proj/.venv", NULL);
	struct db *db;

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	db_close(db);
	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_schema_version(db), latest_version());
	ck_assert_int_eq(db_venv_count(db), 1);
	db_close(db);
	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_venv_count(db), 1);
	db_close(db);
	ck_assert_int_eq(count_files("index.sqlite3.corrupt"), 0);
}
END_TEST

START_TEST(test_version0_unrelated_table)
{
	char err[512] = "", txt[64];
	struct db *db;
	sqlite3 *h;

	h = raw_open(dbpath);
	raw_exec(h, "CREATE TABLE notes (x TEXT); "
	    "INSERT INTO notes VALUES ('kept');");
	ck_assert_int_eq(raw_int(h, "PRAGMA user_version"), 0);
	sqlite3_close(h);

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_schema_version(db), latest_version());
	ck_assert_int_eq(db_venv_count(db), 0);
	db_close(db);

	h = raw_open(dbpath);
	ck_assert_str_eq(raw_text(h, "SELECT x FROM notes", txt, sizeof txt),
	    "kept");
	sqlite3_close(h);
	ck_assert_int_eq(count_files("index.sqlite3.corrupt"), 0);
}
END_TEST

START_TEST(test_upsert_keeps_first_seen)
{
	char err[512] = "", txt[256];
	struct venv_info v = sample_venv("/p/.venv", NULL);
	struct db *db;
	long long now = (long long)time(NULL);
	sqlite3 *h;

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_record_venv(db, &v), 0);

	/* Age the row so an update is visible within one second. */
	h = raw_open(dbpath);
	ck_assert_int_ge(raw_int(h, "SELECT first_seen FROM venvs"), now);
	ck_assert_str_eq(raw_text(h, "SELECT kind FROM venvs", txt,
	    sizeof txt), "venv");
	raw_exec(h, "UPDATE venvs SET first_seen = 100, last_seen = 200");

	v = sample_venv("/p/.venv", "base interpreter /usr/bin/python3.11 "
	    "is missing");
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	ck_assert_int_eq(db_venv_count(db), 1);
	ck_assert_int_eq(raw_int(h, "SELECT first_seen FROM venvs"), 100);
	ck_assert_int_ge(raw_int(h, "SELECT last_seen FROM venvs"), now);
	ck_assert_str_eq(raw_text(h, "SELECT broken FROM venvs", txt,
	    sizeof txt), "base interpreter /usr/bin/python3.11 is missing");

	/* Healed, with another version: broken goes back to NULL. */
	v = sample_venv("/p/.venv", NULL);
	v.version = (char *)"3.12.1";
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	ck_assert_str_eq(raw_text(h, "SELECT broken FROM venvs", txt,
	    sizeof txt), "NULL");
	ck_assert_str_eq(raw_text(h, "SELECT version FROM venvs", txt,
	    sizeof txt), "3.12.1");
	ck_assert_int_eq(raw_int(h, "SELECT first_seen FROM venvs"), 100);

	/* A second venv is a second row. */
	v = sample_venv("/q/venv", NULL);
	v.version = NULL;
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	ck_assert_int_eq(db_venv_count(db), 2);
	ck_assert_int_eq(raw_int(h, "SELECT count(*) FROM venvs WHERE "
	    "path = '/q/venv' AND version IS NULL"), 1);
	sqlite3_close(h);
	db_close(db);
}
END_TEST

START_TEST(test_corrupt_random_bytes)
{
	char err[512] = "", buf[8192];
	struct venv_info v = sample_venv("/p/.venv", NULL);
	struct db *db;
	size_t i;
	FILE *f;

	srand(42);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (char)(rand() & 0xff);
	ck_assert_ptr_nonnull(f = fopen(dbpath, "w"));
	ck_assert_int_eq(fwrite(buf, 1, sizeof buf, f), sizeof buf);
	fclose(f);

	db = db_open(dbpath, err, sizeof err);
	ck_assert_msg(db != NULL, "db_open: %s", err);
	ck_assert_int_eq(count_files("index.sqlite3.corrupt-"), 1);
	ck_assert_int_eq(db_schema_version(db), latest_version());
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	ck_assert_int_eq(db_venv_count(db), 1);
	db_close(db);
}
END_TEST

START_TEST(test_corrupt_pages)
{
	char err[512] = "", junk[4096];
	struct db *db;
	sqlite3 *h;
	struct stat sb;
	int fd;

	/* A real database with many rows, then garbage over its inner pages. */
	h = raw_open(dbpath);
	raw_exec(h, "CREATE TABLE big (k INTEGER PRIMARY KEY, v TEXT); "
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
	    "WHERE i < 5000) INSERT INTO big SELECT i, hex(randomblob(40)) "
	    "FROM c;");
	sqlite3_close(h);
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_gt(sb.st_size, 8 * 4096);
	memset(junk, 0x5a, sizeof junk);
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
	ck_assert_int_eq(pwrite(fd, junk, sizeof junk, 4096), sizeof junk);
	ck_assert_int_eq(pwrite(fd, junk, sizeof junk, 3 * 4096), sizeof junk);
	close(fd);

	db = db_open(dbpath, err, sizeof err);
	ck_assert_msg(db != NULL, "db_open: %s", err);
	ck_assert_int_eq(count_files("index.sqlite3.corrupt-"), 1);
	ck_assert_int_eq(db_venv_count(db), 0);
	db_close(db);
}
END_TEST

START_TEST(test_symlink_not_followed)
{
	char err[512] = "", target[PATH_MAX + 32], txt[64];
	struct db *db;
	FILE *f;

	snprintf(target, sizeof target, "%s/elsewhere", dir);
	ck_assert_ptr_nonnull(f = fopen(target, "w"));
	fputs("not yours", f);
	fclose(f);
	ck_assert_int_eq(symlink(target, dbpath), 0);

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	db_close(db);
	ck_assert_ptr_nonnull(f = fopen(target, "r"));
	ck_assert_ptr_nonnull(fgets(txt, sizeof txt, f));
	fclose(f);
	ck_assert_str_eq(txt, "not yours");
	ck_assert_int_eq(count_files("index.sqlite3.corrupt-"), 1);
}
END_TEST

START_TEST(test_migration_runner)
{
	static const struct embedded_file good[] = {
		{ "001-a.sql", "CREATE TABLE t1 (a TEXT);" },
		{ "002-b.sql", "ALTER TABLE t1 ADD COLUMN b INTEGER;"
		    "INSERT INTO t1 VALUES ('x', 2);" },
		{ NULL, NULL },
	};
	static const struct embedded_file more[] = {
		{ "001-a.sql", "CREATE TABLE t1 (a TEXT);" },
		{ "002-b.sql", "ALTER TABLE t1 ADD COLUMN b INTEGER;"
		    "INSERT INTO t1 VALUES ('x', 2);" },
		{ "003-c.sql", "CREATE TABLE t3 (x); SELECT * FROM nosuch;" },
		{ NULL, NULL },
	};
	static const struct embedded_file unordered[] = {
		{ "002-b.sql", "SELECT 1;" },
		{ "001-a.sql", "SELECT 1;" },
		{ NULL, NULL },
	};
	static const struct embedded_file unnumbered[] = {
		{ "init.sql", "SELECT 1;" },
		{ NULL, NULL },
	};
	char err[256];
	sqlite3 *h = raw_open(":memory:");

	ck_assert_int_eq(db_migrate(h, good, err, sizeof err), 2);
	ck_assert_int_eq(raw_int(h, "PRAGMA user_version"), 2);
	ck_assert_int_eq(raw_int(h, "SELECT b FROM t1"), 2);
	/* Already applied: nothing to do. */
	ck_assert_int_eq(db_migrate(h, good, err, sizeof err), 0);
	ck_assert_int_eq(raw_int(h, "SELECT count(*) FROM t1"), 1);

	/* A failing migration is rolled back whole and reported. */
	err[0] = '\0';
	ck_assert_int_eq(db_migrate(h, more, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "003-c.sql") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "nosuch") != NULL, "err: %s", err);
	ck_assert_int_eq(raw_int(h, "PRAGMA user_version"), 2);
	ck_assert_int_eq(raw_int(h, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 't3'"), 0);
	/* The connection is usable afterwards (no transaction left open). */
	ck_assert_int_eq(sqlite3_get_autocommit(h), 1);

	ck_assert_int_eq(db_migrate(h, unordered, err, sizeof err), -1);
	ck_assert_int_eq(db_migrate(h, unnumbered, err, sizeof err), -1);
	ck_assert_int_eq(raw_int(h, "PRAGMA user_version"), 2);
	sqlite3_close(h);
}
END_TEST

START_TEST(test_builtin_schema_names)
{
	int i, prev = 0, n;

	for (i = 0; schema_files[i].name != NULL; i++) {
		n = atoi(schema_files[i].name);
		ck_assert_int_gt(n, prev);
		ck_assert_ptr_nonnull(strchr(schema_files[i].name, '-'));
		prev = n;
	}
	ck_assert_int_ge(i, 1);
}
END_TEST

/*
 * 005-manager: rows written before it get the manager their found_as
 * says (a tool's locator, else "venv"), and keep everything else.
 */
START_TEST(test_migration_manager)
{
	struct embedded_file upto4[8];
	char err[512] = "", txt[256];
	struct db *db;
	sqlite3 *h;
	size_t i, n = 0;

	for (i = 0; schema_files[i].name != NULL; i++)
		if (atoi(schema_files[i].name) <= 4)
			upto4[n++] = schema_files[i];
	ck_assert_uint_eq(n, 4);
	upto4[n].name = NULL;
	upto4[n].text = NULL;
	h = raw_open(dbpath);
	ck_assert_int_eq(db_migrate(h, upto4, err, sizeof err), 4);
	raw_exec(h, "INSERT INTO venvs (path, project, found_as, kind,"
	    " first_seen, last_seen) VALUES"
	    " ('/p/.venv', '/p', '.venv', 'venv', 1, 2),"
	    " ('/c/x-AbCdEfGh-py3.11', '/q', 'poetry', 'virtualenv', 1, 2),"
	    " ('/w/e', '/w/e', 'self', 'venv', 1, 2),"
	    " ('/v/f', '/v', 'venv-file', 'uv', 1, 2)");
	sqlite3_close(h);

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	ck_assert_int_eq(db_schema_version(db), latest_version());
	h = raw_open(dbpath);
	ck_assert_str_eq(raw_text(h, "SELECT manager FROM venvs WHERE path ="
	    " '/p/.venv'", txt, sizeof txt), "venv");
	ck_assert_str_eq(raw_text(h, "SELECT manager || ' ' || kind || ' ' ||"
	    " project FROM venvs WHERE path = '/c/x-AbCdEfGh-py3.11'", txt,
	    sizeof txt), "poetry virtualenv /q");
	ck_assert_str_eq(raw_text(h, "SELECT manager FROM venvs WHERE path ="
	    " '/w/e'", txt, sizeof txt), "venv");
	ck_assert_str_eq(raw_text(h, "SELECT manager FROM venvs WHERE path ="
	    " '/v/f'", txt, sizeof txt), "venv-file");
	ck_assert_int_eq(raw_int(h, "SELECT count(*) FROM venvs WHERE"
	    " first_seen = 1 AND last_seen = 2"), 4);
	sqlite3_close(h);
	db_close(db);
}
END_TEST

/*
 * A venv in a tool's store recorded with no project keeps the project
 * (and found_as) a resolve found it through; "venv" does not replace a
 * tool's manager; a project of its own (the venv itself) is replaced.
 */
START_TEST(test_upsert_manager_merge)
{
	char err[512] = "", txt[512];
	struct venv_info v = sample_venv("/s/api-AbCdEfGh-py3.11", NULL);
	struct db *db;
	sqlite3 *h;

	ck_assert_ptr_nonnull(db = db_open(dbpath, err, sizeof err));
	h = raw_open(dbpath);
	/* Found by a scan first: no project. */
	v.project = NULL;
	v.found_as = (char *)"self";
	ck_assert_int_eq(db_record_venv_as(db, &v, "poetry"), 0);
	ck_assert_str_eq(raw_text(h, "SELECT coalesce(project, '-') || ' ' ||"
	    " found_as || ' ' || manager FROM venvs", txt, sizeof txt),
	    "- self poetry");
	/* Then by a resolve through its project. */
	v.project = (char *)"/home/u/api";
	v.found_as = (char *)"poetry";
	ck_assert_int_eq(db_record_venv_as(db, &v, "poetry"), 0);
	ck_assert_str_eq(raw_text(h, "SELECT project || ' ' || found_as ||"
	    " ' ' || manager FROM venvs", txt, sizeof txt),
	    "/home/u/api poetry poetry");
	/* A later scan keeps them. */
	v.project = NULL;
	v.found_as = (char *)"self";
	db_seen_forget(db, NULL);
	ck_assert_int_eq(db_record_venv_as(db, &v, "poetry"), 0);
	ck_assert_str_eq(raw_text(h, "SELECT project || ' ' || found_as ||"
	    " ' ' || manager FROM venvs", txt, sizeof txt),
	    "/home/u/api poetry poetry");
	/* "venv" and NULL keep a tool's manager. */
	v.project = (char *)"/home/u/api";
	v.found_as = (char *)".venv";
	ck_assert_int_eq(db_record_venv_as(db, &v, "venv"), 0);
	ck_assert_int_eq(db_record_venv(db, &v), 0);
	ck_assert_str_eq(raw_text(h, "SELECT manager FROM venvs", txt,
	    sizeof txt), "poetry");
	/* A project that is the venv itself is not kept over a NULL. */
	v = sample_venv("/w/e", NULL);
	v.project = (char *)"/w/e";
	v.found_as = (char *)"self";
	ck_assert_int_eq(db_record_venv_as(db, &v, "venv"), 0);
	v.project = NULL;
	ck_assert_int_eq(db_record_venv_as(db, &v, "virtualenvwrapper"), 0);
	ck_assert_str_eq(raw_text(h, "SELECT coalesce(project, '-') || ' ' ||"
	    " manager FROM venvs WHERE path = '/w/e'", txt, sizeof txt),
	    "- virtualenvwrapper");
	sqlite3_close(h);
	db_close(db);
}
END_TEST

/* The db suite. */
Suite *
suite_db(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fresh_latest_version);
	tcase_add_test(tc, test_reopen_idempotent);
	tcase_add_test(tc, test_version0_unrelated_table);
	tcase_add_test(tc, test_upsert_keeps_first_seen);
	tcase_add_test(tc, test_corrupt_random_bytes);
	tcase_add_test(tc, test_corrupt_pages);
	tcase_add_test(tc, test_symlink_not_followed);
	tcase_add_test(tc, test_migration_runner);
	tcase_add_test(tc, test_builtin_schema_names);
	tcase_add_test(tc, test_migration_manager);
	tcase_add_test(tc, test_upsert_manager_merge);
	suite_add_tcase(s, tc);
	return s;
}

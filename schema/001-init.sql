-- 001-init.sql: the first venvd index schema.
--
-- Every venv the resolver has found, keyed by its path as reached.
-- Times are unix seconds. broken is NULL for a healthy venv, else the
-- reason. Later migrations (002-...) extend this table in place with
-- ALTER TABLE ... ADD COLUMN or new tables; never edit this file.
CREATE TABLE venvs (
	path		TEXT PRIMARY KEY NOT NULL,
	project		TEXT,
	version		TEXT,
	home		TEXT,
	prompt		TEXT,
	found_as	TEXT,
	kind		TEXT,
	broken		TEXT NULL,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL
);
CREATE INDEX venvs_project ON venvs (project);
CREATE INDEX venvs_last_seen ON venvs (last_seen);

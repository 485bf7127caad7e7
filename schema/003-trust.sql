-- 003-trust.sql: trust decisions and the version-control check.
--
-- Both tables are keyed by the venv's real path (symlinks resolved) and
-- remember its identity (st_dev, st_ino and birth time in nanoseconds,
-- 0 if the filesystem keeps none, of the venv root): a row whose
-- identity no longer matches the directory at that path belongs to a
-- venv that was deleted, and is ignored and removed, so a new venv at
-- the same path is judged afresh.
--
-- trust_decisions: what the user said with "venvd allow" / "venvd deny".
-- decision is 'allow' or 'deny'; decided is unix seconds.
CREATE TABLE trust_decisions (
	path		TEXT PRIMARY KEY NOT NULL,
	dev		INTEGER NOT NULL,
	ino		INTEGER NOT NULL,
	born		INTEGER NOT NULL,
	decision	TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
	decided		INTEGER NOT NULL
);
-- trust_git: the cached answer of "is any file under this venv tracked
-- by the version control of the tree it sits in?", checked once when
-- the venv is first found. tracked is 1 or 0; checked is unix seconds.
CREATE TABLE trust_git (
	path		TEXT PRIMARY KEY NOT NULL,
	dev		INTEGER NOT NULL,
	ino		INTEGER NOT NULL,
	born		INTEGER NOT NULL,
	tracked		INTEGER NOT NULL,
	checked		INTEGER NOT NULL
);

-- 002-index.sql: the venv index (discovery roots, state, activations, sizes).
--
-- Extends venvs in place; rows of 001 keep their data. state is 'ok',
-- 'broken:<reason>' or 'missing' (a venv that was under a root and is
-- gone: the row stays until `venvd forget`). kind (from 001) is the
-- creator: 'venv', 'virtualenv', 'uv' or 'unknown'. Times are unix
-- seconds; size_bytes counts allocated blocks (st_blocks * 512), each
-- hard-linked file once. root is the discovery root a venv was found
-- under, NULL for one only found by resolve.
ALTER TABLE venvs ADD COLUMN include_system_site_packages INTEGER;
ALTER TABLE venvs ADD COLUMN state TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE venvs ADD COLUMN last_activated INTEGER;
ALTER TABLE venvs ADD COLUMN activation_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE venvs ADD COLUMN size_bytes INTEGER;
ALTER TABLE venvs ADD COLUMN size_measured INTEGER;
ALTER TABLE venvs ADD COLUMN root TEXT;
UPDATE venvs SET state = 'broken:' || broken WHERE broken IS NOT NULL;
CREATE INDEX venvs_root ON venvs (root);

-- Discovery roots added with `venvd watch` (config roots are not stored).
CREATE TABLE roots (
	path		TEXT PRIMARY KEY NOT NULL,
	depth		INTEGER NOT NULL DEFAULT 6,
	cross_fs	INTEGER NOT NULL DEFAULT 0,
	added		INTEGER NOT NULL
);

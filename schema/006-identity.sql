-- 006-identity.sql: each venv's identity, so a moved venv keeps its record.
--
-- dev, ino and born are the st_dev, st_ino and birth time (nanoseconds,
-- 0 where the filesystem keeps none) of the venv directory when it was
-- last recorded; NULL for a row not recorded since this migration. A
-- venv that appears at a new path with the identity of a row whose path
-- is gone (renamed with mv) takes that row over: its history stays
-- (first_seen, activations), path becomes the new one and moved_from the
-- old. A row whose born is 0 is never taken over: without a birth time
-- an inode number reused by an unrelated directory cannot be told apart.
ALTER TABLE venvs ADD COLUMN dev INTEGER;
ALTER TABLE venvs ADD COLUMN ino INTEGER;
ALTER TABLE venvs ADD COLUMN born INTEGER;
ALTER TABLE venvs ADD COLUMN moved_from TEXT;
CREATE INDEX venvs_identity ON venvs (ino, dev);

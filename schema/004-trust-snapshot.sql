-- 004-trust-snapshot.sql: what an allow covers; the new git question.
--
-- trust_decisions.shadows: for an allow, the names of the executables
-- in the venv's bin/ that shadowed a core command when it was given,
-- sorted and one per line ('' for none). A shadowing name not in it
-- revokes the allow while it is there. NULL for a deny, and for an
-- allow stored before this migration: such an allow adopts what its
-- bin/ shadows when the daemon next judges it.
ALTER TABLE trust_decisions ADD COLUMN shadows TEXT;
-- trust_git held answers to an older question (was the venv's directory
-- tracked in its parent's tree?), which missed a venv that is the root
-- of a repository: forget them all, so every venv is asked again.
DELETE FROM trust_git;

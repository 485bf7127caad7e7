-- 005-manager.sql: which tool keeps each venv.
--
-- manager is 'poetry', 'pipenv', 'pdm', 'pyenv-virtualenv',
-- 'virtualenvwrapper' or 'venv-file' for a venv a tool keeps (by the
-- store it sits in, else the locator that found it), and 'venv' for one
-- that sits in its project or stands alone. kind stays the creator
-- ('venv', 'virtualenv', 'uv'). A venv found in a tool's store that
-- nothing links to a project has project NULL.
ALTER TABLE venvs ADD COLUMN manager TEXT;
UPDATE venvs SET manager = CASE
	WHEN found_as IN ('poetry', 'pipenv', 'pdm', 'pyenv-virtualenv',
	    'virtualenvwrapper', 'venv-file') THEN found_as
	ELSE 'venv' END;

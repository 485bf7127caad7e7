/*
 * pointer_file.h: the small files that name a venv from a project
 * directory, parsed without I/O (the locators read them).
 *
 * A .venv file (PEP 832 draft, virtualfish, zsh-autoswitch-virtualenv):
 * its first line, less one trailing newline ("\n" or "\r\n"), is a path
 * (relative to the file's directory) or, when it holds no '/', possibly
 * the name of a venv in $WORKON_HOME. Anything after the first newline
 * is ignored. A file with a NUL byte, over VENV_FILE_MAX bytes, or with
 * an empty first line names nothing.
 *
 * A .python-version file (pyenv): as pyenv-version-file-read reads it,
 * the first word of each line (words split at space, tab and CR),
 * skipping empty lines and words that begin with '#'. An entry that
 * could leave $PYENV_ROOT/versions (it begins with '/', or has an empty,
 * "." or ".." component) is dropped, as pyenv drops those it cannot
 * prove stay below versions/. A file with a NUL byte or over
 * PYTHON_VERSION_MAX bytes names nothing.
 */
#ifndef VENVD_POINTER_FILE_H
#define VENVD_POINTER_FILE_H

#include <limits.h>
#include <stddef.h>

/* A path and a CRLF: anything longer is not a .venv file. */
#define VENV_FILE_MAX		(PATH_MAX + 2)
/* pyenv reads the whole file; venvd reads this much of it. */
#define PYTHON_VERSION_MAX	65536
/* The entries kept from one .python-version, and the longest one. */
#define PYTHON_VERSION_ENTRIES	64
#define PYTHON_VERSION_WORD	1024

/*
 * Parse a .venv file's len bytes. 0 with *path (malloc'd, never empty)
 * and *is_name (1 when it holds no '/', so it may be a name), or -1 with
 * err.
 */
int	venv_file_parse(const char *text, size_t len, char **path, int *is_name,
	    char *err, size_t errlen);

/*
 * Is path free of empty, "." and ".." components (one leading '/'
 * allowed)? An interpreter path in .pdm-python must be, and a
 * .python-version entry must be and be relative, to be followed.
 */
int	pointer_path_plain(const char *path);

/* Is name usable as a venv's name in a store (no '/', not "." or "..")? */
int	venv_file_name_ok(const char *name);

/*
 * Parse a .python-version file's len bytes into *entries (malloc'd,
 * *n of them, at most PYTHON_VERSION_ENTRIES; free with
 * python_version_free). 0, or -1 with err (nothing is then allocated).
 */
int	python_version_parse(const char *text, size_t len, char ***entries,
	    size_t *n, char *err, size_t errlen);
void	python_version_free(char **entries, size_t n);

#endif

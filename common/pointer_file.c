/* pointer_file.c: parse .venv files and .python-version files (no I/O). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pointer_file.h"
#include "xmalloc.h"

/* Parse a .venv file: the first line, less its newline. */
int
venv_file_parse(const char *text, size_t len, char **path, int *is_name,
    char *err, size_t errlen)
{
	const char *nl;
	size_t n;

	*path = NULL;
	*is_name = 0;
	if (len > VENV_FILE_MAX) {
		snprintf(err, errlen, "longer than %d bytes", VENV_FILE_MAX);
		return -1;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "holds a NUL byte");
		return -1;
	}
	nl = len > 0 ? memchr(text, '\n', len) : NULL;
	n = nl != NULL ? (size_t)(nl - text) : len;
	if (nl != NULL && n > 0 && text[n - 1] == '\r')
		n--;	/* CRLF is one newline */
	if (n == 0) {
		snprintf(err, errlen, "names no path");
		return -1;
	}
	if (n > PATH_MAX) {
		snprintf(err, errlen, "path longer than %d bytes", PATH_MAX);
		return -1;
	}
	*path = xmalloc(n + 1);
	memcpy(*path, text, n);
	(*path)[n] = '\0';
	*is_name = memchr(text, '/', n) == NULL;
	return 0;
}

/* Is name usable as a venv's name in a store? */
int
venv_file_name_ok(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Is path free of empty, "." and ".." components (one leading '/' allowed)? */
int
pointer_path_plain(const char *path)
{
	const char *p = path;

	if (*p == '/')
		p++;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

/* Is c a word separator of pyenv's read (IFS plus CR)? */
static int
python_version_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse a .python-version file into its entries. */
int
python_version_parse(const char *text, size_t len, char ***entries,
    size_t *n, char *err, size_t errlen)
{
	size_t i = 0;

	*entries = NULL;
	*n = 0;
	if (len > PYTHON_VERSION_MAX) {
		snprintf(err, errlen, "longer than %d bytes", PYTHON_VERSION_MAX);
		return -1;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "holds a NUL byte");
		return -1;
	}
	*entries = xcalloc(PYTHON_VERSION_ENTRIES, sizeof **entries);
	while (i < len && *n < PYTHON_VERSION_ENTRIES) {
		size_t start, end;

		while (i < len && python_version_space(text[i]))
			i++;
		start = i;
		while (i < len && text[i] != '\n' && !python_version_space(text[i]))
			i++;
		end = i;
		while (i < len && text[i] != '\n')
			i++;	/* the rest of the line */
		if (i < len)
			i++;
		if (end == start || text[start] == '#' ||
		    end - start > PYTHON_VERSION_WORD)
			continue;
		(*entries)[*n] = xmalloc(end - start + 1);
		memcpy((*entries)[*n], text + start, end - start);
		(*entries)[*n][end - start] = '\0';
		if ((*entries)[*n][0] == '/' ||
		    !pointer_path_plain((*entries)[*n])) {
			free((*entries)[*n]);
			(*entries)[*n] = NULL;
			continue;
		}
		(*n)++;
	}
	return 0;
}

/* Free what python_version_parse gave. */
void
python_version_free(char **entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
}

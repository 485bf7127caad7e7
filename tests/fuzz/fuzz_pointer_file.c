/*
 * fuzz_pointer_file.c: libFuzzer harness for the .venv file and
 * .python-version parsers (pointer_file.c).
 *
 * Properties: a .venv file gives a non-empty path of at most PATH_MAX
 * bytes with no newline or NUL, which is a prefix of the input, and
 * is_name says exactly whether it holds a '/'; it is refused exactly
 * when it holds a NUL, is over VENV_FILE_MAX, or its first line is
 * empty or too long. A .python-version gives at most
 * PYTHON_VERSION_ENTRIES entries, each one word with no separator,
 * not a comment, and no component that could leave versions/.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pointer_file.h"

/* Check one .python-version entry. */
static void
check_entry(const char *e)
{
	size_t n = strlen(e);

	FUZZ_ASSERT(n > 0 && n <= PYTHON_VERSION_WORD);
	FUZZ_ASSERT(e[0] != '#' && e[0] != '/');
	FUZZ_ASSERT(strpbrk(e, " \t\r\n") == NULL);
	FUZZ_ASSERT(strstr(e, "//") == NULL && e[n - 1] != '/');
	FUZZ_ASSERT(strcmp(e, ".") != 0 && strcmp(e, "..") != 0);
	FUZZ_ASSERT(strncmp(e, "./", 2) != 0 && strncmp(e, "../", 3) != 0);
	FUZZ_ASSERT(strstr(e, "/./") == NULL && strstr(e, "/../") == NULL);
	FUZZ_ASSERT(!(n >= 2 && strcmp(e + n - 2, "/.") == 0));
	FUZZ_ASSERT(!(n >= 3 && strcmp(e + n - 3, "/..") == 0));
}

/* One input: the bytes of a .venv file, and of a .python-version. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[256], *path, **entries;
	size_t n;
	int is_name, r;

	err[0] = '\0';
	r = venv_file_parse(text, size, &path, &is_name, err, sizeof err);
	if (size > VENV_FILE_MAX || (size > 0 && memchr(text, '\0', size) != NULL))
		FUZZ_ASSERT(r == -1);
	if (r == -1)
		FUZZ_ASSERT(path == NULL && err[0] != '\0');
	else {
		size_t len = strlen(path);

		FUZZ_ASSERT(len > 0 && len <= PATH_MAX && len <= size);
		FUZZ_ASSERT(memcmp(path, text, len) == 0);
		FUZZ_ASSERT(strchr(path, '\n') == NULL);
		FUZZ_ASSERT(is_name == (strchr(path, '/') == NULL));
		FUZZ_ASSERT(len == size || text[len] == '\n' ||
		    (text[len] == '\r' && len + 1 < size && text[len + 1] == '\n'));
		free(path);
	}
	r = python_version_parse(text, size, &entries, &n, err, sizeof err);
	if (size > PYTHON_VERSION_MAX || (size > 0 && memchr(text, '\0', size) != NULL))
		FUZZ_ASSERT(r == -1 && entries == NULL && n == 0);
	else {
		FUZZ_ASSERT(r == 0 && n <= PYTHON_VERSION_ENTRIES);
		for (size_t i = 0; i < n; i++)
			check_entry(entries[i]);
		python_version_free(entries, n);
	}
	return 0;
}

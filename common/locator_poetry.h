/*
 * locator_poetry.h: how Poetry names the venvs it keeps in
 * virtualenvs.path, "<name>-<h8>-py<X.Y>" (locator_poetry.c). Pure.
 */
#ifndef VENVD_LOCATOR_POETRY_H
#define VENVD_LOCATOR_POETRY_H

#include <stddef.h>

/* How a Poetry release normalises the package name before sanitising it. */
enum poetry_naming {
	POETRY_NAMING_PEP503,	/* Poetry >= 1.2 (Debian's 1.3.2, 2.x): runs of [-_.] become '-' */
	POETRY_NAMING_LEGACY,	/* Poetry 1.1 (poetry-core 1.0): runs of [-_] become '-', dots stay */
};

/*
 * The base name Poetry gives the venvs of the package called name (UTF-8)
 * in the project whose realpath is realdir: the name normalised as
 * naming says and lowercased, each of [ $`!*@"\\\r\n\t] replaced by '_',
 * cut to 42 characters, then '-' and the first 8 characters of the
 * URL-safe base64 of SHA-256(realdir). The venv itself adds
 * "-py<X.Y>". Into out (outlen bytes); its length, or -1 when name is
 * not UTF-8 or the result does not fit.
 *
 * Lowercasing follows Python's str.lower() for ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic; capitals of other scripts are kept.
 */
int	poetry_env_name(const char *name, enum poetry_naming naming,
	    const char *realdir, char *out, size_t outlen);

#endif

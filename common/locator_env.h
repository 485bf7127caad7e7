/*
 * locator_env.h: the environment variables the locators read, in one
 * list, and the rules their values must follow.
 *
 * A locator reads the environment only through locator_env() and its
 * friends (locator.h), and only the variables listed in
 * locator_env_vars[] (locator_env.c): a name missing there reads as
 * unset, so a new locator that reads a new variable adds one line to
 * the list, and a unit test checks that every name the locators ask for
 * is in it.
 *
 * The list is also what a client sends with a resolve ("env" in
 * protocol.h): the daemon answers each client for the client's own
 * values, which may differ from the environment the daemon was started
 * with (a systemd user manager has no WORKON_HOME from ~/.bashrc).
 *
 * Values. Empty means unset. A path variable must be absolute; every
 * value is shorter than PATH_MAX, holds no control character (a newline
 * in a path variable is refused, not split), and a word (a flag such as
 * POETRY_VIRTUALENVS_IN_PROJECT) is at most LOCATOR_ENV_WORD_MAX bytes.
 * A value that breaks a rule reads as unset everywhere (the client's
 * fallback, the daemon's own environment); a client sending one is
 * refused (RPC_INVALID_PARAMS). Pure: no I/O.
 */
#ifndef VENVD_LOCATOR_ENV_H
#define VENVD_LOCATOR_ENV_H

#include <stddef.h>

/* The longest word value (a flag); paths may be up to PATH_MAX - 1 bytes. */
#define LOCATOR_ENV_WORD_MAX	64

/* One variable the locators read. */
struct locator_env_var {
	const char	*name;
	int		 path;		/* 1: an absolute path; 0: a word */
};

/* Every variable the locators read; ends with a NULL name. */
extern const struct locator_env_var locator_env_vars[];

/* name's entry in locator_env_vars[], or NULL when no locator reads it. */
const struct locator_env_var *locator_env_lookup(const char *name);
/*
 * Is value (len bytes) acceptable for the listed variable name? 1 when
 * it is (non-empty and valid), 0 when empty, -1 with err when it breaks
 * a rule or name is not listed.
 */
int	locator_env_check(const char *name, const char *value, size_t len,
	    char *err, size_t errlen);
/* The value of name in env ("NAME=value" list, NULL-terminated; may be NULL), or NULL. */
const char *locator_env_find(const char *const *env, const char *name);
/*
 * The locator environment of env: "NAME=value" for each listed variable
 * that is set in env with a valid, non-empty value, in list order;
 * malloc'd and NULL-terminated (free with locator_env_free).
 */
char	**locator_env_collect(const char *const *env);
/* Do a and b (as locator_env_collect makes them) hold the same variables and values? */
int	locator_env_equal(const char *const *a, const char *const *b);
/* The names whose value differs between a and b, space-separated, into out (always terminated). */
void	locator_env_diff(const char *const *a, const char *const *b, char *out,
	    size_t outlen);
/* A copy of env (NULL-terminated "NAME=value" list). */
char	**locator_env_copy(const char *const *env);
/* Free a list from locator_env_collect or locator_env_copy (NULL is fine). */
void	locator_env_free(char **env);

#endif

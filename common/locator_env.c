/*
 * locator_env.c: the environment variables the locators read (one list)
 * and the rules for their values. See locator_env.h.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator_env.h"
#include "xmalloc.h"

/*
 * Every variable a locator reads, with the locators that read it. A new
 * one is one line here (and in the ENVIRONMENT sections of venvd(1) and
 * venvd-daemon(8)).
 */
const struct locator_env_var locator_env_vars[] = {
	{ "HOME", 1 },				/* every central store */
	{ "XDG_CACHE_HOME", 1 },		/* Poetry's cache dir */
	{ "XDG_CONFIG_HOME", 1 },		/* Poetry's config.toml */
	{ "XDG_DATA_HOME", 1 },			/* Pipenv's store */
	{ "WORKON_HOME", 1 },			/* Pipenv, virtualenvwrapper, .venv names */
	{ "PYENV_ROOT", 1 },			/* pyenv-virtualenv */
	{ "POETRY_CONFIG_DIR", 1 },
	{ "POETRY_CACHE_DIR", 1 },
	{ "POETRY_VIRTUALENVS_PATH", 1 },
	{ "POETRY_VIRTUALENVS_IN_PROJECT", 0 },
	{ "POETRY_VIRTUALENVS_CREATE", 0 },
	{ "PIPENV_VENV_IN_PROJECT", 0 },
	{ NULL, 0 }
};

/* name's entry in locator_env_vars[], or NULL. */
const struct locator_env_var *
locator_env_lookup(const char *name)
{
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
		if (strcmp(locator_env_vars[i].name, name) == 0)
			return &locator_env_vars[i];
	}
	return NULL;
}

/* Is value (len bytes) acceptable for name? 1 yes, 0 empty, -1 with err. */
int
locator_env_check(const char *name, const char *value, size_t len, char *err,
    size_t errlen)
{
	const struct locator_env_var *v = locator_env_lookup(name);

	if (v == NULL) {
		snprintf(err, errlen, "%s is not read by any locator", name);
		return -1;
	}
	if (len == 0)
		return 0;
	if (memchr(value, '\0', len) != NULL) {
		snprintf(err, errlen, "%s holds a NUL byte", name);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "%s holds a control character", name);
			return -1;
		}
	}
	if (v->path && value[0] != '/') {
		snprintf(err, errlen, "%s must be an absolute path", name);
		return -1;
	}
	if (v->path && len >= PATH_MAX) {
		snprintf(err, errlen, "%s is longer than PATH_MAX (%d bytes)",
		    name, PATH_MAX - 1);
		return -1;
	}
	if (!v->path && len > LOCATOR_ENV_WORD_MAX) {
		snprintf(err, errlen, "%s is longer than %d bytes", name,
		    LOCATOR_ENV_WORD_MAX);
		return -1;
	}
	return 1;
}

/* The value of name in env, or NULL. */
const char *
locator_env_find(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	if (env == NULL)
		return NULL;
	for (size_t i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	}
	return NULL;
}

/* The listed variables set in env with valid, non-empty values, in list order. */
char **
locator_env_collect(const char *const *env)
{
	char **out, err[128];
	const char *v;
	size_t n = 0;

	for (size_t i = 0; locator_env_vars[i].name != NULL; i++)
		n++;
	out = xcalloc(n + 1, sizeof *out);
	n = 0;
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
		const char *name = locator_env_vars[i].name;

		v = locator_env_find(env, name);
		if (v == NULL || locator_env_check(name, v, strlen(v), err,
		    sizeof err) != 1)
			continue;
		xasprintf(&out[n++], "%s=%s", name, v);
	}
	out[n] = NULL;
	return out;
}

/* Do a and b hold the same variables and values? */
int
locator_env_equal(const char *const *a, const char *const *b)
{
	size_t i;

	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	}
	return a[i] == NULL && b[i] == NULL;
}

/* The names whose value differs between a and b, space-separated. */
void
locator_env_diff(const char *const *a, const char *const *b, char *out,
    size_t outlen)
{
	size_t used = 0;
	const char *va, *vb;
	int n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
		va = locator_env_find(a, locator_env_vars[i].name);
		vb = locator_env_find(b, locator_env_vars[i].name);
		if (va == vb || (va != NULL && vb != NULL && strcmp(va, vb) == 0))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used > 0 ? " " : "",
		    locator_env_vars[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

/* A copy of env. */
char **
locator_env_copy(const char *const *env)
{
	size_t n = 0;
	char **out;

	while (env != NULL && env[n] != NULL)
		n++;
	out = xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(env[i]);
	return out;
}

/* Free a list from locator_env_collect or locator_env_copy. */
void
locator_env_free(char **env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/*
 * fuzz_conf.c: libFuzzer harness for the config file parser (conf_parse,
 * the pure part of conf_load; "~" in roots is FUZZ_HOME, handed in).
 *
 * Properties: whatever the text, the result holds only values the
 * daemon accepts (1-16 venv_dirs names that are single path components,
 * absolute roots shorter than PATH_MAX, limits at their minimums, known
 * trust and pip_guard values); a failure says why; parsing the same
 * text again over the result is safe and gives the same result.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "xmalloc.h"

/* The home directory handed to the parser for "~" in roots. */
#define FUZZ_HOME	"/home/fuzz"

/* Check that cfg holds only values the daemon accepts. */
static void
check_conf(const struct conf *cfg)
{
	FUZZ_ASSERT(cfg->n_venv_dirs >= 1 && cfg->n_venv_dirs <= CONF_MAX_VENV_DIRS);
	for (size_t i = 0; i < cfg->n_venv_dirs; i++) {
		const char *d = cfg->venv_dirs[i];

		FUZZ_ASSERT(d != NULL && d[0] != '\0');
		FUZZ_ASSERT(strchr(d, '/') == NULL && strpbrk(d, " \t") == NULL);
		FUZZ_ASSERT(strcmp(d, ".") != 0 && strcmp(d, "..") != 0);
		FUZZ_ASSERT(strlen(d) <= NAME_MAX);
	}
	for (size_t i = cfg->n_venv_dirs; i < CONF_MAX_VENV_DIRS; i++)
		FUZZ_ASSERT(cfg->venv_dirs[i] == NULL);
	FUZZ_ASSERT((cfg->n_roots == 0) == (cfg->roots == NULL));
	for (size_t i = 0; i < cfg->n_roots; i++) {
		FUZZ_ASSERT(cfg->roots[i] != NULL && cfg->roots[i][0] == '/');
		FUZZ_ASSERT(strlen(cfg->roots[i]) < PATH_MAX);
	}
	FUZZ_ASSERT(cfg->max_watches >= 8);
	FUZZ_ASSERT(cfg->max_clients >= 1);
	FUZZ_ASSERT(cfg->pip_guard == 0 || cfg->pip_guard == 1);
	FUZZ_ASSERT(cfg->trust == CONF_TRUST_AUTO || cfg->trust == CONF_TRUST_ASK ||
	    cfg->trust == CONF_TRUST_ALL);
}

/* Do a and b hold the same settings? */
static int
conf_same(const struct conf *a, const struct conf *b)
{
	if (a->n_venv_dirs != b->n_venv_dirs || a->n_roots != b->n_roots ||
	    a->max_watches != b->max_watches || a->max_clients != b->max_clients ||
	    a->pip_guard != b->pip_guard || a->trust != b->trust)
		return 0;
	for (size_t i = 0; i < a->n_venv_dirs; i++)
		if (strcmp(a->venv_dirs[i], b->venv_dirs[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->n_roots; i++)
		if (strcmp(a->roots[i], b->roots[i]) != 0)
			return 0;
	return 1;
}

/*
 * One input: the text of a config file. conf_load refuses a file with
 * a NUL, so the text ends at the first one.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf once, twice;
	char *text = xstrndup((const char *)data, size);
	char err[256], err2[256];
	int r, r2;

	conf_defaults(&once);
	err[0] = '\0';
	r = conf_parse(text, FUZZ_HOME, &once, err, sizeof err);
	FUZZ_ASSERT(r == 0 || r == -1);
	FUZZ_ASSERT(r == 0 || err[0] != '\0');
	check_conf(&once);

	/* Every valid key was applied, so the same text again changes nothing. */
	conf_defaults(&twice);
	conf_parse(text, FUZZ_HOME, &twice, err2, sizeof err2);
	err2[0] = '\0';
	r2 = conf_parse(text, FUZZ_HOME, &twice, err2, sizeof err2);
	FUZZ_ASSERT(r2 == r);
	FUZZ_ASSERT(strcmp(err, err2) == 0);
	check_conf(&twice);
	FUZZ_ASSERT(conf_same(&once, &twice));
	conf_free(&once);
	conf_free(&twice);
	free(text);
	return 0;
}

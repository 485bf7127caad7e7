/*
 * check_locator_env.c: the one list of variables the locators read
 * (common/locator_env.c), the rules for their values, and the "env"
 * object of the protocol (rpc_env_from_json / rpc_env_to_json).
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "suites.h"
#include "buf.h"
#include "locator.h"
#include "locator_env.h"
#include "protocol.h"
#include "rpc.h"
#include "tmptree.h"
#include "xmalloc.h"

/* Read TOP_SRCDIR/rel whole, or NULL when TOP_SRCDIR is not set. */
static char *
read_source(const char *rel)
{
	const char *top = getenv("TOP_SRCDIR");
	char *path, *text;
	size_t len = 0, n, cap = 1024 * 1024;
	FILE *f;

	if (top == NULL)
		return NULL;
	xasprintf(&path, "%s/%s", top, rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	text = xmalloc(cap);
	while ((n = fread(text + len, 1, cap - 1 - len, f)) > 0)
		len += n;
	text[len] = '\0';
	fclose(f);
	free(path);
	return text;
}

/* Check every literal name passed to call( in text is listed; returns how many were seen. */
static int
names_listed(const char *file, const char *text, const char *call)
{
	const char *p = text, *q, *end;
	char name[128];
	int seen = 0;

	while ((p = strstr(p, call)) != NULL) {
		p += strlen(call);
		/* locator_env(w, "NAME"): the second argument. */
		if ((q = strchr(p, ',')) == NULL || (end = strchr(p, ')')) == NULL ||
		    q > end)
			continue;
		q++;
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		if (*q != '"')
			continue;	/* a variable (the helpers themselves) */
		q++;
		if ((end = strchr(q, '"')) == NULL || (size_t)(end - q) >= sizeof name)
			continue;
		memcpy(name, q, (size_t)(end - q));
		name[end - q] = '\0';
		ck_assert_msg(locator_env_lookup(name) != NULL,
		    "%s reads %s, which is not in locator_env_vars[] "
		    "(common/locator_env.c)", file, name);
		seen++;
	}
	return seen;
}

/* Every name a locator asks locator_env()/locator_env_path() for is in the list. */
START_TEST(test_every_name_listed)
{
	const char *top = getenv("TOP_SRCDIR");
	struct dirent *de;
	char *dir, *rel, *text;
	int seen = 0, files = 0;
	DIR *dp;

	if (top == NULL) {
		fprintf(stderr, "skipped: TOP_SRCDIR is not set (run through make check)\n");
		return;
	}
	xasprintf(&dir, "%s/common", top);
	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "locator", 7) != 0 || n < 3 ||
		    strcmp(de->d_name + n - 2, ".c") != 0)
			continue;
		xasprintf(&rel, "common/%s", de->d_name);
		text = read_source(rel);
		seen += names_listed(rel, text, "locator_env(");
		seen += names_listed(rel, text, "locator_env_path(");
		free(text);
		free(rel);
		files++;
	}
	closedir(dp);
	free(dir);
	ck_assert_int_ge(files, 8);
	/* HOME, WORKON_HOME, PYENV_ROOT, the POETRY_* and PIPENV_* at least. */
	ck_assert_int_ge(seen, 10);
}
END_TEST

/* A locator asking for a variable that is not listed reads it as unset. */
START_TEST(test_unlisted_reads_unset)
{
	char **env = tmptree_env("PATH", "/usr/bin", "WORKON_HOME", "/w",
	    "PYENV_ROOT", "relative", "HOME", "/h\nx", NULL);
	struct resolve_opts opts;
	struct locator_walk w;

	memset(&opts, 0, sizeof opts);
	memset(&w, 0, sizeof w);
	opts.env = (const char *const *)env;
	w.opts = &opts;
	w.fd = -1;
	ck_assert_ptr_null(locator_env(&w, "PATH"));
	ck_assert_str_eq(locator_env(&w, "WORKON_HOME"), "/w");
	/* Invalid values read as unset, as the daemon would refuse them. */
	ck_assert_ptr_null(locator_env(&w, "PYENV_ROOT"));
	ck_assert_ptr_null(locator_env(&w, "HOME"));
	ck_assert_ptr_null(locator_home(&w));
	tmptree_env_free(env);
}
END_TEST

/* The rules: absolute paths, no control characters, bounded sizes, empty is unset. */
START_TEST(test_check_rules)
{
	char err[256], *big;
	char word[LOCATOR_ENV_WORD_MAX + 2];

	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/w", 2, err, sizeof err), 1);
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "", 0, err, sizeof err), 0);
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "w", 1, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/a\nb", 4, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "control"));
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/a\tb", 4, err, sizeof err), -1);
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/a\x7f", 3, err, sizeof err), -1);
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/a\0b", 4, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	/* Bytes that are not UTF-8 are a path's business. */
	ck_assert_int_eq(locator_env_check("WORKON_HOME", "/\xff\xfe", 3, err, sizeof err), 1);
	ck_assert_int_eq(locator_env_check("PATH", "/usr/bin", 8, err, sizeof err), -1);
	ck_assert_int_eq(locator_env_check("POETRY_VIRTUALENVS_IN_PROJECT", "true", 4,
	    err, sizeof err), 1);
	memset(word, 'x', sizeof word);
	word[LOCATOR_ENV_WORD_MAX] = '\0';
	ck_assert_int_eq(locator_env_check("PIPENV_VENV_IN_PROJECT", word,
	    strlen(word), err, sizeof err), 1);
	word[LOCATOR_ENV_WORD_MAX] = 'x';
	word[LOCATOR_ENV_WORD_MAX + 1] = '\0';
	ck_assert_int_eq(locator_env_check("PIPENV_VENV_IN_PROJECT", word,
	    strlen(word), err, sizeof err), -1);
	big = xmalloc(PATH_MAX + 1);
	memset(big, 'a', PATH_MAX);
	big[0] = '/';
	big[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(locator_env_check("HOME", big, PATH_MAX - 1, err, sizeof err), 1);
	big[PATH_MAX - 1] = 'a';
	big[PATH_MAX] = '\0';
	ck_assert_int_eq(locator_env_check("HOME", big, PATH_MAX, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "PATH_MAX"));
	free(big);
}
END_TEST

/* collect: the listed, valid, non-empty variables, in list order; equal and diff. */
START_TEST(test_collect_equal_diff)
{
	char **raw = tmptree_env("WORKON_HOME", "/w", "PATH", "/bin",
	    "HOME", "/h", "PYENV_ROOT", "", "XDG_DATA_HOME", "rel",
	    "POETRY_VIRTUALENVS_CREATE", "false", NULL);
	char **raw2 = tmptree_env("HOME", "/h", "WORKON_HOME", "/other", NULL);
	char **a = locator_env_collect((const char *const *)raw);
	char **b = locator_env_collect((const char *const *)raw2);
	char **c, diff[256];

	ck_assert_str_eq(a[0], "HOME=/h");
	ck_assert_str_eq(a[1], "WORKON_HOME=/w");
	ck_assert_str_eq(a[2], "POETRY_VIRTUALENVS_CREATE=false");
	ck_assert_ptr_null(a[3]);
	c = locator_env_copy((const char *const *)a);
	ck_assert_int_eq(locator_env_equal((const char *const *)a,
	    (const char *const *)c), 1);
	ck_assert_int_eq(locator_env_equal((const char *const *)a,
	    (const char *const *)b), 0);
	locator_env_diff((const char *const *)a, (const char *const *)b, diff,
	    sizeof diff);
	ck_assert_str_eq(diff, "WORKON_HOME POETRY_VIRTUALENVS_CREATE");
	locator_env_diff((const char *const *)a, (const char *const *)c, diff,
	    sizeof diff);
	ck_assert_str_eq(diff, "");
	/* A prefix is not equal. */
	free(c[2]);
	c[2] = NULL;
	ck_assert_int_eq(locator_env_equal((const char *const *)a,
	    (const char *const *)c), 0);
	locator_env_free(c);
	locator_env_free(a);
	locator_env_free(b);
	tmptree_env_free(raw);
	tmptree_env_free(raw2);
}
END_TEST

/* rpc_env_from_json on text as it comes off the wire. */
static int
from_wire(const char *text, char ***env, char *err, size_t errlen)
{
	json_t *j = rpc_loadb(text, strlen(text), 0, NULL);
	int rc;

	ck_assert_msg(j != NULL, "not JSON: %s", text);
	rc = rpc_env_from_json(j, env, err, errlen);
	json_decref(j);
	return rc;
}

/* The "env" object: validated, bounded, unknown names ignored, canonical order. */
START_TEST(test_env_json)
{
	struct buf big = BUF_INIT;
	char err[256], **env, *text;
	json_t *j;

	ck_assert_int_eq(from_wire("[\"HOME=/h\"]", &env, err, sizeof err), -1);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(from_wire("{\"HOME\": 1}", &env, err, sizeof err), -1);
	ck_assert_int_eq(from_wire("{\"HOME\": \"h\"}", &env, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	ck_assert_int_eq(from_wire("{\"HOME\": \"/h\\n/x\"}", &env, err, sizeof err), -1);
	/* An unknown name may carry anything: it cannot change an answer. */
	ck_assert_int_eq(from_wire("{\"WORKON_HOME\": \"/w\", \"X\": \"\\n\", "
	    "\"HOME\": \"/h\", \"PYENV_ROOT\": \"\"}", &env, err, sizeof err), 0);
	ck_assert_str_eq(env[0], "HOME=/h");
	ck_assert_str_eq(env[1], "WORKON_HOME=/w");
	ck_assert_ptr_null(env[2]);
	/* Back to the wire and in again: the same list. */
	j = rpc_env_to_json((const char *const *)env);
	text = rpc_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ck_assert_str_eq(text, "{\"HOME\":\"/h\",\"WORKON_HOME\":\"/w\"}");
	free(text);
	json_decref(j);
	locator_env_free(env);
	/* A path's bytes that are not UTF-8, as \udcXX. */
	ck_assert_int_eq(from_wire("{\"WORKON_HOME\": \"/w\\udcff\"}", &env, err,
	    sizeof err), 0);
	ck_assert_str_eq(env[0], "WORKON_HOME=/w\xff");
	j = rpc_env_to_json((const char *const *)env);
	text = rpc_dumps(j, JSON_COMPACT);
	ck_assert_str_eq(text, "{\"WORKON_HOME\":\"/w\\udcff\"}");
	free(text);
	json_decref(j);
	locator_env_free(env);
	/* Bounded: at most VENVD_ENV_MAX_VARS members. */
	buf_putc(&big, '{');
	for (int i = 0; i <= VENVD_ENV_MAX_VARS; i++)
		buf_printf(&big, "%s\"V%d\": \"x\"", i > 0 ? ", " : "", i);
	buf_putc(&big, '}');
	ck_assert_int_eq(from_wire(big.data, &env, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "members"));
	buf_free(&big);
	/* {} is an environment with nothing set, not the daemon's. */
	ck_assert_int_eq(from_wire("{}", &env, err, sizeof err), 0);
	ck_assert_ptr_null(env[0]);
	locator_env_free(env);
}
END_TEST

Suite *
suite_locator_env(void)
{
	Suite *s = suite_create("locator_env");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_name_listed);
	tcase_add_test(tc, test_unlisted_reads_unset);
	tcase_add_test(tc, test_check_rules);
	tcase_add_test(tc, test_collect_equal_diff);
	tcase_add_test(tc, test_env_json);
	suite_add_tcase(s, tc);
	return s;
}

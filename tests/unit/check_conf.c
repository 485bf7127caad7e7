/* check_conf.c: unit tests for the config file parser and its man page. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "protocol.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

/* The home directory handed to the parser for "~". */
#define TEST_HOME	"/home/u"

START_TEST(test_defaults)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_uint_eq(c.n_venv_dirs, 2);
	ck_assert_str_eq(c.venv_dirs[0], ".venv");
	ck_assert_str_eq(c.venv_dirs[1], "venv");
	ck_assert_int_eq(c.max_watches, 8192);
	ck_assert_int_eq(c.max_clients, VENVD_DEFAULT_MAX_CLIENTS);
	ck_assert_int_eq(c.git_timeout, CONF_GIT_TIMEOUT_S);
	conf_free(&c);
}
END_TEST

START_TEST(test_values)
{
	struct conf c;
	char err[256] = "";

	conf_defaults(&c);
	ck_assert_msg(conf_parse("# comment\n; comment\nvenv_dirs = env .env  .venv\n"
	    "[venvd]\nmax_watches = 100\nmax_clients=3\n", TEST_HOME, &c, err, sizeof err) == 0,
	    "%s", err);
	ck_assert_uint_eq(c.n_venv_dirs, 3);
	ck_assert_str_eq(c.venv_dirs[0], "env");
	ck_assert_str_eq(c.venv_dirs[1], ".env");
	ck_assert_str_eq(c.venv_dirs[2], ".venv");
	ck_assert_int_eq(c.max_watches, 100);
	ck_assert_int_eq(c.max_clients, 3);
	conf_free(&c);
	/* CRLF and an empty text. */
	conf_defaults(&c);
	ck_assert_int_eq(conf_parse("max_watches = 16\r\n", TEST_HOME, &c, err, sizeof err), 0);
	ck_assert_int_eq(c.max_watches, 16);
	ck_assert_int_eq(conf_parse("", TEST_HOME, &c, err, sizeof err), 0);
	ck_assert_int_eq(c.max_watches, 16);
	conf_free(&c);
}
END_TEST

/* Parse text expecting failure whose message contains want. */
static void
parse_bad(const char *text, const char *want, struct conf *c)
{
	char err[256] = "";

	ck_assert_int_eq(conf_parse(text, TEST_HOME, c, err, sizeof err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" lacks \"%s\"", err, want);
}

START_TEST(test_errors_keep_valid_keys)
{
	struct conf c;

	conf_defaults(&c);
	parse_bad("max_clients = 9\nmax_watches = 7\nvenv_dirs = a b\n", "line 2: max_watches", &c);
	ck_assert_int_eq(c.max_clients, 9);
	ck_assert_int_eq(c.max_watches, 8192);
	ck_assert_uint_eq(c.n_venv_dirs, 2);
	ck_assert_str_eq(c.venv_dirs[0], "a");
	conf_free(&c);

	conf_defaults(&c);
	parse_bad("\n\nbogus = 1\nmax_watches = 20\n", "line 3: unknown key \"bogus\"", &c);
	ck_assert_int_eq(c.max_watches, 20);
	conf_free(&c);

	conf_defaults(&c);
	parse_bad("max_clients = 0\n", "line 1: max_clients", &c);
	ck_assert_int_eq(c.max_clients, VENVD_DEFAULT_MAX_CLIENTS);
	parse_bad("max_clients = 12abc\n", "max_clients", &c);
	parse_bad("max_clients = 99999999999999999999999\n", "max_clients", &c);
	parse_bad("max_watches =\n", "max_watches", &c);
	parse_bad("git_timeout = 0\n", "line 1: git_timeout", &c);
	parse_bad("git_timeout = 3601\n", "git_timeout", &c);
	ck_assert_int_eq(c.git_timeout, CONF_GIT_TIMEOUT_S);
	{
		char err[256];

		ck_assert_int_eq(conf_parse("git_timeout = 3600\n", TEST_HOME, &c,
		    err, sizeof err), 0);
	}
	ck_assert_int_eq(c.git_timeout, 3600);
	parse_bad("[other]\nmax_watches = 20\n", "line 2: unknown section [other]", &c);
	ck_assert_int_eq(c.max_watches, 8192);
	parse_bad("this is not ini\n", "line 1", &c);
	conf_free(&c);
}
END_TEST

START_TEST(test_bad_venv_dirs)
{
	struct conf c;
	struct buf many = BUF_INIT;

	conf_defaults(&c);
	parse_bad("venv_dirs = .venv a/b\n", "\"a/b\" is not a single directory name", &c);
	parse_bad("venv_dirs = ..\n", "\"..\"", &c);
	parse_bad("venv_dirs = . x\n", "\".\"", &c);
	parse_bad("venv_dirs = /abs\n", "/abs", &c);
	parse_bad("venv_dirs =\n", "at least one", &c);
	/* Nothing bad was applied. */
	ck_assert_uint_eq(c.n_venv_dirs, 2);
	ck_assert_str_eq(c.venv_dirs[0], ".venv");
	buf_puts(&many, "venv_dirs =");
	for (int i = 0; i <= CONF_MAX_VENV_DIRS; i++)
		buf_printf(&many, " d%d", i);
	buf_putc(&many, '\n');
	parse_bad(many.data, "more than", &c);
	ck_assert_uint_eq(c.n_venv_dirs, 2);
	buf_free(&many);
	conf_free(&c);
}
END_TEST

/* conf_load refuses path with a message naming it and containing want. */
static void
load_bad(const char *path, const char *want)
{
	struct conf c;
	char err[512] = "";

	conf_defaults(&c);
	ck_assert_int_eq(conf_load(path, TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0 && strstr(err, want) != NULL,
	    "\"%s\" lacks \"%s: ...%s\"", err, path, want);
	ck_assert_int_eq(c.max_watches, 8192);
	conf_free(&c);
}

/* The files conf_load refuses: FIFO, device, directory, loop, too big, binary. */
static void
load_refused(const char *root)
{
	char *fifo, *loop, *big, *bin, *text;

	xasprintf(&fifo, "%s/fifo", root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	load_bad(fifo, ": not a regular file");
	load_bad("/dev/zero", ": not a regular file");
	load_bad(root, ": not a regular file");
	tmptree_symlink(root, "loop", "loop");
	xasprintf(&loop, "%s/loop", root);
	load_bad(loop, strerror(ELOOP));
	text = xmalloc(256 * 1024 + 2);
	memset(text, '#', 256 * 1024 + 1);
	text[256 * 1024 + 1] = '\0';
	tmptree_write(root, "big", text);
	xasprintf(&big, "%s/big", root);
	load_bad(big, ": larger than 262144 bytes");
	/* Exactly at the limit is fine. */
	text[256 * 1024] = '\0';
	tmptree_write(root, "big", text);
	{
		struct conf c;
		char err[512] = "";

		conf_defaults(&c);
		ck_assert_msg(conf_load(big, TEST_HOME, &c, err, sizeof err) == 0, "%s", err);
		conf_free(&c);
	}
	tmptree_write(root, "bin", "max_watches = 9\n");
	xasprintf(&bin, "%s/bin", root);
	{
		FILE *f = fopen(bin, "a");

		ck_assert_ptr_nonnull(f);
		fputc('\0', f);
		fclose(f);
	}
	load_bad(bin, ": binary content");
	free(text);
	free(fifo);
	free(loop);
	free(big);
	free(bin);
}

START_TEST(test_load)
{
	char *root = tmptree_new(), *path;
	struct conf c;
	char err[512] = "";

	conf_defaults(&c);
	xasprintf(&path, "%s/missing/config", root);
	ck_assert_int_eq(conf_load(path, TEST_HOME, &c, err, sizeof err), 0);
	ck_assert_int_eq(c.max_watches, 8192);
	free(path);

	tmptree_write(root, "venvd/config", "[venvd]\nvenv_dirs = .env\nmax_watches = 64\n");
	xasprintf(&path, "%s/venvd/config", root);
	ck_assert_msg(conf_load(path, TEST_HOME, &c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.max_watches, 64);
	ck_assert_uint_eq(c.n_venv_dirs, 1);
	ck_assert_str_eq(c.venv_dirs[0], ".env");
	free(path);

	tmptree_write(root, "bad", "max_watches = 1\n");
	xasprintf(&path, "%s/bad", root);
	ck_assert_int_eq(conf_load(path, TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	free(path);
	ck_assert_int_eq(conf_load(root, TEST_HOME, &c, err, sizeof err), -1);
	conf_free(&c);
	load_refused(root);

	/* conf_load_default follows XDG_CONFIG_HOME. */
	setenv("XDG_CONFIG_HOME", root, 1);
	conf_defaults(&c);
	ck_assert_msg(conf_load_default(&c, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(c.max_watches, 64);
	conf_free(&c);
	unsetenv("XDG_CONFIG_HOME");
	tmptree_free(root);
}
END_TEST

START_TEST(test_keys_table)
{
	struct conf c;
	char err[256];
	int n = 0;

	/* Every key's default parses and gives the default. */
	for (const struct conf_key *k = conf_keys; k->name != NULL; k++) {
		char *line;

		ck_assert_ptr_nonnull(k->description);
		xasprintf(&line, "%s = %s\n", k->name, k->default_value);
		conf_defaults(&c);
		ck_assert_msg(conf_parse(line, TEST_HOME, &c, err, sizeof err) == 0, "%s: %s", line, err);
		ck_assert_str_eq(c.venv_dirs[0], ".venv");
		ck_assert_int_eq(c.max_watches, 8192);
		ck_assert_int_eq(c.max_clients, VENVD_DEFAULT_MAX_CLIENTS);
		ck_assert_int_eq(c.git_timeout, CONF_GIT_TIMEOUT_S);
		ck_assert_uint_eq(c.n_locators_off, 0);
		conf_free(&c);
		free(line);
		n++;
	}
	ck_assert_int_eq(n, 9);
}
END_TEST

START_TEST(test_roots_guard_trust)
{
	struct conf c;
	char err[256];

	/* The parser takes "~" from its caller, never from the environment. */
	setenv("HOME", "/elsewhere", 1);
	conf_defaults(&c);
	ck_assert_int_eq(c.pip_guard, 1);
	ck_assert_int_eq(c.discover_stores, 1);
	ck_assert_int_eq(c.trust, CONF_TRUST_AUTO);
	ck_assert_uint_eq(c.n_roots, 0);
	ck_assert_int_eq(conf_parse("roots = ~/code  /srv/x\t~\npip_guard = OFF\ntrust = ask\n",
	    TEST_HOME, &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_roots, 3);
	ck_assert_str_eq(c.roots[0], "/home/u/code");
	ck_assert_str_eq(c.roots[1], "/srv/x");
	ck_assert_str_eq(c.roots[2], "/home/u");
	ck_assert_int_eq(c.pip_guard, 0);
	ck_assert_int_eq(c.trust, CONF_TRUST_ASK);
	ck_assert_str_eq(conf_trust_name(c.trust), "ask");

	/* Bad values are refused with the line, and the valid keys still apply. */
	ck_assert_int_eq(conf_parse("trust = all\nroots = rel/dir\n", TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: roots: \"rel/dir\" is not an absolute path");
	ck_assert_int_eq(c.trust, CONF_TRUST_ALL);
	ck_assert_uint_eq(c.n_roots, 3);
	ck_assert_int_eq(conf_parse("pip_guard = maybe\n", TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 1: pip_guard: \"maybe\" is not true or false");
	ck_assert_int_eq(conf_parse("discover_stores = no\n", TEST_HOME, &c, err, sizeof err), 0);
	ck_assert_int_eq(c.discover_stores, 0);
	ck_assert_int_eq(conf_parse("discover_stores = some\n", TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 1: discover_stores: \"some\" is not true or false");
	ck_assert_int_eq(c.discover_stores, 0);
	ck_assert_int_eq(conf_parse("trust = sometimes\n", TEST_HOME, &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 1: trust: \"sometimes\" is not auto, ask or all");
	conf_free(&c);

	/* No home directory: "~" is refused, an absolute root is still fine. */
	conf_defaults(&c);
	ck_assert_int_eq(conf_parse("roots = /srv/y ~/code\n", NULL, &c, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 1: roots: \"~/code\": no home directory");
	ck_assert_int_eq(conf_parse("roots = /srv/y\n", NULL, &c, err, sizeof err), 0);
	ck_assert_uint_eq(c.n_roots, 1);
	conf_free(&c);
	unsetenv("HOME");
}
END_TEST

/* The locators turned off, space-separated, for comparing. */
static char *
off_list(const struct conf *c)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s", "");
	for (size_t i = 0; i < c->n_locators_off; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", c->locators_off[i]);
	return b.data;
}

/* Assert that text gives exactly the locators off in want. */
static void
assert_off(const char *text, const char *want)
{
	struct conf c;
	char err[512] = "", *got;

	conf_defaults(&c);
	ck_assert_msg(conf_parse(text, TEST_HOME, &c, err, sizeof err) == 0,
	    "%s: %s", text, err);
	got = off_list(&c);
	ck_assert_msg(strcmp(got, want) == 0, "%s: off \"%s\", want \"%s\"",
	    text, got, want);
	free(got);
	conf_free(&c);
}

/* Assert that text is refused with err want, and leaves the locators alone. */
static void
assert_locators_bad(const char *text, const char *want)
{
	struct conf c;
	char err[512] = "", *got;

	conf_defaults(&c);
	ck_assert_int_eq(conf_parse("locators = -pipenv\n", TEST_HOME, &c, err,
	    sizeof err), 0);
	ck_assert_msg(conf_parse(text, TEST_HOME, &c, err, sizeof err) == -1,
	    "%s accepted", text);
	ck_assert_str_eq(err, want);
	got = off_list(&c);
	ck_assert_str_eq(got, "pipenv");
	free(got);
	conf_free(&c);
}

START_TEST(test_locators)
{
	struct conf c;

	/* All on by default. */
	conf_defaults(&c);
	ck_assert_uint_eq(c.n_locators_off, 0);
	conf_free(&c);
	/* -NAME turns one off, the others stay on; repeated is once. */
	assert_off("locators = -poetry\n", "poetry");
	assert_off("locators = -pipenv -poetry\t-pipenv\n", "poetry pipenv");
	/* Names: exactly those (and self), in table order whatever their order. */
	assert_off("locators = venv_dirs\n",
	    "venv-file pdm poetry pipenv pyenv-virtualenv virtualenvwrapper");
	assert_off("locators = poetry self venv_dirs venv-file\n",
	    "pdm pipenv pyenv-virtualenv virtualenvwrapper");
	assert_off("locators = self\n", "venv-file venv_dirs pdm poetry pipenv "
	    "pyenv-virtualenv virtualenvwrapper");
	/* self may be named (a no-op), never turned off. */
	assert_off("locators = self venv-file venv_dirs pdm poetry pipenv "
	    "pyenv-virtualenv virtualenvwrapper\n", "");
	/* The last line wins, as for every key. */
	assert_off("locators = -poetry\nlocators = -pdm\n", "pdm");

	assert_locators_bad("locators = -self\n", "line 1: locators: self cannot "
	    "be turned off (a venv's own directory is always its project)");
	assert_locators_bad("locators = -poetry conda\n", "line 1: locators: "
	    "unknown locator \"conda\" (known: self venv-file venv_dirs pdm "
	    "poetry pipenv pyenv-virtualenv virtualenvwrapper)");
	/* A found_as that is not a locator's name, and case, are refused. */
	assert_locators_bad("locators = .venv\n", "line 1: locators: unknown "
	    "locator \".venv\" (known: self venv-file venv_dirs pdm poetry pipenv "
	    "pyenv-virtualenv virtualenvwrapper)");
	assert_locators_bad("locators = -Poetry\n", "line 1: locators: unknown "
	    "locator \"-Poetry\" (known: self venv-file venv_dirs pdm poetry pipenv "
	    "pyenv-virtualenv virtualenvwrapper)");
	assert_locators_bad("locators = -\n", "line 1: locators: unknown "
	    "locator \"-\" (known: self venv-file venv_dirs pdm poetry pipenv "
	    "pyenv-virtualenv virtualenvwrapper)");
	assert_locators_bad("locators = poetry -pipenv\n", "line 1: locators: "
	    "either list the locators to use or turn some off with -NAME, not both");
	assert_locators_bad("locators =\n", "line 1: locators: needs at least one name");
	assert_locators_bad("[venvd]\nlocators = \t \n", "line 2: locators: needs at least one name");
}
END_TEST

START_TEST(test_man_page_keys)
{
	const char *top = getenv("TOP_SRCDIR");
	char *path, line[1024];
	char *seen[64];
	size_t nseen = 0;
	FILE *f;

	if (top == NULL) {
		fprintf(stderr, "skipped: TOP_SRCDIR is not set (run through make check)\n");
		return;
	}
	xasprintf(&path, "%s/man/venvd.conf.5", top);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "skipped: %s is absent\n", path);
		free(path);
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *k;

		if (strncmp(line, ".It Ic ", 7) != 0)
			continue;
		k = line + 7;
		k[strcspn(k, " \t\r\n")] = '\0';
		ck_assert_uint_lt(nseen, 64);
		seen[nseen++] = xstrdup(k);
	}
	fclose(f);
	/* Every key in the table is documented... */
	for (const struct conf_key *k = conf_keys; k->name != NULL; k++) {
		int found = 0;

		for (size_t i = 0; i < nseen; i++)
			found |= strcmp(seen[i], k->name) == 0;
		ck_assert_msg(found, "%s does not document key %s", path, k->name);
	}
	/* ...and every documented key is in the table. */
	for (size_t i = 0; i < nseen; i++) {
		int found = 0;

		for (const struct conf_key *k = conf_keys; k->name != NULL; k++)
			found |= strcmp(seen[i], k->name) == 0;
		ck_assert_msg(found, "%s documents %s, which conf_keys lacks", path, seen[i]);
		free(seen[i]);
	}
	ck_assert_uint_gt(nseen, 0);
	free(path);
}
END_TEST

/* The conf suite. */
Suite *
suite_conf(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_errors_keep_valid_keys);
	tcase_add_test(tc, test_bad_venv_dirs);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_keys_table);
	tcase_add_test(tc, test_man_page_keys);
	tcase_add_test(tc, test_roots_guard_trust);
	tcase_add_test(tc, test_locators);
	suite_add_tcase(s, tc);
	return s;
}

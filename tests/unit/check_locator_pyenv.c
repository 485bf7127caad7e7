/*
 * check_locator_pyenv.c: pyenv-virtualenv's .python-version
 * (common/locator_pyenv.c) and its parser (python_version_parse).
 *
 * The layout is what pyenv 2.6.30 with pyenv-virtualenv 1.4.0 made for
 * `pyenv virtualenv 3.12.1 venvd-probe` (and venvd-prob\xc3\xa9; names
 * with whitespace it refuses): versions/venvd-probe is an absolute
 * symlink to versions/3.12.1/envs/venvd-probe, a venv whose
 * bin/python links to versions/3.12.1/bin/python. `pyenv local
 * venvd-probe 3.11.7` wrote "venvd-probe\n3.11.7\n".
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "locator.h"
#include "pointer_file.h"
#include "resolve.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

static const char *const dirs[] = { ".venv", "venv" };
static const struct locator *const table_pyenv[] = { &locator_pyenv, NULL };

/* The pyvenv.cfg pyenv-virtualenv 1.4.0 wrote (python -m venv), ROOT for $PYENV_ROOT. */
static const char probe_cfg[] =
    "home = ROOT/versions/3.12.1/bin\n"
    "include-system-site-packages = false\n"
    "version = 3.12.1\n"
    "executable = ROOT/versions/3.12.1/bin/python3.12\n"
    "command = ROOT/versions/3.12.1/bin/python -m venv ROOT/versions/3.12.1/envs/venvd-probe\n";

/* The test's environment and collected dependencies. */
struct env {
	char	*home;
	char	*pyenv_root;
	struct tmptree_deps d;	/* what the walk reported */
};

/* Resolve root/rel with table; deps in e->d (reset first). */
static int
walk(const struct locator *const *table, struct env *e, const char *root,
    const char *rel, struct venv_info *vi)
{
	struct resolve_opts opts = { .venv_dirs = dirs, .n_venv_dirs = 2 };
	char err[256] = "", *path, **env;
	int r;

	opts.dep = tmptree_dep;
	opts.dep_ctx = &e->d;
	env = tmptree_env("HOME", e->home, "PYENV_ROOT", e->pyenv_root,
	    (const char *)NULL);
	opts.env = (const char *const *)env;
	e->d.root = root;
	buf_reset(&e->d.b);
	xasprintf(&path, "%s/%s", root, rel);
	r = resolve_dir_with(table, path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	tmptree_env_free(env);
	free(path);
	return r;
}

/* Assert vi is root/path for project root/project, found as pyenv-virtualenv; free it. */
static void
assert_found(struct venv_info *vi, const char *root, const char *path,
    const char *project)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, path);
	xasprintf(&q, "%s/%s", root, project);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "pyenv-virtualenv");
	free(p);
	free(q);
	venv_info_free(vi);
}

/* Build pyenv's layout under root/prel for a virtualenv name on 3.12.1. */
static void
make_pyenv(const char *root, const char *prel, const char *name)
{
	char *proot, *rel, *target, *cfg, *s;
	struct buf b = BUF_INIT;

	xasprintf(&proot, "%s/%s", root, prel);
	xasprintf(&rel, "%s/versions/3.12.1/bin/python3.12", prel);
	xasprintf(&cfg, "%s/%s", root, rel);
	if (access(cfg, F_OK) == -1) {
		tmptree_symlink(root, rel, "/usr/bin/python3");
		free(rel);
		xasprintf(&rel, "%s/versions/3.12.1/bin/python", prel);
		tmptree_symlink(root, rel, "python3.12");
	}
	free(cfg);
	free(rel);
	/* pyvenv.cfg with ROOT replaced, and the name in the command. */
	for (s = (char *)probe_cfg; *s != '\0'; s++) {
		if (strncmp(s, "ROOT", 4) == 0) {
			buf_puts(&b, proot);
			s += 3;
		} else if (strncmp(s, "venvd-probe", 11) == 0) {
			buf_puts(&b, name);
			s += 10;
		} else
			buf_putc(&b, *s);
	}
	xasprintf(&rel, "%s/versions/3.12.1/envs/%s", prel, name);
	tmptree_venv(root, rel, b.data);
	free(rel);
	xasprintf(&rel, "%s/versions/3.12.1/envs/%s/bin/python", prel, name);
	xasprintf(&cfg, "%s/%s", root, rel);
	unlink(cfg);
	xasprintf(&target, "%s/versions/3.12.1/bin/python", proot);
	tmptree_symlink(root, rel, target);
	free(target);
	free(cfg);
	free(rel);
	xasprintf(&rel, "%s/versions/%s", prel, name);
	xasprintf(&target, "%s/versions/3.12.1/envs/%s", proot, name);
	tmptree_symlink(root, rel, target);
	free(target);
	free(rel);
	buf_free(&b);
	free(proot);
}

/* Parse text; compare the entries with want (NULL-terminated), or want a refusal when want is NULL. */
static void
assert_entries(const char *text, size_t len, const char *const *want)
{
	char err[256], **got;
	size_t n, i;

	if (python_version_parse(text, len, &got, &n, err, sizeof err) == -1) {
		ck_assert_msg(want == NULL, "refused: %s", err);
		ck_assert_ptr_null(got);
		return;
	}
	ck_assert_ptr_nonnull(want);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_uint_lt(i, n);
		ck_assert_str_eq(got[i], want[i]);
	}
	ck_assert_uint_eq(i, n);
	python_version_free(got, n);
}

#define E(s, ...)	do {						\
	static const char *const w[] = { __VA_ARGS__, NULL };		\
	assert_entries(s, sizeof s - 1, w);		\
} while (0)

/* The parser, as pyenv-version-file-read reads. */
START_TEST(test_parse)
{
	static const char *const none[] = { NULL };
	struct buf b = BUF_INIT;

	E("venvd-probe\n3.11.7\n", "venvd-probe", "3.11.7");	/* pyenv local's */
	E("venvd-probe", "venvd-probe");
	E("# comment\n\n  3.12.1  extra words\r\n", "3.12.1");
	E("venvd-probe\r\n3.11.7\r\n", "venvd-probe", "3.11.7");
	E("\tvenvd-prob\xc3\xa9\n", "venvd-prob\xc3\xa9");
	E("3.12.1/envs/venvd-probe\n", "3.12.1/envs/venvd-probe");
	E("../../../tmp/evil\n/abs\na//b\n./x\nx/.\nx/..\n..\nok\n", "ok");
	E("system\n", "system");
	assert_entries("", 0, none);
	assert_entries("#only\n\n", 7, none);
	assert_entries("a\0b\n", 4, NULL);
	for (int i = 0; i < PYTHON_VERSION_ENTRIES + 5; i++)
		buf_printf(&b, "v%d\n", i);
	{
		char err[256], **got;
		size_t n;

		ck_assert_int_eq(python_version_parse(b.data, b.len, &got, &n, err,
		    sizeof err), 0);
		ck_assert_uint_eq(n, PYTHON_VERSION_ENTRIES);
		python_version_free(got, n);
		buf_reset(&b);
		for (size_t i = 0; i <= PYTHON_VERSION_MAX; i++)
			buf_putc(&b, '#');
		ck_assert_int_eq(python_version_parse(b.data, b.len, &got, &n, err,
		    sizeof err), -1);
		buf_reset(&b);
		for (size_t i = 0; i <= PYTHON_VERSION_WORD; i++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\nok\n");
		ck_assert_int_eq(python_version_parse(b.data, b.len, &got, &n, err,
		    sizeof err), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(got[0], "ok");
		python_version_free(got, n);
	}
	buf_free(&b);
}
END_TEST

/* The real layout: the symlink name, VER/envs/NAME, a venv dir in versions/; from a subdirectory. */
START_TEST(test_layout)
{
	char *root = tmptree_new();
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.pyenv_root, "%s/pyenv", root);
	make_pyenv(root, "pyenv", "venvd-probe");
	make_pyenv(root, "pyenv", "venvd-prob\xc3\xa9");
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "venvd-probe\n3.11.7\n");
	tmptree_mkdir(root, "my proj \xc3\xa9/src");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9/src", &vi), 1);
	ck_assert_str_eq(vi.version, "3.12.1");
	assert_found(&vi, root, "pyenv/versions/venvd-probe", "my proj \xc3\xa9");
	ck_assert_str_eq(e.d.b.data, "LEVEL R/my proj \xc3\xa9/src\n"
	    "LEVEL R/my proj \xc3\xa9\nFILE R/my proj \xc3\xa9/.python-version\n"
	    "DIR R/pyenv/versions\nVENV R/pyenv/versions/venvd-probe\n"
	    "BIN R/pyenv/versions/venvd-probe/bin\n");
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "venvd-prob\xc3\xa9\n");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9/src", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/venvd-prob\xc3\xa9", "my proj \xc3\xa9");
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "3.12.1/envs/venvd-probe\n");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9/src", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/3.12.1/envs/venvd-probe", "my proj \xc3\xa9");
	/* A venv made straight in versions/ (virtualenv on system python). */
	tmptree_venv(root, "pyenv/versions/sysenv", "");
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "sysenv\n");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/sysenv", "my proj \xc3\xa9");
	/* The first entry that names a virtualenv applies; plain versions never do. */
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "3.12.1\nsystem\nvenvd-probe\n");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/venvd-probe", "my proj \xc3\xa9");
	ck_assert_msg(strstr(e.d.b.data, "VENV R/pyenv/versions/3.12.1\n") != NULL,
	    "%s", e.d.b.data);
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "3.12.1\nsystem\nmissing\n");
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9", &vi), 0);
	/* A missing entry is watched through its nearest existing parent. */
	ck_assert_msg(strstr(e.d.b.data, "DIR R/pyenv/versions\n") != NULL, "%s",
	    e.d.b.data);
	/* Deleting the environment (pyenv uninstall) ends it. */
	tmptree_write(root, "my proj \xc3\xa9/.python-version", "venvd-probe\n");
	{
		char *p;

		xasprintf(&p, "%s/pyenv/versions/venvd-probe", root);
		ck_assert_int_eq(unlink(p), 0);
		free(p);
	}
	ck_assert_int_eq(walk(locators, &e, root, "my proj \xc3\xa9", &vi), 0);
	free(e.pyenv_root);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* $PYENV_ROOT, else ~/.pyenv; neither: nothing. A missing root is watched from above. */
START_TEST(test_root)
{
	char *root = tmptree_new();
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.home, "%s/home", root);
	tmptree_write(root, "p/.python-version", "venvd-probe\n");
	tmptree_mkdir(root, "home");
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
	/* ~/.pyenv/versions missing: it (and the entry) appearing matters. */
	ck_assert_msg(strncmp(e.d.b.data, "LEVEL R/p\nFILE R/p/.python-version\n"
	    "ABSENT R/home/.pyenv/versions\n"
	    "ABSENT R/home/.pyenv/versions/venvd-probe\nLEVEL R\n", 115) == 0,
	    "%s", e.d.b.data);
	make_pyenv(root, "home/.pyenv", "venvd-probe");
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "home/.pyenv/versions/venvd-probe", "p");
	xasprintf(&e.pyenv_root, "%s/other", root);
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
	free(e.pyenv_root);
	free(e.home);
	e.pyenv_root = e.home = NULL;
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* The nearest .python-version is pyenv's: a nearer one naming no virtualenv hides a farther one. */
START_TEST(test_nearest)
{
	char *root = tmptree_new(), *p;
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.pyenv_root, "%s/pyenv", root);
	make_pyenv(root, "pyenv", "venvd-probe");
	tmptree_write(root, "proj/.python-version", "venvd-probe\n");
	tmptree_write(root, "proj/sub/.python-version", "3.12.1\n");
	tmptree_mkdir(root, "proj/sub/deeper");
	tmptree_mkdir(root, "proj/other");
	ck_assert_int_eq(walk(locators, &e, root, "proj/other", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/venvd-probe", "proj");
	ck_assert_int_eq(walk(locators, &e, root, "proj/sub/deeper", &vi), 0);
	ck_assert_int_eq(walk(locators, &e, root, "proj/sub", &vi), 0);
	/* An empty one hides too (pyenv: system); a directory by that name does not. */
	tmptree_write(root, "proj/sub/.python-version", "");
	ck_assert_int_eq(walk(locators, &e, root, "proj/sub/deeper", &vi), 0);
	xasprintf(&p, "%s/proj/sub/.python-version", root);
	ck_assert_int_eq(unlink(p), 0);
	tmptree_mkdir(root, "proj/sub/.python-version");
	ck_assert_int_eq(walk(locators, &e, root, "proj/sub/deeper", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/venvd-probe", "proj");
	/* The level's own answer, as the index asks (resolve_level). */
	{
		struct resolve_opts opts = { .venv_dirs = dirs, .n_venv_dirs = 2 };
		char *dir, err[256], **env;

		env = tmptree_env("PYENV_ROOT", e.pyenv_root, (const char *)NULL);
		opts.env = (const char *const *)env;
		xasprintf(&dir, "%s/proj", root);
		ck_assert_int_eq(resolve_level(dir, &opts, &vi, err, sizeof err), 1);
		ck_assert_str_eq(vi.found_as, "pyenv-virtualenv");
		venv_info_free(&vi);
		free(dir);
		tmptree_env_free(env);
	}
	/* Other locators still apply above a plain version. */
	tmptree_write(root, "proj/sub/deeper/.python-version", "3.12.1\n");
	tmptree_venv(root, "proj/sub/.venv", "");
	ck_assert_int_eq(walk(locators, &e, root, "proj/sub/deeper", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	venv_info_free(&vi);
	free(p);
	free(e.pyenv_root);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* Missing, unreadable, looping: nothing, no hang. Precedence: late at a level. */
START_TEST(test_unusable)
{
	char *root = tmptree_new(), *p;
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.pyenv_root, "%s/pyenv", root);
	make_pyenv(root, "pyenv", "venvd-probe");
	tmptree_symlink(root, "pyenv/versions/loop1", "loop2");
	tmptree_symlink(root, "pyenv/versions/loop2", "loop1");
	tmptree_write(root, "p/.python-version", "loop1\nvenvd-probe\n");
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "pyenv/versions/venvd-probe", "p");
	xasprintf(&p, "%s/p/.python-version", root);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
	ck_assert_int_eq(unlink(p), 0);
	tmptree_symlink(root, "p/.python-version", ".python-version");
	ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
	ck_assert_int_eq(unlink(p), 0);
	if (geteuid() != 0) {
		tmptree_write(root, "p/.python-version", "venvd-probe\n");
		ck_assert_int_eq(chmod(p, 0), 0);
		ck_assert_int_eq(walk(table_pyenv, &e, root, "p", &vi), 0);
		ck_assert_int_eq(unlink(p), 0);
	}
	/* Late at a level: a .venv there comes first. */
	ck_assert_str_eq(locator_pyenv.name, "pyenv-virtualenv");
	tmptree_write(root, "p/.python-version", "venvd-probe\n");
	tmptree_venv(root, "p/.venv", "");
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	venv_info_free(&vi);
	{
		struct resolve_opts opts = { .venv_dirs = dirs, .n_venv_dirs = 0 };

		ck_assert_int_eq(locator_names_match(locators, &opts, ".python-version"), 1);
		ck_assert_int_eq(locator_names_match(table_pyenv, &opts, ".venv"), 0);
	}
	free(p);
	free(e.pyenv_root);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* The pyenv-virtualenv suite. */
Suite *
suite_locator_pyenv(void)
{
	Suite *s = suite_create("locator_pyenv");
	TCase *tc = tcase_create("pyenv");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_nearest);
	tcase_add_test(tc, test_unusable);
	suite_add_tcase(s, tc);
	return s;
}

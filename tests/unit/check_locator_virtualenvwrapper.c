/* check_locator_virtualenvwrapper.c: .project back-references (common/locator_virtualenvwrapper.c). */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "locator.h"
#include "resolve.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

static const char *const dirs[] = { ".venv", "venv" };
static const struct locator *const table_vwrap[] = {
	&locator_virtualenvwrapper, NULL
};

/* Resolve root/rel with table, home and workon_home; deps collected if d is not NULL. */
static int
walk(const struct locator *const *table, const char *home,
    const char *workon_home, const char *root, const char *rel,
    struct venv_info *vi, struct tmptree_deps *d)
{
	struct resolve_opts opts = { .venv_dirs = dirs, .n_venv_dirs = 2 };
	char err[256] = "", *path, **env;
	int r;

	env = tmptree_env("HOME", home, "WORKON_HOME", workon_home,
	    (const char *)NULL);
	opts.env = (const char *const *)env;
	if (d != NULL) {
		opts.dep = tmptree_dep;
		opts.dep_ctx = d;
		d->root = root;
	}
	xasprintf(&path, "%s/%s", root, rel);
	r = resolve_dir_with(table, path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	free(path);
	tmptree_env_free(env);
	return r;
}

/* vi is root/venv, for project root/proj, found through a .project. */
static void
assert_vwrap(struct venv_info *vi, const char *root, const char *venv,
    const char *proj)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, venv);
	xasprintf(&q, "%s/%s", root, proj);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "virtualenvwrapper");
	free(p);
	free(q);
	venv_info_free(vi);
}

/* Write root/rel/.project naming root/proj, then tail ("\n" as virtualenvwrapper does). */
static void
write_project(const char *root, const char *venv, const char *proj,
    const char *tail)
{
	char *rel, *text;

	xasprintf(&rel, "%s/.project", venv);
	xasprintf(&text, "%s/%s%s", root, proj, tail);
	tmptree_write(root, rel, text);
	free(rel);
	free(text);
}

/*
 * The layout virtualenvwrapper 4.8.4 (Debian 12's package) made, with
 * WORKON_HOME=store and PROJECT_HOME=projects: `mkvirtualenv env1;
 * setvirtualenvproject store/env1 "proj dir é"`, `mkproject mp` and
 * `mkvirtualenv noproj`. .project holds the absolute path and a
 * newline; the store also holds the hook scripts.
 */
START_TEST(test_real_layout)
{
	static const char *const hooks[] = {
		"get_env_details", "initialize", "postactivate", "postdeactivate",
		"postmkproject", "postmkvirtualenv", "postrmvirtualenv",
		"preactivate", "predeactivate", "premkproject", "premkvirtualenv",
		"prermvirtualenv",
	};
	char *root = tmptree_new(), *wh, *rel;
	struct venv_info vi;

	xasprintf(&wh, "%s/store", root);
	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
		xasprintf(&rel, "store/%s", hooks[i]);
		tmptree_write(root, rel, "#!/bin/bash\n");
		free(rel);
	}
	tmptree_venv(root, "store/env1", "home = /usr/bin\n");
	tmptree_venv(root, "store/mp", "home = /usr/bin\n");
	tmptree_venv(root, "store/noproj", "home = /usr/bin\n");
	tmptree_mkdir(root, "proj dir \xc3\xa9/src/deep");
	tmptree_mkdir(root, "projects/mp");
	write_project(root, "store/env1", "proj dir \xc3\xa9", "\n");
	write_project(root, "store/mp", "projects/mp", "\n");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "proj dir \xc3\xa9",
	    &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/env1", "proj dir \xc3\xa9");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root,
	    "proj dir \xc3\xa9/src/deep", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/env1", "proj dir \xc3\xa9");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "projects/mp", &vi,
	    NULL), 1);
	assert_vwrap(&vi, root, "store/mp", "projects/mp");
	/* The shipped table asks it too; a directory named by no .project gets nothing. */
	ck_assert_int_eq(walk(locators, NULL, wh, root, "projects/mp", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/mp", "projects/mp");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "projects", &vi, NULL), 0);
	free(wh);
	tmptree_free(root);
}
END_TEST

/* How .project may spell the project, and what it may not be. */
START_TEST(test_project_spellings)
{
	char *root = tmptree_new(), *wh, *p;
	struct venv_info vi;

	xasprintf(&wh, "%s/store", root);
	tmptree_mkdir(root, "real/a");
	tmptree_mkdir(root, "b");
	xasprintf(&p, "%s/real", root);
	tmptree_symlink(root, "link", p);
	free(p);
	/* Pipenv's .project: the realpath, no newline. Walked through the link. */
	tmptree_venv(root, "store/pipenv-abcdefgh", "");
	write_project(root, "store/pipenv-abcdefgh", "real/a", "");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "link/a", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/pipenv-abcdefgh", "link/a");
	/* A logical path through the link, walked physically. */
	tmptree_venv(root, "store/viab", "");
	write_project(root, "store/viab", "link/../b", "\n");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "b", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/viab", "b");
	/* Not a project: relative, empty, two lines, a NUL, a file, missing. */
	tmptree_mkdir(root, "c");
	tmptree_venv(root, "store/rel", "");
	tmptree_write(root, "store/rel/.project", "c\n");
	tmptree_venv(root, "store/empty", "");
	tmptree_write(root, "store/empty/.project", "\n");
	tmptree_venv(root, "store/two", "");
	write_project(root, "store/two", "c", "\nc\n");
	tmptree_venv(root, "store/file", "");
	tmptree_write(root, "c/f", "");
	write_project(root, "store/file", "c/f", "\n");
	tmptree_venv(root, "store/gone", "");
	write_project(root, "store/gone", "c/gone", "\n");
	/* A FIFO is refused without blocking. */
	tmptree_venv(root, "store/fifo", "");
	xasprintf(&p, "%s/store/fifo/.project", root);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	free(p);
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "c", &vi, NULL), 0);
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "c/f", &vi, NULL), 0);
	free(wh);
	tmptree_free(root);
}
END_TEST

/* Two venvs for one project: the first by name that is a venv. */
START_TEST(test_first_by_name)
{
	char *root = tmptree_new(), *wh, *p;
	struct venv_info vi;

	xasprintf(&wh, "%s/store", root);
	tmptree_mkdir(root, "proj");
	tmptree_venv(root, "store/b-env", "");
	write_project(root, "store/b-env", "proj", "\n");
	tmptree_venv(root, "store/a-env", "");
	write_project(root, "store/a-env", "proj", "\n");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "proj", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/a-env", "proj");
	xasprintf(&p, "%s/store/a-env/pyvenv.cfg", root);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "proj", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/b-env", "proj");
	/* The nearest level still wins. */
	tmptree_venv(root, "store/c-env", "");
	tmptree_mkdir(root, "proj/sub");
	write_project(root, "store/c-env", "proj/sub", "\n");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "proj/sub", &vi, NULL), 1);
	assert_vwrap(&vi, root, "store/c-env", "proj/sub");
	free(wh);
	tmptree_free(root);
}
END_TEST

/* Count the lines of s that are line. */
static int
count_lines(const char *s, const char *line)
{
	size_t n = strlen(line);
	int c = 0;

	for (const char *p = s; (p = strstr(p, line)) != NULL; p += n) {
		if ((p == s || p[-1] == '\n') && p[n] == '\n')
			c++;
	}
	return c;
}

/* The store is read once per walk; its entries, venvs and .project files are watched. */
START_TEST(test_deps_once_per_walk)
{
	char *root = tmptree_new(), *wh;
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	xasprintf(&wh, "%s/store", root);
	tmptree_mkdir(root, "proj/a/b/c");
	tmptree_venv(root, "store/env", "");
	write_project(root, "store/env", "proj", "\n");
	tmptree_venv(root, "store/nop", "");
	tmptree_write(root, "store/hook", "");
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "proj/a/b/c", &vi, &d), 1);
	assert_vwrap(&vi, root, "store/env", "proj");
	ck_assert_str_eq(d.b.data,
	    "LEVEL R/proj/a/b/c\n"
	    "DIR R/store\nDIR R/store/env\nFILE R/store/env/.project\n"
	    "DIR R/store/nop\n"
	    "LEVEL R/proj/a/b\nLEVEL R/proj/a\nLEVEL R/proj\n"
	    "VENV R/store/env\nBIN R/store/env/bin\n");
	/* Up to '/' with no answer: still once. */
	buf_reset(&d.b);
	ck_assert_int_eq(walk(table_vwrap, NULL, wh, root, "store/hook/..", &vi, &d), 0);
	ck_assert_int_eq(count_lines(d.b.data, "FILE R/store/env/.project"), 1);
	ck_assert_int_eq(count_lines(d.b.data, "DIR R/store"), 1);
	buf_free(&d.b);
	free(wh);
	tmptree_free(root);
}
END_TEST

/* $WORKON_HOME, else ~/.virtualenvs; a store not there yet is watched through its parent. */
START_TEST(test_store_choice)
{
	char *root = tmptree_new(), *home, *wh;
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	xasprintf(&home, "%s/home", root);
	xasprintf(&wh, "%s/wh", root);
	tmptree_mkdir(root, "proj");
	tmptree_venv(root, "home/.virtualenvs/h", "");
	write_project(root, "home/.virtualenvs/h", "proj", "\n");
	tmptree_venv(root, "wh/w", "");
	write_project(root, "wh/w", "proj", "\n");
	ck_assert_int_eq(walk(table_vwrap, NULL, NULL, root, "proj", &vi, NULL), 0);
	ck_assert_int_eq(walk(table_vwrap, home, NULL, root, "proj", &vi, NULL), 1);
	assert_vwrap(&vi, root, "home/.virtualenvs/h", "proj");
	ck_assert_int_eq(walk(table_vwrap, home, wh, root, "proj", &vi, NULL), 1);
	assert_vwrap(&vi, root, "wh/w", "proj");
	free(wh);
	xasprintf(&wh, "%s/not/yet", root);
	ck_assert_int_eq(walk(table_vwrap, home, wh, root, "proj", &vi, &d), 0);
	ck_assert_msg(strncmp(d.b.data, "LEVEL R/proj\nABSENT R/not/yet\nLEVEL R\n", 38) == 0,
	    "%s", d.b.data);
	buf_free(&d.b);
	free(home);
	free(wh);
	tmptree_free(root);
}
END_TEST

Suite *
suite_locator_virtualenvwrapper(void)
{
	Suite *s = suite_create("locator_virtualenvwrapper");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_real_layout);
	tcase_add_test(tc, test_project_spellings);
	tcase_add_test(tc, test_first_by_name);
	tcase_add_test(tc, test_deps_once_per_walk);
	tcase_add_test(tc, test_store_choice);
	suite_add_tcase(s, tc);
	return s;
}

/* check_locator_pipenv.c: Pipenv's rule (common/locator_pipenv.c) over temp trees. */
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
static const struct locator *const table_pipenv[] = { &locator_pipenv, NULL };

/* The environment of a test: any field may be NULL. */
struct env {
	const char	*home;
	const char	*workon_home;
	const char	*xdg_data_home;
	const char	*in_project;
};

/* Resolve root/rel with table in env e; deps collected if d is not NULL. */
static int
walk(const struct locator *const *table, const struct env *e,
    const char *root, const char *rel, struct venv_info *vi, struct tmptree_deps *d)
{
	struct resolve_opts opts = { .venv_dirs = dirs, .n_venv_dirs = 2 };
	char err[256] = "", *path, **env;
	int r;

	env = tmptree_env("HOME", e->home, "WORKON_HOME", e->workon_home,
	    "XDG_DATA_HOME", e->xdg_data_home, "PIPENV_VENV_IN_PROJECT",
	    e->in_project, (const char *)NULL);
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

/* A fresh tree, its path without symlinks (Pipenv hashes the realpath). */
static char *
real_tree(void)
{
	char *root = tmptree_new(), *real;

	real = realpath(root, NULL);
	ck_assert_ptr_nonnull(real);
	free(root);
	return real;
}

/* Pipenv's venv name for the Pipfile at root/proj/Pipfile, malloc'd. */
static char *
name_for(const char *root, const char *proj)
{
	char *pipfile, name[NAME_MAX + 1];

	xasprintf(&pipfile, "%s/%s/Pipfile", root, proj);
	ck_assert_int_eq(locator_pipenv_name(pipfile, name, sizeof name), 0);
	free(pipfile);
	return xstrdup(name);
}

/* Make the project root/proj (a Pipfile) and its central venv in store (rel to root); the venv's rel path. */
static char *
make_project(const char *root, const char *proj, const char *store)
{
	char *rel, *name = name_for(root, proj), *pipfile;

	xasprintf(&pipfile, "%s/Pipfile", proj);
	tmptree_write(root, pipfile, "[packages]\n");
	xasprintf(&rel, "%s/%s", store, name);
	tmptree_venv(root, rel, "home = /usr/bin\n");
	free(name);
	free(pipfile);
	return rel;
}

/* vi is root/venv, for project root/proj, found by Pipenv's rule. */
static void
assert_pipenv(struct venv_info *vi, const char *root, const char *venv,
    const char *proj)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, venv);
	xasprintf(&q, "%s/%s", root, proj);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "pipenv");
	free(p);
	free(q);
	venv_info_free(vi);
}

/*
 * Names from the real tool: each project made with
 * `pipenv --python /usr/bin/python3` (pipenv 2022.12.19, Debian 12's
 * pipenv package), WORKON_HOME in a temp dir, then `pipenv --venv`.
 * The argument is the Pipfile's realpath.
 */
START_TEST(test_name_vectors)
{
	static const struct {
		const char *pipfile, *name;
	} v[] = {
		{ "/tmp/pv/a b/pp/Pipfile", "pp-iNrCroSq" },
		/* Every character Pipenv replaces. */
		{ "/tmp/pv/My Proj (v2) [x] & $y`!*@\"\\z/Pipfile",
		  "My_Proj__v2___x_____y______z-XLzyEDD8" },
		{ "/tmp/pv/caf\xc3\xa9 \xc3\xbcn\xc3\xaf/Pipfile",
		  "caf\xc3\xa9_\xc3\xbcn\xc3\xaf-qTFmE2KN" },
		/* 42 characters, not bytes: 50 e-acute become 42 (84 bytes). */
		{ "/tmp/pv/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9/Pipfile",
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9-NmcNypv1" },
		{ "/tmp/pv/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ/Pipfile",
		  "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF-BPyDQE20" },
		/* The same name in two directories: two venvs. */
		{ "/tmp/pv/one/api/Pipfile", "api-ShXiMpmu" },
		{ "/tmp/pv/two/api/Pipfile", "api-2NM0Ok_N" },
		{ "/tmp/pv/xdgproj/Pipfile", "xdgproj-Q2mMyW-m" },
		{ "/tmp/pv/homeproj/Pipfile", "homeproj-7ueDHqBg" },
		{ "/tmp/x/pp/Pipfile", "pp-SMO-WkPL" },
		/* Made in /tmp/pv/link/proj, link -> real: the realpath counts. */
		{ "/tmp/pv/real/proj/Pipfile", "proj-EbaQDu_V" },
		/* The hash may begin with '-'. */
		{ "/tmp/pv/dash33/Pipfile", "dash33--dhhfGdn" },
	};
	char name[NAME_MAX + 1];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_int_eq(locator_pipenv_name(v[i].pipfile, name,
		    sizeof name), 0);
		ck_assert_msg(strcmp(name, v[i].name) == 0, "%s: %s, not %s",
		    v[i].pipfile, name, v[i].name);
	}
	/* Not UTF-8: Pipenv cannot hash it (str.encode fails). */
	ck_assert_int_eq(locator_pipenv_name("/tmp/\xff/Pipfile", name,
	    sizeof name), -1);
	/* Too small for "pp-" and 8 characters and the NUL. */
	ck_assert_int_eq(locator_pipenv_name("/tmp/x/pp/Pipfile", name, 11), -1);
	ck_assert_int_eq(locator_pipenv_name("/tmp/x/pp/Pipfile", name, 12), 0);
	ck_assert_str_eq(name, "pp-SMO-WkPL");
}
END_TEST

/* A Pipfile's level and the levels below it get the central venv; two "api"s get two. */
START_TEST(test_central_venv)
{
	char *root = real_tree(), *store, *v1, *v2, *v3;
	struct venv_info vi;
	struct env e = { 0 };

	xasprintf(&store, "%s/store", root);
	e.workon_home = store;
	v1 = make_project(root, "one/api", "store");
	v2 = make_project(root, "two/api", "store");
	v3 = make_project(root, "caf\xc3\xa9 and spaces (x)", "store");
	tmptree_mkdir(root, "one/api/src/pkg");
	ck_assert_str_ne(v1, v2);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "one/api", &vi, NULL), 1);
	assert_pipenv(&vi, root, v1, "one/api");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "one/api/src/pkg", &vi, NULL), 1);
	assert_pipenv(&vi, root, v1, "one/api");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "two/api", &vi, NULL), 1);
	assert_pipenv(&vi, root, v2, "two/api");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "caf\xc3\xa9 and spaces (x)",
	    &vi, NULL), 1);
	assert_pipenv(&vi, root, v3, "caf\xc3\xa9 and spaces (x)");
	ck_assert_ptr_nonnull(strstr(v3, "caf\xc3\xa9_and_spaces__x_-"));
	/* The shipped table asks Pipenv too. */
	ck_assert_int_eq(walk(locators, &e, root, "two/api", &vi, NULL), 1);
	assert_pipenv(&vi, root, v2, "two/api");
	/* No Pipfile, no answer; a Pipfile that is a directory is none. */
	tmptree_mkdir(root, "three/api/Pipfile");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "three/api", &vi, NULL), 0);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "store", &vi, NULL), 0);
	free(v1);
	free(v2);
	free(v3);
	free(store);
	tmptree_free(root);
}
END_TEST

/* $WORKON_HOME, else $XDG_DATA_HOME/virtualenvs, else ~/.local/share/virtualenvs; none without a home. */
START_TEST(test_store_choice)
{
	char *root = real_tree(), *home, *xdg, *wh, *vh, *vx, *vw;
	struct venv_info vi;
	struct env e = { 0 };

	xasprintf(&home, "%s/home", root);
	xasprintf(&xdg, "%s/xdg", root);
	xasprintf(&wh, "%s/wh", root);
	vh = make_project(root, "p", "home/.local/share/virtualenvs");
	vx = make_project(root, "p", "xdg/virtualenvs");
	vw = make_project(root, "p", "wh");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 0);
	e.home = home;
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, vh, "p");
	e.xdg_data_home = xdg;
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, vx, "p");
	e.workon_home = wh;
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, vw, "p");
	free(home);
	free(xdg);
	free(wh);
	free(vh);
	free(vx);
	free(vw);
	tmptree_free(root);
}
END_TEST

/* .venv: a directory is the venv, a file is the .venv file rule's, PIPENV_VENV_IN_PROJECT. */
START_TEST(test_in_project)
{
	char *root = real_tree(), *store, *v, *p;
	struct venv_info vi;
	struct env e = { 0 };

	xasprintf(&store, "%s/store", root);
	e.workon_home = store;
	v = make_project(root, "p", "store");
	/* In project wanted, no .venv yet: nothing (the central one is not Pipenv's then). */
	e.in_project = "1";
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 0);
	e.in_project = "yes please";	/* any other value is true */
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 0);
	e.in_project = "Off";
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, v, "p");
	e.in_project = "";
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, v, "p");
	/* A .venv directory wins, even when in project is off. */
	tmptree_venv(root, "p/.venv", "");
	e.in_project = "0";
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 1);
	assert_pipenv(&vi, root, "p/.venv", "p");
	/* A .venv directory that is no venv: Pipenv uses it all the same, so nothing. */
	xasprintf(&p, "%s/p/.venv/pyvenv.cfg", root);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 0);
	/* A .venv file is followed by its own rule, not by this one. */
	tmptree_free(root);
	root = real_tree();
	free(store);
	xasprintf(&store, "%s/store", root);
	e.workon_home = store;
	e.in_project = NULL;
	free(v);
	v = make_project(root, "p", "store");
	tmptree_write(root, "p/.venv", "other\n");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, NULL), 0);
	free(v);
	free(store);
	tmptree_free(root);
}
END_TEST

/* Through a symlink: the name and hash are the realpath's; the project is the level walked. */
START_TEST(test_symlinked_project)
{
	char *root = real_tree(), *store, *v, *link;
	struct venv_info vi;
	struct env e = { 0 };

	xasprintf(&store, "%s/store", root);
	e.workon_home = store;
	v = make_project(root, "real/proj", "store");
	xasprintf(&link, "%s/real", root);
	tmptree_symlink(root, "link", link);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "link/proj", &vi, NULL), 1);
	assert_pipenv(&vi, root, v, "link/proj");
	free(link);
	free(v);
	free(store);
	tmptree_free(root);
}
END_TEST

/* What an answer depends on: the Pipfile, the level's entries, the store, the venv. */
START_TEST(test_deps)
{
	char *root = real_tree(), *store, *v, *want, *p;
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;
	struct env e = { 0 };

	xasprintf(&store, "%s/store", root);
	e.workon_home = store;
	v = make_project(root, "p", "store");
	tmptree_mkdir(root, "p/src");
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p/src", &vi, &d), 1);
	venv_info_free(&vi);
	xasprintf(&want, "LEVEL R/p/src\nLEVEL R/p\nFILE R/p/Pipfile\nDIR R/p\n"
	    "DIR R/store\nVENV R/%s\nBIN R/%s/bin\n", v, v);
	ck_assert_str_eq(d.b.data, want);
	free(want);
	/* The venv gone: the store is still watched, for its return. */
	xasprintf(&p, "rm -rf '%s/%s'", root, v);
	ck_assert_int_eq(system(p), 0);
	free(p);
	buf_reset(&d.b);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.b.data,
	    "LEVEL R/p\nFILE R/p/Pipfile\nDIR R/p\nDIR R/store\nLEVEL R\n"));
	/* No store yet: its appearing matters. */
	free(store);
	xasprintf(&store, "%s/share/virtualenvs", root);
	e.workon_home = store;
	buf_reset(&d.b);
	ck_assert_int_eq(walk(table_pipenv, &e, root, "p", &vi, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.b.data,
	    "LEVEL R/p\nFILE R/p/Pipfile\nDIR R/p\nABSENT R/share/virtualenvs\nLEVEL R\n"));
	/* Only a Pipfile's level is watched whole. */
	ck_assert_int_eq(locator_pipenv.names(NULL, "Pipfile"), 1);
	ck_assert_int_eq(locator_pipenv.names(NULL, "Pipfile.lock"), 0);
	buf_free(&d.b);
	free(v);
	free(store);
	tmptree_free(root);
}
END_TEST

Suite *
suite_locator_pipenv(void)
{
	Suite *s = suite_create("locator_pipenv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_name_vectors);
	tcase_add_test(tc, test_central_venv);
	tcase_add_test(tc, test_store_choice);
	tcase_add_test(tc, test_in_project);
	tcase_add_test(tc, test_symlinked_project);
	tcase_add_test(tc, test_deps);
	suite_add_tcase(s, tc);
	return s;
}

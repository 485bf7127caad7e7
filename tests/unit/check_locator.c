/* check_locator.c: the locators (common/locator*.c) and how the walk asks them. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

static const char *const default_dirs[] = { ".venv", "venv" };

/* The table as shipped, the other way round, and each locator alone. */
static const struct locator *const table_reversed[] = {
	&locator_venv_dirs, &locator_self, NULL
};
static const struct locator *const table_self[] = { &locator_self, NULL };
static const struct locator *const table_dirs[] = { &locator_venv_dirs, NULL };

/* Resolve root/rel with table and names; deps collected if d is not NULL. */
static int
walk(const struct locator *const *table, const char *const *names, size_t n,
    const char *root, const char *rel, struct venv_info *vi, struct tmptree_deps *d)
{
	struct resolve_opts opts = { .venv_dirs = names, .n_venv_dirs = n };
	char err[256] = "", *path;
	int r;

	if (d != NULL) {
		opts.dep = tmptree_dep;
		opts.dep_ctx = d;
		d->root = root;
	}
	xasprintf(&path, "%s/%s", root, rel);
	r = resolve_dir_with(table, path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	free(path);
	return r;
}

/* Assert vi is root/path, project root/project, found as found_as; then free it. */
static void
assert_found(struct venv_info *vi, const char *root, const char *path,
    const char *project, const char *found_as)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, path);
	xasprintf(&q, "%s/%s", root, project);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, found_as);
	free(p);
	free(q);
	venv_info_free(vi);
}

/* The shipped table: self, venv_dirs, then PDM's and Poetry's records. */
START_TEST(test_table)
{
	size_t n;

	for (n = 0; locators[n] != NULL; n++) {
		ck_assert_ptr_nonnull(locators[n]->at);
		/* The config names each one, once; venvd resolve explains it. */
		ck_assert_ptr_eq(locator_by_name(locators[n]->name), locators[n]);
		ck_assert_ptr_nonnull(locators[n]->rule);
	}
	ck_assert_ptr_null(locator_by_name(".venv"));
	ck_assert_uint_eq(n, 8);
	ck_assert_ptr_eq(locators[0], &locator_self);
	ck_assert_ptr_eq(locators[1], &locator_venv_file);
	ck_assert_ptr_eq(locators[2], &locator_venv_dirs);
	ck_assert_ptr_eq(locators[3], &locator_pdm);
	ck_assert_ptr_eq(locators[4], &locator_poetry);
	ck_assert_ptr_eq(locators[5], &locator_pipenv);
	ck_assert_ptr_eq(locators[6], &locator_pyenv);
	ck_assert_ptr_eq(locators[7], &locator_virtualenvwrapper);
	ck_assert_str_eq(locator_self.name, "self");
	ck_assert_str_eq(locator_venv_dirs.name, "venv_dirs");
}
END_TEST

/* At one level the table's order decides; resolve_dir uses the shipped one. */
START_TEST(test_table_order)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char *root = tmptree_new(), *path, err[256];
	struct venv_info vi;

	/* p is a venv and holds one: a venv that contains a .venv. */
	tmptree_venv(root, "p", "");
	tmptree_venv(root, "p/.venv", "");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p", "p", "self");
	ck_assert_int_eq(walk(table_reversed, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p/.venv", "p", ".venv");
	xasprintf(&path, "%s/p", root);
	ck_assert_int_eq(resolve_dir(path, &opts, &vi, err, sizeof err), 1);
	assert_found(&vi, root, "p", "p", "self");
	free(path);
	tmptree_free(root);
}
END_TEST

/* The nearest level wins, whatever the table's order. */
START_TEST(test_nearest_level_wins)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "a/.venv", "");
	tmptree_venv(root, "a/b", "");		/* b is a venv itself */
	tmptree_mkdir(root, "a/b/c/d");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "a/b/c/d", &vi, NULL), 1);
	assert_found(&vi, root, "a/b", "a/b", "self");
	ck_assert_int_eq(walk(table_reversed, default_dirs, 2, root, "a/b/c/d", &vi,
	    NULL), 1);
	assert_found(&vi, root, "a/b", "a/b", "self");
	/* Without self, the level above answers through venv_dirs. */
	ck_assert_int_eq(walk(table_dirs, default_dirs, 2, root, "a/b/c/d", &vi, NULL), 1);
	assert_found(&vi, root, "a/.venv", "a", ".venv");
	/* And a .venv nearer than a self above wins too. */
	tmptree_venv(root, "a/b/c/venv", "");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "a/b/c/d", &vi, NULL), 1);
	assert_found(&vi, root, "a/b/c/venv", "a/b/c", "venv");
	tmptree_free(root);
}
END_TEST

/* self, then .venv, then venv, as each is taken away. */
START_TEST(test_self_venv_dotvenv)
{
	char *root = tmptree_new(), *p;
	struct venv_info vi;

	tmptree_venv(root, "p", "");
	tmptree_venv(root, "p/.venv", "");
	tmptree_venv(root, "p/venv", "");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p", "p", "self");
	xasprintf(&p, "%s/p/bin/python", root);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p/.venv", "p", ".venv");
	xasprintf(&p, "%s/p/.venv/pyvenv.cfg", root);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p/venv", "p", "venv");
	/* Neither locator alone sees what the other does. */
	ck_assert_int_eq(walk(table_self, default_dirs, 2, root, "p", &vi, NULL), 0);
	tmptree_free(root);
}
END_TEST

/* Each candidate reports what its answer depends on, in table order. */
START_TEST(test_deps_per_candidate)
{
	static const char self[] = "LEVEL R/p\nBIN R/p/bin\nLEVEL R\n";
	static const char all[] = "LEVEL R/p\nBIN R/p/bin\n"
	    "VENV R/p/.venv\nVENV R/p/venv\nBIN R/p/venv/bin\nLEVEL R\n";
	char *root = tmptree_new();
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	/*
	 * p: half a self venv (pyvenv.cfg and bin/, no python), a .venv
	 * with nothing in it, a venv/ with pyvenv.cfg and an empty bin/.
	 */
	tmptree_write(root, "p/pyvenv.cfg", "");
	tmptree_mkdir(root, "p/bin");
	tmptree_mkdir(root, "p/.venv");
	tmptree_write(root, "p/venv/pyvenv.cfg", "");
	tmptree_mkdir(root, "p/venv/bin");
	/* self alone: p's bin/; then every level up to '/', each a LEVEL. */
	ck_assert_int_eq(walk(table_self, default_dirs, 2, root, "p", &vi, &d), 0);
	ck_assert_msg(strncmp(d.b.data, self, strlen(self)) == 0, "deps:\n%s", d.b.data);
	ck_assert_msg(strstr(d.b.data, "VENV") == NULL, "deps:\n%s", d.b.data);
	ck_assert_msg(d.b.len >= 8 && strcmp(d.b.data + d.b.len - 8, "LEVEL /\n") == 0,
	    "deps:\n%s", d.b.data);
	/* The table: self's, then each venv_dirs candidate's, at each level. */
	buf_reset(&d.b);
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, &d), 0);
	ck_assert_msg(strncmp(d.b.data, all, strlen(all)) == 0, "deps:\n%s", d.b.data);
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* Each candidate of venv_dirs alone, at one level: VENV for each dir, BIN for each bin/. */
START_TEST(test_deps_venv_dirs)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char *root = tmptree_new(), *p, err[256];
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_mkdir(root, "p/.venv");
	tmptree_write(root, "p/venv/pyvenv.cfg", "");
	tmptree_mkdir(root, "p/venv/bin");
	tmptree_write(root, "q/.venv", "a file");
	opts.dep = tmptree_dep;
	opts.dep_ctx = &d;
	d.root = root;
	xasprintf(&p, "%s/p", root);
	ck_assert_int_eq(resolve_level(p, &opts, &vi, err, sizeof err), 0);
	ck_assert_str_eq(d.b.data,
	    "LEVEL R/p\nVENV R/p/.venv\nVENV R/p/venv\nBIN R/p/venv/bin\n");
	free(p);
	/* Then the venv completes: its bin/python decides it. */
	tmptree_symlink(root, "p/venv/bin/python", "/usr/bin/python3");
	buf_reset(&d.b);
	xasprintf(&p, "%s/p", root);
	ck_assert_int_eq(resolve_level(p, &opts, &vi, err, sizeof err), 1);
	ck_assert_str_eq(d.b.data,
	    "LEVEL R/p\nVENV R/p/.venv\nVENV R/p/venv\nBIN R/p/venv/bin\n");
	assert_found(&vi, root, "p/venv", "p", "venv");
	free(p);
	/* A file named .venv is not venv_dirs' candidate but locator_venv_file's. */
	buf_reset(&d.b);
	xasprintf(&p, "%s/q", root);
	ck_assert_int_eq(resolve_level(p, &opts, &vi, err, sizeof err), 0);
	ck_assert_str_eq(d.b.data, "LEVEL R/q\nFILE R/q/.venv\nABSENT R/q/a file\n");
	free(p);
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* A dangling bin/python still makes a venv, reported broken. */
START_TEST(test_dangling_python)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_write(root, "p/.venv/pyvenv.cfg", "");
	tmptree_symlink(root, "p/.venv/bin/python", "/nonexistent/venvd/python3");
	tmptree_write(root, "s/pyvenv.cfg", "");
	tmptree_symlink(root, "s/bin/python", "/nonexistent/venvd/python3");
	tmptree_mkdir(root, "s/lib");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	ck_assert_str_eq(vi.broken, "base interpreter /nonexistent/venvd/python3 is missing");
	assert_found(&vi, root, "p/.venv", "p", ".venv");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "s/lib", &vi, NULL), 1);
	ck_assert_ptr_nonnull(vi.broken);
	assert_found(&vi, root, "s", "s", "self");
	/* A bin/python that is a directory is no python. */
	tmptree_write(root, "d/.venv/pyvenv.cfg", "");
	tmptree_mkdir(root, "d/.venv/bin/python");
	ck_assert_int_eq(walk(table_dirs, default_dirs, 2, root, "d", &vi, NULL), 0);
	tmptree_free(root);
}
END_TEST

/* The config's venv_dirs: its names, in its order, and no others. */
START_TEST(test_custom_venv_dirs)
{
	static const char *const custom[] = { "env", ".env" };
	struct resolve_opts opts = { .venv_dirs = custom, .n_venv_dirs = 2 };
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "p/.venv", "");
	tmptree_venv(root, "p/.env", "");
	tmptree_mkdir(root, "p/src");
	ck_assert_int_eq(walk(locators, custom, 2, root, "p/src", &vi, NULL), 1);
	assert_found(&vi, root, "p/.env", "p", ".env");
	tmptree_venv(root, "p/env", "");
	ck_assert_int_eq(walk(locators, custom, 2, root, "p/src", &vi, NULL), 1);
	assert_found(&vi, root, "p/env", "p", "env");
	ck_assert_int_eq(walk(locators, custom, 1, root, "p/src", &vi, NULL), 1);
	assert_found(&vi, root, "p/env", "p", "env");
	/* With no names only self is left. */
	ck_assert_int_eq(walk(locators, custom, 0, root, "p/src", &vi, NULL), 0);
	/* The cache's question: which entry names of a level matter. */
	ck_assert_int_eq(locator_names_match(locators, &opts, "env"), 1);
	ck_assert_int_eq(locator_names_match(locators, &opts, ".env"), 1);
	/* (Poetry's in-project .venv still matters to the whole table.) */
	ck_assert_int_eq(locator_names_match(table_dirs, &opts, ".venv"), 0);
	ck_assert_int_eq(locator_names_match(locators, &opts, "src"), 0);
	tmptree_free(root);
}
END_TEST

/* A locator of the tests': the venv named in the file <level>/.use, found as "use". */
static int
test_use_at(struct locator_walk *w)
{
	char path[PATH_MAX], file[PATH_MAX + 8];
	ssize_t n;
	int fd;

	if (w->fd != -1 || !locator_is_file(w, ".use"))
		return 0;
	snprintf(file, sizeof file, "%s/.use", w->level);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, path, sizeof path - 1);
	close(fd);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	locator_dep_venv(w, path);
	return locator_is_venv(w, path) ? locator_found(w, path, "use", "use") : 0;
}

/* Does name matter to test_use? */
static int
test_use_names(const struct resolve_opts *opts, const char *name)
{
	return strcmp(name, ".use") == 0;
}

static const struct locator locator_test_use = { "use", test_use_at, test_use_names, NULL };
static const struct locator *const table_use[] = {
	&locator_self, &locator_test_use, &locator_venv_dirs, NULL
};

/* A new locator is one struct: a venv outside the project, its own found_as. */
START_TEST(test_new_locator)
{
	char *root = tmptree_new(), *target;
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_venv(root, "store/env-1", "");
	tmptree_venv(root, "p/.venv", "");
	xasprintf(&target, "%s/store/env-1", root);
	tmptree_write(root, "p/.use", target);
	free(target);
	ck_assert_int_eq(walk(table_use, default_dirs, 2, root, "p", &vi, &d), 1);
	ck_assert_str_eq(d.b.data,
	    "LEVEL R/p\nVENV R/store/env-1\nBIN R/store/env-1/bin\n");
	assert_found(&vi, root, "store/env-1", "p", "use");
	ck_assert_int_eq(walk(locators, default_dirs, 2, root, "p", &vi, NULL), 1);
	assert_found(&vi, root, "p/.venv", "p", ".venv");
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/*
 * The config's locators (resolve_opts.locators_off): one turned off is
 * not asked, in any table that holds it, by the walk, by resolve_level
 * and by the cache's question about names; "self" cannot be.
 */
START_TEST(test_locators_off)
{
	static const char *const dirs_off[] = { "venv_dirs" };
	static const char *const self_off[] = { "self", "use" };
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char *root = tmptree_new(), *target, *dir, err[256];
	struct venv_info vi;

	tmptree_venv(root, "p/.venv", "");
	tmptree_venv(root, "store/env-1", "");
	xasprintf(&target, "%s/store/env-1", root);
	tmptree_write(root, "q/.use", target);
	free(target);
	tmptree_venv(root, "q/.venv", "");

	/* All on: the .venv, and the file that made it apply. */
	xasprintf(&dir, "%s/p", root);
	ck_assert_int_eq(resolve_dir(dir, &opts, &vi, err, sizeof err), 1);
	ck_assert_str_eq(vi.found_via, ".venv");
	assert_found(&vi, root, "p/.venv", "p", ".venv");
	ck_assert_int_eq(locator_on(&opts, &locator_venv_dirs), 1);
	ck_assert(locator_names_match(locators, &opts, ".venv"));
	ck_assert(locator_names_match(locators, &opts, "venv"));

	/* venv_dirs off: nothing applies in p, or at its level alone. */
	opts.locators_off = dirs_off;
	opts.n_locators_off = 1;
	ck_assert_int_eq(locator_on(&opts, &locator_venv_dirs), 0);
	ck_assert_int_eq(locator_on(&opts, &locator_poetry), 1);
	ck_assert_int_eq(resolve_dir(dir, &opts, &vi, err, sizeof err), 0);
	ck_assert_int_eq(resolve_level(dir, &opts, &vi, err, sizeof err), 0);
	ck_assert(!locator_names_match(table_dirs, &opts, "venv"));
	free(dir);
	/* Inside the venv, self still finds it. */
	xasprintf(&dir, "%s/p/.venv/bin", root);
	ck_assert_int_eq(resolve_dir(dir, &opts, &vi, err, sizeof err), 1);
	ck_assert_str_eq(vi.found_via, "pyvenv.cfg");
	assert_found(&vi, root, "p/.venv", "p/.venv", "self");
	free(dir);

	/* A table of the tests' own: its locator off gives way to the next. */
	xasprintf(&dir, "%s/q", root);
	opts.locators_off = self_off;
	opts.n_locators_off = 2;
	ck_assert_int_eq(resolve_dir_with(table_use, dir, &opts, &vi, err,
	    sizeof err), 1);
	assert_found(&vi, root, "q/.venv", "q", ".venv");
	ck_assert(!locator_names_match(table_use, &opts, ".use"));
	/* "self" in the list changes nothing. */
	ck_assert_int_eq(locator_on(&opts, &locator_self), 1);
	free(dir);
	xasprintf(&dir, "%s/store/env-1", root);
	ck_assert_int_eq(resolve_dir_with(table_use, dir, &opts, &vi, err,
	    sizeof err), 1);
	assert_found(&vi, root, "store/env-1", "store/env-1", "self");
	free(dir);
	tmptree_free(root);
}
END_TEST

/* A level name of 200 bytes, so that few levels pass PATH_MAX. */
#define LONG_NAME_LEN	200

/* Remove what fd/name holds, depth first, without paths. */
static void
remove_at(int fd, const char *name, const char *level)
{
	static const char *const known[] = {
		"pyvenv.cfg", "python", "bin", ".venv",
	};
	struct stat st;
	int sub;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		ck_assert_int_eq(unlinkat(fd, name, 0), 0);
		return;
	}
	if ((sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			remove_at(sub, known[i], level);
		remove_at(sub, level, level);
		close(sub);
	}
	ck_assert_int_eq(unlinkat(fd, name, AT_REMOVEDIR), 0);
}

/* Create fd/rel (a file when file, else a directory). */
static void
make_at(int fd, const char *rel, int file)
{
	int f;

	if (!file) {
		ck_assert_int_eq(mkdirat(fd, rel, 0755), 0);
		return;
	}
	f = openat(fd, rel, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ne(f, -1);
	close(f);
}

/* resolve_long_levels asks the same table on each level past PATH_MAX. */
START_TEST(test_long_levels)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char *root = tmptree_new(), err[256], name[LONG_NAME_LEN + 1];
	struct buf path = BUF_INIT;
	size_t anc_len;
	int fd, next, deep = -1;

	memset(name, 'x', LONG_NAME_LEN);
	name[LONG_NAME_LEN] = '\0';
	buf_puts(&path, root);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	while (path.len < PATH_MAX + 3 * LONG_NAME_LEN) {
		make_at(fd, name, 0);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ne(next, -1);
		close(fd);
		fd = next;
		buf_printf(&path, "/%s", name);
		if (path.len > PATH_MAX && deep == -1)
			deep = dup(fd);		/* the first level past PATH_MAX */
	}
	close(fd);
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), 0);
	ck_assert_uint_lt(anc_len, PATH_MAX);
	/* A .venv on a level past PATH_MAX, found by locator_venv_dirs. */
	make_at(deep, ".venv", 0);
	make_at(deep, ".venv/bin", 0);
	ck_assert_int_eq(symlinkat("/usr/bin/python3", deep, ".venv/bin/python"), 0);
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), 0);	/* no pyvenv.cfg yet */
	make_at(deep, ".venv/pyvenv.cfg", 1);
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot be activated"));
	/* Not when .venv is not among the names. */
	opts.n_venv_dirs = 0;
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), 0);
	/* The level itself a venv, by locator_self, dangling python and all. */
	remove_at(deep, ".venv", name);
	make_at(deep, "pyvenv.cfg", 1);
	make_at(deep, "bin", 0);
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), 0);
	ck_assert_int_eq(symlinkat("/nonexistent/venvd/python3", deep, "bin/python"), 0);
	ck_assert_int_eq(resolve_long_levels(path.data, &opts, &anc_len, err,
	    sizeof err), -1);
	close(deep);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	remove_at(fd, name, name);
	close(fd);
	buf_free(&path);
	tmptree_free(root);
}
END_TEST

/* The store of manager in stores, or NULL. */
static const char *
store_path(const struct locator_store *st, size_t n, const char *manager)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(st[i].manager, manager) == 0)
			return st[i].path;
	return NULL;
}

/* Where the tools' stores are, from the environment (and Poetry's config.toml). */
START_TEST(test_stores)
{
	struct locator_store st[LOCATOR_MAX_STORES];
	struct resolve_opts opts = { 0 };
	char *root = tmptree_new(), *home, *xdg, *p;
	char **env;
	size_t n;

	xasprintf(&home, "%s/home", root);
	xasprintf(&xdg, "%s/cfg", root);
	tmptree_mkdir(root, "home");
	/* Defaults: everything under HOME. */
	env = tmptree_env("HOME", home, NULL);
	opts.env = (const char *const *)env;
	n = locator_stores(&opts, st);
	ck_assert_uint_eq(n, 4);
	xasprintf(&p, "%s/.cache/pypoetry/virtualenvs", home);
	ck_assert_str_eq(store_path(st, n, "poetry"), p);
	free(p);
	xasprintf(&p, "%s/.local/share/virtualenvs", home);
	ck_assert_str_eq(store_path(st, n, "pipenv"), p);
	free(p);
	xasprintf(&p, "%s/.virtualenvs", home);
	ck_assert_str_eq(store_path(st, n, "virtualenvwrapper"), p);
	free(p);
	xasprintf(&p, "%s/.pyenv/versions", home);
	ck_assert_str_eq(store_path(st, n, "pyenv-virtualenv"), p);
	free(p);
	locator_stores_free(st, n);
	tmptree_env_free(env);

	/* The variables, and Poetry's config.toml. */
	tmptree_write(root, "cfg/pypoetry/config.toml",
	    "[virtualenvs]\npath = \"{cache-dir}/envs here\"\n");
	env = tmptree_env("HOME", home, "XDG_CONFIG_HOME", xdg,
	    "XDG_CACHE_HOME", "/c", "XDG_DATA_HOME", "/d", "PYENV_ROOT", "/py",
	    NULL);
	opts.env = (const char *const *)env;
	n = locator_stores(&opts, st);
	ck_assert_str_eq(store_path(st, n, "poetry"), "/c/pypoetry/envs here");
	ck_assert_str_eq(store_path(st, n, "pipenv"), "/d/virtualenvs");
	ck_assert_str_eq(store_path(st, n, "pyenv-virtualenv"), "/py/versions");
	locator_stores_free(st, n);
	tmptree_env_free(env);

	/* POETRY_VIRTUALENVS_PATH wins; WORKON_HOME is Pipenv's and virtualenvwrapper's. */
	env = tmptree_env("HOME", home, "XDG_CONFIG_HOME", xdg,
	    "POETRY_VIRTUALENVS_PATH", "/pv", "WORKON_HOME", "/w", NULL);
	opts.env = (const char *const *)env;
	n = locator_stores(&opts, st);
	ck_assert_str_eq(store_path(st, n, "poetry"), "/pv");
	ck_assert_str_eq(store_path(st, n, "pipenv"), "/w");
	ck_assert_str_eq(store_path(st, n, "virtualenvwrapper"), "/w");
	locator_stores_free(st, n);
	tmptree_env_free(env);

	/* No home: only what the variables name. */
	env = tmptree_env("WORKON_HOME", "/w", NULL);
	opts.env = (const char *const *)env;
	n = locator_stores(&opts, st);
	ck_assert_uint_eq(n, 2);
	locator_stores_free(st, n);
	tmptree_env_free(env);
	free(home);
	free(xdg);
	tmptree_free(root);
}
END_TEST

/* Which tool keeps a venv: its store, else the locator that found it, else "venv". */
START_TEST(test_manager)
{
	struct locator_store st[] = {
		{ (char *)"/h/.cache/pypoetry/virtualenvs", "poetry", NULL },
		{ (char *)"/w", "pipenv", NULL },
		{ (char *)"/w", "virtualenvwrapper", NULL },
		{ (char *)"/h/.pyenv/versions", "pyenv-virtualenv", "envs" },
	};
	struct locator_store apart[] = {
		{ (char *)"/h/.local/share/virtualenvs", "pipenv", NULL },
		{ (char *)"/h/.virtualenvs", "virtualenvwrapper", NULL },
	};
	size_t n = sizeof st / sizeof st[0];

	/* In a store, whoever found it. */
	ck_assert_str_eq(locator_manager(st, n,
	    "/h/.cache/pypoetry/virtualenvs/api-AbCdEfGh-py3.11", NULL, "self",
	    NULL), "poetry");
	ck_assert_str_eq(locator_manager(st, n,
	    "/h/.cache/pypoetry/virtualenvs/api-AbCdEfGh-py3.11", "/p/api",
	    "poetry", NULL), "poetry");
	ck_assert(locator_in_store(st, n,
	    "/h/.cache/pypoetry/virtualenvs/api-AbCdEfGh-py3.11"));
	/* Not in it: below a venv of the store, or the store itself. */
	ck_assert(!locator_in_store(st, n,
	    "/h/.cache/pypoetry/virtualenvs/api-AbCdEfGh-py3.11/x"));
	ck_assert(!locator_in_store(st, n, "/h/.cache/pypoetry/virtualenvs"));
	ck_assert(!locator_in_store(st, n, "/h/.cache/pypoetry/virtualenvsx/a"));
	/* pyenv: versions/<name> and versions/<version>/envs/<name>. */
	ck_assert_str_eq(locator_manager(st, n, "/h/.pyenv/versions/env1",
	    NULL, "self", NULL), "pyenv-virtualenv");
	ck_assert_str_eq(locator_manager(st, n,
	    "/h/.pyenv/versions/3.11.4/envs/env1", NULL, "self", NULL),
	    "pyenv-virtualenv");
	ck_assert(!locator_in_store(st, n, "/h/.pyenv/versions/3.11.4/lib/x"));
	ck_assert(!locator_in_store(st, n, "/h/.pyenv/versions/a/b/envs/x"));
	ck_assert(!locator_in_store(st, n, "/h/.pyenv/versions/envs/x"));
	/* $WORKON_HOME shared: Pipenv's name for the .project's Pipfile (a vector from pipenv). */
	ck_assert_str_eq(locator_manager(st, n, "/w/pp-SMO-WkPL", NULL, "self",
	    "/tmp/x/pp"), "pipenv");
	ck_assert_str_eq(locator_manager(st, n, "/w/pp", NULL, "self",
	    "/tmp/x/pp"), "virtualenvwrapper");
	ck_assert_str_eq(locator_manager(st, n, "/w/pp-SMO-WkPL", NULL, "self",
	    NULL), "virtualenvwrapper");
	ck_assert_str_eq(locator_manager(st, n, "/w/pp-SMO-WkPL", NULL, "self",
	    "/tmp/y/pp"), "virtualenvwrapper");
	/* Stores apart: where it sits decides. */
	ck_assert_str_eq(locator_manager(apart, 2,
	    "/h/.local/share/virtualenvs/anything", NULL, "self", NULL),
	    "pipenv");
	ck_assert_str_eq(locator_manager(apart, 2, "/h/.virtualenvs/pp-SMO-WkPL",
	    NULL, "self", "/tmp/x/pp"), "virtualenvwrapper");
	/* A .venv file naming a venv in a store: the store's tool. */
	ck_assert_str_eq(locator_manager(apart, 2, "/h/.virtualenvs/e", "/p",
	    "venv-file", NULL), "virtualenvwrapper");
	/* Elsewhere: the locator, else "venv". */
	ck_assert_str_eq(locator_manager(st, n, "/envs/e", "/p", "venv-file",
	    NULL), "venv-file");
	ck_assert_str_eq(locator_manager(st, n, "/p/.venv", "/p", "pdm", NULL),
	    "pdm");
	ck_assert_str_eq(locator_manager(st, n, "/p/.venv", "/p", "poetry",
	    NULL), "poetry");
	ck_assert_str_eq(locator_manager(st, n, "/p/.venv", "/p", ".venv",
	    NULL), "venv");
	ck_assert_str_eq(locator_manager(st, n, "/p/venv", "/p", "venv", NULL),
	    "venv");
	/* A venv_dirs name that is also a tool's name is still venv_dirs. */
	ck_assert_str_eq(locator_manager(st, n, "/p/poetry", "/p", "poetry",
	    NULL), "venv");
	ck_assert_str_eq(locator_manager(st, n, "/poetry", "/", "poetry",
	    NULL), "venv");
	ck_assert_str_eq(locator_manager(st, n, "/e", "/e", "self", NULL),
	    "venv");
	ck_assert_str_eq(locator_manager(NULL, 0, "/e", NULL, NULL, NULL),
	    "venv");
	ck_assert_str_eq(locator_manager(st, n, "/e", "/p", "something", NULL),
	    "venv");
}
END_TEST

/* The locator suite. */
Suite *
suite_locator(void)
{
	Suite *s = suite_create("locator");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_table_order);
	tcase_add_test(tc, test_nearest_level_wins);
	tcase_add_test(tc, test_self_venv_dotvenv);
	tcase_add_test(tc, test_deps_per_candidate);
	tcase_add_test(tc, test_deps_venv_dirs);
	tcase_add_test(tc, test_dangling_python);
	tcase_add_test(tc, test_custom_venv_dirs);
	tcase_add_test(tc, test_new_locator);
	tcase_add_test(tc, test_long_levels);
	tcase_add_test(tc, test_stores);
	tcase_add_test(tc, test_manager);
	tcase_add_test(tc, test_locators_off);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_locator_pdm.c: the interpreter a PDM project records
 * (common/locator_pdm.c), over temp trees. The .pdm.toml layout is
 * what Debian 12's python3-pdm 2.2.1 wrote for "pdm use -f
 * /tmp/x/bin/python": "[python]\npath = \"/tmp/x/bin/python\"\n".
 */
#include "config.h"

#include <sys/stat.h>

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
static const struct locator *const table_pdm[] = { &locator_pdm, NULL };

/* Resolve root/rel with table, deps into d. */
static int
walk(const struct locator *const *table, const char *root, const char *rel,
    struct venv_info *vi, struct tmptree_deps *d)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char err[256] = "", *path;
	int r;

	d->root = root;
	buf_reset(&d->b);
	opts.dep = tmptree_dep;
	opts.dep_ctx = d;
	xasprintf(&path, "%s/%s", root, rel);
	r = resolve_dir_with(table, path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	free(path);
	return r;
}

/* Write root/file with text, each "%R" in it standing for root. */
static void
write_rooted(const char *root, const char *file, const char *text)
{
	struct buf b = BUF_INIT;
	const char *p, *q;

	for (p = text; (q = strstr(p, "%R")) != NULL; p = q + 2) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, root);
	}
	buf_puts(&b, p);
	tmptree_write(root, file, b.data);
	buf_free(&b);
}

/* Assert vi is root/path for project root/proj, found by PDM; free it. */
static void
assert_pdm(struct venv_info *vi, const char *root, const char *path,
    const char *proj)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, path);
	xasprintf(&q, "%s/%s", root, proj);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "pdm");
	free(p);
	free(q);
	venv_info_free(vi);
}

/* PDM 2.2.1's .pdm.toml naming a venv elsewhere; from a subdirectory too. */
START_TEST(test_pdm_toml)
{
	char *root = tmptree_new();
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_venv(root, "store/p-3.11", "");
	tmptree_mkdir(root, "proj/src");
	ck_assert_int_eq(walk(locators, root, "proj/src", &vi, &d), 0);
	write_rooted(root, "proj/.pdm.toml",
	    "[python]\npath = \"%R/store/p-3.11/bin/python\"\n");
	ck_assert_int_eq(walk(locators, root, "proj/src", &vi, &d), 1);
	assert_pdm(&vi, root, "store/p-3.11", "proj");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 1);
	assert_pdm(&vi, root, "store/p-3.11", "proj");
	ck_assert_str_eq(d.b.data, "LEVEL R/proj\nFILE R/proj/.pdm.toml\n"
	    "VENV R/store/p-3.11\nBIN R/store/p-3.11/bin\n");
	/* bin/python3.11 names the same venv. */
	write_rooted(root, "proj/.pdm.toml",
	    "[python]\npath = '%R/store/p-3.11/bin/python3.11'\n[venv]\nin_project = true\n");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 1);
	assert_pdm(&vi, root, "store/p-3.11", "proj");
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* .pdm-python (PDM >= 2.5) wins over .pdm.toml; a relative path is from the project. */
START_TEST(test_pdm_python)
{
	char *root = tmptree_new();
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_venv(root, "store/a", "");
	tmptree_venv(root, "proj/.venv", "");
	write_rooted(root, "proj/.pdm.toml", "[python]\npath = \"%R/proj/.venv/bin/python\"\n");
	write_rooted(root, "proj/.pdm-python", "%R/store/a/bin/python\n");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 1);
	assert_pdm(&vi, root, "store/a", "proj");
	ck_assert_str_eq(d.b.data, "LEVEL R/proj\nFILE R/proj/.pdm-python\n"
	    "VENV R/store/a\nBIN R/store/a/bin\n");
	tmptree_write(root, "proj/.pdm-python", ".venv/bin/python");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 1);
	assert_pdm(&vi, root, "proj/.venv", "proj");
	/* A .pdm-python that names nothing usable decides alone. */
	tmptree_write(root, "proj/.pdm-python", "/usr/bin/python3\n");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 0);
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* What is not a venv's interpreter, or not a clean path, offers nothing. */
START_TEST(test_pdm_refused)
{
	static const char *const bad[] = {
		"%R/store/a/bin/../bin/python\n",
		"%R/store/./a/bin/python\n",
		"%R/store//a/bin/python\n",
		"%R/store/a/python\n",
		"%R/store/a/Scripts/python\n",
		"%R/store/a/bin/\n",
		"%R/store/a\n",
		"\n",
		"/bin/python\n",
		"%R/store/a/bin/python\n%R/x\n",
		"%R/store/notvenv/bin/python\n",
	};
	char *root = tmptree_new();
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_venv(root, "store/a", "");
	tmptree_mkdir(root, "store/notvenv/bin");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_rooted(root, "proj/.pdm-python", bad[i]);
		ck_assert_msg(walk(table_pdm, root, "proj", &vi, &d) == 0, "%s", bad[i]);
	}
	tmptree_free(root);
	root = tmptree_new();
	tmptree_venv(root, "store/a", "");
	write_rooted(root, "proj/.pdm.toml", "[python]\npath = \"%R/store/a/bin/python\n");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 0);
	write_rooted(root, "proj/.pdm.toml", "[python]\npath = 3\n");
	ck_assert_int_eq(walk(table_pdm, root, "proj", &vi, &d), 0);
	/* A loop, and a directory where the file should be. */
	tmptree_symlink(root, "loop/.pdm-python", ".pdm-python");
	ck_assert_int_eq(walk(table_pdm, root, "loop", &vi, &d), 0);
	tmptree_mkdir(root, "dir/.pdm-python");
	ck_assert_int_eq(walk(table_pdm, root, "dir", &vi, &d), 0);
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* chmod root/rel to mode. */
static void
chmod_rel(const char *root, const char *rel, mode_t mode)
{
	char *p;

	xasprintf(&p, "%s/%s", root, rel);
	ck_assert_int_eq(chmod(p, mode), 0);
	free(p);
}

/*
 * .pdm-python and .pdm.toml name a venv by any path, as a .venv file
 * does: one that others can write, or that another user owns, is not
 * followed (and a refused .pdm-python still hides .pdm.toml).
 */
START_TEST(test_pdm_pointer_rule)
{
	static const char *const files[] = { ".pdm-python", ".pdm.toml" };
	static const char *const texts[] = {
		"%R/store/a/bin/python\n",
		"[python]\npath = \"%R/store/a/bin/python\"\n",
	};
	char *root = tmptree_new(), *p;
	struct tmptree_deps d = { NULL, BUF_INIT };
	struct venv_info vi;

	tmptree_venv(root, "store/a", "");
	for (size_t i = 0; i < 2; i++) {
		char *proj, *file;

		xasprintf(&proj, "proj%zu", i);
		xasprintf(&file, "proj%zu/%s", i, files[i]);
		write_rooted(root, file, texts[i]);
		chmod_rel(root, file, 0644);
		ck_assert_int_eq(walk(table_pdm, root, proj, &vi, &d), 1);
		venv_info_free(&vi);
		chmod_rel(root, file, 0646);
		ck_assert_msg(walk(table_pdm, root, proj, &vi, &d) == 0,
		    "%s writable by others was followed", files[i]);
		chmod_rel(root, file, 0644);
		if (geteuid() == 0) {
			xasprintf(&p, "%s/%s", root, file);
			ck_assert_int_eq(chown(p, 65534, 65534), 0);
			ck_assert_msg(walk(table_pdm, root, proj, &vi, &d) == 0,
			    "%s owned by another user was followed", files[i]);
			ck_assert_int_eq(chown(p, 0, 0), 0);
			free(p);
		}
		ck_assert_int_eq(walk(table_pdm, root, proj, &vi, &d), 1);
		venv_info_free(&vi);
		free(proj);
		free(file);
	}
	/* A refused .pdm-python decides alone: the good .pdm.toml beside it is not read. */
	write_rooted(root, "proj1/.pdm-python", "%R/store/a/bin/python\n");
	chmod_rel(root, "proj1/.pdm-python", 0666);
	ck_assert_int_eq(walk(table_pdm, root, "proj1", &vi, &d), 0);
	buf_free(&d.b);
	tmptree_free(root);
}
END_TEST

/* The entries whose appearing matters at a level. */
START_TEST(test_pdm_names)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };

	ck_assert_str_eq(locator_pdm.name, "pdm");
	ck_assert(locator_pdm.names(&opts, ".pdm-python"));
	ck_assert(locator_pdm.names(&opts, ".pdm.toml"));
	ck_assert(!locator_pdm.names(&opts, "pdm.lock"));
}
END_TEST

Suite *
suite_locator_pdm(void)
{
	Suite *s = suite_create("locator_pdm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pdm_toml);
	tcase_add_test(tc, test_pdm_python);
	tcase_add_test(tc, test_pdm_refused);
	tcase_add_test(tc, test_pdm_names);
	tcase_add_test(tc, test_pdm_pointer_rule);
	suite_add_tcase(s, tc);
	return s;
}

/* check_resolve.c: unit tests for the resolver, on real temporary trees. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "resolve.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

static const char *const default_dirs[] = { ".venv", "venv" };

/* Collects dependencies as "KIND path\n" lines. */
static void
collect_dep(void *ctx, const char *dir, enum resolve_dep kind)
{
	struct buf *b = ctx;
	static const char *names[] = { "LEVEL", "VENV", "BIN" };

	buf_printf(b, "%s %s\n", names[kind], dir);
}

/* Resolve root/rel (or rel alone when root is NULL) with the default names. */
static int
resolve_at(const char *root, const char *rel, struct venv_info *vi, struct buf *deps)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	char err[256] = "";
	char *path;
	int r;

	if (deps != NULL) {
		opts.dep = collect_dep;
		opts.dep_ctx = deps;
	}
	if (root != NULL)
		xasprintf(&path, "%s/%s", root, rel);
	else
		path = xstrdup(rel);
	r = resolve_dir(path, &opts, vi, err, sizeof err);
	ck_assert_msg(r != -1, "resolve %s: %s", path, err);
	free(path);
	return r;
}

/* root/rel as a malloc'd string. */
static char *
at(const char *root, const char *rel)
{
	char *p;

	if (rel[0] == '\0')
		return xstrdup(root);
	xasprintf(&p, "%s/%s", root, rel);
	return p;
}

/* Assert that vi is the venv root/venv_rel for project root/project_rel. */
static void
assert_venv(const struct venv_info *vi, const char *root, const char *venv_rel,
    const char *project_rel, const char *found_as)
{
	char *venv = at(root, venv_rel), *project = at(root, project_rel);
	char *python = at(venv, "bin/python");

	ck_assert_str_eq(vi->path, venv);
	ck_assert_str_eq(vi->project, project);
	ck_assert_str_eq(vi->python, python);
	ck_assert_str_eq(vi->found_as, found_as);
	ck_assert_ptr_nonnull(vi->prompt);
	free(venv);
	free(project);
	free(python);
}

START_TEST(test_nested_projects)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "outer/.venv", "home = /usr/bin\nversion = 3.11.2\n");
	tmptree_venv(root, "outer/inner/.venv", "home = /usr/bin\nversion = 3.11.4\n"
	    "prompt = 'inner-p'\n");
	tmptree_mkdir(root, "outer/inner/src/pkg");
	tmptree_mkdir(root, "outer/docs");

	ck_assert_int_eq(resolve_at(root, "outer/inner/src/pkg", &vi, NULL), 1);
	assert_venv(&vi, root, "outer/inner/.venv", "outer/inner", ".venv");
	ck_assert_str_eq(vi.version, "3.11.4");
	ck_assert_str_eq(vi.prompt, "inner-p");
	ck_assert_ptr_null(vi.broken);
	venv_info_free(&vi);

	ck_assert_int_eq(resolve_at(root, "outer/docs", &vi, NULL), 1);
	assert_venv(&vi, root, "outer/.venv", "outer", ".venv");
	ck_assert_str_eq(vi.prompt, "outer");	/* project dir's name */
	ck_assert_str_eq(vi.version, "3.11.2");
	ck_assert_int_eq(vi.include_system_site_packages, -1);
	venv_info_free(&vi);

	ck_assert_int_eq(resolve_at(root, "outer", &vi, NULL), 1);
	assert_venv(&vi, root, "outer/.venv", "outer", ".venv");
	venv_info_free(&vi);

	ck_assert_int_eq(resolve_at(root, "", &vi, NULL), 0);
	tmptree_free(root);
}
END_TEST

START_TEST(test_venv_dirs_order)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "p/venv", "version = 3.9\n");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	assert_venv(&vi, root, "p/venv", "p", "venv");
	venv_info_free(&vi);
	tmptree_venv(root, "p/.venv", "version = 3.10\n");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_venv_itself)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "envs/tools", "home = /usr/bin\nversion = 3.11.2\n");
	tmptree_mkdir(root, "envs/tools/lib/python3.11/site-packages");

	ck_assert_int_eq(resolve_at(root, "envs/tools", &vi, NULL), 1);
	assert_venv(&vi, root, "envs/tools", "envs/tools", "self");
	ck_assert_str_eq(vi.prompt, "tools");
	venv_info_free(&vi);
	ck_assert_int_eq(resolve_at(root, "envs/tools/lib/python3.11/site-packages",
	    &vi, NULL), 1);
	assert_venv(&vi, root, "envs/tools", "envs/tools", "self");
	venv_info_free(&vi);
	/* Inside a project's .venv: the venv itself, found as self. */
	tmptree_venv(root, "p/.venv", "");
	ck_assert_int_eq(resolve_at(root, "p/.venv/bin", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p/.venv", "self");
	ck_assert_str_eq(vi.prompt, ".venv");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_symlinked_venv)
{
	char *root = tmptree_new(), *target;
	struct venv_info vi;

	tmptree_venv(root, "store/p-1234", "home = /usr/bin\n");
	target = at(root, "store/p-1234");
	tmptree_mkdir(root, "p/src");
	tmptree_symlink(root, "p/.venv", target);
	ck_assert_int_eq(resolve_at(root, "p/src", &vi, NULL), 1);
	/* Reported as reached, not as resolved. */
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	ck_assert_str_eq(vi.prompt, "p");
	venv_info_free(&vi);
	free(target);
	tmptree_free(root);
}
END_TEST

START_TEST(test_missing_python)
{
	char *root = tmptree_new();
	struct venv_info vi;

	/* pyvenv.cfg without bin/python: no match, keep walking. */
	tmptree_write(root, "p/.venv/pyvenv.cfg", "home = /usr/bin\n");
	tmptree_mkdir(root, "p/.venv/bin");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 0);
	/* bin/python without pyvenv.cfg: no match. */
	tmptree_symlink(root, "q/.venv/bin/python", "/usr/bin/python3");
	ck_assert_int_eq(resolve_at(root, "q", &vi, NULL), 0);
	/* An outer venv still applies. */
	tmptree_venv(root, ".venv", "");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	assert_venv(&vi, root, ".venv", "", ".venv");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_dangling_python)
{
	char *root = tmptree_new();
	struct venv_info vi;
	char *want;

	tmptree_write(root, "p/.venv/pyvenv.cfg", "home = /usr/bin\nversion = 3.7.3\n");
	tmptree_symlink(root, "p/.venv/bin/python", "python3");
	tmptree_symlink(root, "p/.venv/bin/python3", "/nonexistent/venvd/python3.7");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	ck_assert_ptr_nonnull(vi.broken);
	ck_assert_str_eq(vi.broken, "base interpreter /nonexistent/venvd/python3.7 is missing");
	venv_info_free(&vi);

	/* A relative dangling target is made absolute. */
	tmptree_write(root, "r/.venv/pyvenv.cfg", "");
	tmptree_symlink(root, "r/.venv/bin/python", "../gone/python");
	ck_assert_int_eq(resolve_at(root, "r", &vi, NULL), 1);
	xasprintf(&want, "base interpreter %s/r/.venv/gone/python is missing", root);
	ck_assert_str_eq(vi.broken, want);
	free(want);
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_missing_home)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_venv(root, "p/.venv", "home = /nonexistent/venvd/bin\n");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	ck_assert_str_eq(vi.broken, "base interpreter directory /nonexistent/venvd/bin is missing");
	ck_assert_str_eq(vi.home, "/nonexistent/venvd/bin");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_corrupt_cfg_still_reported)
{
	char *root = tmptree_new();
	struct venv_info vi;
	static const char bin[] = "home = /usr/bin\n\0\x01\x02";
	char *path;
	FILE *f;

	tmptree_venv(root, "p/.venv", "");
	path = at(root, "p/.venv/pyvenv.cfg");
	f = fopen(path, "w");
	fwrite(bin, 1, sizeof bin, f);
	fclose(f);
	free(path);
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	ck_assert_ptr_null(vi.version);
	ck_assert_str_eq(vi.prompt, "p");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_unreadable_dir)
{
	char *root = tmptree_new(), *locked, *start;
	struct venv_info vi;
	pid_t pid;
	int status;

	/*
	 * We are usually root, for whom chmod 000 means nothing: the walk
	 * runs in a forked child that drops to uid/gid 65534.
	 */
	tmptree_venv(root, "p/.venv", "");
	tmptree_mkdir(root, "p/locked/sub");
	tmptree_venv(root, "p/locked/sub/.venv", "");
	tmptree_venv(root, "p/q/.venv", "");
	ck_assert_int_eq(chmod(root, 0755), 0);
	locked = at(root, "p/locked");
	ck_assert_int_eq(chmod(locked, 0), 0);
	start = at(root, "p/q/.venv");
	ck_assert_int_eq(chmod(start, 0), 0);
	free(start);

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int r, ok;

		if (geteuid() == 0 &&
		    (setresgid(65534, 65534, 65534) == -1 ||
		    setresuid(65534, 65534, 65534) == -1))
			_exit(10);
		if (geteuid() == 0)
			_exit(11);
		if (access(root, X_OK) == -1)
			_exit(77);	/* $TMPDIR itself is closed to others */
		/* Inside the locked dir: nothing there can be seen, walk up. */
		r = resolve_at(root, "p/locked/sub", &vi, NULL);
		ok = r == 1 && strcmp(vi.found_as, ".venv") == 0 &&
		    strstr(vi.path, "/locked/") == NULL;
		if (r == 1)
			venv_info_free(&vi);
		if (!ok)
			_exit(1);
		/* An unreadable .venv is skipped, the outer one applies. */
		r = resolve_at(root, "p/q", &vi, NULL);
		ok = r == 1 && strstr(vi.path, "/q/") == NULL;
		if (r == 1)
			venv_info_free(&vi);
		_exit(ok ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died");
	if (WEXITSTATUS(status) == 77)
		fprintf(stderr, "skipped: %s cannot be reached by uid 65534\n", root);
	else
		ck_assert_msg(WEXITSTATUS(status) == 0, "unprivileged walk failed (%d)",
	    WEXITSTATUS(status));
	free(locked);
	tmptree_free(root);
}
END_TEST

START_TEST(test_vanished_dir)
{
	char *root = tmptree_new(), *gone;
	struct venv_info vi;

	tmptree_venv(root, "p/.venv", "");
	tmptree_mkdir(root, "p/gone/deeper");
	gone = at(root, "p/gone/deeper");
	ck_assert_int_eq(rmdir(gone), 0);
	free(gone);
	gone = at(root, "p/gone");
	ck_assert_int_eq(rmdir(gone), 0);
	free(gone);
	ck_assert_int_eq(resolve_at(root, "p/gone/deeper", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	/* A file where a directory was expected (ENOTDIR). */
	tmptree_write(root, "p/file", "x");
	ck_assert_int_eq(resolve_at(root, "p/file/sub", &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_symlink_loop)
{
	char *root = tmptree_new();
	struct venv_info vi;

	tmptree_symlink(root, "p/a", "b");
	tmptree_symlink(root, "p/b", "a");
	tmptree_symlink(root, "p/.venv", "a");
	tmptree_symlink(root, "p/venv", "venv");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 0);
	ck_assert_int_eq(resolve_at(root, "p/a/b/a", &vi, NULL), 0);
	tmptree_venv(root, ".venv", "");
	ck_assert_int_eq(resolve_at(root, "p/a", &vi, NULL), 1);
	assert_venv(&vi, root, ".venv", "", ".venv");
	venv_info_free(&vi);
	/* A looping bin/python is broken, not fatal. */
	tmptree_write(root, "l/.venv/pyvenv.cfg", "");
	tmptree_symlink(root, "l/.venv/bin/python", "python");
	ck_assert_int_eq(resolve_at(root, "l", &vi, NULL), 1);
	ck_assert_ptr_nonnull(vi.broken);
	venv_info_free(&vi);
	tmptree_free(root);
}
END_TEST

START_TEST(test_hostile_names)
{
	static const char *names[] = {
		"with space", "it's", "say \"hi\"", "back`tick`", "$(touch pwned)",
		"semi;colon", "new\nline", "star*", "back\\slash", "\xff\xfe bytes",
		"tab\there", "-dash",
	};
	char *root = tmptree_new();
	struct venv_info vi;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *proj, *sub;

		xasprintf(&proj, "%s/.venv", names[i]);
		xasprintf(&sub, "%s/sub dir", names[i]);
		tmptree_venv(root, proj, "");
		tmptree_mkdir(root, sub);
		ck_assert_int_eq(resolve_at(root, sub, &vi, NULL), 1);
		assert_venv(&vi, root, proj, names[i], ".venv");
		ck_assert_str_eq(vi.prompt, names[i]);
		venv_info_free(&vi);
		free(proj);
		free(sub);
	}
	ck_assert_int_eq(access("pwned", F_OK), -1);
	tmptree_free(root);
}
END_TEST

START_TEST(test_lexical_normalisation)
{
	char *root = tmptree_new(), *p;
	struct venv_info vi;

	tmptree_venv(root, "p/.venv", "");
	tmptree_mkdir(root, "p/a/b");
	tmptree_mkdir(root, "other");
	/* "//", "/./", a trailing "/" and ".." are handled lexically. */
	xasprintf(&p, "%s//p/./a/b/", root);
	ck_assert_int_eq(resolve_at(NULL, p, &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	free(p);
	xasprintf(&p, "%s/other/../p/a/../a", root);
	ck_assert_int_eq(resolve_at(NULL, p, &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	free(p);
	/* ".." is lexical even through a symlink: the logical parent. */
	tmptree_symlink(root, "p/link", "../other");
	xasprintf(&p, "%s/p/link", root);
	ck_assert_int_eq(resolve_at(NULL, p, &vi, NULL), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	venv_info_free(&vi);
	free(p);
	xasprintf(&p, "%s/other", root);
	ck_assert_int_eq(resolve_at(NULL, p, &vi, NULL), 0);
	free(p);
	ck_assert_int_eq(resolve_at(NULL, "/", &vi, NULL), 0);
	ck_assert_int_eq(resolve_at(NULL, "/../..//.", &vi, NULL), 0);
	tmptree_free(root);
}
END_TEST

START_TEST(test_invalid_paths)
{
	struct resolve_opts opts = { .venv_dirs = default_dirs, .n_venv_dirs = 2 };
	struct venv_info vi;
	char err[256];
	char *long_path;

	err[0] = '\0';
	ck_assert_int_eq(resolve_dir("relative/dir", &opts, &vi, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	err[0] = '\0';
	ck_assert_int_eq(resolve_dir("", &opts, &vi, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	long_path = xmalloc(PATH_MAX + 10);
	for (size_t i = 0; i < PATH_MAX + 8; i++)
		long_path[i] = (i % 8 == 0) ? '/' : 'x';
	long_path[PATH_MAX + 8] = '\0';
	err[0] = '\0';
	ck_assert_int_eq(resolve_dir(long_path, &opts, &vi, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "PATH_MAX"));
	/* Just under PATH_MAX: fine, nothing found. */
	long_path[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(resolve_dir(long_path, &opts, &vi, err, sizeof err), 0);
	free(long_path);
}
END_TEST

START_TEST(test_dependencies)
{
	char *root = tmptree_new();
	struct venv_info vi;
	struct buf deps = BUF_INIT, want = BUF_INIT;

	/*
	 * root/p/.venv is the venv; root/p/venv is a candidate without
	 * pyvenv.cfg; root/p/a has a half-made .venv (no bin yet);
	 * root/p/a/b has a pyvenv.cfg and bin/ but no python.
	 */
	tmptree_venv(root, "p/.venv", "");
	tmptree_mkdir(root, "p/venv/bin");
	tmptree_write(root, "p/a/.venv/pyvenv.cfg", "");
	tmptree_write(root, "p/a/b/pyvenv.cfg", "");
	tmptree_mkdir(root, "p/a/b/bin");
	tmptree_mkdir(root, "p/a/b/c");

	ck_assert_int_eq(resolve_at(root, "p/a/b/c", &vi, &deps), 1);
	assert_venv(&vi, root, "p/.venv", "p", ".venv");
	buf_printf(&want, "LEVEL %s/p/a/b/c\n", root);
	buf_printf(&want, "LEVEL %s/p/a/b\n", root);
	buf_printf(&want, "BIN %s/p/a/b/bin\n", root);
	buf_printf(&want, "LEVEL %s/p/a\n", root);
	buf_printf(&want, "VENV %s/p/a/.venv\n", root);
	buf_printf(&want, "LEVEL %s/p\n", root);
	buf_printf(&want, "VENV %s/p/.venv\n", root);
	buf_printf(&want, "BIN %s/p/.venv/bin\n", root);
	ck_assert_str_eq(deps.data, want.data);
	venv_info_free(&vi);

	/* A self match reports the level, the venv and its bin; nothing above. */
	buf_reset(&deps);
	buf_reset(&want);
	ck_assert_int_eq(resolve_at(root, "p/.venv", &vi, &deps), 1);
	buf_printf(&want, "LEVEL %s/p/.venv\n", root);
	buf_printf(&want, "VENV %s/p/.venv\n", root);
	buf_printf(&want, "BIN %s/p/.venv/bin\n", root);
	ck_assert_str_eq(deps.data, want.data);
	venv_info_free(&vi);

	/* No match: every level up to "/" is reported, and "venv" as a candidate. */
	buf_reset(&deps);
	tmptree_mkdir(root, "n/venv/bin");
	ck_assert_int_eq(resolve_at(root, "n", &vi, &deps), 0);
	buf_reset(&want);
	buf_printf(&want, "LEVEL %s/n\nVENV %s/n/venv\nBIN %s/n/venv/bin\nLEVEL %s\n",
	    root, root, root, root);
	ck_assert_msg(strncmp(deps.data, want.data, want.len) == 0, "deps:\n%s", deps.data);
	ck_assert_msg(strstr(deps.data, "LEVEL /\n") != NULL, "deps:\n%s", deps.data);
	ck_assert_msg(deps.len >= 8 && strcmp(deps.data + deps.len - 8, "LEVEL /\n") == 0,
	    "deps:\n%s", deps.data);
	buf_free(&deps);
	buf_free(&want);
	tmptree_free(root);
}
END_TEST

START_TEST(test_copy)
{
	char *root = tmptree_new();
	struct venv_info vi, copy;

	tmptree_venv(root, "p/.venv", "version = 3.11\nhome = /nonexistent/x\n");
	ck_assert_int_eq(resolve_at(root, "p", &vi, NULL), 1);
	venv_info_copy(&copy, &vi);
	venv_info_free(&vi);
	ck_assert_str_eq(copy.version, "3.11");
	ck_assert_str_eq(copy.found_as, ".venv");
	ck_assert_ptr_nonnull(copy.broken);
	venv_info_free(&copy);
	tmptree_free(root);
}
END_TEST

/* The resolve suite. */
Suite *
suite_resolve(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("walk");

	tcase_add_test(tc, test_nested_projects);
	tcase_add_test(tc, test_venv_dirs_order);
	tcase_add_test(tc, test_venv_itself);
	tcase_add_test(tc, test_symlinked_venv);
	tcase_add_test(tc, test_missing_python);
	tcase_add_test(tc, test_dangling_python);
	tcase_add_test(tc, test_missing_home);
	tcase_add_test(tc, test_corrupt_cfg_still_reported);
	tcase_add_test(tc, test_unreadable_dir);
	tcase_add_test(tc, test_vanished_dir);
	tcase_add_test(tc, test_symlink_loop);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_lexical_normalisation);
	tcase_add_test(tc, test_invalid_paths);
	tcase_add_test(tc, test_dependencies);
	tcase_add_test(tc, test_copy);
	suite_add_tcase(s, tc);
	return s;
}

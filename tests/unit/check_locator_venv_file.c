/*
 * check_locator_venv_file.c: .venv as a file (common/locator_venv_file.c)
 * and its parser (venv_file_parse in common/pointer_file.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "locator.h"
#include "log.h"
#include "pointer_file.h"
#include "resolve.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

static const char *const dirs[] = { ".venv", "venv" };
static const struct locator *const table_file[] = { &locator_venv_file, NULL };

/* The test's resolve_opts: venv_dirs, and home/workon_home under root when given. */
struct env {
	char	*home;
	char	*workon;
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
	env = tmptree_env("HOME", e->home, "WORKON_HOME", e->workon,
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

/* Assert vi is root/path for project root/project, found as venv-file; free it. */
static void
assert_found(struct venv_info *vi, const char *root, const char *path,
    const char *project)
{
	char *p, *q;

	xasprintf(&p, "%s/%s", root, path);
	xasprintf(&q, "%s/%s", root, project);
	ck_assert_str_eq(vi->path, p);
	ck_assert_str_eq(vi->project, q);
	ck_assert_str_eq(vi->found_as, "venv-file");
	free(p);
	free(q);
	venv_info_free(vi);
}

/* Write len bytes (NULs and all) to root/rel with mode. */
static void
write_raw(const char *root, const char *rel, const char *data, size_t len,
    mode_t mode)
{
	char *p;
	int fd;

	xasprintf(&p, "%s/%s", root, rel);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(chmod(p, mode), 0);
	free(p);
}

/* Parse text as a .venv file: the path or NULL; *is_name set. */
static char *
parse(const char *text, size_t len, int *is_name)
{
	char err[256], *path;

	if (venv_file_parse(text, len, &path, is_name, err, sizeof err) == -1) {
		ck_assert_ptr_null(path);
		ck_assert_str_ne(err, "");
		return NULL;
	}
	return path;
}

/* Parse and compare: want NULL for a refusal. */
static void
assert_parse(const char *text, size_t len, const char *want, int want_name)
{
	int is_name = -1;
	char *got = parse(text, len, &is_name);

	if (want == NULL) {
		ck_assert_msg(got == NULL, "parsed %s", got);
		return;
	}
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(is_name, want_name);
	free(got);
}

#define P(s, want, name)	assert_parse(s, sizeof s - 1, want, name)

/* The parser: one line, one newline stripped (LF or CRLF), no NUL, bounded. */
START_TEST(test_parse)
{
	char *big;

	P("env\n", "env", 1);
	P("env", "env", 1);
	P("env\r\n", "env", 1);
	P("env\r", "env\r", 1);		/* a lone CR is not a newline */
	P("env\n\n", "env", 1);
	P("first\nsecond\n", "first", 1);	/* one line is read */
	P("../envs/x\n", "../envs/x", 0);
	P("/abs/venv", "/abs/venv", 0);
	P(" my env \n", " my env ", 1);	/* spaces are the name's */
	P("caf\xc3\xa9 \xe2\x98\x83\n", "caf\xc3\xa9 \xe2\x98\x83", 1);
	P("\xff\xfe\n", "\xff\xfe", 1);	/* bytes, not text */
	P("", NULL, 0);
	P("\n", NULL, 0);
	P("\r\n", NULL, 0);
	P("\nenv\n", NULL, 0);		/* the first line is empty */
	P("env\0x\n", NULL, 0);
	P("env\n\0", NULL, 0);		/* a NUL anywhere */
	/* Huge: over VENV_FILE_MAX, or a first line over PATH_MAX. */
	big = xmalloc(VENV_FILE_MAX + 2);
	memset(big, 'a', VENV_FILE_MAX + 1);
	big[VENV_FILE_MAX + 1] = '\0';
	assert_parse(big, VENV_FILE_MAX + 1, NULL, 0);
	big[PATH_MAX + 1] = '\n';
	assert_parse(big, PATH_MAX + 2, NULL, 0);
	big[PATH_MAX] = '\n';
	big[PATH_MAX + 1] = '\0';
	{
		int is_name;
		char *got = parse(big, PATH_MAX + 1, &is_name);

		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(strlen(got), PATH_MAX);
		free(got);
	}
	free(big);
	ck_assert_int_eq(venv_file_name_ok("env"), 1);
	ck_assert_int_eq(venv_file_name_ok(".venv"), 1);
	ck_assert_int_eq(venv_file_name_ok("."), 0);
	ck_assert_int_eq(venv_file_name_ok(".."), 0);
	ck_assert_int_eq(venv_file_name_ok(""), 0);
	ck_assert_int_eq(venv_file_name_ok("a/b"), 0);
}
END_TEST

/* A relative path, an absolute one, names with spaces and non-ASCII, from a subdirectory. */
START_TEST(test_paths)
{
	char *root = tmptree_new(), *abs;
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	tmptree_venv(root, "envs/my env \xc3\xa9", "");
	tmptree_write(root, "p q \xe2\x98\x83/.venv", "../envs/my env \xc3\xa9\n");
	tmptree_mkdir(root, "p q \xe2\x98\x83/src/deep");
	ck_assert_int_eq(walk(locators, &e, root, "p q \xe2\x98\x83/src/deep", &vi), 1);
	/* Named by its real path: no ".." in VIRTUAL_ENV or PATH. */
	assert_found(&vi, root, "envs/my env \xc3\xa9", "p q \xe2\x98\x83");
	ck_assert_str_eq(e.d.b.data, "LEVEL R/p q \xe2\x98\x83/src/deep\n"
	    "LEVEL R/p q \xe2\x98\x83/src\nLEVEL R/p q \xe2\x98\x83\n"
	    "FILE R/p q \xe2\x98\x83/.venv\n"
	    "VENV R/envs/my env \xc3\xa9\n"
	    "BIN R/envs/my env \xc3\xa9/bin\n");
	/* Through a symlinked level, ".." is the kernel's: the link's target's parent. */
	tmptree_venv(root, "deep/envs/my env \xc3\xa9", "");
	tmptree_write(root, "deep/p q \xe2\x98\x83/.venv", "../envs/my env \xc3\xa9\n");
	tmptree_symlink(root, "link", "deep/p q \xe2\x98\x83");
	ck_assert_int_eq(walk(locators, &e, root, "link", &vi), 1);
	assert_found(&vi, root, "deep/envs/my env \xc3\xa9", "link");
	/* CRLF, no newline at all, two lines: the same venv. */
	tmptree_write(root, "p q \xe2\x98\x83/.venv", "../envs/my env \xc3\xa9\r\n");
	ck_assert_int_eq(walk(locators, &e, root, "p q \xe2\x98\x83", &vi), 1);
	venv_info_free(&vi);
	tmptree_write(root, "p q \xe2\x98\x83/.venv", "../envs/my env \xc3\xa9");
	ck_assert_int_eq(walk(locators, &e, root, "p q \xe2\x98\x83", &vi), 1);
	venv_info_free(&vi);
	tmptree_write(root, "p q \xe2\x98\x83/.venv", "../envs/my env \xc3\xa9\nother\n");
	ck_assert_int_eq(walk(locators, &e, root, "p q \xe2\x98\x83", &vi), 1);
	venv_info_free(&vi);
	/* Absolute. */
	xasprintf(&abs, "%s/envs/my env \xc3\xa9\n", root);
	tmptree_write(root, "a/.venv", abs);
	free(abs);
	ck_assert_int_eq(walk(locators, &e, root, "a", &vi), 1);
	assert_found(&vi, root, "envs/my env \xc3\xa9", "a");
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* A name: L/name first, then $WORKON_HOME/name, else ~/.virtualenvs/name. */
START_TEST(test_store)
{
	char *root = tmptree_new();
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.home, "%s/home", root);
	tmptree_venv(root, "home/.virtualenvs/api \xc3\xa9", "");
	tmptree_write(root, "p/.venv", "api \xc3\xa9\n");
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "home/.virtualenvs/api \xc3\xa9", "p");
	ck_assert_str_eq(e.d.b.data, "LEVEL R/p\nFILE R/p/.venv\nABSENT R/p/api \xc3\xa9\n"
	    "DIR R/home/.virtualenvs\nVENV R/home/.virtualenvs/api \xc3\xa9\n"
	    "BIN R/home/.virtualenvs/api \xc3\xa9/bin\n");
	/* $WORKON_HOME replaces ~/.virtualenvs; a missing one: its appearing matters. */
	xasprintf(&e.workon, "%s/workon", root);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	ck_assert_msg(strncmp(e.d.b.data, "LEVEL R/p\nFILE R/p/.venv\n"
	    "ABSENT R/p/api \xc3\xa9\nABSENT R/workon\n"
	    "ABSENT R/workon/api \xc3\xa9\nLEVEL R\n", 90) == 0, "%s", e.d.b.data);
	tmptree_venv(root, "workon/api \xc3\xa9", "");
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "workon/api \xc3\xa9", "p");
	/* A venv by that name in L comes first. */
	tmptree_venv(root, "p/api \xc3\xa9", "");
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "p/api \xc3\xa9", "p");
	/* Content with a '/' is a path only. */
	tmptree_write(root, "q/.venv", "./api \xc3\xa9\n");
	ck_assert_int_eq(walk(table_file, &e, root, "q", &vi), 0);
	/* "." and ".." are not names: $WORKON_HOME/.. is not looked at. */
	free(e.workon);
	xasprintf(&e.workon, "%s/s/workon", root);
	tmptree_mkdir(root, "s/workon");
	tmptree_venv(root, "s/bin/..", "");		/* s is a venv */
	tmptree_write(root, "q/.venv", "..\n");
	ck_assert_int_eq(walk(table_file, &e, root, "q", &vi), 0);
	/* No home, no $WORKON_HOME: no store. */
	free(e.workon);
	free(e.home);
	e.workon = e.home = NULL;
	ck_assert_int_eq(walk(table_file, &e, root, "p/x/..", &vi), 1);
	assert_found(&vi, root, "p/api \xc3\xa9", "p");
	tmptree_write(root, "r/.venv", "api \xc3\xa9\n");
	ck_assert_int_eq(walk(table_file, &e, root, "r", &vi), 0);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* Pointing at itself, at another .venv file, through symlink loops: nothing, and it ends. */
START_TEST(test_loops)
{
	char *root = tmptree_new();
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	xasprintf(&e.workon, "%s/workon", root);
	tmptree_mkdir(root, "workon");
	tmptree_write(root, "self/.venv", ".venv\n");
	ck_assert_int_eq(walk(locators, &e, root, "self", &vi), 0);
	tmptree_write(root, "a/.venv", "../b/.venv\n");
	tmptree_write(root, "b/.venv", "../a/.venv\n");
	ck_assert_int_eq(walk(locators, &e, root, "a", &vi), 0);
	tmptree_symlink(root, "l/x", "y");
	tmptree_symlink(root, "l/y", "x");
	tmptree_write(root, "l/.venv", "x\n");
	ck_assert_int_eq(walk(locators, &e, root, "l", &vi), 0);
	/* .venv itself a symlink loop: not a file. */
	tmptree_symlink(root, "m/.venv", ".venv");
	ck_assert_int_eq(walk(locators, &e, root, "m", &vi), 0);
	free(e.workon);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* Missing, unreadable, odd contents: nothing, no hang; the walk goes on up. */
START_TEST(test_unusable)
{
	char *root = tmptree_new(), *p, *big;
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	tmptree_venv(root, ".venv", "");		/* the level above answers */
	tmptree_venv(root, "envs/x", "");
	tmptree_symlink(root, "p/.venv", "missing");
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	venv_info_free(&vi);
	xasprintf(&p, "%s/p/.venv", root);
	ck_assert_int_eq(unlink(p), 0);
	/* A FIFO: never opened for a blocking read. */
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	unlink(p);
	/* NUL bytes, empty, huge: names nothing. */
	write_raw(root, "p/.venv", "../envs/x\0\n", 11, 0644);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	write_raw(root, "p/.venv", "", 0, 0644);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	big = xmalloc(1 << 20);
	memset(big, 'x', 1 << 20);
	write_raw(root, "p/.venv", big, 1 << 20, 0644);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	free(big);
	write_raw(root, "p/.venv", "../envs/x\n", 10, 0644);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
	venv_info_free(&vi);
	/* Unreadable (not for root, who reads anything). */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(p, 0), 0);
		ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
		ck_assert_msg(strncmp(e.d.b.data, "LEVEL R/p\nFILE R/p/.venv\nLEVEL R\n",
		    33) == 0, "deps:\n%s", e.d.b.data);
	}
	free(p);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* The file passes the hard rule's test, or is not followed (and the walk goes on). */
START_TEST(test_trust)
{
	char *root = tmptree_new(), *p;
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	tmptree_venv(root, "envs/x", "");
	tmptree_venv(root, "p/venv", "");
	write_raw(root, "p/.venv", "../envs/x\n", 10, 0644);
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "envs/x", "p");
	/* Writable by others: refused, and venv_dirs' p/venv answers. */
	write_raw(root, "p/.venv", "../envs/x\n", 10, 0646);
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	ck_assert_str_eq(vi.found_as, "venv");
	venv_info_free(&vi);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	/* The file stays watched, so a chmod brings it back. */
	ck_assert_msg(strstr(e.d.b.data, "FILE R/p/.venv\n") != NULL, "%s", e.d.b.data);
	write_raw(root, "p/.venv", "../envs/x\n", 10, 0600);
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
	venv_info_free(&vi);
	/* Checked where it really is: a safe link to a loose file is refused. */
	write_raw(root, "loose", "../envs/x\n", 10, 0666);
	xasprintf(&p, "%s/p/.venv", root);
	unlink(p);
	tmptree_symlink(root, "p/.venv", "../loose");
	ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
	unlink(p);
	/* Owned by someone else (only root can make one). */
	if (geteuid() == 0) {
		write_raw(root, "p/.venv", "../envs/x\n", 10, 0644);
		ck_assert_int_eq(chown(p, 12345, 12345), 0);
		ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
		/* Group write for a group that is not ours alone. */
		ck_assert_int_eq(chown(p, 0, 12345), 0);
		ck_assert_int_eq(chmod(p, 0664), 0);
		ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 0);
		ck_assert_int_eq(chmod(p, 0644), 0);
		ck_assert_int_eq(walk(table_file, &e, root, "p", &vi), 1);
		venv_info_free(&vi);
	}
	free(p);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* At one level: self, then the .venv file, then venv_dirs; the nearest level wins. */
START_TEST(test_precedence)
{
	static const char *const custom[] = { "env" };
	struct resolve_opts opts = { .venv_dirs = custom, .n_venv_dirs = 1 };
	char *root = tmptree_new();
	struct env e = { NULL, NULL, { NULL, BUF_INIT } };
	struct venv_info vi;

	ck_assert_ptr_eq(locators[0], &locator_self);
	ck_assert_ptr_eq(locators[1], &locator_venv_file);
	ck_assert_ptr_eq(locators[2], &locator_venv_dirs);
	ck_assert_str_eq(locator_venv_file.name, "venv-file");
	tmptree_venv(root, "envs/x", "");
	tmptree_write(root, "p/.venv", "../envs/x\n");
	tmptree_venv(root, "p/venv", "");
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	assert_found(&vi, root, "envs/x", "p");
	tmptree_venv(root, "p/sub/.venv", "");		/* nearer */
	ck_assert_int_eq(walk(locators, &e, root, "p/sub", &vi), 1);
	ck_assert_str_eq(vi.found_as, ".venv");
	venv_info_free(&vi);
	tmptree_write(root, "p/pyvenv.cfg", "");	/* p is a venv itself */
	tmptree_symlink(root, "p/bin/python", "/usr/bin/python3");
	ck_assert_int_eq(walk(locators, &e, root, "p", &vi), 1);
	ck_assert_str_eq(vi.found_as, "self");
	venv_info_free(&vi);
	/* .venv matters at a level even when venv_dirs does not name it. */
	ck_assert_int_eq(locator_names_match(locators, &opts, ".venv"), 1);
	ck_assert_int_eq(locator_names_match(table_file, &opts, ".venv"), 1);
	ck_assert_int_eq(locator_names_match(table_file, &opts, "venv"), 0);
	buf_free(&e.d.b);
	tmptree_free(root);
}
END_TEST

/* The .venv file suite. */
Suite *
suite_locator_venv_file(void)
{
	Suite *s = suite_create("locator_venv_file");
	TCase *tc = tcase_create("venv_file");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_loops);
	tcase_add_test(tc, test_unusable);
	tcase_add_test(tc, test_trust);
	tcase_add_test(tc, test_precedence);
	suite_add_tcase(s, tc);
	return s;
}

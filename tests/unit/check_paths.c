/* check_paths.c: unit tests for socket/state/config paths and the private-dir checks. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

/* Clear every variable the paths module reads. */
static void
clear_env(void)
{
	unsetenv("VENVD_SOCKET");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_CONFIG_HOME");
	/* Never the machine's own /run/user/UID. */
	paths_set_run_user_base("/nonexistent/venvd/run/user");
}

/*
 * No XDG_RUNTIME_DIR (cron): /run/user/UID when it is ours and private,
 * so a job finds the session's daemon; otherwise /tmp/venvd-UID.
 */
START_TEST(test_socket_run_user)
{
	char *root = tmptree_new(), *dir, out[PATH_MAX], err[256], want[PATH_MAX];

	clear_env();
	paths_set_run_user_base(root);
	xasprintf(&dir, "%s/%lu", root, (unsigned long)getuid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(want, sizeof want, "%s/venvd/venvd.sock", dir);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(paths_generation_file(out, sizeof out, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/venvd/generation", dir);
	ck_assert_str_eq(out, want);

	/* XDG_RUNTIME_DIR still comes first. */
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/venvd.sock");
	unsetenv("XDG_RUNTIME_DIR");

	/* Open to others, or a symlink: not a runtime directory to trust. */
	snprintf(want, sizeof want, "/tmp/venvd-%lu/venvd.sock", (unsigned long)getuid());
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(rmdir(dir), 0);
	tmptree_mkdir(root, "elsewhere");
	ck_assert_int_eq(chmod(root, 0700), 0);
	tmptree_symlink(root, strrchr(dir, '/') + 1, "elsewhere");
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, want);
	free(dir);
	tmptree_free(root);
	clear_env();
}
END_TEST

START_TEST(test_socket_precedence)
{
	char out[PATH_MAX], err[256], want[PATH_MAX];

	clear_env();
	snprintf(want, sizeof want, "/tmp/venvd-%lu/venvd.sock", (unsigned long)getuid());
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(paths_socket_dir(out, sizeof out, err, sizeof err), 0);
	snprintf(want, sizeof want, "/tmp/venvd-%lu", (unsigned long)getuid());
	ck_assert_str_eq(out, want);

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/venvd.sock");
	ck_assert_int_eq(paths_generation_file(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/generation");
	ck_assert_int_eq(paths_lock_file(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/venvd.sock.lock");
	ck_assert_int_eq(paths_autostart_lock(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/autostart.lock");

	/* A relative XDG_RUNTIME_DIR is ignored. */
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(out, "/tmp/venvd-"));
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);

	setenv("VENVD_SOCKET", "/srv/s/my.sock", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/srv/s/my.sock");
	ck_assert_int_eq(paths_socket_dir(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/srv/s");

	/* An empty VENVD_SOCKET means unset; a relative one is an error. */
	setenv("VENVD_SOCKET", "", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/run/user/1000/venvd/venvd.sock");
	setenv("VENVD_SOCKET", "rel.sock", 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	clear_env();
}
END_TEST

START_TEST(test_socket_too_long)
{
	char out[PATH_MAX], err[256];
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	char *p = xmalloc(max + 1);

	clear_env();
	memset(p, 'x', max);
	p[0] = '/';
	p[max] = '\0';		/* max bytes: one too many for sun_path with its NUL */
	setenv("VENVD_SOCKET", p, 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	p[max - 1] = '\0';	/* max - 1 bytes fit */
	setenv("VENVD_SOCKET", p, 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), 0);
	/* Through XDG_RUNTIME_DIR too. */
	unsetenv("VENVD_SOCKET");
	p[max - 10] = '\0';
	setenv("XDG_RUNTIME_DIR", p, 1);
	ck_assert_int_eq(paths_socket(out, sizeof out, err, sizeof err), -1);
	/* And a buffer too small for the path. */
	clear_env();
	ck_assert_int_eq(paths_socket(out, 8, err, sizeof err), -1);
	free(p);
}
END_TEST

START_TEST(test_state_and_config)
{
	char out[PATH_MAX], err[256];
	char *home = getenv("HOME") != NULL ? xstrdup(getenv("HOME")) : NULL;

	clear_env();
	setenv("HOME", "/home/tester", 1);
	ck_assert_int_eq(paths_state_dir(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/home/tester/.local/state/venvd");
	ck_assert_int_eq(paths_config_file(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/home/tester/.config/venvd/config");
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	ck_assert_int_eq(paths_state_dir(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/x/state/venvd");
	ck_assert_int_eq(paths_config_file(out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "/x/config/venvd/config");
	clear_env();
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}
END_TEST

START_TEST(test_private_dir)
{
	char *root = tmptree_new(), *dir, *link;
	char err[512];
	struct stat st;

	/* Created 0700, parents too. */
	xasprintf(&dir, "%s/a/b/venvd", root);
	ck_assert_msg(paths_private_dir(dir, 1, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	free(dir);
	xasprintf(&dir, "%s/a", root);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	/* Existing and fine, without create. */
	ck_assert_int_eq(paths_private_dir(dir, 0, err, sizeof err), 0);

	/* 0755 is refused, with the reason. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(paths_private_dir(dir, 1, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "0755"));
	ck_assert_int_eq(chmod(dir, 0710), 0);
	ck_assert_int_eq(paths_private_dir(dir, 0, err, sizeof err), -1);
	free(dir);

	/* A symlink to a good directory is refused. */
	xasprintf(&dir, "%s/a/b/venvd", root);
	xasprintf(&link, "%s/link", root);
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(paths_private_dir(link, 1, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	free(link);
	free(dir);

	/* A file is refused; a missing dir without create is an error. */
	tmptree_write(root, "file", "x");
	xasprintf(&dir, "%s/file", root);
	ck_assert_int_eq(paths_private_dir(dir, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a directory"));
	free(dir);
	xasprintf(&dir, "%s/missing", root);
	ck_assert_int_eq(paths_private_dir(dir, 0, err, sizeof err), -1);
	free(dir);

	/* Another owner is refused. */
	if (geteuid() == 0) {
		xasprintf(&dir, "%s/other", root);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		ck_assert_int_eq(paths_private_dir(dir, 0, err, sizeof err), -1);
		ck_assert_ptr_nonnull(strstr(err, "owned by"));
		free(dir);
	}
	tmptree_free(root);
}
END_TEST

START_TEST(test_private_file)
{
	char *root = tmptree_new(), *f;
	char err[512];

	xasprintf(&f, "%s/missing", root);
	ck_assert_int_eq(paths_private_file(f, err, sizeof err), 0);
	free(f);
	tmptree_write(root, "f", "x");
	xasprintf(&f, "%s/f", root);
	ck_assert_int_eq(chmod(f, 0600), 0);
	ck_assert_int_eq(paths_private_file(f, err, sizeof err), 0);
	ck_assert_int_eq(chmod(f, 0644), 0);
	ck_assert_int_eq(paths_private_file(f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "0644"));
	free(f);
	tmptree_symlink(root, "l", "f");
	xasprintf(&f, "%s/l", root);
	ck_assert_int_eq(paths_private_file(f, err, sizeof err), -1);
	free(f);
	tmptree_free(root);
}
END_TEST

/* The paths suite. */
Suite *
suite_paths(void)
{
	Suite *s = suite_create("paths");
	TCase *tc = tcase_create("paths");

	tcase_add_test(tc, test_socket_precedence);
	tcase_add_test(tc, test_socket_run_user);
	tcase_add_test(tc, test_socket_too_long);
	tcase_add_test(tc, test_state_and_config);
	tcase_add_test(tc, test_private_dir);
	tcase_add_test(tc, test_private_file);
	suite_add_tcase(s, tc);
	return s;
}

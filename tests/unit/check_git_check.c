/* check_git_check.c: unit tests for the git question (common/git_check.c). */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git_check.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

/* A waitpid status for exit code n. */
#define EXITED(n)	((n) << 8)

/* The command line is the daemon's, word for word. */
START_TEST(argv_words)
{
	static const char *want[] = { "git", "--no-optional-locks", "-c",
	    "core.fsmonitor=false", "-c", "safe.bareRepository=explicit", "-C",
	    "/v w", "ls-files", "--", "pyvenv.cfg", "bin", "lib/python*",
	    "lib/pypy*", "lib64" };
	char *argv[GIT_CHECK_ARGC];
	size_t i;

	git_check_argv(argv, "/v w");
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_str_eq(argv[i], want[i]);
	ck_assert_ptr_null(argv[i]);
	ck_assert_int_eq(i + 1, GIT_CHECK_ARGC);
}
END_TEST

/* GIT_*, LC_ALL and LANGUAGE go; LC_ALL=C comes; the rest stays in order. */
START_TEST(environ_clean)
{
	char *in[] = { "PATH=/usr/bin", "GIT_DIR=/elsewhere",
	    "GIT_CONFIG_PARAMETERS='core.fsmonitor'='/x'", "GIT_CONFIG_COUNT=1",
	    "LC_ALL=fr_FR.UTF-8", "LANGUAGE=de", "GITHUB_TOKEN=t", "HOME=/h",
	    "LC_ALLX=1", "GIT=1", NULL };
	char **out = git_check_environ(in), **empty;

	ck_assert_str_eq(out[0], "PATH=/usr/bin");
	ck_assert_str_eq(out[1], "GITHUB_TOKEN=t");
	ck_assert_str_eq(out[2], "HOME=/h");
	ck_assert_str_eq(out[3], "LC_ALLX=1");
	ck_assert_str_eq(out[4], "GIT=1");
	ck_assert_str_eq(out[5], "LC_ALL=C");
	ck_assert_ptr_null(out[6]);
	git_check_environ_free(out);
	empty = git_check_environ(NULL);
	ck_assert_str_eq(empty[0], "LC_ALL=C");
	ck_assert_ptr_null(empty[1]);
	git_check_environ_free(empty);
}
END_TEST

/* Exit status, output and stderr to an answer. */
START_TEST(interpret)
{
	char *why;

	ck_assert_int_eq(git_check_interpret(EXITED(0), 12, "", &why), GIT_TRACKED);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(git_check_interpret(EXITED(0), 0, "", &why), GIT_CLEAN);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(git_check_interpret(EXITED(128), 0,
	    "fatal: not a git repository (or any of the parent directories): .git",
	    &why), GIT_CLEAN);
	ck_assert_ptr_null(why);
	/* Another fatal 128 fails closed, with git's words. */
	ck_assert_int_eq(git_check_interpret(EXITED(128), 0,
	    "fatal: detected dubious ownership in repository at '/r'", &why),
	    GIT_ERROR);
	ck_assert_str_eq(why, "detected dubious ownership in repository at '/r'");
	free(why);
	/* "not a git repository" with another status is not clean. */
	ck_assert_int_eq(git_check_interpret(EXITED(1), 0,
	    "fatal: not a git repository", &why), GIT_ERROR);
	free(why);
	ck_assert_int_eq(git_check_interpret(EXITED(3), 5, "", &why), GIT_ERROR);
	ck_assert_str_eq(why, "git exited with status 3");
	free(why);
	ck_assert_int_eq(git_check_interpret(9, 0, "", &why), GIT_ERROR);
	ck_assert_str_eq(why, "git was stopped by signal 9");
	free(why);
	ck_assert_int_eq(git_check_interpret(EXITED(2), 0, "error: x", &why),
	    GIT_ERROR);
	ck_assert_str_eq(why, "error: x");
	free(why);
}
END_TEST

/* Reading back: the size of stdout, the first line of stderr, bounded. */
START_TEST(output)
{
	int out = memfd_create("o", MFD_CLOEXEC), err = memfd_create("e", MFD_CLOEXEC);
	char line[8];
	off_t len;

	ck_assert_int_ne(out, -1);
	ck_assert_int_ne(err, -1);
	git_check_output(out, err, &len, line, sizeof line);
	ck_assert_int_eq(len, 0);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(write(out, "bin/x\n", 6), 6);
	ck_assert_int_eq(write(err, "ab\ncd\n", 6), 6);
	git_check_output(out, err, &len, line, sizeof line);
	ck_assert_int_eq(len, 6);
	ck_assert_str_eq(line, "ab");
	ck_assert_int_eq(ftruncate(err, 0), 0);
	ck_assert_int_eq(pwrite(err, "0123456789", 10, 0), 10);
	git_check_output(out, err, &len, line, sizeof line);
	ck_assert_str_eq(line, "0123456");
	git_check_output(-1, -1, &len, line, sizeof line);
	ck_assert_int_eq(len, 0);
	ck_assert_str_eq(line, "");
	close(out);
	close(err);
}
END_TEST

/* Run the check of venv with env; the answer, *why freed. */
static enum git_state
run_check(const char *venv, char **env)
{
	int out = memfd_create("o", MFD_CLOEXEC), err = memfd_create("e", MFD_CLOEXEC);
	enum git_state state;
	char line[512], *why;
	off_t len;
	pid_t pid;
	int status;

	ck_assert_int_eq(git_check_spawn(venv, env, out, err, &pid), 0);
	ck_assert_int_eq(getpgid(pid) == pid || errno == ESRCH, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	git_check_output(out, err, &len, line, sizeof line);
	state = git_check_interpret(status, len, line, &why);
	free(why);
	close(out);
	close(err);
	return state;
}

/* Run sh -c cmd; 0 on success. */
static int
sh(const char *cmd)
{
	return system(cmd);
}

/* The real git: tracked, untracked, a GIT_DIR in our environment ignored. */
START_TEST(real_git)
{
	char *root, *real, *v, *cmd, **env, *bad[] = { NULL, NULL, NULL };

	if (sh("git --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "git_check: git is not installed, real_git skipped\n");
		return;
	}
	root = tmptree_new();
	real = realpath(root, NULL);
	tmptree_venv(root, "r/.venv", "home = /usr/bin\n");
	tmptree_venv(root, "r/tools/env", "home = /usr/bin\n");
	xasprintf(&cmd, "cd '%s/r' && git init -q . && git add -f tools/env &&"
	    " git -c user.name=t -c user.email=t@t commit -qm x", real);
	ck_assert_int_eq(sh(cmd), 0);
	free(cmd);
	env = git_check_environ((char *[]){ "PATH=/usr/local/bin:/usr/bin:/bin",
	    NULL });
	xasprintf(&v, "%s/r/tools/env", real);
	ck_assert_int_eq(run_check(v, env), GIT_TRACKED);
	free(v);
	xasprintf(&v, "%s/r/.venv", real);
	ck_assert_int_eq(run_check(v, env), GIT_CLEAN);
	git_check_environ_free(env);
	/* GIT_DIR and GIT_WORK_TREE cannot make it ask another repository. */
	xasprintf(&bad[0], "GIT_DIR=%s/r/.git", real);
	xasprintf(&bad[1], "GIT_WORK_TREE=%s/r", real);
	env = git_check_environ((char *[]){ "PATH=/usr/local/bin:/usr/bin:/bin",
	    bad[0], bad[1], NULL });
	free(v);
	tmptree_venv(root, "plain/.venv", "home = /usr/bin\n");
	xasprintf(&v, "%s/plain/.venv", real);
	ck_assert_int_eq(run_check(v, env), GIT_CLEAN);
	git_check_environ_free(env);
	free(bad[0]);
	free(bad[1]);
	free(v);
	free(real);
	tmptree_free(root);
}
END_TEST

/*
 * No git on our PATH (searched as posix_spawnp does, in ours, not in the
 * child's): ENOENT, which both callers take as "nothing to ask".
 */
START_TEST(no_git)
{
	char *env[] = { "PATH=/usr/bin:/bin", NULL }, *old;
	int out = memfd_create("o", MFD_CLOEXEC), err = memfd_create("e", MFD_CLOEXEC);
	pid_t pid;

	old = getenv("PATH") != NULL ? xstrdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	ck_assert_int_eq(git_check_spawn("/", env, out, err, &pid), ENOENT);
	if (old != NULL)
		setenv("PATH", old, 1);
	free(old);
	close(out);
	close(err);
}
END_TEST

/* The git_check suite. */
Suite *
suite_git_check(void)
{
	Suite *s = suite_create("git_check");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, argv_words);
	tcase_add_test(tc, environ_clean);
	tcase_add_test(tc, interpret);
	tcase_add_test(tc, output);
	tcase_add_test(tc, real_git);
	tcase_add_test(tc, no_git);
	suite_add_tcase(s, tc);
	return s;
}

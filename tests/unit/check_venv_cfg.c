/* check_venv_cfg.c: unit tests for the pyvenv.cfg parser, on text and on real venvs. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suites.h"
#include "tmptree.h"
#include "venv_cfg.h"
#include "xmalloc.h"

/* Parse a NUL-terminated text, asserting success. */
static void
parse_ok(const char *text, struct venv_cfg *cfg)
{
	char err[256] = "";

	ck_assert_msg(venv_cfg_parse(text, strlen(text), cfg, err, sizeof err) == 0,
	    "parse failed: %s", err);
}

START_TEST(test_basic)
{
	struct venv_cfg cfg;

	parse_ok("home = /usr/bin\ninclude-system-site-packages = false\n"
	    "version = 3.11.2\nexecutable = /usr/bin/python3.11\n"
	    "command = /usr/bin/python3 -m venv /p/.venv\n", &cfg);
	ck_assert_str_eq(cfg.home, "/usr/bin");
	ck_assert_str_eq(cfg.version, "3.11.2");
	ck_assert_str_eq(cfg.executable, "/usr/bin/python3.11");
	ck_assert_str_eq(cfg.command, "/usr/bin/python3 -m venv /p/.venv");
	ck_assert_int_eq(cfg.include_system_site_packages, 0);
	ck_assert_ptr_null(cfg.prompt);
	ck_assert_int_eq(cfg.kind, VENV_KIND_VENV);
	ck_assert_str_eq(venv_kind_name(cfg.kind), "venv");
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_keys_case_space_crlf)
{
	struct venv_cfg cfg;

	parse_ok("  HOME\t=  /opt/py/bin  \r\nVersion=3.12.1\r\n"
	    "Include-System-Site-Packages = TRUE\r\n", &cfg);
	ck_assert_str_eq(cfg.home, "/opt/py/bin");
	ck_assert_str_eq(cfg.version, "3.12.1");
	ck_assert_int_eq(cfg.include_system_site_packages, 1);
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_lines_without_equals_and_partition)
{
	struct venv_cfg cfg;

	/* key, _, value = line.partition('='): the first '=' splits. */
	parse_ok("garbage line\n[section]\n\nhome = /a=b\n= novalue\nversion", &cfg);
	ck_assert_str_eq(cfg.home, "/a=b");
	ck_assert_ptr_null(cfg.version);
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_version_info)
{
	struct venv_cfg cfg;

	parse_ok("home = /usr/bin\nvirtualenv = 20.17.1\nversion_info = 3.11.2.final.0\n", &cfg);
	ck_assert_str_eq(cfg.version, "3.11.2");	/* ".final.0" is sys.version_info noise */
	ck_assert_int_eq(cfg.kind, VENV_KIND_VIRTUALENV);
	ck_assert_str_eq(venv_kind_name(cfg.kind), "virtualenv");
	venv_cfg_free(&cfg);
	/* "version" wins over "version_info", in either order. */
	parse_ok("version_info = 3.10.0.final.0\nversion = 3.10.0\n", &cfg);
	ck_assert_str_eq(cfg.version, "3.10.0");
	venv_cfg_free(&cfg);
	parse_ok("version = 3.9.1\nversion_info = 3.9.1.final.0\n", &cfg);
	ck_assert_str_eq(cfg.version, "3.9.1");
	venv_cfg_free(&cfg);
	/* A pre-release keeps its tag. */
	parse_ok("version_info = 3.13.0.beta.1\n", &cfg);
	ck_assert_str_eq(cfg.version, "3.13.0.beta.1");
	venv_cfg_free(&cfg);
	/* Found by fuzzing: what is left before ".final." is stripped too. */
	parse_ok("version_info = 3.11 \t.final.0\n", &cfg);
	ck_assert_str_eq(cfg.version, "3.11");
	venv_cfg_free(&cfg);
	parse_ok("version_info = .final.0\n", &cfg);
	ck_assert_str_eq(cfg.version, "");
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_uv)
{
	struct venv_cfg cfg;

	parse_ok("home = /usr/bin\nimplementation = CPython\nuv = 0.4.0\n"
	    "version_info = 3.12.4\n", &cfg);
	ck_assert_int_eq(cfg.kind, VENV_KIND_UV);
	ck_assert_str_eq(venv_kind_name(cfg.kind), "uv");
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_prompt)
{
	struct venv_cfg cfg;

	parse_ok("prompt = 'myproj'\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "myproj");
	venv_cfg_free(&cfg);
	parse_ok("prompt = 'it\\'s \\\\ here'\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "it's \\ here");
	venv_cfg_free(&cfg);
	parse_ok("prompt = \"it's\"\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "it's");
	venv_cfg_free(&cfg);
	/* Unquoted (virtualenv) and unmatched quotes stay as written. */
	parse_ok("prompt = plain name\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "plain name");
	venv_cfg_free(&cfg);
	parse_ok("prompt = 'half\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "'half");
	venv_cfg_free(&cfg);
	parse_ok("prompt = '\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "'");
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_isp_values)
{
	struct venv_cfg cfg;

	parse_ok("include-system-site-packages = yes\n", &cfg);
	ck_assert_int_eq(cfg.include_system_site_packages, -1);
	venv_cfg_free(&cfg);
	parse_ok("include-system-site-packages = False\n", &cfg);
	ck_assert_int_eq(cfg.include_system_site_packages, 0);
	venv_cfg_free(&cfg);
	parse_ok("", &cfg);
	ck_assert_int_eq(cfg.include_system_site_packages, -1);
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_empty_and_missing_version)
{
	struct venv_cfg cfg;

	parse_ok("", &cfg);
	ck_assert_ptr_null(cfg.home);
	ck_assert_ptr_null(cfg.version);
	ck_assert_ptr_null(cfg.prompt);
	venv_cfg_free(&cfg);
	parse_ok("home = /usr/bin", &cfg);	/* no final newline */
	ck_assert_str_eq(cfg.home, "/usr/bin");
	ck_assert_ptr_null(cfg.version);
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_refused)
{
	struct venv_cfg cfg;
	char err[256] = "";
	static const char bin[] = "home = /usr\0bin\n";
	char *big;

	ck_assert_int_eq(venv_cfg_parse(bin, sizeof bin - 1, &cfg, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "binary"));
	venv_cfg_free(&cfg);

	big = xmalloc(VENV_CFG_MAX_SIZE + 2);
	memset(big, '#', VENV_CFG_MAX_SIZE + 1);
	big[VENV_CFG_MAX_SIZE + 1] = '\0';
	err[0] = '\0';
	ck_assert_int_eq(venv_cfg_parse(big, VENV_CFG_MAX_SIZE + 1, &cfg, err, sizeof err), -1);
	ck_assert_str_eq(err, "file is larger than 65536 bytes");
	venv_cfg_free(&cfg);
	/* Exactly the limit is fine. */
	ck_assert_int_eq(venv_cfg_parse(big, VENV_CFG_MAX_SIZE, &cfg, err, sizeof err), 0);
	venv_cfg_free(&cfg);
	free(big);
}
END_TEST

START_TEST(test_non_utf8_kept)
{
	struct venv_cfg cfg;

	parse_ok("prompt = '\xff\xfe'\nhome = /h\xe9me\n", &cfg);
	ck_assert_str_eq(cfg.prompt, "\xff\xfe");
	ck_assert_str_eq(cfg.home, "/h\xe9me");
	venv_cfg_free(&cfg);
}
END_TEST

START_TEST(test_load_files)
{
	char *root = tmptree_new(), *path, *fifo, *big;
	struct venv_cfg cfg;
	char err[256];

	tmptree_write(root, "ok.cfg", "home = /usr/bin\nversion = 3.11.2\n");
	xasprintf(&path, "%s/ok.cfg", root);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), 0);
	ck_assert_str_eq(cfg.version, "3.11.2");
	venv_cfg_free(&cfg);
	free(path);

	/* Missing file and a directory: errors, no crash. */
	xasprintf(&path, "%s/missing.cfg", root);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), -1);
	venv_cfg_free(&cfg);
	free(path);
	ck_assert_int_eq(venv_cfg_load(root, &cfg, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "regular"));
	venv_cfg_free(&cfg);

	/* A FIFO must not hang. */
	xasprintf(&fifo, "%s/fifo.cfg", root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(venv_cfg_load(fifo, &cfg, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "regular"));
	venv_cfg_free(&cfg);
	free(fifo);

	/* Over 64 KiB. */
	big = xmalloc(VENV_CFG_MAX_SIZE + 100);
	memset(big, 'x', VENV_CFG_MAX_SIZE + 99);
	big[VENV_CFG_MAX_SIZE + 99] = '\0';
	tmptree_write(root, "big.cfg", big);
	free(big);
	xasprintf(&path, "%s/big.cfg", root);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), -1);
	ck_assert_str_eq(err, "file is larger than 65536 bytes");
	venv_cfg_free(&cfg);
	free(path);

	/* A device that never ends, a symbolic link loop, a missing file. */
	ck_assert_int_eq(venv_cfg_load("/dev/zero", &cfg, err, sizeof err), -1);
	ck_assert_str_eq(err, "not a regular file");
	tmptree_symlink(root, "loop.cfg", "loop.cfg");
	xasprintf(&path, "%s/loop.cfg", root);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), -1);
	ck_assert_str_eq(err, strerror(ELOOP));
	free(path);
	xasprintf(&path, "%s/missing.cfg", root);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), -1);
	ck_assert_str_eq(err, strerror(ENOENT));
	free(path);
	tmptree_free(root);
}
END_TEST

/* Run argv quietly; the exit status, or -1 if it could not run. */
static int
run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

START_TEST(test_real_python_venv)
{
	char *root = tmptree_new(), *dir, *path;
	char *argv[] = { "python3", "-m", "venv", "--without-pip", "--prompt",
	    "it's mine", NULL, NULL };
	struct venv_cfg cfg;
	char err[256];
	int r;

	xasprintf(&dir, "%s/v", root);
	argv[6] = dir;
	if ((r = run_quiet(argv)) == 127) {
		fprintf(stderr, "skipped: python3 is not installed\n");
		tmptree_free(root);
		free(dir);
		return;
	}
	ck_assert_msg(r == 0, "python3 failed with status %d", r);
	xasprintf(&path, "%s/pyvenv.cfg", dir);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(cfg.home);
	ck_assert_ptr_nonnull(cfg.version);
	ck_assert_msg(strncmp(cfg.version, "3.", 2) == 0, "version %s", cfg.version);
	ck_assert_str_eq(cfg.prompt, "it's mine");
	ck_assert_int_eq(cfg.include_system_site_packages, 0);
	ck_assert_int_eq(cfg.kind, VENV_KIND_VENV);
	venv_cfg_free(&cfg);
	free(path);
	free(dir);
	tmptree_free(root);
}
END_TEST

START_TEST(test_real_virtualenv)
{
	char *root = tmptree_new(), *dir, *path;
	char *argv[] = { "virtualenv", "--no-pip", "--no-setuptools", "--no-wheel",
	    "--no-periodic-update", NULL, NULL };
	struct venv_cfg cfg;
	char err[256];
	int r;

	xasprintf(&dir, "%s/v", root);
	argv[5] = dir;
	if ((r = run_quiet(argv)) == 127) {
		fprintf(stderr, "skipped: virtualenv is not installed\n");
		tmptree_free(root);
		free(dir);
		return;
	}
	ck_assert_msg(r == 0, "virtualenv failed with status %d", r);
	xasprintf(&path, "%s/pyvenv.cfg", dir);
	ck_assert_int_eq(venv_cfg_load(path, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(cfg.home);
	ck_assert_ptr_nonnull(cfg.version);
	ck_assert_msg(strncmp(cfg.version, "3.", 2) == 0, "version %s", cfg.version);
	ck_assert_int_eq(cfg.kind, VENV_KIND_VIRTUALENV);
	venv_cfg_free(&cfg);
	free(path);
	free(dir);
	tmptree_free(root);
}
END_TEST

/* The venv_cfg suite. */
Suite *
suite_venv_cfg(void)
{
	Suite *s = suite_create("venv_cfg");
	TCase *tc = tcase_create("parse");
	TCase *real = tcase_create("real");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_keys_case_space_crlf);
	tcase_add_test(tc, test_lines_without_equals_and_partition);
	tcase_add_test(tc, test_version_info);
	tcase_add_test(tc, test_uv);
	tcase_add_test(tc, test_prompt);
	tcase_add_test(tc, test_isp_values);
	tcase_add_test(tc, test_empty_and_missing_version);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_non_utf8_kept);
	tcase_add_test(tc, test_load_files);
	suite_add_tcase(s, tc);
	tcase_set_timeout(real, 60);
	tcase_add_test(real, test_real_python_venv);
	tcase_add_test(real, test_real_virtualenv);
	suite_add_tcase(s, real);
	return s;
}

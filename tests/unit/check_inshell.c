/*
 * check_inshell.c: the in-shell hook core (inshell/inshell.c) on a fake
 * shell (a table of variables behind struct inshell_ops) and a fake
 * daemon on a private socket that answers each request with a canned
 * line: trusted, untrusted, garbage, or nothing at all.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inshell.h"
#include "suites.h"

#define NVARS	64

/* The fake shell. */
struct fshell {
	char	*name[NVARS];
	char	*value[NVARS];
	int	 exported[NVARS];
	int	 fn;		/* deactivate defined */
	int	 defines;	/* deactivate_define calls */
	int	 notices;
	char	 last_notice[512];
	int	 fallbacks;
	int	 fallback_local;
	int	 rehashes;
};

/* The slot of name, or -1. */
static int
fs_find(struct fshell *fs, const char *name)
{
	for (int i = 0; i < NVARS; i++) {
		if (fs->name[i] != NULL && strcmp(fs->name[i], name) == 0)
			return i;
	}
	return -1;
}

/* ops->get. */
static const char *
fs_get(void *ctx, const char *name, int exported_only)
{
	struct fshell *fs = ctx;
	int i = fs_find(fs, name);

	if (i == -1 || (exported_only && !fs->exported[i]))
		return NULL;
	return fs->value[i];
}

/* ops->set. */
static int
fs_set(void *ctx, const char *name, const char *value, int export)
{
	struct fshell *fs = ctx;
	int i = fs_find(fs, name);

	if (i == -1) {
		for (i = 0; i < NVARS && fs->name[i] != NULL; i++)
			;
		ck_assert_int_lt(i, NVARS);
		fs->name[i] = strdup(name);
	}
	free(fs->value[i]);
	fs->value[i] = strdup(value);
	fs->exported[i] |= export;
	return 0;
}

/* ops->unset. */
static int
fs_unset(void *ctx, const char *name)
{
	struct fshell *fs = ctx;
	int i = fs_find(fs, name);

	if (i != -1) {
		free(fs->name[i]);
		free(fs->value[i]);
		fs->name[i] = fs->value[i] = NULL;
		fs->exported[i] = 0;
	}
	return 0;
}

/* ops->readonly. */
static int
fs_readonly(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 0;
}

/* ops->rehash. */
static void
fs_rehash(void *ctx)
{
	((struct fshell *)ctx)->rehashes++;
}

/* ops->fn_defined. */
static int
fs_fn_defined(void *ctx, const char *name)
{
	return strcmp(name, "deactivate") == 0 && ((struct fshell *)ctx)->fn;
}

/* ops->deactivate_define. */
static void
fs_define(void *ctx)
{
	struct fshell *fs = ctx;

	fs->fn = 1;
	fs->defines++;
}

/* ops->deactivate_undefine. */
static void
fs_undefine(void *ctx)
{
	((struct fshell *)ctx)->fn = 0;
}

/* ops->notice. */
static void
fs_notice(void *ctx, const char *text)
{
	struct fshell *fs = ctx;

	fs->notices++;
	snprintf(fs->last_notice, sizeof fs->last_notice, "%s", text);
}

/* ops->fallback. */
static void
fs_fallback(void *ctx, const char *dir, const char *gen, int local)
{
	struct fshell *fs = ctx;

	(void)dir;
	(void)gen;
	fs->fallbacks++;
	fs->fallback_local = local;
}

static const struct inshell_ops fs_ops = {
	fs_get, fs_set, fs_unset, fs_readonly, fs_rehash, fs_fn_defined,
	fs_define, fs_undefine, fs_notice, fs_fallback,
};

/* The fake daemon: its socket, what it answers, how many it was asked. */
static char dir_tmp[32];
static char sock_path[64];
static char gen_path[64];
static const char *answer;	/* NULL: accept, read, never answer */
static int asked;
static int listen_fd = -1;

/* Serve connections forever (a detached thread). */
static void *
serve(void *arg)
{
	char buf[8192];
	ssize_t n;
	int c;

	(void)arg;
	while ((c = accept(listen_fd, NULL, NULL)) != -1) {
		n = read(c, buf, sizeof buf);
		if (n > 0)
			__atomic_add_fetch(&asked, 1, __ATOMIC_SEQ_CST);
		if (n > 0 && answer != NULL)
			(void)!write(c, answer, strlen(answer));
		if (answer != NULL)
			close(c);	/* hung: keep it open, never answer */
	}
	return NULL;
}

/* Start the fake daemon answering line (NULL: hung). */
static void
daemon_fake(const char *line)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[128];
	pthread_t t;
	FILE *f;

	answer = line;
	snprintf(dir_tmp, sizeof dir_tmp, "/tmp/vinsh.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir_tmp));
	snprintf(sock_path, sizeof sock_path, "%s/s", dir_tmp);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ne(listen_fd, -1);
	ck_assert_int_eq(bind(listen_fd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(listen_fd, 8), 0);
	setenv("VENVD_SOCKET", sock_path, 1);
	/* The generation the canned answers carry, and its marker. */
	snprintf(gen_path, sizeof gen_path, "%s/generation", dir_tmp);
	f = fopen(gen_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("7\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s.7", gen_path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(pthread_create(&t, NULL, serve, NULL), 0);
	pthread_detach(t);
}

/* Remove the fake daemon's socket and directory (the thread ends with the test). */
static void
daemon_gone(void)
{
	char path[128];

	snprintf(path, sizeof path, "%s.7", gen_path);
	unlink(path);
	unlink(gen_path);
	unlink(sock_path);
	rmdir(dir_tmp);
}

/* A fake shell in dir with PATH=/usr/bin and the hook's configuration. */
static void
fs_init(struct fshell *fs, const char *pwd)
{
	memset(fs, 0, sizeof *fs);
	fs_set(fs, "PWD", pwd, 1);
	fs_set(fs, "PATH", "/usr/bin", 1);
	fs_set(fs, "_venvd_genfile", gen_path, 0);
	fs_set(fs, "_venvd_pip_guard_on", "0", 0);
	fs_set(fs, "_venvd_fn_ours", "0", 0);
}

/* Free the fake shell. */
static void
fs_free(struct fshell *fs)
{
	for (int i = 0; i < NVARS; i++) {
		free(fs->name[i]);
		free(fs->value[i]);
	}
}

#define TRUSTED "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"venv\":{\"path\":" \
	"\"/p/.venv\",\"project\":\"/p\",\"python\":\"/p/.venv/bin/python\"," \
	"\"prompt\":\"p$(x)\",\"kind\":\"venv\",\"found_as\":\".venv\"," \
	"\"trust\":\"trusted\"},\"generation\":\"7\",\"cacheable\":true," \
	"\"notices\":[]}}\n"
#define NONE "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"venv\":null," \
	"\"generation\":\"7\",\"cacheable\":true,\"notices\":[\"disk \\u001b full\"]}}\n"

START_TEST(test_activate_cache_leave)
{
	struct fshell fs;
	struct inshell *is;

	daemon_fake(TRUSTED);
	fs_init(&fs, "/p/sub");
	is = inshell_new(&fs_ops, &fs);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	ck_assert_str_eq(fs_get(&fs, "VIRTUAL_ENV", 1), "/p/.venv");
	ck_assert_str_eq(fs_get(&fs, "VENVD_ACTIVE", 1), "/p/.venv");
	ck_assert_str_eq(fs_get(&fs, "PATH", 1), "/p/.venv/bin:/usr/bin");
	ck_assert_str_eq(fs_get(&fs, "VIRTUAL_ENV_PROMPT", 1), "p_(x)");
	ck_assert_str_eq(fs_get(&fs, "_venvd_fn_ours", 0), "1");
	ck_assert_int_eq(fs.defines, 1);
	ck_assert_int_eq(fs.fallbacks, 0);
	ck_assert_int_ge(fs.rehashes, 1);
	/* Idle: nothing asked. */
	ck_assert_int_eq(inshell_prompt(is), INSHELL_IDLE);
	ck_assert_int_eq(asked, 1);
	/* Elsewhere and back: the second visit comes from the cache. */
	fs_set(&fs, "PWD", "/p/other", 1);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	fs_set(&fs, "PWD", "/p/sub", 1);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	ck_assert_int_eq(asked, 2);
	/* deactivate: off, suppressed, the function gone. */
	inshell_deactivate(is, 0);
	ck_assert_ptr_null(fs_get(&fs, "VIRTUAL_ENV", 0));
	ck_assert_str_eq(fs_get(&fs, "PATH", 1), "/usr/bin");
	ck_assert_str_eq(fs_get(&fs, "_venvd_suppress", 0), "/p/.venv");
	ck_assert_int_eq(fs.fn, 0);
	inshell_free(is);
	fs_free(&fs);
	daemon_gone();
}
END_TEST

START_TEST(test_notice_once)
{
	struct fshell fs;
	struct inshell *is;

	daemon_fake(NONE);
	fs_init(&fs, "/q");
	is = inshell_new(&fs_ops, &fs);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	ck_assert_int_eq(fs.notices, 1);
	/* Sanitised: the escape byte is shown, not sent. */
	ck_assert_str_eq(fs.last_notice, "venvd: disk \\e full");
	fs_set(&fs, "PWD", "/r", 1);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	ck_assert_int_eq(fs.notices, 1);
	ck_assert_ptr_null(fs_get(&fs, "VIRTUAL_ENV", 0));
	inshell_free(is);
	fs_free(&fs);
	daemon_gone();
}
END_TEST

START_TEST(test_garbage_falls_back)
{
	struct fshell fs;
	struct inshell *is;

	daemon_fake("\x1b]0;x\x07{\"jsonrpc\":\"2.0\",\"result\":[1,\n");
	fs_init(&fs, "/p");
	is = inshell_new(&fs_ops, &fs);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_FALLBACK);
	ck_assert_int_eq(fs.fallbacks, 1);
	ck_assert_int_eq(fs.fallback_local, 1);
	ck_assert_int_eq(fs.notices, 0);
	/* The next prompt in the same place is idle: no second process. */
	ck_assert_int_eq(inshell_prompt(is), INSHELL_IDLE);
	ck_assert_int_eq(fs.fallbacks, 1);
	inshell_free(is);
	fs_free(&fs);
	daemon_gone();
}
END_TEST

START_TEST(test_hung_and_down)
{
	struct fshell fs;
	struct inshell *is;

	daemon_fake(NULL);
	fs_init(&fs, "/p");
	is = inshell_new(&fs_ops, &fs);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_FALLBACK);
	ck_assert_int_eq(fs.fallback_local, 1);
	/* Nobody listens at all. */
	setenv("VENVD_SOCKET", "/nonexistent/venvd.sock", 1);
	fs_set(&fs, "PWD", "/q", 1);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_FALLBACK);
	ck_assert_int_eq(fs.fallbacks, 2);
	/* A manual activation is left alone, and asks nobody. */
	fs_set(&fs, "VIRTUAL_ENV", "/mine", 1);
	fs_set(&fs, "PWD", "/r", 1);
	ck_assert_int_eq(inshell_prompt(is), INSHELL_APPLIED);
	ck_assert_int_eq(fs.fallbacks, 2);
	ck_assert_str_eq(fs_get(&fs, "VIRTUAL_ENV", 1), "/mine");
	inshell_free(is);
	fs_free(&fs);
	daemon_gone();
}
END_TEST

/* The inshell suite. */
Suite *
suite_inshell(void)
{
	Suite *s = suite_create("inshell");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_activate_cache_leave);
	tcase_add_test(tc, test_notice_once);
	tcase_add_test(tc, test_garbage_falls_back);
	tcase_add_test(tc, test_hung_and_down);
	suite_add_tcase(s, tc);
	return s;
}

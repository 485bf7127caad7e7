/*
 * check_shell_quote.c: unit tests for shell quoting, and the round trip
 * through a real bash, zsh or fish (suite_shell_round_trip, run by
 * tests/unit/shell_quote_SHELL.sh, which skips when SHELL is missing).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "shell_quote.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

/* Hostile strings; "@T@" is replaced by the test's temporary directory. */
static const char *const hostile[] = {
	"plain",
	"",
	"with space",
	"it's",
	"''",
	"say \"hi\"",
	"back`touch @T@/pwned`tick",
	"$(touch @T@/pwned)",
	"${HOME}$HOME",
	"semi;colon && touch @T@/pwned",
	"new\nline\n",
	"star* ?[a]",
	"back\\slash\\",
	"\\'",
	"tab\there",
	"\xff\xfe non-utf8 \x80",
	"caf\xc3\xa9",
	"-n",
	"%s%%",
	"~user",
	"{a,b}",
	"!! !$",
	"a\x01\x1b[31mb",
	"end with backslash quote \\\\'",
};

/* Copy s with "@T@" replaced by dir. */
static char *
expand(const char *s, const char *dir)
{
	struct buf b = BUF_INIT;
	const char *at;

	while ((at = strstr(s, "@T@")) != NULL) {
		buf_append(&b, s, (size_t)(at - s));
		buf_puts(&b, dir);
		s = at + 3;
	}
	buf_puts(&b, s);
	return buf_take(&b);
}

/*
 * Run argv in dir with stdout captured into out. Returns the exit
 * status, 127 if the program is not installed, -1 on other trouble.
 */
static int
run_capture(char *const argv[], const char *dir, struct buf *out)
{
	int fds[2], status;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		close(fds[1]);
		if (chdir(dir) == -1)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		buf_append(out, chunk, (size_t)n);
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Round-trip every hostile string through one shell. */
static void
round_trip(enum shell_kind kind, const char *shell, const char *flag)
{
	char *root = tmptree_new(), *pwned;
	struct buf script = BUF_INIT, out = BUF_INIT;
	size_t i;
	int r;

	xasprintf(&pwned, "%s/pwned", root);
	for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		char *s = expand(hostile[i], root);
		char *argv[] = { (char *)shell, (char *)flag, "-c", NULL, NULL };

		/* The same quoting is used by "venvd export" in eval'd text. */
		buf_reset(&script);
		buf_reset(&out);
		buf_puts(&script, "printf %s ");
		shell_quote_str(kind, s, &script);
		argv[3] = script.data;
		r = run_capture(argv, root, &out);
		ck_assert_msg(r != 127, "%s is not installed", shell);
		ck_assert_msg(r == 0, "%s exited %d on: %s", shell, r, script.data);
		ck_assert_msg(out.len == strlen(s) && memcmp(out.data, s, out.len) == 0,
		    "%s read back \"%s\" for \"%s\" (script: %s)", shell,
		    out.data != NULL ? out.data : "", s, script.data);
		free(s);
	}
	/* All of them at once, as separate words. */
	{
		struct buf want = BUF_INIT;
		char *argv[] = { (char *)shell, (char *)flag, "-c", NULL, NULL };

		buf_reset(&script);
		buf_reset(&out);
		buf_puts(&script, "printf '%s|' ");
		for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
			char *s = expand(hostile[i], root);

			shell_quote_str(kind, s, &script);
			buf_putc(&script, ' ');
			buf_puts(&want, s);
			buf_putc(&want, '|');
			free(s);
		}
		argv[3] = script.data;
		ck_assert_int_eq(run_capture(argv, root, &out), 0);
		ck_assert_uint_eq(out.len, want.len);
		ck_assert_int_eq(memcmp(out.data, want.data, want.len), 0);
		buf_free(&want);
	}
	ck_assert_msg(access(pwned, F_OK) == -1, "%s ran a command from a quoted string", shell);
	buf_free(&script);
	buf_free(&out);
	free(pwned);
	tmptree_free(root);
}

/* The shell suite_shell_round_trip runs (set before the runner forks). */
static const char *round_trip_shell;

START_TEST(test_round_trip)
{
	const char *sh = round_trip_shell;

	if (strcmp(sh, "bash") == 0)
		round_trip(SHELL_BASH, "bash", "--norc");
	else if (strcmp(sh, "zsh") == 0)
		round_trip(SHELL_ZSH, "zsh", "-f");
	else if (strcmp(sh, "fish") == 0)
		round_trip(SHELL_FISH, "fish", "--no-config");
	else
		ck_abort_msg("no round trip for shell \"%s\"", sh);
}
END_TEST

START_TEST(test_exact_output)
{
	struct buf b = BUF_INIT;

	shell_quote_str(SHELL_BASH, "it's a\\b", &b);
	ck_assert_str_eq(b.data, "'it'\\''s a\\b'");
	buf_reset(&b);
	shell_quote_str(SHELL_ZSH, "", &b);
	ck_assert_str_eq(b.data, "''");
	buf_reset(&b);
	shell_quote_str(SHELL_FISH, "it's a\\b", &b);
	ck_assert_str_eq(b.data, "'it\\'s a\\\\b'");
	buf_reset(&b);
	/* Length-bounded: stops at len, even mid-string. */
	shell_quote(SHELL_BASH, "abcdef", 3, &b);
	ck_assert_str_eq(b.data, "'abc'");
	buf_free(&b);
}
END_TEST

START_TEST(test_json)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *j;
	const char *s = "a \"q\" \\ \n\t\x01\x7f caf\xc3\xa9 $(x)";

	shell_quote_str(SHELL_JSON, s, &b);
	j = json_loads(b.data, JSON_DECODE_ANY, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", b.data, jerr.text);
	ck_assert_str_eq(json_string_value(j), s);
	json_decref(j);
	/* Not UTF-8: still valid JSON, bad bytes replaced. */
	buf_reset(&b);
	shell_quote_str(SHELL_JSON, "a\xff\xc3(\xed\xa0\x80\xc3\xa9", &b);
	j = json_loads(b.data, JSON_DECODE_ANY, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", b.data, jerr.text);
	ck_assert_str_eq(json_string_value(j), "a\xef\xbf\xbd\xef\xbf\xbd("
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	json_decref(j);
	buf_free(&b);
}
END_TEST

START_TEST(test_kind_names)
{
	static const char *names[] = { "bash", "zsh", "fish", "json" };

	for (size_t i = 0; i < 4; i++) {
		enum shell_kind k = shell_kind_parse(names[i]);

		ck_assert_int_ne(k, SHELL_NONE);
		ck_assert_str_eq(shell_kind_name(k), names[i]);
	}
	ck_assert_int_eq(shell_kind_parse("tcsh"), SHELL_NONE);
	ck_assert_int_eq(shell_kind_parse(""), SHELL_NONE);
	ck_assert_int_eq(shell_kind_parse(NULL), SHELL_NONE);
	ck_assert_int_eq(shell_kind_parse("BASH"), SHELL_NONE);
}
END_TEST

/* The shell_quote suite: the quoting itself, no shell needed. */
Suite *
suite_shell_quote(void)
{
	Suite *s = suite_create("shell_quote");
	TCase *tc = tcase_create("quote");

	tcase_add_test(tc, test_exact_output);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return s;
}

/* The round trip through one real shell, which must be installed. */
Suite *
suite_shell_round_trip(const char *shell)
{
	Suite *s = suite_create("shell_round_trip");
	TCase *tc = tcase_create(shell);

	round_trip_shell = shell;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

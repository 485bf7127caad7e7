/* check_sanitize.c: unit tests for the terminal sanitiser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sanitize.h"
#include "suites.h"

/* Sanitise in and compare with want. */
static void
check_escape(const char *in, const char *want)
{
	char *got = sanitize_dup(in);

	ck_assert_str_eq(got, want);
	ck_assert_int_eq(sanitize_is_clean(in), strcmp(in, want) == 0);
	free(got);
}

/* Strip in and compare with want. */
static void
check_strip(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	sanitize_strip(&b, in);
	ck_assert_str_eq(b.data, want);
	buf_free(&b);
}

START_TEST(escapes_controls)
{
	check_escape("plain /path/with space", "plain /path/with space");
	check_escape("", "");
	check_escape("\x1b]0;pwned\x07", "\\e]0;pwned\\x07");
	check_escape("\x1b[2J", "\\e[2J");
	check_escape("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd");
	check_escape("del\x7f", "del\\x7f");
	/* C1 CSI encoded as UTF-8 (U+009B) and as a raw byte. */
	check_escape("c1 \xc2\x9b" "2J", "c1 \\x9b2J");
	check_escape("raw \x9b" "2J", "raw \\x9b2J");
	/* Invalid UTF-8: each bad byte as \xNN; valid multibyte kept. */
	check_escape("caf\xc3\xa9 \xff\xfe", "caf\xc3\xa9 \\xff\\xfe");
	check_escape("trunc \xe2\x82", "trunc \\xe2\\x82");
	check_escape("overlong \xc0\xaf", "overlong \\xc0\\xaf");
	check_escape("surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80");
	/* Bidi override and line separator. */
	check_escape("evil\xe2\x80\xae" "txt", "evil\\u202etxt");
	check_escape("ls\xe2\x80\xa8" "x", "ls\\u2028x");
	/* Backslash and printable Unicode stay. */
	check_escape("a\\b \xf0\x9f\x90\x8d", "a\\b \xf0\x9f\x90\x8d");
}
END_TEST

START_TEST(escapes_with_nul)
{
	struct buf b = BUF_INIT;

	sanitize_append_len(&b, "a\0b", 3);
	ck_assert_str_eq(b.data, "a\\x00b");
	buf_free(&b);
}
END_TEST

START_TEST(strips_for_prompts)
{
	check_strip("\x1b]0;pwned\x07name\x1b[2J", "]0;pwnedname[2J");
	check_strip("ok (venv)", "ok (venv)");
	check_strip("c1\xc2\x9b" "x\x7f", "c1x");
	check_strip("bad\xff", "bad\\xff");
	check_strip("bidi\xe2\x80\xae" "x", "bidix");
}
END_TEST

START_TEST(utf8_lengths)
{
	ck_assert_uint_eq(sanitize_utf8_len("a", 1), 1);
	ck_assert_uint_eq(sanitize_utf8_len("\xc3\xa9", 2), 2);
	ck_assert_uint_eq(sanitize_utf8_len("\xc3\xa9", 1), 0);
	ck_assert_uint_eq(sanitize_utf8_len("\xf0\x9f\x90\x8d", 4), 4);
	ck_assert_uint_eq(sanitize_utf8_len("\xf4\x90\x80\x80", 4), 0);
	ck_assert_uint_eq(sanitize_utf8_len("\x80", 1), 0);
}
END_TEST

/* The sanitiser suite. */
Suite *
suite_sanitize(void)
{
	Suite *s = suite_create("sanitize");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, escapes_controls);
	tcase_add_test(tc, escapes_with_nul);
	tcase_add_test(tc, strips_for_prompts);
	tcase_add_test(tc, utf8_lengths);
	suite_add_tcase(s, tc);
	return s;
}

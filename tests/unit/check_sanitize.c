/* check_sanitize.c: unit tests for the terminal sanitiser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sanitize.h"
#include "suites.h"
#include "utf8.h"

/* Sanitise in and compare with want. */
static void
check_escape(const char *in, const char *want)
{
	char *got = sanitize_dup(in);

	ck_assert_str_eq(got, want);
	ck_assert_int_eq(sanitize_is_clean(in), strcmp(in, want) == 0);
	free(got);
}

/* Make in inert prompt text and compare with want; check what no output may hold. */
static void
check_prompt(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	sanitize_prompt(&b, in);
	ck_assert_str_eq(b.data, want);
	ck_assert_ptr_null(strpbrk(b.data, "$`\\%!"));
	ck_assert_int_eq(utf8_valid(b.data), 1);
	ck_assert_int_eq(sanitize_is_clean(b.data), 1);
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

START_TEST(prompt_controls_removed)
{
	check_prompt("\x1b]0;pwned\x07name\x1b[2J", "]0;pwnedname[2J");
	check_prompt("ok (venv)", "ok (venv)");
	check_prompt("c1\xc2\x9b" "x\x7f", "c1x");
	check_prompt("bidi\xe2\x80\xae" "x\xe2\x81\xa6y\xe2\x80\xa8z", "bidixyz");
	check_prompt("a\nb\tc\rd", "abcd");
}
END_TEST

START_TEST(prompt_specials_replaced)
{
	/* Each character a prompt language interprets, alone and in use. */
	check_prompt("$", "_");
	check_prompt("`", "_");
	check_prompt("\\", "_");
	check_prompt("%", "_");
	check_prompt("!", "_");
	check_prompt("$(touch X)", "_(touch X)");
	check_prompt("${HOME} $((6*7)) $'\\e'", "_{HOME} _((6*7)) _'_e'");
	check_prompt("`touch Y`", "_touch Y_");
	check_prompt("%F{red}x%f %n %{%}%(?.a.b)", "_F{red}x_f _n _{_}_(?.a.b)");
	check_prompt("\\u@\\h \\w \\$ \\033[2J \\[\\]", "_u@_h _w __ _033[2J _[_]");
	check_prompt("!! !1 !$", "__ _1 __");
	check_prompt("50%", "50_");
	/* What no prompt interprets stays, so ordinary names read the same. */
	check_prompt("it's \"q\" {b} [c] ~u #h ^x &;|<> *?=,.:-_+@/",
	    "it's \"q\" {b} [c] ~u #h ^x &;|<> *?=,.:-_+@/");
}
END_TEST

START_TEST(prompt_utf8)
{
	/* Valid multibyte text is kept, also when its bytes follow a special. */
	check_prompt("caf\xc3\xa9 \xf0\x9f\x90\x8d \xe6\xbc\xa2", "caf\xc3\xa9 \xf0\x9f\x90\x8d \xe6\xbc\xa2");
	check_prompt("$\xc3\xa9%", "_\xc3\xa9_");
	/* Invalid bytes: one U+FFFD each, never a backslash escape. */
	check_prompt("bad\xff", "bad\xef\xbf\xbd");
	check_prompt("\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd");
	check_prompt("trunc \xe2\x82", "trunc \xef\xbf\xbd\xef\xbf\xbd");
	check_prompt("overlong \xc0\xa4", "overlong \xef\xbf\xbd\xef\xbf\xbd");
	check_prompt("surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* A lone continuation byte 0xa4 must not turn into "$" (0x24). */
	check_prompt("\xa4\xa5", "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(prompt_empty_and_long)
{
	struct buf in = BUF_INIT, want = BUF_INIT;

	check_prompt("", "");
	check_prompt("\x1b\x07", "");
	/* Long: every byte still seen, nothing cut. */
	for (int i = 0; i < 20000; i++) {
		buf_puts(&in, i % 3 == 0 ? "$(x)" : i % 3 == 1 ? "\xc3\xa9%" : "\x1b!");
		buf_puts(&want, i % 3 == 0 ? "_(x)" : i % 3 == 1 ? "\xc3\xa9_" : "_");
	}
	check_prompt(in.data, want.data);
	buf_free(&in);
	buf_free(&want);
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
	tcase_add_test(tc, prompt_controls_removed);
	tcase_add_test(tc, prompt_specials_replaced);
	tcase_add_test(tc, prompt_utf8);
	tcase_add_test(tc, prompt_empty_and_long);
	tcase_add_test(tc, utf8_lengths);
	suite_add_tcase(s, tc);
	return s;
}

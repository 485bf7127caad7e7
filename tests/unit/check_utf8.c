/* check_utf8.c: unit tests for the one UTF-8 decoder. */
#include "config.h"

#include <string.h>

#include "suites.h"
#include "utf8.h"

/* utf8_char_len over the whole of the NUL-terminated s. */
static size_t
len_of(const char *s)
{
	return utf8_char_len(s, strlen(s));
}

START_TEST(valid_sequences)
{
	ck_assert_uint_eq(len_of("a"), 1);
	ck_assert_uint_eq(len_of("\x7f"), 1);
	ck_assert_uint_eq(len_of("\xc2\x80"), 2);		/* U+0080 */
	ck_assert_uint_eq(len_of("\xc3\xa9"), 2);		/* é */
	ck_assert_uint_eq(len_of("\xdf\xbf"), 2);		/* U+07FF */
	ck_assert_uint_eq(len_of("\xe0\xa0\x80"), 3);		/* U+0800 */
	ck_assert_uint_eq(len_of("\xed\x9f\xbf"), 3);		/* U+D7FF */
	ck_assert_uint_eq(len_of("\xee\x80\x80"), 3);		/* U+E000 */
	ck_assert_uint_eq(len_of("\xef\xbf\xbd"), 3);		/* U+FFFD */
	ck_assert_uint_eq(len_of("\xf0\x90\x80\x80"), 4);	/* U+10000 */
	ck_assert_uint_eq(len_of("\xf0\x9f\x90\x8d"), 4);	/* snake */
	ck_assert_uint_eq(len_of("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
	/* Only the first character counts. */
	ck_assert_uint_eq(len_of("\xc3\xa9\xff"), 2);
}
END_TEST

START_TEST(overlongs)
{
	ck_assert_uint_eq(len_of("\xc0\xaf"), 0);		/* '/' in 2 bytes */
	ck_assert_uint_eq(len_of("\xc1\xbf"), 0);
	ck_assert_uint_eq(len_of("\xe0\x80\xaf"), 0);		/* '/' in 3 bytes */
	ck_assert_uint_eq(len_of("\xe0\x9f\xbf"), 0);		/* U+07FF in 3 */
	ck_assert_uint_eq(len_of("\xf0\x80\x80\xaf"), 0);	/* '/' in 4 bytes */
	ck_assert_uint_eq(len_of("\xf0\x8f\xbf\xbf"), 0);	/* U+FFFF in 4 */
	ck_assert_uint_eq(utf8_char_len("\xc0\x80", 2), 0);	/* NUL in 2 */
}
END_TEST

START_TEST(surrogates)
{
	ck_assert_uint_eq(len_of("\xed\xa0\x80"), 0);		/* U+D800 */
	ck_assert_uint_eq(len_of("\xed\xb0\x80"), 0);		/* U+DC00 */
	ck_assert_uint_eq(len_of("\xed\xbf\xbf"), 0);		/* U+DFFF */
	ck_assert_uint_eq(len_of("\xed\xa0\xbd\xed\xb0\x8d"), 0); /* CESU-8 pair */
}
END_TEST

START_TEST(beyond_unicode)
{
	ck_assert_uint_eq(len_of("\xf4\x90\x80\x80"), 0);	/* U+110000 */
	ck_assert_uint_eq(len_of("\xf4\xbf\xbf\xbf"), 0);
	ck_assert_uint_eq(len_of("\xf5\x80\x80\x80"), 0);
	ck_assert_uint_eq(len_of("\xf8\x88\x80\x80\x80"), 0);	/* 5-byte form */
	ck_assert_uint_eq(len_of("\xfe"), 0);
	ck_assert_uint_eq(len_of("\xff"), 0);
}
END_TEST

START_TEST(truncated_and_stray)
{
	ck_assert_uint_eq(utf8_char_len("", 0), 0);
	ck_assert_uint_eq(utf8_char_len("a", 0), 0);
	ck_assert_uint_eq(utf8_char_len("\xc3\xa9", 1), 0);
	ck_assert_uint_eq(utf8_char_len("\xe2\x82\xac", 2), 0);
	ck_assert_uint_eq(utf8_char_len("\xf0\x9f\x90\x8d", 3), 0);
	ck_assert_uint_eq(len_of("\xe2\x82"), 0);		/* ends early */
	ck_assert_uint_eq(len_of("\xe2\x82x"), 0);		/* ASCII in the middle */
	ck_assert_uint_eq(len_of("\xc3\xc3\xa9"), 0);		/* lead in the middle */
	ck_assert_uint_eq(len_of("\x80"), 0);			/* stray continuation */
	ck_assert_uint_eq(len_of("\xbf"), 0);
	/* left is a bound: nothing past it is read, even a valid tail. */
	ck_assert_uint_eq(utf8_char_len("\xc3\xa9", 2), 2);
}
END_TEST

START_TEST(whole_strings)
{
	ck_assert_int_eq(utf8_valid(""), 1);
	ck_assert_int_eq(utf8_valid("/home/me/proj"), 1);
	ck_assert_int_eq(utf8_valid("/home/\xc3\xa9t\xc3\xa9/\xf0\x9f\x90\x8d"), 1);
	ck_assert_int_eq(utf8_valid("/home/\xff/x"), 0);
	ck_assert_int_eq(utf8_valid("/home/\xed\xa0\x80"), 0);
	ck_assert_int_eq(utf8_valid("ends in \xe2\x82"), 0);
}
END_TEST

/* The UTF-8 decoder suite. */
Suite *
suite_utf8(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, valid_sequences);
	tcase_add_test(tc, overlongs);
	tcase_add_test(tc, surrogates);
	tcase_add_test(tc, beyond_unicode);
	tcase_add_test(tc, truncated_and_stray);
	tcase_add_test(tc, whole_strings);
	suite_add_tcase(s, tc);
	return s;
}

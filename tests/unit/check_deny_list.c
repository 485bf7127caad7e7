/* check_deny_list.c: unit tests for the list of denied venvs (deny_list.c). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deny_list.h"
#include "suites.h"
#include "xmalloc.h"

/* Parse n bytes of text; the return value, err kept in a static buffer. */
static char parse_err[256];
static int
parse(const char *text, size_t n, struct deny_list *l)
{
	parse_err[0] = '\0';
	return deny_list_parse(text, n, l, parse_err, sizeof parse_err);
}

/* A list of hostile paths, encoded and parsed back exactly. */
START_TEST(test_round_trip)
{
	static const char *paths[] = {
		"/home/u/proj/.venv",
		"/home/u/new\nline/.venv",
		"/home/u/it's \"quoted\"/.venv",
		"/home/u/bytes\xff\xfe/.venv",
		"/home/u/deny 1 2 3 /x",
		"/home/u/end 0",
		"/",
	};
	struct deny_list l = DENY_LIST_INIT, back;
	struct buf b = BUF_INIT, again = BUF_INIT;
	size_t i, n = sizeof paths / sizeof paths[0];

	for (i = 0; i < n; i++)
		ck_assert_int_eq(deny_list_add(&l, paths[i], 64769 + i, 1234567 + i,
		    i == 1 ? 0 : 1700000000123456789LL + (long long)i), 0);
	ck_assert_int_eq(deny_list_add(&l, "/x", ULLONG_MAX, ULLONG_MAX, LLONG_MIN), 0);
	deny_list_encode(&l, &b);
	ck_assert_int_eq(parse(b.data, b.len, &back), 0);
	ck_assert_uint_eq(back.n, n + 1);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(back.v[i].path, paths[i]);
		ck_assert_uint_eq(back.v[i].dev, 64769 + i);
		ck_assert_uint_eq(back.v[i].ino, 1234567 + i);
	}
	ck_assert(back.v[1].born == 0);
	ck_assert(back.v[n].dev == ULLONG_MAX && back.v[n].born == LLONG_MIN);
	/* One encoding for one list. */
	deny_list_encode(&back, &again);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert(memcmp(again.data, b.data, b.len) == 0);
	deny_list_free(&back);
	/* Every proper prefix (a file cut short) is refused. */
	for (i = 0; i < b.len; i++) {
		ck_assert_int_eq(parse(b.data, i, &back), -1);
		ck_assert_ptr_null(back.v);
		ck_assert_uint_eq(back.n, 0);
		ck_assert(parse_err[0] != '\0');
	}
	deny_list_free(&l);
	deny_list_free(&back);
	ck_assert_uint_eq(back.n, 0);
	buf_free(&b);
	buf_free(&again);
}
END_TEST

/* The empty list: a header and an end record. */
START_TEST(test_empty)
{
	struct deny_list l = DENY_LIST_INIT;
	struct buf b = BUF_INIT;
	static const char want[] = "venvd denied 1\nend 0";

	deny_list_encode(&l, &b);
	ck_assert_uint_eq(b.len, sizeof want);		/* with the trailing NUL */
	ck_assert(memcmp(b.data, want, sizeof want) == 0);
	ck_assert_int_eq(parse(b.data, b.len, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	buf_free(&b);
}
END_TEST

/* What the encoder refuses to write. */
START_TEST(test_add_refused)
{
	struct deny_list l = DENY_LIST_INIT;
	char *longp = xmalloc(PATH_MAX + 1);

	ck_assert_int_eq(deny_list_add(&l, "", 1, 2, 3), -1);
	ck_assert_int_eq(deny_list_add(&l, "relative/.venv", 1, 2, 3), -1);
	memset(longp, 'a', PATH_MAX);
	longp[0] = '/';
	longp[PATH_MAX] = '\0';
	ck_assert_int_eq(deny_list_add(&l, longp, 1, 2, 3), -1);
	longp[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(deny_list_add(&l, longp, 1, 2, 3), 0);
	ck_assert_uint_eq(l.n, 1);
	deny_list_free(&l);
	free(longp);
}
END_TEST

/* Inputs that are not exactly what the daemon writes. */
START_TEST(test_refused)
{
#define R(s)	{ s, sizeof s - 1 }
	static const struct { const char *t; size_t n; } bad[] = {
		R(""),
		R("venvd denied 1\n"),				/* no end */
		R("venvd denied 2\nend 0\0"),			/* another version */
		R("venvd denied 1\r\nend 0\0"),
		R("venvd denied 1\nend 0"),			/* end without its NUL */
		R("venvd denied 1\nend 1\0"),			/* counts a record not there */
		R("venvd denied 1\nend 00\0"),
		R("venvd denied 1\nend +0\0"),
		R("venvd denied 1\nend 0\0\0"),			/* bytes after the end */
		R("venvd denied 1\nend 0\0deny 1 2 3 /a\0"),
		R("venvd denied 1\ndeny 1 2 3 /a\0end 0\0"),	/* count too low */
		R("venvd denied 1\ndeny 1 2 3 /a\0end 2\0"),
		R("venvd denied 1\ndeny 1 2 3 a\0end 1\0"),	/* relative */
		R("venvd denied 1\ndeny 1 2 3 \0end 1\0"),	/* empty path */
		R("venvd denied 1\ndeny 01 2 3 /a\0end 1\0"),	/* leading zero */
		R("venvd denied 1\ndeny 1 2 -0 /a\0end 1\0"),
		R("venvd denied 1\ndeny -1 2 3 /a\0end 1\0"),	/* negative dev */
		R("venvd denied 1\ndeny 1 2 3  /a\0end 1\0"),	/* two spaces */
		R("venvd denied 1\ndeny 1 2 /a\0end 1\0"),	/* no born */
		R("venvd denied 1\ndeny 18446744073709551616 2 3 /a\0end 1\0"),
		R("venvd denied 1\ndeny 1 2 9223372036854775808 /a\0end 1\0"),
		R("venvd denied 1\ndeny 1 2 -9223372036854775809 /a\0end 1\0"),
		R("venvd denied 1\nallow 1 2 3 /a\0end 1\0"),	/* not a deny */
		R("venvd denied 1\ndeny 1 2 3 /a\nend 1\0"),	/* newline: part of the path, no end */
		R("venvd denied 1\ndeny 1 2 3 /a\0end 1\n"),
		R("\0venvd denied 1\nend 0\0"),
	};
#undef R
	struct deny_list l;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse(bad[i].t, bad[i].n, &l) == -1, "input %zu parsed", i);
		ck_assert_ptr_null(l.v);
		ck_assert_msg(parse_err[0] != '\0', "input %zu: no reason", i);
	}
	/* The limits themselves parse. */
	static const char ok[] = "venvd denied 1\ndeny 0 18446744073709551615 "
	    "-9223372036854775808 /a\0deny 1 2 9223372036854775807 /a\nb\0end 2";
	ck_assert_int_eq(parse(ok, sizeof ok, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[1].path, "/a\nb");
	deny_list_free(&l);
}
END_TEST

/* Over DENY_LIST_MAX: refused before looking. */
START_TEST(test_too_big)
{
	struct deny_list l;
	char *big = xcalloc(1, DENY_LIST_MAX + 1);

	ck_assert_int_eq(parse(big, DENY_LIST_MAX + 1, &l), -1);
	free(big);
}
END_TEST

/* A deny holds for its path whatever is there now, and for its identity when moved. */
START_TEST(test_match)
{
	struct deny_list l = DENY_LIST_INIT;

	ck_assert_int_eq(deny_list_match(&l, "/p/.venv", 1, 2, 3), 0);
	ck_assert_int_eq(deny_list_add(&l, "/p/.venv", 10, 20, 30), 0);
	ck_assert_int_eq(deny_list_add(&l, "/q/.venv", 11, 21, 0), 0);
	ck_assert_int_eq(deny_list_match(&l, "/p/.venv", 10, 20, 30), 1);
	ck_assert_int_eq(deny_list_match(&l, "/p/.venv", 99, 98, 97), 1);
	ck_assert_int_eq(deny_list_match(&l, "/p/.venv/", 99, 98, 97), 0);
	ck_assert_int_eq(deny_list_match(&l, "/p", 99, 98, 97), 0);
	/* Moved: the same dev, inode and birth time. */
	ck_assert_int_eq(deny_list_match(&l, "/moved/.venv", 10, 20, 30), 1);
	ck_assert_int_eq(deny_list_match(&l, "/moved/.venv", 10, 20, 31), 0);
	/* Without a birth time an inode number proves nothing. */
	ck_assert_int_eq(deny_list_match(&l, "/moved/.venv", 11, 21, 0), 0);
	ck_assert_int_eq(deny_list_match(&l, "/q/.venv", 0, 0, 0), 1);
	deny_list_free(&l);
}
END_TEST

/* The deny_list suite. */
Suite *
suite_deny_list(void)
{
	Suite *s = suite_create("deny_list");
	TCase *tc = tcase_create("deny_list");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_match);
	suite_add_tcase(s, tc);
	return s;
}

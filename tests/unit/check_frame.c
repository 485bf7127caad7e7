/* check_frame.c: unit tests for newline framing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "suites.h"
#include "xmalloc.h"

/* Take the next line and assert it equals want. */
static void
expect_line(struct frame *f, const char *want)
{
	const char *line;
	size_t len;

	ck_assert_int_eq(frame_next(f, &line, &len), FRAME_LINE);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_msg(memcmp(line, want, len) == 0, "got \"%.*s\", want \"%s\"",
	    (int)len, line, want);
}

/* Assert that no complete line is held. */
static void
expect_none(struct frame *f)
{
	const char *line;
	size_t len;

	ck_assert_int_eq(frame_next(f, &line, &len), FRAME_NONE);
}

START_TEST(test_partial_reads)
{
	struct frame f;
	const char *msg = "{\"jsonrpc\":\"2.0\"}\n";

	frame_init(&f, 1024);
	expect_none(&f);
	/* One byte at a time. */
	for (size_t i = 0; i < strlen(msg) - 1; i++) {
		frame_feed(&f, msg + i, 1);
		expect_none(&f);
		ck_assert_uint_eq(frame_pending(&f), i + 1);
	}
	frame_feed(&f, "\n", 1);
	expect_line(&f, "{\"jsonrpc\":\"2.0\"}");
	expect_none(&f);
	ck_assert_uint_eq(frame_pending(&f), 0);
	frame_free(&f);
}
END_TEST

START_TEST(test_pipelining)
{
	struct frame f;

	frame_init(&f, 1024);
	frame_feed(&f, "one\ntwo\r\nthree\nfour", 19);
	expect_line(&f, "one");
	expect_line(&f, "two\r");	/* the caller strips '\r' */
	expect_line(&f, "three");
	expect_none(&f);
	ck_assert_uint_eq(frame_pending(&f), 4);
	frame_feed(&f, "\nfive\n", 6);
	expect_line(&f, "four");
	expect_line(&f, "five");
	expect_none(&f);
	ck_assert_uint_eq(frame_pending(&f), 0);
	frame_free(&f);
}
END_TEST

START_TEST(test_feed_between_lines)
{
	struct frame f;

	/* Feeding after a line was taken keeps the lines not yet taken. */
	frame_init(&f, 1024);
	frame_feed(&f, "a\nb\nc", 5);
	expect_line(&f, "a");
	frame_feed(&f, "d\n", 2);
	expect_line(&f, "b");
	expect_line(&f, "cd");
	expect_none(&f);
	frame_free(&f);
}
END_TEST

START_TEST(test_empty_lines)
{
	struct frame f;

	frame_init(&f, 16);
	frame_feed(&f, "\n\n\r\nx\n", 6);
	expect_line(&f, "");
	expect_line(&f, "");
	expect_line(&f, "\r");
	expect_line(&f, "x");
	expect_none(&f);
	frame_free(&f);
}
END_TEST

START_TEST(test_oversize_pending)
{
	struct frame f;
	char chunk[100];

	memset(chunk, 'a', sizeof chunk);
	frame_init(&f, 250);
	frame_feed(&f, chunk, 100);
	expect_none(&f);
	frame_feed(&f, chunk, 100);
	expect_none(&f);
	frame_feed(&f, chunk, 50);	/* exactly max_line pending: may still end */
	expect_none(&f);
	frame_feed(&f, chunk, 1);	/* one over, no newline: detected now */
	{
		const char *line;
		size_t len;

		ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
		/* And it stays so: the stream cannot be resynced. */
		ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	}
	frame_free(&f);
}
END_TEST

START_TEST(test_oversize_complete_line)
{
	struct frame f;
	char *big = xmalloc(302);
	const char *line;
	size_t len;

	memset(big, 'b', 300);
	big[300] = '\n';
	big[301] = '\0';
	/* A line of exactly max_line bytes is fine. */
	frame_init(&f, 300);
	frame_feed(&f, big, 301);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_uint_eq(len, 300);
	frame_free(&f);
	/* One byte more, arriving whole with its newline, is too long. */
	frame_init(&f, 299);
	frame_feed(&f, "ok\n", 3);
	frame_feed(&f, big, 301);
	expect_line(&f, "ok");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	frame_free(&f);
	free(big);
}
END_TEST

START_TEST(test_many_lines_large_stream)
{
	struct frame f;
	size_t n = 0;
	const char *line;
	size_t len;
	enum frame_result r;

	frame_init(&f, 64 * 1024);
	for (int i = 0; i < 10000; i++) {
		frame_feed(&f, "{\"id\":1}\n{\"id\"", 14);
		frame_feed(&f, ":2}\n", 4);
		while ((r = frame_next(&f, &line, &len)) == FRAME_LINE) {
			ck_assert_uint_eq(len, 8);
			n++;
		}
		ck_assert_int_eq(r, FRAME_NONE);
	}
	ck_assert_uint_eq(n, 20000);
	ck_assert_uint_eq(frame_pending(&f), 0);
	frame_free(&f);
}
END_TEST

START_TEST(test_nul_bytes_pass_through)
{
	struct frame f;
	const char *line;
	size_t len;

	frame_init(&f, 64);
	frame_feed(&f, "a\0b\n", 4);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(line, "a\0b", 3), 0);
	frame_free(&f);
}
END_TEST

/* The frame suite. */
Suite *
suite_frame(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("frame");

	tcase_add_test(tc, test_partial_reads);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_feed_between_lines);
	tcase_add_test(tc, test_empty_lines);
	tcase_add_test(tc, test_oversize_pending);
	tcase_add_test(tc, test_oversize_complete_line);
	tcase_add_test(tc, test_many_lines_large_stream);
	tcase_add_test(tc, test_nul_bytes_pass_through);
	suite_add_tcase(s, tc);
	return s;
}

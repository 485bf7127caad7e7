/* check_sizer.c: the du-like size walker (daemon/sizer.c). */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "sizer.h"
#include "suites.h"
#include "tmptree.h"

/* root/rel as a path in buf. */
static const char *
at(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
	return buf;
}

/* st_blocks * 512 of one path, not followed. */
static uint64_t
blocks(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	return (uint64_t)sb.st_blocks * 512;
}

/* Write n bytes of 'x' to path. */
static void
write_bytes(const char *path, size_t n)
{
	char *b = malloc(n);
	int fd;

	ck_assert_ptr_nonnull(b);
	memset(b, 'x', n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);
}

/* Every entry counted once: directories, files, symlinks. */
START_TEST(test_sizer_counts_everything)
{
	char *root = tmptree_new(), p[4096], q[4096];
	uint64_t bytes = 0, want;

	tmptree_mkdir(root, "v/lib/site");
	write_bytes(at(p, sizeof p, root, "v/a"), 100000);
	write_bytes(at(p, sizeof p, root, "v/lib/site/b"), 5000);
	want = blocks(at(p, sizeof p, root, "v")) +
	    blocks(at(p, sizeof p, root, "v/lib")) +
	    blocks(at(p, sizeof p, root, "v/lib/site")) +
	    blocks(at(p, sizeof p, root, "v/a")) +
	    blocks(at(p, sizeof p, root, "v/lib/site/b"));
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &bytes), 0);
	ck_assert_uint_eq(bytes, want);
	ck_assert_uint_ge(bytes, 100000);
	tmptree_free(root);
}
END_TEST

/* A file hard-linked twice inside the tree counts once. */
START_TEST(test_sizer_hard_links_once)
{
	char *root = tmptree_new(), p[4096], q[4096];
	uint64_t one = 0, two = 0;

	tmptree_mkdir(root, "v/d");
	write_bytes(at(p, sizeof p, root, "v/big"), 200000);
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &one), 0);
	ck_assert_int_eq(link(at(p, sizeof p, root, "v/big"),
	    at(q, sizeof q, root, "v/d/big2")), 0);
	ck_assert_int_eq(link(at(p, sizeof p, root, "v/big"),
	    at(q, sizeof q, root, "v/big3")), 0);
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &two), 0);
	/* Only the directory entries' space may grow, never a second 200 kB. */
	ck_assert_uint_lt(two, one + 100000);
	ck_assert_uint_ge(two, one);
	tmptree_free(root);
}
END_TEST

/* Symlinks count as themselves, their targets are not walked. */
START_TEST(test_sizer_symlinks_not_followed)
{
	char *root = tmptree_new(), p[4096], q[4096];
	uint64_t bytes = 0, alone = 0;

	tmptree_mkdir(root, "outside");
	tmptree_mkdir(root, "v");
	write_bytes(at(p, sizeof p, root, "outside/huge"), 500000);
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &alone), 0);
	tmptree_symlink(root, "v/link", at(p, sizeof p, root, "outside"));
	tmptree_symlink(root, "v/filelink", at(p, sizeof p, root, "outside/huge"));
	tmptree_symlink(root, "v/loop", at(p, sizeof p, root, "v"));
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &bytes), 0);
	ck_assert_uint_eq(bytes, alone + blocks(at(p, sizeof p, root, "v/link")) +
	    blocks(at(p, sizeof p, root, "v/filelink")) +
	    blocks(at(p, sizeof p, root, "v/loop")));
	ck_assert_uint_lt(bytes, 500000);
	tmptree_free(root);
}
END_TEST

/* A missing path is an error; unreadable subdirectories are tolerated. */
START_TEST(test_sizer_vanished)
{
	char *root = tmptree_new(), p[4096];
	uint64_t bytes = 0;

	errno = 0;
	ck_assert_int_eq(sizer_walk(at(p, sizeof p, root, "nope"), &bytes), -1);
	ck_assert_int_eq(errno, ENOENT);
	tmptree_mkdir(root, "v/locked/inner");
	write_bytes(at(p, sizeof p, root, "v/f"), 10);
	ck_assert_int_eq(chmod(at(p, sizeof p, root, "v/locked"), 0), 0);
	ck_assert_int_eq(sizer_walk(at(p, sizeof p, root, "v"), &bytes), 0);
	ck_assert_uint_gt(bytes, 0);
	tmptree_free(root);
}
END_TEST

/* A directory removed during the walk (simulated: removed between two walks) is fine. */
START_TEST(test_sizer_shrinks)
{
	char *root = tmptree_new(), p[4096], q[4096];
	uint64_t before = 0, after = 0;

	tmptree_mkdir(root, "v/gone");
	write_bytes(at(p, sizeof p, root, "v/gone/f"), 300000);
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &before), 0);
	ck_assert_int_eq(unlink(at(p, sizeof p, root, "v/gone/f")), 0);
	ck_assert_int_eq(rmdir(at(p, sizeof p, root, "v/gone")), 0);
	ck_assert_int_eq(sizer_walk(at(q, sizeof q, root, "v"), &after), 0);
	ck_assert_uint_lt(after + 250000, before);
	tmptree_free(root);
}
END_TEST

/* The size walker's suite. */
Suite *
suite_sizer(void)
{
	Suite *s = suite_create("sizer");
	TCase *tc = tcase_create("walk");

	tcase_add_test(tc, test_sizer_counts_everything);
	tcase_add_test(tc, test_sizer_hard_links_once);
	tcase_add_test(tc, test_sizer_symlinks_not_followed);
	tcase_add_test(tc, test_sizer_vanished);
	tcase_add_test(tc, test_sizer_shrinks);
	suite_add_tcase(s, tc);
	return s;
}

/* check_small_file.c: unit tests for the bounded small-file reader. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "small_file.h"
#include "suites.h"
#include "tmptree.h"
#include "xmalloc.h"

/* Read root/rel with bound max, expecting status want. */
static enum small_file_status
read_rel(const char *root, const char *rel, size_t max, char **text, size_t *len)
{
	char *path;
	enum small_file_status r;

	xasprintf(&path, "%s/%s", root, rel);
	r = small_file_read(path, max, text, len);
	free(path);
	return r;
}

START_TEST(test_regular)
{
	char *root = tmptree_new(), *text;
	size_t len;

	tmptree_write(root, "a", "hello\n");
	ck_assert_int_eq(read_rel(root, "a", 64, &text, &len), SMALL_FILE_OK);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(text, "hello\n");
	free(text);
	/* Empty: an empty, NUL-terminated buffer. */
	tmptree_write(root, "empty", "");
	ck_assert_int_eq(read_rel(root, "empty", 64, &text, &len), SMALL_FILE_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "");
	free(text);
	/* Symbolic links are followed. */
	tmptree_symlink(root, "link", "a");
	ck_assert_int_eq(read_rel(root, "link", 64, &text, &len), SMALL_FILE_OK);
	ck_assert_str_eq(text, "hello\n");
	free(text);
	tmptree_free(root);
}
END_TEST

START_TEST(test_bound)
{
	char *root = tmptree_new(), *text;
	size_t len;

	tmptree_write(root, "ten", "0123456789");
	ck_assert_int_eq(read_rel(root, "ten", 10, &text, &len), SMALL_FILE_OK);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(text, "0123456789");
	free(text);
	ck_assert_int_eq(read_rel(root, "ten", 9, &text, &len), SMALL_FILE_TOO_BIG);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(read_rel(root, "ten", 0, &text, &len), SMALL_FILE_TOO_BIG);
	tmptree_write(root, "empty", "");
	ck_assert_int_eq(read_rel(root, "empty", 0, &text, &len), SMALL_FILE_OK);
	free(text);
	tmptree_free(root);
}
END_TEST

START_TEST(test_size_zero_but_longer)
{
	char *text;
	size_t len;

	/* /proc files claim size 0; the bound still holds by reading. */
	ck_assert_int_eq(small_file_read("/proc/self/maps", 16, &text, &len),
	    SMALL_FILE_TOO_BIG);
	ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_refused)
{
	char *root = tmptree_new(), *text, *fifo;
	size_t len;

	/* A FIFO must neither hang nor be read. */
	xasprintf(&fifo, "%s/fifo", root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(small_file_read(fifo, 64, &text, &len), SMALL_FILE_NOT_REGULAR);
	ck_assert_ptr_null(text);
	free(fifo);
	/* A device that never ends, a directory. */
	ck_assert_int_eq(small_file_read("/dev/zero", 64, &text, &len), SMALL_FILE_NOT_REGULAR);
	ck_assert_int_eq(small_file_read(root, 64, &text, &len), SMALL_FILE_NOT_REGULAR);
	/* Missing: errno says so. */
	errno = 0;
	ck_assert_int_eq(read_rel(root, "missing", 64, &text, &len), SMALL_FILE_OPEN);
	ck_assert_int_eq(errno, ENOENT);
	/* A symbolic link loop. */
	tmptree_symlink(root, "loop", "loop");
	errno = 0;
	ck_assert_int_eq(read_rel(root, "loop", 64, &text, &len), SMALL_FILE_OPEN);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_ptr_null(text);
	tmptree_free(root);
}
END_TEST

START_TEST(test_huge)
{
	char *root = tmptree_new(), *text, *path;
	size_t len;
	FILE *f;

	/* A sparse 1 GiB file is refused by its size, without reading it. */
	xasprintf(&path, "%s/huge", root);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 1L << 30, SEEK_SET), 0);
	fputc('x', f);
	fclose(f);
	ck_assert_int_eq(small_file_read(path, 64 * 1024, &text, &len), SMALL_FILE_TOO_BIG);
	ck_assert_ptr_null(text);
	free(path);
	tmptree_free(root);
}
END_TEST

START_TEST(test_private)
{
	char *root = tmptree_new(), *text, *path, *link;
	size_t len;

	tmptree_write(root, "mine", "ours\n");
	xasprintf(&path, "%s/mine", root);
	xasprintf(&link, "%s/link", root);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(small_file_read_private(path, 64, &text, &len), SMALL_FILE_OK);
	ck_assert_str_eq(text, "ours\n");
	free(text);
	/* Readable by others is fine; writable by them is not. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(small_file_read_private(path, 64, &text, &len), SMALL_FILE_OK);
	free(text);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(small_file_read_private(path, 64, &text, &len),
	    SMALL_FILE_WRITABLE);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_int_eq(small_file_read_private(path, 64, &text, &len),
	    SMALL_FILE_WRITABLE);
	ck_assert_int_eq(chmod(path, 0600), 0);
	/* A symbolic link, even to our own file, is not followed. */
	tmptree_symlink(root, "link", "mine");
	ck_assert_int_eq(small_file_read_private(link, 64, &text, &len), SMALL_FILE_LINK);
	ck_assert_ptr_null(text);
	/* Another user's file (only root can make one). */
	if (getuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(small_file_read_private(path, 64, &text, &len),
		    SMALL_FILE_OWNER);
		ck_assert_ptr_null(text);
	}
	/* The rest as small_file_read. */
	ck_assert_int_eq(small_file_read_private(root, 64, &text, &len),
	    SMALL_FILE_NOT_REGULAR);
	errno = 0;
	free(path);
	xasprintf(&path, "%s/missing", root);
	ck_assert_int_eq(small_file_read_private(path, 64, &text, &len), SMALL_FILE_OPEN);
	ck_assert_int_eq(errno, ENOENT);
	free(path);
	free(link);
	tmptree_free(root);
}
END_TEST

/* The small_file suite. */
Suite *
suite_small_file(void)
{
	Suite *s = suite_create("small_file");
	TCase *tc = tcase_create("read");

	tcase_add_test(tc, test_regular);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_size_zero_but_longer);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_huge);
	tcase_add_test(tc, test_private);
	suite_add_tcase(s, tc);
	return s;
}

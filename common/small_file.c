/* small_file.c: read a whole small regular file, with a bound. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "small_file.h"
#include "xmalloc.h"

/* Close fd, keeping errno as it was. */
static void
small_file_close(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

static enum small_file_status small_file_read_how(const char *, size_t,
	    char **, size_t *, struct stat *, int);

/* Read the regular file at path, at most max bytes, into *text. */
enum small_file_status
small_file_read(const char *path, size_t max, char **text, size_t *len)
{
	struct stat st;

	return small_file_read_stat(path, max, text, len, &st);
}

/* small_file_read, with the fstat of what was opened in *stp. */
enum small_file_status
small_file_read_stat(const char *path, size_t max, char **text, size_t *len,
    struct stat *stp)
{
	return small_file_read_how(path, max, text, len, stp, 0);
}

/* small_file_read of a file only we may have written. */
enum small_file_status
small_file_read_private(const char *path, size_t max, char **text, size_t *len)
{
	struct stat st;

	return small_file_read_how(path, max, text, len, &st, 1);
}

/* The reader: with private set, no symlink, our file, not writable by others. */
static enum small_file_status
small_file_read_how(const char *path, size_t max, char **text, size_t *len,
    struct stat *stp, int private)
{
	struct stat st;
	size_t have = 0, cap = max + 1;
	char *buf;
	int fd;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    (private ? O_NOFOLLOW : 0));
	if (fd == -1)
		return private && errno == ELOOP ? SMALL_FILE_LINK : SMALL_FILE_OPEN;
	if (fstat(fd, &st) == -1) {
		small_file_close(fd);
		return SMALL_FILE_STAT;
	}
	*stp = st;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return SMALL_FILE_NOT_REGULAR;
	}
	if (private && st.st_uid != getuid()) {
		close(fd);
		return SMALL_FILE_OWNER;
	}
	if (private && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(fd);
		return SMALL_FILE_WRITABLE;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		close(fd);
		return SMALL_FILE_TOO_BIG;
	}
	/* One byte more than allowed tells a file that grew past max. */
	buf = xmalloc(cap + 1);
	while (have < cap) {
		ssize_t n = read(fd, buf + have, cap - have);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			small_file_close(fd);
			free(buf);
			return SMALL_FILE_READ;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (have > max) {
		free(buf);
		return SMALL_FILE_TOO_BIG;
	}
	buf[have] = '\0';
	*text = buf;
	*len = have;
	return SMALL_FILE_OK;
}

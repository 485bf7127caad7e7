/* atomic_file.c: replace a small private file through a temporary file and rename(2). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "xmalloc.h"

/* Write all len bytes of data to fd; 0 or -1 with errno. */
static int
atomic_write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so the rename survives a crash. */
static void
atomic_sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Replace path with data, mode 0600, in one rename. */
int
atomic_file_write(const char *path, const void *data, size_t len, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	/* mkostemp: O_CREAT | O_EXCL, mode 0600, a fresh name. */
	if ((fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "cannot create a file next to %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || atomic_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		goto fail;
	}
	atomic_sync_dir(path);
	return 0;
fail:
	unlink(tmp);
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
	return -1;
}

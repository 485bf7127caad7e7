/* atomic_file.h: replace a small private file in one step (atomic_file.c). */
#ifndef VENVD_DAEMON_ATOMIC_FILE_H
#define VENVD_DAEMON_ATOMIC_FILE_H

#include <stddef.h>

/*
 * Replace the file at path with len bytes of data, mode 0600: written
 * to a new temporary file in the same directory (O_EXCL, O_NOFOLLOW),
 * flushed to disk, then renamed over path, so a reader sees the old
 * file or the new one, never a part. Whatever was at path (a symbolic
 * link, another user's file) is replaced, not followed. 0, or -1 with
 * err (the temporary file removed, path untouched).
 */
int	atomic_file_write(const char *path, const void *data, size_t len,
	    char *err, size_t errlen);

#endif

/*
 * small_file.h: read a whole small regular file (a config file, a
 * pyvenv.cfg) without hanging on a FIFO or a device and without reading
 * more than a bound.
 */
#ifndef VENVD_SMALL_FILE_H
#define VENVD_SMALL_FILE_H

#include <stddef.h>

/* Why small_file_read gave up; callers word their own message from it. */
enum small_file_status {
	SMALL_FILE_OK = 0,
	SMALL_FILE_OPEN,	/* open failed: errno says why */
	SMALL_FILE_STAT,	/* fstat failed: errno says why */
	SMALL_FILE_NOT_REGULAR,	/* a directory, FIFO, device or socket */
	SMALL_FILE_TOO_BIG,	/* more than max bytes (by size or by reading) */
	SMALL_FILE_READ,	/* read failed: errno says why */
	SMALL_FILE_LINK,	/* a symbolic link (small_file_read_private) */
	SMALL_FILE_OWNER,	/* owned by another user (small_file_read_private) */
	SMALL_FILE_WRITABLE,	/* group or others may write it (small_file_read_private) */
};

/*
 * Read the file at path, which must be a regular file of at most max
 * bytes. Opens with O_NONBLOCK and O_NOCTTY (a FIFO or terminal never
 * blocks the open) and follows symbolic links. Never reads more than
 * max + 1 bytes, so a file that grows, or claims size 0, is still
 * refused past max. On SMALL_FILE_OK *text is a malloc'd buffer of *len
 * bytes plus a terminating NUL (the content may hold NULs of its own);
 * otherwise *text is NULL and errno is kept for OPEN, STAT and READ.
 */
enum small_file_status small_file_read(const char *path, size_t max,
	    char **text, size_t *len);

struct stat;
/*
 * small_file_read, also giving the fstat of the file read (when the open
 * and fstat succeeded), so that a caller can judge exactly what it read.
 */
enum small_file_status small_file_read_stat(const char *path, size_t max,
	    char **text, size_t *len, struct stat *st);

/*
 * small_file_read for a file that only we may have written: never follows
 * a symbolic link at path (SMALL_FILE_LINK), and refuses a file owned by
 * another user (SMALL_FILE_OWNER) or writable by group or others
 * (SMALL_FILE_WRITABLE), judged on what was opened.
 */
enum small_file_status small_file_read_private(const char *path, size_t max,
	    char **text, size_t *len);

#endif

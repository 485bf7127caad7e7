/* log.c: logging with the calling function's name, to stderr or a file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static const char	*log_progname = "venvd";
static enum log_level	 log_level = LOG_LEVEL_INFO;
static int		 log_fd = STDERR_FILENO;
static char		*log_path;
static int		 log_silent;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* Log to stderr as progname, showing messages up to level. */
void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level = level;
}

/* Open path for appending with mode 0600. */
static int
log_open_fd(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* Send log lines to the file at path. */
int
log_open_file(const char *path)
{
	int fd = log_open_fd(path);

	if (fd == -1)
		return -1;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = xstrdup(path);
	return 0;
}

/* Reopen the log file after rotation. */
int
log_reopen(void)
{
	if (log_path == NULL)
		return 0;
	int fd = log_open_fd(log_path);
	if (fd == -1)
		return -1;
	close(log_fd);
	log_fd = fd;
	return 0;
}

/* Change the verbosity. */
void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* The current verbosity. */
enum log_level
log_get_level(void)
{
	return log_level;
}

/* Silence all output. */
void
log_silence(void)
{
	log_silent = 1;
}

static void log_vwrite(enum log_level, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/* Format and write one line: timestamp (file only), level, function, text. */
static void
log_vwrite(enum log_level level, const char *func, const char *fmt, va_list ap)
{
	char line[2048];
	size_t off = 0;
	int n;

	if (log_silent)
		return;
	if (log_path != NULL) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		off = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S ", &tm);
	}
	n = snprintf(line + off, sizeof line - off, "%s[%ld]: %s: %s: ",
	    log_progname, (long)getpid(), level_names[level], func);
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n : sizeof line - off - 1;
	n = vsnprintf(line + off, sizeof line - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n : sizeof line - off - 1;
	if (off >= sizeof line - 1)
		off = sizeof line - 2;
	line[off++] = '\n';
	/* One write per line so concurrent writers do not interleave. */
	ssize_t w = write(log_fd, line, off);
	(void)w;
}

/* Log one message if level is enabled. */
void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, func, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Log and exit: for the impossible only. */
void
log_fatal(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_silent = 0;
	log_vwrite(LOG_LEVEL_ERROR, func, fmt, ap);
	va_end(ap);
	exit(1);
}

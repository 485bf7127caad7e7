/*
 * generation.c: the daemon's change counter and <socket dir>/generation.
 *
 * The value is "<instance>-<counter>": instance is 8 random hex digits
 * chosen at start so a restarted daemon never repeats a value, counter
 * starts at 1 and grows with every change that can alter an answer.
 * The file is written to a temporary name in the same directory and
 * renamed into place, so a shell's builtin read never sees half a line.
 *
 * Beside it, an empty marker file <dir>/generation.<value> exists while
 * <value> is current: a hook that remembers the last value tests the
 * marker with one stat ([[ -e ]]) and reads the file only when the
 * marker is gone. The new marker is made after the rename, then the old
 * one is unlinked, so a marker that exists never names a value older
 * than the file's at the moment of the stat.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "generation.h"
#include "log.h"
#include "paths.h"
#include "xmalloc.h"

struct generation {
	char		 path[PATH_MAX];	/* <dir>/generation */
	char		 tmp[PATH_MAX];		/* <dir>/.generation.tmp */
	char		 dir[PATH_MAX];		/* the socket dir */
	char		 marker[PATH_MAX];	/* <dir>/generation.<str>, or "" */
	uint32_t	 instance;
	uint64_t	 counter;
	int		 dirty;			/* bumped since the last write */
	char		 str[32];		/* "<instance>-<counter>" */
};

/* Refresh the cached "<instance>-<counter>" string. */
static void
generation_format(struct generation *g)
{
	snprintf(g->str, sizeof g->str, "%08" PRIx32 "-%" PRIu64,
	    g->instance, g->counter);
}

/* Replace the marker with generation.<str>; failures only cost speed. */
static void
generation_mark(struct generation *g)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/generation.%s", g->dir,
	    g->str) >= sizeof path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("cannot create %s: %s", path, strerror(errno));
		return;
	}
	close(fd);
	if (g->marker[0] != '\0' && strcmp(g->marker, path) != 0 &&
	    unlink(g->marker) == -1 && errno != ENOENT)
		log_warn("unlink %s: %s", g->marker, strerror(errno));
	memcpy(g->marker, path, sizeof path);
}

/* Write the file through a temporary name and rename(2); 0 or -1 with errno. */
static int
generation_write(struct generation *g)
{
	char line[40];
	int fd, n, saved;
	ssize_t w;

	n = snprintf(line, sizeof line, "%s\n", g->str);
	(void)unlink(g->tmp);
	fd = open(g->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	w = write(fd, line, (size_t)n);
	if (w != n) {
		saved = w == -1 ? errno : EIO;
		close(fd);
		unlink(g->tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1 || rename(g->tmp, g->path) == -1) {
		saved = errno;
		unlink(g->tmp);
		errno = saved;
		return -1;
	}
	generation_mark(g);
	return 0;
}

/* Choose a fresh instance prefix and write <dir>/generation. */
struct generation *
generation_new(const char *socket_dir, char *err, size_t errlen)
{
	struct generation *g;
	uint32_t instance = 0;
	ssize_t n;

	g = xcalloc(1, sizeof *g);
	if ((size_t)snprintf(g->path, sizeof g->path, "%s/generation",
	    socket_dir) >= sizeof g->path ||
	    (size_t)snprintf(g->tmp, sizeof g->tmp, "%s/.generation.tmp",
	    socket_dir) >= sizeof g->tmp ||
	    (size_t)snprintf(g->dir, sizeof g->dir, "%s", socket_dir) >=
	    sizeof g->dir) {
		snprintf(err, errlen, "generation file path too long in %s",
		    socket_dir);
		free(g);
		return NULL;
	}
	do {
		n = getrandom(&instance, sizeof instance, 0);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof instance) {
		/* No entropy source: time and pid still differ across restarts. */
		instance = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	}
	g->instance = instance;
	g->counter = 1;
	paths_remove_generation_markers(g->dir);
	generation_format(g);
	if (generation_write(g) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", g->path,
		    strerror(errno));
		free(g);
		return NULL;
	}
	log_debug("generation %s in %s", g->str, g->path);
	return g;
}

/* Release g, removing the file when remove_file is set. */
void
generation_free(struct generation *g, int remove_file)
{
	if (g == NULL)
		return;
	if (remove_file && unlink(g->path) == -1 && errno != ENOENT)
		log_warn("unlink %s: %s", g->path, strerror(errno));
	if (remove_file && g->marker[0] != '\0' && unlink(g->marker) == -1 &&
	    errno != ENOENT)
		log_warn("unlink %s: %s", g->marker, strerror(errno));
	free(g);
}

/* Note a change that can alter an answer; written out by generation_flush(). */
void
generation_bump(struct generation *g)
{
	if (g == NULL)
		return;
	g->counter++;
	g->dirty = 1;
	generation_format(g);
}

/* Write the file if bumped since the last write. */
void
generation_flush(struct generation *g)
{
	if (g == NULL || !g->dirty)
		return;
	if (generation_write(g) == -1) {
		/* Keep dirty so the next flush tries again. */
		log_error("cannot write %s: %s", g->path, strerror(errno));
		return;
	}
	g->dirty = 0;
}

/* "<instance>-<counter>", valid until the next bump. */
const char *
generation_string(const struct generation *g)
{
	return g == NULL ? "" : g->str;
}

/* Are the file and the current marker both there? */
int
generation_intact(const struct generation *g)
{
	struct stat st;

	if (g == NULL)
		return 1;
	return lstat(g->path, &st) == 0 &&
	    (g->marker[0] == '\0' || lstat(g->marker, &st) == 0);
}

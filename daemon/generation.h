/* generation.h: the change counter and its file (generation.c). */
#ifndef VENVD_DAEMON_GENERATION_H
#define VENVD_DAEMON_GENERATION_H

#include <stddef.h>

/* Choose a fresh instance prefix and write <dir>/generation. */
struct generation *generation_new(const char *socket_dir, char *err, size_t errlen);
void	generation_free(struct generation *, int remove_file);
/* Something changed that can alter an answer. Written out by generation_flush(). */
void	generation_bump(struct generation *);
/* Write the file (by rename) if bumped since the last flush. */
void	generation_flush(struct generation *);
/* "<instance>-<counter>", valid until the next bump. */
const char *generation_string(const struct generation *);
/* Are the file and the current marker both there? */
int	generation_intact(const struct generation *);

#endif

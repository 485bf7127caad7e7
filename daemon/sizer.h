/* sizer.h: venv sizes (sizer.c). */
#ifndef VENVD_DAEMON_SIZER_H
#define VENVD_DAEMON_SIZER_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
/*
 * Size of everything below path as du(1) counts it: st_blocks * 512 of
 * every file, directory and symlink (not followed), each inode with
 * st_nlink > 1 once (by dev and ino); entries vanishing mid-walk are
 * skipped. Returns 0 and *bytes, or -1 with errno if path cannot be read.
 */
int	sizer_walk(const char *path, uint64_t *bytes);
/* Start the worker thread and the timer that queues unmeasured venvs. */
struct sizer *sizer_new(struct daemon *);
void	sizer_free(struct sizer *);
/* Measure path soon (it changed). */
void	sizer_kick(struct sizer *);
/*
 * How many venvs (state "ok") were never measured: 0 when none are or
 * no worker runs. *measured is the sizes written in this round of work,
 * *total that plus the ones left (for a progress report).
 */
long	sizer_progress(struct sizer *, long *measured, long *total);

#endif

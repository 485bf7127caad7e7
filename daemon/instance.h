/* instance.h: the instance lock and socket dir, put back when deleted (instance.c). */
#ifndef VENVD_DAEMON_INSTANCE_H
#define VENVD_DAEMON_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
/* Take over the held instance lock fd and watch the socket dir. */
struct instance *instance_new(struct daemon *, int lock_fd, const char *lock_path);
/* Stop watching and release the lock. */
void	instance_free(struct instance *);
/* Check the socket dir now and put back what went (SIGUSR1, timers). */
void	instance_check(struct instance *);
/* watch.c calls this for each event on the watch instance owns. */
void	instance_on_event(struct instance *, int wd, uint32_t mask, const char *name);
/* Did another daemon take the socket dir over (leave its files alone)? */
int	instance_superseded(const struct instance *);
/* Write our pid into the held lock file. */
void	instance_write_pid(int fd);

#endif

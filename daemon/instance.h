/* instance.h: the instance lock and socket dir, put back when deleted (instance.c). */
#ifndef VENVD_DAEMON_INSTANCE_H
#define VENVD_DAEMON_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

struct daemon;

/* What instance.c needs of the rest of the daemon (venvd_daemon.c fills it in). */
struct instance_hooks {
	/* Is the listening socket's file still the one we bound? */
	int	(*socket_intact)(void *ctx);
	/* Bind the listening socket at its path again: 0, or -1 with err. */
	int	(*socket_rebind)(void *ctx, char *err, size_t errlen);
	/* Another daemon owns the socket path now: leave its file alone. */
	void	(*socket_disown)(void *ctx);
	/* Stop the daemon (main then shuts down in order). */
	void	(*shutdown)(void *ctx);
	void	*ctx;
};

/* Take over the held instance lock fd and watch the socket dir (hooks copied). */
struct instance *instance_new(struct daemon *, int lock_fd, const char *lock_path,
	    const struct instance_hooks *);
/* Stop watching and release the lock. */
void	instance_free(struct instance *);
/* Check the socket dir now and put back what went (SIGUSR1, timers). */
void	instance_check(struct instance *);
/* Did another daemon take the socket dir over (leave its files alone)? */
int	instance_superseded(const struct instance *);
/* Write our pid into the held lock file. */
void	instance_write_pid(int fd);

#endif

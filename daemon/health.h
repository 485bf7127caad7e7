/* health.h: the daemon's degraded states and notices (health.c). */
#ifndef VENVD_DAEMON_HEALTH_H
#define VENVD_DAEMON_HEALTH_H

#include <stddef.h>

struct generation;

/* An empty registry; a notice raised, reworded or cleared moves gen (may be NULL). */
struct health *health_new(struct generation *gen);
void	health_free(struct health *);
/* Record (or replace) a degraded state under key, and log it once. */
void	health_degraded_set(struct health *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * The same for a fault every hook shows once: resolve answers carry it
 * in "notices", and the generation moves when it is raised, reworded or
 * cleared, so that shells ask again.
 */
void	health_notice_set(struct health *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Clear the degraded state under key, if any. */
void	health_clear(struct health *, const char *key);
/*
 * The i-th degraded state's reason (for status and "notices"), *notice
 * set when it is a notice; NULL past the last.
 */
const char *health_reason(const struct health *, size_t i, int *notice);

#endif

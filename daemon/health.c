/*
 * health.c: the registry of reasons the daemon is not fully healthy.
 *
 * Any part of the daemon records a degraded state under a key of its
 * own ("overflow", "watch-limit", "root:<path>", "storage", ...) and
 * clears it by that key; status lists every reason. A notice is a
 * degraded state every hook shows once: resolve answers carry it in
 * "notices", and the generation moves when one is raised, reworded or
 * cleared. The registry calls nothing but the generation and the log.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generation.h"
#include "health.h"
#include "log.h"
#include "xmalloc.h"

#define HEALTH_MAX	16

struct health {
	struct generation *gen;
	struct {
		char	*key;
		char	*reason;
		int	 notice;
	}		 states[HEALTH_MAX];
	int		 n;
};

/* An empty registry; notices move gen (may be NULL). */
struct health *
health_new(struct generation *gen)
{
	struct health *h = xcalloc(1, sizeof *h);

	h->gen = gen;
	return h;
}

/* Free every state. */
void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->n; i++) {
		free(h->states[i].key);
		free(h->states[i].reason);
	}
	free(h);
}

/* Record (or replace) a degraded state under key; log it once. 1 if it changed. */
static int
health_set(struct health *h, const char *key, int notice, const char *fmt,
    va_list ap)
{
	char *reason;
	int i;

	if (vasprintf(&reason, fmt, ap) == -1)
		fatal("out of memory");

	for (i = 0; i < h->n; i++) {
		if (strcmp(h->states[i].key, key) != 0)
			continue;
		if (strcmp(h->states[i].reason, reason) == 0) {
			free(reason);
			return 0;
		}
		free(h->states[i].reason);
		h->states[i].reason = reason;
		h->states[i].notice = notice;
		log_warn("degraded (%s): %s", key, reason);
		return 1;
	}
	log_warn("degraded (%s): %s", key, reason);
	if (h->n == HEALTH_MAX) {
		free(reason);
		return 0;
	}
	h->states[h->n].key = xstrdup(key);
	h->states[h->n].reason = reason;
	h->states[h->n].notice = notice;
	h->n++;
	return 1;
}

/* Record (or replace) a degraded state under key, and log it once. */
void
health_degraded_set(struct health *h, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)health_set(h, key, 0, fmt, ap);
	va_end(ap);
}

/* The same for a fault every hook shows once: move the generation on a change. */
void
health_notice_set(struct health *h, const char *key, const char *fmt, ...)
{
	va_list ap;
	int changed;

	va_start(ap, fmt);
	changed = health_set(h, key, 1, fmt, ap);
	va_end(ap);
	if (changed && h->gen != NULL) {
		generation_bump(h->gen);
		generation_flush(h->gen);
	}
}

/* Clear the degraded state under key, if any. */
void
health_clear(struct health *h, const char *key)
{
	for (int i = 0; i < h->n; i++) {
		if (strcmp(h->states[i].key, key) != 0)
			continue;
		log_info("no longer degraded (%s)", key);
		if (h->states[i].notice && h->gen != NULL) {
			generation_bump(h->gen);
			generation_flush(h->gen);
		}
		free(h->states[i].key);
		free(h->states[i].reason);
		h->states[i] = h->states[h->n - 1];
		h->n--;
		return;
	}
}

/* The i-th degraded state's reason, *notice set if a notice; NULL past the last. */
const char *
health_reason(const struct health *h, size_t i, int *notice)
{
	if (h == NULL || i >= (size_t)h->n)
		return NULL;
	if (notice != NULL)
		*notice = h->states[i].notice;
	return h->states[i].reason;
}

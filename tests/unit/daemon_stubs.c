/*
 * daemon_stubs.c: the wiring's functions (daemon/venvd_daemon.c, not in
 * the daemon library) that library modules still call, for suites that
 * link those modules. They record nothing: a unit test that cares about
 * a degraded state checks the module's own state.
 */
#include "config.h"

#include "daemon.h"

/* Stub of venvd_daemon.c's: ignore the degraded state. */
void
daemon_degraded_set(struct daemon *d, const char *key, const char *fmt, ...)
{
	(void)d;
	(void)key;
	(void)fmt;
}

/* Stub of venvd_daemon.c's: ignore the notice. */
void
daemon_notice_set(struct daemon *d, const char *key, const char *fmt, ...)
{
	(void)d;
	(void)key;
	(void)fmt;
}

/* Stub of venvd_daemon.c's: nothing to clear. */
void
daemon_degraded_clear(struct daemon *d, const char *key)
{
	(void)d;
	(void)key;
}

/* Stub of venvd_daemon.c's: no loop to stop. */
void
daemon_shutdown(struct daemon *d)
{
	(void)d;
}

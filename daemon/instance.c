/*
 * instance.c: the daemon's hold on its socket directory: the instance
 * lock, the socket and the generation file, noticed when lost and put
 * back.
 *
 * Tmp cleaners and "rm -rf" of the runtime directory delete these files under
 * a running daemon. An inotify watch on the socket directory (through
 * the one inotify fd of watch.c) reports the socket, the lock file or
 * the generation file going, and the directory itself going; a check
 * every INSTANCE_CHECK_S seconds (lstat and inode compares) and SIGUSR1
 * catch the rest (a lost event, a directory made afresh). A check first
 * waits INSTANCE_SETTLE_S for the deletions to end, then repairs in this
 * order:
 *
 *   1. the directory: made again 0700, with the same checks as at start;
 *   2. the lock: a lock file that is not the one we hold is opened and
 *      locked; if another daemon holds it, that daemon took over: exit
 *      without touching its files;
 *   3. the socket: bound again (connections already open keep working);
 *   4. the generation file and marker: written again with a new value,
 *      so every hook asks afresh.
 *
 * If the repair keeps failing for INSTANCE_GIVE_UP tries, the daemon
 * exits, so that the next client starts a fresh one.
 *
 * The socket and the daemon's end are not instance.c's: it reaches them
 * through the hooks venvd_daemon.c hands it (struct instance_hooks), so
 * it calls neither the server nor main. It owns one watch (watch.c) and
 * checks at once when events were lost.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "generation.h"
#include "instance.h"
#include "watch.h"
#include "log.h"
#include "paths.h"
#include "xmalloc.h"

#define INSTANCE_CHECK_S	2.0	/* the backstop check */
#define INSTANCE_SETTLE_S	0.05	/* after an event, wait this long for more */
#define INSTANCE_RETRY_S	0.5	/* after a failed repair */
#define INSTANCE_GIVE_UP	10	/* failed repairs in a row before exiting */
#define INSTANCE_DIR_MASK	(IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | \
	IN_MOVE_SELF | IN_ONLYDIR)

struct instance {
	struct daemon	*d;
	struct instance_hooks hooks;	/* the socket, and the daemon's end */
	struct watch_owner owner;	/* registered with d->watcher */
	int		 lock_fd;
	char		 lock_path[PATH_MAX];
	const char	*sock_name;	/* basename of the socket */
	const char	*lock_name;	/* basename of the lock file */
	int		 wd;		/* the watch on the socket dir, or -1 */
	int		 failures;	/* failed repairs in a row */
	int		 superseded;	/* another daemon took the socket dir over */
	ev_timer	 settle;
	ev_timer	 backstop;
};

/* The part of path after its last '/'. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* Record our pid in the held lock file. */
void
instance_write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_warn("cannot write pid to the lock file: %s", strerror(errno));
}

/* Watch the socket dir (again: it may be a new directory now). */
static void
instance_watch(struct instance *in)
{
	int wd;

	if (in->d->watcher == NULL)
		return;
	wd = watch_add_owned(in->d->watcher, in->d->socket_dir,
	    INSTANCE_DIR_MASK, &in->owner);
	if (wd == -1) {
		log_warn("cannot watch %s: %s; checking it every %.0f s",
		    in->d->socket_dir, strerror(errno), INSTANCE_CHECK_S);
		return;
	}
	if (in->wd != -1 && in->wd != wd)
		watch_remove_owned(in->d->watcher, in->wd, &in->owner);
	in->wd = wd;
}

/* Is the file at path the one open as fd? */
static int
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Hold the lock on the lock file at its path, making it again if it
 * went. 0 held, 1 another daemon holds it, -1 with err.
 */
static int
instance_relock(struct instance *in, char *err, size_t errlen)
{
	int fd;

	if (same_file(in->lock_fd, in->lock_path))
		return 0;
	fd = open(in->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open lock file %s: %s",
		    in->lock_path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			close(fd);
			return 1;
		}
		snprintf(err, errlen, "cannot lock %s: %s", in->lock_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	instance_write_pid(fd);
	close(in->lock_fd);
	in->lock_fd = fd;
	log_warn("the lock file %s was removed: made it again", in->lock_path);
	return 0;
}

/* Put back what is missing. 0 done, 1 superseded, -1 with err. */
static int
instance_repair(struct instance *in, char *err, size_t errlen)
{
	struct daemon *d = in->d;
	int rc;

	if (paths_private_dir(d->socket_dir, 1, err, errlen) == -1)
		return -1;
	if ((rc = instance_relock(in, err, errlen)) != 0)
		return rc;
	instance_watch(in);
	if (!in->hooks.socket_intact(in->hooks.ctx)) {
		log_warn("the socket %s was removed: binding it again",
		    d->socket_path);
		if (in->hooks.socket_rebind(in->hooks.ctx, err, errlen) == -1)
			return -1;
		/* Shells that fell back to resolving alone now ask again. */
		generation_bump(d->gen);
	}
	if (!generation_intact(d->gen)) {
		log_warn("the generation file was removed: writing it again");
		generation_bump(d->gen);
	}
	generation_flush(d->gen);
	if (!generation_intact(d->gen)) {
		snprintf(err, errlen, "cannot write the generation file in %s",
		    d->socket_dir);
		return -1;
	}
	return 0;
}

/* Check now, and repair; exit when another daemon took over or repair is hopeless. */
void
instance_check(struct instance *in)
{
	struct daemon *d;
	char err[PATH_MAX + 256];
	int rc;

	if (in == NULL || in->superseded)
		return;
	d = in->d;
	err[0] = '\0';
	if ((rc = instance_repair(in, err, sizeof err)) == 0) {
		if (in->failures > 0)
			log_info("the socket directory %s is whole again",
			    d->socket_dir);
		in->failures = 0;
		return;
	}
	if (rc == 1) {
		log_warn("another daemon now holds %s: exiting and leaving "
		    "it its socket", in->lock_path);
		in->superseded = 1;
		in->hooks.socket_disown(in->hooks.ctx);
		in->hooks.shutdown(in->hooks.ctx);
		return;
	}
	if (++in->failures >= INSTANCE_GIVE_UP) {
		log_error("cannot restore %s: %s; exiting so that the next "
		    "client starts a fresh daemon", d->socket_path, err);
		in->hooks.shutdown(in->hooks.ctx);
		return;
	}
	log_warn("cannot restore %s yet: %s", d->socket_path, err);
	ev_timer_stop(d->loop, &in->settle);
	ev_timer_set(&in->settle, INSTANCE_RETRY_S, 0.);
	ev_timer_start(d->loop, &in->settle);
}

/* The settle or backstop timer fired: check. */
static void
instance_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	instance_check(w->data);
}

/* Events were lost (struct watch_owner): a deletion may be among them; check now. */
static void
instance_on_overflow(void *ctx)
{
	instance_check(ctx);
}

/* An event on the socket dir (struct watch_owner); check once the deletions settle. */
static void
instance_on_event(void *ctx, int wd, uint32_t mask, const char *name)
{
	struct instance *in = ctx;

	if (in == NULL || wd != in->wd)
		return;
	if (mask & IN_IGNORED)
		in->wd = -1;
	if (!(mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) &&
	    (name == NULL || (strcmp(name, in->sock_name) != 0 &&
	    strcmp(name, in->lock_name) != 0 && strcmp(name, "generation") != 0)))
		return;
	if (!(mask & (IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
	    IN_MOVE_SELF | IN_IGNORED)))
		return;
	ev_timer_stop(in->d->loop, &in->settle);
	ev_timer_set(&in->settle, INSTANCE_SETTLE_S, 0.);
	ev_timer_start(in->d->loop, &in->settle);
}

/* Take over the held lock fd and start watching the socket dir. */
struct instance *
instance_new(struct daemon *d, int lock_fd, const char *lock_path,
    const struct instance_hooks *hooks)
{
	struct instance *in = xcalloc(1, sizeof *in);

	in->d = d;
	in->hooks = *hooks;
	in->owner.name = "instance";
	in->owner.on_event = instance_on_event;
	in->owner.on_overflow = instance_on_overflow;
	in->owner.ctx = in;
	(void)watch_register(d->watcher, &in->owner);
	in->lock_fd = lock_fd;
	snprintf(in->lock_path, sizeof in->lock_path, "%s", lock_path);
	in->sock_name = base_name(d->socket_path);
	in->lock_name = base_name(in->lock_path);
	in->wd = -1;
	instance_watch(in);
	ev_init(&in->settle, instance_timer_cb);
	in->settle.data = in;
	ev_timer_init(&in->backstop, instance_timer_cb, INSTANCE_CHECK_S,
	    INSTANCE_CHECK_S);
	in->backstop.data = in;
	ev_timer_start(d->loop, &in->backstop);
	return in;
}

/* Did another daemon take the socket dir over (leave its files alone)? */
int
instance_superseded(const struct instance *in)
{
	return in != NULL && in->superseded;
}

/* Stop the timers and release the lock. */
void
instance_free(struct instance *in)
{
	if (in == NULL)
		return;
	ev_timer_stop(in->d->loop, &in->settle);
	ev_timer_stop(in->d->loop, &in->backstop);
	watch_unregister(in->d->watcher, &in->owner);
	close(in->lock_fd);
	free(in);
}

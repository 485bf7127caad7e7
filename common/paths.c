/* paths.c: where venvd keeps its socket, state and config, and the checks on them. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.h"

/* Format into out; -1 with an error if it does not fit. */
static int
fmt_path(char *out, size_t len, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fmt_path(char *out, size_t len, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	return 0;
}

/* An environment variable that is set to an absolute path, or NULL. */
static const char *
env_abs(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] == '/') ? v : NULL;
}

/* The home directory: $HOME, else the password database. */
const char *
paths_home(void)
{
	const char *h = env_abs("HOME");
	struct passwd *pw;

	if (h != NULL)
		return h;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : NULL;
}

/* Where logind makes each user's runtime directory; tests point it elsewhere. */
static const char *run_user_base = "/run/user";

/* Look for the runtime directory under base instead of /run/user (tests). */
void
paths_set_run_user_base(const char *base)
{
	run_user_base = base;
}

/*
 * With no XDG_RUNTIME_DIR (cron, su, a service without a session), the
 * directory logind gives this user, /run/user/UID, when it is there and
 * private to us: the same one the session's daemon uses. NULL otherwise.
 */
static const char *
run_user_dir(char *buf, size_t len)
{
	struct stat st;
	int n;

	n = snprintf(buf, len, "%s/%lu", run_user_base, (unsigned long)getuid());
	if (n < 0 || (size_t)n >= len)
		return NULL;
	if (lstat(buf, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0)
		return NULL;
	return buf;
}

/* The socket path. */
int
paths_socket(char *out, size_t len, char *err, size_t errlen)
{
	char run[PATH_MAX];
	const char *v = getenv("VENVD_SOCKET");
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);

	if (v != NULL && v[0] != '\0') {
		if (v[0] != '/') {
			snprintf(err, errlen, "VENVD_SOCKET must be an absolute path");
			return -1;
		}
		if (fmt_path(out, len, err, errlen, "%s", v) == -1)
			return -1;
	} else if ((v = env_abs("XDG_RUNTIME_DIR")) != NULL ||
	    (v = run_user_dir(run, sizeof run)) != NULL) {
		if (fmt_path(out, len, err, errlen, "%s/venvd/venvd.sock", v) == -1)
			return -1;
	} else if (fmt_path(out, len, err, errlen, "/tmp/venvd-%lu/venvd.sock",
	    (unsigned long)getuid()) == -1)
		return -1;
	if (strlen(out) >= max) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes", out, max - 1);
		return -1;
	}
	return 0;
}

/* The directory holding the socket. */
int
paths_socket_dir(char *out, size_t len, char *err, size_t errlen)
{
	char *slash;

	if (paths_socket(out, len, err, errlen) == -1)
		return -1;
	slash = strrchr(out, '/');
	if (slash == out)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* <socket dir>/generation. */
int
paths_generation_file(char *out, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (paths_socket_dir(dir, sizeof dir, err, errlen) == -1)
		return -1;
	return fmt_path(out, len, err, errlen, "%s/generation", dir);
}

/* <socket>.lock. */
int
paths_lock_file(char *out, size_t len, char *err, size_t errlen)
{
	char sock[PATH_MAX];

	if (paths_socket(sock, sizeof sock, err, errlen) == -1)
		return -1;
	return fmt_path(out, len, err, errlen, "%s.lock", sock);
}

/* <socket dir>/autostart.lock. */
int
paths_autostart_lock(char *out, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (paths_socket_dir(dir, sizeof dir, err, errlen) == -1)
		return -1;
	return fmt_path(out, len, err, errlen, "%s/autostart.lock", dir);
}

/* $XDG_<name>_HOME/venvd, or ~/<fallback>/venvd. */
static int
xdg_dir(char *out, size_t len, char *err, size_t errlen, const char *var,
    const char *fallback)
{
	const char *v = env_abs(var), *home;

	if (v != NULL)
		return fmt_path(out, len, err, errlen, "%s/venvd", v);
	if ((home = paths_home()) == NULL) {
		snprintf(err, errlen, "neither %s nor HOME is set", var);
		return -1;
	}
	return fmt_path(out, len, err, errlen, "%s/%s/venvd", home, fallback);
}

/* $XDG_STATE_HOME/venvd. */
int
paths_state_dir(char *out, size_t len, char *err, size_t errlen)
{
	return xdg_dir(out, len, err, errlen, "XDG_STATE_HOME", ".local/state");
}

/* $XDG_CONFIG_HOME/venvd/config. */
int
paths_config_file(char *out, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (xdg_dir(dir, sizeof dir, err, errlen, "XDG_CONFIG_HOME", ".config") == -1)
		return -1;
	return fmt_path(out, len, err, errlen, "%s/config", dir);
}

/* mkdir -p with mode 0700 for the parts we create. */
static int
mkdir_parents(const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
				snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* Check (and optionally create) a private directory. */
int
paths_private_dir(const char *dir, int create, char *err, size_t errlen)
{
	struct stat st;

	if (create && mkdir_parents(dir, err, errlen) == -1)
		return -1;
	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link; refusing to use it", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != getuid()) {
		snprintf(err, errlen, "%s is owned by uid %lu, not by us (uid %lu)",
		    dir, (unsigned long)st.st_uid, (unsigned long)getuid());
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s has mode %04o; it must not be accessible "
		    "to group or others (chmod 700 %s)", dir,
		    (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* Refuse a file that is not ours or is open to others. */
int
paths_private_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != getuid()) {
		snprintf(err, errlen, "%s is owned by uid %lu, not by us",
		    path, (unsigned long)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s has mode %04o; it must be 0600 (chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* Remove every generation marker (generation.<value>) in dir. */
void
paths_remove_generation_markers(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "generation.", 11) == 0)
			(void)unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
}

/*
 * For path, which does not exist: the nearest directory above it that
 * does, into dir (PATH_MAX + 1), and the name of its entry on the way to
 * path, into name (NAME_MAX + 1). 0, or -1 if there is none.
 */
int
paths_absent_parent(const char *path, char *dir, char *name)
{
	struct stat sb;
	char *slash;

	if (snprintf(dir, PATH_MAX + 1, "%s", path) > PATH_MAX)
		return -1;
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (strlen(slash + 1) > NAME_MAX)
			return -1;
		snprintf(name, NAME_MAX + 1, "%s", slash + 1);
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (name[0] != '\0' && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
			return 0;
		if (slash == dir)
			return -1;
	}
	return -1;
}

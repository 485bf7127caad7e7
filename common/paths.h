/* paths.h: where venvd keeps its socket, state and config, and the checks on them. */
#ifndef VENVD_PATHS_H
#define VENVD_PATHS_H

#include <stddef.h>

/*
 * The socket: $VENVD_SOCKET, else $XDG_RUNTIME_DIR/venvd/venvd.sock,
 * else /run/user/$UID/venvd/venvd.sock when that directory is ours and
 * private, else /tmp/venvd-$UID/venvd.sock. Returns -1 with err if it
 * does not fit.
 */
int	paths_socket(char *out, size_t len, char *err, size_t errlen);
/* Look for /run/user/$UID under base instead (for tests). */
void	paths_set_run_user_base(const char *base);
/* The directory holding the socket (and the lock and generation files). */
int	paths_socket_dir(char *out, size_t len, char *err, size_t errlen);
/* <socket dir>/generation: the daemon's change counter that hooks read. */
int	paths_generation_file(char *out, size_t len, char *err, size_t errlen);
/* <socket>.lock: held with flock by the running daemon. */
int	paths_lock_file(char *out, size_t len, char *err, size_t errlen);
/* <socket dir>/autostart.lock: taken by clients that start the daemon. */
int	paths_autostart_lock(char *out, size_t len, char *err, size_t errlen);
/* $XDG_STATE_HOME/venvd, default ~/.local/state/venvd. */
int	paths_state_dir(char *out, size_t len, char *err, size_t errlen);
/* $XDG_CONFIG_HOME/venvd/config, default ~/.config/venvd/config. */
int	paths_config_file(char *out, size_t len, char *err, size_t errlen);

/*
 * Make sure dir is private to us: create it 0700 (and missing parents
 * 0700) when create is set, then lstat it and refuse a symlink, a
 * non-directory, another owner or any group/other permission bit.
 * Returns 0, or -1 with a reason in err.
 */
int	paths_private_dir(const char *dir, int create, char *err, size_t errlen);
/*
 * Refuse a file that exists but is not a regular file owned by us with
 * no group/other bits. A missing file is fine. Returns 0 or -1 with err.
 */
int	paths_private_file(const char *path, char *err, size_t errlen);

/* The home directory: $HOME, else the password database. NULL if none. */
const char *paths_home(void);

/*
 * Remove every generation marker (generation.<value>) in dir, the socket
 * directory: the daemon at start, the client for a dead daemon.
 */
void	paths_remove_generation_markers(const char *dir);
/*
 * For path, which does not exist: the nearest directory above it that
 * does, into dir (PATH_MAX + 1 bytes), and the name of its entry on the
 * way to path, into name (NAME_MAX + 1). 0, or -1 if there is none.
 */
int	paths_absent_parent(const char *path, char *dir, char *name);

#endif

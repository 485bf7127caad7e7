/*
 * trust.c: the hard rule and the shadow rule (see trust.h).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust.h"
#include "xmalloc.h"

/*
 * Names a venv's bin/ must not hold: the coreutils set, privilege and
 * remote-access tools, version control, the shells, and the everyday
 * commands a user types without thinking. Sorted for bsearch.
 */
const char *const trust_core_commands[] = {
	"[", "arch", "awk", "b2sum", "base32", "base64", "basename", "basenc",
	"bash", "bunzip2", "bzip2", "cat", "cc", "chcon", "chgrp", "chmod",
	"chown", "chroot", "chsh", "cksum", "clear", "comm", "cp", "crontab",
	"csh", "csplit", "curl", "cut", "dash", "date", "dd", "df", "diff",
	"dir", "dircolors", "dirname", "doas", "du", "echo", "ed", "egrep",
	"emacs", "env", "ex", "expand", "expr", "factor", "false", "fgrep",
	"file", "find", "fish", "fmt", "fold", "gawk", "gcc", "git", "gpg",
	"gpg-agent", "grep", "groups", "gunzip", "gzip", "head", "hostid",
	"hostname", "id", "install", "ip", "join", "kill", "killall", "ksh",
	"less", "link", "ln", "login", "logname", "ls", "lsof", "make",
	"man", "md5sum", "mkdir", "mkfifo", "mknod", "mktemp", "more",
	"mount", "mv", "nano", "nc", "newgrp", "nice", "nl", "nohup", "nproc",
	"numfmt", "nvim", "od", "openssl", "passwd", "paste", "pathchk",
	"pinky", "pkexec", "pr", "printenv", "printf", "ps", "ptx", "pwd",
	"readlink", "realpath", "rm", "rmdir", "rsync", "runcon", "scp",
	"screen", "sed", "seq", "setsid", "sftp", "sh", "sha1sum",
	"sha224sum", "sha256sum", "sha384sum", "sha512sum", "shred", "shuf",
	"sleep", "sort", "split", "ssh", "ssh-add", "ssh-agent", "ssh-keygen",
	"stat", "stdbuf", "stty", "su", "sudo", "sudoedit", "sum", "sync",
	"systemctl", "tac", "tail", "tar", "tcsh", "tee", "test", "timeout",
	"tmux", "top", "touch", "tr", "true", "truncate", "tsort", "tty",
	"umount", "uname", "unexpand", "uniq", "unlink", "unzip", "users",
	"vdir", "vi", "vim", "wc", "wget", "which", "who", "whoami", "xargs",
	"yes", "zip", "zsh",
	NULL,
};

/* bsearch comparator: a name against a table entry. */
static int
cmd_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

/* Is name a core system command a venv must not shadow? */
int
trust_is_core_command(const char *name)
{
	size_t n = 0;

	while (trust_core_commands[n] != NULL)
		n++;
	return bsearch(name, trust_core_commands, n, sizeof trust_core_commands[0],
	    cmd_cmp) != NULL;
}

/*
 * Is gid a user private group of uid: uid's primary group, with no other
 * member and no other user's primary group? (Debian's OpenSSH applies
 * the same test.) Group write permission on such a group adds no writer,
 * so umask 002 on user-private-group systems does not count as unsafe.
 */
static int
group_is_private(gid_t gid, uid_t uid)
{
	struct passwd *pw;
	struct group *gr;
	char *name;
	int ok = 1;

	if ((pw = getpwuid(uid)) == NULL || pw->pw_gid != gid)
		return 0;
	name = xstrdup(pw->pw_name);
	if ((gr = getgrgid(gid)) == NULL)
		ok = 0;
	for (char **m = gr != NULL ? gr->gr_mem : NULL; ok && m != NULL && *m != NULL; m++) {
		if (strcmp(*m, name) != 0)
			ok = 0;
	}
	setpwent();
	while (ok && (pw = getpwent()) != NULL) {
		if (pw->pw_gid == gid && pw->pw_uid != uid)
			ok = 0;
	}
	endpwent();
	free(name);
	return ok;
}

/* Check one part (stat follows symlinks): owner us or root, no group/other write. */
static int
check_part(const char *path, const char *what, int want_dir, char *reason,
    size_t len)
{
	struct stat st;
	uid_t me = geteuid();

	if (stat(path, &st) == -1) {
		snprintf(reason, len, "cannot examine %s: %s", what, strerror(errno));
		return -1;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		snprintf(reason, len, "%s is not a directory", what);
		return -1;
	}
	if (!want_dir && !S_ISREG(st.st_mode)) {
		snprintf(reason, len, "%s is not a regular file", what);
		return -1;
	}
	if (st.st_uid != me && st.st_uid != 0) {
		snprintf(reason, len, "%s is owned by uid %ld, not by you or root",
		    what, (long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & S_IWGRP) && !(st.st_mode & S_IWOTH) &&
	    group_is_private(st.st_gid, me))
		return 0;
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(reason, len, "%s is writable by %s", what,
		    (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ?
		    "group and others" : (st.st_mode & S_IWGRP) ? "group" : "others");
		return -1;
	}
	return 0;
}

/* Apply the hard rule; 0 or -1 with the reason. */
int
trust_hard_rule(const char *venv, char *reason, size_t len)
{
	char path[PATH_MAX];

	if (check_part(venv, "the venv directory", 1, reason, len) == -1)
		return -1;
	if (snprintf(path, sizeof path, "%s/bin", venv) >= (int)sizeof path) {
		snprintf(reason, len, "path too long");
		return -1;
	}
	if (check_part(path, "bin/", 1, reason, len) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/pyvenv.cfg", venv);
	if (check_part(path, "pyvenv.cfg", 0, reason, len) == -1)
		return -1;
	return 0;
}

/* Apply the shadow rule; 0, 1 with the reason, or -1 with the reason. */
int
trust_shadow_rule(const char *venv, char *reason, size_t len)
{
	char path[PATH_MAX], *first = NULL;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	if (snprintf(path, sizeof path, "%s/bin", venv) >= (int)sizeof path) {
		snprintf(reason, len, "path too long");
		return -1;
	}
	if ((dir = opendir(path)) == NULL) {
		snprintf(reason, len, "cannot read bin/: %s", strerror(errno));
		return -1;
	}
	fd = dirfd(dir);
	while ((de = readdir(dir)) != NULL) {
		if (!trust_is_core_command(de->d_name))
			continue;
		/* Executable by someone, following symlinks; a dangling link is harmless. */
		if (fstatat(fd, de->d_name, &st, 0) == -1 || S_ISDIR(st.st_mode) ||
		    (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
			continue;
		if (first == NULL || strcmp(de->d_name, first) < 0) {
			free(first);
			first = xstrdup(de->d_name);
		}
	}
	closedir(dir);
	if (first == NULL)
		return 0;
	snprintf(reason, len, "bin/%s shadows a system command", first);
	free(first);
	return 1;
}

/* The venv's real path, device, inode and birth time. */
int
trust_identity(const char *venv, char **real, struct trust_id *id)
{
	struct statx stx;
	char *r;

	if ((r = realpath(venv, NULL)) == NULL)
		return -1;
	if (statx(AT_FDCWD, r, 0, STATX_BASIC_STATS | STATX_BTIME, &stx) == -1) {
		free(r);
		return -1;
	}
	*real = r;
	id->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	id->ino = (ino_t)stx.stx_ino;
	id->born = (stx.stx_mask & STATX_BTIME) ?
	    (long long)stx.stx_btime.tv_sec * 1000000000LL + stx.stx_btime.tv_nsec : 0;
	return 0;
}

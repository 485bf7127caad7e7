/*
 * trust_rules.c: the hard rule and the shadow rule (see trust_rules.h).
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
#include <strings.h>
#include <unistd.h>

#include "trust_rules.h"
#include "xmalloc.h"

/*
 * Names a venv's bin/ must not hold under trust = auto (venvd allow
 * lifts it, and its snapshot then covers the names it saw). Sorted for
 * bsearch; matched without regard to case, since bin/Ls runs for "ls" on
 * a case-insensitive file system and reads as ls anywhere.
 *
 * What is listed: what a user types expecting the system's copy and
 * that a venv has no reason to carry: the coreutils set; privilege tools
 * (sudo, doas, pkexec, run0, su, visudo, user and firewall admin);
 * remote access and keys (ssh*, scp, gpg*, nc and friends, curl, wget);
 * version control and its forge (git, gh); the shells and busybox;
 * editors and pagers; system package managers (apt*, dpkg, dnf, yum,
 * rpm, pacman, zypper, apk, snap, flatpak, brew); container and cluster
 * tools (docker, podman, kubectl, helm); other language runtimes and
 * their package managers (perl, ruby, gem, irb, php, java, go, cargo,
 * rustc, rustup, node, npm, npx, corepack); compilers and the linker.
 *
 * node, npm, npx and corepack are listed although nodeenv (nodeenv -p)
 * and nodejs-bin put them in a venv on purpose: in a venv nobody made
 * that way they replace the system's node for every JavaScript tool, and
 * a nodeenv venv needs one venvd allow, whose snapshot then covers them
 * for good (a later new name still revokes it).
 *
 * What is not listed, although some look system-wide: python*, pip*,
 * activate*, deactivate, and entry points pip commonly installs into a
 * venv by design: cmake, ninja, meson, aws, az, docker-compose, ansible*,
 * http/https (httpie), tox, pytest... Listing them would make every
 * build-tool venv ask, and a user who installs them there wants the
 * venv's copy.
 */
const char *const trust_rule_core_commands[] = {
	"[", "apk", "apt", "apt-cache", "apt-get", "aptitude", "arch", "at",
	"awk", "b2sum", "base32", "base64", "basename", "basenc", "bash",
	"brew", "bunzip2", "busybox", "bzip2", "c++", "cargo", "cat", "cc",
	"chcon", "chgrp", "chmod", "chown", "chroot", "chsh", "cksum", "clang",
	"clear", "comm", "corepack", "cp", "crontab", "csh", "csplit", "curl",
	"cut", "dash", "date", "dd", "df", "diff", "dig", "dir", "dircolors",
	"dirname", "dnf", "doas", "docker", "dpkg", "du", "echo", "ed", "egrep",
	"emacs", "env", "ex", "expand", "expr", "factor", "false", "fgrep",
	"file", "find", "fish", "flatpak", "fmt", "fold", "g++", "gawk", "gcc",
	"gem", "gh", "git", "go", "gpg", "gpg-agent", "gpg2", "grep", "groups",
	"gunzip", "gzip", "head", "helm", "hostid", "hostname", "id", "install",
	"ip", "iptables", "irb", "java", "join", "journalctl", "kill",
	"killall", "ksh", "kubectl", "ld", "less", "link", "ln", "login",
	"loginctl", "logname", "ls", "lsof", "make", "man", "md5sum", "mkdir",
	"mkfifo", "mknod", "mksh", "mktemp", "more", "mount", "mv", "nano",
	"nc", "ncat", "netcat", "newgrp", "nft", "nice", "nl", "node", "nohup",
	"npm", "nproc", "npx", "numfmt", "nvim", "od", "openssl", "pacman",
	"passwd", "paste", "pathchk", "perl", "php", "ping", "pinky", "pkexec",
	"podman", "poweroff", "pr", "printenv", "printf", "ps", "ptx", "pwd",
	"readlink", "realpath", "reboot", "rm", "rmdir", "rpm", "rsync", "ruby",
	"run0", "runcon", "rustc", "rustup", "scp", "screen", "sed", "seq",
	"service", "setsid", "sftp", "sh", "sha1sum", "sha224sum", "sha256sum",
	"sha384sum", "sha512sum", "shred", "shuf", "shutdown", "sleep", "snap",
	"socat", "sort", "split", "ssh", "ssh-add", "ssh-agent", "ssh-copy-id",
	"ssh-keygen", "stat", "stdbuf", "stty", "su", "sudo", "sudoedit", "sum",
	"sync", "systemctl", "tac", "tail", "tar", "tcsh", "tee", "telnet",
	"test", "timeout", "tmux", "top", "touch", "tr", "true", "truncate",
	"tsort", "tty", "umount", "uname", "unexpand", "uniq", "unlink",
	"unzip", "useradd", "userdel", "usermod", "users", "vdir", "vi", "vim",
	"visudo", "wc", "wget", "which", "who", "whoami", "xargs", "xdg-open",
	"yes", "yum", "zip", "zsh", "zypper",

	NULL,
};

/* bsearch comparator: a name against a table entry, ignoring case. */
static int
cmd_cmp(const void *key, const void *elem)
{
	return strcasecmp((const char *)key, *(const char *const *)elem);
}

/* Is name a core system command a venv must not shadow (in any case)? */
int
trust_rule_core_command(const char *name)
{
	size_t n = 0;

	while (trust_rule_core_commands[n] != NULL)
		n++;
	return bsearch(name, trust_rule_core_commands, n, sizeof trust_rule_core_commands[0],
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

/* What the hard rule needs while it runs: who we are, one group answer. */
struct hard {
	uid_t		 me;
	gid_t		 gid;		/* the last group asked about */
	int		 gid_known;
	int		 gid_private;
};

/* Is gid our user private group? (Asked once per gid per rule run.) */
static int
hard_group_private(struct hard *h, gid_t gid)
{
	if (!h->gid_known || h->gid != gid) {
		h->gid = gid;
		h->gid_private = group_is_private(gid, h->me);
		h->gid_known = 1;
	}
	return h->gid_private;
}

/*
 * Who besides us and root can write to a file with this stat: NULL for
 * no one, else "group", "others" or "group and others". Group write on
 * our user private group adds no one.
 */
static const char *
hard_writers(struct hard *h, const struct stat *st)
{
	int grp = (st->st_mode & S_IWGRP) != 0, oth = (st->st_mode & S_IWOTH) != 0;

	if (grp && !oth && hard_group_private(h, st->st_gid))
		grp = 0;
	if (grp && oth)
		return "group and others";
	return grp ? "group" : oth ? "others" : NULL;
}

/* Is st owned by us or root? */
static int
hard_owner_ok(struct hard *h, const struct stat *st)
{
	return st->st_uid == h->me || st->st_uid == 0;
}

/* Check one part (stat follows symlinks): owner us or root, no group/other write. */
static int
check_part(struct hard *h, const char *path, const char *what, int want_dir,
    char *reason, size_t len)
{
	struct stat st;
	const char *who;

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
	if (!hard_owner_ok(h, &st)) {
		snprintf(reason, len, "%s is owned by uid %ld, not by you or root",
		    what, (long)st.st_uid);
		return -1;
	}
	if ((who = hard_writers(h, &st)) != NULL) {
		snprintf(reason, len, "%s is writable by %s", what, who);
		return -1;
	}
	return 0;
}

/*
 * Check the directories above path (a real path) up to /: each owned by
 * us or root, and writable by no one else unless sticky (every entry
 * below it is then ours or root's, which others cannot rename or
 * remove). what names the bin/ entry that leads there.
 */
static int
check_dirs_above(struct hard *h, const char *path, const char *what,
    char *reason, size_t len)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	const char *who;

	if (strlen(path) >= sizeof dir)
		return 0;
	strcpy(dir, path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &st) == -1) {
			snprintf(reason, len, "cannot examine %s (where %s leads): %s",
			    dir, what, strerror(errno));
			return -1;
		}
		if (!hard_owner_ok(h, &st)) {
			snprintf(reason, len, "%s links into %s, which is owned by uid %ld",
			    what, dir, (long)st.st_uid);
			return -1;
		}
		if ((who = hard_writers(h, &st)) != NULL && !(st.st_mode & S_ISVTX)) {
			snprintf(reason, len, "%s links into %s, which is writable by %s",
			    what, dir, who);
			return -1;
		}
		if (strcmp(dir, "/") == 0)
			break;
	}
	return 0;
}

/*
 * A dangling link bin/NAME (at path): harmless unless someone else could
 * make the missing file. Follow the chain to the first missing path, find
 * the nearest directory above it that exists, and require that only we
 * or root can create names there (sticky does not help: the name is
 * free) and in the directories above it.
 */
static int
check_dangling(struct hard *h, const char *path, const char *what,
    char *reason, size_t len)
{
	char cur[PATH_MAX], next[PATH_MAX], target[PATH_MAX], *real = NULL, *slash;
	struct stat st;
	const char *who;
	ssize_t n;
	int hops;

	if (strlen(path) >= sizeof cur)
		return 0;
	strcpy(cur, path);
	for (hops = 0; hops < 40; hops++) {
		if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode))
			break;
		if ((n = readlink(cur, target, sizeof target - 1)) == -1)
			break;
		target[n] = '\0';
		if (target[0] == '/')
			snprintf(next, sizeof next, "%s", target);
		else {
			slash = strrchr(cur, '/');
			if (snprintf(next, sizeof next, "%.*s/%s", (int)(slash - cur), cur,
			    target) >= (int)sizeof next)
				return 0;
		}
		strcpy(cur, next);
	}
	if (hops == 40)
		return 0;	/* a loop: nothing can run through it */
	/* The nearest existing directory above the missing path. */
	while ((slash = strrchr(cur, '/')) != NULL) {
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
		if ((real = realpath(cur, NULL)) != NULL)
			break;
		if (strcmp(cur, "/") == 0)
			return 0;
	}
	if (slash == NULL || real == NULL)
		return 0;
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return 0;	/* nothing can be created below a file */
	}
	if (!hard_owner_ok(h, &st)) {
		snprintf(reason, len, "%s links to a missing file in %s, which is owned by uid %ld",
		    what, real, (long)st.st_uid);
		free(real);
		return -1;
	}
	if ((who = hard_writers(h, &st)) != NULL) {
		snprintf(reason, len, "%s links to a missing file in %s, which is writable by %s",
		    what, real, who);
		free(real);
		return -1;
	}
	n = check_dirs_above(h, real, what, reason, len);
	free(real);
	return n == -1 ? -1 : 0;
}

/*
 * Check where the link bin/NAME (at path) finally leads: a file owned by
 * us or root, writable by no one else, in directories only we or root
 * control. A dangling link is checked by check_dangling.
 */
static int
check_link_target(struct hard *h, const char *path, const char *what,
    char *reason, size_t len)
{
	struct stat st;
	const char *who;
	char *real;
	int rc;

	if ((real = realpath(path, NULL)) == NULL) {
		if (errno == ENOENT)
			return check_dangling(h, path, what, reason, len);
		if (errno == ELOOP || errno == ENOTDIR)
			return 0;	/* nothing can run through it */
		snprintf(reason, len, "cannot examine where %s leads: %s", what,
		    strerror(errno));
		return -1;
	}
	if (stat(real, &st) == -1) {
		snprintf(reason, len, "cannot examine where %s leads: %s", what,
		    strerror(errno));
		free(real);
		return -1;
	}
	if (!hard_owner_ok(h, &st)) {
		snprintf(reason, len, "%s links to a file owned by uid %ld", what,
		    (long)st.st_uid);
		free(real);
		return -1;
	}
	if ((who = hard_writers(h, &st)) != NULL) {
		snprintf(reason, len, "%s links to a file writable by %s", what, who);
		free(real);
		return -1;
	}
	rc = check_dirs_above(h, real, what, reason, len);
	free(real);
	return rc;
}

/*
 * Check every entry of bin/ (at bin, a real path): owned by us or root,
 * writable by no one else; for a symlink, also where it leads. One
 * readdir and one fstatat per entry, plus the target's for links.
 */
static int
check_bin_entries(struct hard *h, const char *bin, char *reason, size_t len)
{
	char what[NAME_MAX + 16], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	const char *who;
	DIR *dir;
	int fd, rc = 0;

	if ((dir = opendir(bin)) == NULL) {
		snprintf(reason, len, "cannot read bin/: %s", strerror(errno));
		return -1;
	}
	fd = dirfd(dir);
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(what, sizeof what, "bin/%s", de->d_name);
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			snprintf(reason, len, "cannot examine %s: %s", what, strerror(errno));
			rc = -1;
		} else if (!hard_owner_ok(h, &st)) {
			snprintf(reason, len, "%s is owned by uid %ld, not by you or root",
			    what, (long)st.st_uid);
			rc = -1;
		} else if (S_ISLNK(st.st_mode)) {
			/* A link's own mode means nothing; where it leads does. */
			if (snprintf(path, sizeof path, "%s/%s", bin, de->d_name) >=
			    (int)sizeof path) {
				snprintf(reason, len, "path too long");
				rc = -1;
			} else
				rc = check_link_target(h, path, what, reason, len);
		} else if ((who = hard_writers(h, &st)) != NULL) {
			snprintf(reason, len, "%s is writable by %s", what, who);
			rc = -1;
		}
	}
	closedir(dir);
	return rc;
}

/* The hard rule for a pointer file, from the fstat of what was read. */
int
trust_rule_pointer(const struct stat *st, char *reason, size_t len)
{
	struct hard h = { .me = geteuid() };
	const char *who;

	if (!S_ISREG(st->st_mode)) {
		snprintf(reason, len, "it is not a regular file");
		return -1;
	}
	if (!hard_owner_ok(&h, st)) {
		snprintf(reason, len, "it is owned by uid %ld, not by you or root",
		    (long)st->st_uid);
		return -1;
	}
	if ((who = hard_writers(&h, st)) != NULL) {
		snprintf(reason, len, "it is writable by %s", who);
		return -1;
	}
	return 0;
}

/* Is dir/name there (any type, not followed)? */
static int
entry_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
	    name) >= (int)sizeof path)
		return 1;	/* cannot tell: say yes */
	return lstat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

/* Could git take dir itself for a bare repository (HEAD, objects/, refs/)? */
static int
looks_bare(const char *dir)
{
	return entry_exists(dir, "HEAD") && entry_exists(dir, "objects") &&
	    entry_exists(dir, "refs");
}

/* Could a git repository hold the venv at real (a real path)? */
int
trust_rule_in_repository(const char *real)
{
	char dir[PATH_MAX], *slash;

	if (real[0] != '/' || strlen(real) >= sizeof dir)
		return 1;
	strcpy(dir, real);
	for (;;) {
		if (entry_exists(dir, ".git") || looks_bare(dir))
			return 1;
		if (strcmp(dir, "/") == 0)
			return 0;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Apply the hard rule; 0 or -1 with the reason. */
int
trust_rule_hard(const char *venv, char *reason, size_t len)
{
	struct hard h = { .me = geteuid() };
	char path[PATH_MAX], *bin;
	int rc;

	if (check_part(&h, venv, "the venv directory", 1, reason, len) == -1)
		return -1;
	if (snprintf(path, sizeof path, "%s/bin", venv) >= (int)sizeof path) {
		snprintf(reason, len, "path too long");
		return -1;
	}
	if (check_part(&h, path, "bin/", 1, reason, len) == -1)
		return -1;
	if ((bin = realpath(path, NULL)) == NULL) {
		snprintf(reason, len, "cannot examine bin/: %s", strerror(errno));
		return -1;
	}
	rc = check_bin_entries(&h, bin, reason, len);
	free(bin);
	if (rc == -1)
		return -1;
	snprintf(path, sizeof path, "%s/pyvenv.cfg", venv);
	if (check_part(&h, path, "pyvenv.cfg", 0, reason, len) == -1)
		return -1;
	return 0;
}

/* strcmp for qsort over an array of strings. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The shadowing executables in bin/, sorted; 0, or -1 with the reason. */
int
trust_rule_shadow_names(const char *venv, char ***names, size_t *count, char *reason,
    size_t len)
{
	char path[PATH_MAX], **list = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *dir;
	int fd;

	*names = NULL;
	*count = 0;
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
		if (!trust_rule_core_command(de->d_name))
			continue;
		/* Executable by someone, following symlinks; a dangling link is harmless. */
		if (fstatat(fd, de->d_name, &st, 0) == -1 || S_ISDIR(st.st_mode) ||
		    (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
			continue;
		list = xrealloc(list, (n + 1) * sizeof *list);
		list[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(list, n, sizeof *list, name_cmp);
	*names = list;
	*count = n;
	return 0;
}

/* Free a list from trust_rule_shadow_names. */
void
trust_rule_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Apply the shadow rule; 0, 1 with the reason, or -1 with the reason. */
int
trust_rule_shadow(const char *venv, char *reason, size_t len)
{
	char **names;
	size_t n;

	if (trust_rule_shadow_names(venv, &names, &n, reason, len) == -1)
		return -1;
	if (n == 0)
		return 0;
	snprintf(reason, len, "bin/%s shadows a system command", names[0]);
	trust_rule_names_free(names, n);
	return 1;
}

/* The venv's real path, device, inode and birth time. */
int
trust_rule_identity(const char *venv, char **real, struct trust_id *id)
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

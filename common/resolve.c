/*
 * resolve.c: which venv applies to a directory.
 *
 * The walk is logical: the path is normalised lexically (no realpath)
 * and each level is tried with a handful of stat calls. Anything that
 * cannot be looked at (EACCES, ENOENT, ELOOP, ENOTDIR, ENAMETOOLONG)
 * simply does not match, and the walk goes on upward.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "resolve.h"
#include "xmalloc.h"

/* Room for a level plus a venv_dirs name plus "/bin/python". */
#define RESOLVE_BUFSZ	(2 * PATH_MAX + 64)

/* How many symlinks to follow when explaining a dangling bin/python. */
#define RESOLVE_MAX_LINKS	40

/*
 * Normalise an absolute path lexically into out (size PATH_MAX + 1):
 * collapse "//", drop "." and trailing "/", and let ".." remove the
 * previous component ("/.." is "/"). Returns the length.
 */
static size_t
normalise(const char *in, char *out)
{
	size_t o = 0;
	const char *p = in;

	while (*p != '\0') {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;	/* the '/' before the removed component */
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return o;
}

/* Format a path into buf; 0, or -1 if it did not fit (it then cannot exist). */
static int
join(char *buf, const char *dir, const char *a, const char *b)
{
	int n;

	if (strcmp(dir, "/") == 0)
		dir = "";
	if (b != NULL)
		n = snprintf(buf, RESOLVE_BUFSZ, "%s/%s/%s", dir, a, b);
	else
		n = snprintf(buf, RESOLVE_BUFSZ, "%s/%s", dir, a);
	return (n < 0 || n >= RESOLVE_BUFSZ || n > PATH_MAX) ? -1 : 0;
}

/* Does dir/a[/b] exist, following symlinks, as a directory (want_dir) or a non-directory? */
static int
exists(const char *dir, const char *a, const char *b, int want_dir)
{
	char path[RESOLVE_BUFSZ];
	struct stat st;

	if (join(path, dir, a, b) == -1 || stat(path, &st) == -1)
		return 0;
	return want_dir ? S_ISDIR(st.st_mode) : !S_ISDIR(st.st_mode);
}

/* Does venv/bin/python exist as an entry (a dangling symlink counts)? */
static int
has_python(const char *venv)
{
	char path[RESOLVE_BUFSZ];
	struct stat st;

	if (join(path, venv, "bin", "python") == -1 || lstat(path, &st) == -1)
		return 0;
	return !S_ISDIR(st.st_mode);
}

/* Report a dependency, if anyone listens. */
static void
dep(const struct resolve_opts *opts, const char *dir, enum resolve_dep kind)
{
	if (opts->dep != NULL)
		opts->dep(opts->dep_ctx, dir, kind);
}

/* Report dir/name (and dir/name/bin if it is a directory) as dependencies. */
static void
dep_venv(const struct resolve_opts *opts, const char *dir, const char *name)
{
	char path[RESOLVE_BUFSZ];

	if (name == NULL)
		snprintf(path, sizeof path, "%s", dir);
	else if (join(path, dir, name, NULL) == -1)
		return;
	dep(opts, path, RESOLVE_DEP_VENV);
	if (exists(path, "bin", NULL, 1)) {
		char bin[RESOLVE_BUFSZ];

		if (join(bin, path, "bin", NULL) == 0)
			dep(opts, bin, RESOLVE_DEP_BIN);
	}
}

/* The last component of a normalised path ("/" for "/"). */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	if (s == NULL || s[1] == '\0')
		return path;
	return s + 1;
}

/*
 * If venv/bin/python is a dangling symlink, say which target is
 * missing (following a chain of links, made absolute). NULL otherwise.
 */
static char *
dangling_python(const char *venv)
{
	char cur[PATH_MAX + 1], tgt[PATH_MAX + 1], abs[RESOLVE_BUFSZ];
	struct stat st;
	ssize_t n;
	char *reason = NULL;

	if (join(cur, venv, "bin", "python") == -1)
		return NULL;
	if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode) || stat(cur, &st) == 0)
		return NULL;
	for (int i = 0; i < RESOLVE_MAX_LINKS; i++) {
		char *slash;

		if ((n = readlink(cur, tgt, sizeof tgt - 1)) == -1)
			break;
		tgt[n] = '\0';
		if (tgt[0] == '/')
			snprintf(abs, sizeof abs, "%s", tgt);
		else {
			slash = strrchr(cur, '/');
			if (slash == NULL || (size_t)(slash - cur) + 1 + (size_t)n > PATH_MAX)
				break;
			snprintf(abs, sizeof abs, "%.*s/%s", (int)(slash - cur), cur, tgt);
		}
		if (strlen(abs) > PATH_MAX)
			break;
		normalise(abs, cur);
		if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode)) {
			xasprintf(&reason, "base interpreter %s is missing", cur);
			return reason;
		}
	}
	xasprintf(&reason, "base interpreter %s is missing", cur);
	return reason;
}

/* Fill out for the venv at path, found at project as found_as. */
static void
describe(const char *path, const char *project, const char *found_as,
    struct venv_info *out)
{
	char cfgpath[RESOLVE_BUFSZ], err[256];
	struct venv_cfg cfg;
	struct stat st;

	memset(out, 0, sizeof *out);
	if (join(cfgpath, path, "pyvenv.cfg", NULL) == -1 ||
	    venv_cfg_load(cfgpath, &cfg, err, sizeof err) == -1) {
		log_debug("%s/pyvenv.cfg: %s; reporting what is known", path, err);
		memset(&cfg, 0, sizeof cfg);
		cfg.include_system_site_packages = -1;
		cfg.kind = VENV_KIND_UNKNOWN;
	}
	out->path = xstrdup(path);
	out->project = xstrdup(project);
	xasprintf(&out->python, "%s%s", strcmp(path, "/") == 0 ? "" : path, "/bin/python");
	out->version = cfg.version;
	out->home = cfg.home;
	if (cfg.prompt != NULL)
		out->prompt = cfg.prompt;
	else if (strcmp(found_as, "self") != 0)
		out->prompt = xstrdup(base_name(project));
	else
		out->prompt = xstrdup(base_name(path));
	out->include_system_site_packages = cfg.include_system_site_packages;
	out->found_as = xstrdup(found_as);
	out->kind = cfg.kind;
	free(cfg.executable);
	free(cfg.command);

	out->broken = dangling_python(path);
	if (out->broken == NULL && out->home != NULL &&
	    (stat(out->home, &st) == -1 || !S_ISDIR(st.st_mode)))
		xasprintf(&out->broken, "base interpreter directory %s is missing",
		    out->home);
}

/* Resolve dir. */
int
resolve_dir(const char *dir, const struct resolve_opts *opts,
    struct venv_info *out, char *err, size_t errlen)
{
	char level[PATH_MAX + 1];
	size_t len;

	memset(out, 0, sizeof *out);
	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "empty path");
		return -1;
	}
	if (dir[0] != '/') {
		snprintf(err, errlen, "path is not absolute: %s", dir);
		return -1;
	}
	if (strlen(dir) > PATH_MAX) {
		snprintf(err, errlen, "path is longer than PATH_MAX (%d bytes)", PATH_MAX);
		return -1;
	}
	len = normalise(dir, level);

	for (;;) {
		dep(opts, level, RESOLVE_DEP_LEVEL);
		if (exists(level, "pyvenv.cfg", NULL, 0)) {
			if (has_python(level)) {
				dep_venv(opts, level, NULL);
				describe(level, level, "self", out);
				return 1;
			}
			if (exists(level, "bin", NULL, 1)) {
				char bin[RESOLVE_BUFSZ];

				if (join(bin, level, "bin", NULL) == 0)
					dep(opts, bin, RESOLVE_DEP_BIN);
			}
		}
		for (size_t i = 0; i < opts->n_venv_dirs; i++) {
			const char *name = opts->venv_dirs[i];
			char venv[RESOLVE_BUFSZ];

			if (!exists(level, name, NULL, 1))
				continue;
			dep_venv(opts, level, name);
			if (exists(level, name, "pyvenv.cfg", 0) &&
			    join(venv, level, name, NULL) == 0 && has_python(venv)) {
				describe(venv, level, name, out);
				return 1;
			}
		}
		if (len == 1)
			break;
		while (len > 0 && level[len - 1] != '/')
			len--;
		if (len > 1)
			len--;	/* drop the separator, but keep "/" */
		level[len] = '\0';
	}
	return 0;
}

/* Is there an entry name under fd, a directory (want_dir) or not? */
static int
at_exists(int fd, const char *name, int want_dir, int follow)
{
	struct stat st;

	if (fstatat(fd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return want_dir ? S_ISDIR(st.st_mode) : !S_ISDIR(st.st_mode);
}

/* Does the directory fd hold a venv (itself, or one of the venv_dirs)? */
static int
at_has_venv(int fd, const struct resolve_opts *opts)
{
	char p[PATH_MAX];

	if (at_exists(fd, "pyvenv.cfg", 0, 1) && at_exists(fd, "bin/python", 0, 0))
		return 1;
	for (size_t i = 0; i < opts->n_venv_dirs; i++) {
		const char *name = opts->venv_dirs[i];

		if (!at_exists(fd, name, 1, 1))
			continue;
		if (snprintf(p, sizeof p, "%s/pyvenv.cfg", name) < (int)sizeof p &&
		    at_exists(fd, p, 0, 1) &&
		    snprintf(p, sizeof p, "%s/bin/python", name) < (int)sizeof p &&
		    at_exists(fd, p, 0, 0))
			return 1;
	}
	return 0;
}

/* The levels of a path longer than PATH_MAX, walked with openat. */
int
resolve_long_levels(const char *dir, const struct resolve_opts *opts,
    size_t *anc_len, char *err, size_t errlen)
{
	size_t len = strlen(dir), cut = 0, i;
	char *anc;
	int fd, next, rc = 0;

	if (dir[0] != '/' || len < PATH_MAX) {
		snprintf(err, errlen, "not an absolute path longer than PATH_MAX");
		return -1;
	}
	for (i = 1; i < PATH_MAX && i < len; i++) {
		if (dir[i] == '/')
			cut = i;
	}
	*anc_len = cut > 0 ? cut : 1;
	anc = xmalloc(*anc_len + 1);
	memcpy(anc, dir, *anc_len);
	anc[*anc_len] = '\0';
	fd = open(anc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(anc);
	if (fd == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (i = cut + 1; i < len && rc == 0;) {
		const char *slash = strchr(dir + i, '/');
		size_t n = slash != NULL ? (size_t)(slash - (dir + i)) : len - i;
		char name[NAME_MAX + 1];

		if (n == 0 || n > NAME_MAX) {
			snprintf(err, errlen, "bad path component");
			rc = -1;
			break;
		}
		memcpy(name, dir + i, n);
		name[n] = '\0';
		if ((next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			rc = -1;
			break;
		}
		close(fd);
		fd = next;
		if (at_has_venv(fd, opts)) {
			snprintf(err, errlen, "a venv at a path longer than "
			    "PATH_MAX (%d bytes) cannot be activated", PATH_MAX);
			rc = -1;
		}
		i += n + 1;
	}
	close(fd);
	return rc;
}

/* Free what resolve_dir filled in. */
void
venv_info_free(struct venv_info *vi)
{
	free(vi->path);
	free(vi->project);
	free(vi->python);
	free(vi->version);
	free(vi->home);
	free(vi->prompt);
	free(vi->broken);
	free(vi->found_as);
	free(vi->trust);
	memset(vi, 0, sizeof *vi);
}

/* strdup that passes NULL through. */
static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep copy. */
void
venv_info_copy(struct venv_info *dst, const struct venv_info *src)
{
	dst->path = dup_or_null(src->path);
	dst->project = dup_or_null(src->project);
	dst->python = dup_or_null(src->python);
	dst->version = dup_or_null(src->version);
	dst->home = dup_or_null(src->home);
	dst->prompt = dup_or_null(src->prompt);
	dst->include_system_site_packages = src->include_system_site_packages;
	dst->broken = dup_or_null(src->broken);
	dst->found_as = dup_or_null(src->found_as);
	dst->kind = src->kind;
	dst->trust = dup_or_null(src->trust);
}

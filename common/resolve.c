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
#include "conf.h"
#include "locator.h"
#include "log.h"
#include "resolve.h"
#include "xmalloc.h"

extern char **environ;

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
	char cur[RESOLVE_BUFSZ], tgt[PATH_MAX + 1], abs[RESOLVE_BUFSZ];
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

/* Fill out for the venv at path, found at project as found_as through via. */
static void
describe(const char *path, const char *project, const char *found_as,
    const char *via, struct venv_info *out)
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
	out->found_via = via != NULL ? xstrdup(via) : NULL;
	out->kind = cfg.kind;
	free(cfg.executable);
	free(cfg.command);

	out->broken = dangling_python(path);
	if (out->broken == NULL && out->home != NULL &&
	    (stat(out->home, &st) == -1 || !S_ISDIR(st.st_mode)))
		xasprintf(&out->broken, "base interpreter directory %s is missing",
		    out->home);
}

/*
 * rel under the walk's level (NULL or "": the level; absolute: as is),
 * then "/tail" if tail is not NULL, into buf (RESOLVE_BUFSZ). In the
 * long walk a relative result is relative to w->fd. -1 if it does not
 * fit (it then cannot exist).
 */
static int
walk_path(const struct locator_walk *w, const char *rel, const char *tail,
    char *buf)
{
	const char *base = w->level;
	char tmp[RESOLVE_BUFSZ];
	int n;

	if (rel != NULL && rel[0] == '/')
		base = rel;
	else if (w->fd != -1)
		base = rel != NULL && rel[0] != '\0' ? rel : ".";
	else if (rel != NULL && rel[0] != '\0') {
		if (join(tmp, w->level, rel, NULL) == -1)
			return -1;
		base = tmp;
	}
	if (tail == NULL)
		n = snprintf(buf, RESOLVE_BUFSZ, "%s", base);
	else if (strcmp(base, "/") == 0)
		n = snprintf(buf, RESOLVE_BUFSZ, "/%s", tail);
	else
		n = snprintf(buf, RESOLVE_BUFSZ, "%s/%s", base, tail);
	return (n < 0 || n >= RESOLVE_BUFSZ || n > PATH_MAX) ? -1 : 0;
}

/* stat (or lstat, unless follow) rel[/tail] under the walk's level. */
static int
walk_stat(const struct locator_walk *w, const char *rel, const char *tail,
    int follow, struct stat *st)
{
	char path[RESOLVE_BUFSZ];

	if (walk_path(w, rel, tail, path) == -1)
		return -1;
	if (w->fd != -1)
		return fstatat(w->fd, path, st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
	return follow ? stat(path, st) : lstat(path, st);
}

/* Is rel a directory (following symlinks)? */
int
locator_is_dir(struct locator_walk *w, const char *rel)
{
	struct stat st;

	return walk_stat(w, rel, NULL, 1, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is rel something other than a directory (following symlinks)? */
int
locator_is_file(struct locator_walk *w, const char *rel)
{
	struct stat st;

	return walk_stat(w, rel, NULL, 1, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Is there a rel/bin/python entry that is not a directory (a dangling symlink counts)? */
int
locator_has_python(struct locator_walk *w, const char *rel)
{
	struct stat st;

	return walk_stat(w, rel, "bin/python", 0, &st) == 0 &&
	    !S_ISDIR(st.st_mode);
}

/* Is rel a venv: rel/pyvenv.cfg a file and a rel/bin/python entry? */
int
locator_is_venv(struct locator_walk *w, const char *rel)
{
	struct stat st;

	return walk_stat(w, rel, "pyvenv.cfg", 1, &st) == 0 &&
	    !S_ISDIR(st.st_mode) && locator_has_python(w, rel);
}

/* The name of a dependency kind, for logs and tests: "LEVEL", "VENV"... */
const char *
resolve_dep_name(enum resolve_dep kind)
{
	static const char *const names[] = {
		"LEVEL", "VENV", "BIN", "FILE", "DIR", "ABSENT"
	};

	if ((size_t)kind >= sizeof names / sizeof names[0])
		return "?";
	return names[kind];
}

/* Report rel as a dependency of the answer, if anyone listens. */
void
locator_dep(struct locator_walk *w, const char *rel, enum resolve_dep kind)
{
	char path[RESOLVE_BUFSZ];

	if (w->fd != -1 || w->opts->dep == NULL ||
	    walk_path(w, rel, NULL, path) == -1)
		return;
	w->opts->dep(w->opts->dep_ctx, path, kind);
}

/* Report rel as a candidate venv root, and rel/bin if it is a directory. */
void
locator_dep_venv(struct locator_walk *w, const char *rel)
{
	char bin[RESOLVE_BUFSZ];
	struct stat st;

	locator_dep(w, rel, RESOLVE_DEP_VENV);
	if (walk_stat(w, rel, "bin", 1, &st) == 0 && S_ISDIR(st.st_mode) &&
	    walk_path(w, rel, "bin", bin) == 0)
		locator_dep(w, bin, RESOLVE_DEP_BIN);
}

/* Report rel, which does not exist (or is not a directory), as RESOLVE_DEP_ABSENT. */
void
locator_dep_absent(struct locator_walk *w, const char *rel)
{
	locator_dep(w, rel, RESOLVE_DEP_ABSENT);
}

/* Report the store rel: RESOLVE_DEP_DIR if it is a directory, else RESOLVE_DEP_ABSENT. */
void
locator_dep_store(struct locator_walk *w, const char *rel)
{
	struct stat st;

	if (walk_stat(w, rel, NULL, 1, &st) == 0 && S_ISDIR(st.st_mode))
		locator_dep(w, rel, RESOLVE_DEP_DIR);
	else
		locator_dep(w, rel, RESOLVE_DEP_ABSENT);
}

/* The venv at rel applies with project w->level: fill w->out if wanted. */
int
locator_found(struct locator_walk *w, const char *rel, const char *found_as,
    const char *via)
{
	char path[RESOLVE_BUFSZ];

	if (w->out == NULL)
		return 1;
	if (walk_path(w, rel, NULL, path) == -1)
		return 0;	/* cannot happen: it was just looked at */
	describe(path, w->level, found_as, via, w->out);
	return 1;
}

/* Ask each locator of table that is on at one level, in order: 1 when one finds a venv. */
static int
walk_level(const struct locator *const *table, struct locator_walk *w)
{
	for (size_t i = 0; table[i] != NULL; i++) {
		if (locator_on(w->opts, table[i]) && table[i]->at(w) == 1)
			return 1;
	}
	return 0;
}

/* Check dir and normalise it into level (PATH_MAX + 1); its length, or -1 with err. */
static int
resolve_start(const char *dir, char *level, char *err, size_t errlen)
{
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
	return (int)normalise(dir, level);
}

/* Resolve dir with the locators of table. */
int
resolve_dir_with(const struct locator *const *table, const char *dir,
    const struct resolve_opts *opts, struct venv_info *out, char *err,
    size_t errlen)
{
	struct locator_walk w;
	char level[PATH_MAX + 1], start[PATH_MAX + 1];
	size_t len;
	int n;

	memset(out, 0, sizeof *out);
	if ((n = resolve_start(dir, level, err, errlen)) == -1)
		return -1;
	len = (size_t)n;
	memcpy(start, level, len + 1);
	w.opts = opts;
	w.level = level;
	w.dir = start;
	w.fd = -1;
	w.out = out;
	w.memo = NULL;
	for (;;) {
		locator_dep(&w, NULL, RESOLVE_DEP_LEVEL);
		if (walk_level(table, &w)) {
			locator_memo_free(&w);
			return 1;
		}
		if (len == 1)
			break;
		while (len > 0 && level[len - 1] != '/')
			len--;
		if (len > 1)
			len--;	/* drop the separator, but keep "/" */
		level[len] = '\0';
	}
	locator_memo_free(&w);
	return 0;
}

/* Resolve dir. */
int
resolve_dir(const char *dir, const struct resolve_opts *opts,
    struct venv_info *out, char *err, size_t errlen)
{
	return resolve_dir_with(locators, dir, opts, out, err, errlen);
}

/* The venv the locators find at dir itself, without walking upwards. */
int
resolve_level(const char *dir, const struct resolve_opts *opts,
    struct venv_info *out, char *err, size_t errlen)
{
	struct locator_walk w;
	char level[PATH_MAX + 1];
	int rc;

	memset(out, 0, sizeof *out);
	if (resolve_start(dir, level, err, errlen) == -1)
		return -1;
	w.opts = opts;
	w.level = level;
	w.dir = level;
	w.fd = -1;
	w.out = out;
	w.memo = NULL;
	locator_dep(&w, NULL, RESOLVE_DEP_LEVEL);
	rc = walk_level(locators, &w);
	locator_memo_free(&w);
	return rc;
}

/* The levels of a path longer than PATH_MAX, walked with openat. */
int
resolve_long_levels(const char *dir, const struct resolve_opts *opts,
    size_t *anc_len, char *err, size_t errlen)
{
	struct locator_walk w;
	size_t len = strlen(dir), cut = 0, i;
	char *anc, *lvl;
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
	lvl = xstrdup(dir);
	w.opts = opts;
	w.out = NULL;
	w.memo = NULL;
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
		/* The level's text is too long to look at: only its fd is used. */
		lvl[i + n] = '\0';
		w.level = lvl;
		w.dir = dir;
		w.fd = fd;
		if (walk_level(locators, &w)) {
			snprintf(err, errlen, "a venv at a path longer than "
			    "PATH_MAX (%d bytes) cannot be activated", PATH_MAX);
			rc = -1;
		}
		lvl[i + n] = dir[i + n];
		i += n + 1;
	}
	close(fd);
	free(lvl);
	locator_memo_free(&w);
	return rc;
}

/* opts for cfg's venv_dirs and locators and the process's environment, no dependency callback. */
void
resolve_opts_from_conf(struct resolve_opts *opts, const struct conf *cfg)
{
	memset(opts, 0, sizeof *opts);
	opts->env = (const char *const *)environ;
	opts->venv_dirs = (const char *const *)cfg->venv_dirs;
	opts->n_venv_dirs = cfg->n_venv_dirs;
	opts->locators_off = (const char *const *)cfg->locators_off;
	opts->n_locators_off = cfg->n_locators_off;
}

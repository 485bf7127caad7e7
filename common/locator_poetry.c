/*
 * locator_poetry.c: the venv Poetry keeps for the project at L, found
 * as "poetry". Rules of Poetry 1.3.2 (Debian 12's python3-poetry),
 * which later releases keep:
 *
 * - L is a Poetry project when L/pyproject.toml has a [tool.poetry]
 *   table; the name is tool.poetry.name (else project.name, PEP 621,
 *   as Poetry 2 reads it).
 * - Settings come from the defaults, then Poetry's config.toml
 *   ($POETRY_CONFIG_DIR, else $XDG_CONFIG_HOME/pypoetry, else
 *   ~/.config/pypoetry), then L/poetry.toml, then the environment
 *   (POETRY_CACHE_DIR, POETRY_VIRTUALENVS_PATH, _IN_PROJECT, _CREATE).
 *   A file that is not valid TOML makes Poetry refuse to run, and
 *   this locator offer nothing.
 * - Unless virtualenvs.in-project is false, a directory L/.venv is the
 *   venv (venv_dirs, earlier in the table, usually finds it first).
 * - Unless virtualenvs.create is false, the venv is
 *   <virtualenvs.path>/<name>-<h8>-py<X.Y> (locator_poetry.h), where
 *   virtualenvs.path defaults to {cache-dir}/virtualenvs and cache-dir
 *   to $XDG_CACHE_HOME/pypoetry, else ~/.cache/pypoetry. "{cache-dir}"
 *   and a leading "~" are expanded; a relative path (Poetry would take
 *   it from its working directory) or "~user" offers nothing.
 * - X.Y is the "minor" that virtualenvs.path/envs.toml records for the
 *   name (poetry env use). Without one, Poetry takes the version of the
 *   Python it runs on; this locator cannot run it, so it tries each
 *   <name>-<h8>-pyX.Y there is: first the minor /usr/bin/python3 links
 *   to (Debian's poetry runs on it), then the highest.
 * - Both the current name normalisation and Poetry 1.1's are tried, the
 *   current first (they differ only for names with dots).
 *
 * The environment is read from opts->env, never from the process.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "locator.h"
#include "locator_poetry.h"
#include "toml.h"
#include "utf8.h"
#include "xmalloc.h"

#define POETRY_TOML_MAX		(1024 * 1024)	/* pyproject.toml and the config files */
#define POETRY_NAME_CHARS	42
#define POETRY_MAX_CANDIDATES	16

/* Python's str.lower() of one code point, for the scripts covered (not U+0130). */
static unsigned long
lower_cp(unsigned long cp)
{
	if ((cp >= 'A' && cp <= 'Z') ||
	    (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) ||
	    (cp >= 0x391 && cp <= 0x3ab && cp != 0x3a2) ||
	    (cp >= 0x410 && cp <= 0x42f))
		return cp + 0x20;
	if ((cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) ||
	    (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) ||
	    (cp >= 0x14a && cp <= 0x177 && cp % 2 == 0) ||
	    (cp >= 0x179 && cp <= 0x17e && cp % 2 == 1))
		return cp + 1;
	if (cp == 0x178)
		return 0xff;
	if (cp == 0x386)
		return 0x3ac;
	if (cp >= 0x388 && cp <= 0x38a)
		return cp + 37;
	if (cp == 0x38c)
		return 0x3cc;
	if (cp == 0x38e || cp == 0x38f)
		return cp + 63;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 0x50;
	return cp;
}

/* Is cp a letter of the scripts covered (for the final sigma)? */
static int
is_cased(unsigned long cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
	    (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7) ||
	    (cp >= 0x386 && cp <= 0x3ff && cp != 0x387) ||
	    (cp >= 0x400 && cp <= 0x4ff);
}

/* Is cp one of the characters Poetry replaces with '_'? */
static int
is_unsafe(unsigned long cp)
{
	return cp != 0 && cp < 0x80 && strchr(" $`!*@\"\\\r\n\t", (int)cp) != NULL;
}

/* Is cp one of the separators the naming collapses into '-'? */
static int
is_separator(unsigned long cp, enum poetry_naming naming)
{
	return cp == '-' || cp == '_' ||
	    (cp == '.' && naming == POETRY_NAMING_PEP503);
}

/* Decode the UTF-8 name into cps (room for strlen(name)); the count, or -1. */
static ssize_t
decode_name(const char *name, unsigned long *cps)
{
	size_t left = strlen(name), n = 0;

	while (left > 0) {
		size_t len = utf8_char_len(name, left);

		if (len == 0)
			return -1;
		cps[n++] = utf8_decode(name, len);
		name += len;
		left -= len;
	}
	return (ssize_t)n;
}

/* Poetry's base name for a package name in the project at realdir. */
int
poetry_env_name(const char *name, enum poetry_naming naming,
    const char *realdir, char *out, size_t outlen)
{
	struct buf b = BUF_INIT;
	uint8_t digest[SHA256_LEN];
	char b64[64];
	unsigned long *cps, cp;
	size_t ncps = 0, kept = 0;
	ssize_t n;
	int rc = -1;

	cps = xcalloc(strlen(name) + 1, sizeof *cps);
	if ((n = decode_name(name, cps)) == -1)
		goto out;
	ncps = (size_t)n;
	for (size_t i = 0; i < ncps && kept < POETRY_NAME_CHARS; i++) {
		cp = cps[i];
		if (is_separator(cp, naming)) {
			while (i + 1 < ncps && is_separator(cps[i + 1], naming))
				i++;
			cp = '-';
		} else if (cp == 0x130) {
			/* "İ".lower() is "i" and a combining dot: two characters. */
			utf8_put(&b, 'i');
			if (++kept < POETRY_NAME_CHARS) {
				utf8_put(&b, 0x307);
				kept++;
			}
			continue;
		} else if (cp == 0x3a3) {
			/* Final sigma: after a letter and not before one. */
			cp = i > 0 && is_cased(cps[i - 1]) &&
			    (i + 1 == ncps || !is_cased(cps[i + 1])) ? 0x3c2 : 0x3c3;
		} else
			cp = lower_cp(cp);
		utf8_put(&b, is_unsafe(cp) ? '_' : cp);
		kept++;
	}
	sha256(realdir, strlen(realdir), digest);
	if (base64url_encode(digest, sizeof digest, b64, sizeof b64) == -1)
		goto out;
	buf_printf(&b, "-%.8s", b64);
	if (b.len < outlen && b.len <= INT32_MAX) {
		memcpy(out, b.data, b.len + 1);
		rc = (int)b.len;
	}
out:
	buf_free(&b);
	free(cps);
	return rc;
}

/* Poetry's settings, as far as they decide where the venv is. */
struct poetry_conf {
	char	*cache_dir;	/* NULL: the default */
	char	*venvs_path;	/* NULL: {cache-dir}/virtualenvs */
	int	 in_project;	/* -1 unset, 0 or 1 */
	int	 create;	/* 1 unless set false */
};

static const char *const key_cache_dir[] = { "cache-dir" };
static const char *const key_venvs_path[] = { "virtualenvs", "path" };
static const char *const key_in_project[] = { "virtualenvs", "in-project" };
static const char *const key_create[] = { "virtualenvs", "create" };

/* Replace *slot with s (may be NULL: keep). */
static void
set_str(char **slot, char *s)
{
	if (s == NULL)
		return;
	free(*slot);
	*slot = s;
}

/* Apply the settings of one config file (config.toml or poetry.toml): 0, or -1 if it is not TOML. */
static int
poetry_conf_file(struct locator_walk *w, const char *path,
    struct poetry_conf *pc)
{
	struct toml_want want[] = {
		{ key_cache_dir, 1, TOML_STRING, 0, NULL, 0 },
		{ key_venvs_path, 2, TOML_STRING, 0, NULL, 0 },
		{ key_in_project, 2, TOML_BOOL, 0, NULL, 0 },
		{ key_create, 2, TOML_BOOL, 0, NULL, 0 },
	};
	char err[256], *text;
	size_t len;

	if (!locator_is_file(w, path))
		return 0;
	locator_dep(w, path, RESOLVE_DEP_FILE);
	if (!locator_read(w, path, POETRY_TOML_MAX, &text, &len))
		return -1;
	if (toml_lookup(text, len, want, 4, err, sizeof err) == -1) {
		free(text);
		return -1;
	}
	free(text);
	set_str(&pc->cache_dir, want[0].str);
	set_str(&pc->venvs_path, want[1].str);
	if (want[2].found)
		pc->in_project = want[2].boolean;
	if (want[3].found)
		pc->create = want[3].boolean;
	return 0;
}

/* Poetry's boolean_normalizer: "true" and "1" are true, anything else false. */
static int
env_bool(const char *v)
{
	return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* dir + "/" + tail into a new string, or NULL when it is too long. */
static char *
path_join(const char *dir, const char *tail)
{
	char *s;

	xasprintf(&s, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", tail);
	if (strlen(s) > PATH_MAX) {
		free(s);
		return NULL;
	}
	return s;
}

/* An XDG base directory: the variable if absolute, else ~/fallback; NULL if neither. */
static char *
xdg_dir(struct locator_walk *w, const char *var, const char *fallback,
    const char *app)
{
	const char *v = locator_env(w, var), *home = locator_home(w);
	char *base, *s;

	if (v != NULL && v[0] == '/')
		base = xstrdup(v);
	else if (home != NULL && home[0] == '/')
		base = path_join(home, fallback);
	else
		return NULL;
	if (base == NULL)
		return NULL;
	s = path_join(base, app);
	free(base);
	return s;
}

/*
 * virtualenvs.path as Poetry computes it: "{cache-dir}" replaced, a
 * leading "~" expanded, "//" and a trailing "/" dropped. NULL when it
 * is relative, names another user's home, or has no HOME to expand.
 */
static char *
poetry_venvs_dir(struct locator_walk *w, const struct poetry_conf *pc)
{
	const char *home = locator_home(w), *raw, *p, *q;
	struct buf b = BUF_INIT;
	char *cache = NULL, *out;

	if (pc->cache_dir != NULL)
		cache = xstrdup(pc->cache_dir);
	else if ((cache = xdg_dir(w, "XDG_CACHE_HOME", ".cache", "pypoetry")) == NULL)
		return NULL;
	raw = pc->venvs_path != NULL ? pc->venvs_path : "{cache-dir}/virtualenvs";
	for (p = raw; (q = strstr(p, "{cache-dir}")) != NULL; p = q + 11) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, cache);
	}
	buf_puts(&b, p);
	free(cache);
	out = buf_take(&b);
	if (out[0] == '~' && (out[1] == '/' || out[1] == '\0') &&
	    home != NULL && home[0] == '/') {
		char *e;

		xasprintf(&e, "%s%s", home, out + 1);
		free(out);
		out = e;
	}
	if (out[0] != '/' || strlen(out) > PATH_MAX) {
		free(out);
		return NULL;
	}
	/* Path() drops doubled and trailing slashes. */
	for (char *r = out, *d = out;; r++) {
		if (*r == '/' && (r[1] == '/' || (r[1] == '\0' && d != out)))
			continue;
		if ((*d++ = *r) == '\0')
			break;
	}
	return out;
}

/* Is s "X.Y" (digits, a dot, digits)? */
static int
is_minor(const char *s)
{
	size_t i = 0, d;

	for (d = 0; s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (d == 0 || d > 3 || s[i++] != '.')
		return 0;
	for (d = 0; s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	return d > 0 && d <= 3 && s[i] == '\0';
}

/* The minor version /usr/bin/python3 links to ("3.11"), into out; 0 if none. */
static int
system_minor(char *out, size_t outlen)
{
	char target[64];
	ssize_t n;

	n = readlink("/usr/bin/python3", target, sizeof target - 1);
	if (n <= 7)
		return 0;
	target[n] = '\0';
	if (strncmp(target, "python", 6) != 0 || !is_minor(target + 6) ||
	    strlen(target + 6) >= outlen)
		return 0;
	snprintf(out, outlen, "%s", target + 6);
	return 1;
}

/* Compare two minors as versions, highest first (qsort). */
static int
minor_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned long xa = strtoul(x, NULL, 10), ya = strtoul(y, NULL, 10);
	unsigned long xb = strtoul(strchr(x, '.') + 1, NULL, 10);
	unsigned long yb = strtoul(strchr(y, '.') + 1, NULL, 10);

	if (xa != ya)
		return xa < ya ? 1 : -1;
	if (xb != yb)
		return xb < yb ? 1 : -1;
	return strcmp(x, y);
}

/*
 * The minors X.Y of the entries <base>-pyX.Y in dir, system's first and
 * then highest first, into minors (POETRY_MAX_CANDIDATES); the count.
 */
static size_t
scan_minors(const char *dir, const char *base, char **minors)
{
	char sys[16];
	size_t n = 0, blen = strlen(base);
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < POETRY_MAX_CANDIDATES) {
		if (strncmp(de->d_name, base, blen) == 0 &&
		    strncmp(de->d_name + blen, "-py", 3) == 0 &&
		    is_minor(de->d_name + blen + 3))
			minors[n++] = xstrdup(de->d_name + blen + 3);
	}
	closedir(d);
	qsort(minors, n, sizeof *minors, minor_cmp);
	if (system_minor(sys, sizeof sys)) {
		for (size_t i = 1; i < n; i++) {
			if (strcmp(minors[i], sys) == 0) {
				char *s = minors[i];

				memmove(minors + 1, minors, i * sizeof *minors);
				minors[0] = s;
				break;
			}
		}
	}
	return n;
}

/* The minor envs.toml records for base; NULL if none (or it is not TOML). */
static char *
envs_minor(struct locator_walk *w, const char *envs, const char *base)
{
	const char *keys[] = { base, "minor" };
	struct toml_want want = { keys, 2, TOML_STRING, 0, NULL, 0 };
	char err[256], *text;
	size_t len;

	if (!locator_read(w, envs, POETRY_TOML_MAX, &text, &len))
		return NULL;
	if (toml_lookup(text, len, &want, 1, err, sizeof err) == -1)
		want.str = NULL;
	free(text);
	if (want.str != NULL && !is_minor(want.str)) {
		free(want.str);
		return NULL;
	}
	return want.str;
}

/* Try <dir>/<base>-py<minor>: 1 (found) when it is a venv. */
static int
try_candidate(struct locator_walk *w, const char *dir, const char *base,
    const char *minor)
{
	char *path;
	int found = 0;

	xasprintf(&path, "%s/%s-py%s", dir, base, minor);
	if (strlen(path) <= PATH_MAX && locator_is_dir(w, path)) {
		locator_dep_venv(w, path);
		if (locator_is_venv(w, path))
			found = locator_found(w, path, "poetry", "pyproject.toml");
	}
	free(path);
	return found;
}

/* The central venvs of base in dir: 1 when one is found. */
static int
poetry_central(struct locator_walk *w, const char *dir, const char *envs,
    const char *base)
{
	char *minor, *minors[POETRY_MAX_CANDIDATES];
	size_t n;
	int found = 0;

	if (envs != NULL && (minor = envs_minor(w, envs, base)) != NULL) {
		/* Poetry uses exactly the recorded one, or none. */
		found = try_candidate(w, dir, base, minor);
		free(minor);
		return found;
	}
	n = scan_minors(dir, base, minors);
	for (size_t i = 0; i < n; i++) {
		if (!found)
			found = try_candidate(w, dir, base, minors[i]);
		free(minors[i]);
	}
	return found;
}

/* The project's name from pyproject.toml; NULL when L is not a Poetry project. */
static char *
poetry_project_name(struct locator_walk *w)
{
	static const char *const k_tool[] = { "tool", "poetry" };
	static const char *const k_name[] = { "tool", "poetry", "name" };
	static const char *const k_pep621[] = { "project", "name" };
	struct toml_want want[] = {
		{ k_tool, 2, TOML_TABLE, 0, NULL, 0 },
		{ k_name, 3, TOML_STRING, 0, NULL, 0 },
		{ k_pep621, 2, TOML_STRING, 0, NULL, 0 },
	};
	char err[256], *text, *name = NULL;
	size_t len;

	if (!locator_read(w, "pyproject.toml", POETRY_TOML_MAX, &text, &len))
		return NULL;
	if (toml_lookup(text, len, want, 3, err, sizeof err) == 0 &&
	    want[0].found) {
		size_t pick = want[1].str != NULL ? 1 : 2;

		name = want[pick].str;
		want[pick].str = NULL;
	}
	toml_wants_free(want, 3);
	free(text);
	if (name != NULL && name[0] == '\0') {
		free(name);
		name = NULL;
	}
	return name;
}

/* Apply Poetry's config.toml (the user's settings): 0, or -1 if it is not TOML. */
static int
poetry_user_settings(struct locator_walk *w, struct poetry_conf *pc)
{
	const char *v;
	char *cfgdir, *cfg;
	int rc = 0;

	if ((v = locator_env(w, "POETRY_CONFIG_DIR")) != NULL && v[0] == '/')
		cfgdir = xstrdup(v);
	else
		cfgdir = xdg_dir(w, "XDG_CONFIG_HOME", ".config", "pypoetry");
	if (cfgdir != NULL && (cfg = path_join(cfgdir, "config.toml")) != NULL) {
		if (!locator_is_file(w, cfg))
			locator_dep_store(w, cfgdir);	/* config.toml appearing */
		rc = poetry_conf_file(w, cfg, pc);
		free(cfg);
	}
	free(cfgdir);
	return rc;
}

/* Apply the POETRY_* variables, which override every file. */
static void
poetry_env_settings(struct locator_walk *w, struct poetry_conf *pc)
{
	const char *v;

	if ((v = locator_env(w, "POETRY_CACHE_DIR")) != NULL)
		set_str(&pc->cache_dir, xstrdup(v));
	if ((v = locator_env(w, "POETRY_VIRTUALENVS_PATH")) != NULL)
		set_str(&pc->venvs_path, xstrdup(v));
	if ((v = locator_env(w, "POETRY_VIRTUALENVS_IN_PROJECT")) != NULL)
		pc->in_project = env_bool(v);
	if ((v = locator_env(w, "POETRY_VIRTUALENVS_CREATE")) != NULL)
		pc->create = env_bool(v);
}

/* The settings for L: defaults, config.toml, poetry.toml, environment. 0, or -1. */
static int
poetry_settings(struct locator_walk *w, struct poetry_conf *pc)
{
	int rc;

	rc = poetry_user_settings(w, pc);
	if (rc == 0)
		rc = poetry_conf_file(w, "poetry.toml", pc);
	poetry_env_settings(w, pc);
	return rc;
}

/*
 * Poetry's store as the user's settings place it (config.toml and the
 * environment, not a project's poetry.toml): malloc'd, or NULL when
 * there is none (locator.h).
 */
char *
locator_poetry_store(struct locator_walk *w)
{
	struct poetry_conf pc = { NULL, NULL, -1, 1 };
	char *dir = NULL;

	if (poetry_user_settings(w, &pc) == 0) {
		poetry_env_settings(w, &pc);
		dir = poetry_venvs_dir(w, &pc);
	}
	free(pc.cache_dir);
	free(pc.venvs_path);
	return dir;
}

/* The venv Poetry uses for the project at L, if L is one. */
static int
locator_poetry_at(struct locator_walk *w)
{
	static const enum poetry_naming namings[] = {
		POETRY_NAMING_PEP503, POETRY_NAMING_LEGACY
	};
	struct poetry_conf pc = { NULL, NULL, -1, 1 };
	char real[PATH_MAX], base[2][256], *name = NULL, *dir = NULL;
	char *envs = NULL;
	int found = 0;

	base[0][0] = '\0';
	if (w->fd != -1 || !locator_is_file(w, "pyproject.toml"))
		return 0;
	locator_dep(w, "pyproject.toml", RESOLVE_DEP_FILE);
	if ((name = poetry_project_name(w)) == NULL)
		goto out;
	if (poetry_settings(w, &pc) == -1)
		goto out;
	if (pc.in_project != 0 && locator_is_dir(w, ".venv")) {
		/* Poetry takes it whether or not it is a venv. */
		locator_dep_venv(w, ".venv");
		if (locator_is_venv(w, ".venv"))
			found = locator_found(w, ".venv", "poetry", "pyproject.toml");
		goto out;
	}
	if (!pc.create || (dir = poetry_venvs_dir(w, &pc)) == NULL ||
	    realpath(w->level, real) == NULL)
		goto out;
	locator_dep_store(w, dir);
	if ((envs = path_join(dir, "envs.toml")) != NULL &&
	    locator_is_file(w, envs))
		locator_dep(w, envs, RESOLVE_DEP_FILE);
	else {
		free(envs);
		envs = NULL;
	}
	for (size_t i = 0; i < 2 && !found; i++) {
		if (poetry_env_name(name, namings[i], real, base[i],
		    sizeof base[i]) == -1)
			continue;
		if (i == 1 && strcmp(base[0], base[1]) == 0)
			break;
		found = poetry_central(w, dir, envs, base[i]);
	}
out:
	free(envs);
	free(dir);
	free(name);
	free(pc.cache_dir);
	free(pc.venvs_path);
	return found;
}

/* Does an entry called name decide a Poetry answer at a level? */
static int
locator_poetry_names(const struct resolve_opts *opts, const char *name)
{
	(void)opts;
	return strcmp(name, "pyproject.toml") == 0 ||
	    strcmp(name, "poetry.toml") == 0 || strcmp(name, ".venv") == 0;
}

const struct locator locator_poetry = {
	"poetry", locator_poetry_at, locator_poetry_names, "Poetry's rule"
};

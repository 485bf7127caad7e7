/* conf.c: $XDG_CONFIG_HOME/venvd/config, an INI-style file read with libinih. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "buf.h"
#include "conf.h"
#include "locator.h"
#include "paths.h"
#include "protocol.h"
#include "small_file.h"
#include "xmalloc.h"

/* The largest config file conf_load reads. */
#define CONF_MAX_SIZE	(256 * 1024)

#define STR(x)	#x
#define XSTR(x)	STR(x)

const struct conf_key conf_keys[] = {
	{ "venv_dirs", ".venv venv",
	  "names of venv directories looked for in each directory, in order" },
	{ "max_watches", "8192",
	  "most directories the daemon watches with inotify (at least 16)" },
	{ "max_clients", XSTR(VENVD_DEFAULT_MAX_CLIENTS),
	  "most simultaneous client connections (at least 1)" },
	{ "roots", "",
	  "discovery roots scanned and watched for venvs (space-separated; ~/ is the home directory)" },
	{ "discover_stores", "true",
	  "scan and watch the tools' central stores of venvs (Poetry, Pipenv, virtualenvwrapper, pyenv-virtualenv)" },
	{ "pip_guard", "true",
	  "hooks export PIP_REQUIRE_VIRTUALENV=true while no venv is active" },
	{ "trust", "auto",
	  "which venvs activate without \"venvd allow\": auto, ask or all" },
	{ "git_timeout", XSTR(CONF_GIT_TIMEOUT_S),
	  "seconds a git check of a venv may take before it counts as unanswerable (1 to 3600)" },
	{ "locators", "self venv-file venv_dirs pdm poetry pipenv pyenv-virtualenv virtualenvwrapper",
	  "the rules that find a directory's venv: the names of those to use, or -NAME for each to turn off (self is always on)" },
	{ NULL, NULL, NULL },
};

/* "auto", "ask" or "all". */
const char *
conf_trust_name(enum conf_trust t)
{
	switch (t) {
	case CONF_TRUST_ASK:
		return "ask";
	case CONF_TRUST_ALL:
		return "all";
	default:
		return "auto";
	}
}

/*
 * State carried through libinih's callbacks. Debian's libinih calls the
 * handler without a line number, so the reader counts lines itself.
 */
struct conf_parse_state {
	struct conf	*cfg;
	const char	*home;		/* for "~" in roots; NULL if none */
	char		*err;
	size_t		 errlen;
	int		 failed;
	const char	*next;		/* text not yet handed to libinih */
	int		 line;		/* lines handed out so far */
};

/* libinih reader: hand out one line (an over-long one is cut, not split). */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse_state *st = stream;
	const char *p = st->next, *nl;
	size_t n, take;

	if (*p == '\0' || num < 2)
		return NULL;
	nl = strchr(p, '\n');
	n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
	take = n < (size_t)num - 1 ? n : (size_t)num - 1;
	memcpy(str, p, take);
	str[take] = '\0';
	st->next = p + n;
	st->line++;
	return str;
}

/* Drop the venv_dirs list. */
static void
free_venv_dirs(struct conf *cfg)
{
	for (size_t i = 0; i < cfg->n_venv_dirs; i++) {
		free(cfg->venv_dirs[i]);
		cfg->venv_dirs[i] = NULL;
	}
	cfg->n_venv_dirs = 0;
}

/* Drop the roots list. */
static void
free_roots(struct conf *cfg)
{
	for (size_t i = 0; i < cfg->n_roots; i++)
		free(cfg->roots[i]);
	free(cfg->roots);
	cfg->roots = NULL;
	cfg->n_roots = 0;
}

/* Drop the list of locators turned off. */
static void
free_locators_off(struct conf *cfg)
{
	for (size_t i = 0; i < cfg->n_locators_off; i++)
		free(cfg->locators_off[i]);
	free(cfg->locators_off);
	cfg->locators_off = NULL;
	cfg->n_locators_off = 0;
}

/* Fill cfg with the defaults. */
void
conf_defaults(struct conf *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->venv_dirs[0] = xstrdup(".venv");
	cfg->venv_dirs[1] = xstrdup("venv");
	cfg->n_venv_dirs = 2;
	cfg->max_watches = 8192;
	cfg->max_clients = VENVD_DEFAULT_MAX_CLIENTS;
	cfg->git_timeout = CONF_GIT_TIMEOUT_S;
	cfg->pip_guard = 1;
	cfg->discover_stores = 1;
	cfg->trust = CONF_TRUST_AUTO;
}

/* Record the first problem found. */
static void
conf_problem(struct conf_parse_state *st, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_problem(struct conf_parse_state *st, int line, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	if (st->failed++)
		return;
	buf_printf(&b, "line %d: ", line);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	snprintf(st->err, st->errlen, "%s", b.data);
	buf_free(&b);
}

/* Parse a whole decimal integer of at least min; -1 if it is not one. */
static int
parse_long(const char *v, long min, long *out)
{
	char *end;
	long n;

	if (*v == '\0')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min)
		return -1;
	*out = n;
	return 0;
}

/*
 * The next space- or tab-separated word at *p: its start, its length in
 * *len, *p moved past it. NULL when only blanks remain.
 */
static const char *
next_word(const char **p, size_t *len)
{
	const char *w;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p == '\0')
		return NULL;
	w = *p;
	while (**p != '\0' && **p != ' ' && **p != '\t')
		(*p)++;
	*len = (size_t)(*p - w);
	return w;
}

/* Parse venv_dirs: space-separated single path components. */
static int
parse_venv_dirs(struct conf_parse_state *st, int line, const char *v)
{
	char *names[CONF_MAX_VENV_DIRS];
	size_t n = 0, wn;
	const char *p = v, *w;

	while ((w = next_word(&p, &wn)) != NULL) {
		if (memchr(w, '/', wn) != NULL || (wn == 1 && w[0] == '.') ||
		    (wn == 2 && w[0] == '.' && w[1] == '.') || wn > NAME_MAX) {
			conf_problem(st, line, "venv_dirs: \"%.*s\" is not a single "
			    "directory name", (int)wn, w);
			goto bad;
		}
		if (n == CONF_MAX_VENV_DIRS) {
			conf_problem(st, line, "venv_dirs: more than %d names",
			    CONF_MAX_VENV_DIRS);
			goto bad;
		}
		names[n++] = xstrndup(w, wn);
	}
	if (n == 0) {
		conf_problem(st, line, "venv_dirs: needs at least one name");
		return -1;
	}
	free_venv_dirs(st->cfg);
	memcpy(st->cfg->venv_dirs, names, n * sizeof names[0]);
	st->cfg->n_venv_dirs = n;
	return 0;
bad:
	while (n > 0)
		free(names[--n]);
	return -1;
}

/* Parse roots: whitespace-separated absolute directories, "~" and "~/x" from HOME. */
static int
parse_roots(struct conf_parse_state *st, int line, const char *v)
{
	char **roots = NULL;
	size_t n = 0, wn;
	const char *p = v, *w, *home = st->home;

	while ((w = next_word(&p, &wn)) != NULL) {
		char *r;

		if (w[0] == '~' && (wn == 1 || w[1] == '/')) {
			if (home == NULL) {
				conf_problem(st, line, "roots: \"%.*s\": no home directory",
				    (int)wn, w);
				goto bad;
			}
			xasprintf(&r, "%s%.*s", home, (int)wn - 1, w + 1);
		} else if (w[0] == '/')
			r = xstrndup(w, wn);
		else {
			conf_problem(st, line, "roots: \"%.*s\" is not an absolute "
			    "path", (int)wn, w);
			goto bad;
		}
		if (strlen(r) >= PATH_MAX) {
			free(r);
			conf_problem(st, line, "roots: a path is too long");
			goto bad;
		}
		roots = xrealloc(roots, (n + 1) * sizeof *roots);
		roots[n++] = r;
	}
	free_roots(st->cfg);
	st->cfg->roots = roots;
	st->cfg->n_roots = n;
	return 0;
bad:
	while (n > 0)
		free(roots[--n]);
	free(roots);
	return -1;
}

/* The names of locators[], space-separated, into b (for errors). */
static void
locator_names(struct buf *b)
{
	for (size_t i = 0; locators[i] != NULL; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", locators[i]->name);
}

/*
 * Parse locators: either the names of the locators to use (the others
 * are off) or "-NAME" for each one to turn off (the others, including
 * those later versions add, stay on), not both. "self" is always on:
 * naming it is allowed, turning it off is an error.
 */
static int
parse_locators(struct conf_parse_state *st, int line, const char *v)
{
	const struct locator *named[64];
	size_t n = 0, wn, nplain = 0, nminus = 0, j;
	const char *p = v, *w;
	struct buf b = BUF_INIT;
	char **off = NULL;
	size_t noff = 0;

	while ((w = next_word(&p, &wn)) != NULL) {
		const struct locator *loc;
		char *name;
		int minus = w[0] == '-';

		name = xstrndup(w + minus, wn - (size_t)minus);
		loc = locator_by_name(name);
		if (loc == NULL) {
			locator_names(&b);
			conf_problem(st, line, "locators: unknown locator \"%.*s\" "
			    "(known: %s)", (int)wn, w, b.data);
			buf_free(&b);
			free(name);
			return -1;
		}
		free(name);
		if (minus && loc == &locator_self) {
			conf_problem(st, line, "locators: self cannot be turned "
			    "off (a venv's own directory is always its project)");
			return -1;
		}
		if (minus)
			nminus++;
		else
			nplain++;
		for (j = 0; j < n && named[j] != loc; j++)
			;
		if (j == n && n < sizeof named / sizeof named[0])
			named[n++] = loc;	/* each distinct one of locators[] */
	}
	if (nplain == 0 && nminus == 0) {
		conf_problem(st, line, "locators: needs at least one name");
		return -1;
	}
	if (nplain > 0 && nminus > 0) {
		conf_problem(st, line, "locators: either list the locators to "
		    "use or turn some off with -NAME, not both");
		return -1;
	}
	for (size_t i = 0; locators[i] != NULL; i++) {
		int listed = 0;

		for (j = 0; j < n && !listed; j++)
			listed = named[j] == locators[i];
		if (locators[i] == &locator_self || listed == (nplain > 0))
			continue;
		off = xrealloc(off, (noff + 1) * sizeof *off);
		off[noff++] = xstrdup(locators[i]->name);
	}
	free_locators_off(st->cfg);
	st->cfg->locators_off = off;
	st->cfg->n_locators_off = noff;
	return 0;
}

/* Parse a boolean: true/false, yes/no, on/off, 1/0 (any case); -1 if none. */
static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* libinih callback: apply one key. */
static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse_state *st = user;
	int line = st->line;
	long n;

	if (section[0] != '\0' && strcmp(section, "venvd") != 0) {
		conf_problem(st, line, "unknown section [%s]", section);
		return 1;
	}
	if (name == NULL)
		return 1;
	if (strcmp(name, "venv_dirs") == 0)
		parse_venv_dirs(st, line, value);
	else if (strcmp(name, "max_watches") == 0) {
		if (parse_long(value, 8, &n) == -1)
			conf_problem(st, line, "max_watches: \"%s\" is not an "
			    "integer of at least 8", value);
		else
			st->cfg->max_watches = n;
	} else if (strcmp(name, "max_clients") == 0) {
		if (parse_long(value, 1, &n) == -1)
			conf_problem(st, line, "max_clients: \"%s\" is not an "
			    "integer of at least 1", value);
		else
			st->cfg->max_clients = n;
	} else if (strcmp(name, "git_timeout") == 0) {
		if (parse_long(value, 1, &n) == -1 || n > CONF_GIT_TIMEOUT_MAX_S)
			conf_problem(st, line, "git_timeout: \"%s\" is not an "
			    "integer from 1 to %d", value, CONF_GIT_TIMEOUT_MAX_S);
		else
			st->cfg->git_timeout = n;
	} else if (strcmp(name, "roots") == 0)
		parse_roots(st, line, value);
	else if (strcmp(name, "discover_stores") == 0) {
		int b = parse_bool(value);

		if (b == -1)
			conf_problem(st, line, "discover_stores: \"%s\" is not "
			    "true or false", value);
		else
			st->cfg->discover_stores = b;
	} else if (strcmp(name, "locators") == 0)
		parse_locators(st, line, value);
	else if (strcmp(name, "pip_guard") == 0) {
		int b = parse_bool(value);

		if (b == -1)
			conf_problem(st, line, "pip_guard: \"%s\" is not true or "
			    "false", value);
		else
			st->cfg->pip_guard = b;
	} else if (strcmp(name, "trust") == 0) {
		if (strcmp(value, "auto") == 0)
			st->cfg->trust = CONF_TRUST_AUTO;
		else if (strcmp(value, "ask") == 0)
			st->cfg->trust = CONF_TRUST_ASK;
		else if (strcmp(value, "all") == 0)
			st->cfg->trust = CONF_TRUST_ALL;
		else
			conf_problem(st, line, "trust: \"%s\" is not auto, ask "
			    "or all", value);
	} else
		conf_problem(st, line, "unknown key \"%s\"", name);
	return 1;
}

/* Parse INI text over the values already in cfg. */
int
conf_parse(const char *text, const char *home, struct conf *cfg, char *err,
    size_t errlen)
{
	struct conf_parse_state st = { cfg, home, err, errlen, 0, text, 0 };
	int r;

	r = ini_parse_stream(conf_reader, &st, conf_handler, &st);
	if (r > 0)
		conf_problem(&st, r, "syntax error");
	else if (r < 0) {
		snprintf(err, errlen, "cannot parse configuration");
		return -1;
	}
	return st.failed ? -1 : 0;
}

/* Read the config file at path. */
int
conf_load(const char *path, const char *home, struct conf *cfg, char *err,
    size_t errlen)
{
	char *text, perr[256];
	size_t len;
	int r;

	switch (small_file_read(path, CONF_MAX_SIZE, &text, &len)) {
	case SMALL_FILE_OK:
		break;
	case SMALL_FILE_OPEN:
		if (errno == ENOENT)
			return 0;
		/* FALLTHROUGH */
	case SMALL_FILE_READ:
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	case SMALL_FILE_TOO_BIG:
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONF_MAX_SIZE);
		return -1;
	default:
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: binary content", path);
		free(text);
		return -1;
	}
	r = conf_parse(text, home, cfg, perr, sizeof perr);
	if (r == -1)
		snprintf(err, errlen, "%s: %s", path, perr);
	free(text);
	return r;
}

/* Load from the default location. */
int
conf_load_default(struct conf *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (paths_config_file(path, sizeof path, err, errlen) == -1)
		return -1;
	return conf_load(path, paths_home(), cfg, err, errlen);
}

/* Release what parsing allocated. */
void
conf_free(struct conf *cfg)
{
	free_venv_dirs(cfg);
	free_roots(cfg);
	free_locators_off(cfg);
}

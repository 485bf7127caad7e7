/* venv_cfg.c: parse pyvenv.cfg the way CPython's site.py does. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "small_file.h"
#include "venv_cfg.h"
#include "xmalloc.h"

/* The name of a venv kind. */
const char *
venv_kind_name(enum venv_kind kind)
{
	switch (kind) {
	case VENV_KIND_VENV:
		return "venv";
	case VENV_KIND_VIRTUALENV:
		return "virtualenv";
	case VENV_KIND_UV:
		return "uv";
	default:
		return "unknown";
	}
}

/* Is c whitespace as Python's str.strip() sees it (ASCII subset)? */
static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f;
}

/* Trim whitespace from both ends of [*s, *s + *n). */
static void
strip(const char **s, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * Undo the repr() that "python -m venv --prompt" writes: matching
 * surrounding quotes are removed and \\, \' and \" are unescaped.
 */
static char *
unquote_prompt(const char *v, size_t n)
{
	char *out, *o;
	char q;

	if (n < 2 || (v[0] != '\'' && v[0] != '"') || v[n - 1] != v[0])
		return xstrndup(v, n);
	q = v[0];
	v++;
	n -= 2;
	out = o = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n &&
		    (v[i + 1] == '\\' || v[i + 1] == '\'' || v[i + 1] == '"' ||
		    v[i + 1] == q)) {
			*o++ = v[++i];
			continue;
		}
		*o++ = v[i];
	}
	*o = '\0';
	return out;
}

/* Replace *slot with a copy of v (the last occurrence wins, as in site.py). */
static void
set_str(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = xstrndup(v, n);
}

/* Parse pyvenv.cfg text. */
int
venv_cfg_parse(const char *text, size_t len, struct venv_cfg *cfg,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	char *version_info = NULL;
	int has_virtualenv = 0, has_uv = 0;

	memset(cfg, 0, sizeof *cfg);
	cfg->include_system_site_packages = -1;
	cfg->kind = VENV_KIND_VENV;
	if (len > VENV_CFG_MAX_SIZE) {
		snprintf(err, errlen, "file is larger than %d bytes", VENV_CFG_MAX_SIZE);
		return -1;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "binary content (NUL byte)");
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *lend = nl != NULL ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(lend - p));
		const char *k = p, *v;
		size_t kn, vn;
		char key[64];

		p = nl != NULL ? nl + 1 : end;
		if (eq == NULL)
			continue;
		kn = (size_t)(eq - k);
		v = eq + 1;
		vn = (size_t)(lend - v);
		strip(&k, &kn);
		strip(&v, &vn);
		if (kn == 0 || kn >= sizeof key)
			continue;
		for (size_t i = 0; i < kn; i++)
			key[i] = (char)tolower((unsigned char)k[i]);
		key[kn] = '\0';

		if (strcmp(key, "home") == 0)
			set_str(&cfg->home, v, vn);
		else if (strcmp(key, "version") == 0)
			set_str(&cfg->version, v, vn);
		else if (strcmp(key, "version_info") == 0)
			set_str(&version_info, v, vn);
		else if (strcmp(key, "prompt") == 0) {
			free(cfg->prompt);
			cfg->prompt = unquote_prompt(v, vn);
		} else if (strcmp(key, "executable") == 0)
			set_str(&cfg->executable, v, vn);
		else if (strcmp(key, "command") == 0)
			set_str(&cfg->command, v, vn);
		else if (strcmp(key, "include-system-site-packages") == 0) {
			if (vn == 4 && strncasecmp(v, "true", 4) == 0)
				cfg->include_system_site_packages = 1;
			else if (vn == 5 && strncasecmp(v, "false", 5) == 0)
				cfg->include_system_site_packages = 0;
			else
				cfg->include_system_site_packages = -1;
		} else if (strcmp(key, "virtualenv") == 0)
			has_virtualenv = 1;
		else if (strcmp(key, "uv") == 0)
			has_uv = 1;
	}
	if (cfg->version == NULL) {
		/* virtualenv writes sys.version_info: "3.11.2.final.0" means 3.11.2. */
		char *fin = version_info != NULL ? strstr(version_info, ".final.") : NULL;

		if (fin != NULL && strspn(fin + 7, "0123456789") == strlen(fin + 7)) {
			size_t n = (size_t)(fin - version_info);
			const char *v = version_info;

			strip(&v, &n);		/* "3.11 .final.0" is "3.11" */
			version_info[n] = '\0';
		}
		cfg->version = version_info;
	} else
		free(version_info);
	if (has_virtualenv)
		cfg->kind = VENV_KIND_VIRTUALENV;
	else if (has_uv)
		cfg->kind = VENV_KIND_UV;
	return 0;
}

/* Read and parse the file at path. */
int
venv_cfg_load(const char *path, struct venv_cfg *cfg, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r;

	memset(cfg, 0, sizeof *cfg);
	cfg->include_system_site_packages = -1;
	switch (small_file_read(path, VENV_CFG_MAX_SIZE, &text, &len)) {
	case SMALL_FILE_OK:
		break;
	case SMALL_FILE_NOT_REGULAR:
		snprintf(err, errlen, "not a regular file");
		return -1;
	case SMALL_FILE_TOO_BIG:
		snprintf(err, errlen, "file is larger than %d bytes", VENV_CFG_MAX_SIZE);
		return -1;
	default:
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	r = venv_cfg_parse(text, len, cfg, err, errlen);
	free(text);
	return r;
}

/* Free what parse allocated. */
void
venv_cfg_free(struct venv_cfg *cfg)
{
	free(cfg->home);
	free(cfg->version);
	free(cfg->prompt);
	free(cfg->executable);
	free(cfg->command);
	memset(cfg, 0, sizeof *cfg);
	cfg->include_system_site_packages = -1;
}

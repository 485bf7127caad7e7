/*
 * client_resolve.c: the client's answer for a directory. Ask the daemon
 * within the hook's budget; when it does not answer, start it in the
 * background and resolve locally with the common resolver, judging trust
 * by the local rules. Also: which directory a command is about, and the
 * notices that came with the daemon's answer.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "locator_env.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "xmalloc.h"

/* Resolve dir with the common resolver (its locators) and the config. */
static int
resolve_locally(const char *dir, struct venv_info *out, char *err, size_t errlen)
{
	struct resolve_opts opts;
	struct conf cfg;
	char cerr[512];
	int rc;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	resolve_opts_from_conf(&opts, &cfg);
	rc = resolve_dir(dir, &opts, out, err, errlen);
	conf_free(&cfg);
	return rc;
}

/* The notices of the last resolve answer (client_resolve_notices). */
static char *resolve_notices;

/* The daemon's notices with the last resolve answer, or NULL. */
const char *
client_resolve_notices(void)
{
	return resolve_notices;
}

/* Keep the "notices" of a resolve answer as "venvd: TEXT" lines. */
static void
resolve_keep_notices(json_t *result)
{
	json_t *list = json_object_get(result, "notices"), *n;
	struct buf b = BUF_INIT;
	size_t i;

	free(resolve_notices);
	resolve_notices = NULL;
	json_array_foreach(list, i, n) {
		if (!json_is_string(n))
			continue;
		if (b.len > 0)
			buf_putc(&b, '\n');
		buf_puts(&b, "venvd: ");
		buf_puts(&b, json_string_value(n));
	}
	if (b.len > 0)
		resolve_notices = buf_take(&b);
	buf_free(&b);
}

/* Set by client_resolve_activating(): sent with the next resolve. */
static int resolve_activating;
static char *resolve_active;

/*
 * The next client_resolve() tells the daemon the shell will activate the
 * answer unless it is active (the venv venvd has active now, or NULL):
 * "activating": true and "active": ACTIVE in the same request.
 */
void
client_resolve_activating(const char *active)
{
	resolve_activating = 1;
	free(resolve_active);
	resolve_active = active != NULL ? xstrdup(active) : NULL;
}

extern char **environ;

/* This process's locator environment as resolve's "env" object. */
json_t *
client_locator_env_json(void)
{
	char **env = locator_env_collect((const char *const *)environ);
	json_t *j = rpc_env_to_json((const char *const *)env);

	locator_env_free(env);
	return j;
}

/* Ask the daemon; 1/0 as resolve_dir, -1 when it gave no usable answer. */
static int
resolve_by_daemon(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, int *down, long long budget_ms)
{
	char err[512];
	json_t *result, *venv, *gen, *cache, *params;
	int rc = -1;

	/* Our environment, not the daemon's, decides (WORKON_HOME...). */
	params = json_pack("{s:o, s:o}", "path", rpc_path_to_json(dir),
	    "env", client_locator_env_json());
	if (resolve_activating) {
		json_object_set_new(params, "activating", json_true());
		if (resolve_active != NULL)
			json_object_set_new(params, "active",
			    rpc_path_to_json(resolve_active));
		resolve_activating = 0;
		free(resolve_active);
		resolve_active = NULL;
	}
	result = client_call(VENVD_M_RESOLVE, params, budget_ms, down, err,
	    sizeof err);
	if (result == NULL) {
		log_debug("%s", err);
		return -1;
	}
	venv = json_object_get(result, "venv");
	gen = json_object_get(result, "generation");
	cache = json_object_get(result, "cacheable");
	if (venv == NULL || !json_is_string(gen)) {
		log_debug("malformed answer from the daemon");
		goto out;
	}
	if (json_is_null(venv))
		rc = 0;
	else if (rpc_venv_from_json(venv, out) == 0)
		rc = 1;
	else {
		log_debug("malformed venv object from the daemon");
		goto out;
	}
	*generation = xstrdup(json_string_value(gen));
	*cacheable = cache == NULL || json_is_true(cache);
	resolve_keep_notices(result);
out:
	json_decref(result);
	return rc;
}

/*
 * A dir of PATH_MAX bytes or more: no venv in the levels past PATH_MAX
 * (walked with openat), then the answer for the longest ancestor that fits.
 */
static int
resolve_long(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, enum answer_source *source, char *err, size_t errlen)
{
	struct resolve_opts opts;
	struct conf cfg;
	char cerr[512], *anc;
	size_t anc_len;
	int rc;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	resolve_opts_from_conf(&opts, &cfg);
	rc = resolve_long_levels(dir, &opts, &anc_len, err, errlen);
	conf_free(&cfg);
	if (rc == -1)
		return -1;
	anc = xmalloc(anc_len + 1);
	memcpy(anc, dir, anc_len);
	anc[anc_len] = '\0';
	rc = client_resolve(anc, out, generation, cacheable, source, err, errlen);
	free(anc);
	return rc;
}

/* Resolve dir: the daemon within the budget, else locally. */
int
client_resolve(const char *dir, struct venv_info *out, char **generation,
    int *cacheable, enum answer_source *source, char *err, size_t errlen)
{
	int rc, down = 0;
	/*
	 * The in-shell hook waited out the budget already (or nobody
	 * listened): the local answer at once, and a start if nobody runs.
	 */
	const char *local = getenv("VENVD_HOOK_LOCAL");

	*generation = NULL;
	*cacheable = 0;
	*source = SOURCE_LOCAL;
	memset(out, 0, sizeof *out);
	/* The daemon takes any bytes (as \udcXX), but no path over PATH_MAX. */
	if (local != NULL && strcmp(local, "1") == 0)
		down = 1;
	else if (dir[0] == '/' && strlen(dir) < PATH_MAX) {
		/*
		 * While git checks a venv the daemon holds the answer, up to
		 * VENVD_RESOLVE_WAIT_MS, well inside this budget.
		 */
		rc = resolve_by_daemon(dir, out, generation, cacheable, &down,
		    VENVD_CLIENT_BUDGET_MS);
		if (rc >= 0) {
			*source = SOURCE_DAEMON;
			/*
			 * A daemon that does not judge trust: judge here,
			 * but run no git on the daemon's path.
			 */
			if (rc == 1 && out->trust == NULL)
				client_trust_local(out, 0);
			return rc;
		}
	}
	if (dir[0] == '/' && strlen(dir) >= PATH_MAX)
		return resolve_long(dir, out, generation, cacheable, source, err, errlen);
	if (down)
		client_autostart();
	if ((rc = resolve_locally(dir, out, err, errlen)) == 1)
		client_trust_local(out, 1);
	return rc;
}

/* Clean an absolute path lexically: drop "." and empty parts, apply "..". */
static char *
path_clean(const char *abs)
{
	struct buf out = BUF_INIT;
	const char *p = abs, *end;
	size_t n;

	buf_putc(&out, '/');
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, '/');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out.len > 1 && out.data[out.len - 1] != '/')
				out.len--;
			if (out.len > 1)
				out.len--;
			out.data[out.len] = '\0';
		} else {
			if (out.len > 1)
				buf_putc(&out, '/');
			buf_append(&out, p, n);
		}
		p += n;
	}
	return buf_take(&out);
}

/* The current directory: the logical $PWD when it is right, else getcwd. */
static char *
current_dir(char *err, size_t errlen)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;
	int pwd_ok, dot_ok;
	char *cwd;

	if (pwd != NULL && pwd[0] == '/') {
		pwd_ok = stat(pwd, &a) == 0;
		dot_ok = stat(".", &b) == 0;
		/* A vanished cwd: trust $PWD so the walk still goes up from it. */
		if ((pwd_ok && dot_ok && a.st_dev == b.st_dev && a.st_ino == b.st_ino) ||
		    (!pwd_ok && !dot_ok))
			return xstrdup(pwd);
	}
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		snprintf(err, errlen, "cannot find the current directory: %s",
		    strerror(errno));
		return NULL;
	}
	return cwd;
}

/* The directory a command is about, absolute and clean. */
char *
client_dir(const char *dir, char *err, size_t errlen)
{
	char *base, *joined, *clean;

	if (dir != NULL && dir[0] == '/')
		return path_clean(dir);
	if ((base = current_dir(err, errlen)) == NULL)
		return NULL;
	if (dir == NULL || dir[0] == '\0') {
		clean = path_clean(base);
		free(base);
		return clean;
	}
	xasprintf(&joined, "%s/%s", base, dir);
	clean = path_clean(joined);
	free(base);
	free(joined);
	return clean;
}

/* client_resolve() for client_dir(given), errors printed. */
int
client_resolve_given(const char *given, char **dir, struct venv_info *out,
    enum answer_source *source)
{
	char err[512], *gen = NULL;
	int rc, cacheable;

	if ((*dir = client_dir(given, err, sizeof err)) == NULL) {
		fprintf(stderr, "venvd: %s\n", err);
		return -1;
	}
	rc = client_resolve(*dir, out, &gen, &cacheable, source, err, sizeof err);
	free(gen);
	if (rc == -1) {
		fprintf(stderr, "venvd: ");
		term_puts(stderr, *dir);
		fprintf(stderr, ": %s\n", err);
		free(*dir);
		*dir = NULL;
	}
	return rc;
}

/*
 * doctor.c: venvd doctor: check what commonly goes wrong and print one
 * line per finding, each with a verdict and one suggested command.
 *
 * Checks: the daemon runs; the hook is installed in the calling shell
 * (the hooks export VENVD_SHELL); the inotify watch limit; the database's
 * integrity (the daemon's status "db_ok"/"db_error"); the daemon's other
 * faults (its status "degraded": storage, the index); whether the
 * daemon's own locator environment (WORKON_HOME...) is this shell's (a
 * warning: shells send theirs, but clients that send none get the
 * daemon's); broken venvs (from the index); venvs whose pyvenv.cfg
 * version no longer matches their interpreter.
 *
 * The interpreter's version is found without running Python: from the
 * name of the file bin/python resolves to (python3.11 -> 3.11); when that
 * name carries no version (python3), from the lib/pythonX.Y directories
 * beside the pyvenv.cfg "home" (home/../lib): the venv's X.Y present
 * there is a match; otherwise a single pythonX.Y there is the version.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "locator_env.h"
#include "protocol.h"
#include "rpc.h"
#include "shell_quote.h"
#include "xmalloc.h"

/* Where the kernel's per-user watch limit is (overridable for tests). */
#define INOTIFY_MAX_WATCHES	"/proc/sys/fs/inotify/max_user_watches"

/* Counts of findings. */
struct doctor {
	int	 problems;
	int	 warnings;
};

/* Print one finding: verdict, subject, text, and the suggested command. */
static void
finding(struct doctor *dr, int ok, const char *subject, const char *text,
    const char *suggest)
{
	if (!ok)
		dr->problems++;
	fputs(ok ? "ok    " : "FAIL  ", stdout);
	term_puts(stdout, subject);
	fputs(": ", stdout);
	term_puts(stdout, text);
	if (suggest != NULL) {
		fputs("; try: ", stdout);
		term_puts(stdout, suggest);
	}
	fputs("\n", stdout);
}

/*
 * The hook check: the hooks export VENVD_SHELL=SHELL:PID (bash, zsh or
 * fish, and that shell's pid). A child shell that did not load the hook
 * inherits the variable, so the pid must be our parent's; a value
 * without a pid is taken at its word.
 */
static void
check_hook(struct doctor *dr)
{
	const char *hook = getenv("VENVD_SHELL"), *sh = getenv("SHELL"), *base;
	const char *colon;
	char text[160];

	if (hook != NULL && hook[0] != '\0') {
		int n = (colon = strchr(hook, ':')) != NULL ? (int)(colon - hook) :
		    (int)strlen(hook);

		if (colon == NULL || strtol(colon + 1, NULL, 10) == (long)getppid()) {
			snprintf(text, sizeof text, "installed in this shell (%.*s)",
			    n, hook);
			finding(dr, 1, "hook", text, NULL);
			return;
		}
		snprintf(text, sizeof text, "not installed in this shell "
		    "(VENVD_SHELL was inherited from %.*s, pid %s)", n, hook,
		    colon + 1);
		finding(dr, 0, "hook", text, "eval \"$(venvd hook bash)\" in "
		    "~/.bashrc, eval \"$(venvd hook zsh)\" in ~/.zshrc, or "
		    "venvd hook fish | source in config.fish");
		return;
	}
	base = sh != NULL && strrchr(sh, '/') != NULL ? strrchr(sh, '/') + 1 : sh;
	if (base != NULL && strcmp(base, "zsh") == 0)
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'eval \"$(venvd hook zsh)\"' >> ~/.zshrc");
	else if (base != NULL && strcmp(base, "fish") == 0)
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'venvd hook fish | source' >> ~/.config/fish/config.fish");
	else
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'eval \"$(venvd hook bash)\"' >> ~/.bashrc");
}

/* Read a number from a one-line file; -1 if it cannot. */
static long long
read_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The inotify check: the daemon's watches against the kernel's limit. */
static void
check_inotify(struct doctor *dr, json_t *st)
{
	const char *path = getenv("VENVD_DOCTOR_MAX_WATCHES");
	long long max = read_number(path != NULL ? path : INOTIFY_MAX_WATCHES);
	long long used = json_integer_value(json_object_get(st, "watches"));
	json_t *deg = json_object_get(st, "degraded"), *r;
	const char *limited = NULL;
	char text[512];
	size_t i;

	json_array_foreach(deg, i, r) {
		if (json_is_string(r) && strstr(json_string_value(r), "watch") != NULL)
			limited = json_string_value(r);
	}
	if (max < 0) {
		finding(dr, 1, "inotify", "the kernel's limit is unknown here", NULL);
		return;
	}
	if (limited != NULL || used * 10 >= max * 9) {
		snprintf(text, sizeof text, "the daemon uses %lld of the kernel's "
		    "%lld watches%s%s", used, max, limited != NULL ? ": " : "",
		    limited != NULL ? limited : "");
		finding(dr, 0, "inotify", text,
		    "sudo sysctl fs.inotify.max_user_watches=524288 (and keep it in "
		    "/etc/sysctl.d/90-venvd.conf: fs.inotify.max_user_watches=524288)");
		return;
	}
	snprintf(text, sizeof text, "%lld of %lld watches in use", used, max);
	finding(dr, 1, "inotify", text, NULL);
}

/* The database check, from the status's "db_ok"/"db_error". */
static void
check_db(struct doctor *dr, json_t *st)
{
	json_t *ok = json_object_get(st, "db_ok");
	json_t *e = json_object_get(st, "db_error");
	char text[512];

	if (ok == NULL) {
		finding(dr, 1, "database", "not reported by this daemon", NULL);
		return;
	}
	if (json_is_true(ok)) {
		finding(dr, 1, "database", "integrity check passed", NULL);
		return;
	}
	snprintf(text, sizeof text, "integrity check failed: %s",
	    json_is_string(e) ? json_string_value(e) : "unknown error");
	finding(dr, 0, "database", text,
	    "venvd restart (a corrupt index is moved aside and rebuilt)");
}

/*
 * The daemon's other faults, from the status's "degraded" (the watch
 * limit is the inotify check's): one finding each, or one "ok".
 */
static void
check_health(struct doctor *dr, json_t *st)
{
	json_t *deg = json_object_get(st, "degraded"), *r;
	const char *text, *suggest;
	int n = 0;
	size_t i;

	json_array_foreach(deg, i, r) {
		if (!json_is_string(r) || strstr(json_string_value(r), "watch") != NULL)
			continue;
		text = json_string_value(r);
		if (strncmp(text, "storage:", 8) == 0)
			suggest = "free space in (or make writable) the state "
			    "directory named; the daemon writes what waits by "
			    "itself once it can";
		else if (strstr(text, "index database") != NULL)
			suggest = "fix what the message names, then venvd restart";
		else
			suggest = NULL;
		finding(dr, 0, "health", text, suggest);
		n++;
	}
	if (n == 0)
		finding(dr, 1, "health", "no faults reported", NULL);
}

/* Print one warning: not a failure (the exit status stays 0), but worth fixing. */
static void
warning(struct doctor *dr, const char *subject, const struct buf *text,
    const struct buf *suggest)
{
	dr->warnings++;
	fputs("warn  ", stdout);
	term_puts(stdout, subject);
	fputs(": ", stdout);
	term_puts(stdout, text->data);
	if (suggest->len > 0) {
		fputs("; try: ", stdout);
		term_puts(stdout, suggest->data);
	}
	fputs("\n", stdout);
}

/* Append NAME (VALUE) or NAME (unset) to b. */
static void
env_describe(struct buf *b, const char *name, const char *v)
{
	buf_puts(b, name);
	if (v == NULL)
		buf_puts(b, " unset");
	else {
		buf_puts(b, "=");
		buf_puts(b, v);
	}
}

/*
 * The locator environment: the daemon's own (status "locator_env")
 * against this shell's. Shells send theirs with each resolve, so a
 * difference does not change what they activate; but a client that
 * sends none (an editor's subscription, an older venvd) gets the
 * daemon's, and the daemon's index describes venvs with it.
 */
static void
check_locator_env(struct doctor *dr, json_t *st)
{
	json_t *mine = client_locator_env_json(), *theirs =
	    json_object_get(st, "locator_env");
	struct buf text = BUF_INIT, suggest = BUF_INIT, unset = BUF_INIT;
	const char *name;
	char *a, *b;
	int n = 0;

	if (!json_is_object(theirs)) {
		json_decref(mine);
		return;		/* an older daemon */
	}
	for (size_t i = 0; (name = locator_env_vars[i].name) != NULL; i++) {
		a = rpc_path_from_json(json_object_get(mine, name));
		b = rpc_path_from_json(json_object_get(theirs, name));
		if ((a == NULL && b == NULL) || (a != NULL && b != NULL &&
		    strcmp(a, b) == 0)) {
			free(a);
			free(b);
			continue;
		}
		buf_puts(&text, n++ > 0 ? "; " : "this shell has ");
		env_describe(&text, name, a);
		buf_puts(&text, ", the daemon ");
		buf_puts(&text, b != NULL ? "has " : "has it");
		if (b != NULL)
			buf_puts(&text, b);
		else
			buf_puts(&text, " unset");
		if (a != NULL) {
			buf_puts(&suggest, suggest.len == 0 ?
			    "systemctl --user set-environment " : " ");
			buf_puts(&suggest, name);
			buf_putc(&suggest, '=');
			shell_quote_str(SHELL_BASH, a, &suggest);
		} else {
			buf_puts(&unset, unset.len == 0 ?
			    "systemctl --user unset-environment " : " ");
			buf_puts(&unset, name);
		}
		free(a);
		free(b);
	}
	json_decref(mine);
	if (n == 0) {
		finding(dr, 1, "environment", "the daemon's locator environment "
		    "is this shell's", NULL);
		goto out;
	}
	buf_puts(&text, ". This shell's requests carry its own values, but "
	    "clients that send none (editors, older venvd) get the daemon's");
	if (unset.len > 0) {
		if (suggest.len > 0)
			buf_puts(&suggest, "; ");
		buf_puts(&suggest, unset.data);
	}
	buf_puts(&suggest, "; venvd restart (or set them in "
	    "~/.config/environment.d/)");
	warning(dr, "environment", &text, &suggest);
out:
	buf_free(&text);
	buf_free(&suggest);
	buf_free(&unset);
}

/* "3.11" from "python3.11" (or NULL). */
static char *
version_from_name(const char *name)
{
	const char *p;
	int maj, min, n = 0;

	if (strncmp(name, "python", 6) != 0)
		return NULL;
	p = name + 6;
	if (sscanf(p, "%d.%d%n", &maj, &min, &n) != 2 || p[n] != '\0')
		return NULL;
	return xstrdup(p);
}

/* The major.minor of a version string ("3.11.7" -> "3.11"), malloc'd. */
static char *
major_minor(const char *v)
{
	int maj, min;
	char *out;

	if (v == NULL || sscanf(v, "%d.%d", &maj, &min) != 2)
		return NULL;
	xasprintf(&out, "%d.%d", maj, min);
	return out;
}

/*
 * The interpreter's major.minor for a venv, found without running it;
 * want is the venv's own, preferred when home's lib has it. NULL unknown.
 */
static char *
interpreter_version(const char *venv, const char *home, const char *want)
{
	char path[PATH_MAX], real[PATH_MAX], *v = NULL, *lib;
	const char *base;
	struct dirent *de;
	int count = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/bin/python", venv);
	if (realpath(path, real) != NULL) {
		base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
		if ((v = version_from_name(base)) != NULL)
			return v;
	}
	if (home == NULL)
		return NULL;
	xasprintf(&lib, "%s/../lib", home);
	if ((d = opendir(lib)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *x = version_from_name(de->d_name);

			if (x == NULL)
				continue;
			if (want != NULL && strcmp(x, want) == 0) {
				free(v);
				v = x;
				count = 1;
				break;
			}
			free(v);
			v = x;
			count++;
		}
		closedir(d);
	}
	free(lib);
	if (count != 1) {
		free(v);
		return NULL;
	}
	return v;
}

/* The venv checks: broken ones, and version mismatches among the others. */
static void
check_venvs(struct doctor *dr, json_t *venvs)
{
	json_t *rec, *cfgv;
	const char *path, *state, *home;
	char text[PATH_MAX + 256], cmd[PATH_MAX + 64], *want, *have;
	int broken = 0, mismatched = 0;
	size_t i;

	json_array_foreach(venvs, i, rec) {
		path = json_string_value(json_object_get(rec, "path"));
		state = json_string_value(json_object_get(rec, "state"));
		if (path == NULL)
			continue;
		if (state != NULL && strncmp(state, "broken", 6) == 0) {
			snprintf(text, sizeof text, "%s", state);
			snprintf(cmd, sizeof cmd, "python3 -m venv --clear %s", path);
			finding(dr, 0, path, text, cmd);
			broken++;
			continue;
		}
		if (state != NULL && strcmp(state, "missing") == 0) {
			snprintf(cmd, sizeof cmd, "venvd forget %s", path);
			finding(dr, 0, path, "missing (no longer on disk)", cmd);
			broken++;
			continue;
		}
		cfgv = json_object_get(rec, "version");
		home = json_string_value(json_object_get(rec, "home"));
		if ((want = major_minor(json_string_value(cfgv))) == NULL)
			continue;
		have = interpreter_version(path, home, want);
		if (have != NULL && strcmp(have, want) != 0) {
			snprintf(text, sizeof text, "pyvenv.cfg says Python %s but "
			    "its interpreter is %s", want, have);
			snprintf(cmd, sizeof cmd, "python%s -m venv --upgrade %s",
			    have, path);
			finding(dr, 0, path, text, cmd);
			mismatched++;
		}
		free(have);
		free(want);
	}
	snprintf(text, sizeof text, "%zu indexed, %d broken or missing, %d with "
	    "a changed interpreter", json_array_size(venvs), broken, mismatched);
	finding(dr, 1, "venvs", text, NULL);
}

/* venvd doctor: exit 0 when every check passes, 1 otherwise. */
int
cmd_doctor(int argc, char **argv)
{
	struct doctor dr = { 0 };
	char err[512], text[600];
	json_t *st, *list;
	int down, answers;
	long holder;

	(void)argv;
	if (argc > 1)
		return usage_error("doctor", "doctor takes no arguments");
	check_hook(&dr);
	st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (st == NULL && down) {
		/* Running without its socket: ask it to bind again. */
		holder = client_daemon_by_lock(1, &answers);
		if (answers)
			st = client_call(VENVD_M_STATUS, NULL,
			    CLIENT_CTL_BUDGET_MS, &down, err, sizeof err);
		else if (holder != 0) {
			snprintf(text, sizeof text, "running (pid %ld) but its "
			    "socket is missing", holder);
			finding(&dr, 0, "daemon", text, "venvd restart");
			printf("(venv, database and inotify checks need the daemon)\n");
			return EXIT_NONE;
		}
	}
	if (st == NULL) {
		snprintf(text, sizeof text, "%s", down ? "not running" : err);
		finding(&dr, 0, "daemon", text, down ? "venvd start" : "venvd restart");
		printf("(venv, database and inotify checks need the daemon)\n");
		return EXIT_NONE;
	}
	snprintf(text, sizeof text, "running (pid %" JSON_INTEGER_FORMAT ")",
	    json_integer_value(json_object_get(st, "pid")));
	finding(&dr, 1, "daemon", text, NULL);
	check_inotify(&dr, st);
	check_db(&dr, st);
	check_health(&dr, st);
	check_locator_env(&dr, st);
	json_decref(st);
	list = client_call(VENVD_M_LIST, json_object(), CLIENT_CTL_BUDGET_MS * 5,
	    &down, err, sizeof err);
	if (list == NULL || !json_is_array(json_object_get(list, "venvs"))) {
		snprintf(text, sizeof text, "cannot read the index: %s",
		    list == NULL ? err : "malformed answer");
		finding(&dr, 0, "venvs", text, "venvd restart");
	} else
		check_venvs(&dr, json_object_get(list, "venvs"));
	json_decref(list);
	return dr.problems ? EXIT_NONE : EXIT_OK;
}

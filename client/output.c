/*
 * output.c: what venvd prints for people and scripts: resolve and status,
 * and the helpers every path, prompt and pyvenv.cfg value goes through.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "locator.h"
#include "paths.h"
#include "protocol.h"
#include "rpc.h"
#include "sanitize.h"
#include "xmalloc.h"

/*
 * Write s to f as text for a terminal. Every path, prompt or pyvenv.cfg
 * value printed for a person goes through here, so that one place
 * decides how hostile bytes are shown.
 */
void
term_puts(FILE *f, const char *s)
{
	struct buf b = BUF_INIT;

	if (sanitize_is_clean(s)) {
		fputs(s, f);
		return;
	}
	sanitize_append(&b, s);
	fputs(b.data, f);
	buf_free(&b);
}

/* Append s with control characters made visible (the sanitiser). */
void
escape_controls(struct buf *out, const char *s)
{
	sanitize_append(out, s);
}

/*
 * Print why vi applies: "  (found by Poetry's rule for /home/ana/api
 * (pyproject.toml))", naming the locator in words and the file that
 * made it apply. A venv_dirs name is not a locator's name: such a venv
 * was found as that directory. An answer without found_via (an older
 * daemon) names no file.
 */
static void
print_found(const struct venv_info *vi)
{
	const struct locator *loc = locator_by_name(vi->found_as);

	if (loc == &locator_self) {
		fputs("  (the directory is a venv)", stdout);
		return;
	}
	if (loc == NULL) {
		fputs("  (found as ", stdout);
		term_puts(stdout, vi->found_as);
		fputs(" in ", stdout);
		term_puts(stdout, vi->project);
	} else {
		fputs("  (found by ", stdout);
		if (loc->rule != NULL)
			term_puts(stdout, loc->rule);
		else {
			term_puts(stdout, loc->name);
			fputs("'s rule", stdout);
		}
		fputs(" for ", stdout);
		term_puts(stdout, vi->project);
		if (vi->found_via != NULL) {
			fputs(" (", stdout);
			term_puts(stdout, vi->found_via);
			fputs(")", stdout);
		}
	}
	fputs(")", stdout);
}

/* Print one venv as a line: path, version, and why it applies. */
static void
print_venv_line(const struct venv_info *vi)
{
	term_puts(stdout, vi->path);
	fputs("  python ", stdout);
	term_puts(stdout, vi->version != NULL ? vi->version : "(unknown version)");
	print_found(vi);
	if (vi->broken != NULL) {
		fputs("  BROKEN: ", stdout);
		term_puts(stdout, vi->broken);
	}
	if (vi->trust != NULL && !client_trust_allows(vi)) {
		fputs("  NOT ACTIVATED: ", stdout);
		term_puts(stdout, vi->trust);
	}
	fputs("\n", stdout);
}

/* Print {"dir":..., "venv": obj|null, "source": ...}. */
static void
print_resolve_json(const char *dir, const struct venv_info *vi,
    enum answer_source source)
{
	json_t *root;
	char *text;

	root = json_pack("{s:o, s:o, s:s}",
	    "dir", rpc_path_to_json(dir),
	    "venv", vi != NULL ? rpc_venv_to_json(vi) : json_null(),
	    "source", source == SOURCE_DAEMON ? "daemon" : "local");
	text = rpc_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(root);
}

/* venvd resolve [DIR] [--json]. */
int
cmd_resolve(int argc, char **argv)
{
	const char *given = NULL;
	struct venv_info vi;
	enum answer_source source;
	char *dir;
	int json = 0, opts = 1, rc;

	for (int i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("resolve", "unknown option %s", argv[i]);
		else if (given != NULL)
			return usage_error("resolve", "too many arguments");
		else
			given = argv[i];
	}
	if ((rc = client_resolve_given(given, &dir, &vi, &source)) == -1)
		return EXIT_NONE;
	if (json)
		print_resolve_json(dir, rc == 1 ? &vi : NULL, source);
	else if (rc == 1)
		print_venv_line(&vi);
	else {
		fputs("venvd: no venv applies to ", stderr);
		term_puts(stderr, dir);
		fputs("\n", stderr);
	}
	if (rc == 1)
		venv_info_free(&vi);
	free(dir);
	return rc == 1 ? EXIT_OK : EXIT_NONE;
}

/* Print "label: value" for a member of the status object. */
static void
print_status_field(json_t *st, const char *key, const char *label)
{
	json_t *v = json_object_get(st, key);
	char *text;

	printf("%s: ", label);
	if (json_is_string(v))
		term_puts(stdout, json_string_value(v));
	else if (json_is_integer(v))
		printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (v == NULL)
		fputs("?", stdout);
	else if ((text = rpc_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		term_puts(stdout, text);
		free(text);
	}
	fputs("\n", stdout);
}

/*
 * The locator environments: the daemon's own, one "locator env: NAME=VALUE"
 * line per variable, then one line per other environment clients sent.
 */
static void
print_status_envs(json_t *st)
{
	json_t *own = json_object_get(st, "locator_env"), *envs, *e, *v, *d;
	const char *name;
	size_t i, j;

	if (json_is_object(own) && json_object_size(own) == 0)
		printf("locator env: (none set)\n");
	json_object_foreach(own, name, v) {
		if (!json_is_string(v))
			continue;
		fputs("locator env: ", stdout);
		term_puts(stdout, name);
		fputs("=", stdout);
		term_puts(stdout, json_string_value(v));
		fputs("\n", stdout);
	}
	envs = json_object_get(st, "client_envs");
	json_array_foreach(envs, i, e) {
		printf("client env %zu: differs in", i + 1);
		json_array_foreach(json_object_get(e, "differs"), j, d) {
			fputs(" ", stdout);
			term_puts(stdout, json_is_string(d) ? json_string_value(d) : "?");
		}
		printf(" (%" JSON_INTEGER_FORMAT " cached dirs)\n",
		    json_integer_value(json_object_get(e, "cached_dirs")));
	}
}

/* Print the status object as key: value lines. */
static void
print_status(json_t *st)
{
	json_t *up = json_object_get(st, "uptime_s"), *deg, *reason;
	json_int_t s;
	size_t i;

	print_status_field(st, "pid", "pid");
	print_status_field(st, "version", "version");
	print_status_field(st, "protocol", "protocol");
	if (json_is_integer(up)) {
		s = json_integer_value(up);
		printf("uptime: %" JSON_INTEGER_FORMAT "d %02" JSON_INTEGER_FORMAT
		    ":%02" JSON_INTEGER_FORMAT ":%02" JSON_INTEGER_FORMAT "\n",
		    s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	} else
		print_status_field(st, "uptime_s", "uptime");
	print_status_field(st, "socket", "socket");
	print_status_field(st, "generation", "generation");
	print_status_field(st, "requests", "requests");
	print_status_field(st, "cache_hits", "cache hits");
	print_status_field(st, "cached_dirs", "cached dirs");
	printf("watches: %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "\n",
	    json_integer_value(json_object_get(st, "watches")),
	    json_integer_value(json_object_get(st, "watch_limit")));
	print_status_field(st, "clients", "clients");
	print_status_envs(st);
	deg = json_object_get(st, "degraded");
	if (!json_is_array(deg) || json_array_size(deg) == 0) {
		printf("health: healthy\n");
		return;
	}
	json_array_foreach(deg, i, reason) {
		fputs("degraded: ", stdout);
		term_puts(stdout, json_is_string(reason) ? json_string_value(reason) : "?");
		fputs("\n", stdout);
	}
}

/*
 * A daemon runs (it holds the instance lock) but its socket does not
 * answer even after it was asked to bind it again. pid -1: not known yet.
 */
static int
print_status_no_socket(long pid, const char *sock, int json)
{
	json_t *st;
	char *text;

	if (json) {
		st = json_pack("{s:I, s:s, s:b, s:[s]}", "pid", (json_int_t)pid,
		    "socket", sock, "socket_missing", 1, "degraded",
		    "socket: the daemon runs but its socket is missing");
		if ((text = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(st);
		return EXIT_NONE;
	}
	if (pid > 0)
		printf("venvd: daemon running (pid %ld) but its socket ", pid);
	else
		fputs("venvd: daemon running (pid not known yet) but its socket ",
		    stdout);
	term_puts(stdout, sock);
	fputs(" is missing; try: venvd restart\n", stdout);
	return EXIT_NONE;
}

/* venvd status [--json]. */
int
cmd_status(int argc, char **argv)
{
	char err[512], sock[PATH_MAX], serr[256];
	json_t *st;
	int json = 0, down, answers = 0;
	long holder = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-')
			return usage_error("status", "unknown option %s", argv[i]);
		else
			return usage_error("status", "too many arguments");
	}
	st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (st == NULL && down) {
		/* Its socket may be gone while it runs: ask it to bind again. */
		holder = client_daemon_by_lock(1, &answers);
		if (answers)
			st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS,
			    &down, err, sizeof err);
	}
	if (st == NULL && down) {
		if (paths_socket(sock, sizeof sock, serr, sizeof serr) == -1)
			snprintf(sock, sizeof sock, "unknown: %s", serr);
		if (holder != 0)
			return print_status_no_socket(holder, sock, json);
		fputs("venvd: daemon not running (socket ", stdout);
		term_puts(stdout, sock);
		fputs(")\n", stdout);
		return EXIT_NODAEMON;
	}
	if (st == NULL) {
		fprintf(stderr, "venvd: %s\n", err);
		return EXIT_NONE;
	}
	if (json) {
		if ((text = rpc_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
			printf("%s\n", text);
		free(text);
	} else
		print_status(st);
	json_decref(st);
	return EXIT_OK;
}

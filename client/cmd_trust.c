/*
 * cmd_trust.c: venvd allow, deny and trust, the commands on the daemon's
 * stored trust decisions. The client's own judgement and the notices
 * are in client_trust.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "protocol.h"
#include "rpc.h"
#include "sanitize.h"

/* venvd allow|deny [PATH]. */
static int
cmd_decide(const char *cmd, int argc, char **argv)
{
	const char *given = NULL;
	struct buf msg = BUF_INIT;
	char err[1024], *dir;
	json_t *res, *venv;
	int opts = 1, down = 0;

	for (int i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error(cmd, "unknown option %s", argv[i]);
		else if (given != NULL)
			return usage_error(cmd, "too many arguments");
		else
			given = argv[i];
	}
	if ((dir = client_dir(given, err, sizeof err)) == NULL) {
		fprintf(stderr, "venvd: %s\n", err);
		return EXIT_NONE;
	}
	res = client_call(cmd, json_pack("{s:o, s:o}", "path",
	    rpc_path_to_json(dir), "env", client_locator_env_json()),
	    CLIENT_CTL_BUDGET_MS, &down, err, sizeof err);
	free(dir);
	if (res == NULL) {
		buf_puts(&msg, "venvd: ");
		if (down)
			buf_puts(&msg, "the daemon is not running (decisions are stored "
			    "by the daemon: start it with venvd start)");
		else
			sanitize_append(&msg, err);
		buf_putc(&msg, '\n');
		fputs(msg.data, stderr);
		buf_free(&msg);
		return EXIT_NONE;
	}
	venv = json_object_get(res, "venv");
	buf_puts(&msg, strcmp(cmd, VENVD_M_ALLOW) == 0 ? "venvd: trusted " : "venvd: denied ");
	client_show_path(&msg, json_is_string(venv) ? json_string_value(venv) : "?");
	buf_putc(&msg, '\n');
	fputs(msg.data, stdout);
	buf_free(&msg);
	json_decref(res);
	return EXIT_OK;
}

/* venvd allow [PATH]. */
int
cmd_allow(int argc, char **argv)
{
	return cmd_decide(VENVD_M_ALLOW, argc, argv);
}

/* venvd deny [PATH]. */
int
cmd_deny(int argc, char **argv)
{
	return cmd_decide(VENVD_M_DENY, argc, argv);
}

/* venvd trust [--json]: the stored decisions. */
int
cmd_trust(int argc, char **argv)
{
	struct buf line = BUF_INIT;
	json_t *res, *list, *d;
	char err[1024], when[32], *text;
	int json = 0, down = 0;
	struct tm tm;
	time_t t;
	size_t i;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0)
			json = 1;
		else if (argv[a][0] == '-')
			return usage_error("trust", "unknown option %s", argv[a]);
		else
			return usage_error("trust", "too many arguments");
	}
	res = client_call(VENVD_M_TRUST, NULL, CLIENT_CTL_BUDGET_MS, &down, err, sizeof err);
	if (res == NULL) {
		if (down)
			fputs("venvd: the daemon is not running (decisions are stored "
			    "by the daemon: start it with venvd start)\n", stderr);
		else {
			buf_puts(&line, "venvd: ");
			sanitize_append(&line, err);
			fprintf(stderr, "%s\n", line.data);
			buf_free(&line);
		}
		return EXIT_NONE;
	}
	if (json) {
		if ((text = rpc_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(res);
		return EXIT_OK;
	}
	list = json_object_get(res, "decisions");
	json_array_foreach(list, i, d) {
		json_t *path = json_object_get(d, "path");
		json_t *dec = json_object_get(d, "decision");

		t = (time_t)json_integer_value(json_object_get(d, "decided"));
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(when, sizeof when, "?");
		buf_reset(&line);
		buf_printf(&line, "%-5s  %s  ", json_is_string(dec) ?
		    json_string_value(dec) : "?", when);
		client_show_path(&line, json_is_string(path) ? json_string_value(path) : "?");
		buf_putc(&line, '\n');
		fputs(line.data, stdout);
	}
	buf_free(&line);
	json_decref(res);
	return EXIT_OK;
}

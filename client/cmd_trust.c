/*
 * cmd_trust.c: venvd allow, deny and trust; the client's own judgement when
 * the daemon is not there; the notice the hooks print for an untrusted
 * venv.
 *
 * The local fallback has neither the git check nor the stored decisions
 * (both live in the daemon): it applies the hard rule and, under
 * trust = auto, the shadow rule, so it activates only a venv that passes
 * both and that it cannot tell is committed. Under trust = ask it
 * activates nothing (it cannot see what was allowed).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "protocol.h"
#include "rpc.h"
#include "sanitize.h"
#include "trust_rules.h"
#include "xmalloc.h"

/* The reason the daemon gives while git still runs: no notice for it. */
#define TRUST_CHECKING	"untrusted:checking version control"

/* The local judgement: hard rule, mode, shadow rule. */
void
client_trust_local(struct venv_info *vi)
{
	struct conf cfg;
	char reason[4096], cerr[512];
	enum conf_trust mode;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, cerr, sizeof cerr) == -1)
		log_warn("config: %s", cerr);
	mode = cfg.trust;
	conf_free(&cfg);
	free(vi->trust);
	vi->trust = NULL;
	if (trust_rule_hard(vi->path, reason, sizeof reason) == -1)
		goto untrusted;
	if (mode == CONF_TRUST_ALL) {
		vi->trust = xstrdup("trusted");
		return;
	}
	if (mode == CONF_TRUST_ASK) {
		snprintf(reason, sizeof reason,
		    "not allowed yet (trust = ask; the daemon is not running)");
		goto untrusted;
	}
	if (trust_rule_shadow(vi->path, reason, sizeof reason) != 0)
		goto untrusted;
	vi->trust = xstrdup("trusted");
	return;
untrusted:
	xasprintf(&vi->trust, "untrusted:%s", reason);
}

/* May the shell activate vi? */
int
client_trust_allows(const struct venv_info *vi)
{
	return vi->trust != NULL && strcmp(vi->trust, "trusted") == 0;
}

/* Append path for a person: $HOME shown as ~, sanitised. */
void
client_show_path(struct buf *out, const char *path)
{
	const char *home = getenv("HOME");
	size_t n;

	if (home != NULL && home[0] == '/' && home[1] != '\0') {
		n = strlen(home);
		while (n > 1 && home[n - 1] == '/')
			n--;
		if (strncmp(path, home, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
			buf_putc(out, '~');
			path += n;
		}
	}
	sanitize_append(out, path);
}

/* Append the notice for an untrusted venv (nothing otherwise). */
void
client_trust_notice(struct buf *out, const struct venv_info *vi)
{
	char reason[16];

	if (vi->trust == NULL || strncmp(vi->trust, "untrusted:", 10) != 0 ||
	    strcmp(vi->trust, TRUST_CHECKING) == 0)
		return;
	buf_puts(out, "venvd: not activating ");
	client_show_path(out, vi->path);
	buf_puts(out, ": ");
	sanitize_append(out, vi->trust + 10);
	/* allow cannot override the hard rule: do not suggest it then. */
	if (trust_rule_hard(vi->path, reason, sizeof reason) == -1) {
		buf_puts(out, " (fix that; venvd allow cannot override it)");
		return;
	}
	buf_puts(out, " (venvd allow ");
	client_show_path(out, strcmp(vi->found_as, "self") == 0 ? vi->path : vi->project);
	buf_puts(out, " to trust it)");
}

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
	res = client_call(cmd, json_pack("{s:o}", "path", rpc_path_to_json(dir)),
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

/*
 * export.c: venvd export, the I/O around the environment transition.
 *
 * "venvd export SHELL [DIR]" reads the variables it shares with the hooks
 * from the environment, lets common/transition.c compute the state for
 * DIR's answer, and prints the difference as code for SHELL (or JSON),
 * quoted by shell_quote. "venvd export --hook SHELL [DIR]" prints the
 * answer line the hooks apply themselves.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "rpc.h"
#include "sanitize.h"
#include "transition.h"
#include "xmalloc.h"

/* Read the variables a transition touches from the environment. */
static void
env_load(struct transition_state *st)
{
	transition_init(st);
	for (int i = 0; i < TR_NVARS; i++)
		transition_set(st, i, getenv(transition_var_names[i]));
}

/* Append "set -gx PATH" with each entry of path as its own word (fish). */
static void
emit_fish_path(struct buf *out, const char *path)
{
	const char *p = path, *end;

	buf_puts(out, "set -gx PATH");
	if (*path == '\0') {
		buf_puts(out, ";\n");
		return;
	}
	for (;;) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		buf_putc(out, ' ');
		shell_quote(SHELL_FISH, p, (size_t)(end - p), out);
		if (*end == '\0')
			break;
		p = end + 1;
	}
	buf_puts(out, ";\n");
}

/* Append the code that takes the shell from old to new. */
static void
emit_shell(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new, struct buf *out)
{
	int path_changed = 0;

	for (int i = 0; i < TR_NVARS; i++) {
		const char *v = new->var[i];

		if (!transition_changed(old, new, i))
			continue;
		if (i == TR_PATH)
			path_changed = 1;
		if (sh == SHELL_FISH) {
			if (v == NULL)
				buf_printf(out, "set -e %s;\n", transition_var_names[i]);
			else if (i == TR_PATH)
				emit_fish_path(out, v);
			else {
				buf_printf(out, "set -gx %s ", transition_var_names[i]);
				shell_quote_str(sh, v, out);
				buf_puts(out, ";\n");
			}
		} else {
			if (v == NULL)
				buf_printf(out, "unset %s;\n", transition_var_names[i]);
			else {
				buf_printf(out, "export %s=", transition_var_names[i]);
				shell_quote_str(sh, v, out);
				buf_puts(out, ";\n");
			}
		}
	}
	if (path_changed && sh == SHELL_BASH)
		buf_puts(out, "hash -r;\n");
	else if (path_changed && sh == SHELL_ZSH)
		buf_puts(out, "rehash;\n");
}

/* Append {"set": {...}, "unset": [...]} for the change from old to new. */
static void
emit_json(const struct transition_state *old, const struct transition_state *new, struct buf *out)
{
	json_t *set = json_object(), *unset = json_array(), *root;
	char *text;

	for (int i = 0; i < TR_NVARS; i++) {
		if (!transition_changed(old, new, i))
			continue;
		if (new->var[i] == NULL)
			json_array_append_new(unset, json_string(transition_var_names[i]));
		else
			json_object_set_new(set, transition_var_names[i],
			    rpc_path_to_json(new->var[i]));
	}
	root = json_pack("{s:o, s:o}", "set", set, "unset", unset);
	text = rpc_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text != NULL) {
		buf_puts(out, text);
		buf_putc(out, '\n');
	}
	free(text);
	json_decref(root);
}

/*
 * With no manual activation in effect (VIRTUAL_ENV unset or venvd's own),
 * the hook applies whatever the daemon answers: let the daemon count an
 * activation when the answer differs from VENVD_ACTIVE. Answers the
 * shell serves from its own cache are not counted.
 */
static void
hook_report_activation(void)
{
	const char *ve = getenv("VIRTUAL_ENV"), *active = getenv("VENVD_ACTIVE");

	if (active != NULL && active[0] == '\0')
		active = NULL;
	if (ve == NULL || ve[0] == '\0' ||
	    (active != NULL && strcmp(ve, active) == 0))
		client_resolve_activating(active);
}

/* Append s with control characters escaped in each of its lines. */
static void
escape_controls_lines(struct buf *out, const char *s)
{
	char *copy = xstrdup(s), *line, *next;

	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		escape_controls(out, line);
		if (next != NULL)
			buf_putc(out, '\n');
	}
	free(copy);
}

/* Print the hooks' answer line: _venvd_answer DIR GEN VENV PROMPT NOTICE. */
static void
export_hook(enum shell_kind sh, const char *given)
{
	struct venv_info vi;
	struct buf out = BUF_INIT, prompt = BUF_INIT, notice = BUF_INIT;
	enum answer_source source;
	char err[512], *dir, *gen = NULL;
	const char *shown;
	int rc = 0, cacheable = 0;

	memset(&vi, 0, sizeof vi);
	dir = client_dir(given, err, sizeof err);
	hook_report_activation();
	if (dir != NULL)
		rc = client_resolve(dir, &vi, &gen, &cacheable, &source, err, sizeof err);
	if (rc == 1) {
		sanitize_prompt(&prompt, vi.prompt);
		if (!client_trust_allows(&vi)) {
			/* Untrusted: no activation, one notice; denied: silence. */
			client_trust_notice(&notice, &vi);
			venv_info_free(&vi);
			rc = 0;
		} else if (vi.broken != NULL) {
			buf_puts(&notice, "venvd: ");
			escape_controls(&notice, vi.path);
			buf_puts(&notice, " is broken: ");
			escape_controls(&notice, vi.broken);
		}
	}
	/* The daemon's faults, shown once per shell like the rest. */
	if (client_resolve_notices() != NULL) {
		if (notice.len > 0)
			buf_putc(&notice, '\n');
		escape_controls_lines(&notice, client_resolve_notices());
	}
	/* DIR as given (or $PWD), so the hook can key its cache on it. */
	shown = given;
	if (shown == NULL && (shown = getenv("PWD")) == NULL)
		shown = dir != NULL ? dir : "";
	buf_puts(&out, "_venvd_answer ");
	shell_quote_str(sh, shown, &out);
	buf_putc(&out, ' ');
	shell_quote_str(sh, gen != NULL && cacheable && rc >= 0 ? gen : "", &out);
	buf_putc(&out, ' ');
	shell_quote_str(sh, rc == 1 ? vi.path : "", &out);
	buf_putc(&out, ' ');
	shell_quote_str(sh, rc == 1 ? prompt.data : "", &out);
	buf_putc(&out, ' ');
	shell_quote_str(sh, notice.len ? notice.data : "", &out);
	buf_putc(&out, '\n');
	fwrite(out.data, 1, out.len, stdout);
	if (rc == 1)
		venv_info_free(&vi);
	free(gen);
	free(dir);
	buf_free(&out);
	buf_free(&prompt);
	buf_free(&notice);
}

/* Print the code for shell sh that takes this environment to dir's state. */
static int
export_shell(enum shell_kind sh, const char *given)
{
	struct transition_state old, new;
	struct venv_info vi;
	struct buf out = BUF_INIT, prompt = BUF_INIT;
	enum answer_source source;
	char *dir;
	int rc;

	if ((rc = client_resolve_given(given, &dir, &vi, &source)) == -1)
		return EXIT_NONE;
	env_load(&old);
	old.pip_guard_on = client_pip_guard();
	transition_init(&new);
	transition_copy(&new, &old);
	if (rc == 1 && !client_trust_allows(&vi)) {
		/* Never activate an untrusted venv; say why (a denied one: silence). */
		client_trust_notice(&prompt, &vi);
		if (prompt.len > 0)
			fprintf(stderr, "%s\n", prompt.data);
		buf_reset(&prompt);
		venv_info_free(&vi);
		rc = 0;
	}
	if (rc == 1) {
		sanitize_prompt(&prompt, vi.prompt);
		if (vi.broken != NULL) {
			fprintf(stderr, "venvd: ");
			term_puts(stderr, vi.path);
			fprintf(stderr, " is broken: ");
			term_puts(stderr, vi.broken);
			fprintf(stderr, "\n");
		}
	}
	if (client_resolve_notices() != NULL) {
		escape_controls_lines(&prompt, client_resolve_notices());
		fprintf(stderr, "%s\n", prompt.data);
		buf_reset(&prompt);
	}
	transition_apply(&new, rc == 1 ? vi.path : NULL, rc == 1 ? prompt.data : NULL);
	if (sh == SHELL_JSON)
		emit_json(&old, &new, &out);
	else
		emit_shell(sh, &old, &new, &out);
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	if (rc == 1)
		venv_info_free(&vi);
	transition_free(&old);
	transition_free(&new);
	buf_free(&out);
	buf_free(&prompt);
	free(dir);
	return EXIT_OK;
}

/* Make the hook mode quiet whatever happens: nothing reaches stderr. */
static void
silence_stderr(void)
{
	int null;

	log_silence();
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

/* venvd export [--hook] bash|zsh|fish|json [DIR]. */
int
cmd_export(int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	int npos = 0, hook = 0, opts = 1;
	enum shell_kind sh;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hook") == 0)
			hook = 1;
	}
	if (hook)
		silence_stderr();
	for (int i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && strcmp(argv[i], "--hook") == 0)
			continue;
		if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			return hook ? EXIT_OK :
			    usage_error("export", "unknown option %s", argv[i]);
		if (npos == 2)
			return hook ? EXIT_OK :
			    usage_error("export", "too many arguments");
		pos[npos++] = argv[i];
	}
	if (npos == 0)
		return hook ? EXIT_OK : usage_error("export", "which shell?");
	sh = shell_kind_parse(pos[0]);
	if (sh == SHELL_NONE || (hook && sh == SHELL_JSON))
		return hook ? EXIT_OK : usage_error("export", "unknown shell %s", pos[0]);
	if (hook) {
		export_hook(sh, pos[1]);
		return EXIT_OK;
	}
	return export_shell(sh, pos[1]);
}

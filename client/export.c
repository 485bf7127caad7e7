/*
 * export.c: the environment transition for a directory.
 *
 * The state lives in exported variables shared with the hooks:
 * VENVD_ACTIVE (the venv venvd activated, present iff venvd owns the
 * activation), VIRTUAL_ENV (the same), VIRTUAL_ENV_PROMPT, PATH with
 * "$VENVD_ACTIVE/bin" prepended, and VENVD_PYTHONHOME (the PYTHONHOME
 * saved at activation, present only if it was set; PYTHONHOME itself is
 * unset while active). "venvd export" computes, from the current
 * environment, what takes it to the right state for a directory and
 * prints that as code for a shell; "venvd export --hook" prints the
 * answer the hooks apply themselves.
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
#include "xmalloc.h"

/* The variables a transition touches, in the order changes are printed. */
enum env_var {
	V_PYTHONHOME,
	V_VENVD_PYTHONHOME,
	V_PATH,
	V_VIRTUAL_ENV,
	V_VIRTUAL_ENV_PROMPT,
	V_VENVD_ACTIVE,
	V_COUNT,
};

static const char *const env_names[V_COUNT] = {
	"PYTHONHOME",
	"VENVD_PYTHONHOME",
	"PATH",
	"VIRTUAL_ENV",
	"VIRTUAL_ENV_PROMPT",
	"VENVD_ACTIVE",
};

/* Each variable's value; NULL when unset. */
struct env_state {
	char	*val[V_COUNT];
};

/* Read the variables from the environment. */
static void
env_load(struct env_state *st)
{
	const char *v;

	for (int i = 0; i < V_COUNT; i++) {
		v = getenv(env_names[i]);
		st->val[i] = v != NULL ? xstrdup(v) : NULL;
	}
}

/* Free the values. */
static void
env_free(struct env_state *st)
{
	for (int i = 0; i < V_COUNT; i++) {
		free(st->val[i]);
		st->val[i] = NULL;
	}
}

/* Set (v != NULL, copied) or unset a variable. */
static void
env_set(struct env_state *st, enum env_var var, const char *v)
{
	free(st->val[var]);
	st->val[var] = v != NULL ? xstrdup(v) : NULL;
}

/* A variable's value if set and not empty, else NULL. */
static const char *
env_nonempty(const struct env_state *st, enum env_var var)
{
	const char *v = st->val[var];

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * Remove the first entry of the colon-separated path that equals entry
 * exactly, keeping every other entry (empty ones too) byte for byte.
 * Returns a new string, or NULL when entry is not there.
 */
static char *
path_remove_entry(const char *path, const char *entry)
{
	size_t elen = strlen(entry);
	const char *p = path, *end;
	struct buf out = BUF_INIT;

	for (;;) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == elen && memcmp(p, entry, elen) == 0)
			break;
		if (*end == '\0')
			return NULL;
		p = end + 1;
	}
	if (p == path) {
		/* First entry: drop it and the colon after it, if any. */
		buf_puts(&out, *end == ':' ? end + 1 : end);
	} else {
		/* Later entry: drop the colon before it and the entry. */
		buf_append(&out, path, (size_t)(p - 1 - path));
		buf_puts(&out, end);
	}
	return buf_take(&out);
}

/* Undo venvd's activation of $VENVD_ACTIVE. */
static void
env_deactivate(struct env_state *st)
{
	const char *active = env_nonempty(st, V_VENVD_ACTIVE);
	char *bin, *path;

	if (active != NULL && st->val[V_PATH] != NULL) {
		xasprintf(&bin, "%s/bin", active);
		if ((path = path_remove_entry(st->val[V_PATH], bin)) != NULL) {
			free(st->val[V_PATH]);
			st->val[V_PATH] = path;
		}
		free(bin);
	}
	if (st->val[V_VENVD_PYTHONHOME] != NULL) {
		free(st->val[V_PYTHONHOME]);
		st->val[V_PYTHONHOME] = st->val[V_VENVD_PYTHONHOME];
		st->val[V_VENVD_PYTHONHOME] = NULL;
	}
	env_set(st, V_VIRTUAL_ENV, NULL);
	env_set(st, V_VIRTUAL_ENV_PROMPT, NULL);
	env_set(st, V_VENVD_ACTIVE, NULL);
}

/* Activate venv as bin/activate does, recording it as ours. */
static void
env_activate(struct env_state *st, const char *venv, const char *prompt)
{
	const char *old = env_nonempty(st, V_PATH);
	char *path;

	if (old != NULL)
		xasprintf(&path, "%s/bin:%s", venv, old);
	else
		xasprintf(&path, "%s/bin", venv);
	free(st->val[V_PATH]);
	st->val[V_PATH] = path;
	if (st->val[V_PYTHONHOME] != NULL) {
		free(st->val[V_VENVD_PYTHONHOME]);
		st->val[V_VENVD_PYTHONHOME] = st->val[V_PYTHONHOME];
		st->val[V_PYTHONHOME] = NULL;
	}
	env_set(st, V_VIRTUAL_ENV, venv);
	env_set(st, V_VIRTUAL_ENV_PROMPT, prompt);
	env_set(st, V_VENVD_ACTIVE, venv);
}

/*
 * Take st to the state for venv (NULL: none applies). A VIRTUAL_ENV
 * venvd did not set is a manual activation: nothing changes. The venv
 * already active: nothing changes.
 */
static void
env_transition(struct env_state *st, const char *venv, const char *prompt)
{
	const char *active = env_nonempty(st, V_VENVD_ACTIVE);
	const char *ve = env_nonempty(st, V_VIRTUAL_ENV);

	if (ve != NULL && (active == NULL || strcmp(ve, active) != 0))
		return;
	if (active != NULL && ve != NULL && venv != NULL && strcmp(venv, active) == 0)
		return;
	if (active != NULL)
		env_deactivate(st);
	if (venv != NULL)
		env_activate(st, venv, prompt);
}

/* Do two optional strings differ? */
static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
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
emit_shell(enum shell_kind sh, const struct env_state *old,
    const struct env_state *new, struct buf *out)
{
	int path_changed = 0;

	for (int i = 0; i < V_COUNT; i++) {
		const char *v = new->val[i];

		if (!str_differ(old->val[i], v))
			continue;
		if (i == V_PATH)
			path_changed = 1;
		if (sh == SHELL_FISH) {
			if (v == NULL)
				buf_printf(out, "set -e %s;\n", env_names[i]);
			else if (i == V_PATH)
				emit_fish_path(out, v);
			else {
				buf_printf(out, "set -gx %s ", env_names[i]);
				shell_quote_str(sh, v, out);
				buf_puts(out, ";\n");
			}
		} else {
			if (v == NULL)
				buf_printf(out, "unset %s;\n", env_names[i]);
			else {
				buf_printf(out, "export %s=", env_names[i]);
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
emit_json(const struct env_state *old, const struct env_state *new, struct buf *out)
{
	json_t *set = json_object(), *unset = json_array(), *root;
	char *text;

	for (int i = 0; i < V_COUNT; i++) {
		if (!str_differ(old->val[i], new->val[i]))
			continue;
		if (new->val[i] == NULL)
			json_array_append_new(unset, json_string(env_names[i]));
		else
			json_object_set_new(set, env_names[i],
			    rpc_path_to_json(new->val[i]));
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
	struct env_state old, new;
	struct venv_info vi;
	struct buf out = BUF_INIT, prompt = BUF_INIT;
	enum answer_source source;
	char *dir;
	int rc;

	if ((rc = client_resolve_given(given, &dir, &vi, &source)) == -1)
		return EXIT_NONE;
	env_load(&old);
	env_load(&new);
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
	env_transition(&new, rc == 1 ? vi.path : NULL, rc == 1 ? prompt.data : NULL);
	if (sh == SHELL_JSON)
		emit_json(&old, &new, &out);
	else
		emit_shell(sh, &old, &new, &out);
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	if (rc == 1)
		venv_info_free(&vi);
	env_free(&old);
	env_free(&new);
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

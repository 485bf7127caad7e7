/*
 * export.c: venvd export, the I/O around the environment transition.
 *
 * "venvd export SHELL [DIR]" reads the variables it shares with the hooks
 * from the environment, lets common/transition.c compute the state for
 * DIR's answer, and prints the difference as code for SHELL (or JSON),
 * quoted by shell_quote (common/transition_emit.c). "venvd export --hook
 * SHELL [BOOKKEEPING] [DIR]" does the same for a hook, given the shell's
 * own bookkeeping as options, and prints that bookkeeping's change too;
 * with --deactivate it is the user's deactivate, and never asks anyone.
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
void
client_env_state(struct transition_state *st)
{
	transition_init(st);
	for (int i = 0; i < TR_NVARS; i++)
		transition_set(st, i, getenv(transition_var_names[i]));
}

/*
 * With no manual activation in effect (VIRTUAL_ENV unset or venvd's own),
 * the hook applies whatever the daemon answers: let the daemon count an
 * activation when the answer differs from VENVD_ACTIVE. Answers the
 * shell serves from its own cache are not counted.
 */
void
client_report_activation(void)
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

/* The bookkeeping "venvd export --hook" is given, and what it is asked. */
struct hook_args {
	const char	*suppress;
	const char	*ps1;
	const char	*ps1_added;
	int		 ps1_on;
	int		 fn_ours;
	int		 fn_exists;
	int		 pip_guard;	/* -1: the config's */
	int		 deactivate;	/* the user ran deactivate */
	int		 nondestructive;
	int		 state;		/* the variables are the --var's */
	const char	*var[TR_NVARS];	/* --var NAME=VALUE */
};

/* A bookkeeping string: NULL for an empty one. */
static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Is this a manual activation (VIRTUAL_ENV set, not venvd's)? */
int
client_manual_activation(const struct transition_state *st)
{
	const char *ve = nonempty(st->var[TR_VIRTUAL_ENV]);
	const char *active = nonempty(st->var[TR_VENVD_ACTIVE]);

	return ve != NULL && (active == NULL || strcmp(ve, active) != 0);
}

/* Print "_venvd_answer_gen=GEN;" for sh: the line a hook checks first. */
static void
hook_gen_line(enum shell_kind sh, const char *gen, struct buf *out)
{
	buf_puts(out, sh == SHELL_FISH ? "set -g _venvd_answer_gen " :
	    "_venvd_answer_gen=");
	shell_quote_str(sh, gen, out);
	buf_puts(out, ";\n");
}

/* The answer for dir as the hook applies it; notice gets its lines. */
static int
hook_answer(const char *given, struct venv_info *vi, struct buf *prompt,
    struct buf *notice, char **gen, int *cacheable)
{
	enum answer_source source;
	char err[512], *dir;
	int rc = 0;

	dir = client_dir(given, err, sizeof err);
	client_report_activation();
	if (dir != NULL)
		rc = client_resolve(dir, vi, gen, cacheable, &source, err, sizeof err);
	free(dir);
	if (rc == 1) {
		sanitize_prompt(prompt, vi->prompt);
		if (!client_trust_allows(vi)) {
			/* Untrusted: no activation, one notice; denied: silence. */
			client_trust_notice(notice, vi);
			venv_info_free(vi);
			rc = 0;
		} else if (vi->broken != NULL) {
			buf_puts(notice, "venvd: ");
			escape_controls(notice, vi->path);
			buf_puts(notice, " is broken: ");
			escape_controls(notice, vi->broken);
		}
	}
	/* The daemon's faults, shown once per shell like the rest. */
	if (client_resolve_notices() != NULL) {
		if (notice->len > 0)
			buf_putc(notice, '\n');
		escape_controls_lines(notice, client_resolve_notices());
	}
	return rc;
}

/*
 * Print what the hook evals: "_venvd_answer_gen=GEN;" (the generation
 * the code may be cached under; "" not at all; "*" under any, as it
 * depends on the shell's state only), then the transition as code.
 */
static void
export_hook(enum shell_kind sh, const char *given, const struct hook_args *ha)
{
	struct transition_state old, new;
	struct transition_answer ans = { NULL, NULL, NULL };
	struct venv_info vi;
	struct buf out = BUF_INIT, prompt = BUF_INIT, notice = BUF_INIT;
	char *gen = NULL;
	int rc = 0, cacheable = 0;
	const char *shown = "*";

	memset(&vi, 0, sizeof vi);
	client_env_state(&old);
	if (ha->state) {
		/* The shell's values, exported or not, as the hook keys them. */
		for (int i = 0; i < TR_NVARS; i++)
			transition_set(&old, i, ha->var[i]);
	}
	transition_set_str(&old.suppress, nonempty(ha->suppress));
	old.ps1_on = ha->ps1_on;
	transition_set_str(&old.ps1, sh == SHELL_FISH ? NULL : ha->ps1);
	transition_set_str(&old.ps1_added, nonempty(ha->ps1_added));
	old.fn_ours = ha->fn_ours;
	old.fn_exists = ha->fn_exists || ha->fn_ours;
	old.pip_guard_on = ha->pip_guard != -1 ? ha->pip_guard :
	    client_pip_guard();
	transition_init(&new);
	transition_copy(&new, &old);
	if (ha->deactivate) {
		/* A user command, never the daemon's business. */
		transition_deactivate(&new, ha->nondestructive);
		shown = "";
	} else if (client_manual_activation(&old)) {
		/* The answer cannot matter: no need to ask for it. */
		transition_answer(&new, &ans);
	} else {
		rc = hook_answer(given, &vi, &prompt, &notice, &gen, &cacheable);
		shown = gen != NULL && cacheable && rc >= 0 ? gen : "";
		ans.venv = rc == 1 ? vi.path : NULL;
		ans.prompt = rc == 1 ? prompt.data : NULL;
		ans.notice = notice.len > 0 ? notice.data : NULL;
		transition_answer(&new, &ans);
	}
	hook_gen_line(sh, shown, &out);
	transition_emit(sh, &old, &new, TR_EMIT_BOOKKEEPING, &out);
	fwrite(out.data, 1, out.len, stdout);
	if (rc == 1)
		venv_info_free(&vi);
	free(gen);
	transition_free(&old);
	transition_free(&new);
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
	client_env_state(&old);
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
	transition_emit(sh, &old, &new, 0, &out);
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

/* The value of option argv[*i] (the next word), or NULL at the end. */
static const char *
opt_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/*
 * One --hook option at argv[*i]: 1 if taken, 0 if not one of them, -1 if
 * its value is missing or wrong.
 */
static int
hook_option(int argc, char **argv, int *i, struct hook_args *ha)
{
	const char *o = argv[*i], *v;

	if (strcmp(o, "--ps1-on") == 0)
		ha->ps1_on = 1;
	else if (strcmp(o, "--fn-ours") == 0)
		ha->fn_ours = 1;
	else if (strcmp(o, "--fn-exists") == 0)
		ha->fn_exists = 1;
	else if (strcmp(o, "--deactivate") == 0)
		ha->deactivate = 1;
	else if (strcmp(o, "--nondestructive") == 0)
		ha->nondestructive = 1;
	else if (strcmp(o, "--state") == 0)
		ha->state = 1;
	else if (strcmp(o, "--var") == 0) {
		if ((v = opt_value(argc, argv, i)) == NULL)
			return -1;
		for (int k = 0; k < TR_NVARS; k++) {
			size_t n = strlen(transition_var_names[k]);

			if (strncmp(v, transition_var_names[k], n) == 0 &&
			    v[n] == '=') {
				ha->var[k] = v + n + 1;
				return 1;
			}
		}
		return -1;
	}
	else if (strcmp(o, "--suppress") == 0 ||
	    strcmp(o, "--ps1") == 0 || strcmp(o, "--ps1-added") == 0 ||
	    strcmp(o, "--pip-guard") == 0) {
		if ((v = opt_value(argc, argv, i)) == NULL)
			return -1;
		if (strcmp(o, "--suppress") == 0)
			ha->suppress = v;
		else if (strcmp(o, "--ps1") == 0)
			ha->ps1 = v;
		else if (strcmp(o, "--ps1-added") == 0)
			ha->ps1_added = v;
		else if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
			ha->pip_guard = v[0] == '1';
		else
			return -1;
	} else
		return 0;
	return 1;
}

/*
 * venvd export [--hook [BOOKKEEPING] [--deactivate [--nondestructive]]]
 *     bash|zsh|fish|json [DIR].
 */
int
cmd_export(int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	struct hook_args ha;
	int npos = 0, hook = 0, opts = 1, r;
	enum shell_kind sh;

	memset(&ha, 0, sizeof ha);
	ha.pip_guard = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
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
		if (opts && hook && (r = hook_option(argc, argv, &i, &ha)) != 0) {
			if (r == -1)
				return EXIT_OK;
			continue;
		}
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
		export_hook(sh, pos[1], &ha);
		return EXIT_OK;
	}
	return export_shell(sh, pos[1]);
}

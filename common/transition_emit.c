/*
 * transition_emit.c: the change a transition made, as code for bash, zsh
 * or fish (or JSON). The one printer of transitions: "venvd export" and
 * "venvd export --hook" use it. Pure: it appends to a buffer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rpc.h"
#include "shell_quote.h"
#include "transition.h"

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

/* Append a shell variable assignment: "NAME=v;" or "set -g NAME v;". */
static void
emit_assign(enum shell_kind sh, const char *name, const char *v,
    struct buf *out)
{
	if (sh == SHELL_FISH)
		buf_printf(out, "set -g %s ", name);
	else
		buf_printf(out, "%s=", name);
	shell_quote_str(sh, v != NULL ? v : "", out);
	buf_puts(out, ";\n");
}

/* Append the exports and unsets of every variable that changed. */
static void
emit_vars(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new, struct buf *out)
{
	for (int i = 0; i < TR_NVARS; i++) {
		const char *v = new->var[i], *name = transition_var_names[i];

		if (!transition_changed(old, new, i))
			continue;
		if (v == NULL)
			buf_printf(out, "%s %s;\n",
			    sh == SHELL_FISH ? "set -e" : "unset", name);
		else if (sh == SHELL_FISH && i == TR_PATH)
			emit_fish_path(out, v);
		else {
			buf_printf(out, "%s %s%s", sh == SHELL_FISH ?
			    "set -gx" : "export", name, sh == SHELL_FISH ?
			    " " : "=");
			shell_quote_str(sh, v, out);
			buf_puts(out, ";\n");
		}
	}
}

/* Append the hook's bookkeeping, "deactivate", PS1 and the notice. */
static void
emit_bookkeeping(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new, struct buf *out)
{
	if (new->fn_action == TR_FN_DEFINE)
		buf_puts(out, "_venvd_deactivate_define;\n");
	else if (new->fn_action == TR_FN_UNDEFINE)
		buf_puts(out, "_venvd_deactivate_undefine;\n");
	if (old->fn_ours != new->fn_ours)
		emit_assign(sh, "_venvd_fn_ours", new->fn_ours ? "1" : "0", out);
	if (transition_str_differ(old->suppress, new->suppress))
		emit_assign(sh, "_venvd_suppress", new->suppress, out);
	if (sh == SHELL_FISH) {
		/* fish has no PS1: its fish_prompt wrapper prints the prefix. */
		if (!transition_str_differ(old->ps1_added, new->ps1_added))
			;
		else if (new->ps1_added == NULL || new->ps1_added[0] == '\0')
			buf_puts(out, "_venvd_ps1_off;\n");
		else {
			buf_puts(out, "_venvd_ps1_on ");
			shell_quote_str(sh, new->ps1_added, out);
			buf_puts(out, ";\n");
		}
	} else {
		if (transition_str_differ(old->ps1, new->ps1) && new->ps1 != NULL)
			emit_assign(sh, "PS1", new->ps1, out);
		if (transition_str_differ(old->ps1_added, new->ps1_added))
			emit_assign(sh, "_venvd_ps1_added", new->ps1_added, out);
	}
	if (new->notice != NULL && new->notice[0] != '\0') {
		buf_puts(out, "_venvd_notice ");
		shell_quote_str(sh, new->notice, out);
		buf_puts(out, ";\n");
	}
}

/* Append {"set": {...}, "unset": [...]} for the change from old to new. */
static void
emit_json(const struct transition_state *old,
    const struct transition_state *new, struct buf *out)
{
	json_t *set = json_object(), *unset = json_array(), *root;
	char *text;

	for (int i = 0; i < TR_NVARS; i++) {
		if (!transition_changed(old, new, i))
			continue;
		if (new->var[i] == NULL)
			json_array_append_new(unset,
			    json_string(transition_var_names[i]));
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

/* Append the code for shell sh taking old to new. */
void
transition_emit(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new, int flags, struct buf *out)
{
	if (sh == SHELL_JSON) {
		emit_json(old, new, out);
		return;
	}
	emit_vars(sh, old, new, out);
	if (flags & TR_EMIT_BOOKKEEPING)
		emit_bookkeeping(sh, old, new, out);
	if (transition_rehash(old, new) && sh == SHELL_BASH)
		buf_puts(out, "hash -r;\n");
	else if (transition_rehash(old, new) && sh == SHELL_ZSH)
		buf_puts(out, "rehash;\n");
}

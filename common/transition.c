/* transition.c: the environment transition for a directory, pure. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "transition.h"
#include "xmalloc.h"

const char *const transition_var_names[TR_NVARS] = {
	"PYTHONHOME",
	"VENVD_PYTHONHOME",
	"PATH",
	"VIRTUAL_ENV",
	"VIRTUAL_ENV_PROMPT",
	"VENVD_ACTIVE",
	"PIP_REQUIRE_VIRTUALENV",
	"VENVD_PIP_GUARD",
};

/* A copy of an optional string. */
static char *
opt_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Replace *slot with a copy of v (NULL: none). */
static void
slot_set(char **slot, const char *v)
{
	char *copy = opt_strdup(v);

	free(*slot);
	*slot = copy;
}

/* Do two optional strings differ? */
int
transition_str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* An empty state: every variable unset, no bookkeeping. */
void
transition_init(struct transition_state *st)
{
	memset(st, 0, sizeof *st);
}

/* Free every value held; the state is empty again. */
void
transition_free(struct transition_state *st)
{
	for (int i = 0; i < TR_NVARS; i++)
		free(st->var[i]);
	free(st->suppress);
	free(st->ps1);
	free(st->ps1_added);
	for (size_t i = 0; i < st->nnoticed; i++)
		free(st->noticed[i]);
	free(st->noticed);
	free(st->notice);
	transition_init(st);
}

/* Make dst (initialised) a deep copy of src. */
void
transition_copy(struct transition_state *dst, const struct transition_state *src)
{
	for (int i = 0; i < TR_NVARS; i++)
		slot_set(&dst->var[i], src->var[i]);
	slot_set(&dst->suppress, src->suppress);
	dst->ps1_on = src->ps1_on;
	slot_set(&dst->ps1, src->ps1);
	slot_set(&dst->ps1_added, src->ps1_added);
	dst->fn_ours = src->fn_ours;
	dst->fn_exists = src->fn_exists;
	for (size_t i = 0; i < dst->nnoticed; i++)
		free(dst->noticed[i]);
	free(dst->noticed);
	dst->noticed = NULL;
	dst->nnoticed = 0;
	if (src->nnoticed > 0) {
		dst->noticed = xcalloc(src->nnoticed, sizeof *dst->noticed);
		for (size_t i = 0; i < src->nnoticed; i++)
			dst->noticed[i] = xstrdup(src->noticed[i]);
		dst->nnoticed = src->nnoticed;
	}
	dst->pip_guard_on = src->pip_guard_on;
	dst->fn_action = src->fn_action;
	slot_set(&dst->notice, src->notice);
}

/* Set a bookkeeping string to a copy of v (NULL: none). */
void
transition_set_str(char **slot, const char *v)
{
	slot_set(slot, v);
}

/* Set a variable to a copy of v, or unset it (v NULL). */
void
transition_set(struct transition_state *st, enum tr_var var, const char *v)
{
	slot_set(&st->var[var], v);
}

/* A variable's value if set and not empty, else NULL. */
static const char *
var_nonempty(const struct transition_state *st, enum tr_var var)
{
	const char *v = st->var[var];

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Does var differ between old and new? */
int
transition_changed(const struct transition_state *old,
    const struct transition_state *new, enum tr_var var)
{
	return transition_str_differ(old->var[var], new->var[var]);
}

/* Must the shell forget its command lookups (PATH changed)? */
int
transition_rehash(const struct transition_state *old,
    const struct transition_state *new)
{
	return transition_changed(old, new, TR_PATH);
}

/*
 * Remove the first entry of path equal to entry; NULL when absent. The
 * entry is matched as bytes between colons (or the ends), so one that
 * holds a colon itself (a venv under "a:b") is still found, as the shell
 * hooks' ":$PATH:" replacement found it.
 */
char *
transition_path_remove(const char *path, const char *entry)
{
	size_t elen = strlen(entry), plen = strlen(path);
	const char *p, *end;
	struct buf out = BUF_INIT;

	for (p = path;; p++) {
		if ((p == path || p[-1] == ':') &&
		    (size_t)(path + plen - p) >= elen &&
		    memcmp(p, entry, elen) == 0 &&
		    (p[elen] == ':' || p[elen] == '\0'))
			break;
		if (*p == '\0')
			return NULL;
	}
	end = p + elen;
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

/* Put "(prompt) " in front of PS1, replacing what we put there before. */
static void
ps1_prefix(struct transition_state *st, const char *prompt)
{
	const char *ps1 = st->ps1 != NULL ? st->ps1 : "";
	size_t alen = st->ps1_added != NULL ? strlen(st->ps1_added) : 0;
	char *add, *next;

	if (!st->ps1_on)
		return;
	xasprintf(&add, "(%s) ", prompt != NULL ? prompt : "");
	if (alen > 0 && strncmp(ps1, st->ps1_added, alen) == 0) {
		if (strcmp(add, st->ps1_added) == 0) {
			free(add);
			return;
		}
		ps1 += alen;	/* the prompt changed: replace ours */
	}
	xasprintf(&next, "%s%s", add, ps1);
	free(st->ps1);
	st->ps1 = next;
	free(st->ps1_added);
	st->ps1_added = add;
}

/* Take back exactly what ps1_prefix put in front of PS1. */
static void
ps1_unprefix(struct transition_state *st)
{
	size_t alen;
	char *rest;

	if (st->ps1_added == NULL || st->ps1_added[0] == '\0')
		return;
	alen = strlen(st->ps1_added);
	if (st->ps1 != NULL && strncmp(st->ps1, st->ps1_added, alen) == 0) {
		rest = xstrdup(st->ps1 + alen);
		free(st->ps1);
		st->ps1 = rest;
	}
	free(st->ps1_added);
	st->ps1_added = NULL;
}

/* Define venvd's "deactivate" (replacing whoever's was there). */
static void
fn_define(struct transition_state *st)
{
	st->fn_action = TR_FN_DEFINE;
	st->fn_ours = 1;
	st->fn_exists = 1;
}

/* Remove "deactivate" if it is venvd's. */
static void
fn_undefine(struct transition_state *st)
{
	if (!st->fn_ours)
		return;
	st->fn_action = TR_FN_UNDEFINE;
	st->fn_ours = 0;
	st->fn_exists = 0;
}

/* Start a step: clear the outputs of the last one. */
static void
step_begin(struct transition_state *st)
{
	st->fn_action = TR_FN_KEEP;
	slot_set(&st->notice, NULL);
}

/* Show notice now unless this shell has shown that text already. */
static void
notice_once(struct transition_state *st, const char *notice)
{
	if (notice == NULL || notice[0] == '\0')
		return;
	for (size_t i = 0; i < st->nnoticed; i++) {
		if (strcmp(st->noticed[i], notice) == 0)
			return;
	}
	st->noticed = xrealloc(st->noticed,
	    (st->nnoticed + 1) * sizeof *st->noticed);
	st->noticed[st->nnoticed++] = xstrdup(notice);
	slot_set(&st->notice, notice);
}

/* Undo venvd's activation of $VENVD_ACTIVE. */
static void
deactivate(struct transition_state *st)
{
	const char *active = var_nonempty(st, TR_VENVD_ACTIVE);
	char *bin, *path;

	if (active != NULL && st->var[TR_PATH] != NULL) {
		xasprintf(&bin, "%s/bin", active);
		if ((path = transition_path_remove(st->var[TR_PATH], bin)) != NULL) {
			free(st->var[TR_PATH]);
			st->var[TR_PATH] = path;
		}
		free(bin);
	}
	if (st->var[TR_VENVD_PYTHONHOME] != NULL) {
		free(st->var[TR_PYTHONHOME]);
		st->var[TR_PYTHONHOME] = st->var[TR_VENVD_PYTHONHOME];
		st->var[TR_VENVD_PYTHONHOME] = NULL;
	}
	transition_set(st, TR_VIRTUAL_ENV, NULL);
	transition_set(st, TR_VIRTUAL_ENV_PROMPT, NULL);
	transition_set(st, TR_VENVD_ACTIVE, NULL);
	ps1_unprefix(st);
	fn_undefine(st);
}

/* Activate venv as bin/activate does, recording it as ours. */
static void
activate(struct transition_state *st, const char *venv, const char *prompt)
{
	const char *old = var_nonempty(st, TR_PATH);
	char *path;

	if (old != NULL)
		xasprintf(&path, "%s/bin:%s", venv, old);
	else
		xasprintf(&path, "%s/bin", venv);
	free(st->var[TR_PATH]);
	st->var[TR_PATH] = path;
	/* A VENVD_PYTHONHOME left over from elsewhere is not ours to restore. */
	free(st->var[TR_VENVD_PYTHONHOME]);
	st->var[TR_VENVD_PYTHONHOME] = st->var[TR_PYTHONHOME];
	st->var[TR_PYTHONHOME] = NULL;
	if (prompt == NULL)
		prompt = "";
	transition_set(st, TR_VIRTUAL_ENV, venv);
	transition_set(st, TR_VIRTUAL_ENV_PROMPT, prompt);
	transition_set(st, TR_VENVD_ACTIVE, venv);
	fn_define(st);
	ps1_prefix(st, prompt);
}

/* One prompt's step for the directory's answer. */
void
transition_answer(struct transition_state *st,
    const struct transition_answer *ans)
{
	const char *active = var_nonempty(st, TR_VENVD_ACTIVE);
	const char *ve = var_nonempty(st, TR_VIRTUAL_ENV);
	const char *venv = ans->venv, *prompt = ans->prompt;

	step_begin(st);
	if (venv != NULL && venv[0] == '\0')
		venv = NULL;
	if (prompt == NULL)
		prompt = "";
	/* A VIRTUAL_ENV venvd did not set: a manual activation. */
	if (ve != NULL && (active == NULL || strcmp(ve, active) != 0)) {
		/* Its activate script replaced our deactivate. */
		if (active != NULL)
			st->fn_ours = 0;
		transition_pip_guard(st);
		return;
	}
	/* Ours, but VIRTUAL_ENV went: someone else's deactivate ran. */
	if (active != NULL && ve == NULL) {
		deactivate(st);
		active = NULL;
	}
	if (st->suppress != NULL) {
		if (venv != NULL && strcmp(venv, st->suppress) == 0)
			venv = NULL;	/* deactivated by the user: stay off */
		else
			slot_set(&st->suppress, NULL);
	}
	notice_once(st, ans->notice);
	if (active != NULL && venv != NULL && strcmp(venv, active) == 0) {
		/* Ours already, or inherited (adopt): refresh its prompt. */
		if (transition_str_differ(st->var[TR_VIRTUAL_ENV_PROMPT], prompt))
			transition_set(st, TR_VIRTUAL_ENV_PROMPT, prompt);
		if (!st->fn_ours && !st->fn_exists)
			fn_define(st);
		ps1_prefix(st, prompt);
	} else {
		if (active != NULL)
			deactivate(st);
		if (venv != NULL)
			activate(st, venv, prompt);
	}
	transition_pip_guard(st);
}

/* transition_answer with venv and prompt, no notice. */
void
transition_apply(struct transition_state *st, const char *venv,
    const char *prompt)
{
	struct transition_answer ans = { venv, prompt, NULL };

	transition_answer(st, &ans);
}

/* The user ran venvd's deactivate. */
void
transition_deactivate(struct transition_state *st, int nondestructive)
{
	const char *active = var_nonempty(st, TR_VENVD_ACTIVE);

	step_begin(st);
	if (active == NULL) {
		fn_undefine(st);
		return;
	}
	if (!nondestructive)
		slot_set(&st->suppress, active);
	deactivate(st);
	transition_pip_guard(st);
}

/* The pip guard for the state as it is. */
void
transition_pip_guard(struct transition_state *st)
{
	const char *req = st->var[TR_PIP_REQUIRE_VIRTUALENV];
	const char *ours = st->var[TR_VENVD_PIP_GUARD];

	if (var_nonempty(st, TR_VIRTUAL_ENV) != NULL || !st->pip_guard_on) {
		if (ours == NULL || strcmp(ours, "1") != 0)
			return;
		if (req != NULL && strcmp(req, "true") == 0)
			transition_set(st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
		transition_set(st, TR_VENVD_PIP_GUARD, NULL);
	} else if (req == NULL) {
		transition_set(st, TR_PIP_REQUIRE_VIRTUALENV, "true");
		transition_set(st, TR_VENVD_PIP_GUARD, "1");
	}
}

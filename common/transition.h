/*
 * transition.h: the environment transition for a directory, pure.
 *
 * Given what a shell has now -- the exported variables venvd shares with
 * the hooks, and the shell's own bookkeeping -- and the answer for the
 * directory (a venv and its prompt, or none), compute the state to move
 * to. No I/O: the caller reads the environment into a transition_state,
 * copies it, applies the answer to the copy and prints, in its shell's
 * language, each variable transition_changed() reports.
 *
 * The exported state:
 *   VENVD_ACTIVE        the venv venvd activated (set iff venvd owns it)
 *   VIRTUAL_ENV         the same path, as bin/activate sets it
 *   VIRTUAL_ENV_PROMPT  its prompt
 *   PATH                with "$VENVD_ACTIVE/bin" put in front
 *   VENVD_PYTHONHOME    PYTHONHOME saved at activation (only if it was
 *                       set); PYTHONHOME itself is unset while active
 *   PIP_REQUIRE_VIRTUALENV=true with VENVD_PIP_GUARD=1 (the pip guard,
 *                       when pip_guard_on): set while no venv is active,
 *                       lifted while any is; a value the user set is his
 * VIRTUAL_ENV set to anything else is a manual activation: left alone.
 *
 * The rules, with bin/activate as the reference and direnv's for the edge
 * cases: PATH gets "$venv/bin" in front, never an empty entry (the
 * current directory) with it, so an empty or unset PATH becomes exactly
 * "$venv/bin"; leaving removes that one entry byte for byte and keeps
 * every other (empty ones too), and a PATH the user unset stays unset.
 * VIRTUAL_ENV_PROMPT is always set while active ("" for no prompt) and
 * follows the answer's prompt while the same venv stays active.
 */
#ifndef VENVD_TRANSITION_H
#define VENVD_TRANSITION_H

#include <stddef.h>

#include "shell_quote.h"

/* The variables a transition touches, in the order changes are printed. */
enum tr_var {
	TR_PYTHONHOME,
	TR_VENVD_PYTHONHOME,
	TR_PATH,
	TR_VIRTUAL_ENV,
	TR_VIRTUAL_ENV_PROMPT,
	TR_VENVD_ACTIVE,
	TR_PIP_REQUIRE_VIRTUALENV,
	TR_VENVD_PIP_GUARD,
	TR_NVARS,
};

/* Each variable's name in the environment, indexed by enum tr_var. */
extern const char *const transition_var_names[TR_NVARS];

/* What to do with the shell function "deactivate" after a step. */
enum tr_fn {
	TR_FN_KEEP,		/* leave it as it is */
	TR_FN_DEFINE,		/* define venvd's (replacing any other) */
	TR_FN_UNDEFINE,		/* remove venvd's (never someone else's) */
};

/*
 * The whole state one step reads and writes. The exported variables come
 * from the environment; the bookkeeping is per shell and not exported
 * (shell variables of the hook, or the builtin's own): a caller loads it
 * before a step and stores it after. "venvd export SHELL" has none and
 * leaves it NULL and 0; "venvd export --hook" is given it as options.
 */
struct transition_state {
	char	*var[TR_NVARS];	/* exported values; NULL when unset */

	/* Bookkeeping (in: loaded by the caller; out: to store). */
	char	*suppress;	/* the venv the user deactivated: kept off
				   until the answer is another (or none) */
	int	 ps1_on;	/* VENVD_PS1=1: "(prompt) " in front of PS1 */
	char	*ps1;		/* PS1 (bash, zsh); fish has none: NULL */
	char	*ps1_added;	/* exactly what was put in front of PS1
				   (fish: what its prompt wrapper prints) */
	int	 fn_ours;	/* "deactivate" is venvd's (defined by it) */
	int	 fn_exists;	/* a function "deactivate" exists (anyone's) */
	char   **noticed;	/* notice texts this shell has shown; only
				   the in-shell paths keep it (the glue
				   dedups for "venvd export --hook") */
	size_t	 nnoticed;

	int	 pip_guard_on;	/* the config's pip_guard (not a variable) */

	/*
	 * Outputs of the last step (transition_apply, transition_answer,
	 * transition_deactivate), cleared at the start of each; not state.
	 */
	enum tr_fn fn_action;	/* define/remove "deactivate" */
	char	*notice;	/* show this now (NULL: nothing) */
};

/* The answer for a directory, as transition_answer takes it. */
struct transition_answer {
	const char *venv;	/* NULL or "": no venv applies */
	const char *prompt;	/* inert prompt text (sanitize_prompt); NULL: "" */
	const char *notice;	/* one or more lines for the user; NULL: none */
};

/* An empty state: every variable unset, no bookkeeping. */
void	transition_init(struct transition_state *);
/* Free every value held; the state is empty again. */
void	transition_free(struct transition_state *);
/* Make dst (initialised) a deep copy of src, bookkeeping and outputs too. */
void	transition_copy(struct transition_state *dst,
	    const struct transition_state *src);
/* Set a variable to a copy of v, or unset it (v NULL). */
void	transition_set(struct transition_state *, enum tr_var, const char *v);
/* Set a bookkeeping string (&st->suppress, &st->ps1...) to a copy of v. */
void	transition_set_str(char **slot, const char *v);
/* Do two optional strings (NULL: unset) differ? */
int	transition_str_differ(const char *a, const char *b);
/*
 * One prompt's step for the directory's answer, every rule the hooks had:
 *   - manual activation (VIRTUAL_ENV set, not venvd's): left alone, no
 *     notice; if venvd's VENVD_ACTIVE is still set, its activate script
 *     replaced our "deactivate": fn_ours = 0 (nothing undefined);
 *   - VENVD_ACTIVE set but VIRTUAL_ENV gone (someone else's deactivate
 *     ran): venvd's leftovers are cleaned up (PATH entry, PYTHONHOME,
 *     the variables, PS1's prefix, our "deactivate");
 *   - suppression: the venv the user deactivated stays off while it is
 *     the answer; another answer (or none) ends it;
 *   - the notice, unless already in noticed (then recorded there);
 *   - the venv already active (ours, or inherited from a parent shell:
 *     adopt) only gets its prompt (VIRTUAL_ENV_PROMPT, PS1's prefix) and
 *     our "deactivate" if no such function exists and ours is not there;
 *   - otherwise leave the old one, enter the new one (bin/activate's
 *     rules, "deactivate" defined, PS1's prefix with VENVD_PS1=1);
 *   - the pip guard last, for whatever is active then (manual too).
 */
void	transition_answer(struct transition_state *,
	    const struct transition_answer *);
/* transition_answer with venv (NULL: none) and prompt, no notice. */
void	transition_apply(struct transition_state *, const char *venv,
	    const char *prompt);
/*
 * The user ran venvd's deactivate: undo the activation and, unless
 * nondestructive (an activate script clearing the way), keep this venv
 * off until the answer changes; then the pip guard. With no venv of
 * venvd's active, only our "deactivate" goes (if it is ours).
 */
void	transition_deactivate(struct transition_state *, int nondestructive);
/*
 * The pip guard for the state as it is: PIP_REQUIRE_VIRTUALENV=true
 * (marked ours by VENVD_PIP_GUARD=1) while no venv is active and
 * pip_guard_on, unless the user set it; ours lifted otherwise.
 */
void	transition_pip_guard(struct transition_state *);
/* Does var differ between old and new (set/unset or value)? */
int	transition_changed(const struct transition_state *old,
	    const struct transition_state *new, enum tr_var var);
/* Must the shell forget its command lookups (PATH changed)? */
int	transition_rehash(const struct transition_state *old,
	    const struct transition_state *new);
/*
 * Remove the first entry of the colon-separated path that equals entry
 * exactly, keeping every other entry (empty ones too) byte for byte.
 * Returns a new string, or NULL when entry is not there.
 */
char	*transition_path_remove(const char *path, const char *entry);

/*
 * transition_emit.c: the change from old to new as code to eval, or JSON.
 *
 * For bash and zsh: "export NAME=value;" / "unset NAME;" for each variable
 * that changed, "_venvd_deactivate_define;" / "_venvd_deactivate_undefine;"
 * (fn_action; the hook defines both), the bookkeeping that changed
 * ("_venvd_suppress=...;", "_venvd_ps1_added=...;", "_venvd_fn_ours=N;"),
 * "PS1=...;", "hash -r;" (bash) or "rehash;" (zsh) when PATH changed, and
 * "_venvd_notice TEXT;" (the hook shows each text once per shell). fish:
 * the same with "set -gx"/"set -e"/"set -g", PATH as a list, and
 * "_venvd_ps1_on TEXT;" / "_venvd_ps1_off;" for its prompt wrapper.
 * With bookkeeping 0 (venvd export SHELL) only the variables are printed.
 * JSON: {"set": {...}, "unset": [...]}. Every value is quoted by
 * shell_quote for the target; nothing else from outside reaches the code.
 */
#define TR_EMIT_BOOKKEEPING 0x1	/* print the hook's bookkeeping too */

/* Append the code for shell taking old to new. */
void	transition_emit(enum shell_kind,  const struct transition_state *old,
	    const struct transition_state *new, int flags, struct buf *out);

#endif

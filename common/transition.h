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

struct transition_state {
	char	*var[TR_NVARS];	/* exported values; NULL when unset */

	/*
	 * The shell's own bookkeeping, kept in shell variables by the hooks
	 * and invisible to a child process: "venvd export" leaves these
	 * NULL and 0.
	 */
	char	*suppress;	/* the venv the user deactivated: kept off
				   until the answer is another (or none) */
	int	 ps1_on;	/* VENVD_PS1=1: "(prompt) " in front of PS1 */
	char	*ps1;		/* PS1, when ps1_on */
	char	*ps1_added;	/* exactly what was put in front of ps1 */

	int	 pip_guard_on;	/* the config's pip_guard (not a variable) */
};

/* An empty state: every variable unset, no bookkeeping. */
void	transition_init(struct transition_state *);
/* Free every value held; the state is empty again. */
void	transition_free(struct transition_state *);
/* Make dst (initialised) a deep copy of src. */
void	transition_copy(struct transition_state *dst,
	    const struct transition_state *src);
/* Set a variable to a copy of v, or unset it (v NULL). */
void	transition_set(struct transition_state *, enum tr_var, const char *v);
/*
 * Take the state to the one for venv (NULL: no venv applies) with its
 * prompt. A manual activation is left alone; the venv already active
 * changes nothing but its prompt (VIRTUAL_ENV_PROMPT, PS1's prefix); a
 * venv the user deactivated stays off until the answer is another one.
 * The pip guard follows whatever is active afterwards, manual too.
 */
void	transition_apply(struct transition_state *, const char *venv,
	    const char *prompt);
/*
 * The user ran venvd's deactivate: undo the activation and, unless
 * nondestructive (an activate script clearing the way), keep this venv
 * off until the answer changes. Nothing when venvd has no venv active.
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
/*
 * Remove the first entry of the colon-separated path that equals entry
 * exactly, keeping every other entry (empty ones too) byte for byte.
 * Returns a new string, or NULL when entry is not there.
 */
char	*transition_path_remove(const char *path, const char *entry);

#endif

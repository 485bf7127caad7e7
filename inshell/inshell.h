/*
 * inshell.h: venvd's prompt hook run inside the shell's own process.
 *
 * The shell-independent core of the bash loadable builtin (bash/) and the
 * zsh module (zsh/). A shell adapter hands it a struct inshell_ops (get a
 * variable, set and export one, unset one, rehash, define or remove the
 * deactivate function, print a notice) and calls inshell_prompt() at each
 * prompt. The core does the rest, with no process and no call into the
 * shell's functions while the daemon answers:
 *
 *   - the idle check: one stat(2) of the marker of the generation last
 *     seen, then $PWD, $VIRTUAL_ENV and the locators' variables compared
 *     with the values of the last prompt;
 *   - the answer cache: per directory, in C, emptied when the generation
 *     or a locator variable changes, at most INSHELL_CACHE_MAX answers;
 *   - the daemon: one connection, one resolve, VENVD_CLIENT_BUDGET_MS
 *     (200 ms) for connect and answer together;
 *   - the transition (common/transition.c) applied through the ops, with
 *     the per-shell bookkeeping kept in the hook's shell variables
 *     (_venvd_suppress, _venvd_ps1_added, _venvd_fn_ours), so the shell's
 *     own process path and this one share one state;
 *   - notices (untrusted, broken, the daemon's faults): each text once
 *     per shell.
 *
 * When the daemon does not answer in the budget (down, hung, garbage) the
 * core calls ops->fallback, the hook's process path, told not to ask the
 * daemon again: the local answer at once, 200 ms at most lost waiting.
 *
 * The hook's configuration is read from the shell variables the hook text
 * sets: _venvd_genfile (the generation file) and _venvd_pip_guard_on.
 */
#ifndef VENVD_INSHELL_H
#define VENVD_INSHELL_H

#define INSHELL_CACHE_MAX	256	/* answers kept (the hooks' cap) */

/* What the core asks of the shell. ctx is the adapter's own. */
struct inshell_ops {
	/*
	 * A scalar variable's value, or NULL when it is unset (or not a
	 * scalar). With exported_only, NULL unless it is also exported.
	 */
	const char	*(*get)(void *ctx, const char *name, int exported_only);
	/* Set name to value, and export it with export; -1 when refused. */
	int		 (*set)(void *ctx, const char *name, const char *value,
			    int export);
	/* Unset name; -1 when refused. */
	int		 (*unset)(void *ctx, const char *name);
	/* Is name readonly (a set or unset would be refused)? */
	int		 (*readonly)(void *ctx, const char *name);
	/* Forget remembered command paths (bash hash -r, zsh rehash). */
	void		 (*rehash)(void *ctx);
	/* Is a function named name defined? */
	int		 (*fn_defined)(void *ctx, const char *name);
	/*
	 * Define the function deactivate so that it runs
	 * inshell_deactivate() (bash: venvd_hook --deactivate "$@").
	 */
	void		 (*deactivate_define)(void *ctx);
	/* Remove the function deactivate. */
	void		 (*deactivate_undefine)(void *ctx);
	/* Show a notice (one or more lines, already sanitised) on stderr. */
	void		 (*notice)(void *ctx, const char *text);
	/*
	 * No answer from the daemon in the budget (or a directory or state
	 * the core leaves to the client): apply dir's answer by the hook's
	 * process path. With local (the daemon was asked and gave no
	 * usable answer), tell venvd not to ask it again
	 * (VENVD_HOOK_LOCAL=1: the local answer at once). gen is the
	 * generation the hook saw ("" without a daemon).
	 */
	void		 (*fallback)(void *ctx, const char *dir,
			    const char *gen, int local);
};

/* What inshell_prompt() did. */
enum inshell_result {
	INSHELL_IDLE,		/* nothing changed since the last prompt */
	INSHELL_APPLIED,	/* the answer for $PWD is in effect */
	INSHELL_FALLBACK,	/* no answer in the budget: ops->fallback ran */
};

struct inshell;

/* A core for one shell; ops and ctx must outlive it. */
struct inshell	*inshell_new(const struct inshell_ops *ops, void *ctx);
/* Free it (the shell's variables stay as they are). */
void		 inshell_free(struct inshell *);
/* At each prompt: bring the shell to the state for $PWD. */
enum inshell_result inshell_prompt(struct inshell *);
/*
 * The user ran venvd's deactivate (nondestructive: an activate script
 * clearing the way): undo the activation, keep it off until the answer
 * changes, remove the function.
 */
void		 inshell_deactivate(struct inshell *, int nondestructive);
/* Forget the cache and the last prompt's values: the next prompt asks again. */
void		 inshell_reset(struct inshell *);

#endif

/*
 * venvd_builtin.c: venvd's prompt hook as a bash loadable builtin.
 *
 *   enable -f .../venvd/bash/venvd.so venvd_hook
 *   PROMPT_COMMAND=(venvd_hook ...)
 *
 * A thin adapter: inshell/inshell.c does the work (idle check, answer
 * cache, the daemon, the transition, notices) and this file gives it
 * bash's variable API as a struct inshell_ops. Nothing starts a process
 * or calls a shell function while the daemon answers. It returns the
 * status of the last command, so $? survives the prompt.
 *
 *   venvd_hook                          the prompt hook
 *   venvd_hook --deactivate [nondestructive]
 *                                       what "deactivate" runs
 *
 * The deactivate function it defines runs "venvd_hook --deactivate".
 * Without a daemon (or when it does not answer within the budget) it
 * runs the hook text's process path, _venvd_update, with
 * VENVD_HOOK_LOCAL=1 so that venvd answers locally at once.
 *
 * Turned off with "enable -n venvd_hook" or unloaded with "enable -d":
 * it wraps the enable builtin and, when it sees itself go, has the hook
 * text's _venvd_entry put the shell function hook back in PROMPT_COMMAND
 * (silently: a prompt never says "command not found"); "enable
 * venvd_hook" brings it back. The .so stays mapped once loaded
 * (RTLD_NODELETE), since the wrapper is on the stack while bash unloads it.
 *
 * Built against Debian's bash-builtins headers. Bash's structures change
 * between versions, so the load hook refuses a bash whose version differs
 * from the one the headers describe, and "venvd hook bash" only prints the
 * enable line for that version. Linked with -Bsymbolic: the common code's
 * xmalloc and friends must not bind to bash's functions of the same name.
 */
/* Bash's config.h, through builtins.h's own "config.h" (not venvd's). */
#include "builtins.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "execute_cmd.h"
#include "variables.h"
#include "version.h"
#include "common.h"
#include "assoc.h"

#include "inshell.h"
#include "log.h"

/* What bash looks up by name in the .so; everything else stays hidden. */
#define VENVD_EXPORT	__attribute__((visibility("default")))

/* The bash version these headers describe ("5.2"). */
#define VENVD_BASH_VERSION	DISTVERSION

/* Bash's, not in its installed headers (hashcmd.h). */
extern void	phash_flush(void);

int	venvd_hook_builtin_load(char *);
void	venvd_hook_builtin_unload(char *);

/* The core, made at load. */
static struct inshell *core;

/* The enable builtin's own function, while venvd_hook wraps it. */
static sh_builtin_func_t *enable_orig;

/* Was venvd_hook enabled after the last enable? */
static int was_enabled;

/* A scalar variable's value, or NULL (unset, an array, not exported). */
static const char *
op_get(void *ctx, const char *name, int exported_only)
{
	SHELL_VAR *v = find_variable(name);

	(void)ctx;
	if (v == NULL || invisible_p(v) || !var_isset(v) || array_p(v) ||
	    assoc_p(v))
		return NULL;
	if (exported_only && !exported_p(v))
		return NULL;
	return value_cell(v);
}

/* Set (and export) a variable; -1 when bash refuses. */
static int
op_set(void *ctx, const char *name, const char *value, int export)
{
	SHELL_VAR *v;

	(void)ctx;
	if ((v = find_variable(name)) != NULL && readonly_p(v))
		return -1;
	if ((v = bind_variable(name, (char *)value, 0)) == NULL)
		return -1;
	if (export) {
		set_auto_export(v);
		array_needs_making = 1;
	} else if (exported_p(v))
		array_needs_making = 1;
	return 0;
}

/* Unset a variable; -1 when bash refuses. */
static int
op_unset(void *ctx, const char *name)
{
	SHELL_VAR *v = find_variable(name);

	(void)ctx;
	if (v == NULL)
		return 0;
	if (readonly_p(v))
		return -1;
	unbind_variable(name);
	array_needs_making = 1;
	return 0;
}

/* Is a variable readonly? */
static int
op_readonly(void *ctx, const char *name)
{
	SHELL_VAR *v = find_variable(name);

	(void)ctx;
	return v != NULL && readonly_p(v);
}

/* hash -r. */
static void
op_rehash(void *ctx)
{
	(void)ctx;
	phash_flush();
}

/* Is a function defined? */
static int
op_fn_defined(void *ctx, const char *name)
{
	(void)ctx;
	return find_function(name) != NULL;
}

/*
 * Run a fixed piece of shell code. With SEVAL_FUNCDEF bash takes one
 * definition of the function named as the "file", nothing else.
 */
static void
run_code(const char *code, const char *from, int flags)
{
	parse_and_execute(savestring(code), from,
	    SEVAL_NONINT | SEVAL_NOHIST | SEVAL_NOHISTEXP | flags);
}

/*
 * Define deactivate: the builtin's deactivate ("function" so that no
 * alias named deactivate is expanded).
 */
static void
op_deactivate_define(void *ctx)
{
	(void)ctx;
	run_code("function deactivate { venvd_hook --deactivate \"$@\"; }",
	    "deactivate", SEVAL_FUNCDEF);
}

/* Remove deactivate. */
static void
op_deactivate_undefine(void *ctx)
{
	(void)ctx;
	unbind_func("deactivate");
}

/*
 * Print a notice on stderr, once per shell: the hook's _venvd_noticed
 * (what its function path showed) is asked and told, so that the two
 * paths never show one text twice.
 */
static void
op_notice(void *ctx, const char *text)
{
	SHELL_VAR *v = find_variable("_venvd_noticed");

	(void)ctx;
	if (v != NULL && assoc_p(v) && !readonly_p(v)) {
		if (assoc_reference(assoc_cell(v), (char *)text) != NULL)
			return;
		assoc_insert(assoc_cell(v), savestring(text), "1");
	}
	fprintf(stderr, "%s\n", text);
	fflush(stderr);
}

/*
 * The hook's process path for dir (the function _venvd_update, which
 * takes $PWD, after its cache is emptied: the builtin may have seen
 * generations it did not); with local (no answer from the daemon)
 * answering locally at once.
 */
static void
op_fallback(void *ctx, const char *dir, const char *gen, int local)
{
	SHELL_VAR *v;

	(void)ctx;
	(void)dir;
	if (find_function("_venvd_update") == NULL)
		return;
	bind_variable("_venvd_fb_gen", (char *)gen, 0);
	if (local && (v = bind_variable("VENVD_HOOK_LOCAL", "1", 0)) != NULL)
		set_auto_export(v);
	array_needs_making = 1;
	run_code("_venvd_cache_reset \"$_venvd_fb_gen\"; _venvd_update",
	    "venvd_hook", 0);
	unbind_variable("VENVD_HOOK_LOCAL");
	unbind_variable("_venvd_fb_gen");
	array_needs_making = 1;
}

static const struct inshell_ops bash_ops = {
	.get = op_get,
	.set = op_set,
	.unset = op_unset,
	.readonly = op_readonly,
	.rehash = op_rehash,
	.fn_defined = op_fn_defined,
	.deactivate_define = op_deactivate_define,
	.deactivate_undefine = op_deactivate_undefine,
	.notice = op_notice,
	.fallback = op_fallback,
};

/* Is venvd_hook loaded and enabled now? */
static int
hook_enabled(void)
{
	struct builtin *b = builtin_address_internal("venvd_hook", 1);

	return b != NULL && (b->flags & BUILTIN_ENABLED);
}

/*
 * enable, wrapped: run it, then tell the hook text when venvd_hook went
 * (enable -n, enable -d) or came back, so PROMPT_COMMAND names a hook
 * that runs.
 */
static int
enable_wrap(WORD_LIST *list)
{
	int rc = enable_orig != NULL ? enable_orig(list) : EXECUTION_FAILURE;
	int now = hook_enabled();

	if (now != was_enabled && find_function("_venvd_entry") != NULL) {
		was_enabled = now;
		run_code(now ? "_venvd_entry builtin" :
		    "_venvd_entry process unloaded", "venvd_hook", 0);
	}
	was_enabled = now;
	return rc;
}

/* Wrap the enable builtin (once). */
static void
enable_hook(void)
{
	struct builtin *b = builtin_address_internal("enable", 1);

	if (b == NULL || b->function == enable_wrap)
		return;
	enable_orig = b->function;
	b->function = enable_wrap;
}

/* Keep this .so mapped for the life of the shell. */
static void
pin_self(void)
{
	Dl_info info;

	if (dladdr((void *)pin_self, &info) != 0 && info.dli_fname != NULL)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* venvd_hook: the prompt hook; returns the last command's status. */
static int
venvd_hook_builtin(WORD_LIST *list)
{
	int rc = last_command_exit_value;

	if (core == NULL)
		return rc;
	if (list != NULL && strcmp(list->word->word, "--deactivate") == 0) {
		list = list->next;
		inshell_deactivate(core, list != NULL &&
		    strcmp(list->word->word, "nondestructive") == 0);
		return EXECUTION_SUCCESS;
	}
	if (list != NULL && strcmp(list->word->word, "--reset") == 0) {
		inshell_reset(core);
		return EXECUTION_SUCCESS;
	}
	if (list != NULL) {
		builtin_usage();
		return EX_USAGE;
	}
	if (find_function("_venvd_update") == NULL)
		return rc;	/* not installed by "venvd hook bash" */
	inshell_prompt(core);
	return rc;
}

/* Loaded: refuse a bash other than the one the headers describe. */
VENVD_EXPORT int
venvd_hook_builtin_load(char *name)
{
	(void)name;
	if (dist_version == NULL ||
	    strcmp(dist_version, VENVD_BASH_VERSION) != 0) {
		builtin_error("built for bash %s, not %s", VENVD_BASH_VERSION,
		    dist_version != NULL ? dist_version : "?");
		return 0;
	}
	log_silence();
	if (core == NULL)
		core = inshell_new(&bash_ops, NULL);
	pin_self();
	enable_hook();
	was_enabled = 1;
	return 1;
}

/* Unloaded (enable -d): the .so stays mapped; the core is kept for a reload. */
VENVD_EXPORT void
venvd_hook_builtin_unload(char *name)
{
	(void)name;
}

static char *venvd_hook_doc[] = {
	"venvd's prompt hook: activate the Python venv that applies to $PWD.",
	"",
	"Installed by eval \"$(venvd hook bash)\"; returns the status of the",
	"last command. venvd_hook --deactivate [nondestructive] is what the",
	"deactivate function runs.",
	NULL
};

VENVD_EXPORT struct builtin venvd_hook_struct = {
	"venvd_hook",
	venvd_hook_builtin,
	BUILTIN_ENABLED,
	venvd_hook_doc,
	"venvd_hook [--deactivate [nondestructive]]",
	0
};

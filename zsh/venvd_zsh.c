/*
 * venvd_zsh.c: venvd's prompt hook as a zsh module (zsh/venvd.so).
 *
 *   local -a module_path=(.../venvd/zsh); zmodload venvd
 *
 * It runs the hook itself, with no shell function call: before each
 * prompt (zsh's prepromptfns, after precmd_functions) and after each cd,
 * chdir, pushd or popd (their handler wrapped, as chpwd_functions would
 * run it, so that "cd proj && python" runs the project's python). It adds
 * one builtin, venvd_hook, which runs the same (the hook's _venvd_hook
 * calls it if something calls that function).
 * The work is inshell/'s shell-independent core: the idle check (one stat
 * of the generation marker), the answer cache, the daemon's socket within
 * the client's budget and the one transition (common/transition.c). This
 * file is only the adapter: zsh's parameters, its command hash and its
 * function table behind a struct inshell_ops.
 *
 * "venvd_hook --deactivate [nondestructive]" is what the deactivate
 * function the module defines runs.
 *
 * When the daemon gives no usable answer within the budget the core asks
 * for the hook's process path (z_fallback: the hook's _venvd_update, told
 * to answer locally at once).
 *
 * Built against Debian's zsh-dev headers, out of zsh's tree: the headers
 * are included one by one below rather than through zsh.mdh, whose
 * zsh_system.h would want libcap's header for nothing the module uses.
 * zsh's structures change between versions, so setup_ refuses a zsh whose
 * $ZSH_VERSION differs from the headers' and the hook only loads the
 * module into that version. Linked with -Bsymbolic and hidden visibility:
 * only zsh's six entry points are seen from outside.
 */
#define MODULE
#define IMPORTING_MODULE_zshQsmain 1
#include <zsh/config.h>
#undef HAVE_CAP_GET_PROC	/* <sys/capability.h>: nothing of it is used */
#include <zsh/zsh_system.h>
#include <zsh/zsh.h>
#include <zsh/sigcount.h>
#include <zsh/signals.h>
#include <zsh/prototypes.h>
#include <zsh/hashtable.h>
#include <zsh/ztype.h>
#include <zsh/version.h>
#define mod_import_variable
#define mod_import_function
#include <zsh/builtin.epro>
#include <zsh/exec.epro>
#include <zsh/hashtable.epro>
#include <zsh/linklist.epro>
#include <zsh/mem.epro>
#include <zsh/module.epro>
#include <zsh/params.epro>
#include <zsh/string.epro>
#include <zsh/text.epro>
#include <zsh/utils.epro>

#include "inshell.h"
#include "log.h"

/* What zsh looks up by name in the .so; everything else stays hidden. */
#define VENVD_EXPORT	__attribute__((visibility("default")))

int	setup_(Module);
int	features_(Module, char ***);
int	enables_(Module, int **);
int	boot_(Module);
int	cleanup_(Module);
int	finish_(Module);

/* The deactivate function: the module's builtin, or the hook's function once the module is gone. */
static const char deactivate_def[] =
    "deactivate() {\n"
    "\tif (( ${+builtins[venvd_hook]} )); then\n"
    "\t\tvenvd_hook --deactivate \"$@\"\n"
    "\telse\n"
    "\t\t_venvd_user_deactivate \"$@\"\n"
    "\tfi\n"
    "}";

/* The core, from boot_ to finish_. */
static struct inshell *core;

/*
 * The values z_get handed out during one call into the core: malloc'd
 * (not zsh's heap, whose pushheap/popheap would map and unmap an arena at
 * every prompt) and freed when the call returns.
 */
static char	**pool;
static size_t	  npool, cappool;

/* Keep s (malloc'd) until pool_free; s, or NULL when memory ran out. */
static char *
pool_keep(char *s)
{
	char **n;

	if (s == NULL)
		return NULL;
	if (npool == cappool) {
		n = realloc(pool, (cappool * 2 + 16) * sizeof *pool);
		if (n == NULL) {
			free(s);
			return NULL;
		}
		pool = n;
		cappool = cappool * 2 + 16;
	}
	return pool[npool++] = s;
}

/* Free what z_get handed out. */
static void
pool_free(void)
{
	while (npool > 0)
		free(pool[--npool]);
}

/* A parameter by name, or NULL (no autoload, no special lookups). */
static Param
z_param(const char *name)
{
	return (Param)paramtab->getnode(paramtab, (char *)name);
}

/* A scalar's (or number's) value, unmetafied, valid until pool_free; NULL when unset. */
static const char *
z_get(void *ctx, const char *name, int exported_only)
{
	Param pm = z_param(name);
	char *v;
	int len;

	if (pm == NULL || (pm->node.flags & PM_UNSET))
		return NULL;
	if (PM_TYPE(pm->node.flags) & (PM_ARRAY | PM_HASHED))
		return NULL;
	if (exported_only && !(pm->node.flags & PM_EXPORTED))
		return NULL;
	if ((v = getsparam((char *)name)) == NULL)
		return NULL;
	if ((v = pool_keep(strdup(v))) == NULL)
		return NULL;
	unmetafy(v, &len);
	return v;
}

/* Is name readonly, or of a type a string cannot be assigned to? */
static int
z_readonly(void *ctx, const char *name)
{
	Param pm = z_param(name);

	if (pm == NULL)
		return 0;
	return (pm->node.flags & PM_READONLY) != 0 ||
	    (PM_TYPE(pm->node.flags) & (PM_ARRAY | PM_HASHED)) != 0;
}

/* Set name (a global when it does not exist), exported with export. */
static int
z_set(void *ctx, const char *name, const char *value, int export)
{
	Param pm;

	if (z_readonly(ctx, name))
		return -1;
	/* No ASSPM_WARN: warn_create_global must not fire from a prompt. */
	pm = assignsparam((char *)name, ztrdup_metafy(value), 0);
	if (pm == NULL)
		return -1;
	if (export && !(pm->node.flags & PM_EXPORTED)) {
		pm->node.flags |= PM_EXPORTED;
		export_param(pm);
	}
	return 0;
}

/* Unset name; -1 when it is readonly. */
static int
z_unset(void *ctx, const char *name)
{
	Param pm = z_param(name);

	if (pm == NULL)
		return 0;
	if (pm->node.flags & PM_READONLY)
		return -1;
	unsetparam((char *)name);
	return 0;
}

/* Forget the hashed command paths, as assigning PATH does (lazily, like rehash). */
static void
z_rehash(void *ctx)
{
	cmdnamtab->emptytable(cmdnamtab);
}

/* Is a shell function named name defined? */
static int
z_fn_defined(void *ctx, const char *name)
{
	return getshfunc((char *)name) != NULL;
}

/* Define deactivate (see deactivate_def). */
static void
z_deactivate_define(void *ctx)
{
	int oldval = lastval;

	execstring((char *)deactivate_def, 1, 0, "venvd");
	lastval = oldval;
}

/* Remove deactivate, if it is venvd's (this module's or the hook's). */
static void
z_deactivate_undefine(void *ctx)
{
	Shfunc shf = getshfunc("deactivate");
	HashNode hn;
	char *text;

	if (shf == NULL || shf->funcdef == NULL)
		return;
	text = getpermtext(shf->funcdef, NULL, 1);
	if (strstr(text, "_venvd_user_deactivate") != NULL &&
	    (hn = shfunctab->removenode(shfunctab, "deactivate")) != NULL)
		shfunctab->freenode(hn);
	zsfree(text);
}

/*
 * Print a notice on stderr, once per shell: through the hook's own
 * _venvd_notice, whose _venvd_noticed also holds what the function path
 * showed (while the daemon was down), so the two paths never show one
 * text twice; as print -r -- TEXT >&2 when the hook's function is gone.
 */
static void
z_notice(void *ctx, const char *text)
{
	Shfunc shf = getshfunc("_venvd_notice");
	size_t n = strlen(text);
	LinkList args;
	int oldval = lastval;

	if (shf != NULL) {
		args = newlinklist();
		addlinknode(args, dupstring("_venvd_notice"));
		addlinknode(args, metafy((char *)text, -1, META_HEAPDUP));
		doshfunc(shf, args, 1);
		lastval = oldval;
		return;
	}
	fflush(stderr);
	if (write(2, text, n) == -1 || write(2, "\n", 1) == -1)
		return;
}

/*
 * The hook's process path for dir (its function _venvd_update, which takes
 * $PWD and the generation); with local (the daemon gave no usable answer)
 * venvd answers locally at once (VENVD_HOOK_LOCAL=1, exported for it).
 */
static void
z_fallback(void *ctx, const char *dir, const char *gen, int local)
{
	Shfunc shf = getshfunc("_venvd_update");
	LinkList args;
	int oldval = lastval;

	if (shf == NULL)
		return;
	if (local)
		z_set(ctx, "VENVD_HOOK_LOCAL", "1", 1);
	args = newlinklist();
	addlinknode(args, dupstring("_venvd_update"));
	addlinknode(args, metafy((char *)gen, -1, META_HEAPDUP));
	doshfunc(shf, args, 1);
	if (local)
		z_unset(ctx, "VENVD_HOOK_LOCAL");
	lastval = oldval;
}

static const struct inshell_ops z_ops = {
	.get = z_get,
	.set = z_set,
	.unset = z_unset,
	.readonly = z_readonly,
	.rehash = z_rehash,
	.fn_defined = z_fn_defined,
	.deactivate_define = z_deactivate_define,
	.deactivate_undefine = z_deactivate_undefine,
	.notice = z_notice,
	.fallback = z_fallback,
};

/* Is the hook installed in this shell (the loading block kept _venvd_hook_fn)? */
static int
hook_installed(void)
{
	return getshfunc("_venvd_hook_fn") != NULL;
}

/* The prompt hook's work; $? is kept. */
static void
z_prompt(void)
{
	zlong status = lastval;

	if (core == NULL || !hook_installed())
		return;
	inshell_prompt(core);
	pool_free();
	lastval = status;
}

/*
 * Before each prompt (zsh's prepromptfns, after precmd_functions): the
 * hook with no shell function call at all. Not in a subshell or while
 * zsh runs a trap or a function (there is no prompt then anyway).
 */
static void
z_preprompt(void)
{
	if (locallevel == 0)
		z_prompt();
}

/*
 * cd, chdir, pushd and popd (one handler, bin_cd) run the hook once they
 * changed directory, as a chpwd function would, with no shell function
 * call: "cd proj && python" runs the project's python. The handler is
 * wrapped in place and given back at unload if it is still ours.
 */
static const char *const cd_names[] = { "cd", "chdir", "pushd", "popd" };
static HandlerFunc cd_orig;

/* The wrapped bin_cd. */
static int
z_cd(char *nam, char **args, Options ops, int func)
{
	int rc = cd_orig(nam, args, ops, func);

	if (rc == 0)
		z_prompt();
	return rc;
}

/* Wrap (on) or give back (off) the cd builtins' handler. */
static void
z_cd_wrap(int on)
{
	Builtin bn;

	for (size_t i = 0; i < sizeof cd_names / sizeof cd_names[0]; i++) {
		bn = (Builtin)builtintab->getnode2(builtintab,
		    (char *)cd_names[i]);
		if (bn == NULL)
			continue;
		if (on && cd_orig == NULL && bn->handlerfunc != z_cd)
			cd_orig = bn->handlerfunc;
		if (on && bn->handlerfunc == cd_orig && cd_orig != NULL)
			bn->handlerfunc = z_cd;
		else if (!on && bn->handlerfunc == z_cd)
			bn->handlerfunc = cd_orig;
	}
}

/* venvd_hook [--deactivate [nondestructive]]: the prompt hook's work, or deactivate; keeps $?. */
static int
bin_venvd_hook(char *nam, char **args, Options ops, int func)
{
	int status = lastval;

	if (core == NULL)
		return status;
	if (args[0] != NULL && strcmp(args[0], "--deactivate") == 0) {
		inshell_deactivate(core, args[1] != NULL &&
		    strcmp(args[1], "nondestructive") == 0);
		pool_free();
		return 0;
	}
	z_prompt();
	return status;
}

/* Put _venvd_hook back in front of the array name unless it is there. */
static void
z_restore_hook(const char *name)
{
	char **old = getaparam((char *)name), **new, **p;
	Param pm = z_param(name);
	int n = 0;

	if (pm != NULL && (pm->node.flags & PM_READONLY))
		return;
	for (p = old; p != NULL && *p != NULL; p++, n++) {
		if (strcmp(*p, "_venvd_hook") == 0)
			return;
	}
	new = zalloc((n + 2) * sizeof *new);
	new[0] = ztrdup("_venvd_hook");
	for (int i = 0; i < n; i++)
		new[i + 1] = ztrdup(old[i]);
	new[n + 1] = NULL;
	setaparam((char *)name, new);
}

static struct builtin bintab[] = {
	BUILTIN("venvd_hook", 0, bin_venvd_hook, 0, 2, 0, NULL, NULL),
};

static struct features module_features = {
	bintab, sizeof bintab / sizeof bintab[0],
	NULL, 0,
	NULL, 0,
	NULL, 0,
	0
};

/* Loaded: refuse a zsh other than the one the headers describe. */
VENVD_EXPORT int
setup_(Module m)
{
	const char *v = getsparam("ZSH_VERSION");

	if (v == NULL || strcmp(v, ZSH_VERSION) != 0) {
		zwarnnam(m->node.nam, "built for zsh %s, not %s", ZSH_VERSION,
		    v != NULL ? v : "?");
		return 1;
	}
	return 0;
}

/* The features: the one builtin. */
VENVD_EXPORT int
features_(Module m, char ***features)
{
	*features = featuresarray(m, &module_features);
	return 0;
}

/* Turn features on or off (zmodload -F). */
VENVD_EXPORT int
enables_(Module m, int **enables)
{
	return handlefeatures(m, &module_features, enables);
}

/* Started: the core, the hook before each prompt, and no log lines in the user's terminal. */
VENVD_EXPORT int
boot_(Module m)
{
	log_silence();
	if (core == NULL)
		core = inshell_new(&z_ops, NULL);
	if (core == NULL)
		return 1;
	addprepromptfn(z_preprompt);
	z_cd_wrap(1);
	return 0;
}

/* Unloading: the builtin and the prompt hook go; the function path takes over. */
VENVD_EXPORT int
cleanup_(Module m)
{
	delprepromptfn(z_preprompt);
	z_cd_wrap(0);
	/*
	 * The loading block took _venvd_hook out of precmd_functions and
	 * chpwd_functions while the module ran it: the function path takes
	 * every prompt and cd back.
	 */
	if (hook_installed()) {
		z_restore_hook("chpwd_functions");
		z_restore_hook("precmd_functions");
	}
	return setfeatureenables(m, &module_features, NULL);
}

/* Unloaded: the core's memory goes too (the shell's variables stay). */
VENVD_EXPORT int
finish_(Module m)
{
	if (core != NULL)
		inshell_free(core);
	core = NULL;
	pool_free();
	free(pool);
	pool = NULL;
	cappool = 0;
	return 0;
}

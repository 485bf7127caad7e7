/* hook.c: print a shell hook with this binary's path and the generation file filled in. */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "locator_env.h"
#include "paths.h"

/* The absolute path of this binary, from /proc/self/exe. */
static int
self_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	out[n] = '\0';
	return 0;
}

/* The embedded hook for a shell, or NULL. */
static const char *
hook_text(enum shell_kind sh)
{
	char name[32];

	snprintf(name, sizeof name, "venvd.%s", shell_kind_name(sh));
	for (const struct embedded_file *f = hook_files; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return f->text;
	}
	return NULL;
}

/*
 * Where a fast path's shared object (the bash builtin, the zsh module)
 * comes from: $var when it is an absolute path; "0", empty or any other
 * value turns it off; unset means the installed dir/venvd.so. Returns 0
 * with the path in out, or -1 when it is turned off. venvd hook and venvd
 * doctor both decide by this.
 */
int
client_fast_path_file(const char *var, const char *dir, char *out, size_t len)
{
	const char *env = getenv(var);

	if (env != NULL && env[0] != '/')
		return -1;
	if (env != NULL)
		snprintf(out, len, "%s", env);
	else
		snprintf(out, len, "%s/venvd.so", dir);
	return 0;
}

#if defined(HAVE_BASH_BUILTIN) || defined(HAVE_ZSH_MODULE)
/*
 * The fast path to load, or NULL with *why saying why not (VENVD_SHELL's
 * reason): "disabled" when $var turns it off, "not-built" when the file is
 * not a regular file. Which shell version it fits is the hook's own check
 * (BASH_VERSINFO, $ZSH_VERSION), and the object's load hook refuses any
 * other.
 */
static const char *
hook_fast_path(const char *var, const char *dir, const char **why)
{
	static char path[PATH_MAX];
	struct stat sb;

	*why = "disabled";
	if (client_fast_path_file(var, dir, path, sizeof path) == -1)
		return NULL;
	*why = "not-built";
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return NULL;
	*why = "";
	return path;
}

#endif

/* The bash builtin to load (VENVD_BASH_BUILTIN, else the installed one). */
static const char *
hook_bash_builtin(const char **why)
{
#ifdef HAVE_BASH_BUILTIN
	return hook_fast_path("VENVD_BASH_BUILTIN", BASHBUILTINDIR, why);
#else
	*why = "not-built";
	return NULL;
#endif
}

/* The zsh module to load (VENVD_ZSH_MODULE, else the installed one). */
static const char *
hook_zsh_module(const char **why)
{
#ifdef HAVE_ZSH_MODULE
	return hook_fast_path("VENVD_ZSH_MODULE", ZSHMODULEDIR, why);
#else
	*why = "not-built";
	return NULL;
#endif
}

/* The config's pip_guard (default on), for the hooks and venvd export. */
int
client_pip_guard(void)
{
	struct conf cfg;
	char err[512];
	int on;

	conf_defaults(&cfg);
	if (conf_load_default(&cfg, err, sizeof err) == -1)
		fprintf(stderr, "venvd: config: %s\n", err);
	on = cfg.pip_guard;
	conf_free(&cfg);
	return on;
}

/*
 * Append text with @VENVD@, @GENFILE@ and @PIPGUARD@ replaced by quoted
 * words, @BASHBUILTIN@ and @BASHBUILTINFOR@ by the bash builtin's path and
 * the bash version it was built for ('' when none), @BASHBUILTINWHY@ by
 * why there is none ('' when there is), @ZSHMODULE@, @ZSHMODULEFOR@ and
 * @ZSHMODULEWHY@ the same for the zsh module, @LOCATORENV@ by the names of locator_env_vars[] (plain
 * identifiers, space-separated), and @LOCATORENVKEY@ by one double-quoted
 * word that expands to "NAME=value|..." for all of them in sh's syntax:
 * the hooks compare it at each prompt, one expansion and no loop.
 */
static void
hook_substitute(struct buf *out, const char *text, const char *venvd,
    const char *genfile, enum shell_kind sh)
{
	static const char k_venvd[] = "@VENVD@", k_gen[] = "@GENFILE@",
	    k_pip[] = "@PIPGUARD@", k_env[] = "@LOCATORENV@",
	    k_envkey[] = "@LOCATORENVKEY@", k_bb[] = "@BASHBUILTIN@",
	    k_bbfor[] = "@BASHBUILTINFOR@", k_bbwhy[] = "@BASHBUILTINWHY@",
	    k_zm[] = "@ZSHMODULE@", k_zmfor[] = "@ZSHMODULEFOR@",
	    k_zmwhy[] = "@ZSHMODULEWHY@";
	const char *bb, *why, *zm;
	const char *p = text, *at;

	while ((at = strchr(p, '@')) != NULL) {
		buf_append(out, p, (size_t)(at - p));
		if (strncmp(at, k_venvd, sizeof k_venvd - 1) == 0) {
			buf_puts(out, venvd);
			p = at + sizeof k_venvd - 1;
		} else if (strncmp(at, k_gen, sizeof k_gen - 1) == 0) {
			buf_puts(out, genfile);
			p = at + sizeof k_gen - 1;
		} else if (strncmp(at, k_pip, sizeof k_pip - 1) == 0) {
			buf_puts(out, client_pip_guard() ? "1" : "0");
			p = at + sizeof k_pip - 1;
		} else if (strncmp(at, k_bbfor, sizeof k_bbfor - 1) == 0) {
#ifdef VENVD_BASH_BUILTIN_VERSION
			shell_quote_str(sh, VENVD_BASH_BUILTIN_VERSION, out);
#else
			buf_puts(out, "''");
#endif
			p = at + sizeof k_bbfor - 1;
		} else if (strncmp(at, k_bbwhy, sizeof k_bbwhy - 1) == 0) {
			hook_bash_builtin(&why);
			shell_quote_str(sh, why, out);
			p = at + sizeof k_bbwhy - 1;
		} else if (strncmp(at, k_zmwhy, sizeof k_zmwhy - 1) == 0) {
			hook_zsh_module(&why);
			shell_quote_str(sh, why, out);
			p = at + sizeof k_zmwhy - 1;
		} else if (strncmp(at, k_zmfor, sizeof k_zmfor - 1) == 0) {
#ifdef VENVD_ZSH_MODULE_VERSION
			shell_quote_str(sh, VENVD_ZSH_MODULE_VERSION, out);
#else
			buf_puts(out, "''");
#endif
			p = at + sizeof k_zmfor - 1;
		} else if (strncmp(at, k_zm, sizeof k_zm - 1) == 0) {
			if ((zm = hook_zsh_module(&why)) != NULL)
				shell_quote_str(sh, zm, out);
			else
				buf_puts(out, "''");
			p = at + sizeof k_zm - 1;
		} else if (strncmp(at, k_bb, sizeof k_bb - 1) == 0) {
			if ((bb = hook_bash_builtin(&why)) != NULL)
				shell_quote_str(sh, bb, out);
			else
				buf_puts(out, "''");
			p = at + sizeof k_bb - 1;
		} else if (strncmp(at, k_envkey, sizeof k_envkey - 1) == 0) {
			buf_putc(out, '"');
			for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
				const char *n = locator_env_vars[i].name;

				if (sh == SHELL_FISH)
					buf_printf(out, "%s=$%s|", n, n);
				else
					buf_printf(out, "%s=${%s-}|", n, n);
			}
			buf_putc(out, '"');
			p = at + sizeof k_envkey - 1;
		} else if (strncmp(at, k_env, sizeof k_env - 1) == 0) {
			for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
				if (i > 0)
					buf_putc(out, ' ');
				buf_puts(out, locator_env_vars[i].name);
			}
			p = at + sizeof k_env - 1;
		} else {
			buf_putc(out, '@');
			p = at + 1;
		}
	}
	buf_puts(out, p);
}

/* venvd hook bash|zsh|fish. */
int
cmd_hook(int argc, char **argv)
{
	char self[PATH_MAX], gen[PATH_MAX], err[256];
	struct buf qself = BUF_INIT, qgen = BUF_INIT, out = BUF_INIT;
	enum shell_kind sh;
	const char *text;

	if (argc < 2)
		return usage_error("hook", "which shell?");
	if (argc > 2)
		return usage_error("hook", "too many arguments");
	sh = shell_kind_parse(argv[1]);
	if (sh == SHELL_NONE || sh == SHELL_JSON)
		return usage_error("hook", "unknown shell %s (bash, zsh or fish)", argv[1]);
	if ((text = hook_text(sh)) == NULL) {
		fprintf(stderr, "venvd: no hook for %s was built in\n", argv[1]);
		return EXIT_NONE;
	}
	if (self_path(self, sizeof self) == -1) {
		fprintf(stderr, "venvd: cannot find this program's path in /proc/self/exe\n");
		return EXIT_NONE;
	}
	if (paths_generation_file(gen, sizeof gen, err, sizeof err) == -1) {
		fprintf(stderr, "venvd: %s\n", err);
		return EXIT_NONE;
	}
	shell_quote_str(sh, self, &qself);
	shell_quote_str(sh, gen, &qgen);
	hook_substitute(&out, text, qself.data, qgen.data, sh);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&qself);
	buf_free(&qgen);
	buf_free(&out);
	return EXIT_OK;
}

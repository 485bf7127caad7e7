/* venvd.c: the venvd command: parse the command line and dispatch. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "protocol.h"

struct command {
	const char *name;
	int	(*fn)(int, char **);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "hook", cmd_hook, "bash|zsh|fish",
	  "print the shell hook; add eval \"$(venvd hook bash)\" to ~/.bashrc,\n"
	  "\teval \"$(venvd hook zsh)\" to ~/.zshrc, or venvd hook fish | source\n"
	  "\tto config.fish" },
	{ "export", cmd_export, "bash|zsh|fish|json [DIR]",
	  "print what takes the current environment to the right state for DIR\n"
	  "\t(default: the current directory), as code for that shell; json prints\n"
	  "\t{\"set\": {...}, \"unset\": [...]}. (export --hook SHELL [DIR] is the\n"
	  "\thooks' internal call.)" },
	{ "exec", cmd_exec, "[-C DIR] [--require] -- CMD [ARGS...]",
	  "run CMD with the venv the hook would activate in DIR (default: the\n"
	  "\tcurrent directory; -C also runs CMD there), replacing venvd; exit\n"
	  "\t126 when that venv is untrusted, denied or broken, 127 when CMD is\n"
	  "\tnot found, 1 with --require when no venv applies, else CMD's status" },
	{ "resolve", cmd_resolve, "[DIR] [--json]",
	  "tell which venv applies to DIR and why; exit 1 when none does" },
	{ "status", cmd_status, "[--json]",
	  "show the daemon's status; exit 3 when no daemon is running" },
	{ "start", cmd_start, "",
	  "start the daemon (nothing to do if it is running)" },
	{ "stop", cmd_stop, "",
	  "stop the daemon and wait up to 5 s for it to go away (not running:\n"
	  "\tsays so and exits 0)" },
	{ "restart", cmd_restart, "",
	  "stop the daemon, then start it" },
	{ "allow", cmd_allow, "[PATH]",
	  "trust the venv at PATH, or the one its project uses (default: the\n"
	  "\tvenv that applies to the current directory), so the hook activates it" },
	{ "deny", cmd_deny, "[PATH]",
	  "never activate that venv, and say nothing about it" },
	{ "trust", cmd_trust, "[--json]",
	  "list the allow and deny decisions" },
	{ "list", cmd_list, "[--json] [--broken] [--stale DAYS] [--sort size|last-used|path]",
	  "list the indexed venvs: path, version, size, last used, state,\n"
	  "\tproject; aligned with a header on a terminal, else tab-separated\n"
	  "\twith size in bytes and last activation in unix seconds (- unknown)" },
	{ "forget", cmd_forget, "PATH",
	  "drop a venv from the index (never deletes files)" },
	{ "gc", cmd_gc, "--stale DAYS [--dry-run] [--yes]",
	  "delete venvs unused for DAYS after confirmation, showing the space\n"
	  "\tfreed; refuses non-venvs, symlinks, paths outside every root and\n"
	  "\tthe active venv; a dry run when stdin is not a terminal (--yes deletes)" },
	{ "roots", cmd_roots, "[--json]",
	  "list the discovery roots" },
	{ "watch", cmd_watch, "DIR [--depth N] [--cross-fs]",
	  "add a discovery root, scanned N levels deep (default 6)" },
	{ "unwatch", cmd_unwatch, "DIR",
	  "remove a discovery root" },
	{ "doctor", cmd_doctor, "",
	  "check the daemon, the hook, inotify limits, the database and the\n"
	  "\tvenvs; one line and one suggested command each; exit 1 on a problem" },
	{ NULL, NULL, NULL, NULL },
};

/* Is s "-h" or "--help"? */
int
is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* Is s "-V" or "--version"? */
static int
is_version(const char *s)
{
	return strcmp(s, "-V") == 0 || strcmp(s, "--version") == 0;
}

/* Print the help text for cmd (NULL: general) to f. */
void
usage(FILE *f, const char *cmd)
{
	const struct command *c;

	for (c = commands; cmd != NULL && c->name != NULL; c++) {
		if (strcmp(c->name, cmd) == 0) {
			fprintf(f, "usage: venvd %s%s%s\n\t%s\n", c->name,
			    *c->args ? " " : "", c->args, c->help);
			return;
		}
	}
	fprintf(f, "usage: venvd [-h | --help] [-V | --version] COMMAND [ARGS]\n\n"
	    "Activate the right Python venv when the shell enters a directory.\n\n"
	    "commands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %s%s%s\n\t%s\n", c->name, *c->args ? " " : "",
		    c->args, c->help);
	fprintf(f, "\nenvironment:\n"
	    "  VENVD_SOCKET     the daemon's socket (default $XDG_RUNTIME_DIR/venvd/venvd.sock)\n"
	    "  VENVD_AUTOSTART  0 stops venvd from starting the daemon when it is not running\n"
	    "  VENVD_DAEMON     the venvd-daemon to run (default: beside venvd, else in BINDIR)\n"
	    "\nexit status:\n"
	    "  0  success\n"
	    "  1  no venv applies (resolve), or the command failed\n"
	    "  2  usage error\n"
	    "  3  the daemon is not running (status)\n");
}

/* Print a usage error for cmd to stderr; returns EXIT_USAGE. */
int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "venvd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr, cmd);
	return EXIT_USAGE;
}

/* Print the version. */
static void
version(void)
{
	printf("venvd %s (protocol %d)\n", PACKAGE_VERSION, VENVD_PROTOCOL_VERSION);
}

/* Parse global options, then run the command. */
int
main(int argc, char **argv)
{
	const struct command *c;

	log_init("venvd", LOG_LEVEL_WARN);
	if (argc < 2)
		return usage_error(NULL, "no command given");
	if (is_help(argv[1])) {
		usage(stdout, NULL);
		return EXIT_OK;
	}
	if (is_version(argv[1])) {
		version();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		usage(stdout, argc > 2 ? argv[2] : NULL);
		return EXIT_OK;
	}
	for (c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		/*
		 * -h and -V work after any command, up to "--" (or up to
		 * exec's CMD, whose own they are: the command reads them).
		 */
		for (int i = 2; c->fn != cmd_exec && i < argc &&
		    strcmp(argv[i], "--") != 0; i++) {
			if (is_help(argv[i])) {
				usage(stdout, c->name);
				return EXIT_OK;
			}
			if (is_version(argv[i])) {
				version();
				return EXIT_OK;
			}
		}
		return c->fn(argc - 1, argv + 1);
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option %s", argv[1]);
	return usage_error(NULL, "unknown command %s", argv[1]);
}

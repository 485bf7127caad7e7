/*
 * doctor.c: venvd doctor: check what commonly goes wrong and print one
 * line per finding, each with a verdict and one suggested command.
 *
 * Checks: the daemon runs; the hook is installed in the calling shell
 * (the hooks export VENVD_SHELL) and which path it runs (the bash
 * builtin, the zsh module or zsocket, or a process on first visits, and
 * why no faster one: VENVD_SHELL's reason, and whether the builtin or
 * module is installed and fits the running bash); the inotify watch limit; the database's
 * integrity (the daemon's status "db_ok"/"db_error"); the daemon's other
 * faults (its status "degraded": storage, the index); whether the
 * daemon's own locator environment (WORKON_HOME...) is this shell's (a
 * warning: shells send theirs, but clients that send none get the
 * daemon's); broken venvs (from the index); venvs whose pyvenv.cfg
 * version no longer matches their interpreter.
 *
 * The interpreter's version is found without running Python: from the
 * name of the file bin/python resolves to (python3.11 -> 3.11); when that
 * name carries no version (python3), from the lib/pythonX.Y directories
 * beside the pyvenv.cfg "home" (home/../lib): the venv's X.Y present
 * there is a match; otherwise a single pythonX.Y there is the version.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "locator_env.h"
#include "protocol.h"
#include "rpc.h"
#include "shell_quote.h"
#include "xmalloc.h"

/* Where the kernel's per-user watch limit is (overridable for tests). */
#define INOTIFY_MAX_WATCHES	"/proc/sys/fs/inotify/max_user_watches"

/* Counts of findings. */
struct doctor {
	int	 problems;
	int	 warnings;
};

/* Print one finding: verdict, subject, text, and the suggested command. */
static void
finding(struct doctor *dr, int ok, const char *subject, const char *text,
    const char *suggest)
{
	if (!ok)
		dr->problems++;
	fputs(ok ? "ok    " : "FAIL  ", stdout);
	term_puts(stdout, subject);
	fputs(": ", stdout);
	term_puts(stdout, text);
	if (suggest != NULL) {
		fputs("; try: ", stdout);
		term_puts(stdout, suggest);
	}
	fputs("\n", stdout);
}

/* Print one warning: not a failure (the exit status stays 0), but worth fixing. */
static void
warning(struct doctor *dr, const char *subject, const struct buf *text,
    const struct buf *suggest)
{
	dr->warnings++;
	fputs("warn  ", stdout);
	term_puts(stdout, subject);
	fputs(": ", stdout);
	term_puts(stdout, text->data);
	if (suggest->len > 0) {
		fputs("; try: ", stdout);
		term_puts(stdout, suggest->data);
	}
	fputs("\n", stdout);
}

/*
 * What the hooks export in VENVD_SHELL: SHELL:PID:PATH[:REASON], or the
 * older SHELL:PID (no path), or a bare SHELL. PATH is how the hook runs
 * (builtin, module, zsocket or process), REASON why a faster path was not
 * taken. Fields too long for these buffers are cut short; they are only
 * ever printed through term_puts.
 */
struct hook_env {
	char	 shell[16];
	char	 pid[24];	/* "" when absent */
	char	 path[16];	/* "" when absent (older hooks) */
	char	 reason[32];
	int	 has_pid;
};

/* Copy field [s, e) of VENVD_SHELL into out (cut to fit). */
static void
hook_field(char *out, size_t len, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Split VENVD_SHELL into its fields; the last one takes the rest. */
static void
hook_env_parse(const char *v, struct hook_env *h)
{
	char *fields[] = { h->shell, h->pid, h->path, h->reason };
	size_t sizes[] = { sizeof h->shell, sizeof h->pid, sizeof h->path,
	    sizeof h->reason };
	const char *colon;
	size_t i;

	memset(h, 0, sizeof *h);
	for (i = 0; i < 4 && v != NULL; i++) {
		colon = i < 3 ? strchr(v, ':') : NULL;
		hook_field(fields[i], sizes[i], v, colon != NULL ? colon :
		    v + strlen(v));
		if (i == 1)
			h->has_pid = 1;
		v = colon != NULL ? colon + 1 : NULL;
	}
}

#ifdef HAVE_BASH_BUILTIN
/*
 * The version of the bash running as process pid, as "X.Y.Z", from the
 * string every bash binary carries ("@(#)Bash version 5.2.15(1) release
 * GNU"), read from /proc/PID/exe without running it. -1 if not found.
 */
static int
bash_version_of(long pid, char *out, size_t len)
{
	static const char mark[] = "@(#)Bash version ";
	char path[64], chunk[65536 + sizeof mark + 16];
	size_t keep = 0, got, i, k;
	FILE *f;
	char *at;

	snprintf(path, sizeof path, "/proc/%ld/exe", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while ((got = fread(chunk + keep, 1, 65536, f)) > 0) {
		got += keep;
		at = memmem(chunk, got, mark, sizeof mark - 1);
		if (at != NULL && (size_t)(at - chunk) + sizeof mark + 16 <= got) {
			at += sizeof mark - 1;
			for (i = 0; i + 1 < len && (at[i] == '.' ||
			    (at[i] >= '0' && at[i] <= '9')); i++)
				out[i] = at[i];
			out[i] = '\0';
			fclose(f);
			return i > 0 ? 0 : -1;
		}
		/* Keep the tail: the mark may straddle two reads. */
		k = got < sizeof mark + 16 ? got : sizeof mark + 16;
		memmove(chunk, chunk + got - k, k);
		keep = k;
	}
	fclose(f);
	return -1;
}
#endif

#if defined(HAVE_BASH_BUILTIN) || defined(HAVE_ZSH_MODULE)
/* Is path a regular file? */
static int
regular_file(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}
#endif

/*
 * What doctor can see for itself about bash's loadable builtin: whether
 * this venvd has one, whether it is installed (or $VENVD_BASH_BUILTIN's
 * file exists), and whether it fits the version of the running bash.
 * Sets *fits when all three hold.
 */
static void
own_check_bash(struct buf *b, long pid, int *fits)
{
	*fits = 0;
#ifdef HAVE_BASH_BUILTIN
	char so[PATH_MAX], have[32];
	const char *want = VENVD_BASH_BUILTIN_VERSION;
	size_t n = strlen(want);

	if (client_fast_path_file("VENVD_BASH_BUILTIN", BASHBUILTINDIR, so,
	    sizeof so) == -1) {
		buf_puts(b, "VENVD_BASH_BUILTIN turns it off");
		return;
	}
	if (!regular_file(so)) {
		buf_printf(b, "%s is not installed", so);
		return;
	}
	if (bash_version_of(pid, have, sizeof have) == -1) {
		buf_printf(b, "%s is installed (for bash %s); this shell's "
		    "version is unknown", so, want);
		return;
	}
	if (strncmp(have, want, n) == 0 && (have[n] == '.' || have[n] == '\0')) {
		buf_printf(b, "%s is installed and fits this bash %s", so, have);
		*fits = 1;
		return;
	}
	buf_printf(b, "%s is built for bash %s, this shell is bash %s", so, want,
	    have);
#else
	(void)pid;
	buf_puts(b, "this venvd was built without it (no bash-builtins headers)");
#endif
}

/* The same for zsh's module: whether this venvd has one and it is installed. */
static void
own_check_zsh(struct buf *b, int *fits)
{
	*fits = 0;
#if defined(HAVE_ZSH_MODULE) && defined(ZSHMODULEDIR)
	char so[PATH_MAX];

	if (client_fast_path_file("VENVD_ZSH_MODULE", ZSHMODULEDIR, so,
	    sizeof so) == -1) {
		buf_puts(b, "VENVD_ZSH_MODULE turns it off");
		return;
	}
	if (!regular_file(so)) {
		buf_printf(b, "%s is not installed", so);
		return;
	}
	buf_printf(b, "%s is installed", so);
	*fits = 1;
#else
	buf_puts(b, "this venvd was built without it (no zsh-dev headers)");
#endif
}

/* Why the hook took no faster path, in words, from VENVD_SHELL's REASON. */
static const char *
reason_text(const char *shell, const char *reason)
{
	int bash = strcmp(shell, "bash") == 0;

	if (strcmp(reason, "not-built") == 0)
		return bash ? "the hook found no loadable builtin" :
		    "the hook found no zsh module";
	if (strcmp(reason, "version-mismatch") == 0)
		return bash ? "the loadable builtin was built for another bash "
		    "version" : "the module was built for another zsh version";
	if (strcmp(reason, "disabled") == 0)
		return bash ? "VENVD_BASH_BUILTIN=0 turned it off" :
		    "VENVD_ZSH_MODULE=0 turned it off";
	if (strcmp(reason, "load-failed") == 0)
		return bash ? "enable -f could not load the builtin" :
		    "zmodload could not load the module";
	if (strcmp(reason, "unloaded") == 0)
		return bash ? "the builtin was unloaded later (enable -n or "
		    "enable -d)" : "the module was unloaded later (zmodload -u)";
	if (reason[0] == '\0')
		return "the hook gave no reason";
	return NULL;
}

/*
 * Which path the shell's hook runs and, when it is not the fastest one
 * for that shell, why: VENVD_SHELL's PATH and REASON, then what doctor
 * checks itself. A slower path that still works is a warning; one the
 * user chose (disabled) or the only one there is (fish) is ok.
 */
static void
check_hook_path(struct doctor *dr, const struct hook_env *h, long pid)
{
	struct buf text = BUF_INIT, suggest = BUF_INIT, own = BUF_INIT;
	int bash = strcmp(h->shell, "bash") == 0;
	int zsh = strcmp(h->shell, "zsh") == 0, fits = 0;
	const char *why, *sh = h->shell;
	char line[PATH_MAX + 256];

	if (bash)
		own_check_bash(&own, pid, &fits);
	else if (zsh)
		own_check_zsh(&own, &fits);
	if (strcmp(h->path, "builtin") == 0 || strcmp(h->path, "module") == 0 ||
	    strcmp(h->path, "zsocket") == 0) {
		snprintf(line, sizeof line, "%s runs %s: no process at any prompt",
		    sh, strcmp(h->path, "builtin") == 0 ?
		    "the loadable builtin venvd_hook" :
		    strcmp(h->path, "module") == 0 ? "the venvd zsh module" :
		    "the hook over zsocket");
		finding(dr, 1, "hook path", line, NULL);
		goto out;
	}
	if (h->path[0] != '\0' && strcmp(h->path, "process") != 0) {
		buf_printf(&text, "VENVD_SHELL names an unknown path \"%s\"",
		    h->path);
		buf_printf(&suggest, "exec %s", bash || zsh ? sh : "$SHELL");
		warning(dr, "hook path", &text, &suggest);
		goto out;
	}
	if (!bash && !zsh) {
		snprintf(line, sizeof line, "%s starts venvd on a first visit to "
		    "a directory (%s has no faster path)", sh, sh);
		finding(dr, 1, "hook path", line, NULL);
		goto out;
	}
	if (h->path[0] == '\0') {
		/* An older hook: it says nothing of its path. */
		buf_printf(&text, "not reported (this hook's VENVD_SHELL is the "
		    "older %s:PID); %s", sh, own.data);
		buf_printf(&suggest, "exec %s", sh);
		warning(dr, "hook path", &text, &suggest);
		goto out;
	}
	if ((why = reason_text(sh, h->reason)) == NULL) {
		buf_printf(&text, "%s starts venvd on first visits (unknown "
		    "reason \"%s\"); %s", sh, h->reason, own.data);
		buf_printf(&suggest, "exec %s", sh);
		warning(dr, "hook path", &text, &suggest);
		goto out;
	}
	if (strcmp(h->reason, "disabled") == 0) {
		snprintf(line, sizeof line, "%s starts venvd on first visits: %s",
		    sh, why);
		finding(dr, 1, "hook path", line, NULL);
		goto out;
	}
	buf_printf(&text, "%s starts venvd on first visits, not the faster "
	    "%s: %s; %s", sh, bash ? "loadable builtin" : "zsh module", why,
	    own.data);
	if (fits)
		buf_printf(&suggest, "exec %s (the hook loads it again)", sh);
	else if (bash)
		buf_puts(&suggest, "install bash-builtins, then configure, make "
		    "and make install venvd again, then exec bash");
	else
		buf_puts(&suggest, "install zsh-dev, then configure, make and "
		    "make install venvd again, then exec zsh");
	warning(dr, "hook path", &text, &suggest);
out:
	buf_free(&text);
	buf_free(&suggest);
	buf_free(&own);
}

/*
 * The hook check: the hooks export VENVD_SHELL (struct hook_env). A child
 * shell that did not load the hook inherits the variable, so the pid must
 * be our parent's; a value without a pid is taken at its word. Then which
 * path the hook runs (check_hook_path).
 */
static void
check_hook(struct doctor *dr)
{
	const char *hook = getenv("VENVD_SHELL"), *sh = getenv("SHELL"), *base;
	struct hook_env h;
	char text[160];
	long ppid = (long)getppid();

	if (hook != NULL && hook[0] != '\0') {
		hook_env_parse(hook, &h);
		if (!h.has_pid || strtol(h.pid, NULL, 10) == ppid) {
			snprintf(text, sizeof text, "installed in this shell (%s)",
			    h.shell);
			finding(dr, 1, "hook", text, NULL);
			check_hook_path(dr, &h, ppid);
			return;
		}
		snprintf(text, sizeof text, "not installed in this shell "
		    "(VENVD_SHELL was inherited from %s, pid %s)", h.shell, h.pid);
		finding(dr, 0, "hook", text, "eval \"$(venvd hook bash)\" in "
		    "~/.bashrc, eval \"$(venvd hook zsh)\" in ~/.zshrc, or "
		    "venvd hook fish | source in config.fish");
		return;
	}
	base = sh != NULL && strrchr(sh, '/') != NULL ? strrchr(sh, '/') + 1 : sh;
	if (base != NULL && strcmp(base, "zsh") == 0)
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'eval \"$(venvd hook zsh)\"' >> ~/.zshrc");
	else if (base != NULL && strcmp(base, "fish") == 0)
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'venvd hook fish | source' >> ~/.config/fish/config.fish");
	else
		finding(dr, 0, "hook", "not installed in this shell",
		    "echo 'eval \"$(venvd hook bash)\"' >> ~/.bashrc");
}

/* Read a number from a one-line file; -1 if it cannot. */
static long long
read_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The inotify check: the daemon's watches against the kernel's limit. */
static void
check_inotify(struct doctor *dr, json_t *st)
{
	const char *path = getenv("VENVD_DOCTOR_MAX_WATCHES");
	long long max = read_number(path != NULL ? path : INOTIFY_MAX_WATCHES);
	long long used = json_integer_value(json_object_get(st, "watches"));
	json_t *deg = json_object_get(st, "degraded"), *r;
	const char *limited = NULL;
	char text[512];
	size_t i;

	json_array_foreach(deg, i, r) {
		if (json_is_string(r) && strstr(json_string_value(r), "watch") != NULL)
			limited = json_string_value(r);
	}
	if (max < 0) {
		finding(dr, 1, "inotify", "the kernel's limit is unknown here", NULL);
		return;
	}
	if (limited != NULL || used * 10 >= max * 9) {
		snprintf(text, sizeof text, "the daemon uses %lld of the kernel's "
		    "%lld watches%s%s", used, max, limited != NULL ? ": " : "",
		    limited != NULL ? limited : "");
		finding(dr, 0, "inotify", text,
		    "sudo sysctl fs.inotify.max_user_watches=524288 (and keep it in "
		    "/etc/sysctl.d/90-venvd.conf: fs.inotify.max_user_watches=524288)");
		return;
	}
	snprintf(text, sizeof text, "%lld of %lld watches in use", used, max);
	finding(dr, 1, "inotify", text, NULL);
}

/* The database check, from the status's "db_ok"/"db_error". */
static void
check_db(struct doctor *dr, json_t *st)
{
	json_t *ok = json_object_get(st, "db_ok");
	json_t *e = json_object_get(st, "db_error");
	char text[512];

	if (ok == NULL) {
		finding(dr, 1, "database", "not reported by this daemon", NULL);
		return;
	}
	if (json_is_true(ok)) {
		finding(dr, 1, "database", "integrity check passed", NULL);
		return;
	}
	snprintf(text, sizeof text, "integrity check failed: %s",
	    json_is_string(e) ? json_string_value(e) : "unknown error");
	finding(dr, 0, "database", text,
	    "venvd restart (a corrupt index is moved aside and rebuilt)");
}

/*
 * The daemon's other faults, from the status's "degraded" (the watch
 * limit is the inotify check's): one finding each, or one "ok".
 */
static void
check_health(struct doctor *dr, json_t *st)
{
	json_t *deg = json_object_get(st, "degraded"), *r;
	const char *text, *suggest;
	int n = 0;
	size_t i;

	json_array_foreach(deg, i, r) {
		if (!json_is_string(r) || strstr(json_string_value(r), "watch") != NULL)
			continue;
		text = json_string_value(r);
		if (strncmp(text, "storage:", 8) == 0)
			suggest = "free space in (or make writable) the state "
			    "directory named; the daemon writes what waits by "
			    "itself once it can";
		else if (strstr(text, "index database") != NULL)
			suggest = "fix what the message names, then venvd restart";
		else
			suggest = NULL;
		finding(dr, 0, "health", text, suggest);
		n++;
	}
	if (n == 0)
		finding(dr, 1, "health", "no faults reported", NULL);
}

/* Append NAME (VALUE) or NAME (unset) to b. */
static void
env_describe(struct buf *b, const char *name, const char *v)
{
	buf_puts(b, name);
	if (v == NULL)
		buf_puts(b, " unset");
	else {
		buf_puts(b, "=");
		buf_puts(b, v);
	}
}

/*
 * The locator environment: the daemon's own (status "locator_env")
 * against this shell's. Shells send theirs with each resolve, so a
 * difference does not change what they activate; but a client that
 * sends none (an editor's subscription, an older venvd) gets the
 * daemon's, and the daemon's index describes venvs with it.
 */
static void
check_locator_env(struct doctor *dr, json_t *st)
{
	json_t *mine = client_locator_env_json(), *theirs =
	    json_object_get(st, "locator_env");
	struct buf text = BUF_INIT, suggest = BUF_INIT, unset = BUF_INIT;
	const char *name;
	char *a, *b;
	int n = 0;

	if (!json_is_object(theirs)) {
		json_decref(mine);
		return;		/* an older daemon */
	}
	for (size_t i = 0; (name = locator_env_vars[i].name) != NULL; i++) {
		a = rpc_path_from_json(json_object_get(mine, name));
		b = rpc_path_from_json(json_object_get(theirs, name));
		if ((a == NULL && b == NULL) || (a != NULL && b != NULL &&
		    strcmp(a, b) == 0)) {
			free(a);
			free(b);
			continue;
		}
		buf_puts(&text, n++ > 0 ? "; " : "this shell has ");
		env_describe(&text, name, a);
		buf_puts(&text, ", the daemon ");
		buf_puts(&text, b != NULL ? "has " : "has it");
		if (b != NULL)
			buf_puts(&text, b);
		else
			buf_puts(&text, " unset");
		if (a != NULL) {
			buf_puts(&suggest, suggest.len == 0 ?
			    "systemctl --user set-environment " : " ");
			buf_puts(&suggest, name);
			buf_putc(&suggest, '=');
			shell_quote_str(SHELL_BASH, a, &suggest);
		} else {
			buf_puts(&unset, unset.len == 0 ?
			    "systemctl --user unset-environment " : " ");
			buf_puts(&unset, name);
		}
		free(a);
		free(b);
	}
	json_decref(mine);
	if (n == 0) {
		finding(dr, 1, "environment", "the daemon's locator environment "
		    "is this shell's", NULL);
		goto out;
	}
	buf_puts(&text, ". This shell's requests carry its own values, but "
	    "clients that send none (editors, older venvd) get the daemon's");
	if (unset.len > 0) {
		if (suggest.len > 0)
			buf_puts(&suggest, "; ");
		buf_puts(&suggest, unset.data);
	}
	buf_puts(&suggest, "; venvd restart (or set them in "
	    "~/.config/environment.d/)");
	warning(dr, "environment", &text, &suggest);
out:
	buf_free(&text);
	buf_free(&suggest);
	buf_free(&unset);
}

/* "3.11" from "python3.11" (or NULL). */
static char *
version_from_name(const char *name)
{
	const char *p;
	int maj, min, n = 0;

	if (strncmp(name, "python", 6) != 0)
		return NULL;
	p = name + 6;
	if (sscanf(p, "%d.%d%n", &maj, &min, &n) != 2 || p[n] != '\0')
		return NULL;
	return xstrdup(p);
}

/* The major.minor of a version string ("3.11.7" -> "3.11"), malloc'd. */
static char *
major_minor(const char *v)
{
	int maj, min;
	char *out;

	if (v == NULL || sscanf(v, "%d.%d", &maj, &min) != 2)
		return NULL;
	xasprintf(&out, "%d.%d", maj, min);
	return out;
}

/*
 * The interpreter's major.minor for a venv, found without running it;
 * want is the venv's own, preferred when home's lib has it. NULL unknown.
 */
static char *
interpreter_version(const char *venv, const char *home, const char *want)
{
	char path[PATH_MAX], real[PATH_MAX], *v = NULL, *lib;
	const char *base;
	struct dirent *de;
	int count = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/bin/python", venv);
	if (realpath(path, real) != NULL) {
		base = strrchr(real, '/') != NULL ? strrchr(real, '/') + 1 : real;
		if ((v = version_from_name(base)) != NULL)
			return v;
	}
	if (home == NULL)
		return NULL;
	xasprintf(&lib, "%s/../lib", home);
	if ((d = opendir(lib)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *x = version_from_name(de->d_name);

			if (x == NULL)
				continue;
			if (want != NULL && strcmp(x, want) == 0) {
				free(v);
				v = x;
				count = 1;
				break;
			}
			free(v);
			v = x;
			count++;
		}
		closedir(d);
	}
	free(lib);
	if (count != 1) {
		free(v);
		return NULL;
	}
	return v;
}

/* The venv checks: broken ones, and version mismatches among the others. */
static void
check_venvs(struct doctor *dr, json_t *venvs)
{
	json_t *rec, *cfgv;
	const char *path, *state, *home;
	char text[PATH_MAX + 256], cmd[PATH_MAX + 64], *want, *have;
	int broken = 0, mismatched = 0;
	size_t i;

	json_array_foreach(venvs, i, rec) {
		path = json_string_value(json_object_get(rec, "path"));
		state = json_string_value(json_object_get(rec, "state"));
		if (path == NULL)
			continue;
		if (state != NULL && strncmp(state, "broken", 6) == 0) {
			snprintf(text, sizeof text, "%s", state);
			snprintf(cmd, sizeof cmd, "python3 -m venv --clear %s", path);
			finding(dr, 0, path, text, cmd);
			broken++;
			continue;
		}
		if (state != NULL && strcmp(state, "missing") == 0) {
			snprintf(cmd, sizeof cmd, "venvd forget %s", path);
			finding(dr, 0, path, "missing (no longer on disk)", cmd);
			broken++;
			continue;
		}
		cfgv = json_object_get(rec, "version");
		home = json_string_value(json_object_get(rec, "home"));
		if ((want = major_minor(json_string_value(cfgv))) == NULL)
			continue;
		have = interpreter_version(path, home, want);
		if (have != NULL && strcmp(have, want) != 0) {
			snprintf(text, sizeof text, "pyvenv.cfg says Python %s but "
			    "its interpreter is %s", want, have);
			snprintf(cmd, sizeof cmd, "python%s -m venv --upgrade %s",
			    have, path);
			finding(dr, 0, path, text, cmd);
			mismatched++;
		}
		free(have);
		free(want);
	}
	snprintf(text, sizeof text, "%zu indexed, %d broken or missing, %d with "
	    "a changed interpreter", json_array_size(venvs), broken, mismatched);
	finding(dr, 1, "venvs", text, NULL);
}

/* venvd doctor: exit 0 when every check passes, 1 otherwise. */
int
cmd_doctor(int argc, char **argv)
{
	struct doctor dr = { 0 };
	char err[512], text[600];
	json_t *st, *list;
	int down, answers;
	long holder;

	(void)argv;
	if (argc > 1)
		return usage_error("doctor", "doctor takes no arguments");
	check_hook(&dr);
	st = client_call(VENVD_M_STATUS, NULL, CLIENT_CTL_BUDGET_MS, &down,
	    err, sizeof err);
	if (st == NULL && down) {
		/* Running without its socket: ask it to bind again. */
		holder = client_daemon_by_lock(1, &answers);
		if (answers)
			st = client_call(VENVD_M_STATUS, NULL,
			    CLIENT_CTL_BUDGET_MS, &down, err, sizeof err);
		else if (holder != 0) {
			snprintf(text, sizeof text, "running (pid %ld) but its "
			    "socket is missing", holder);
			finding(&dr, 0, "daemon", text, "venvd restart");
			printf("(venv, database and inotify checks need the daemon)\n");
			return EXIT_NONE;
		}
	}
	if (st == NULL) {
		snprintf(text, sizeof text, "%s", down ? "not running" : err);
		finding(&dr, 0, "daemon", text, down ? "venvd start" : "venvd restart");
		printf("(venv, database and inotify checks need the daemon)\n");
		return EXIT_NONE;
	}
	snprintf(text, sizeof text, "running (pid %" JSON_INTEGER_FORMAT ")",
	    json_integer_value(json_object_get(st, "pid")));
	finding(&dr, 1, "daemon", text, NULL);
	check_inotify(&dr, st);
	check_db(&dr, st);
	check_health(&dr, st);
	check_locator_env(&dr, st);
	json_decref(st);
	list = client_call(VENVD_M_LIST, json_object(), CLIENT_CTL_BUDGET_MS * 5,
	    &down, err, sizeof err);
	if (list == NULL || !json_is_array(json_object_get(list, "venvs"))) {
		snprintf(text, sizeof text, "cannot read the index: %s",
		    list == NULL ? err : "malformed answer");
		finding(&dr, 0, "venvs", text, "venvd restart");
	} else
		check_venvs(&dr, json_object_get(list, "venvs"));
	json_decref(list);
	return dr.problems ? EXIT_NONE : EXIT_OK;
}

/*
 * venvd_builtin.c: venvd's prompt hook as a bash loadable builtin.
 *
 *   enable -f .../venvd/bash/venvd.so venvd_hook
 *   PROMPT_COMMAND=(venvd_hook ...)
 *
 * At each prompt venvd_hook does what hooks/venvd.bash's _venvd_hook does,
 * with no process and no shell function call while nothing changed: one
 * stat of the marker of the last generation seen, then $PWD, $VIRTUAL_ENV
 * and the locators' variables compared with the values of the last prompt.
 * It returns the status of the last command, so $? survives the prompt.
 *
 * On a change it asks the daemon itself (one connection, the client's
 * request, VENVD_CLIENT_BUDGET_MS in all) and applies the answer with
 * common/transition.c through bash's variable API. Every case it does not
 * handle itself -- no daemon within the budget, an answer with a notice
 * (untrusted, broken, the daemon's faults), a directory the client would
 * first clean, a readonly variable -- goes to the hook's shell function
 * _venvd_update, which runs "venvd export --hook bash" as before. The
 * state lives in the hook's shell variables (_venvd_last_*, _venvd_suppress,
 * _venvd_ps1_added, _venvd_fn_ours...), so both paths share it.
 *
 * The shell functions it calls (_venvd_update, _venvd_cache_reset,
 * _venvd_pip_guard, _venvd_deactivate_define/_undefine) come from the hook
 * text that "venvd hook bash" prints; without them it does nothing.
 *
 * Built against Debian's bash-builtins headers. Bash's structures change
 * between versions, so the load hook refuses a bash whose version differs
 * from the one the headers describe, and "venvd hook bash" only prints the
 * enable line for that version. Linked with -Bsymbolic: the common code's
 * xmalloc and friends must not bind to bash's functions of the same name.
 */
/* Bash's config.h, through builtins.h's own "config.h" (not venvd's). */
#include "builtins.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shell.h"
#include "execute_cmd.h"
#include "variables.h"
#include "version.h"
#include "common.h"

#include "buf.h"
#include "frame.h"
#include "locator_env.h"
#include "log.h"
#include "paths.h"
#include "protocol.h"
#include "resolve.h"
#include "rpc.h"
#include "sanitize.h"
#include "transition.h"

/* What bash looks up by name in the .so; everything else stays hidden. */
#define VENVD_EXPORT	__attribute__((visibility("default")))

/* The bash version these headers describe ("5.2"). */
#define VENVD_BASH_VERSION	DISTVERSION

int	venvd_hook_builtin_load(char *);
void	venvd_hook_builtin_unload(char *);

/* Outcomes of asking the daemon. */
enum ask {
	ASK_APPLY,	/* a usable answer: apply it here */
	ASK_FALLBACK,	/* let the shell's process path decide */
};

/* A shell variable's value when set (and not an unset declaration), else NULL. */
static const char *
sh_get(const char *name)
{
	SHELL_VAR *v = find_variable(name);

	if (v == NULL || invisible_p(v) || !var_isset(v))
		return NULL;
	if (array_p(v) || assoc_p(v))
		return get_string_value(name);
	return value_cell(v);
}

/* A shell variable's value, "" when unset. */
static const char *
sh_str(const char *name)
{
	const char *s = sh_get(name);

	return s != NULL ? s : "";
}

/* Set a plain shell variable (not exported); -1 when bash refuses. */
static int
sh_set(const char *name, const char *value)
{
	return bind_variable(name, (char *)value, 0) != NULL ? 0 : -1;
}

/* Set and export a variable, as the hook's "export NAME=value". */
static void
sh_export(const char *name, const char *value)
{
	SHELL_VAR *v = bind_variable(name, (char *)value, 0);

	if (v != NULL)
		set_auto_export(v);
	array_needs_making = 1;
}

/* Unset a variable, as the hook's "unset NAME". */
static void
sh_unset(const char *name)
{
	unbind_variable(name);
	array_needs_making = 1;
}

/* Is any of the variables a transition writes readonly? */
static int
sh_any_readonly(void)
{
	static const char *const extra[] = { "PS1", "_venvd_suppress",
	    "_venvd_ps1_added", NULL };
	SHELL_VAR *v;

	for (int i = 0; i < TR_NVARS; i++) {
		v = find_variable(transition_var_names[i]);
		if (v != NULL && readonly_p(v))
			return 1;
	}
	for (int i = 0; extra[i] != NULL; i++) {
		v = find_variable(extra[i]);
		if (v != NULL && readonly_p(v))
			return 1;
	}
	return 0;
}

/* Run the hook's shell function fn with up to two arguments; -1 if it is not defined. */
static int
sh_call(const char *fn, const char *a1, const char *a2)
{
	SHELL_VAR *f = find_function(fn);
	WORD_LIST *words = NULL;
	int rc;

	if (f == NULL)
		return -1;
	if (a2 != NULL)
		words = make_word_list(make_word(a2), words);
	if (a1 != NULL)
		words = make_word_list(make_word(a1), words);
	words = make_word_list(make_word(fn), words);
	rc = execute_shell_function(f, words);
	dispose_words(words);
	return rc;
}

/* Monotonic clock in milliseconds. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 late or failed. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0)
			return 0;
		switch (poll(&pfd, 1, (int)left)) {
		case -1:
			if (errno == EINTR)
				continue;
			return 0;
		case 0:
			return 0;
		default:
			return 1;
		}
	}
}

/* Connect to the daemon's socket, non-blocking; -1 when nobody listens. */
static int
daemon_connect(long long deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[PATH_MAX], err[256];
	int fd;

	if (paths_socket(path, sizeof path, err, sizeof err) == -1 ||
	    strlen(path) >= sizeof sun.sun_path)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && mono_ms() < deadline) {
			poll(NULL, 0, 2);	/* backlog full: retry briefly */
			continue;
		}
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one request line and read the answer line; the result, or NULL. */
static json_t *
daemon_call(json_t *params, long long deadline)
{
	struct buf out = BUF_INIT;
	struct frame in;
	json_t *result = NULL;
	const char *line;
	char chunk[8192], err[256];
	size_t off = 0, len;
	ssize_t n;
	int fd, code;

	if ((fd = daemon_connect(deadline)) == -1) {
		json_decref(params);
		return NULL;
	}
	rpc_write_request(&out, 1, VENVD_M_RESOLVE, params);
	while (off < out.len) {
		n = send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline))
			continue;
		else
			goto done;
	}
	frame_init(&in, VENVD_MAX_RESPONSE);
	for (;;) {
		enum frame_result fr = frame_next(&in, &line, &len);

		if (fr == FRAME_LINE) {
			if (rpc_parse_response(line, len, &result, &code, err,
			    sizeof err) == -1)
				result = NULL;
			break;
		}
		if (fr == FRAME_TOO_LONG)
			break;
		n = recv(fd, chunk, sizeof chunk, 0);
		if (n > 0) {
			frame_feed(&in, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN && wait_fd(fd, POLLIN, deadline))
			continue;
		break;	/* closed, failed or late */
	}
	frame_free(&in);
done:
	buf_free(&out);
	close(fd);
	return result;
}

/* The locators' exported variables as resolve's "env", as the client sends them. */
static json_t *
locator_env_json(void)
{
	const char *list[64];
	char **env;
	json_t *j;
	size_t n = 0;
	SHELL_VAR *v;

	for (size_t i = 0; locator_env_vars[i].name != NULL && n < 63; i++) {
		v = find_variable(locator_env_vars[i].name);
		if (v == NULL || !exported_p(v) || invisible_p(v) ||
		    !var_isset(v) || array_p(v) || assoc_p(v))
			continue;
		char *kv;

		if (asprintf(&kv, "%s=%s", locator_env_vars[i].name,
		    value_cell(v)) == -1)
			break;
		list[n++] = kv;
	}
	list[n] = NULL;
	env = locator_env_collect(list);
	j = rpc_env_to_json((const char *const *)env);
	locator_env_free(env);
	for (size_t i = 0; i < n; i++)
		free((char *)list[i]);
	return j;
}

/* "NAME=value|" for every locator variable: the hook's @LOCATORENVKEY@. */
static void
locator_env_key(struct buf *key)
{
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++)
		buf_printf(key, "%s=%s|", locator_env_vars[i].name,
		    sh_str(locator_env_vars[i].name));
}

/* Is dir what client_dir() would leave unchanged (absolute, clean, short)? */
static int
dir_is_clean(const char *dir)
{
	size_t n = strlen(dir);

	if (dir[0] != '/' || n >= PATH_MAX)
		return 0;
	if (n > 1 && dir[n - 1] == '/')
		return 0;
	return strstr(dir, "//") == NULL && strstr(dir, "/./") == NULL &&
	    strstr(dir, "/../") == NULL &&
	    !(n >= 2 && strcmp(dir + n - 2, "/.") == 0) &&
	    !(n >= 3 && strcmp(dir + n - 3, "/..") == 0);
}

/*
 * Ask the daemon for dir. ASK_APPLY with *venv (NULL: none) and *prompt
 * (sanitised) when the answer needs nothing but a transition; else
 * ASK_FALLBACK (no answer in time, a notice to show, a trust the client
 * must judge).
 */
static enum ask
ask_daemon(const char *dir, char **venv, char **prompt)
{
	const char *active = sh_get("VENVD_ACTIVE");
	struct venv_info vi;
	struct buf p = BUF_INIT;
	json_t *params, *result, *jv, *notices;
	enum ask rc = ASK_FALLBACK;

	*venv = *prompt = NULL;
	params = json_pack("{s:o, s:o, s:b}", "path", rpc_path_to_json(dir),
	    "env", locator_env_json(), "activating", 1);
	if (active != NULL && active[0] != '\0')
		json_object_set_new(params, "active", rpc_path_to_json(active));
	result = daemon_call(params, mono_ms() + VENVD_CLIENT_BUDGET_MS);
	if (result == NULL)
		return ASK_FALLBACK;
	jv = json_object_get(result, "venv");
	notices = json_object_get(result, "notices");
	if (jv == NULL || !json_is_string(json_object_get(result, "generation")))
		goto out;
	if (json_is_array(notices) && json_array_size(notices) > 0)
		goto out;
	if (json_is_null(jv)) {
		rc = ASK_APPLY;
		goto out;
	}
	memset(&vi, 0, sizeof vi);
	if (rpc_venv_from_json(jv, &vi) == -1)
		goto out;
	if (vi.trust != NULL && strcmp(vi.trust, "trusted") == 0 &&
	    vi.broken == NULL) {
		sanitize_prompt(&p, vi.prompt);
		*venv = strdup(vi.path);
		*prompt = buf_take(&p);
		rc = (*venv != NULL && *prompt != NULL) ? ASK_APPLY : ASK_FALLBACK;
	}
	buf_free(&p);
	venv_info_free(&vi);
out:
	json_decref(result);
	return rc;
}

/* The shell's state, as transition.c sees it. */
static void
state_load(struct transition_state *st)
{
	const char *added = sh_str("_venvd_ps1_added");
	const char *sup = sh_str("_venvd_suppress");

	transition_init(st);
	for (int i = 0; i < TR_NVARS; i++)
		transition_set(st, i, sh_get(transition_var_names[i]));
	st->suppress = sup[0] != '\0' ? strdup(sup) : NULL;
	st->ps1_on = strcmp(sh_str("VENVD_PS1"), "1") == 0;
	st->ps1 = strdup(sh_str("PS1"));
	st->ps1_added = added[0] != '\0' ? strdup(added) : NULL;
}

/* Do two optional strings differ? */
static int
differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/*
 * Apply venv (NULL: none) with prompt, as _venvd_apply does: the one
 * transition, written back with bash's variable API; the deactivate
 * function defined or removed as the shell hook does.
 */
static void
apply(const char *venv, const char *prompt)
{
	struct transition_state old, new;
	const char *was, *now;

	state_load(&old);
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, venv, prompt);
	for (int i = 0; i < TR_NVARS; i++) {
		if (!transition_changed(&old, &new, i))
			continue;
		if (new.var[i] == NULL)
			sh_unset(transition_var_names[i]);
		else
			sh_export(transition_var_names[i], new.var[i]);
	}
	sh_set("_venvd_suppress", new.suppress != NULL ? new.suppress : "");
	if (differ(old.ps1, new.ps1))
		sh_set("PS1", new.ps1 != NULL ? new.ps1 : "");
	sh_set("_venvd_ps1_added", new.ps1_added != NULL ? new.ps1_added : "");
	was = old.var[TR_VENVD_ACTIVE];
	now = new.var[TR_VENVD_ACTIVE];
	if (was != NULL && was[0] != '\0' && differ(was, now) &&
	    strcmp(sh_str("_venvd_fn_ours"), "1") == 0)
		sh_call("_venvd_deactivate_undefine", NULL, NULL);
	if (now != NULL && now[0] != '\0') {
		if (differ(was, now))
			sh_call("_venvd_deactivate_define", NULL, NULL);
		else {
			/* Adopted (or ours already): _venvd_adopt. */
			if (prompt != NULL &&
			    differ(sh_get("VIRTUAL_ENV_PROMPT"), prompt))
				sh_export("VIRTUAL_ENV_PROMPT", prompt);
			if (strcmp(sh_str("_venvd_fn_ours"), "1") != 0 &&
			    find_function("deactivate") == NULL)
				sh_call("_venvd_deactivate_define", NULL, NULL);
		}
	}
	transition_free(&old);
	transition_free(&new);
}

/* The generation the hook sees now: the last one while its marker exists, else the file's. */
static char *
current_generation(void)
{
	const char *genfile = sh_str("_venvd_genfile"), *last = sh_str("_venvd_last_gen");
	struct stat sb;
	char path[PATH_MAX], line[128];
	ssize_t n;
	int fd;

	if (last[0] != '\0' && (size_t)snprintf(path, sizeof path, "%s.%s",
	    genfile, last) < sizeof path && stat(path, &sb) == 0)
		return strdup(last);
	line[0] = '\0';
	if (genfile[0] != '\0' &&
	    (fd = open(genfile, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) != -1) {
		n = read(fd, line, sizeof line - 1);
		close(fd);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
	}
	return strdup(line);
}

/* Bring the shell to the right state for dir, as _venvd_update does. */
static void
update(const char *dir, const char *gen)
{
	const char *ve = sh_str("VIRTUAL_ENV"), *active = sh_str("VENVD_ACTIVE");
	char *venv, *prompt;

	if (ve[0] != '\0' && strcmp(ve, active) != 0) {
		/* A manual activation: hands off until it goes. */
		if (active[0] != '\0')
			sh_set("_venvd_fn_ours", "0");
		return;
	}
	if (!dir_is_clean(dir) || sh_any_readonly() ||
	    ask_daemon(dir, &venv, &prompt) != ASK_APPLY) {
		sh_call("_venvd_update", gen, NULL);
		return;
	}
	apply(venv, prompt);
	free(venv);
	free(prompt);
}

/* venvd_hook: the prompt hook; returns the last command's status. */
static int
venvd_hook_builtin(WORD_LIST *list)
{
	int rc = last_command_exit_value;
	struct buf key = BUF_INIT;
	char *gen, *pwd;

	if (find_function("_venvd_update") == NULL)
		return rc;	/* not installed by "venvd hook bash" */
	gen = current_generation();
	locator_env_key(&key);
	buf_putc(&key, '\0');
	pwd = strdup(sh_str("PWD"));
	if (gen == NULL || pwd == NULL)
		goto out;
	if (strcmp(pwd, sh_str("_venvd_last_pwd")) == 0 &&
	    strcmp(gen, sh_str("_venvd_last_gen")) == 0 &&
	    strcmp(sh_str("VIRTUAL_ENV"), sh_str("_venvd_last_ve")) == 0 &&
	    strcmp(key.data, sh_str("_venvd_last_env")) == 0)
		goto out;
	if (strcmp(key.data, sh_str("_venvd_last_env")) != 0)
		sh_call("_venvd_cache_reset", gen, NULL);
	update(pwd, gen);
	sh_call("_venvd_pip_guard", NULL, NULL);
	sh_set("_venvd_last_pwd", pwd);
	sh_set("_venvd_last_gen", gen);
	sh_set("_venvd_last_ve", sh_str("VIRTUAL_ENV"));
	sh_set("_venvd_last_env", key.data);
out:
	free(gen);
	free(pwd);
	buf_free(&key);
	return rc;
}

/* Loaded: refuse a bash other than the one the headers describe. */
VENVD_EXPORT int
venvd_hook_builtin_load(char *name)
{
	if (dist_version == NULL ||
	    strcmp(dist_version, VENVD_BASH_VERSION) != 0) {
		builtin_error("built for bash %s, not %s", VENVD_BASH_VERSION,
		    dist_version != NULL ? dist_version : "?");
		return 0;
	}
	log_silence();
	return 1;
}

/* Unloaded (enable -d): nothing is held between prompts. */
VENVD_EXPORT void
venvd_hook_builtin_unload(char *name)
{
}

static char *venvd_hook_doc[] = {
	"venvd's prompt hook: activate the Python venv that applies to $PWD.",
	"",
	"Installed by eval \"$(venvd hook bash)\"; returns the status of the",
	"last command.",
	NULL
};

VENVD_EXPORT struct builtin venvd_hook_struct = {
	"venvd_hook",
	venvd_hook_builtin,
	BUILTIN_ENABLED,
	venvd_hook_doc,
	"venvd_hook",
	0
};

/*
 * inshell.c: venvd's prompt hook inside the shell's process, for every
 * shell that can load C (inshell.h says what it does and what it asks of
 * the shell).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "inshell.h"
#include "json_lite.h"
#include "locator_env.h"
#include "protocol.h"
#include "resolve.h"
#include "sanitize.h"
#include "transition.h"
#include "transport.h"
#include "trust_notice.h"
#include "xmalloc.h"

/* Slots of the answer cache: open addressing, at most half full. */
#define CACHE_SLOTS	(INSHELL_CACHE_MAX * 2)

/* One cached answer. */
struct answer {
	char	*dir;		/* NULL: a free slot */
	char	*venv;		/* NULL: no venv applies */
	char	*prompt;	/* sanitised; NULL with venv NULL */
	char	*notice;	/* NULL: none */
};

struct inshell {
	const struct inshell_ops *ops;
	void		*ctx;

	int		 primed;	/* the last_* hold a prompt's values */
	char		*last_pwd;
	char		*last_gen;
	char		*last_ve;
	char		*last_env;
	char		*marker;	/* <genfile>.<last_gen> */
	char		*marker_genfile;	/* the genfile it was made for */

	char		*cache_gen;	/* the generation the cache holds */
	struct answer	 cache[CACHE_SLOTS];
	int		 cache_n;

	char		**noticed;	/* the notice texts shown */
	int		 noticed_n;
};

/* A variable's value ("" when unset). */
static const char *
get_str(struct inshell *is, const char *name)
{
	const char *v = is->ops->get(is->ctx, name, 0);

	return v != NULL ? v : "";
}

/* A core for one shell. */
struct inshell *
inshell_new(const struct inshell_ops *ops, void *ctx)
{
	struct inshell *is = xcalloc(1, sizeof *is);

	is->ops = ops;
	is->ctx = ctx;
	return is;
}

/* Forget every cached answer; the cache now belongs to generation gen. */
static void
cache_reset(struct inshell *is, const char *gen)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct answer *a = &is->cache[i];

		free(a->dir);
		free(a->venv);
		free(a->prompt);
		free(a->notice);
		memset(a, 0, sizeof *a);
	}
	is->cache_n = 0;
	transition_set_str(&is->cache_gen, gen);
}

/* FNV-1a of s: the cache slot to start at. */
static unsigned
cache_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % CACHE_SLOTS;
}

/* The cached answer for dir, or NULL. */
static struct answer *
cache_find(struct inshell *is, const char *dir)
{
	unsigned i = cache_hash(dir);

	for (; is->cache[i].dir != NULL; i = (i + 1) % CACHE_SLOTS) {
		if (strcmp(is->cache[i].dir, dir) == 0)
			return &is->cache[i];
	}
	return NULL;
}

/* Keep the answer for dir (a full cache starts again). */
static void
cache_put(struct inshell *is, const char *dir, const char *venv,
    const char *prompt, const char *notice)
{
	struct answer *a;
	unsigned i;

	if ((a = cache_find(is, dir)) == NULL) {
		if (is->cache_n >= INSHELL_CACHE_MAX) {
			char *gen = xstrdup(is->cache_gen != NULL ?
			    is->cache_gen : "");

			cache_reset(is, gen);
			free(gen);
		}
		for (i = cache_hash(dir); is->cache[i].dir != NULL;
		    i = (i + 1) % CACHE_SLOTS)
			;
		a = &is->cache[i];
		a->dir = xstrdup(dir);
		is->cache_n++;
	}
	transition_set_str(&a->venv, venv);
	transition_set_str(&a->prompt, prompt);
	transition_set_str(&a->notice, notice);
}

/* Forget the cache and the last prompt's values. */
void
inshell_reset(struct inshell *is)
{
	cache_reset(is, NULL);
	is->primed = 0;
}

/* Free the core. */
void
inshell_free(struct inshell *is)
{
	if (is == NULL)
		return;
	cache_reset(is, NULL);
	free(is->last_pwd);
	free(is->last_gen);
	free(is->last_ve);
	free(is->last_env);
	free(is->marker);
	free(is->marker_genfile);
	for (int i = 0; i < is->noticed_n; i++)
		free(is->noticed[i]);
	free(is->noticed);
	free(is);
}

/*
 * The generation now: the last one seen while its marker exists (one
 * stat), else the generation file's first line ("" when none).
 */
static char *
current_generation(struct inshell *is)
{
	const char *genfile = get_str(is, "_venvd_genfile");
	struct stat sb;
	char path[PATH_MAX], line[128];
	ssize_t n;
	int fd;

	if (is->primed && is->last_gen[0] != '\0' &&
	    (size_t)snprintf(path, sizeof path, "%s.%s", genfile,
	    is->last_gen) < sizeof path && stat(path, &sb) == 0)
		return xstrdup(is->last_gen);
	line[0] = '\0';
	if (genfile[0] != '\0' &&
	    (fd = open(genfile, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) != -1) {
		n = read(fd, line, sizeof line - 1);
		close(fd);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
	}
	return xstrdup(line);
}

/* "NAME=value|" for every locator variable, as the hooks' key. */
static char *
locator_env_key(struct inshell *is)
{
	struct buf key = BUF_INIT;

	for (size_t i = 0; locator_env_vars[i].name != NULL; i++)
		buf_printf(&key, "%s=%s|", locator_env_vars[i].name,
		    get_str(is, locator_env_vars[i].name));
	buf_putc(&key, '\0');
	return buf_take(&key);
}

/* Append the locators' exported variables as resolve's "env" object. */
static void
write_locator_env(struct inshell *is, struct buf *out)
{
	const char *list[64];
	char **env, *kv;
	const char *v, *eq;
	size_t n = 0;

	for (size_t i = 0; locator_env_vars[i].name != NULL && n < 63; i++) {
		v = is->ops->get(is->ctx, locator_env_vars[i].name, 1);
		if (v == NULL)
			continue;
		xasprintf(&kv, "%s=%s", locator_env_vars[i].name, v);
		list[n++] = kv;
	}
	list[n] = NULL;
	env = locator_env_collect(list);
	buf_putc(out, '{');
	for (size_t i = 0; env[i] != NULL; i++) {
		if ((eq = strchr(env[i], '=')) == NULL)
			continue;
		if (out->data[out->len - 1] != '{')
			buf_putc(out, ',');
		jl_write_string(out, env[i], (size_t)(eq - env[i]));
		buf_putc(out, ':');
		jl_write_string(out, eq + 1, strlen(eq + 1));
	}
	buf_putc(out, '}');
	locator_env_free(env);
	for (size_t i = 0; i < n; i++)
		free((char *)list[i]);
}

/*
 * The resolve request line for dir (json_lite: the hooks link no JSON
 * library), with "activating" and "active" when activating.
 */
static void
write_resolve(struct inshell *is, struct buf *out, const char *dir,
    int activating, const char *active)
{
	buf_puts(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\""
	    VENVD_M_RESOLVE "\",\"params\":{\"path\":");
	jl_write_string(out, dir, strlen(dir));
	buf_puts(out, ",\"env\":");
	write_locator_env(is, out);
	if (activating) {
		buf_puts(out, ",\"activating\":true");
		if (active[0] != '\0') {
			buf_puts(out, ",\"active\":");
			jl_write_string(out, active, strlen(active));
		}
	}
	buf_puts(out, "}}\n");
}

/* Is dir what the client would leave unchanged (absolute, clean, short)? */
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

/* The answer for a directory, as the shell applies it. */
struct reply {
	char	*gen;		/* NULL: not cacheable */
	char	*venv;		/* NULL: none applies (or not to activate) */
	char	*prompt;
	char	*notice;	/* NULL: none */
};

/* Free a reply's strings. */
static void
reply_free(struct reply *r)
{
	free(r->gen);
	free(r->venv);
	free(r->prompt);
	free(r->notice);
	memset(r, 0, sizeof *r);
}

/*
 * Ask the daemon for dir within the budget. 0 with *r filled, -1 when it
 * gave no usable answer (down, late, garbage, or a venv whose trust it
 * did not judge).
 */
static int
ask_daemon(struct inshell *is, const char *dir, struct reply *r)
{
	const char *ve = get_str(is, "VIRTUAL_ENV");
	const char *active = get_str(is, "VENVD_ACTIVE");
	const struct jl_value *result, *jv, *jg, *jc, *list, *n;
	struct venv_info vi;
	struct buf notice = BUF_INIT, p = BUF_INIT, req = BUF_INIT;
	struct jl_value root;
	struct transport *c;
	const char *line;
	char err[256];
	size_t len;
	long long deadline = now_ms() + VENVD_CLIENT_BUDGET_MS;
	int got, rc = -1;

	memset(r, 0, sizeof *r);
	/* No manual activation: the answer will be applied, so count it. */
	write_resolve(is, &req, dir, ve[0] == '\0' || strcmp(ve, active) == 0,
	    active);
	if ((c = transport_open(deadline, err, sizeof err)) == NULL) {
		buf_free(&req);
		return -1;
	}
	got = transport_exchange(c, &req, &line, &len, deadline, err,
	    sizeof err) == 0 &&
	    jl_rpc_result(line, len, &root, &result, err, sizeof err) == 0;
	transport_close(c);
	buf_free(&req);
	if (!got)
		return -1;
	jv = jl_get(result, "venv");
	jg = jl_get(result, "generation");
	jc = jl_get(result, "cacheable");
	if (jv == NULL || jl_str(jg) == NULL)
		goto out;
	memset(&vi, 0, sizeof vi);
	if (jv->type != JL_NULL) {
		if (jl_venv(jv, &vi) == -1)
			goto out;
		if (vi.trust == NULL) {
			venv_info_free(&vi);
			goto out;	/* not judged: the client's rules */
		}
		if (strcmp(vi.trust, "trusted") == 0) {
			sanitize_prompt(&p, vi.prompt);
			r->venv = xstrdup(vi.path);
			r->prompt = buf_take(&p);
			trust_notice_broken(&notice, &vi);
		} else
			trust_notice(&notice, &vi, is->ops->get(is->ctx,
			    "HOME", 0));
		venv_info_free(&vi);
	}
	list = jl_get(result, "notices");
	for (size_t i = 0; list != NULL && list->type == JL_ARRAY &&
	    i < list->n; i++) {
		n = &list->u.items[i];
		if (jl_str(n) == NULL)
			continue;
		if (notice.len > 0)
			buf_putc(&notice, '\n');
		buf_puts(&notice, "venvd: ");
		sanitize_append(&notice, jl_str(n));
	}
	if (notice.len > 0)
		r->notice = buf_take(&notice);
	if (jc == NULL || jc->type == JL_TRUE)
		r->gen = xstrdup(jl_str(jg));
	rc = 0;
out:
	buf_free(&notice);
	buf_free(&p);
	jl_free(&root);
	if (rc == -1)
		reply_free(r);
	return rc;
}

/* Is any variable a transition writes readonly? */
static int
any_readonly(struct inshell *is)
{
	static const char *const extra[] = { "PS1", "_venvd_suppress",
	    "_venvd_ps1_added", "_venvd_fn_ours", NULL };

	for (int i = 0; i < TR_NVARS; i++) {
		if (is->ops->readonly(is->ctx, transition_var_names[i]))
			return 1;
	}
	for (int i = 0; extra[i] != NULL; i++) {
		if (is->ops->readonly(is->ctx, extra[i]))
			return 1;
	}
	return 0;
}

/*
 * The shell's state, as transition.c sees it: the variables, the hook's
 * bookkeeping variables, whether deactivate exists, and the notices this
 * core has shown (lent to st until state_store).
 */
static void
state_load(struct inshell *is, struct transition_state *st)
{
	const char *added = get_str(is, "_venvd_ps1_added");
	const char *sup = get_str(is, "_venvd_suppress");

	transition_init(st);
	for (int i = 0; i < TR_NVARS; i++)
		transition_set(st, i, is->ops->get(is->ctx,
		    transition_var_names[i], 0));
	transition_set_str(&st->suppress, sup[0] != '\0' ? sup : NULL);
	st->ps1_on = strcmp(get_str(is, "VENVD_PS1"), "1") == 0;
	transition_set_str(&st->ps1, is->ops->get(is->ctx, "PS1", 0));
	transition_set_str(&st->ps1_added, added[0] != '\0' ? added : NULL);
	st->fn_ours = strcmp(get_str(is, "_venvd_fn_ours"), "1") == 0;
	st->fn_exists = is->ops->fn_defined(is->ctx, "deactivate");
	st->pip_guard_on = strcmp(get_str(is, "_venvd_pip_guard_on"), "1") == 0;
}

/*
 * Write back what a step changed, old to new: the variables, the
 * bookkeeping, PS1, the deactivate function, the notice, the command
 * hash; and keep new's list of notices shown.
 */
static void
state_store(struct inshell *is, const struct transition_state *old,
    struct transition_state *new)
{
	for (int i = 0; i < TR_NVARS; i++) {
		if (!transition_changed(old, new, i))
			continue;
		if (new->var[i] == NULL)
			is->ops->unset(is->ctx, transition_var_names[i]);
		else
			is->ops->set(is->ctx, transition_var_names[i],
			    new->var[i], 1);
	}
	if (transition_str_differ(old->suppress, new->suppress))
		is->ops->set(is->ctx, "_venvd_suppress",
		    new->suppress != NULL ? new->suppress : "", 0);
	if (transition_str_differ(old->ps1, new->ps1) && new->ps1 != NULL)
		is->ops->set(is->ctx, "PS1", new->ps1, 0);
	if (transition_str_differ(old->ps1_added, new->ps1_added))
		is->ops->set(is->ctx, "_venvd_ps1_added",
		    new->ps1_added != NULL ? new->ps1_added : "", 0);
	switch (new->fn_action) {
	case TR_FN_DEFINE:
		is->ops->deactivate_define(is->ctx);
		break;
	case TR_FN_UNDEFINE:
		is->ops->deactivate_undefine(is->ctx);
		break;
	case TR_FN_KEEP:
		break;
	}
	if (old->fn_ours != new->fn_ours || new->fn_action != TR_FN_KEEP)
		is->ops->set(is->ctx, "_venvd_fn_ours", new->fn_ours ? "1" :
		    "0", 0);
	if (new->notice != NULL)
		is->ops->notice(is->ctx, new->notice);
	if (transition_rehash(old, new))
		is->ops->rehash(is->ctx);
	/* The notices shown: new's list is the core's now. */
	for (int i = 0; i < is->noticed_n; i++)
		free(is->noticed[i]);
	free(is->noticed);
	is->noticed = new->noticed;
	is->noticed_n = (int)new->nnoticed;
	new->noticed = NULL;
	new->nnoticed = 0;
}

/* Lend the core's notices shown to st (state_store takes them back). */
static void
noticed_lend(struct inshell *is, struct transition_state *st)
{
	st->noticed = xcalloc((size_t)is->noticed_n + 1, sizeof *st->noticed);
	for (int i = 0; i < is->noticed_n; i++)
		st->noticed[i] = xstrdup(is->noticed[i]);
	st->nnoticed = (size_t)is->noticed_n;
}

/* One step: the answer (ans) or the user's deactivate (ans NULL). */
static void
step(struct inshell *is, const struct transition_answer *ans,
    int nondestructive)
{
	struct transition_state old, new;

	state_load(is, &old);
	transition_init(&new);
	transition_copy(&new, &old);
	noticed_lend(is, &new);
	if (ans != NULL)
		transition_answer(&new, ans);
	else
		transition_deactivate(&new, nondestructive);
	state_store(is, &old, &new);
	transition_free(&old);
	transition_free(&new);
}

/* Apply venv (NULL: none) with prompt and notice. */
static void
apply(struct inshell *is, const char *venv, const char *prompt,
    const char *notice)
{
	struct transition_answer ans = { venv, prompt, notice };

	step(is, &ans, 0);
}

/* Bring the shell to the right state for dir: from the cache, else the daemon. */
static enum inshell_result
update(struct inshell *is, const char *dir, const char *gen)
{
	const char *ve = get_str(is, "VIRTUAL_ENV");
	const char *active = get_str(is, "VENVD_ACTIVE");
	struct answer *a;
	struct reply r;

	if (ve[0] != '\0' && strcmp(ve, active) != 0) {
		/* A manual activation: left alone, whatever the answer. */
		apply(is, NULL, NULL, NULL);
		return INSHELL_APPLIED;
	}
	if (transition_str_differ(gen, is->cache_gen))
		cache_reset(is, gen);
	if ((a = cache_find(is, dir)) != NULL) {
		apply(is, a->venv, a->prompt, a->notice);
		return INSHELL_APPLIED;
	}
	if (!dir_is_clean(dir) || any_readonly(is)) {
		is->ops->fallback(is->ctx, dir, gen, 0);
		return INSHELL_FALLBACK;
	}
	if (ask_daemon(is, dir, &r) == -1) {
		/* The daemon's generation may be stale now. */
		cache_reset(is, "");
		is->ops->fallback(is->ctx, dir, gen, 1);
		return INSHELL_FALLBACK;
	}
	if (r.gen != NULL && r.gen[0] != '\0') {
		if (transition_str_differ(r.gen, is->cache_gen))
			cache_reset(is, r.gen);
		cache_put(is, dir, r.venv, r.prompt, r.notice);
	}
	apply(is, r.venv, r.prompt, r.notice);
	reply_free(&r);
	return INSHELL_APPLIED;
}

/* Does the shell's value of each locator variable match the key? */
static int
env_key_matches(struct inshell *is, const char *key)
{
	const char *name, *v;
	size_t n;

	for (size_t i = 0; (name = locator_env_vars[i].name) != NULL; i++) {
		n = strlen(name);
		if (strncmp(key, name, n) != 0 || key[n] != '=')
			return 0;
		key += n + 1;
		v = get_str(is, name);
		n = strlen(v);
		if (strncmp(key, v, n) != 0 || key[n] != '|')
			return 0;
		key += n + 1;
	}
	return *key == '\0';
}

/*
 * The idle check, allocating nothing: the last generation's marker is
 * still there (one stat) and $PWD, $VIRTUAL_ENV and the locator
 * variables are as at the last prompt.
 */
static int
idle(struct inshell *is)
{
	const char *genfile;
	struct stat sb;

	if (!is->primed || is->last_gen[0] == '\0')
		return 0;
	genfile = get_str(is, "_venvd_genfile");
	if (is->marker == NULL || strcmp(genfile, is->marker_genfile) != 0) {
		free(is->marker);
		xasprintf(&is->marker, "%s.%s", genfile, is->last_gen);
		transition_set_str(&is->marker_genfile, genfile);
	}
	return stat(is->marker, &sb) == 0 &&
	    strcmp(get_str(is, "PWD"), is->last_pwd) == 0 &&
	    strcmp(get_str(is, "VIRTUAL_ENV"), is->last_ve) == 0 &&
	    env_key_matches(is, is->last_env);
}

/* At each prompt: bring the shell to the state for $PWD. */
enum inshell_result
inshell_prompt(struct inshell *is)
{
	enum inshell_result rc = INSHELL_IDLE;
	char *gen, *env, *pwd;

	if (idle(is))
		return INSHELL_IDLE;
	gen = current_generation(is);
	env = locator_env_key(is);
	pwd = xstrdup(get_str(is, "PWD"));
	if (is->primed && strcmp(pwd, is->last_pwd) == 0 &&
	    strcmp(gen, is->last_gen) == 0 &&
	    strcmp(get_str(is, "VIRTUAL_ENV"), is->last_ve) == 0 &&
	    strcmp(env, is->last_env) == 0)
		goto out;
	if (!is->primed || strcmp(env, is->last_env) != 0)
		cache_reset(is, gen);
	rc = update(is, pwd, gen);
	is->primed = 1;
	transition_set_str(&is->last_pwd, pwd);
	if (strcmp(gen, is->last_gen != NULL ? is->last_gen : "") != 0 ||
	    is->last_gen == NULL) {
		transition_set_str(&is->last_gen, gen);
		free(is->marker);
		is->marker = NULL;	/* made again for the new generation */
	}
	transition_set_str(&is->last_ve, get_str(is, "VIRTUAL_ENV"));
	transition_set_str(&is->last_env, env);
out:
	free(gen);
	free(env);
	free(pwd);
	return rc;
}

/* The user ran venvd's deactivate. */
void
inshell_deactivate(struct inshell *is, int nondestructive)
{
	step(is, NULL, nondestructive);
}

/*
 * fuzz_transition.c: libFuzzer harness for the transition and its
 * emitter (common/transition.c, common/transition_emit.c), which take
 * the shell's variables and the daemon's answer: untrusted bytes.
 *
 * The input is a flags byte, then NUL-separated fields: the 8
 * variables (an empty field is unset, else the value after its first
 * byte), suppress, PS1, ps1_added, the answer's venv, prompt and notice.
 * One step (the answer, or the user's deactivate) runs on a copy, and
 * the code emitted for bash, zsh and fish is read back by a small reader
 * of exactly the statements the emitter may print: outside quotes only
 * names, "=", "-", spaces and ";\n" appear, and applying the statements
 * to the old state gives the new one, byte for byte (fish's PATH list
 * joined by colons), with "hash -r" / "rehash" iff PATH changed. The
 * JSON form parses (rpc_loadb) to the same sets and unsets. Properties
 * of the rules themselves are checked too: an activation is whole, and
 * leaving after it gives PATH and PYTHONHOME back.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fuzz.h"
#include "rpc.h"
#include "shell_quote.h"
#include "transition.h"
#include "xmalloc.h"

#define MAXWORDS 4096

/* One statement: its words, already unquoted. */
struct stmt {
	char	*w[MAXWORDS];
	size_t	 n;
};

/* Is c allowed outside quotes in emitted code? */
static int
bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '=' || c == '-';
}

/*
 * Read one statement of code at *pp (ending ";\n") into st; the words'
 * quoting is bash/zsh's (fish 0) or fish's (fish 1). 0 at the end.
 */
static int
read_stmt(const char **pp, const char *end, int fish, struct stmt *st)
{
	const char *p = *pp;
	struct buf w = BUF_INIT;
	int inword = 0;

	st->n = 0;
	if (p == end)
		return 0;
	for (;;) {
		FUZZ_ASSERT(p < end);
		if (*p == ';' || *p == ' ') {
			if (inword) {
				FUZZ_ASSERT(st->n < MAXWORDS);
				buf_putc(&w, '\0');
				st->w[st->n++] = buf_take(&w);
				w = (struct buf)BUF_INIT;
				inword = 0;
			}
			if (*p == ';') {
				FUZZ_ASSERT(p + 1 < end && p[1] == '\n');
				*pp = p + 2;
				buf_free(&w);
				return 1;
			}
			p++;
			FUZZ_ASSERT(p < end && *p != ' ' && *p != ';');	/* one space */
			continue;
		}
		inword = 1;
		if (*p == '\'') {
			p++;
			for (;;) {
				FUZZ_ASSERT(p < end);
				if (*p == '\'')
					break;
				if (fish && *p == '\\') {
					FUZZ_ASSERT(p + 1 < end &&
					    (p[1] == '\\' || p[1] == '\''));
					p++;
				}
				buf_putc(&w, *p++);
			}
			p++;
			/* zsh's RC_QUOTES: never '' across a closing quote. */
			FUZZ_ASSERT(p < end && *p != '\'');
		} else if (!fish && *p == '\\') {
			FUZZ_ASSERT(p + 1 < end && p[1] == '\'');
			buf_putc(&w, '\'');
			p += 2;
		} else {
			FUZZ_ASSERT(bare_char(*p));
			buf_putc(&w, *p++);
		}
	}
}

/* Free a statement's words. */
static void
stmt_free(struct stmt *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->w[i]);
	st->n = 0;
}

/* The index of a variable's name, or -1. */
static int
var_index(const char *name)
{
	for (int i = 0; i < TR_NVARS; i++) {
		if (strcmp(name, transition_var_names[i]) == 0)
			return i;
	}
	return -1;
}

/* Do two optional strings differ, NULL being ""? */
static int
differ_empty(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

/* Apply one bookkeeping assignment to m. */
static void
assign(struct transition_state *m, const char *name, const char *v,
    char **notice)
{
	(void)notice;
	if (strcmp(name, "_venvd_fn_ours") == 0) {
		FUZZ_ASSERT(strcmp(v, "0") == 0 || strcmp(v, "1") == 0);
		m->fn_ours = v[0] == '1';
	} else if (strcmp(name, "_venvd_suppress") == 0)
		transition_set_str(&m->suppress, v);
	else if (strcmp(name, "_venvd_ps1_added") == 0)
		transition_set_str(&m->ps1_added, v);
	else if (strcmp(name, "PS1") == 0)
		transition_set_str(&m->ps1, v);
	else
		FUZZ_ASSERT(!"an assignment to an unknown name");
}

/* Read the code for sh back onto a copy of old; check it gives new. */
static void
check_code(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new)
{
	struct transition_state m;
	struct buf out = BUF_INIT;
	struct stmt st;
	const char *p, *end;
	char *notice = NULL;
	int fish = sh == SHELL_FISH, rehash = 0, fn = TR_FN_KEEP;

	transition_emit(sh, old, new, TR_EMIT_BOOKKEEPING, &out);
	transition_init(&m);
	transition_copy(&m, old);
	p = out.data != NULL ? out.data : "";
	end = p + out.len;
	FUZZ_ASSERT(memchr(p, '\0', out.len) == NULL);
	while (read_stmt(&p, end, fish, &st)) {
		const char *c;

		FUZZ_ASSERT(st.n >= 1);
		c = st.w[0];
		if (!fish && strcmp(c, "export") == 0) {
			char *eq;
			int k;

			FUZZ_ASSERT(st.n == 2 && (eq = strchr(st.w[1], '=')) != NULL);
			*eq = '\0';
			FUZZ_ASSERT((k = var_index(st.w[1])) != -1);
			transition_set(&m, k, eq + 1);
		} else if (!fish && strcmp(c, "unset") == 0) {
			int k;

			FUZZ_ASSERT(st.n == 2 && (k = var_index(st.w[1])) != -1);
			transition_set(&m, k, NULL);
		} else if (fish && strcmp(c, "set") == 0) {
			FUZZ_ASSERT(st.n >= 3);
			if (strcmp(st.w[1], "-e") == 0) {
				int k;

				FUZZ_ASSERT(st.n == 3 && (k = var_index(st.w[2])) != -1);
				transition_set(&m, k, NULL);
			} else if (strcmp(st.w[1], "-gx") == 0) {
				int k = var_index(st.w[2]);
				struct buf v = BUF_INIT;

				FUZZ_ASSERT(k != -1);
				FUZZ_ASSERT(k == TR_PATH || st.n == 4);
				for (size_t i = 3; i < st.n; i++) {
					if (i > 3)
						buf_putc(&v, ':');
					buf_puts(&v, st.w[i]);
				}
				buf_putc(&v, '\0');
				transition_set(&m, k, v.data);
				buf_free(&v);
			} else {
				FUZZ_ASSERT(strcmp(st.w[1], "-g") == 0 && st.n == 4);
				assign(&m, st.w[2], st.w[3], &notice);
			}
		} else if (!fish && strchr(c, '=') != NULL) {
			char *eq = strchr(st.w[0], '=');

			FUZZ_ASSERT(st.n == 1);
			*eq = '\0';
			assign(&m, st.w[0], eq + 1, &notice);
		} else if (strcmp(c, "_venvd_deactivate_define") == 0) {
			FUZZ_ASSERT(st.n == 1 && fn == TR_FN_KEEP);
			fn = TR_FN_DEFINE;
		} else if (strcmp(c, "_venvd_deactivate_undefine") == 0) {
			FUZZ_ASSERT(st.n == 1 && fn == TR_FN_KEEP);
			fn = TR_FN_UNDEFINE;
		} else if (strcmp(c, "_venvd_notice") == 0) {
			FUZZ_ASSERT(st.n == 2 && notice == NULL);
			notice = xstrdup(st.w[1]);
		} else if (fish && strcmp(c, "_venvd_ps1_on") == 0) {
			FUZZ_ASSERT(st.n == 2);
			transition_set_str(&m.ps1_added, st.w[1]);
		} else if (fish && strcmp(c, "_venvd_ps1_off") == 0) {
			FUZZ_ASSERT(st.n == 1);
			transition_set_str(&m.ps1_added, NULL);
		} else if (sh == SHELL_BASH && strcmp(c, "hash") == 0) {
			FUZZ_ASSERT(st.n == 2 && strcmp(st.w[1], "-r") == 0 && !rehash);
			rehash = 1;
		} else if (sh == SHELL_ZSH && strcmp(c, "rehash") == 0) {
			FUZZ_ASSERT(st.n == 1 && !rehash);
			rehash = 1;
		} else
			FUZZ_ASSERT(!"a statement the emitter never prints");
		stmt_free(&st);
	}
	for (int i = 0; i < TR_NVARS; i++) {
		const char *a = m.var[i], *b = new->var[i];

		FUZZ_ASSERT((a == NULL) == (b == NULL));
		FUZZ_ASSERT(a == NULL || strcmp(a, b) == 0);
	}
	FUZZ_ASSERT(fn == (int)new->fn_action);
	FUZZ_ASSERT(m.fn_ours == new->fn_ours);
	FUZZ_ASSERT(!differ_empty(m.suppress, new->suppress));
	FUZZ_ASSERT(!differ_empty(m.ps1_added, new->ps1_added));
	if (!fish && new->ps1 != NULL)
		FUZZ_ASSERT(!differ_empty(m.ps1, new->ps1));
	FUZZ_ASSERT(!differ_empty(notice, new->notice));
	if (!fish)
		FUZZ_ASSERT(rehash == transition_rehash(old, new));
	free(notice);
	transition_free(&m);
	buf_free(&out);
}

/* The JSON form: the same sets and unsets, byte for byte. */
static void
check_json(const struct transition_state *old, const struct transition_state *new)
{
	struct buf out = BUF_INIT;
	json_t *j, *set, *unset;
	json_error_t err;

	transition_emit(SHELL_JSON, old, new, 0, &out);
	FUZZ_ASSERT(out.len > 0 && out.data[out.len - 1] == '\n');
	j = rpc_loadb(out.data, out.len, 0, &err);
	FUZZ_ASSERT(j != NULL);
	set = json_object_get(j, "set");
	unset = json_object_get(j, "unset");
	FUZZ_ASSERT(json_is_object(set) && json_is_array(unset));
	for (int i = 0; i < TR_NVARS; i++) {
		json_t *v = json_object_get(set, transition_var_names[i]);
		int in_unset = 0;
		size_t k;
		json_t *u;

		json_array_foreach(unset, k, u) {
			if (strcmp(json_string_value(u), transition_var_names[i]) == 0)
				in_unset = 1;
		}
		if (!transition_changed(old, new, i))
			FUZZ_ASSERT(v == NULL && !in_unset);
		else if (new->var[i] == NULL)
			FUZZ_ASSERT(v == NULL && in_unset);
		else {
			char *got = rpc_path_from_json(v);

			FUZZ_ASSERT(got != NULL && !in_unset);
			FUZZ_ASSERT(strcmp(got, new->var[i]) == 0);
			free(got);
		}
	}
	json_decref(j);
	buf_free(&out);
}

/* The rules' own properties for one step of the answer. */
static void
check_rules(const struct transition_state *old, const struct transition_state *new,
    const char *venv)
{
	const char *ve = old->var[TR_VIRTUAL_ENV], *act = old->var[TR_VENVD_ACTIVE];
	int manual = ve != NULL && ve[0] != '\0' &&
	    (act == NULL || act[0] == '\0' || strcmp(ve, act) != 0);
	struct transition_state back;
	char *bin;

	if (manual) {
		for (int i = 0; i < TR_PIP_REQUIRE_VIRTUALENV; i++)
			FUZZ_ASSERT(!transition_changed(old, new, i));
		return;
	}
	act = new->var[TR_VENVD_ACTIVE];
	if (act == NULL || act[0] == '\0')
		return;
	/* An activation is whole. */
	FUZZ_ASSERT(new->var[TR_VIRTUAL_ENV] != NULL &&
	    strcmp(new->var[TR_VIRTUAL_ENV], act) == 0);
	FUZZ_ASSERT(new->var[TR_VIRTUAL_ENV_PROMPT] != NULL);
	if (venv == NULL || strcmp(venv, act) != 0)
		return;
	xasprintf(&bin, "%s/bin", act);
	/* Freshly activated from nothing of ours: PATH starts with bin/,
	 * and leaving gives PATH and PYTHONHOME back exactly. */
	if (old->var[TR_VENVD_ACTIVE] == NULL && old->var[TR_VENVD_PYTHONHOME] == NULL &&
	    old->var[TR_PATH] != NULL && old->var[TR_PATH][0] != '\0') {
		FUZZ_ASSERT(strncmp(new->var[TR_PATH], bin, strlen(bin)) == 0 &&
		    new->var[TR_PATH][strlen(bin)] == ':');
		transition_init(&back);
		transition_copy(&back, new);
		transition_apply(&back, NULL, NULL);
		FUZZ_ASSERT(strcmp(back.var[TR_PATH], old->var[TR_PATH]) == 0);
		FUZZ_ASSERT(!transition_changed(old, &back, TR_PYTHONHOME));
		FUZZ_ASSERT(back.var[TR_VENVD_ACTIVE] == NULL);
		transition_free(&back);
	}
	free(bin);
}

/* One input: flags, the variables, bookkeeping and the answer. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[TR_NVARS + 7], *p = (const char *)data, *end = p + size;
	char *copy = xmalloc(size + 1);
	struct transition_state old, new;
	struct transition_answer ans;
	unsigned flags;
	size_t nf = 0;

	memcpy(copy, data, size);
	copy[size] = '\0';
	flags = size > 0 ? (unsigned char)copy[0] : 0;
	p = size > 0 ? copy + 1 : copy;
	end = copy + size;
	f[nf++] = "";
	while (nf < sizeof f / sizeof f[0]) {
		f[nf++] = p;
		p += strlen(p);
		if (p < end)
			p++;
	}
	transition_init(&old);
	for (int i = 0; i < TR_NVARS; i++)
		transition_set(&old, i, f[1 + i][0] != '\0' ? f[1 + i] + 1 : NULL);
	transition_set_str(&old.suppress, f[9][0] != '\0' ? f[9] : NULL);
	transition_set_str(&old.ps1, (flags & 0x20) ? NULL : f[10]);
	transition_set_str(&old.ps1_added, f[11][0] != '\0' ? f[11] : NULL);
	old.ps1_on = flags & 1;
	old.fn_ours = (flags >> 1) & 1;
	old.fn_exists = ((flags >> 2) & 1) || old.fn_ours;
	old.pip_guard_on = (flags >> 3) & 1;
	ans.venv = f[12][0] != '\0' ? f[12] : NULL;
	ans.prompt = f[13];
	ans.notice = f[14][0] != '\0' ? f[14] : NULL;
	transition_init(&new);
	transition_copy(&new, &old);
	if (flags & 0x10)
		transition_deactivate(&new, (flags >> 6) & 1);
	else {
		transition_answer(&new, &ans);
		check_rules(&old, &new, ans.venv);
	}
	check_code(SHELL_BASH, &old, &new);
	check_code(SHELL_ZSH, &old, &new);
	check_code(SHELL_FISH, &old, &new);
	check_json(&old, &new);
	transition_free(&old);
	transition_free(&new);
	free(copy);
	return 0;
}

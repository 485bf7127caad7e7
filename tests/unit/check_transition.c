/* check_transition.c: unit tests for the pure environment transition. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "rpc.h"
#include "suites.h"
#include "transition.h"
#include "xmalloc.h"

#define VA	"/home/u/a/.venv"
#define VB	"/home/u/b/.venv"
#define SYS	"/usr/local/bin:/usr/bin:/bin"

/* Assert that var holds want (NULL: unset). */
static void
expect_var(const struct transition_state *st, enum tr_var var, const char *want)
{
	const char *got = st->var[var];

	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: got \"%s\", want unset",
		    transition_var_names[var], got);
	else {
		ck_assert_msg(got != NULL, "%s: unset, want \"%s\"",
		    transition_var_names[var], want);
		ck_assert_str_eq(got, want);
	}
}

/* Assert that exactly the variables in mask changed from old to new. */
static void
expect_changed(const struct transition_state *old,
    const struct transition_state *new, unsigned mask)
{
	for (int i = 0; i < TR_NVARS; i++)
		ck_assert_msg(transition_changed(old, new, i) == (int)((mask >> i) & 1),
		    "%s: changed %d, want %d", transition_var_names[i],
		    transition_changed(old, new, i), (int)((mask >> i) & 1));
}

#define BIT(v)	(1u << (v))

/* A state with PATH set and nothing active. */
static void
state_plain(struct transition_state *st, const char *path)
{
	transition_init(st);
	transition_set(st, TR_PATH, path);
}

/* Assert that nothing venvd owns is set. */
static void
expect_inactive(const struct transition_state *st)
{
	expect_var(st, TR_VIRTUAL_ENV, NULL);
	expect_var(st, TR_VIRTUAL_ENV_PROMPT, NULL);
	expect_var(st, TR_VENVD_ACTIVE, NULL);
	expect_var(st, TR_VENVD_PYTHONHOME, NULL);
}

START_TEST(test_activate)
{
	struct transition_state old, new;

	state_plain(&old, SYS);
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VA, "a");
	expect_var(&new, TR_PATH, VA "/bin:" SYS);
	expect_var(&new, TR_VIRTUAL_ENV, VA);
	expect_var(&new, TR_VIRTUAL_ENV_PROMPT, "a");
	expect_var(&new, TR_VENVD_ACTIVE, VA);
	expect_var(&new, TR_PYTHONHOME, NULL);
	expect_var(&new, TR_VENVD_PYTHONHOME, NULL);
	expect_changed(&old, &new, BIT(TR_PATH) | BIT(TR_VIRTUAL_ENV) |
	    BIT(TR_VIRTUAL_ENV_PROMPT) | BIT(TR_VENVD_ACTIVE));
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_activate_empty_or_unset_path)
{
	struct transition_state st;

	/* No empty entry (the current directory) is ever added. */
	state_plain(&st, "");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PATH, VA "/bin");
	transition_free(&st);

	transition_init(&st);
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PATH, VA "/bin");
	transition_free(&st);
}
END_TEST

START_TEST(test_no_answer_no_change)
{
	struct transition_state old, new;

	state_plain(&old, SYS);
	transition_set(&old, TR_PYTHONHOME, "/ph");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, NULL, NULL);
	expect_changed(&old, &new, 0);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_leave_restores_path)
{
	/* Byte for byte, with empty entries in every position. */
	static const char *const paths[] = {
		SYS, "/usr/bin::/bin", "/usr/bin:/bin:", ":/usr/bin", "::", "",
		"/bin", VA "/bin", VA "/bin:" VA "/bin",
	};
	struct transition_state st, start;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		state_plain(&start, paths[i]);
		transition_init(&st);
		transition_copy(&st, &start);
		transition_apply(&st, VA, "a");
		transition_apply(&st, NULL, NULL);
		expect_var(&st, TR_PATH, paths[i]);
		expect_inactive(&st);
		expect_changed(&start, &st, 0);
		transition_free(&st);
		transition_free(&start);
	}
}
END_TEST

START_TEST(test_leave_path_edited_while_active)
{
	struct transition_state st;

	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	/* The user put entries around ours, an empty one too. */
	transition_set(&st, TR_PATH, "/mine:" VA "/bin:" SYS "::/late");
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, "/mine:" SYS "::/late");
	transition_free(&st);

	/* The user removed our entry: PATH stays as they left it. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_PATH, "/mine:/usr/bin");
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, "/mine:/usr/bin");
	expect_inactive(&st);
	transition_free(&st);

	/* A second copy of our entry: only the first goes. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_PATH, VA "/bin:/x:" VA "/bin");
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, "/x:" VA "/bin");
	transition_free(&st);

	/* An entry that only starts like ours is not ours. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_PATH, VA "/bin2:" VA "/bin/:" SYS);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, VA "/bin2:" VA "/bin/:" SYS);
	transition_free(&st);
}
END_TEST

START_TEST(test_switch)
{
	struct transition_state old, new;

	state_plain(&old, SYS);
	transition_apply(&old, VA, "a");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VB, "b");
	expect_var(&new, TR_PATH, VB "/bin:" SYS);
	expect_var(&new, TR_VIRTUAL_ENV, VB);
	expect_var(&new, TR_VIRTUAL_ENV_PROMPT, "b");
	expect_var(&new, TR_VENVD_ACTIVE, VB);
	expect_changed(&old, &new, BIT(TR_PATH) | BIT(TR_VIRTUAL_ENV) |
	    BIT(TR_VIRTUAL_ENV_PROMPT) | BIT(TR_VENVD_ACTIVE));
	/* And back out: the PATH before either. */
	transition_apply(&new, NULL, NULL);
	expect_var(&new, TR_PATH, SYS);
	expect_inactive(&new);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_same_venv_no_change)
{
	struct transition_state old, new;

	state_plain(&old, SYS);
	transition_apply(&old, VA, "a");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VA, "a");
	expect_changed(&old, &new, 0);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_same_venv_prompt_refreshed)
{
	struct transition_state old, new;

	/* Its prompt changed (pyvenv.cfg edited): only the prompt follows. */
	state_plain(&old, SYS);
	transition_apply(&old, VA, "a");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VA, "other");
	expect_var(&new, TR_VIRTUAL_ENV_PROMPT, "other");
	expect_changed(&old, &new, BIT(TR_VIRTUAL_ENV_PROMPT));
	/* Inherited from a parent shell with another prompt: the same. */
	transition_set(&new, TR_VIRTUAL_ENV_PROMPT, NULL);
	transition_apply(&new, VA, "a");
	expect_var(&new, TR_VIRTUAL_ENV_PROMPT, "a");
	expect_changed(&old, &new, 0);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_empty_prompt_is_set)
{
	struct transition_state st;

	/* bin/activate always sets VIRTUAL_ENV_PROMPT: "" for no prompt. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, NULL);
	expect_var(&st, TR_VIRTUAL_ENV_PROMPT, "");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VIRTUAL_ENV_PROMPT, "a");
	transition_apply(&st, VA, NULL);
	expect_var(&st, TR_VIRTUAL_ENV_PROMPT, "");
	transition_apply(&st, NULL, NULL);
	expect_inactive(&st);
	transition_free(&st);
}
END_TEST

START_TEST(test_path_unset_while_active)
{
	struct transition_state st;

	/* The user unset PATH while active: leaving does not set it. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_PATH, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, NULL);
	expect_inactive(&st);
	/* Switching with PATH unset: exactly the new venv's bin. */
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_PATH, NULL);
	transition_apply(&st, VB, "b");
	expect_var(&st, TR_PATH, VB "/bin");
	transition_free(&st);
}
END_TEST

START_TEST(test_stale_saved_pythonhome)
{
	struct transition_state st;

	/* A VENVD_PYTHONHOME venvd did not save is never restored. */
	state_plain(&st, SYS);
	transition_set(&st, TR_VENVD_PYTHONHOME, "/stale");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VENVD_PYTHONHOME, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PYTHONHOME, NULL);
	expect_var(&st, TR_VENVD_PYTHONHOME, NULL);
	transition_free(&st);
}
END_TEST

START_TEST(test_pip_guard)
{
	struct transition_state st, old;

	/* Off (the default of a bare state): never touched. */
	state_plain(&st, SYS);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	transition_free(&st);

	/* On: set while nothing is active, lifted while ours is. */
	state_plain(&st, SYS);
	st.pip_guard_on = 1;
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	expect_var(&st, TR_VENVD_PIP_GUARD, "1");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	expect_var(&st, TR_VENVD_PIP_GUARD, NULL);
	/* Back after the user's deactivate, and on leaving. */
	transition_deactivate(&st, 0);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	transition_apply(&st, VB, "b");
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	expect_var(&st, TR_VENVD_PIP_GUARD, "1");
	/* A manual activation lifts it too, though venvd stays out. */
	transition_set(&st, TR_VIRTUAL_ENV, "/m");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VENVD_ACTIVE, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	expect_var(&st, TR_VENVD_PIP_GUARD, NULL);
	/* Turned off in the config: ours goes. */
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	st.pip_guard_on = 0;
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	expect_var(&st, TR_VENVD_PIP_GUARD, NULL);
	transition_free(&st);

	/* The user's own value, set or empty, is never touched. */
	static const char *const mine[] = { "true", "false", "" };
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
		state_plain(&old, SYS);
		old.pip_guard_on = 1;
		transition_set(&old, TR_PIP_REQUIRE_VIRTUALENV, mine[i]);
		transition_init(&st);
		transition_copy(&st, &old);
		transition_apply(&st, NULL, NULL);
		transition_apply(&st, VA, "a");
		expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, mine[i]);
		transition_apply(&st, NULL, NULL);
		expect_changed(&old, &st, 0);
		transition_free(&st);
		transition_free(&old);
	}

	/* VENVD_PIP_GUARD=1 but the user changed the value: only the mark goes. */
	state_plain(&st, SYS);
	st.pip_guard_on = 1;
	transition_apply(&st, NULL, NULL);
	transition_set(&st, TR_PIP_REQUIRE_VIRTUALENV, "false");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "false");
	expect_var(&st, TR_VENVD_PIP_GUARD, NULL);
	transition_free(&st);
}
END_TEST

START_TEST(test_manual_activation_left_alone)
{
	struct transition_state old, new;

	/* Activated by hand: venvd stays out of the way. */
	state_plain(&old, "/m/bin:" SYS);
	transition_set(&old, TR_VIRTUAL_ENV, "/m");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VA, "a");
	expect_changed(&old, &new, 0);
	transition_apply(&new, NULL, NULL);
	expect_changed(&old, &new, 0);
	transition_free(&new);

	/* By hand on top of ours: still hands off. */
	transition_set(&old, TR_VENVD_ACTIVE, VA);
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, VB, "b");
	expect_changed(&old, &new, 0);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_foreign_deactivate_cleaned_up)
{
	struct transition_state st;

	/* Someone else's deactivate unset VIRTUAL_ENV but left ours. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, SYS);
	expect_inactive(&st);
	transition_free(&st);

	/* ... and the same venv still applies: activated afresh. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PATH, VA "/bin:" SYS);
	expect_var(&st, TR_VIRTUAL_ENV, VA);
	expect_var(&st, TR_VENVD_ACTIVE, VA);
	transition_free(&st);
}
END_TEST

START_TEST(test_suppressed_after_deactivate)
{
	struct transition_state st;

	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_deactivate(&st, 0);
	expect_var(&st, TR_PATH, SYS);
	expect_inactive(&st);
	ck_assert_str_eq(st.suppress, VA);
	/* The same answer again: stays off. */
	transition_apply(&st, VA, "a");
	expect_inactive(&st);
	expect_var(&st, TR_PATH, SYS);
	ck_assert_str_eq(st.suppress, VA);
	/* Left it: the suppression ends, and coming back activates. */
	transition_apply(&st, NULL, NULL);
	ck_assert_ptr_null(st.suppress);
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VENVD_ACTIVE, VA);
	expect_var(&st, TR_PATH, VA "/bin:" SYS);
	transition_free(&st);

	/* Another venv ends it too, and is activated at once. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_deactivate(&st, 0);
	transition_apply(&st, VB, "b");
	ck_assert_ptr_null(st.suppress);
	expect_var(&st, TR_VENVD_ACTIVE, VB);
	transition_free(&st);
}
END_TEST

START_TEST(test_deactivate_nondestructive_and_idle)
{
	struct transition_state st;

	/* An activate script clearing the way: no suppression. */
	state_plain(&st, SYS);
	transition_apply(&st, VA, "a");
	transition_deactivate(&st, 1);
	expect_inactive(&st);
	ck_assert_ptr_null(st.suppress);
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VENVD_ACTIVE, VA);
	transition_free(&st);

	/* Nothing of ours active: nothing to undo or suppress. */
	state_plain(&st, SYS);
	transition_set(&st, TR_VIRTUAL_ENV, "/m");
	transition_deactivate(&st, 0);
	expect_var(&st, TR_VIRTUAL_ENV, "/m");
	ck_assert_ptr_null(st.suppress);
	transition_free(&st);
}
END_TEST

START_TEST(test_pythonhome_saved_restored)
{
	struct transition_state start, st, mid;

	state_plain(&start, SYS);
	transition_set(&start, TR_PYTHONHOME, "/opt/py");
	transition_init(&st);
	transition_copy(&st, &start);
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PYTHONHOME, NULL);
	expect_var(&st, TR_VENVD_PYTHONHOME, "/opt/py");
	/* Switching keeps the saved value, once. */
	transition_init(&mid);
	transition_copy(&mid, &st);
	transition_apply(&st, VB, "b");
	expect_var(&st, TR_PYTHONHOME, NULL);
	expect_var(&st, TR_VENVD_PYTHONHOME, "/opt/py");
	ck_assert_int_eq(transition_changed(&mid, &st, TR_PYTHONHOME), 0);
	ck_assert_int_eq(transition_changed(&mid, &st, TR_VENVD_PYTHONHOME), 0);
	transition_apply(&st, NULL, NULL);
	expect_changed(&start, &st, 0);
	transition_free(&mid);
	transition_free(&st);
	transition_free(&start);

	/* Set but empty is not unset: it comes back empty. */
	state_plain(&st, SYS);
	transition_set(&st, TR_PYTHONHOME, "");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PYTHONHOME, NULL);
	expect_var(&st, TR_VENVD_PYTHONHOME, "");
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PYTHONHOME, "");
	expect_var(&st, TR_VENVD_PYTHONHOME, NULL);
	transition_free(&st);
}
END_TEST

START_TEST(test_prompt)
{
	struct transition_state st;

	/* Without VENVD_PS1 only VIRTUAL_ENV_PROMPT carries it. */
	state_plain(&st, SYS);
	st.ps1 = strdup("$ ");
	transition_apply(&st, VA, "a b");
	expect_var(&st, TR_VIRTUAL_ENV_PROMPT, "a b");
	ck_assert_str_eq(st.ps1, "$ ");
	ck_assert_ptr_null(st.ps1_added);
	transition_free(&st);

	state_plain(&st, SYS);
	st.ps1_on = 1;
	st.ps1 = strdup("$ ");
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "(a) $ ");
	ck_assert_str_eq(st.ps1_added, "(a) ");
	/* The same venv, its prompt changed: ours replaced, not doubled. */
	transition_apply(&st, VA, "a2");
	ck_assert_str_eq(st.ps1, "(a2) $ ");
	transition_apply(&st, VA, "a2");
	ck_assert_str_eq(st.ps1, "(a2) $ ");
	/* Switch: one prefix, the new one. */
	transition_apply(&st, VB, "b");
	ck_assert_str_eq(st.ps1, "(b) $ ");
	/* Leave: exactly what we added goes. */
	transition_apply(&st, NULL, NULL);
	ck_assert_str_eq(st.ps1, "$ ");
	ck_assert_ptr_null(st.ps1_added);
	transition_free(&st);

	/* The user rewrote PS1 while active: it is left as they made it. */
	state_plain(&st, SYS);
	st.ps1_on = 1;
	st.ps1 = strdup("$ ");
	transition_apply(&st, VA, "a");
	free(st.ps1);
	st.ps1 = strdup("mine> ");
	transition_deactivate(&st, 0);
	ck_assert_str_eq(st.ps1, "mine> ");
	ck_assert_ptr_null(st.ps1_added);
	transition_free(&st);
}
END_TEST

START_TEST(test_path_remove)
{
	char *p;

	ck_assert_ptr_null(transition_path_remove("/a:/b", "/c"));
	ck_assert_ptr_null(transition_path_remove("", "/c"));
	ck_assert_ptr_null(transition_path_remove("/ab", "/a"));
	p = transition_path_remove("/a", "/a");
	ck_assert_str_eq(p, "");
	free(p);
	p = transition_path_remove("/a:/b", "/a");
	ck_assert_str_eq(p, "/b");
	free(p);
	p = transition_path_remove("/b:/a", "/a");
	ck_assert_str_eq(p, "/b");
	free(p);
	p = transition_path_remove("/b::/a:", "/a");
	ck_assert_str_eq(p, "/b::");
	free(p);
	/* An empty entry is an entry: removing "" takes the first one. */
	p = transition_path_remove("/b::/c", "");
	ck_assert_str_eq(p, "/b:/c");
	free(p);
	/* An entry holding a colon (a venv under "a:b") is still one. */
	p = transition_path_remove("/x:/a:b/bin:/y", "/a:b/bin");
	ck_assert_str_eq(p, "/x:/y");
	free(p);
	p = transition_path_remove("/a:b/bin", "/a:b/bin");
	ck_assert_str_eq(p, "");
	free(p);
	ck_assert_ptr_null(transition_path_remove("/a:b/binx:/y", "/a:b/bin"));
	ck_assert_ptr_null(transition_path_remove("x/a:b/bin", "/a:b/bin"));
}
END_TEST

/* A state with VA active as venvd leaves it (fn_ours, PS1 as asked). */
static void
state_active(struct transition_state *st, int ps1_on)
{
	state_plain(st, SYS);
	st->ps1_on = ps1_on;
	transition_set_str(&st->ps1, "$ ");
	transition_apply(st, VA, "a");
}

START_TEST(test_manual_drops_fn_ours)
{
	struct transition_state st;

	/* bin/activate of another venv on top of ours: it replaced our
	 * deactivate, so ours is not ours any more, and nothing is removed. */
	state_active(&st, 0);
	ck_assert_int_eq(st.fn_ours, 1);
	transition_set(&st, TR_VIRTUAL_ENV, "/m");
	transition_apply(&st, VB, "b");
	ck_assert_int_eq(st.fn_ours, 0);
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	ck_assert_ptr_null(st.notice);
	expect_var(&st, TR_VENVD_ACTIVE, VA);
	transition_free(&st);

	/* A manual activation with nothing of ours: bookkeeping untouched. */
	state_plain(&st, SYS);
	transition_set(&st, TR_VIRTUAL_ENV, "/m");
	st.fn_exists = 1;
	{
		struct transition_answer ans = { VA, "a", "a notice" };

		transition_answer(&st, &ans);
	}
	ck_assert_int_eq(st.fn_ours, 0);
	ck_assert_int_eq(st.fn_exists, 1);
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	/* No notice either: the answer does not matter while it lasts. */
	ck_assert_ptr_null(st.notice);
	ck_assert_uint_eq(st.nnoticed, 0);
	transition_free(&st);

	/* Empty VIRTUAL_ENV is no activation at all. */
	state_plain(&st, SYS);
	transition_set(&st, TR_VIRTUAL_ENV, "");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_VENVD_ACTIVE, VA);
	expect_var(&st, TR_VIRTUAL_ENV, VA);
	transition_free(&st);
}
END_TEST

START_TEST(test_adopt)
{
	struct transition_state old, st;

	/* Inherited from a parent shell: exported state, no bookkeeping. */
	state_plain(&old, VA "/bin:" SYS);
	transition_set(&old, TR_VIRTUAL_ENV, VA);
	transition_set(&old, TR_VENVD_ACTIVE, VA);
	transition_set(&old, TR_VIRTUAL_ENV_PROMPT, "a");
	transition_init(&st);
	transition_copy(&st, &old);
	transition_apply(&st, VA, "a");
	expect_changed(&old, &st, 0);		/* PATH not doubled */
	ck_assert_int_eq(st.fn_action, TR_FN_DEFINE);
	ck_assert_int_eq(st.fn_ours, 1);
	/* The next prompt: already ours, nothing to define again. */
	transition_apply(&st, VA, "a");
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	transition_free(&st);

	/* Someone else's deactivate exists: never replaced. */
	transition_init(&st);
	transition_copy(&st, &old);
	st.fn_exists = 1;
	transition_apply(&st, VA, "a");
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	ck_assert_int_eq(st.fn_ours, 0);
	expect_changed(&old, &st, 0);
	/* Adopted all the same: leaving undoes it, without removing theirs. */
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, SYS);
	expect_inactive(&st);
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	ck_assert_int_eq(st.fn_exists, 1);
	transition_free(&st);

	/* With VENVD_PS1=1 the adopted venv gets its prefix once. */
	transition_init(&st);
	transition_copy(&st, &old);
	st.ps1_on = 1;
	transition_set_str(&st.ps1, "$ ");
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "(a) $ ");
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "(a) $ ");
	transition_free(&st);
	transition_free(&old);
}
END_TEST

START_TEST(test_foreign_deactivate_bookkeeping)
{
	struct transition_state st;

	/* Someone else's deactivate: our function, PS1 prefix go too. */
	state_active(&st, 1);
	ck_assert_str_eq(st.ps1, "(a) $ ");
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, NULL, NULL);
	ck_assert_int_eq(st.fn_action, TR_FN_UNDEFINE);
	ck_assert_int_eq(st.fn_ours, 0);
	ck_assert_str_eq(st.ps1, "$ ");
	ck_assert_ptr_null(st.ps1_added);
	expect_var(&st, TR_PATH, SYS);
	transition_free(&st);

	/* Their deactivate replaced ours (fn_ours 0): never removed. */
	state_active(&st, 0);
	st.fn_ours = 0;
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, NULL, NULL);
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	expect_inactive(&st);
	transition_free(&st);

	/* Empty VIRTUAL_ENV counts as gone. */
	state_active(&st, 0);
	transition_set(&st, TR_VIRTUAL_ENV, "");
	transition_apply(&st, NULL, NULL);
	expect_inactive(&st);
	expect_var(&st, TR_PATH, SYS);
	transition_free(&st);
}
END_TEST

START_TEST(test_suppression_rules)
{
	struct transition_state st;

	/* Kept through many prompts, notices still shown; none ends it. */
	state_active(&st, 0);
	transition_deactivate(&st, 0);
	for (int i = 0; i < 3; i++) {
		struct transition_answer ans = { VA, "a", i == 0 ? "n1" : NULL };

		transition_answer(&st, &ans);
		expect_inactive(&st);
		ck_assert_str_eq(st.suppress, VA);
		ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
		if (i == 0)
			ck_assert_str_eq(st.notice, "n1");
	}
	/* An empty answer is none: it ends the suppression. */
	transition_apply(&st, "", NULL);
	ck_assert_ptr_null(st.suppress);
	transition_free(&st);

	/* A manual activation does not end it (the answer is not looked at). */
	state_active(&st, 0);
	transition_deactivate(&st, 0);
	transition_set(&st, TR_VIRTUAL_ENV, "/m");
	transition_apply(&st, NULL, NULL);
	ck_assert_str_eq(st.suppress, VA);
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, VA, "a");
	expect_inactive(&st);
	transition_free(&st);
}
END_TEST

START_TEST(test_deactivate_fn)
{
	struct transition_state st;

	/* The user's deactivate: ours goes, PS1's prefix too. */
	state_active(&st, 1);
	transition_deactivate(&st, 0);
	ck_assert_int_eq(st.fn_action, TR_FN_UNDEFINE);
	ck_assert_int_eq(st.fn_ours, 0);
	ck_assert_int_eq(st.fn_exists, 0);
	ck_assert_str_eq(st.ps1, "$ ");
	ck_assert_ptr_null(st.ps1_added);
	transition_free(&st);

	/* Nondestructive (an activate script): the same, no suppression. */
	state_active(&st, 1);
	transition_deactivate(&st, 1);
	ck_assert_int_eq(st.fn_action, TR_FN_UNDEFINE);
	ck_assert_ptr_null(st.suppress);
	expect_var(&st, TR_PATH, SYS);
	transition_free(&st);

	/* Ours called with nothing of ours active: only the function goes. */
	state_plain(&st, SYS);
	st.fn_ours = 1;
	st.fn_exists = 1;
	transition_deactivate(&st, 0);
	ck_assert_int_eq(st.fn_action, TR_FN_UNDEFINE);
	ck_assert_ptr_null(st.suppress);
	expect_var(&st, TR_PATH, SYS);
	transition_free(&st);

	/* Not ours: never removed. */
	state_plain(&st, SYS);
	st.fn_exists = 1;
	transition_deactivate(&st, 0);
	ck_assert_int_eq(st.fn_action, TR_FN_KEEP);
	ck_assert_int_eq(st.fn_exists, 1);
	transition_free(&st);

	/* Switching venvs: ours is removed and defined again (define wins). */
	state_active(&st, 0);
	transition_apply(&st, VB, "b");
	ck_assert_int_eq(st.fn_action, TR_FN_DEFINE);
	ck_assert_int_eq(st.fn_ours, 1);
	transition_free(&st);

	/* Activating replaces someone else's deactivate, as bin/activate does. */
	state_plain(&st, SYS);
	st.fn_exists = 1;
	transition_apply(&st, VA, "a");
	ck_assert_int_eq(st.fn_action, TR_FN_DEFINE);
	ck_assert_int_eq(st.fn_ours, 1);
	transition_free(&st);
}
END_TEST

START_TEST(test_notices_once)
{
	struct transition_state st, copy;
	struct transition_answer a1 = { NULL, NULL, "first" };
	struct transition_answer a2 = { NULL, NULL, "second" };
	struct transition_answer none = { NULL, NULL, NULL };
	struct transition_answer empty = { NULL, NULL, "" };

	state_plain(&st, SYS);
	transition_answer(&st, &a1);
	ck_assert_str_eq(st.notice, "first");
	/* Each step clears the last one's output. */
	transition_answer(&st, &none);
	ck_assert_ptr_null(st.notice);
	transition_answer(&st, &a1);
	ck_assert_ptr_null(st.notice);		/* once per text */
	transition_answer(&st, &a2);
	ck_assert_str_eq(st.notice, "second");
	transition_answer(&st, &a1);
	ck_assert_ptr_null(st.notice);
	transition_answer(&st, &empty);
	ck_assert_ptr_null(st.notice);
	ck_assert_uint_eq(st.nnoticed, 2);
	/* A copy remembers what was shown. */
	transition_init(&copy);
	transition_copy(&copy, &st);
	transition_answer(&copy, &a2);
	ck_assert_ptr_null(copy.notice);
	transition_free(&copy);
	/* The user's deactivate clears it too. */
	transition_answer(&st, &(struct transition_answer){ VA, "a", "third" });
	ck_assert_str_eq(st.notice, "third");
	transition_deactivate(&st, 0);
	ck_assert_ptr_null(st.notice);
	transition_free(&st);
}
END_TEST

START_TEST(test_ps1_more)
{
	struct transition_state st;

	/* PS1 unset: the prefix alone, taken back to "" (not unset). */
	state_plain(&st, SYS);
	st.ps1_on = 1;
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "(a) ");
	transition_apply(&st, NULL, NULL);
	ck_assert_str_eq(st.ps1, "");
	transition_free(&st);

	/* An empty prompt: "() ", as bin/activate would show nothing else. */
	state_plain(&st, SYS);
	st.ps1_on = 1;
	transition_set_str(&st.ps1, "$ ");
	transition_apply(&st, VA, NULL);
	ck_assert_str_eq(st.ps1, "() $ ");
	transition_free(&st);

	/* The user put text in front of ours: ours is no longer in front,
	 * so a new prompt goes in front of all; leaving takes nothing. */
	state_active(&st, 1);
	transition_set_str(&st.ps1, "x (a) $ ");
	transition_apply(&st, VA, "a2");
	ck_assert_str_eq(st.ps1, "(a2) x (a) $ ");
	ck_assert_str_eq(st.ps1_added, "(a2) ");
	transition_set_str(&st.ps1, "mine ");
	transition_apply(&st, NULL, NULL);
	ck_assert_str_eq(st.ps1, "mine ");
	ck_assert_ptr_null(st.ps1_added);
	transition_free(&st);

	/* VENVD_PS1 turned off while active: the prefix stays until we leave. */
	state_active(&st, 1);
	st.ps1_on = 0;
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "(a) $ ");
	transition_apply(&st, NULL, NULL);
	ck_assert_str_eq(st.ps1, "$ ");
	transition_free(&st);

	/* Suppressed: no prefix while off; back on the next activation. */
	state_active(&st, 1);
	transition_deactivate(&st, 0);
	transition_apply(&st, VA, "a");
	ck_assert_str_eq(st.ps1, "$ ");
	transition_apply(&st, VB, "b");
	ck_assert_str_eq(st.ps1, "(b) $ ");
	transition_free(&st);
}
END_TEST

START_TEST(test_pip_guard_more)
{
	struct transition_state st;

	/* transition_pip_guard alone, as the hooks call it on their own. */
	state_plain(&st, SYS);
	st.pip_guard_on = 1;
	transition_pip_guard(&st);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	expect_var(&st, TR_VENVD_PIP_GUARD, "1");
	/* A VENVD_PIP_GUARD that is not "1" is not our mark. */
	transition_free(&st);
	state_plain(&st, SYS);
	st.pip_guard_on = 0;
	transition_set(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	transition_set(&st, TR_VENVD_PIP_GUARD, "yes");
	transition_pip_guard(&st);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	expect_var(&st, TR_VENVD_PIP_GUARD, "yes");
	transition_free(&st);

	/* Suppressed after deactivate: the guard is back at once. */
	state_plain(&st, SYS);
	st.pip_guard_on = 1;
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, NULL);
	transition_deactivate(&st, 0);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	expect_var(&st, TR_VENVD_PIP_GUARD, "1");
	/* Someone else's deactivate: cleaned up, guard back. */
	transition_apply(&st, VB, "b");
	transition_set(&st, TR_VIRTUAL_ENV, NULL);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PIP_REQUIRE_VIRTUALENV, "true");
	transition_free(&st);
}
END_TEST

START_TEST(test_path_rules_more)
{
	struct transition_state st;

	/* A PATH that already has the venv's bin/ (elsewhere): ours goes in
	 * front, and only ours is taken back. */
	state_plain(&st, "/x:" VA "/bin");
	transition_apply(&st, VA, "a");
	expect_var(&st, TR_PATH, VA "/bin:/x:" VA "/bin");
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, "/x:" VA "/bin");
	transition_free(&st);

	/* Hostile venv paths are bytes: ':' and newlines kept exactly. */
	state_plain(&st, SYS);
	transition_apply(&st, "/a:b\n$(x)/\xff.venv", "p");
	expect_var(&st, TR_PATH, "/a:b\n$(x)/\xff.venv/bin:" SYS);
	transition_apply(&st, NULL, NULL);
	expect_var(&st, TR_PATH, SYS);
	transition_free(&st);

	/* The rehash flag follows PATH, and PATH alone. */
	{
		struct transition_state old, new;

		state_plain(&old, SYS);
		transition_init(&new);
		transition_copy(&new, &old);
		transition_apply(&new, VA, "a");
		ck_assert_int_eq(transition_rehash(&old, &new), 1);
		transition_copy(&old, &new);
		transition_apply(&new, VA, "other prompt");
		ck_assert_int_eq(transition_rehash(&old, &new), 0);
		transition_free(&old);
		transition_free(&new);
	}
}
END_TEST

/* Emit old -> new for sh into a fresh string. */
static char *
emit(enum shell_kind sh, const struct transition_state *old,
    const struct transition_state *new, int flags)
{
	struct buf b = BUF_INIT;

	transition_emit(sh, old, new, flags, &b);
	buf_putc(&b, '\0');
	return buf_take(&b);
}

START_TEST(test_emit_bash_activate)
{
	struct transition_state old, new;
	char *out;

	state_plain(&old, SYS);
	old.ps1_on = 1;
	transition_set_str(&old.ps1, "$ ");
	transition_init(&new);
	transition_copy(&new, &old);
	transition_answer(&new, &(struct transition_answer){ VA, "a", "hi" });
	out = emit(SHELL_BASH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out,
	    "export PATH='" VA "/bin:" SYS "';\n"
	    "export VIRTUAL_ENV='" VA "';\n"
	    "export VIRTUAL_ENV_PROMPT='a';\n"
	    "export VENVD_ACTIVE='" VA "';\n"
	    "_venvd_deactivate_define;\n"
	    "_venvd_fn_ours='1';\n"
	    "PS1='(a) $ ';\n"
	    "_venvd_ps1_added='(a) ';\n"
	    "_venvd_notice 'hi';\n"
	    "hash -r;\n");
	free(out);
	/* zsh: the same, with rehash. */
	out = emit(SHELL_ZSH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_ptr_nonnull(strstr(out, "rehash;\n"));
	ck_assert_ptr_null(strstr(out, "hash -r"));
	free(out);
	/* Without the bookkeeping flag: the variables only (venvd export). */
	out = emit(SHELL_BASH, &old, &new, 0);
	ck_assert_str_eq(out,
	    "export PATH='" VA "/bin:" SYS "';\n"
	    "export VIRTUAL_ENV='" VA "';\n"
	    "export VIRTUAL_ENV_PROMPT='a';\n"
	    "export VENVD_ACTIVE='" VA "';\n"
	    "hash -r;\n");
	free(out);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_emit_leave_and_nothing)
{
	struct transition_state old, new;
	char *out;

	state_active(&old, 0);
	transition_set(&old, TR_PYTHONHOME, NULL);
	transition_init(&new);
	transition_copy(&new, &old);
	transition_deactivate(&new, 0);
	out = emit(SHELL_BASH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out,
	    "export PATH='" SYS "';\n"
	    "unset VIRTUAL_ENV;\n"
	    "unset VIRTUAL_ENV_PROMPT;\n"
	    "unset VENVD_ACTIVE;\n"
	    "_venvd_deactivate_undefine;\n"
	    "_venvd_fn_ours='0';\n"
	    "_venvd_suppress='" VA "';\n"
	    "hash -r;\n");
	free(out);
	out = emit(SHELL_FISH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out,
	    "set -gx PATH '/usr/local/bin' '/usr/bin' '/bin';\n"
	    "set -e VIRTUAL_ENV;\n"
	    "set -e VIRTUAL_ENV_PROMPT;\n"
	    "set -e VENVD_ACTIVE;\n"
	    "_venvd_deactivate_undefine;\n"
	    "set -g _venvd_fn_ours '0';\n"
	    "set -g _venvd_suppress '" VA "';\n");
	free(out);
	out = emit(SHELL_JSON, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out, "{\"set\":{\"PATH\":\"" SYS "\"},\"unset\":"
	    "[\"VIRTUAL_ENV\",\"VIRTUAL_ENV_PROMPT\",\"VENVD_ACTIVE\"]}\n");
	free(out);
	/* Nothing changed: nothing printed, no rehash (JSON: empty sets). */
	transition_copy(&new, &old);
	transition_apply(&new, VA, "a");
	for (int sh = SHELL_BASH; sh <= SHELL_FISH; sh++) {
		out = emit(sh, &old, &new, TR_EMIT_BOOKKEEPING);
		ck_assert_str_eq(out, "");
		free(out);
	}
	out = emit(SHELL_JSON, &old, &new, 0);
	ck_assert_str_eq(out, "{\"set\":{},\"unset\":[]}\n");
	free(out);
	/* The prompt alone changed: no rehash. */
	transition_apply(&new, VA, "z");
	out = emit(SHELL_BASH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out, "export VIRTUAL_ENV_PROMPT='z';\n");
	free(out);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_emit_fish_path_and_ps1)
{
	struct transition_state old, new;
	char *out;

	/* PATH as a list, empty entries as empty words. */
	state_plain(&old, ":/a::/b:");
	old.ps1_on = 1;
	transition_init(&new);
	transition_copy(&new, &old);
	transition_apply(&new, "/v'x", "p'q");
	out = emit(SHELL_FISH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_str_eq(out,
	    "set -gx PATH '/v\\'x/bin' '' '/a' '' '/b' '';\n"
	    "set -gx VIRTUAL_ENV '/v\\'x';\n"
	    "set -gx VIRTUAL_ENV_PROMPT 'p\\'q';\n"
	    "set -gx VENVD_ACTIVE '/v\\'x';\n"
	    "_venvd_deactivate_define;\n"
	    "set -g _venvd_fn_ours '1';\n"
	    "_venvd_ps1_on '(p\\'q) ';\n");
	free(out);
	/* Leaving: the wrapper's prefix off; PATH as it was. */
	transition_copy(&old, &new);
	transition_apply(&new, NULL, NULL);
	out = emit(SHELL_FISH, &old, &new, TR_EMIT_BOOKKEEPING);
	ck_assert_ptr_nonnull(strstr(out, "set -gx PATH '' '/a' '' '/b' '';\n"));
	ck_assert_ptr_nonnull(strstr(out, "_venvd_ps1_off;\n"));
	free(out);
	/* An empty PATH is an empty list. */
	transition_free(&old);
	transition_set(&old, TR_PATH, "/v/bin");
	transition_set(&old, TR_VIRTUAL_ENV, "/v");
	transition_set(&old, TR_VENVD_ACTIVE, "/v");
	transition_copy(&new, &old);
	transition_apply(&new, NULL, NULL);
	out = emit(SHELL_FISH, &old, &new, 0);
	ck_assert_ptr_nonnull(strstr(out, "set -gx PATH;\n"));
	free(out);
	transition_free(&old);
	transition_free(&new);
}
END_TEST

START_TEST(test_emit_hostile_quoted)
{
	static const char *const bad[] = {
		"it's", "$(touch /tmp/x)", "`id`", "a\nb", "\x1b]0;t\x07",
		"\xff\xfe", "\\'", "\"q\"",
	};
	struct transition_state old, new;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf q = BUF_INIT;
		char *venv, *out;

		xasprintf(&venv, "/w/%s", bad[i]);
		state_plain(&old, SYS);
		transition_init(&new);
		transition_copy(&new, &old);
		transition_answer(&new, &(struct transition_answer){ venv, bad[i], bad[i] });
		for (int sh = SHELL_BASH; sh <= SHELL_FISH; sh++) {
			/* Every value appears only as shell_quote made it. */
			out = emit(sh, &old, &new, TR_EMIT_BOOKKEEPING);
			buf_reset(&q);
			buf_printf(&q, "_venvd_notice ");
			shell_quote_str(sh, bad[i], &q);
			buf_puts(&q, ";\n");
			ck_assert_msg(strstr(out, q.data) != NULL, "%s: %s", bad[i], out);
			buf_reset(&q);
			buf_puts(&q, sh == SHELL_FISH ? "set -gx VIRTUAL_ENV " :
			    "export VIRTUAL_ENV=");
			shell_quote_str(sh, venv, &q);
			buf_puts(&q, ";\n");
			ck_assert_msg(strstr(out, q.data) != NULL, "%s: %s", bad[i], out);
			free(out);
		}
		/* JSON: valid, the bytes as \udcXX for what is not UTF-8. */
		out = emit(SHELL_JSON, &old, &new, 0);
		{
			json_error_t err;
			json_t *j = rpc_loadb(out, strlen(out), 0, &err);
			char *got;

			ck_assert_msg(j != NULL, "%s: %s", out, err.text);
			got = rpc_path_from_json(json_object_get(
			    json_object_get(j, "set"), "VIRTUAL_ENV"));
			ck_assert_ptr_nonnull(got);
			ck_assert_str_eq(got, venv);	/* byte for byte */
			free(got);
			json_decref(j);
		}
		free(out);
		buf_free(&q);
		free(venv);
		transition_free(&old);
		transition_free(&new);
	}
}
END_TEST

/* The transition suite. */
Suite *
suite_transition(void)
{
	Suite *s = suite_create("transition");
	TCase *tc = tcase_create("transition");

	tcase_add_test(tc, test_activate);
	tcase_add_test(tc, test_activate_empty_or_unset_path);
	tcase_add_test(tc, test_no_answer_no_change);
	tcase_add_test(tc, test_leave_restores_path);
	tcase_add_test(tc, test_leave_path_edited_while_active);
	tcase_add_test(tc, test_switch);
	tcase_add_test(tc, test_same_venv_no_change);
	tcase_add_test(tc, test_same_venv_prompt_refreshed);
	tcase_add_test(tc, test_empty_prompt_is_set);
	tcase_add_test(tc, test_path_unset_while_active);
	tcase_add_test(tc, test_stale_saved_pythonhome);
	tcase_add_test(tc, test_pip_guard);
	tcase_add_test(tc, test_manual_activation_left_alone);
	tcase_add_test(tc, test_foreign_deactivate_cleaned_up);
	tcase_add_test(tc, test_suppressed_after_deactivate);
	tcase_add_test(tc, test_deactivate_nondestructive_and_idle);
	tcase_add_test(tc, test_pythonhome_saved_restored);
	tcase_add_test(tc, test_prompt);
	tcase_add_test(tc, test_path_remove);
	tcase_add_test(tc, test_manual_drops_fn_ours);
	tcase_add_test(tc, test_adopt);
	tcase_add_test(tc, test_foreign_deactivate_bookkeeping);
	tcase_add_test(tc, test_suppression_rules);
	tcase_add_test(tc, test_deactivate_fn);
	tcase_add_test(tc, test_notices_once);
	tcase_add_test(tc, test_ps1_more);
	tcase_add_test(tc, test_pip_guard_more);
	tcase_add_test(tc, test_path_rules_more);
	tcase_add_test(tc, test_emit_bash_activate);
	tcase_add_test(tc, test_emit_leave_and_nothing);
	tcase_add_test(tc, test_emit_fish_path_and_ps1);
	tcase_add_test(tc, test_emit_hostile_quoted);
	suite_add_tcase(s, tc);
	return s;
}

/* check_transition.c: unit tests for the pure environment transition. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "transition.h"

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
	suite_add_tcase(s, tc);
	return s;
}

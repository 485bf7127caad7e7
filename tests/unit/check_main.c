/*
 * check_main.c: run every unit suite. CK_FORK=no runs them in-process
 * for debugging; CK_RUN_SUITE=name runs one.
 *
 * "check_venvd --round-trip SHELL" runs only the suite that reads
 * shell_quote's output back through a real SHELL; the wrappers
 * tests/unit/shell_quote_{bash,zsh,fish}.sh skip (exit 77) when the
 * shell is not installed, so a missing shell is a visible SKIP and
 * never a silent pass.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc == 3 && strcmp(argv[1], "--round-trip") == 0)
		sr = srunner_create(suite_shell_round_trip(argv[2]));
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [--round-trip bash|zsh|fish]\n", argv[0]);
		return EXIT_FAILURE;
	} else {
		sr = srunner_create(suite_cache());
		srunner_add_suite(sr, suite_conf());
		srunner_add_suite(sr, suite_db());
		srunner_add_suite(sr, suite_deny_list());
		srunner_add_suite(sr, suite_digest());
		srunner_add_suite(sr, suite_frame());
		srunner_add_suite(sr, suite_git_check());
		srunner_add_suite(sr, suite_locator());
		srunner_add_suite(sr, suite_locator_pdm());
		srunner_add_suite(sr, suite_locator_poetry());
		srunner_add_suite(sr, suite_locator_pipenv());
		srunner_add_suite(sr, suite_locator_virtualenvwrapper());
		srunner_add_suite(sr, suite_locator_env());
		srunner_add_suite(sr, suite_locator_pyenv());
		srunner_add_suite(sr, suite_locator_venv_file());
		srunner_add_suite(sr, suite_paths());
		srunner_add_suite(sr, suite_request());
		srunner_add_suite(sr, suite_resolve());
		srunner_add_suite(sr, suite_rpc());
		srunner_add_suite(sr, suite_sanitize());
		srunner_add_suite(sr, suite_shell_quote());
		srunner_add_suite(sr, suite_sizer());
		srunner_add_suite(sr, suite_small_file());
		srunner_add_suite(sr, suite_toml());
		srunner_add_suite(sr, suite_transition());
		srunner_add_suite(sr, suite_inshell());
		srunner_add_suite(sr, suite_trust());
		srunner_add_suite(sr, suite_utf8());
		srunner_add_suite(sr, suite_json_lite());
		srunner_add_suite(sr, suite_venv_cfg());
		srunner_add_suite(sr, suite_watch());
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

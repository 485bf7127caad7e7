/*
 * check_main.c: run every unit suite. CK_FORK=no runs them in-process
 * for debugging; CK_RUN_SUITE=name runs one.
 */
#include "config.h"

#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(suite_conf());
	int failed;

	srunner_add_suite(sr, suite_db());
	srunner_add_suite(sr, suite_frame());
	srunner_add_suite(sr, suite_paths());
	srunner_add_suite(sr, suite_resolve());
	srunner_add_suite(sr, suite_rpc());
	srunner_add_suite(sr, suite_sanitize());
	srunner_add_suite(sr, suite_shell_quote());
	srunner_add_suite(sr, suite_sizer());
	srunner_add_suite(sr, suite_transition());
	srunner_add_suite(sr, suite_trust());
	srunner_add_suite(sr, suite_utf8());
	srunner_add_suite(sr, suite_venv_cfg());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

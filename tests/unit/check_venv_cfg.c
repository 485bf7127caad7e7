/* check_venv_cfg.c: unit tests for venv_cfg (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The venv_cfg suite. */
Suite *
suite_venv_cfg(void)
{
	Suite *s = suite_create("venv_cfg");

	return s;
}

/* check_paths.c: unit tests for paths (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The paths suite. */
Suite *
suite_paths(void)
{
	Suite *s = suite_create("paths");

	return s;
}

/* check_conf.c: unit tests for conf (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The conf suite. */
Suite *
suite_conf(void)
{
	Suite *s = suite_create("conf");

	return s;
}

/* check_resolve.c: unit tests for resolve (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The resolve suite. */
Suite *
suite_resolve(void)
{
	Suite *s = suite_create("resolve");

	return s;
}

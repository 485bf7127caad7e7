/* check_db.c: unit tests for db (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The db suite. */
Suite *
suite_db(void)
{
	Suite *s = suite_create("db");

	return s;
}

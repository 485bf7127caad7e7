/* check_rpc.c: unit tests for rpc (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The rpc suite. */
Suite *
suite_rpc(void)
{
	Suite *s = suite_create("rpc");

	return s;
}

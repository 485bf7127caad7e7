/* check_shell_quote.c: unit tests for shell_quote (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The shell_quote suite. */
Suite *
suite_shell_quote(void)
{
	Suite *s = suite_create("shell_quote");

	return s;
}

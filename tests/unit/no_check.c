/*
 * no_check.c: tests/unit/check_venvd when configure found no Check. The
 * unit tests stay listed in "make check" and skip with the reason.
 */
#include "config.h"

#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "SKIP: the unit tests need Check, which configure did not find "
	    "(install the Debian package check, then ./configure)\n");
	return 77;
}

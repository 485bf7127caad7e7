/* check_frame.c: unit tests for frame (placeholder until written). */
#include "config.h"

#include "suites.h"

/* The frame suite. */
Suite *
suite_frame(void)
{
	Suite *s = suite_create("frame");

	return s;
}

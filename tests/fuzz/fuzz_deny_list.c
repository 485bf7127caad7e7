/*
 * fuzz_deny_list.c: libFuzzer harness for the list of denied venvs that
 * the daemon writes for the local fallback (deny_list.c).
 *
 * Properties: an input is accepted only in the exact encoding, so that
 * encoding what was parsed gives the input back byte for byte; every
 * path parsed is absolute, shorter than PATH_MAX and matches itself;
 * every proper prefix of an accepted input (a file cut short) is
 * refused; a refusal leaves the list empty and says why.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "deny_list.h"
#include "fuzz.h"

/* One input: the bytes of a denied file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct deny_list l, cut;
	struct buf b = BUF_INIT;
	char err[256];
	size_t i, n;

	err[0] = '\0';
	if (deny_list_parse(text, size, &l, err, sizeof err) == -1) {
		FUZZ_ASSERT(l.v == NULL && l.n == 0 && err[0] != '\0');
		return 0;
	}
	for (i = 0; i < l.n; i++) {
		n = strlen(l.v[i].path);
		FUZZ_ASSERT(n > 0 && n < PATH_MAX && l.v[i].path[0] == '/');
		FUZZ_ASSERT(deny_list_match(&l, l.v[i].path, 0, 0, 0) == 1);
	}
	deny_list_encode(&l, &b);
	FUZZ_ASSERT(b.len == size && memcmp(b.data, text, size) == 0);
	for (i = 0; i < size; i += 1 + size / 64) {
		FUZZ_ASSERT(deny_list_parse(text, i, &cut, err, sizeof err) == -1);
		FUZZ_ASSERT(cut.v == NULL && cut.n == 0);
	}
	buf_free(&b);
	deny_list_free(&l);
	return 0;
}

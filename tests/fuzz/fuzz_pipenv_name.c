/*
 * fuzz_pipenv_name.c: libFuzzer harness for Pipenv's venv name
 * (locator_pipenv_name) and the SHA-256 and base64 under it (digest.c).
 *
 * Properties, for the input up to its first NUL taken as a Pipfile
 * path: a path that is not UTF-8 or has no '/' is refused; otherwise
 * the name is "<part>-<h8>", part is valid UTF-8 of at most 42 code
 * points with no '/' and none of the characters Pipenv replaces, h8 is
 * 8 characters of the URL-safe base64 alphabet, and the name fits a
 * directory entry. For all bytes: the URL-safe base64 of n bytes is
 * 4 * ceil(n / 3) characters of its alphabet and '=' padding.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "locator.h"
#include "digest.h"
#include "utf8.h"
#include "xmalloc.h"

/* Is c in the URL-safe base64 alphabet? */
static int
b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = xstrndup((const char *)data, size), *b64;
	char name[NAME_MAX + 1];
	uint8_t digest[SHA256_LEN];
	size_t len, chars = 0, n, part;
	int r;

	r = locator_pipenv_name(path, name, sizeof name);
	if (!utf8_valid(path) || strchr(path, '/') == NULL)
		FUZZ_ASSERT(r == -1);
	else {
		FUZZ_ASSERT(r == 0);
		len = strlen(name);
		FUZZ_ASSERT(len >= 9 && len <= NAME_MAX);
		FUZZ_ASSERT(name[len - 9] == '-');
		for (size_t i = len - 8; i < len; i++)
			FUZZ_ASSERT(b64url(name[i]));
		part = len - 9;
		FUZZ_ASSERT(strchr(name, '/') == NULL);
		for (size_t i = 0; i < part; i += n, chars++) {
			n = utf8_char_len(name + i, part - i);
			FUZZ_ASSERT(n > 0);
			FUZZ_ASSERT(n > 1 ||
			    strchr(" &$`!*@\"()[]\\\r\n\t", name[i]) == NULL);
		}
		FUZZ_ASSERT(chars <= 42);
	}
	free(path);

	sha256(data, size, digest);
	n = (size + 2) / 3 * 4 + 1;
	b64 = xmalloc(n);
	r = base64url_encode(data, size, b64, n);
	FUZZ_ASSERT(r >= 0 && (size_t)r == n - 1);
	for (int i = 0; i < r; i++)
		FUZZ_ASSERT(b64[i] == '=' || b64url(b64[i]));
	FUZZ_ASSERT(base64url_encode(data, size, b64, n - 1) == -1);
	free(b64);
	return 0;
}

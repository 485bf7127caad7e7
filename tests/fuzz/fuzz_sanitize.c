/*
 * fuzz_sanitize.c: libFuzzer harness for the terminal sanitiser.
 *
 * Properties, for sanitize_append_len (all bytes), sanitize_append and
 * sanitize_prompt (up to the first NUL): the output is valid UTF-8 with
 * no C0 control, DEL, C1 control, bidi control or line/paragraph
 * separator, so nothing in it can move the cursor or start an escape
 * sequence; sanitize_is_clean holds for it; a clean input is copied
 * unchanged and sanitize_is_clean says so; stripping twice changes
 * nothing more than stripping once.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "sanitize.h"
#include "utf8.h"
#include "xmalloc.h"

/* Is cp a character the sanitiser must never let through? */
static int
forbidden(unsigned int cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0x2028 ||
	    cp == 0x2029;
}

/* Check that out (len bytes) is valid UTF-8 holding nothing forbidden. */
static void
check_safe(const char *out, size_t len)
{
	static const unsigned char mask[] = { 0x7f, 0x1f, 0x0f, 0x07 };
	size_t n;

	FUZZ_ASSERT(strlen(out) == len);
	for (size_t i = 0; i < len; i += n) {
		unsigned int cp;

		n = utf8_char_len(out + i, len - i);
		FUZZ_ASSERT(n != 0);
		cp = (unsigned char)out[i] & mask[n - 1];
		for (size_t k = 1; k < n; k++)
			cp = (cp << 6) | ((unsigned char)out[i + k] & 0x3f);
		FUZZ_ASSERT(!forbidden(cp));
	}
	FUZZ_ASSERT(utf8_valid(out));
	FUZZ_ASSERT(sanitize_is_clean(out));
}

/* One input: any bytes, as a path or a pyvenv.cfg value might hold. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	char *s = xstrndup(raw, size), *dup;
	struct buf all = BUF_INIT, str = BUF_INIT, strip = BUF_INIT, again = BUF_INIT;
	size_t len = strlen(s);

	sanitize_append_len(&all, raw, size);
	check_safe(all.data, all.len);

	sanitize_append(&str, s);
	check_safe(str.data, str.len);
	/* Up to the first NUL, the two agree. */
	if (len == size)
		FUZZ_ASSERT(strcmp(all.data, str.data) == 0);

	dup = sanitize_dup(s);
	FUZZ_ASSERT(strcmp(dup, str.data) == 0);
	/* A clean value is shown as it is, and only a clean one. */
	FUZZ_ASSERT(sanitize_is_clean(s) == (strcmp(dup, s) == 0));

	sanitize_prompt(&strip, s);
	check_safe(strip.data, strip.len);
	/* Inert in every shell's prompt language, and stable. */
	FUZZ_ASSERT(strpbrk(strip.data, "$`\\%!") == NULL);
	sanitize_prompt(&again, strip.data);
	FUZZ_ASSERT(strcmp(again.data, strip.data) == 0);

	free(dup);
	free(s);
	buf_free(&all);
	buf_free(&str);
	buf_free(&strip);
	buf_free(&again);
	return 0;
}

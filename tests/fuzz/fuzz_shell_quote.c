/*
 * fuzz_shell_quote.c: libFuzzer harness for the shell quoter, in all
 * four forms (bash, zsh, fish, JSON).
 *
 * The input is a value (it ends at a NUL: no shell variable holds one).
 * Each quoted word is read back by a small reader for that shell's
 * quoting rules, which must give the value byte for byte:
 *   bash, zsh: only '...' runs (nothing special inside) and \' between
 *     them; and a closing quote is never followed by an opening one, so
 *     zsh's RC_QUOTES option ('' inside quotes is a quote) cannot apply;
 *   fish: one '...' run in which a backslash only ever escapes \ or ';
 *   JSON: jansson parses it to the value with each invalid UTF-8 byte
 *     replaced by U+FFFD, as rpc_string_lossy does.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fuzz.h"
#include "rpc.h"
#include "shell_quote.h"
#include "xmalloc.h"

/* Read a bash/zsh word back; the bytes go to val. */
static void
read_posix_word(const char *w, size_t n, struct buf *val)
{
	size_t i = 0;

	FUZZ_ASSERT(n >= 2 && w[0] == '\'');
	while (i < n) {
		if (w[i] == '\'') {
			const char *close = memchr(w + i + 1, '\'', n - i - 1);

			FUZZ_ASSERT(close != NULL);
			buf_append(val, w + i + 1, (size_t)(close - (w + i + 1)));
			i = (size_t)(close - w) + 1;
			/* RC_QUOTES: never '' across a closing quote. */
			FUZZ_ASSERT(i == n || w[i] != '\'');
		} else {
			FUZZ_ASSERT(w[i] == '\\' && i + 1 < n && w[i + 1] == '\'');
			buf_putc(val, '\'');
			i += 2;
		}
	}
}

/* Read a fish word back; the bytes go to val. */
static void
read_fish_word(const char *w, size_t n, struct buf *val)
{
	FUZZ_ASSERT(n >= 2 && w[0] == '\'' && w[n - 1] == '\'');
	for (size_t i = 1; i < n - 1; i++) {
		FUZZ_ASSERT(w[i] != '\'');
		if (w[i] == '\\') {
			FUZZ_ASSERT(i + 1 < n - 1 &&
			    (w[i + 1] == '\\' || w[i + 1] == '\''));
			i++;
		}
		buf_putc(val, w[i]);
	}
}

/* Quote s for kind and check that the word reads back as s. */
static void
check_shell(enum shell_kind kind, const char *s, size_t len)
{
	struct buf out = BUF_INIT, val = BUF_INIT;

	shell_quote(kind, s, len, &out);
	FUZZ_ASSERT(out.data != NULL && strlen(out.data) == out.len);
	if (kind == SHELL_FISH)
		read_fish_word(out.data, out.len, &val);
	else
		read_posix_word(out.data, out.len, &val);
	FUZZ_ASSERT(val.len == len);
	FUZZ_ASSERT(len == 0 || memcmp(val.data, s, len) == 0);
	buf_free(&out);
	buf_free(&val);
}

/* Quote s as JSON and check that it parses to rpc_string_lossy's string. */
static void
check_json(const char *s, size_t len)
{
	struct buf out = BUF_INIT;
	json_t *got, *want;

	shell_quote(SHELL_JSON, s, len, &out);
	FUZZ_ASSERT(strlen(out.data) == out.len);
	FUZZ_ASSERT(memchr(out.data, '\n', out.len) == NULL);
	got = json_loadb(out.data, out.len, JSON_DECODE_ANY, NULL);
	FUZZ_ASSERT(json_is_string(got));
	want = rpc_string_lossy(s);
	FUZZ_ASSERT(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	buf_free(&out);
}

/* One input: a value (up to its first NUL). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	size_t len = strlen(s);

	check_shell(SHELL_BASH, s, len);
	check_shell(SHELL_ZSH, s, len);
	check_shell(SHELL_FISH, s, len);
	check_json(s, len);
	/* shell_quote_str is shell_quote over strlen. */
	{
		struct buf a = BUF_INIT, b = BUF_INIT;

		shell_quote_str(SHELL_BASH, s, &a);
		shell_quote(SHELL_BASH, s, len, &b);
		FUZZ_ASSERT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		buf_free(&a);
		buf_free(&b);
	}
	free(s);
	return 0;
}

/*
 * fuzz_toml.c: libFuzzer harness for the TOML reader (toml_parse,
 * toml_lookup).
 *
 * Properties: text that is not UTF-8 is refused; every key and string
 * reported is UTF-8, every path has 1 to TOML_MAX_KEYS components;
 * reading twice reports the same; each string written back as a quoted
 * dotted key and a basic string, and looked up, gives the same key and
 * value; toml_lookup agrees with toml_parse on success.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "toml.h"
#include "utf8.h"

/* Is the n bytes at s valid UTF-8? */
static int
valid_utf8(const char *s, size_t n)
{
	while (n > 0) {
		size_t k = utf8_char_len(s, n);

		if (k == 0)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

/* Append s (n bytes) as a TOML basic string. */
static void
put_basic(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04X", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

struct record {
	struct buf	log;	/* every report, for the second reading */
	unsigned	n;
};

/* Check one report and write it back. */
static void
visit(void *ctx, const char *const *keys, size_t nkeys, const struct toml_value *v)
{
	struct record *r = ctx;
	struct buf doc = BUF_INIT;
	struct toml_want w;
	char err[256];

	FUZZ_ASSERT(nkeys >= 1 && nkeys <= TOML_MAX_KEYS);
	FUZZ_ASSERT(v->type == TOML_TABLE || v->type == TOML_STRING ||
	    v->type == TOML_BOOL || v->type == TOML_OTHER);
	buf_printf(&r->log, "%d:", (int)v->type);
	for (size_t i = 0; i < nkeys; i++) {
		FUZZ_ASSERT(valid_utf8(keys[i], strlen(keys[i])));
		buf_printf(&r->log, "%s.", keys[i]);
		if (i > 0)
			buf_putc(&doc, '.');
		put_basic(&doc, keys[i], strlen(keys[i]));
	}
	if (v->type == TOML_BOOL) {
		FUZZ_ASSERT(v->boolean == 0 || v->boolean == 1);
		buf_printf(&r->log, "=%d", v->boolean);
	}
	if (v->type == TOML_STRING) {
		FUZZ_ASSERT(v->str[v->len] == '\0');
		FUZZ_ASSERT(valid_utf8(v->str, v->len));
		buf_putc(&r->log, '=');
		buf_append(&r->log, v->str, v->len);
	}
	buf_putc(&r->log, '\n');
	r->n++;
	/* Write the path and the value back, alone, and read them again. */
	if (v->type == TOML_STRING && memchr(v->str, '\0', v->len) == NULL &&
	    r->n < 64) {
		buf_puts(&doc, " = ");
		put_basic(&doc, v->str, v->len);
		buf_putc(&doc, '\n');
		memset(&w, 0, sizeof w);
		w.keys = keys;
		w.nkeys = nkeys;
		w.type = TOML_STRING;
		FUZZ_ASSERT(toml_lookup(doc.data, doc.len, &w, 1, err, sizeof err) == 0);
		FUZZ_ASSERT(w.found && strcmp(w.str, v->str) == 0);
		toml_wants_free(&w, 1);
	}
	buf_free(&doc);
}

/* One input: the bytes of a TOML file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const k_name[] = { "tool", "poetry", "name" };
	static const char *const k_tool[] = { "tool", "poetry" };
	const char *text = (const char *)data;
	struct record one = { BUF_INIT, 0 }, two = { BUF_INIT, 0 };
	struct toml_want w[2];
	char err[256];
	int r1, r2, rl;

	err[0] = '\0';
	r1 = toml_parse(text, size, visit, &one, err, sizeof err);
	FUZZ_ASSERT(r1 == 0 || r1 == -1);
	if (r1 == -1)
		FUZZ_ASSERT(strncmp(err, "line ", 5) == 0);
	if (!valid_utf8(text, size))
		FUZZ_ASSERT(r1 == -1);
	r2 = toml_parse(text, size, visit, &two, err, sizeof err);
	FUZZ_ASSERT(r1 == r2 && one.log.len == two.log.len);
	FUZZ_ASSERT(one.log.len == 0 || memcmp(one.log.data, two.log.data,
	    one.log.len) == 0);
	memset(w, 0, sizeof w);
	w[0].keys = k_name;
	w[0].nkeys = 3;
	w[0].type = TOML_STRING;
	w[1].keys = k_tool;
	w[1].nkeys = 2;
	w[1].type = TOML_TABLE;
	rl = toml_lookup(text, size, w, 2, err, sizeof err);
	if (r1 == -1)
		FUZZ_ASSERT(rl == -1);
	if (rl == -1)
		FUZZ_ASSERT(!w[0].found && w[0].str == NULL && !w[1].found);
	if (w[0].found)
		FUZZ_ASSERT(w[0].str != NULL && w[1].found);
	toml_wants_free(w, 2);
	buf_free(&one.log);
	buf_free(&two.log);
	return 0;
}

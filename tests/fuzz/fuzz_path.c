/*
 * fuzz_path.c: libFuzzer harness for the path encoding on the wire:
 * bytes that are not UTF-8 travel as \udcXX (surrogateescape), through
 * rpc_path_to_json, rpc_dumps, rpc_loadb and rpc_path_from_json.
 *
 * The input is used twice:
 *   as a path (up to its first NUL; paths have none): bytes -> wire ->
 *     bytes is the identity; the wire line is valid UTF-8 with no
 *     newline; a reference decoder for JSON strings that maps \udcXX to
 *     the byte XX (as Python's json.loads + os.fsencode do) reads the
 *     same bytes from it; a path that is UTF-8 is written exactly as
 *     json_dumps writes it;
 *   as wire text: whatever rpc_loadb accepts, rpc_dumps writes back in
 *     a form rpc_loadb reads to an equal value.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fuzz.h"
#include "rpc.h"
#include "utf8.h"
#include "xmalloc.h"

/* The value of the 4 hex digits at p, or -1. */
static long
ref_hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	return v;
}

/* Append code point cp as UTF-8. */
static void
ref_put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * The reference: decode the JSON string literal at s (after its opening
 * quote) into bytes, \udc80..\udcff as the byte. Returns a pointer past
 * the closing quote, or NULL if the literal is not one.
 */
static const char *
ref_decode_string(const char *s, struct buf *out)
{
	for (;;) {
		unsigned char c = (unsigned char)*s;
		long v, w;

		if (c == '"')
			return s + 1;
		if (c == '\0' || c < 0x20)
			return NULL;
		if (c != '\\') {
			buf_putc(out, (char)c);
			s++;
			continue;
		}
		switch (s[1]) {
		case '"': case '\\': case '/':
			buf_putc(out, s[1]);
			s += 2;
			continue;
		case 'b': buf_putc(out, '\b'); s += 2; continue;
		case 'f': buf_putc(out, '\f'); s += 2; continue;
		case 'n': buf_putc(out, '\n'); s += 2; continue;
		case 'r': buf_putc(out, '\r'); s += 2; continue;
		case 't': buf_putc(out, '\t'); s += 2; continue;
		case 'u':
			break;
		default:
			return NULL;
		}
		if ((v = ref_hex4(s + 2)) == -1)
			return NULL;
		s += 6;
		if (v >= 0xd800 && v <= 0xdbff && s[0] == '\\' && s[1] == 'u' &&
		    (w = ref_hex4(s + 2)) >= 0xdc00 && w <= 0xdfff) {
			ref_put_utf8(out, 0x10000 + ((v - 0xd800) << 10) + (w - 0xdc00));
			s += 6;
		} else if (v >= 0xdc80 && v <= 0xdcff)
			buf_putc(out, (char)(v & 0xff));	/* surrogateescape */
		else if (v >= 0xd800 && v <= 0xdfff)
			return NULL;
		else
			ref_put_utf8(out, (unsigned long)v);
	}
}

/* bytes -> wire -> bytes, checked three ways. */
static void
check_path(const char *path)
{
	static const char prefix[] = "{\"path\":\"";
	json_t *obj = json_object(), *back, *got;
	struct buf ref = BUF_INIT;
	json_error_t jerr;
	char *wire, *plain, *path2;
	const char *end;

	json_object_set_new(obj, "path", rpc_path_to_json(path));
	wire = rpc_dumps(obj, JSON_COMPACT);
	FUZZ_ASSERT(wire != NULL);
	FUZZ_ASSERT(utf8_valid(wire));
	FUZZ_ASSERT(strchr(wire, '\n') == NULL);

	/* What a Python client (surrogateescape) reads from the line. */
	FUZZ_ASSERT(strncmp(wire, prefix, sizeof prefix - 1) == 0);
	end = ref_decode_string(wire + sizeof prefix - 1, &ref);
	FUZZ_ASSERT(end != NULL && strcmp(end, "}") == 0);
	FUZZ_ASSERT(ref.len == strlen(path));
	FUZZ_ASSERT(ref.len == 0 || memcmp(ref.data, path, ref.len) == 0);

	/* What the other side of the socket reads from it. */
	back = rpc_loadb(wire, strlen(wire), 0, &jerr);
	FUZZ_ASSERT(back != NULL);
	got = json_object_get(back, "path");
	path2 = rpc_path_from_json(got);
	FUZZ_ASSERT(path2 != NULL && strcmp(path2, path) == 0);

	/* A UTF-8 path is on the wire as it always was. */
	if (utf8_valid(path)) {
		plain = json_dumps(obj, JSON_COMPACT);
		FUZZ_ASSERT(plain != NULL && strcmp(plain, wire) == 0);
		free(plain);
	}
	free(path2);
	json_decref(back);
	free(wire);
	json_decref(obj);
	buf_free(&ref);
}

/* wire -> value -> wire -> value gives the same value. */
static void
check_wire(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *v, *again;
	char *out;

	if ((v = rpc_loadb(text, len, JSON_DECODE_ANY, &jerr)) == NULL)
		return;
	out = rpc_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_ASSERT(out != NULL);
	FUZZ_ASSERT(utf8_valid(out));
	again = rpc_loadb(out, strlen(out), JSON_DECODE_ANY, &jerr);
	FUZZ_ASSERT(again != NULL);
	FUZZ_ASSERT(json_equal(v, again));
	json_decref(again);
	json_decref(v);
	free(out);
}

/* One input: a path's bytes, and JSON text off the wire. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = xstrndup((const char *)data, size);

	check_path(path);
	check_wire((const char *)data, size);
	free(path);
	return 0;
}

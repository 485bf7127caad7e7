/*
 * fuzz_rpc.c: libFuzzer harness for the wire: line framing (frame.c)
 * and JSON-RPC decoding (rpc_parse_request, rpc_parse_response).
 *
 * The input is a byte stream from a peer. It is fed to the framer in
 * chunks of varying size, as recv() hands it over, and each line is
 * handled as the daemon's server does (a trailing '\r' dropped, empty
 * lines skipped) and also as a response line, as the client does.
 *
 * Properties: the framer returns exactly the stream's lines, whatever
 * the chunking, and reports a line over the cap instead of returning
 * it; every request either decodes to a method and an object of params
 * or fails with one of the three JSON-RPC codes; the answer written for
 * it (result or error) is one line that the client decodes back to the
 * same result or code, addressed to the same id.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "frame.h"
#include "fuzz.h"
#include "protocol.h"
#include "rpc.h"
#include "utf8.h"
#include "xmalloc.h"

/* A small deterministic generator for chunk sizes. */
static uint32_t
rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* FNV-1a over the input: the seed for chunking, so a crash replays. */
static uint32_t
hash_input(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h != 0 ? h : 1;
}

/* Check that out holds exactly one line, and return its length without '\n'. */
static size_t
one_line(const struct buf *out)
{
	FUZZ_ASSERT(out->len > 0 && out->data[out->len - 1] == '\n');
	FUZZ_ASSERT(memchr(out->data, '\n', out->len - 1) == NULL);
	return out->len - 1;
}

/* Check that the response line in out is addressed to id (NULL: null). */
static void
check_response_id(const struct buf *out, json_t *id)
{
	json_t *root = json_loadb(out->data, out->len, 0, NULL), *got;

	FUZZ_ASSERT(json_is_object(root));
	got = json_object_get(root, "id");
	FUZZ_ASSERT(got != NULL);
	FUZZ_ASSERT(id == NULL ? json_is_null(got) : json_equal(got, id));
	json_decref(root);
}

/* Check that the answer in out decodes to an error with code (and message, if given). */
static void
check_error_answer(const struct buf *out, int code, const char *message)
{
	char err[512];
	json_t *result = NULL;
	int got = 0;

	FUZZ_ASSERT(rpc_parse_response(out->data, one_line(out), &result, &got,
	    err, sizeof err) == -1);
	FUZZ_ASSERT(result == NULL && got == code);
	if (message != NULL)
		FUZZ_ASSERT(strncmp(err, message, sizeof err - 1) == 0);
}

/* Handle one request line as the daemon does, and check the answers to it. */
static void
handle_request(const char *line, size_t len)
{
	struct rpc_request req;
	struct buf out = BUF_INIT;
	char err[512];
	json_t *id = NULL, *result = NULL;
	int code = 0, got = 0;

	if (rpc_parse_request(line, len, &req, &code, &id, err, sizeof err) == -1) {
		FUZZ_ASSERT(code == RPC_PARSE_ERROR || code == RPC_INVALID_REQUEST ||
		    code == RPC_INVALID_PARAMS);
		FUZZ_ASSERT(req.root == NULL && err[0] != '\0');
		FUZZ_ASSERT(code != RPC_PARSE_ERROR || id == NULL);
		rpc_write_error(&out, id, code, err);
		check_error_answer(&out, code, NULL);
		check_response_id(&out, id);
		json_decref(id);
		buf_free(&out);
		return;
	}
	FUZZ_ASSERT(id == NULL);
	FUZZ_ASSERT(json_is_object(req.root) && req.method != NULL);
	FUZZ_ASSERT(json_is_object(req.params));
	FUZZ_ASSERT(json_object_get(req.root, "params") == req.params);
	FUZZ_ASSERT(req.id == NULL || json_is_string(req.id) ||
	    json_is_number(req.id) || json_is_null(req.id));

	/* A result echoing the params comes back to the client unchanged. */
	rpc_write_result(&out, req.id, json_deep_copy(req.params));
	FUZZ_ASSERT(rpc_parse_response(out.data, one_line(&out), &result, &got,
	    err, sizeof err) == 0);
	FUZZ_ASSERT(got == 0 && json_equal(result, req.params));
	check_response_id(&out, req.id);
	json_decref(result);
	buf_reset(&out);

	/* So does an error naming the method (as "unknown method" does). */
	if (utf8_valid(req.method)) {
		rpc_write_error(&out, req.id, RPC_METHOD_NOT_FOUND, req.method);
		check_error_answer(&out, RPC_METHOD_NOT_FOUND, req.method);
		check_response_id(&out, req.id);
	}
	buf_free(&out);
	rpc_request_free(&req);
	FUZZ_ASSERT(req.root == NULL);
}

/* Decode one line as a response, as the client does. */
static void
handle_response(const char *line, size_t len)
{
	char err[512];
	json_t *result = NULL;
	int code = -1;

	err[0] = '\0';
	if (rpc_parse_response(line, len, &result, &code, err, sizeof err) == 0) {
		FUZZ_ASSERT(result != NULL && code == 0);
		json_decref(result);
	} else {
		FUZZ_ASSERT(result == NULL && err[0] != '\0');
	}
}

/*
 * Frame the stream in chunks with lines capped at max_line, handling
 * each line when handle is set, and check the lines against a plain
 * split of the stream.
 */
static void
check_framing(const char *data, size_t size, size_t max_line, uint32_t seed,
    int handle)
{
	struct frame f;
	const char *line, *want = data, *nl;
	size_t len, fed = 0, want_len;
	enum frame_result r = FRAME_NONE;
	int eof = 0, too_long = 0;

	frame_init(&f, max_line);
	while (!too_long) {
		if (fed < size) {
			size_t chunk = 1 + rng_next(&seed) % ((seed & 1) ? 8 : 4096);

			if (chunk > size - fed)
				chunk = size - fed;
			frame_feed(&f, data + fed, chunk);
			fed += chunk;
		} else if (!eof) {
			/* The server's end of stream: a last line without '\n' counts. */
			eof = 1;
			if (frame_pending(&f) > 0)
				frame_feed(&f, "\n", 1);
		} else
			break;
		while ((r = frame_next(&f, &line, &len)) == FRAME_LINE) {
			/* The next line of the stream, whole. */
			FUZZ_ASSERT(want < data + size);
			nl = memchr(want, '\n', (size_t)(data + size - want));
			want_len = nl != NULL ? (size_t)(nl - want) : (size_t)(data + size - want);
			FUZZ_ASSERT(len == want_len && len <= max_line);
			FUZZ_ASSERT(memcmp(line, want, len) == 0);
			want += want_len;
			if (want < data + size)
				want++;		/* its '\n' (at the end, the one fed at EOF) */
			if (handle) {
				if (len > 0 && line[len - 1] == '\r')
					len--;
				if (len > 0) {
					handle_response(line, len);
					handle_request(line, len);
				}
			}
		}
		if (r == FRAME_TOO_LONG)
			too_long = 1;
	}
	nl = memchr(want, '\n', (size_t)(data + size - want));
	want_len = nl != NULL ? (size_t)(nl - want) : (size_t)(data + size - want);
	if (too_long)
		FUZZ_ASSERT(want_len > max_line);	/* the line it refused is too long */
	else {
		FUZZ_ASSERT(want_len == 0);		/* every line was returned */
		FUZZ_ASSERT(frame_pending(&f) == 0);
	}
	frame_free(&f);
}

/* One input: the bytes a peer sends on the socket. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint32_t seed = hash_input(data, size);

	/* The daemon's own cap, lines handled. */
	check_framing(s, size, VENVD_MAX_LINE, seed, 1);
	/* A small cap, to reach the over-long line at any point of the stream. */
	check_framing(s, size, seed % 97, seed, 0);
	return 0;
}

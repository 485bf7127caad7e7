/* check_rpc.c: unit tests for JSON-RPC request parsing and response building. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "rpc.h"
#include "suites.h"
#include "utf8.h"
#include "xmalloc.h"

/* Parse s as a request expecting failure with code; returns the id (may be NULL). */
static json_t *
parse_fail(const char *s, int want_code, const char *want_msg)
{
	struct rpc_request req;
	json_t *id = NULL;
	char err[512] = "";
	int code = 0;

	ck_assert_int_eq(rpc_parse_request(s, strlen(s), &req, &code, &id, err,
	    sizeof err), -1);
	ck_assert_msg(code == want_code, "%s: code %d, want %d (%s)", s, code,
	    want_code, err);
	ck_assert_msg(strstr(err, want_msg) != NULL, "%s: message \"%s\" lacks \"%s\"",
	    s, err, want_msg);
	return id;
}

START_TEST(test_valid_request)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resolve\","
	    "\"params\":{\"path\":\"/home/u/p\"}}";
	struct rpc_request req;
	json_t *id = NULL;
	char err[256];
	int code;

	ck_assert_int_eq(rpc_parse_request(s, strlen(s), &req, &code, &id, err,
	    sizeof err), 0);
	ck_assert_ptr_null(id);
	ck_assert_str_eq(req.method, "resolve");
	ck_assert(json_is_integer(req.id));
	ck_assert_int_eq(json_integer_value(req.id), 7);
	ck_assert_str_eq(json_string_value(json_object_get(req.params, "path")), "/home/u/p");
	rpc_request_free(&req);
}
END_TEST

START_TEST(test_ids_of_each_type)
{
	static const char *lines[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"status\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"status\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"status\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":-3,\"method\":\"status\"}",
	};
	struct rpc_request req;
	json_t *id = NULL;
	char err[256];
	int code;

	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(rpc_parse_request(lines[i], strlen(lines[i]), &req,
		    &code, &id, err, sizeof err), 0);
		ck_assert_ptr_nonnull(req.id);	/* not a notification */
		ck_assert(json_is_object(req.params));
		ck_assert_int_eq(json_object_size(req.params), 0);
		rpc_request_free(&req);
	}
}
END_TEST

START_TEST(test_notification)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"params\":{}}";
	struct rpc_request req;
	json_t *id = NULL;
	char err[256];
	int code;

	ck_assert_int_eq(rpc_parse_request(s, strlen(s), &req, &code, &id, err,
	    sizeof err), 0);
	ck_assert_ptr_null(req.id);
	rpc_request_free(&req);
}
END_TEST

START_TEST(test_invalid_json)
{
	json_t *id;

	id = parse_fail("{\"jsonrpc\":\"2.0\",", RPC_PARSE_ERROR, "request is not valid JSON");
	ck_assert_ptr_null(id);
	id = parse_fail("not json", RPC_PARSE_ERROR, "at column");
	ck_assert_ptr_null(id);
	id = parse_fail("", RPC_PARSE_ERROR, "not valid JSON");
	ck_assert_ptr_null(id);
	/* Two values on a line. */
	id = parse_fail("{} {}", RPC_PARSE_ERROR, "not valid JSON");
	ck_assert_ptr_null(id);
	/* Not UTF-8. */
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\","
	    "\"params\":{\"path\":\"/a\xff\xfe\"}}", RPC_PARSE_ERROR, "not valid JSON");
	ck_assert_ptr_null(id);
}
END_TEST

START_TEST(test_wrong_types)
{
	json_t *id;

	id = parse_fail("[1,2]", RPC_INVALID_REQUEST, "must be a JSON object");
	ck_assert_ptr_null(id);
	id = parse_fail("\"str\"", RPC_INVALID_REQUEST, "must be a JSON object");
	ck_assert_ptr_null(id);
	id = parse_fail("{\"id\":1,\"method\":\"status\"}", RPC_INVALID_REQUEST, "jsonrpc");
	ck_assert_int_eq(json_integer_value(id), 1);
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":\"1.0\",\"id\":\"x\",\"method\":\"status\"}",
	    RPC_INVALID_REQUEST, "jsonrpc");
	ck_assert_str_eq(json_string_value(id), "x");
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"status\"}",
	    RPC_INVALID_REQUEST, "jsonrpc");
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":2}", RPC_INVALID_REQUEST,
	    "method is missing");
	ck_assert_int_eq(json_integer_value(id), 2);
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":5}",
	    RPC_INVALID_REQUEST, "method must be a string");
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"status\"}",
	    RPC_INVALID_REQUEST, "id must be");
	ck_assert_ptr_null(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"status\"}",
	    RPC_INVALID_REQUEST, "id must be");
	ck_assert_ptr_null(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"status\"}",
	    RPC_INVALID_REQUEST, "id must be");
	ck_assert_ptr_null(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resolve\",\"params\":[\"/\"]}",
	    RPC_INVALID_PARAMS, "params must be an object");
	ck_assert_int_eq(json_integer_value(id), 3);
	json_decref(id);
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resolve\",\"params\":\"/\"}",
	    RPC_INVALID_PARAMS, "params must be an object");
	json_decref(id);
	/* Duplicate keys are ambiguous: refused. */
	id = parse_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"status\"}",
	    RPC_PARSE_ERROR, "duplicate");
	ck_assert_ptr_null(id);
}
END_TEST

/* Assert that b holds exactly one line ending in '\n', and parse it. */
static json_t *
one_line(const struct buf *b)
{
	json_error_t jerr;
	json_t *j;

	ck_assert_uint_gt(b->len, 1);
	ck_assert_int_eq(b->data[b->len - 1], '\n');
	ck_assert_ptr_eq(memchr(b->data, '\n', b->len), b->data + b->len - 1);
	j = json_loadb(b->data, b->len - 1, 0, &jerr);
	ck_assert_msg(j != NULL, "bad JSON \"%s\": %s", b->data, jerr.text);
	return j;
}

START_TEST(test_write_result_and_error)
{
	struct buf b = BUF_INIT;
	json_t *id = json_string("req-1"), *j, *res;
	char err[256];
	int code;

	rpc_write_result(&b, id, json_pack("{s:s}", "text", "line1\nline2"));
	j = one_line(&b);
	ck_assert_str_eq(json_string_value(json_object_get(j, "jsonrpc")), "2.0");
	ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "req-1");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "result"),
	    "text")), "line1\nline2");
	json_decref(j);
	ck_assert_int_eq(rpc_parse_response(b.data, b.len - 1, &res, &code, err,
	    sizeof err), 0);
	ck_assert(json_is_object(res));
	json_decref(res);
	/* Compact: no spaces between tokens. */
	ck_assert_ptr_null(strstr(b.data, "\": "));
	buf_reset(&b);

	rpc_write_error(&b, NULL, RPC_INVALID_PARAMS, "path is not absolute: \xff");
	j = one_line(&b);
	ck_assert(json_is_null(json_object_get(j, "id")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"),
	    "code")), RPC_INVALID_PARAMS);
	json_decref(j);
	ck_assert_int_eq(rpc_parse_response(b.data, b.len, &res, &code, err,
	    sizeof err), -1);
	ck_assert_int_eq(code, RPC_INVALID_PARAMS);
	ck_assert_str_eq(err, "path is not absolute: \xef\xbf\xbd");
	ck_assert_ptr_null(res);
	json_decref(id);
	buf_free(&b);
}
END_TEST

START_TEST(test_write_request)
{
	struct buf b = BUF_INIT;
	json_t *j;

	rpc_write_request(&b, 42, "resolve", json_pack("{s:s}", "path", "/x y"));
	j = one_line(&b);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), 42);
	ck_assert_str_eq(json_string_value(json_object_get(j, "method")), "resolve");
	json_decref(j);
	buf_reset(&b);
	rpc_write_request(&b, 1, "status", NULL);
	j = one_line(&b);
	ck_assert(json_is_object(json_object_get(j, "params")));
	json_decref(j);
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_bad_responses)
{
	static const char *bad[] = {
		"", "[]", "{\"jsonrpc\":\"2.0\",\"id\":1}",
		"{\"error\":\"nope\"}", "{\"error\":{\"message\":\"x\"}}",
	};
	json_t *res;
	char err[256];
	int code;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_int_eq(rpc_parse_response(bad[i], strlen(bad[i]), &res, &code,
		    err, sizeof err), -1);
		ck_assert_int_eq(code, 0);
		ck_assert_ptr_null(res);
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
	}
	/* A null result is a result. */
	ck_assert_int_eq(rpc_parse_response("{\"id\":1,\"result\":null}", 22, &res,
	    &code, err, sizeof err), 0);
	ck_assert(json_is_null(res));
	json_decref(res);
}
END_TEST

START_TEST(test_venv_round_trip)
{
	struct venv_info vi = { 0 }, back;
	struct buf b = BUF_INIT;
	json_t *j, *res;
	char err[256];
	int code;

	vi.path = xstrdup("/home/u/p q/.venv");
	vi.project = xstrdup("/home/u/p q");
	vi.python = xstrdup("/home/u/p q/.venv/bin/python");
	vi.version = xstrdup("3.11.2");
	vi.home = NULL;
	vi.prompt = xstrdup("p q");
	vi.include_system_site_packages = 0;
	vi.broken = NULL;
	vi.found_as = xstrdup(".venv");
	vi.found_via = xstrdup(".venv");
	vi.kind = VENV_KIND_VIRTUALENV;

	j = rpc_venv_to_json(&vi);
	ck_assert(json_is_null(json_object_get(j, "home")));
	ck_assert(json_is_false(json_object_get(j, "broken")));
	ck_assert(json_is_false(json_object_get(j, "include_system_site_packages")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "virtualenv");
	ck_assert_str_eq(json_string_value(json_object_get(j, "found_as")), ".venv");
	/* Through the wire and back. */
	rpc_write_result(&b, NULL, json_pack("{s:o,s:I}", "venv", j, "generation",
	    (json_int_t)5));
	ck_assert_int_eq(rpc_parse_response(b.data, b.len, &res, &code, err,
	    sizeof err), 0);
	ck_assert_int_eq(rpc_venv_from_json(json_object_get(res, "venv"), &back), 0);
	ck_assert_str_eq(back.path, vi.path);
	ck_assert_str_eq(back.project, vi.project);
	ck_assert_str_eq(back.python, vi.python);
	ck_assert_str_eq(back.version, "3.11.2");
	ck_assert_ptr_null(back.home);
	ck_assert_ptr_null(back.broken);
	ck_assert_str_eq(back.prompt, "p q");
	ck_assert_int_eq(back.include_system_site_packages, 0);
	ck_assert_int_eq(back.kind, VENV_KIND_VIRTUALENV);
	ck_assert_str_eq(back.found_via, ".venv");
	venv_info_free(&back);
	json_decref(res);
	buf_free(&b);
	/* An older daemon's answer has no found_via: still a venv. */
	j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "path", "/p/.venv", "project", "/p",
	    "python", "/p/.venv/bin/python", "prompt", "p", "found_as", ".venv");
	ck_assert_int_eq(rpc_venv_from_json(j, &back), 0);
	ck_assert_ptr_null(back.found_via);
	venv_info_free(&back);
	json_decref(j);

	/* Broken, unknown ISP, and bytes that are not UTF-8. */
	free(vi.prompt);
	vi.prompt = xstrdup("bad\xff\xfe\xc3(\xed\xa0\x80ok\xc3\xa9");
	vi.home = xstrdup("/opt/\xe9");
	vi.broken = xstrdup("base interpreter /usr/bin/python3.7 is missing");
	vi.include_system_site_packages = -1;
	j = rpc_venv_to_json(&vi);
	/* Paths and the prompt keep their bytes (\udcXX on the wire). */
	ck_assert_str_eq(json_string_value(json_object_get(j, "prompt")), vi.prompt);
	ck_assert_str_eq(json_string_value(json_object_get(j, "home")), "/opt/\xe9");
	ck_assert(json_is_null(json_object_get(j, "include_system_site_packages")));
	ck_assert_int_eq(rpc_venv_from_json(j, &back), 0);
	ck_assert_str_eq(back.broken, vi.broken);
	ck_assert_int_eq(back.include_system_site_packages, -1);
	venv_info_free(&back);
	json_decref(j);
	venv_info_free(&vi);
}
END_TEST

START_TEST(test_venv_from_json_missing)
{
	struct venv_info vi;
	json_t *j = json_pack("{s:s,s:s}", "path", "/p/.venv", "project", "/p");

	ck_assert_int_eq(rpc_venv_from_json(j, &vi), -1);
	ck_assert_ptr_null(vi.path);
	json_decref(j);
	j = json_null();
	ck_assert_int_eq(rpc_venv_from_json(j, &vi), -1);
	json_decref(j);
}
END_TEST

START_TEST(test_string_lossy)
{
	json_t *j;

	j = rpc_string_lossy("plain");
	ck_assert_str_eq(json_string_value(j), "plain");
	json_decref(j);
	/* Overlong encoding of '/', a lone continuation byte, a truncated sequence. */
	j = rpc_string_lossy("\xc0\xaf-\x80-\xe2\x82");
	ck_assert_str_eq(json_string_value(j),
	    "\xef\xbf\xbd\xef\xbf\xbd-\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	j = rpc_string_lossy("\xf0\x9f\x90\x8d snake");
	ck_assert_str_eq(json_string_value(j), "\xf0\x9f\x90\x8d snake");
	json_decref(j);
}
END_TEST

/* The rpc suite. */
/* Load text with rpc_loadb; the value, or NULL (then err holds why). */
static json_t *
load(const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j = rpc_loadb(text, strlen(text), JSON_DECODE_ANY, &jerr);

	if (j == NULL)
		snprintf(err, errlen, "%s", jerr.text);
	return j;
}

/* Load a JSON string literal and compare its bytes with want (wlen bytes). */
static void
expect_string(const char *text, const char *want, size_t wlen)
{
	char err[256] = "";
	json_t *j = load(text, err, sizeof err);

	ck_assert_msg(j != NULL, "%s did not load: %s", text, err);
	ck_assert_msg(json_is_string(j), "%s: not a string", text);
	ck_assert_msg(json_string_length(j) == wlen &&
	    memcmp(json_string_value(j), want, wlen) == 0,
	    "%s: got %zu bytes \"%s\"", text, json_string_length(j),
	    json_string_value(j));
	json_decref(j);
}

/* text must not load. */
static void
expect_load_fails(const char *text)
{
	char err[256] = "";
	json_t *j = load(text, err, sizeof err);

	ck_assert_msg(j == NULL, "%s loaded but should not", text);
}

START_TEST(test_path_unescape)
{
	/* \udcXX is the byte, either case; everything else keeps its meaning. */
	expect_string("\"/tmp/\\udcff\\udcfe\"", "/tmp/\xff\xfe", 7);
	expect_string("\"\\uDCFF\\udC80x\"", "\xff\x80x", 3);
	expect_string("\"\\udcffA\\u00ff\"", "\xff" "A\xc3\xbf", 4);
	/* A valid pair stays a character (U+1F600). */
	expect_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	/* A high surrogate then \udcXX is a pair, not a byte. */
	expect_string("\"\\ud83d\\udcff\"", "\xf0\x9f\x93\xbf", 4);
	/* An escaped backslash then "udcff" is literal text. */
	expect_string("\"\\\\udcff\"", "\\udcff", 6);
	expect_string("\"\\\\\\udcff\"", "\\\xff", 2);
	/* Lone surrogates that are no byte, NUL, truncated escapes: refused. */
	expect_load_fails("\"\\udc7f\"");
	expect_load_fails("\"\\udc00\"");
	expect_load_fails("\"\\ud800\"");
	expect_load_fails("\"\\u0000\"");
	expect_load_fails("\"/a\\u0000\\u00ff\"");
	expect_load_fails("\"\\udcf\"");
	expect_load_fails("\"\\udc");
	expect_load_fails("\"\\");
	/* Markers are only made from \udcXX: never in a key either. */
	expect_load_fails("{\"\\udcff\":1}");
	/* Raw invalid UTF-8 in the text stays refused. */
	expect_load_fails("\"\xff\"");
}
END_TEST

START_TEST(test_path_dumps)
{
	/* Every byte string survives dump + load, and the text is UTF-8. */
	static const char *const cases[] = {
		"/tmp/\xff\xfe", "/a/\x80", "/\xc3", "/\xed\xa0\x80", "/\xf4\x90\x80\x80",
		"/ok/\xc3\xa9", "/q\"\\u0000\\udcff", "\xe2\x82", "/\xc0\xaf",
	};
	struct buf text = BUF_INIT;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *o = json_pack("{s:o, s:[o]}", "path",
		    rpc_path_to_json(cases[i]), "list", rpc_path_to_json(cases[i]));
		char *s = rpc_dumps(o, JSON_COMPACT), err[256] = "", *back;
		json_t *j;

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(utf8_valid(s), "dump of case %zu is not UTF-8", i);
		ck_assert_msg(strchr(cases[i], '\\') != NULL ||
		    strstr(s, "\\u0000") == NULL, "marker left in %s", s);
		j = load(s, err, sizeof err);
		ck_assert_msg(j != NULL, "%s did not load back: %s", s, err);
		back = rpc_path_from_json(json_object_get(j, "path"));
		ck_assert_str_eq(back, cases[i]);
		free(back);
		ck_assert_str_eq(json_string_value(json_array_get(
		    json_object_get(j, "list"), 0)), cases[i]);
		/* The original was not changed by the dump. */
		ck_assert_str_eq(json_string_value(json_object_get(o, "path")), cases[i]);
		json_decref(j);
		json_decref(o);
		free(s);
	}
	/* The documented example. */
	{
		json_t *o = rpc_path_to_json("/tmp/\xff\xfe");
		char *s = rpc_dumps(o, JSON_ENCODE_ANY);

		ck_assert_str_eq(s, "\"/tmp/\\udcff\\udcfe\"");
		free(s);
		json_decref(o);
	}
	/* The text passes alone: the escape pass leaves other \u0000 uses alone. */
	rpc_wire_escape("\"\\\\u0000\xc3\xbf\"", 11, &text);
	ck_assert_str_eq(text.data, "\"\\\\u0000\xc3\xbf\"");
	rpc_wire_escape("\"\\u0000\xc3\xbf\\u0000\xc2\x80\"", 18, &text);
	ck_assert_str_eq(text.data, "\"\\udcff\\udc80\"");
	buf_free(&text);
}
END_TEST

START_TEST(test_path_from_json)
{
	json_t *j = json_stringn_nocheck("/a\0b", 4);

	ck_assert_ptr_null(rpc_path_from_json(j));
	json_decref(j);
	j = json_integer(1);
	ck_assert_ptr_null(rpc_path_from_json(j));
	json_decref(j);
	ck_assert_ptr_null(rpc_path_from_json(NULL));
}
END_TEST

START_TEST(test_request_with_bytes)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\","
	    "\"params\":{\"path\":\"/tmp/\\udcff\\udcfe\"}}";
	struct rpc_request req;
	struct buf out = BUF_INIT;
	json_t *id = NULL, *res;
	char err[256];
	int code;

	ck_assert_int_eq(rpc_parse_request(s, strlen(s), &req, &code, &id, err,
	    sizeof err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(req.params, "path")),
	    "/tmp/\xff\xfe");
	rpc_write_result(&out, req.id, json_pack("{s:o}", "venv",
	    rpc_path_to_json("/tmp/\xff\xfe/.venv")));
	ck_assert_str_eq(out.data, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
	    "{\"venv\":\"/tmp/\\udcff\\udcfe/.venv\"}}\n");
	ck_assert_int_eq(rpc_parse_response(out.data, out.len - 1, &res, &code,
	    err, sizeof err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(res, "venv")),
	    "/tmp/\xff\xfe/.venv");
	json_decref(res);
	rpc_request_free(&req);
	buf_free(&out);
	/* \u0000 in a request is still a parse error. */
	s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resolve\","
	    "\"params\":{\"path\":\"/tmp/\\u0000\\u00ff\"}}";
	json_decref(parse_fail(s, RPC_PARSE_ERROR, "\\u0000"));
}
END_TEST

Suite *
suite_rpc(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("rpc");

	tcase_add_test(tc, test_valid_request);
	tcase_add_test(tc, test_ids_of_each_type);
	tcase_add_test(tc, test_notification);
	tcase_add_test(tc, test_invalid_json);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_write_result_and_error);
	tcase_add_test(tc, test_write_request);
	tcase_add_test(tc, test_parse_bad_responses);
	tcase_add_test(tc, test_venv_round_trip);
	tcase_add_test(tc, test_venv_from_json_missing);
	tcase_add_test(tc, test_string_lossy);
	tcase_add_test(tc, test_path_unescape);
	tcase_add_test(tc, test_path_dumps);
	tcase_add_test(tc, test_path_from_json);
	tcase_add_test(tc, test_request_with_bytes);
	suite_add_tcase(s, tc);
	return s;
}

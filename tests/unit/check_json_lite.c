/*
 * check_json_lite.c: unit tests for json_lite, the JSON reader and writer
 * of the in-shell hooks (tests/fuzz/fuzz_json_lite.c checks it against
 * jansson at large).
 */
#include "config.h"

#include <string.h>

#include "json_lite.h"
#include "suites.h"

/* Does text parse? */
static int
parses(const char *text)
{
	struct jl_value v;
	char err[128];

	if (jl_parse(text, strlen(text), &v, err, sizeof err) == -1)
		return 0;
	jl_free(&v);
	return 1;
}

START_TEST(values)
{
	const char *text = "{\"a\":[1,-2,3.5e1,true,false,null],"
	    "\"s\":\"x\\u00e9\\ud83d\\ude00\\n\",\"a\":\"last\"}";
	struct jl_value v;
	char err[128];

	ck_assert_int_eq(jl_parse(text, strlen(text), &v, err, sizeof err), 0);
	ck_assert_int_eq(v.type, JL_OBJECT);
	ck_assert_str_eq(jl_str(jl_get(&v, "a")), "last");
	ck_assert_str_eq(jl_str(jl_get(&v, "s")),
	    "x\xc3\xa9\xf0\x9f\x98\x80\n");
	ck_assert_ptr_null(jl_get(&v, "missing"));
	ck_assert_ptr_null(jl_str(jl_get(&v, "missing")));
	jl_free(&v);
}
END_TEST

START_TEST(strict)
{
	ck_assert_int_eq(parses(" [1, {\"k\": []}] \n"), 1);
	ck_assert_int_eq(parses(""), 0);
	ck_assert_int_eq(parses("[1,]"), 0);
	ck_assert_int_eq(parses("{\"a\":1,}"), 0);
	ck_assert_int_eq(parses("01"), 0);
	ck_assert_int_eq(parses("1."), 0);
	ck_assert_int_eq(parses("1e"), 0);
	ck_assert_int_eq(parses("9223372036854775807"), 1);
	ck_assert_int_eq(parses("9223372036854775808"), 0);
	ck_assert_int_eq(parses("1e400"), 0);
	ck_assert_int_eq(parses("tru"), 0);
	ck_assert_int_eq(parses("true x"), 0);
	ck_assert_int_eq(parses("\"a\tb\""), 0);	/* raw control */
	ck_assert_int_eq(parses("\"\xff\""), 0);	/* raw invalid UTF-8 */
	ck_assert_int_eq(parses("\"\\u0000\""), 0);
	ck_assert_int_eq(parses("\"\\ud800\""), 0);
	ck_assert_int_eq(parses("\"\\udc41\""), 0);
	ck_assert_int_eq(parses("\"\\x\""), 0);
	ck_assert_int_eq(parses("{\"\\udcff\":1}"), 0);	/* byte in a key */
	ck_assert_int_eq(jl_parse("8\0", 2, &(struct jl_value){ 0 },
	    (char[64]){ 0 }, 64), -1);
}
END_TEST

START_TEST(depth)
{
	char text[2 * JL_MAX_DEPTH + 3];

	memset(text, '[', JL_MAX_DEPTH);
	memset(text + JL_MAX_DEPTH, ']', JL_MAX_DEPTH);
	text[2 * JL_MAX_DEPTH] = '\0';
	ck_assert_int_eq(parses(text), 1);
	memset(text, '[', JL_MAX_DEPTH + 1);
	memset(text + JL_MAX_DEPTH + 1, ']', JL_MAX_DEPTH + 1);
	text[2 * JL_MAX_DEPTH + 2] = '\0';
	ck_assert_int_eq(parses(text), 0);
}
END_TEST

START_TEST(bytes)
{
	const char *path = "/caf\xe9/\"q\"\\\n\x1b/\xc3\xa9";
	struct buf b = BUF_INIT;
	struct jl_value v;
	char err[128];

	jl_write_string(&b, path, strlen(path));
	ck_assert_str_eq(b.data,
	    "\"/caf\\udce9/\\\"q\\\"\\\\\\n\\u001b/\xc3\xa9\"");
	ck_assert_int_eq(jl_parse(b.data, b.len, &v, err, sizeof err), 0);
	ck_assert_uint_eq(v.n, strlen(path));
	ck_assert_str_eq(jl_str(&v), path);
	jl_free(&v);
	buf_free(&b);
}
END_TEST

START_TEST(response)
{
	const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"venv\":"
	    "{\"path\":\"/p/.venv\",\"project\":\"/p\",\"python\":"
	    "\"/p/.venv/bin/python\",\"prompt\":\"p\",\"found_as\":\".venv\","
	    "\"kind\":\"uv\",\"include_system_site_packages\":true,"
	    "\"broken\":false,\"trust\":\"trusted\"},\"generation\":\"g-1\"}}";
	const char *bad = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
	    "{\"code\":-32602,\"message\":\"no\"}}";
	const struct jl_value *res;
	struct venv_info vi;
	struct jl_value root;
	char err[128];

	ck_assert_int_eq(jl_rpc_result(ok, strlen(ok), &root, &res, err,
	    sizeof err), 0);
	ck_assert_str_eq(jl_str(jl_get(res, "generation")), "g-1");
	ck_assert_int_eq(jl_venv(jl_get(res, "venv"), &vi), 0);
	ck_assert_str_eq(vi.path, "/p/.venv");
	ck_assert_str_eq(vi.trust, "trusted");
	ck_assert_ptr_null(vi.broken);
	ck_assert_int_eq(vi.kind, VENV_KIND_UV);
	ck_assert_int_eq(vi.include_system_site_packages, 1);
	venv_info_free(&vi);
	ck_assert_int_eq(jl_venv(jl_get(res, "generation"), &vi), -1);
	jl_free(&root);
	ck_assert_int_eq(jl_rpc_result(bad, strlen(bad), &root, &res, err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "no");
	ck_assert_int_eq(jl_rpc_result("[]", 2, &root, &res, err,
	    sizeof err), -1);
	ck_assert_int_eq(jl_rpc_result("{}", 2, &root, &res, err,
	    sizeof err), -1);
}
END_TEST

/* The json_lite suite. */
Suite *
suite_json_lite(void)
{
	Suite *s = suite_create("json_lite");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, values);
	tcase_add_test(tc, strict);
	tcase_add_test(tc, depth);
	tcase_add_test(tc, bytes);
	tcase_add_test(tc, response);
	suite_add_tcase(s, tc);
	return s;
}

/* check_toml.c: the small TOML reader (common/toml.c). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "suites.h"
#include "toml.h"
#include "xmalloc.h"

/*
 * The string at the dotted path (components split at '.') in text, or
 * NULL; *rc gets toml_lookup's result.
 */
static char *
get(const char *text, enum toml_type type, const char *path, int *rc, char *err,
    size_t errlen)
{
	const char *keys[TOML_MAX_KEYS];
	char *copy = xstrdup(path), *p = copy, *s, *out = NULL;
	struct toml_want w;
	size_t n = 0;

	while ((s = strsep(&p, ".")) != NULL)
		keys[n++] = s;
	memset(&w, 0, sizeof w);
	w.keys = keys;
	w.nkeys = n;
	w.type = type;
	*rc = toml_lookup(text, strlen(text), &w, 1, err, errlen);
	if (w.found) {
		if (type == TOML_STRING)
			out = xstrdup(w.str);
		else
			out = xstrdup(type == TOML_TABLE ? "table" :
			    w.boolean ? "true" : "false");
	}
	toml_wants_free(&w, 1);
	free(copy);
	return out;
}

/* Assert that path in text is the string (or "true"/"false"/"table") want, NULL for absent. */
static void
expect(const char *text, enum toml_type type, const char *path, const char *want)
{
	char err[256] = "", *got;
	int rc;

	got = get(text, type, path, &rc, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: unexpected error %s", path, err);
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: found %s", path, got);
	else {
		ck_assert_msg(got != NULL, "%s: not found", path);
		ck_assert_str_eq(got, want);
	}
	free(got);
}

/* Assert that text is refused, with err containing frag. */
static void
refused(const char *text, const char *frag)
{
	char err[256] = "";

	ck_assert_msg(toml_parse(text, strlen(text), NULL, NULL, err, sizeof err) == -1,
	    "accepted: %s", text);
	ck_assert_msg(strstr(err, frag) != NULL, "error \"%s\" lacks \"%s\"", err, frag);
}

/* A pyproject.toml as Poetry 1.3.2's "poetry new" writes it, and more. */
static const char pyproject[] =
    "# comment\n"
    "[tool.poetry]\n"
    "name = \"My Proj\"\n"
    "version = \"0.1.0\"\n"
    "authors = [\"Ana <ana@example.org>\", 'x # not a comment ]']\n"
    "readme = \"README.md\"\n"
    "packages = [\n"
    "  { include = \"my_proj\" },   # comment\n"
    "  {include = \"b\", from = \"src\"},\n"
    "]\n"
    "\n"
    "[tool.poetry.dependencies]\n"
    "python = \"^3.8\"\n"
    "requests = { version = \"^2.0\", optional = true }\n"
    "\n"
    "[build-system]\n"
    "requires = [\"poetry-core\"]\n"
    "build-backend = \"poetry.core.masonry.api\"\n";

/* The keys venvd reads, among the rest of a real file. */
START_TEST(test_pyproject)
{
	expect(pyproject, TOML_TABLE, "tool.poetry", "table");
	expect(pyproject, TOML_TABLE, "tool", "table");
	expect(pyproject, TOML_STRING, "tool.poetry.name", "My Proj");
	expect(pyproject, TOML_STRING, "build-system.build-backend",
	    "poetry.core.masonry.api");
	expect(pyproject, TOML_BOOL, "tool.poetry.dependencies.requests.optional", "true");
	/* Array values are never reported. */
	expect(pyproject, TOML_STRING, "tool.poetry.packages.include", NULL);
	expect(pyproject, TOML_TABLE, "project", NULL);
	/* A name of another type is not a string. */
	expect(pyproject, TOML_BOOL, "tool.poetry.name", NULL);
	expect(pyproject, TOML_TABLE, "tool.poetry.name", NULL);
}
END_TEST

/* A table named only through a subtable or a dotted key still exists. */
START_TEST(test_implicit_tables)
{
	expect("[tool.poetry.dependencies]\npython = \"^3.8\"\n", TOML_TABLE,
	    "tool.poetry", "table");
	expect("tool.poetry.name = \"x\"\n", TOML_TABLE, "tool.poetry", "table");
	expect("tool.poetry.name = \"x\"\n", TOML_STRING, "tool.poetry.name", "x");
	expect("tool = { poetry = { name = \"y\" } }\n", TOML_STRING,
	    "tool.poetry.name", "y");
	expect("tool.poetry = {}\n", TOML_TABLE, "tool.poetry", "table");
	expect("tool.poetry = \"no\"\n", TOML_TABLE, "tool.poetry", NULL);
	expect("[tool.poetryx]\n", TOML_TABLE, "tool.poetry", NULL);
	/* A table [a] and a dotted key a.b in another table are different paths. */
	expect("[x]\npython.path = \"/p\"\n", TOML_STRING, "python.path", NULL);
	expect("[x]\npython.path = \"/p\"\n", TOML_STRING, "x.python.path", "/p");
}
END_TEST

/* Quoted keys, whitespace around dots, and keys that look like other things. */
START_TEST(test_keys)
{
	expect("[\"my_proj-Z_fLdNr_\"]\nminor = \"3.11\"\n", TOML_STRING,
	    "my_proj-Z_fLdNr_.minor", "3.11");
	expect("[my_proj-Z_fLdNr_]\nminor = \"3.11\"\npatch = \"3.11.2\"\n",
	    TOML_STRING, "my_proj-Z_fLdNr_.minor", "3.11");
	expect("[ 'virtualenvs' . \"path\" ]\n", TOML_TABLE, "virtualenvs.path", "table");
	expect("virtualenvs . 'in-project' = true\n", TOML_BOOL,
	    "virtualenvs.in-project", "true");
	expect("\"a\\u00e9\" = \"v\"\n", TOML_STRING, "a\xc3\xa9", "v");
	expect("\"\" = \"empty key\"\n", TOML_STRING, "", "empty key");
	expect("1234 = \"digits\"\ntrue = false\n", TOML_BOOL, "true", "false");
	expect("[\"dotted.name\"]\nk = \"v\"\n", TOML_STRING, "dotted.name.k", NULL);
}
END_TEST

/* Every escape, literal strings, multi-line strings and their trims. */
START_TEST(test_strings)
{
	expect("k = \"a\\\"b\\\\c\\td\\ne\\bf\\fg\\rh\"\n", TOML_STRING, "k",
	    "a\"b\\c\td\ne\bf\fg\rh");
	expect("k = \"\\u00C9\\U0001F600\"\n", TOML_STRING, "k", "\xc3\x89\xf0\x9f\x98\x80");
	expect("k = 'C:\\path\\x'\n", TOML_STRING, "k", "C:\\path\\x");
	expect("k = \"\"\"\nline1\nline2\"\"\"\n", TOML_STRING, "k", "line1\nline2");
	expect("k = \"\"\"\r\nline1\r\nline2\"\"\"\r\n", TOML_STRING, "k", "line1\nline2");
	expect("k = \"\"\"one \\\n    two\"\"\"\n", TOML_STRING, "k", "one two");
	expect("k = \"\"\"a\"\"b\"\"\"\"\"\n", TOML_STRING, "k", "a\"\"b\"\"");
	expect("k = '''\nraw \\n '' '''\n", TOML_STRING, "k", "raw \\n '' ");
	expect("k = ''''a'''\n", TOML_STRING, "k", "'a");
	expect("k = \"tab\there\"\n", TOML_STRING, "k", "tab\there");
	expect("k = \"\"\n", TOML_STRING, "k", "");
	expect("k = \"caf\xc3\xa9 \xe2\x82\xac\"\n", TOML_STRING, "k", "caf\xc3\xa9 \xe2\x82\xac");
}
END_TEST

/* Numbers, dates, times, arrays and inline tables are read through. */
START_TEST(test_skipped_values)
{
	static const char text[] =
	    "i = +99\nj = -17\nk = 1_000\nh = 0xDEAD_beef\no = 0o755\nb = 0b1101\n"
	    "f = 6.626e-34\ng = -inf\nn = nan\n"
	    "odt = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27 07:32:00.999-07:00\n"
	    "ld = 1979-05-27\nlt = 00:32:00.999\nleap = 2024-02-29t23:59:59z\n"
	    "e = 1e06\ne2 = -2E-2\nz = -0\nx = 0o7_7\nbb = 0b1_0\n"
	    "a = [ [1, 2], [\"a\", 'b'], [ { x = 1 } ], ]\n"
	    "m = [\n  1, # one\n  2\n\n]\n"
	    "t = { a = 1, b.c = \"bc\", d = [1, { e = true }] }\n"
	    "after = true\n";

	expect(text, TOML_BOOL, "after", "true");
	expect(text, TOML_STRING, "t.b.c", "bc");
	expect(text, TOML_BOOL, "t.d.e", NULL);
	expect(text, TOML_STRING, "odt", NULL);
}
END_TEST

/* Keys under [[arrays of tables]] are not reported; a later [table] is. */
START_TEST(test_array_of_tables)
{
	static const char text[] =
	    "[[tool.poetry.source]]\nname = \"pypi-mirror\"\nurl = \"x\"\n"
	    "[[tool.poetry.source]]\nname = \"other\"\n"
	    "[tool.poetry.extra]\nk = \"v\"\n";

	expect(text, TOML_STRING, "tool.poetry.source.name", NULL);
	expect(text, TOML_STRING, "tool.poetry.extra.k", "v");
	expect(text, TOML_TABLE, "tool.poetry", "table");
}
END_TEST

/* What TOML forbids is refused, with the line. */
START_TEST(test_refused)
{
	refused("k = \"open\n", "line 1: newline in a one-line string");
	refused("a = 1\nk = \"open", "line 2: unterminated");
	refused("k = \"\\q\"\n", "invalid escape");
	refused("k = \"\\uD800\"\n", "no Unicode scalar");
	refused("k = \"\\U00110000\"\n", "no Unicode scalar");
	refused("k = \"\\u12\"\n", "hex digits");
	refused("k = \"a\x01\"\n", "control character");
	refused("k = \"a\x7f\"\n", "control character");
	refused("# bell \x07\n", "control character in a comment");
	refused("k = 1\r", "carriage return");
	refused("k = \"\"\"a\rb\"\"\"", "carriage return");
	refused("k = 'a\nb'\n", "newline");
	refused("k \"v\"\n", "expected '='");
	refused("= \"v\"\n", "key is missing");
	refused("k = \"v\" x\n", "after a value");
	refused("k = \n", "value is missing");
	refused("k = tru\n", "invalid");
	refused("k = 01\n", "invalid value");
	refused("k = 1__0\n", "invalid value");
	refused("k = 0x\n", "invalid value");
	refused("k = 1e\n", "invalid value");
	refused("k = 1.\n", "invalid value");
	refused("k = +0x1\n", "invalid value");
	refused("k = 2023-02-29\n", "invalid value");
	refused("k = 1979-05-27T24:00:00\n", "invalid value");
	refused("k = 1979-05-27T07:32\n", "invalid value");
	refused("k = 1979-05-27T07:32:00+7:00\n", "invalid value");
	refused("k = True\n", "invalid");
	refused("k = { a = 1, }\n", "key is missing");
	refused("k = { a = 1\n}\n", "expected ',' or '}'");
	refused("k = [1 2]\n", "expected ',' or ']'");
	refused("k = [,]\n", "where a value belongs");
	refused("[tool\n", "expected ']'");
	refused("[[tool]\n", "expected ']]'");
	refused("[] \n", "key is missing");
	refused("[a] b = 1\n", "after a value");
	refused("\"\"\"k\"\"\" = 1\n", "multi-line string cannot be a key");
	refused("\"a\\u0000b\" = 1\n", "U+0000");
	refused("k = \"\xff\"\n", "not UTF-8");
	refused("k = \"\xc3\"\n", "not UTF-8");
	refused("\xef\xbb\xbfk = 1\n", "key is missing");
	refused("k = \"\"\"a\"\"\"\"\"\"\n", "too many quotes");
}
END_TEST

/* Nesting and path length are bounded. */
START_TEST(test_limits)
{
	struct buf b = BUF_INIT;
	char err[256];

	buf_puts(&b, "k = ");
	for (int i = 0; i < TOML_MAX_DEPTH; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < TOML_MAX_DEPTH; i++)
		buf_putc(&b, ']');
	buf_putc(&b, '\n');
	ck_assert_int_eq(toml_parse(b.data, b.len, NULL, NULL, err, sizeof err), 0);
	buf_reset(&b);
	buf_puts(&b, "k = ");
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	ck_assert_int_eq(toml_parse(b.data, b.len, NULL, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "nested deeper"));
	buf_reset(&b);
	buf_puts(&b, "[a");
	for (int i = 0; i < TOML_MAX_KEYS; i++)
		buf_puts(&b, ".a");
	buf_puts(&b, "]\n");
	ck_assert_int_eq(toml_parse(b.data, b.len, NULL, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "keys nested deeper"));
	buf_free(&b);
	/* An empty text is a valid, empty document. */
	ck_assert_int_eq(toml_parse("", 0, NULL, NULL, err, sizeof err), 0);
}
END_TEST

/* A wanted key set twice, or a wanted string holding U+0000, is an error. */
START_TEST(test_lookup_refuses)
{
	char err[256] = "", *got;
	int rc;

	got = get("[python]\npath = \"/a\"\npath = \"/b\"\n", TOML_STRING,
	    "python.path", &rc, err, sizeof err);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(got);
	ck_assert_ptr_nonnull(strstr(err, "more than once"));
	got = get("python = { path = \"/a\" }\n[python]\npath = 1\n", TOML_STRING,
	    "python.path", &rc, err, sizeof err);
	ck_assert_int_eq(rc, -1);
	got = get("k = \"a\\u0000b\"\n", TOML_STRING, "k", &rc, err, sizeof err);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(got);
	/* Other keys may repeat: only what is asked for is checked. */
	got = get("a = 1\na = 2\nk = \"v\"\n", TOML_STRING, "k", &rc, err, sizeof err);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "v");
	free(got);
}
END_TEST

Suite *
suite_toml(void)
{
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pyproject);
	tcase_add_test(tc, test_implicit_tables);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_skipped_values);
	tcase_add_test(tc, test_array_of_tables);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_lookup_refuses);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * toml.c: a small, strict TOML 1.0 reader (toml.h). Debian 12 packages
 * no TOML library for C (only C++ ones: cpptoml, toml11, toml++), and
 * venvd needs a handful of keys, so this reads the whole syntax but
 * keeps only tables, strings and booleans. Pure; fuzzed by
 * tests/fuzz/fuzz_toml.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "toml.h"
#include "utf8.h"
#include "xmalloc.h"

struct toml_parser {
	const char	*p;
	const char	*end;
	size_t		 line;
	toml_visit_fn	 visit;
	void		*ctx;
	char		*keys[TOML_MAX_KEYS];	/* the current key path */
	size_t		 nkeys;
	size_t		 ntable;	/* how many of keys the table header gave */
	int		 hidden;	/* under [[an array of tables]] */
	char		*err;
	size_t		 errlen;
};

/* Record "line N: why" (the first problem only) and return -1. */
static int __attribute__((format(printf, 2, 3)))
tp_fail(struct toml_parser *tp, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (tp->errlen > 0)
		snprintf(tp->err, tp->errlen, "line %zu: %s", tp->line, msg);
	return -1;
}

/* The next byte, or -1 at the end. */
static int
tp_peek(const struct toml_parser *tp)
{
	return tp->p < tp->end ? (unsigned char)*tp->p : -1;
}

/* Does the text at the cursor start with s? */
static int
tp_at(const struct toml_parser *tp, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(tp->end - tp->p) >= n && memcmp(tp->p, s, n) == 0;
}

/* Is c a control character TOML forbids in strings and comments (tab is allowed)? */
static int
is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Skip spaces and tabs. */
static void
tp_skip_ws(struct toml_parser *tp)
{
	while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t'))
		tp->p++;
}

/* Consume a newline (LF or CRLF): 1, else 0. */
static int
tp_newline(struct toml_parser *tp)
{
	if (tp_at(tp, "\n"))
		tp->p++;
	else if (tp_at(tp, "\r\n"))
		tp->p += 2;
	else
		return 0;
	tp->line++;
	return 1;
}

/* Skip a comment from '#' up to its newline (not consumed). */
static int
tp_skip_comment(struct toml_parser *tp)
{
	int c;

	if (tp_peek(tp) != '#')
		return 0;
	while ((c = tp_peek(tp)) != -1 && c != '\n') {
		if (c == '\r') {
			if (!tp_at(tp, "\r\n"))
				return tp_fail(tp, "carriage return without a line feed");
			break;
		}
		if (is_control(c))
			return tp_fail(tp, "control character in a comment");
		tp->p++;
	}
	return 0;
}

/* Skip whitespace, comments and newlines (inside an array). */
static int
tp_skip_blank(struct toml_parser *tp)
{
	for (;;) {
		tp_skip_ws(tp);
		if (tp_skip_comment(tp) == -1)
			return -1;
		if (!tp_newline(tp))
			return 0;
	}
}

/* After a key/value pair or a header: only whitespace and a comment up to the newline or the end. */
static int
tp_end_of_line(struct toml_parser *tp)
{
	tp_skip_ws(tp);
	if (tp_skip_comment(tp) == -1)
		return -1;
	if (tp->p == tp->end || tp_newline(tp))
		return 0;
	if (*tp->p == '\r')
		return tp_fail(tp, "carriage return without a line feed");
	return tp_fail(tp, "unexpected '%c' after a value", *tp->p);
}

/* The value of hex digit c, or -1. */
static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append code point cp as UTF-8. */
static void
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, u, n);
}

/* An escape after the backslash (already consumed) of a basic string. */
static int
tp_escape(struct toml_parser *tp, struct buf *b, int multi)
{
	unsigned long cp = 0;
	int c = tp_peek(tp), n;

	switch (c) {
	case 'b': buf_putc(b, '\b'); break;
	case 't': buf_putc(b, '\t'); break;
	case 'n': buf_putc(b, '\n'); break;
	case 'f': buf_putc(b, '\f'); break;
	case 'r': buf_putc(b, '\r'); break;
	case '"': buf_putc(b, '"'); break;
	case '\\': buf_putc(b, '\\'); break;
	case 'u':
	case 'U':
		tp->p++;
		n = c == 'u' ? 4 : 8;
		for (int i = 0; i < n; i++) {
			int h = hex_value(tp_peek(tp));

			if (h == -1)
				return tp_fail(tp, "\\%c needs %d hex digits", c, n);
			cp = cp << 4 | (unsigned long)h;
			tp->p++;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return tp_fail(tp, "\\%c names no Unicode scalar value", c);
		put_utf8(b, cp);
		return 0;
	default:
		if (!multi || (c != ' ' && c != '\t' && c != '\n' && c != '\r'))
			return tp_fail(tp, "invalid escape in a string");
		/* A line-ending backslash: drop the newline and the blanks after it. */
		tp_skip_ws(tp);
		if (!tp_newline(tp))
			return tp_fail(tp, "invalid escape in a string");
		for (;;) {
			tp_skip_ws(tp);
			if (!tp_newline(tp))
				break;
		}
		return 0;
	}
	tp->p++;
	return 0;
}

/*
 * A string whose opening quote q (one, or three when multi) is under
 * the cursor, into b. Basic strings (q '"') take escapes.
 */
static int
tp_string(struct toml_parser *tp, struct buf *b, int q, int multi)
{
	int c;

	tp->p += multi ? 3 : 1;
	/* A newline right after the opening delimiter is trimmed. */
	if (multi)
		tp_newline(tp);
	for (;;) {
		if ((c = tp_peek(tp)) == -1)
			return tp_fail(tp, "unterminated string");
		if (c == q) {
			size_t run = 0;

			if (!multi) {
				tp->p++;
				return 0;
			}
			while (tp->p + run < tp->end && tp->p[run] == q)
				run++;
			if (run >= 3) {
				/* One or two quotes may sit just before the closing three. */
				if (run > 5)
					return tp_fail(tp, "too many quotes in a row");
				for (size_t i = 3; i < run; i++)
					buf_putc(b, (char)q);
				tp->p += run;
				return 0;
			}
			buf_append(b, tp->p, run);
			tp->p += run;
			continue;
		}
		if (c == '\\' && q == '"') {
			tp->p++;
			if (tp_escape(tp, b, multi) == -1)
				return -1;
			continue;
		}
		if (multi && (c == '\n' || c == '\r')) {
			if (!tp_newline(tp))
				return tp_fail(tp, "carriage return without a line feed");
			buf_putc(b, '\n');
			continue;
		}
		if (c == '\n' || c == '\r')
			return tp_fail(tp, "newline in a one-line string");
		if (is_control(c))
			return tp_fail(tp, "control character in a string");
		buf_putc(b, (char)c);
		tp->p++;
	}
}

/* Is c allowed in a bare key? */
static int
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Push a key component of len bytes onto the path. */
static int
tp_push(struct toml_parser *tp, const char *s, size_t len)
{
	if (tp->nkeys == TOML_MAX_KEYS)
		return tp_fail(tp, "keys nested deeper than %d", TOML_MAX_KEYS);
	if (memchr(s, '\0', len) != NULL)
		return tp_fail(tp, "a key holds U+0000");
	tp->keys[tp->nkeys++] = xstrndup(s, len);
	return 0;
}

/* Pop the path back to n components. */
static void
tp_pop(struct toml_parser *tp, size_t n)
{
	while (tp->nkeys > n)
		free(tp->keys[--tp->nkeys]);
}

/* A (dotted) key, each component pushed onto the path. */
static int
tp_key(struct toml_parser *tp)
{
	struct buf b = BUF_INIT;
	const char *start;
	int c, rc;

	for (;;) {
		tp_skip_ws(tp);
		c = tp_peek(tp);
		if (c == '"' || c == '\'') {
			if (tp_at(tp, c == '"' ? "\"\"\"" : "'''")) {
				buf_free(&b);
				return tp_fail(tp, "a multi-line string cannot be a key");
			}
			buf_reset(&b);
			if (tp_string(tp, &b, c, 0) == -1) {
				buf_free(&b);
				return -1;
			}
			rc = tp_push(tp, b.data != NULL ? b.data : "", b.len);
		} else if (is_bare(c)) {
			start = tp->p;
			while (is_bare(tp_peek(tp)))
				tp->p++;
			rc = tp_push(tp, start, (size_t)(tp->p - start));
		} else {
			buf_free(&b);
			return tp_fail(tp, "a key is missing");
		}
		if (rc == -1) {
			buf_free(&b);
			return -1;
		}
		tp_skip_ws(tp);
		if (tp_peek(tp) != '.')
			break;
		tp->p++;
	}
	buf_free(&b);
	return 0;
}

/* Report a value at the current path, unless hidden. */
static void
tp_report(struct toml_parser *tp, int report, const struct toml_value *v)
{
	if (report && tp->visit != NULL)
		tp->visit(tp->ctx, (const char *const *)tp->keys, tp->nkeys, v);
}

/* Is c part of a number, date or time? */
static int
is_scalar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
	    c == '.' || c == ':';
}

/* Is the token s (n bytes) a date, YYYY-MM-DD? */
static int
is_date(const char *s, size_t n)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	return 1;
}

/* The value of the n digits at s (all checked to be digits), or -1. */
static long
digits(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Skip digits of base (10, 16, 8 or 2) with single '_' between them: how many bytes, 0 if none or misplaced. */
static size_t
digit_run(const char *s, size_t n, int base)
{
	size_t i = 0;

	for (;;) {
		int c = i < n ? (unsigned char)s[i] : -1, ok;

		ok = base == 16 ? hex_value(c) != -1 :
		    (c >= '0' && c < '0' + (base < 10 ? base : 10));
		if (!ok)
			return 0;
		i++;
		if (i < n && s[i] == '_')
			i++;
		else if (i == n || !(base == 16 ? hex_value((unsigned char)s[i]) != -1 :
		    (s[i] >= '0' && s[i] < '0' + (base < 10 ? base : 10))))
			return i;
	}
}

/* Is s (n bytes) a TOML integer or float? */
static int
is_number(const char *s, size_t n)
{
	size_t i = 0, k;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;

		return digit_run(s + 2, n - 2, base) == n - 2;
	}
	if (s[0] == '+' || s[0] == '-')
		i++;
	if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0))
		return 1;
	if ((k = digit_run(s + i, n - i, 10)) == 0)
		return 0;
	/* No leading zeros in the integer part. */
	if (s[i] == '0' && k > 1)
		return 0;
	i += k;
	if (i < n && s[i] == '.') {
		i++;
		if ((k = digit_run(s + i, n - i, 10)) == 0)
			return 0;
		i += k;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if ((k = digit_run(s + i, n - i, 10)) == 0)
			return 0;
		i += k;
	}
	return i == n;
}

/* Is s (n bytes) HH:MM:SS with an optional fraction? Its length in *used. */
static int
is_time(const char *s, size_t n, size_t *used)
{
	size_t i = 8;

	if (n < 8 || s[2] != ':' || s[5] != ':' || digits(s, 2) > 23 ||
	    digits(s, 2) < 0 || digits(s + 3, 2) < 0 || digits(s + 3, 2) > 59 ||
	    digits(s + 6, 2) < 0 || digits(s + 6, 2) > 59)
		return 0;
	if (i < n && s[i] == '.') {
		size_t f = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return 0;
	}
	*used = i;
	return 1;
}

/* Is the date s (is_date) one of the calendar? */
static int
is_calendar_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* Is s (n bytes) a date, a time, or a date and a time with an optional offset? */
static int
is_datetime(const char *s, size_t n)
{
	size_t used;

	if (n >= 10 && is_date(s, 10)) {
		if (!is_calendar_date(s))
			return 0;
		if (n == 10)
			return 1;
		if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
			return 0;
		s += 11;
		n -= 11;
		if (!is_time(s, n, &used))
			return 0;
		s += used;
		n -= used;
		if (n == 0 || (n == 1 && (s[0] == 'Z' || s[0] == 'z')))
			return 1;
		return n == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' &&
		    digits(s + 1, 2) >= 0 && digits(s + 1, 2) <= 23 &&
		    digits(s + 4, 2) >= 0 && digits(s + 4, 2) <= 59;
	}
	return is_time(s, n, &used) && used == n;
}

/* A boolean, or a number, date or time (checked, reported as TOML_OTHER). */
static int
tp_scalar(struct toml_parser *tp, int report)
{
	struct toml_value v = { TOML_BOOL, NULL, 0, 0 };
	const char *s = tp->p;
	size_t n;

	while (is_scalar(tp_peek(tp)))
		tp->p++;
	n = (size_t)(tp->p - s);
	/* A date and a time may be separated by a space. */
	if (is_date(s, n) && tp_at(tp, " ") && tp->p + 1 < tp->end &&
	    tp->p[1] >= '0' && tp->p[1] <= '9') {
		tp->p++;
		while (is_scalar(tp_peek(tp)))
			tp->p++;
	}
	n = (size_t)(tp->p - s);
	if (n == 4 && memcmp(s, "true", 4) == 0)
		v.boolean = 1;
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		v.boolean = 0;
	else if (n > 0 && (is_number(s, n) || is_datetime(s, n)))
		v.type = TOML_OTHER;
	else if (n == 0 && tp->p < tp->end && *tp->p != '\n' &&
	    *tp->p != '\r' && *tp->p != '#')
		return tp_fail(tp, "unexpected '%c' where a value belongs", *tp->p);
	else if (n == 0)
		return tp_fail(tp, "a value is missing");
	else
		return tp_fail(tp, "invalid value");
	tp_report(tp, report, &v);
	return 0;
}

static int	tp_value(struct toml_parser *, int, int);

/* An array (its values are read and reported as nothing). */
static int
tp_array(struct toml_parser *tp, int depth)
{
	tp->p++;
	for (;;) {
		if (tp_skip_blank(tp) == -1)
			return -1;
		if (tp_peek(tp) == ']') {
			tp->p++;
			return 0;
		}
		if (tp_value(tp, 0, depth + 1) == -1 || tp_skip_blank(tp) == -1)
			return -1;
		if (tp_peek(tp) == ',') {
			tp->p++;
			continue;
		}
		if (tp_peek(tp) == ']') {
			tp->p++;
			return 0;
		}
		return tp_fail(tp, "expected ',' or ']' in an array");
	}
}

/* An inline table { k = v, ... }: one line, no trailing comma. */
static int
tp_inline_table(struct toml_parser *tp, int report, int depth)
{
	struct toml_value v = { TOML_TABLE, NULL, 0, 0 };
	size_t base = tp->nkeys;

	tp->p++;
	tp_report(tp, report, &v);
	tp_skip_ws(tp);
	if (tp_peek(tp) == '}') {
		tp->p++;
		return 0;
	}
	for (;;) {
		if (tp_key(tp) == -1)
			return -1;
		if (tp_peek(tp) != '=')
			return tp_fail(tp, "expected '=' after a key");
		tp->p++;
		tp_skip_ws(tp);
		if (tp_value(tp, report, depth + 1) == -1)
			return -1;
		tp_pop(tp, base);
		tp_skip_ws(tp);
		if (tp_peek(tp) == ',') {
			tp->p++;
			continue;
		}
		if (tp_peek(tp) == '}') {
			tp->p++;
			return 0;
		}
		return tp_fail(tp, "expected ',' or '}' in an inline table");
	}
}

/* One value at the current path; reported when report is set. */
static int
tp_value(struct toml_parser *tp, int report, int depth)
{
	struct toml_value v = { TOML_STRING, NULL, 0, 0 };
	struct buf b = BUF_INIT;
	int c = tp_peek(tp), multi;

	if (depth > TOML_MAX_DEPTH)
		return tp_fail(tp, "values nested deeper than %d", TOML_MAX_DEPTH);
	if (c == '"' || c == '\'') {
		multi = tp_at(tp, c == '"' ? "\"\"\"" : "'''");
		if (tp_string(tp, &b, c, multi) == -1) {
			buf_free(&b);
			return -1;
		}
		v.str = b.data != NULL ? b.data : "";
		v.len = b.len;
		tp_report(tp, report, &v);
		buf_free(&b);
		return 0;
	}
	if (c == '[') {
		v.type = TOML_OTHER;
		tp_report(tp, report, &v);
		return tp_array(tp, depth);
	}
	if (c == '{')
		return tp_inline_table(tp, report, depth);
	return tp_scalar(tp, report);
}

/* A [table] or [[array of tables]] header, the '[' under the cursor. */
static int
tp_header(struct toml_parser *tp)
{
	struct toml_value v = { TOML_TABLE, NULL, 0, 0 };
	int aot = tp_at(tp, "[[");

	tp->p += aot ? 2 : 1;
	tp_pop(tp, 0);
	if (tp_key(tp) == -1)
		return -1;
	if (!tp_at(tp, aot ? "]]" : "]"))
		return tp_fail(tp, "expected '%s' after a table name", aot ? "]]" : "]");
	tp->p += aot ? 2 : 1;
	tp->ntable = tp->nkeys;
	tp->hidden = aot;
	tp_report(tp, !aot, &v);
	return tp_end_of_line(tp);
}

/* key = value, the key under the cursor. */
static int
tp_keyval(struct toml_parser *tp)
{
	if (tp_key(tp) == -1)
		return -1;
	if (tp_peek(tp) != '=')
		return tp_fail(tp, "expected '=' after a key");
	tp->p++;
	tp_skip_ws(tp);
	if (tp_value(tp, !tp->hidden, 0) == -1)
		return -1;
	tp_pop(tp, tp->ntable);
	return tp_end_of_line(tp);
}

/* Refuse text that is not UTF-8, naming the line. */
static int
tp_check_utf8(struct toml_parser *tp)
{
	const char *p = tp->p;

	while (p < tp->end) {
		size_t n = utf8_char_len(p, (size_t)(tp->end - p));

		if (n == 0)
			return tp_fail(tp, "not UTF-8");
		if (*p == '\n')
			tp->line++;
		p += n;
	}
	tp->line = 1;
	return 0;
}

/* Read text and report each table, string and boolean to visit. */
int
toml_parse(const char *text, size_t len, toml_visit_fn visit, void *ctx,
    char *err, size_t errlen)
{
	struct toml_parser tp;
	int rc = 0, c;

	memset(&tp, 0, sizeof tp);
	tp.p = text;
	tp.end = text + len;
	tp.line = 1;
	tp.visit = visit;
	tp.ctx = ctx;
	tp.err = err;
	tp.errlen = errlen;
	if (len > 0 && tp_check_utf8(&tp) == -1)
		return -1;
	while (rc == 0) {
		tp_skip_ws(&tp);
		if ((c = tp_peek(&tp)) == -1)
			break;
		if (c == '#')
			rc = tp_skip_comment(&tp);
		else if (c == '\n' || c == '\r') {
			if (!tp_newline(&tp))
				rc = tp_fail(&tp, "carriage return without a line feed");
		} else if (c == '[')
			rc = tp_header(&tp);
		else
			rc = tp_keyval(&tp);
	}
	tp_pop(&tp, 0);
	return rc;
}

struct lookup {
	struct toml_want *wants;
	size_t	 n;
	int	*defs;		/* how often each want's path was set */
	int	 bad;		/* a wanted string held U+0000 */
};

/* Is keys[0..n) the same path as, or (prefix) starts with, w's? */
static int
path_match(const char *const *keys, size_t n, const struct toml_want *w,
    int prefix)
{
	if (prefix ? n < w->nkeys : n != w->nkeys)
		return 0;
	for (size_t i = 0; i < w->nkeys; i++) {
		if (strcmp(keys[i], w->keys[i]) != 0)
			return 0;
	}
	return 1;
}

/* toml_lookup's visitor: fill the wants this value answers. */
static void
lookup_visit(void *ctx, const char *const *keys, size_t nkeys,
    const struct toml_value *v)
{
	struct lookup *lk = ctx;

	for (size_t i = 0; i < lk->n; i++) {
		struct toml_want *w = &lk->wants[i];

		if (w->type == TOML_TABLE) {
			if (path_match(keys, nkeys, w, 1) &&
			    (nkeys > w->nkeys || v->type == TOML_TABLE))
				w->found = 1;
			continue;
		}
		if (!path_match(keys, nkeys, w, 0))
			continue;
		lk->defs[i]++;
		if (v->type != w->type)
			continue;
		if (v->type == TOML_BOOL) {
			w->boolean = v->boolean;
			w->found = 1;
		} else if (memchr(v->str, '\0', v->len) != NULL)
			lk->bad = 1;
		else {
			free(w->str);
			w->str = xstrdup(v->str);
			w->found = 1;
		}
	}
}

/* Look up each want in text. */
int
toml_lookup(const char *text, size_t len, struct toml_want *wants, size_t n,
    char *err, size_t errlen)
{
	struct lookup lk;
	int rc;

	for (size_t i = 0; i < n; i++) {
		wants[i].found = 0;
		wants[i].str = NULL;
		wants[i].boolean = 0;
	}
	lk.wants = wants;
	lk.n = n;
	lk.defs = xcalloc(n > 0 ? n : 1, sizeof *lk.defs);
	lk.bad = 0;
	rc = toml_parse(text, len, lookup_visit, &lk, err, errlen);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (lk.defs[i] > 1) {
			snprintf(err, errlen, "%s is set more than once",
			    wants[i].keys[wants[i].nkeys - 1]);
			rc = -1;
		}
	}
	if (rc == 0 && lk.bad) {
		snprintf(err, errlen, "a string holds U+0000");
		rc = -1;
	}
	free(lk.defs);
	if (rc == -1)
		toml_wants_free(wants, n);
	return rc;
}

/* Free the strings toml_lookup found and clear the results. */
void
toml_wants_free(struct toml_want *wants, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(wants[i].str);
		wants[i].str = NULL;
		wants[i].found = 0;
		wants[i].boolean = 0;
	}
}

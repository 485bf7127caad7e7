/*
 * json_lite.c: a small strict JSON reader and writer, for the code that
 * is loaded into shells (json_lite.h). A recursive descent parser over
 * the text, building a tree of jl_value; no I/O.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_lite.h"
#include "utf8.h"
#include "xmalloc.h"

struct jl_parser {
	const unsigned char	*p;
	const unsigned char	*end;
	int			 depth;
	char			*err;
	size_t			 errlen;
};

static int	parse_value(struct jl_parser *, struct jl_value *);

/* Record why the text is refused; always -1. */
static int
fail(struct jl_parser *ps, const char *what)
{
	snprintf(ps->err, ps->errlen, "%s at offset %zu", what,
	    (size_t)(ps->end - ps->p));
	return -1;
}

/* Skip JSON whitespace. */
static void
skip_ws(struct jl_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/*
 * The \u escape at ps->p (after the backslash and 'u'), with its low
 * half when it is a high surrogate. Appends it; *bytes is set when it
 * was a byte escape (\udc80..\udcff). -1 when refused.
 */
static int
parse_u_escape(struct jl_parser *ps, struct buf *b, int *bytes)
{
	long v, w;

	if (ps->end - ps->p < 4 || (v = utf8_hex4((const char *)ps->p)) == -1)
		return fail(ps, "invalid \\u escape");
	ps->p += 4;
	if (v == 0)
		return fail(ps, "\\u0000 is not allowed in a string");
	if (v >= 0xd800 && v <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    (w = utf8_hex4((const char *)ps->p + 2)) < 0xdc00 || w > 0xdfff)
			return fail(ps, "invalid Unicode escape");
		ps->p += 6;
		utf8_put(b, 0x10000 + (((unsigned long)v - 0xd800) << 10) +
		    ((unsigned long)w - 0xdc00));
		return 0;
	}
	if (v >= 0xdc80 && v <= 0xdcff) {
		buf_putc(b, (char)(v & 0xff));
		*bytes = 1;
		return 0;
	}
	if (v >= 0xdc00 && v <= 0xdfff)
		return fail(ps, "invalid Unicode escape");
	utf8_put(b, (unsigned long)v);
	return 0;
}

/* A string at ps->p (on the opening quote) into b; *bytes as above. */
static int
parse_string_into(struct jl_parser *ps, struct buf *b, int *bytes)
{
	size_t k;
	int c;

	*bytes = 0;
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(ps, "control character in a string");
		if (c >= 0x80) {
			k = utf8_char_len((const char *)ps->p,
			    (size_t)(ps->end - ps->p));
			if (k == 0)
				return fail(ps, "invalid UTF-8");
			buf_append(b, ps->p, k);
			ps->p += k;
			continue;
		}
		if (c != '\\') {
			buf_putc(b, (char)c);
			ps->p++;
			continue;
		}
		if (ps->end - ps->p < 2)
			return fail(ps, "unterminated string");
		c = ps->p[1];
		ps->p += 2;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			buf_putc(b, (char)c);
			break;
		case 'b':
			buf_putc(b, '\b');
			break;
		case 'f':
			buf_putc(b, '\f');
			break;
		case 'n':
			buf_putc(b, '\n');
			break;
		case 'r':
			buf_putc(b, '\r');
			break;
		case 't':
			buf_putc(b, '\t');
			break;
		case 'u':
			if (parse_u_escape(ps, b, bytes) == -1)
				return -1;
			break;
		default:
			return fail(ps, "invalid escape");
		}
	}
}

/* A string value. */
static int
parse_string(struct jl_parser *ps, struct jl_value *v, int is_key)
{
	struct buf b = BUF_INIT;
	int bytes;

	if (parse_string_into(ps, &b, &bytes) == -1) {
		buf_free(&b);
		return -1;
	}
	if (is_key && bytes) {
		buf_free(&b);
		return fail(ps, "a byte escape in an object key");
	}
	v->type = JL_STRING;
	v->n = b.len;
	v->u.s = buf_take(&b);
	return 0;
}

/* The count of digits at p. */
static size_t
digits(const unsigned char *p, const unsigned char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

/* A number, as jansson reads it (strtoll, or strtod in the locale). */
static int
parse_number(struct jl_parser *ps, struct jl_value *v)
{
	const unsigned char *start = ps->p, *q = ps->p;
	const char *point;
	struct buf b = BUF_INIT;
	char *pos;
	int real = 0;
	size_t n;

	if (q < ps->end && *q == '-')
		q++;
	if ((n = digits(q, ps->end)) == 0)
		return fail(ps, "invalid number");
	if (*q == '0' && n > 1)
		return fail(ps, "invalid number");
	q += n;
	if (q < ps->end && *q == '.') {
		real = 1;
		if ((n = digits(++q, ps->end)) == 0)
			return fail(ps, "invalid number");
		q += n;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		real = 1;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if ((n = digits(q, ps->end)) == 0)
			return fail(ps, "invalid number");
		q += n;
	}
	buf_append(&b, start, (size_t)(q - start));
	ps->p = q;
	errno = 0;
	if (!real) {
		v->type = JL_INT;
		v->u.i = strtoll(b.data, NULL, 10);
	} else {
		point = localeconv()->decimal_point;
		if (*point != '.' && (pos = strchr(b.data, '.')) != NULL)
			*pos = *point;
		v->type = JL_REAL;
		v->u.d = strtod(b.data, NULL);
		if (!((v->u.d == HUGE_VAL || v->u.d == -HUGE_VAL) &&
		    errno == ERANGE))
			errno = 0;
	}
	buf_free(&b);
	if (errno == ERANGE)
		return fail(ps, real ? "real number overflow" : "too big integer");
	return 0;
}

/* Append a zeroed value to an array of *n (capacity *cap); return it. */
static struct jl_value *
grow(struct jl_value **items, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap == 0 ? 4 : *cap * 2;
		*items = xrealloc(*items, *cap * sizeof **items);
	}
	memset(&(*items)[*n], 0, sizeof **items);
	return &(*items)[(*n)++];
}

/* An array or an object (ps->p on '[' or '{'). */
static int
parse_container(struct jl_parser *ps, struct jl_value *v)
{
	int object = *ps->p == '{';
	char close = object ? '}' : ']';
	struct jl_value *items = NULL, *it;
	size_t n = 0, cap = 0;

	v->type = object ? JL_OBJECT : JL_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (object) {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"')
				goto bad;
			it = grow(&items, &n, &cap);
			if (parse_string(ps, it, 1) == -1)
				goto err;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				goto bad;
			ps->p++;
		}
		it = grow(&items, &n, &cap);
		if (parse_value(ps, it) == -1)
			goto err;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			v->u.items = items;
			v->n = object ? n / 2 : n;
			return 0;
		}
		goto bad;
	}
bad:
	fail(ps, object ? "'}' or ',' or a key expected" : "']' or ',' expected");
err:
	/* Each item is whole, or was left empty by the parse that failed. */
	for (size_t i = 0; i < n; i++)
		jl_free(&items[i]);
	free(items);
	memset(v, 0, sizeof *v);
	return -1;
}

/* Is the literal word at ps->p? Consume it. */
static int
literal(struct jl_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

/* One value at ps->p. */
static int
parse_value(struct jl_parser *ps, struct jl_value *v)
{
	int rc;

	memset(v, 0, sizeof *v);
	if (++ps->depth > JL_MAX_DEPTH)
		return fail(ps, "maximum parsing depth reached");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of text");
	switch (*ps->p) {
	case '"':
		rc = parse_string(ps, v, 0);
		break;
	case '{':
	case '[':
		rc = parse_container(ps, v);
		break;
	case 't':
		v->type = JL_TRUE;
		rc = literal(ps, "true") ? 0 : fail(ps, "invalid token");
		break;
	case 'f':
		v->type = JL_FALSE;
		rc = literal(ps, "false") ? 0 : fail(ps, "invalid token");
		break;
	case 'n':
		v->type = JL_NULL;
		rc = literal(ps, "null") ? 0 : fail(ps, "invalid token");
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			rc = parse_number(ps, v);
		else
			rc = fail(ps, "invalid token");
		break;
	}
	ps->depth--;
	return rc;
}

/* Parse the whole text. */
int
jl_parse(const char *text, size_t len, struct jl_value *out, char *err,
    size_t errlen)
{
	struct jl_parser ps = { (const unsigned char *)text,
	    (const unsigned char *)text + len, 0, err, errlen };

	memset(out, 0, sizeof *out);
	if (parse_value(&ps, out) == -1) {
		jl_free(out);
		return -1;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		jl_free(out);
		return fail(&ps, "end of text expected");
	}
	return 0;
}

/* Free a parsed tree. */
void
jl_free(struct jl_value *v)
{
	size_t n;

	if (v == NULL)
		return;
	if (v->type == JL_STRING)
		free(v->u.s);
	else if (v->type == JL_ARRAY || v->type == JL_OBJECT) {
		n = v->type == JL_OBJECT ? v->n * 2 : v->n;
		for (size_t i = 0; i < n; i++)
			jl_free(&v->u.items[i]);
		free(v->u.items);
	}
	memset(v, 0, sizeof *v);
}

/* The last member key of obj. */
const struct jl_value *
jl_get(const struct jl_value *obj, const char *key)
{
	size_t klen = strlen(key);

	if (obj == NULL || obj->type != JL_OBJECT)
		return NULL;
	for (size_t i = obj->n; i > 0; i--) {
		const struct jl_value *k = &obj->u.items[2 * (i - 1)];

		if (k->n == klen && memcmp(k->u.s, key, klen) == 0)
			return &obj->u.items[2 * (i - 1) + 1];
	}
	return NULL;
}

/* The string in v, or NULL. */
const char *
jl_str(const struct jl_value *v)
{
	return v != NULL && v->type == JL_STRING ? v->u.s : NULL;
}

/* Append s as a JSON string, bytes not in UTF-8 as \udcXX. */
void
jl_write_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, k;
	unsigned char c;

	buf_putc(b, '"');
	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			if ((k = utf8_char_len(s + i, n - i)) == 0) {
				buf_printf(b, "\\udc%c%c", hex[c >> 4],
				    hex[c & 15]);
				i++;
			} else {
				buf_append(b, s + i, k);
				i += k;
			}
			continue;
		}
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c < 0x20)
			buf_printf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else
			buf_putc(b, (char)c);
		i++;
	}
	buf_putc(b, '"');
}

/* A response line's result, as rpc_parse_response() reads it. */
int
jl_rpc_result(const char *line, size_t len, struct jl_value *root,
    const struct jl_value **result, char *err, size_t errlen)
{
	const struct jl_value *e, *m;

	*result = NULL;
	if (jl_parse(line, len, root, err, errlen) == -1)
		return -1;
	if (root->type != JL_OBJECT) {
		snprintf(err, errlen, "response is not a JSON object");
		goto fail;
	}
	if ((e = jl_get(root, "error")) != NULL) {
		m = jl_get(e, "message");
		snprintf(err, errlen, "%s", jl_str(m) != NULL ? jl_str(m) :
		    "unknown error");
		goto fail;
	}
	if ((*result = jl_get(root, "result")) == NULL) {
		snprintf(err, errlen, "response has neither result nor error");
		goto fail;
	}
	return 0;
fail:
	jl_free(root);
	return -1;
}

/* A string member, copied; NULL if missing or not a string. */
static char *
member_str(const struct jl_value *obj, const char *key)
{
	const char *s = jl_str(jl_get(obj, key));

	return s != NULL ? xstrdup(s) : NULL;
}

/* The protocol's venv object, as rpc_venv_from_json() reads it. */
int
jl_venv(const struct jl_value *obj, struct venv_info *out)
{
	const struct jl_value *v;
	const char *k;

	memset(out, 0, sizeof *out);
	out->include_system_site_packages = -1;
	if (obj == NULL || obj->type != JL_OBJECT)
		return -1;
	out->path = member_str(obj, "path");
	out->project = member_str(obj, "project");
	out->python = member_str(obj, "python");
	out->prompt = member_str(obj, "prompt");
	out->found_as = member_str(obj, "found_as");
	out->found_via = member_str(obj, "found_via");
	out->version = member_str(obj, "version");
	out->home = member_str(obj, "home");
	out->broken = member_str(obj, "broken");
	out->trust = member_str(obj, "trust");
	if (out->path == NULL || out->project == NULL || out->python == NULL ||
	    out->prompt == NULL || out->found_as == NULL) {
		venv_info_free(out);
		return -1;
	}
	v = jl_get(obj, "include_system_site_packages");
	if (v != NULL && (v->type == JL_TRUE || v->type == JL_FALSE))
		out->include_system_site_packages = v->type == JL_TRUE;
	out->kind = VENV_KIND_UNKNOWN;
	if ((k = jl_str(jl_get(obj, "kind"))) != NULL) {
		if (strcmp(k, "venv") == 0)
			out->kind = VENV_KIND_VENV;
		else if (strcmp(k, "virtualenv") == 0)
			out->kind = VENV_KIND_VIRTUALENV;
		else if (strcmp(k, "uv") == 0)
			out->kind = VENV_KIND_UV;
	}
	return 0;
}

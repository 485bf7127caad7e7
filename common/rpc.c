/* rpc.c: JSON-RPC 2.0 messages over the venvd protocol, built and parsed with jansson. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locator_env.h"
#include "protocol.h"
#include "rpc.h"
#include "utf8.h"
#include "xmalloc.h"

/* A JSON string for s, with each invalid UTF-8 byte replaced by U+FFFD. */
json_t *
rpc_string_lossy(const char *s)
{
	size_t n = strlen(s), i = 0;
	struct buf b = BUF_INIT;
	json_t *j;

	if ((j = json_stringn(s, n)) != NULL)
		return j;
	while (i < n) {
		size_t k = utf8_char_len(s + i, n - i);

		if (k == 0) {
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
		} else {
			buf_append(&b, s + i, k);
			i += k;
		}
	}
	j = json_stringn(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return j != NULL ? j : json_string("\xef\xbf\xbd");
}

/*
 * Paths are bytes; JSON strings are Unicode. On the wire a byte that is
 * not part of valid UTF-8 is the escape \udcXX (XX the byte, 80..ff),
 * as Python's "surrogateescape" writes it. jansson takes neither lone
 * surrogates nor invalid UTF-8, so the translation happens around it:
 * reading, \udcXX becomes the marker \u0000\u00XX (a NUL, which JSON
 * text otherwise may not hold here, then U+00XX) and each parsed string
 * with markers is turned into the raw bytes; writing, a string that is
 * not UTF-8 is marked the same way, dumped, and each \u0000 + U+00XX in
 * the text becomes \udcXX again. Inside the program every json_t string
 * holds the bytes, so json_string_value() of a path is the path.
 */

/* The \uXXXX escape at in[i] (i < len): its value, or -1 if it is not one. */
static long
escape_at(const char *in, size_t len, size_t i)
{
	if (len - i < 6 || in[i] != '\\' || in[i + 1] != 'u')
		return -1;
	return utf8_hex4(in + i + 2);
}

/* Rewrite the JSON text in: each lone \udcXX (XX 80..ff) becomes \u0000\u00XX. */
int
rpc_wire_unescape(const char *in, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, from = 0;
	long v, w;

	buf_reset(out);
	while (i < len) {
		if (in[i] != '\\') {
			i++;
			continue;
		}
		if (len - i < 2) {
			i++;
			continue;
		}
		if ((v = escape_at(in, len, i)) == -1) {
			i += 2;		/* \" \\ \n ... or a bad escape jansson reports */
			continue;
		}
		if (v == 0) {
			snprintf(err, errlen, "\\u0000 is not allowed in a string");
			return -1;
		}
		if (v >= 0xd800 && v <= 0xdbff &&
		    (w = escape_at(in, len, i + 6)) >= 0xdc00 && w <= 0xdfff) {
			i += 12;	/* a valid pair */
			continue;
		}
		if (v >= 0xdc80 && v <= 0xdcff) {
			char e[12] = { '\\', 'u', '0', '0', '0', '0',
			    '\\', 'u', '0', '0', hex[(v >> 4) & 15], hex[v & 15] };

			buf_append(out, in + from, i - from);
			buf_append(out, e, sizeof e);
			i += 6;
			from = i;
			continue;
		}
		i += 6;
	}
	buf_append(out, in + from, len - from);
	return 0;
}

/* Turn the markers in one parsed string into bytes; -1 on any other NUL. */
static int
unmark_string(json_t *j)
{
	const unsigned char *s = (const unsigned char *)json_string_value(j);
	size_t n = json_string_length(j), i;
	struct buf b = BUF_INIT;
	int rc = 0;

	if (memchr(s, '\0', n) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] != '\0') {
			buf_putc(&b, (char)s[i]);
			continue;
		}
		if (n - i < 3 || (s[i + 1] != 0xc2 && s[i + 1] != 0xc3) ||
		    s[i + 2] < 0x80 || s[i + 2] > 0xbf) {
			rc = -1;
			break;
		}
		buf_putc(&b, (char)(((s[i + 1] & 0x03) << 6) | (s[i + 2] & 0x3f)));
		i += 2;
	}
	if (rc == 0)
		rc = json_string_setn_nocheck(j, b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return rc;
}

/* Turn the markers in every string of j into bytes; -1 on any other NUL. */
int
rpc_unmark(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		return unmark_string(j);
	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (rpc_unmark(v) == -1)
				return -1;
		}
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (rpc_unmark(v) == -1)
				return -1;
		}
	}
	return 0;
}

/* Parse JSON text whose strings may carry bytes as \udcXX. */
json_t *
rpc_loadb(const char *text, size_t len, size_t flags, json_error_t *jerr)
{
	struct buf b = BUF_INIT;
	char err[128];
	json_t *j;

	if (rpc_wire_unescape(text, len, &b, err, sizeof err) == -1) {
		memset(jerr, 0, sizeof *jerr);
		snprintf(jerr->text, sizeof jerr->text, "%s", err);
		buf_free(&b);
		return NULL;
	}
	j = json_loadb(b.data != NULL ? b.data : "", b.len, flags | JSON_ALLOW_NUL, jerr);
	buf_free(&b);
	if (j != NULL && rpc_unmark(j) == -1) {
		json_decref(j);
		memset(jerr, 0, sizeof *jerr);
		snprintf(jerr->text, sizeof jerr->text,
		    "\\u0000 is not allowed in a string");
		return NULL;
	}
	return j;
}

/* Does j hold a string that is not UTF-8? (Keys never carry paths.) */
static int
needs_marks(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		return !utf8_valid(json_string_value(j));
	if (json_is_array(j)) {
		json_array_foreach((json_t *)j, i, v) {
			if (needs_marks(v))
				return 1;
		}
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v) {
			if (needs_marks(v))
				return 1;
		}
	}
	return 0;
}

/* s with each byte that is not UTF-8 as NUL + U+00XX (the marker). */
static void
mark_bytes(const char *s, size_t n, struct buf *b)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_char_len(s + i, n - i);
		unsigned char c = (unsigned char)s[i];

		if (k == 0) {
			buf_putc(b, '\0');
			buf_putc(b, (char)(0xc0 | (c >> 6)));
			buf_putc(b, (char)(0x80 | (c & 0x3f)));
			i++;
		} else {
			buf_append(b, s + i, k);
			i += k;
		}
	}
}

/* Mark every string of j (a private copy) that is not UTF-8. */
static void
mark_tree(json_t *j)
{
	struct buf b = BUF_INIT;
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j)) {
		if (utf8_valid(json_string_value(j)))
			return;
		mark_bytes(json_string_value(j), json_string_length(j), &b);
		json_string_setn_nocheck(j, b.data, b.len);
		buf_free(&b);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			mark_tree(v);
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			mark_tree(v);
	}
}

/* Rewrite dumped JSON text: each \u0000 + U+00XX marker becomes \udcXX. */
void
rpc_wire_escape(const char *in, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, from = 0;

	buf_reset(out);
	while (i < len) {
		if (s[i] != '\\' || len - i < 2) {
			i++;
			continue;
		}
		if (escape_at(in, len, i) == 0 && len - i >= 8 &&
		    (s[i + 6] == 0xc2 || s[i + 6] == 0xc3) &&
		    s[i + 7] >= 0x80 && s[i + 7] <= 0xbf) {
			unsigned int c = ((s[i + 6] & 0x03) << 6) | (s[i + 7] & 0x3f);
			char e[6] = { '\\', 'u', 'd', 'c', hex[c >> 4], hex[c & 15] };

			buf_append(out, in + from, i - from);
			buf_append(out, e, sizeof e);
			i += 8;
			from = i;
			continue;
		}
		i += escape_at(in, len, i) != -1 ? 6 : 2;
	}
	buf_append(out, in + from, len - from);
}

/* json_dumps, writing each byte of a string that is not UTF-8 as \udcXX. */
char *
rpc_dumps(const json_t *j, size_t flags)
{
	struct buf b = BUF_INIT;
	json_t *copy;
	char *s;

	if (!needs_marks(j))
		return json_dumps(j, flags);
	if ((copy = json_deep_copy(j)) == NULL)
		return NULL;
	mark_tree(copy);
	s = json_dumps(copy, flags);
	json_decref(copy);
	if (s == NULL)
		return NULL;
	rpc_wire_escape(s, strlen(s), &b);
	free(s);
	return buf_take(&b);
}

/* A JSON string holding the path's bytes as they are. */
json_t *
rpc_path_to_json(const char *bytes)
{
	json_t *j = json_string_nocheck(bytes);

	return j != NULL ? j : json_string("");
}

/* The path in j, copied; NULL if j is not a string or holds a NUL. */
char *
rpc_path_from_json(const json_t *j)
{
	if (!json_is_string(j) ||
	    strlen(json_string_value(j)) != json_string_length(j))
		return NULL;
	return xstrdup(json_string_value(j));
}

/* {"NAME": "value", ...} for a "NAME=value" list (NULL: {}). */
json_t *
rpc_env_to_json(const char *const *env)
{
	json_t *obj = json_object();
	char *name;
	const char *eq;

	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		if ((eq = strchr(env[i], '=')) == NULL)
			continue;
		name = xstrndup(env[i], (size_t)(eq - env[i]));
		json_object_set_new(obj, name, rpc_path_to_json(eq + 1));
		free(name);
	}
	return obj;
}

/*
 * The locator environment an "env" object gives, as locator_env_collect
 * would make it: 0 and *out (free with locator_env_free), or -1 with err.
 */
int
rpc_env_from_json(const json_t *obj, char ***out, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	char **env;
	size_t n = 0;

	*out = NULL;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "env must be an object of NAME: VALUE");
		return -1;
	}
	if (json_object_size(obj) > VENVD_ENV_MAX_VARS) {
		snprintf(err, errlen, "env has more than %d members",
		    VENVD_ENV_MAX_VARS);
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "env: the value of a variable must "
			    "be a string");
			return -1;
		}
		/* A variable no locator reads cannot change an answer. */
		if (locator_env_lookup(key) == NULL)
			continue;
		if (locator_env_check(key, json_string_value(v),
		    json_string_length(v), err, errlen) == -1)
			return -1;
	}
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++)
		n++;
	env = xcalloc(n + 1, sizeof *env);
	n = 0;
	for (size_t i = 0; locator_env_vars[i].name != NULL; i++) {
		v = json_object_get(obj, locator_env_vars[i].name);
		if (v == NULL || json_string_length(v) == 0)
			continue;
		xasprintf(&env[n++], "%s=%s", locator_env_vars[i].name,
		    json_string_value(v));
	}
	env[n] = NULL;
	*out = env;
	return 0;
}

/* rpc_string_lossy, or JSON null for NULL. */
static json_t *
string_or_null(const char *s)
{
	return s != NULL ? rpc_string_lossy(s) : json_null();
}

/* rpc_path_to_json, or JSON null for NULL. */
static json_t *
path_or_null(const char *s)
{
	return s != NULL ? rpc_path_to_json(s) : json_null();
}

/* Is id acceptable as a JSON-RPC id (string, number or null)? */
static int
valid_id(const json_t *id)
{
	return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/* Parse one request line. */
int
rpc_parse_request(const char *line, size_t len, struct rpc_request *req,
    int *code, json_t **id_out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *id, *v, *params;

	memset(req, 0, sizeof *req);
	*id_out = NULL;
	root = rpc_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		*code = RPC_PARSE_ERROR;
		snprintf(err, errlen, "request is not valid JSON: %s at column %d",
		    jerr.text, jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		*code = RPC_INVALID_REQUEST;
		snprintf(err, errlen, "request must be a JSON object");
		goto fail;
	}
	id = json_object_get(root, "id");
	if (id != NULL && !valid_id(id)) {
		*code = RPC_INVALID_REQUEST;
		snprintf(err, errlen, "id must be a string, a number or null");
		goto fail;
	}
	if (id != NULL)
		*id_out = json_incref(id);
	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
		*code = RPC_INVALID_REQUEST;
		snprintf(err, errlen, "jsonrpc must be \"2.0\"");
		goto fail;
	}
	v = json_object_get(root, "method");
	if (!json_is_string(v)) {
		*code = RPC_INVALID_REQUEST;
		snprintf(err, errlen, v == NULL ? "method is missing" :
		    "method must be a string");
		goto fail;
	}
	params = json_object_get(root, "params");
	if (params == NULL) {
		params = json_object();
		json_object_set_new(root, "params", params);
	} else if (!json_is_object(params)) {
		*code = RPC_INVALID_PARAMS;
		snprintf(err, errlen, "params must be an object");
		goto fail;
	}
	json_decref(*id_out);
	*id_out = NULL;
	req->root = root;
	req->id = id;
	req->method = json_string_value(v);
	req->params = params;
	return 0;
fail:
	json_decref(root);
	return -1;
}

/* Release a parsed request. */
void
rpc_request_free(struct rpc_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof *req);
}

/* Append obj as one compact line; steals obj. */
static void
write_line(struct buf *out, json_t *obj)
{
	char *s = rpc_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	if (s == NULL) {
		buf_printf(out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
		    "{\"code\":%d,\"message\":\"cannot encode the response\"}}\n",
		    RPC_INTERNAL_ERROR);
		return;
	}
	buf_puts(out, s);
	buf_putc(out, '\n');
	free(s);
}

/* A new reference to id, or null. */
static json_t *
id_ref(json_t *id)
{
	return id != NULL ? json_incref(id) : json_null();
}

/* Append a result response line; steals result. */
void
rpc_write_result(struct buf *out, json_t *id, json_t *result)
{
	json_t *o = json_object();

	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(o, "id", id_ref(id));
	json_object_set_new(o, "result", result != NULL ? result : json_null());
	write_line(out, o);
}

/* Append an error response line. */
void
rpc_write_error(struct buf *out, json_t *id, int code, const char *message)
{
	json_t *o = json_object(), *e = json_object();

	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", rpc_string_lossy(message != NULL ?
	    message : "error"));
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(o, "id", id_ref(id));
	json_object_set_new(o, "error", e);
	write_line(out, o);
}

/* Append a request line; steals params. */
void
rpc_write_request(struct buf *out, long id, const char *method, json_t *params)
{
	json_t *o = json_object();

	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "method", rpc_string_lossy(method));
	json_object_set_new(o, "params", params != NULL ? params : json_object());
	write_line(out, o);
}

/* Parse a response line. */
int
rpc_parse_response(const char *line, size_t len, json_t **result,
    int *code, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *e, *v;

	*result = NULL;
	*code = 0;
	root = rpc_loadb(line, len, JSON_DECODE_ANY, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "response is not valid JSON: %s at column %d",
		    jerr.text, jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "response is not a JSON object");
		goto fail;
	}
	if ((e = json_object_get(root, "error")) != NULL) {
		if (!json_is_object(e) ||
		    !json_is_integer(json_object_get(e, "code"))) {
			snprintf(err, errlen, "response has a malformed error");
			goto fail;
		}
		*code = (int)json_integer_value(json_object_get(e, "code"));
		v = json_object_get(e, "message");
		snprintf(err, errlen, "%s", json_is_string(v) ?
		    json_string_value(v) : "unknown error");
		goto fail;
	}
	if ((v = json_object_get(root, "result")) == NULL) {
		snprintf(err, errlen, "response has neither result nor error");
		goto fail;
	}
	*result = json_incref(v);
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

/* A venv_info as the protocol's venv object. */
json_t *
rpc_venv_to_json(const struct venv_info *vi)
{
	json_t *o = json_object();
	json_t *isp;

	if (vi->include_system_site_packages == 1)
		isp = json_true();
	else if (vi->include_system_site_packages == 0)
		isp = json_false();
	else
		isp = json_null();
	json_object_set_new(o, "path", path_or_null(vi->path));
	json_object_set_new(o, "project", path_or_null(vi->project));
	json_object_set_new(o, "python", path_or_null(vi->python));
	json_object_set_new(o, "version", string_or_null(vi->version));
	json_object_set_new(o, "home", path_or_null(vi->home));
	json_object_set_new(o, "prompt", path_or_null(vi->prompt));
	json_object_set_new(o, "include_system_site_packages", isp);
	json_object_set_new(o, "broken", vi->broken != NULL ?
	    rpc_string_lossy(vi->broken) : json_false());
	json_object_set_new(o, "found_as", string_or_null(vi->found_as));
	json_object_set_new(o, "found_via", path_or_null(vi->found_via));
	json_object_set_new(o, "kind", json_string(venv_kind_name(vi->kind)));
	if (vi->trust != NULL)
		json_object_set_new(o, "trust", rpc_string_lossy(vi->trust));
	return o;
}

/* A required string member, copied; NULL if missing or not a string. */
static char *
get_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* Back from the protocol's venv object. */
int
rpc_venv_from_json(json_t *obj, struct venv_info *out)
{
	json_t *v;

	memset(out, 0, sizeof *out);
	out->include_system_site_packages = -1;
	if (!json_is_object(obj))
		return -1;
	out->path = get_str(obj, "path");
	out->project = get_str(obj, "project");
	out->python = get_str(obj, "python");
	out->prompt = get_str(obj, "prompt");
	out->found_as = get_str(obj, "found_as");
	out->found_via = get_str(obj, "found_via");	/* absent from older daemons */
	out->version = get_str(obj, "version");
	out->home = get_str(obj, "home");
	out->broken = get_str(obj, "broken");
	out->trust = get_str(obj, "trust");
	if (out->path == NULL || out->project == NULL || out->python == NULL ||
	    out->prompt == NULL || out->found_as == NULL) {
		venv_info_free(out);
		return -1;
	}
	v = json_object_get(obj, "include_system_site_packages");
	if (json_is_boolean(v))
		out->include_system_site_packages = json_is_true(v) ? 1 : 0;
	out->kind = VENV_KIND_UNKNOWN;
	v = json_object_get(obj, "kind");
	if (json_is_string(v)) {
		const char *k = json_string_value(v);

		if (strcmp(k, "venv") == 0)
			out->kind = VENV_KIND_VENV;
		else if (strcmp(k, "virtualenv") == 0)
			out->kind = VENV_KIND_VIRTUALENV;
		else if (strcmp(k, "uv") == 0)
			out->kind = VENV_KIND_UV;
	}
	return 0;
}

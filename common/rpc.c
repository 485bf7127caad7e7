/* rpc.c: JSON-RPC 2.0 messages over the venvd protocol, built and parsed with jansson. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* rpc_string_lossy, or JSON null for NULL. */
static json_t *
string_or_null(const char *s)
{
	return s != NULL ? rpc_string_lossy(s) : json_null();
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
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
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
	char *s = json_dumps(obj, JSON_COMPACT);

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
	root = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
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
	json_object_set_new(o, "path", string_or_null(vi->path));
	json_object_set_new(o, "project", string_or_null(vi->project));
	json_object_set_new(o, "python", string_or_null(vi->python));
	json_object_set_new(o, "version", string_or_null(vi->version));
	json_object_set_new(o, "home", string_or_null(vi->home));
	json_object_set_new(o, "prompt", string_or_null(vi->prompt));
	json_object_set_new(o, "include_system_site_packages", isp);
	json_object_set_new(o, "broken", vi->broken != NULL ?
	    rpc_string_lossy(vi->broken) : json_false());
	json_object_set_new(o, "found_as", string_or_null(vi->found_as));
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

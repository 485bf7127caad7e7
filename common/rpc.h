/*
 * rpc.h: JSON-RPC 2.0 messages over the venvd protocol, built and
 * parsed with jansson. Pure: no I/O.
 */
#ifndef VENVD_RPC_H
#define VENVD_RPC_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "resolve.h"

struct rpc_request {
	json_t	*id;		/* borrowed from root; NULL for a notification */
	const char *method;	/* borrowed from root */
	json_t	*params;	/* borrowed; an object (empty if absent) */
	json_t	*root;		/* owned */
};

/*
 * Parse one request line. Returns 0, or -1 with *code set to
 * RPC_PARSE_ERROR, RPC_INVALID_REQUEST or RPC_INVALID_PARAMS (params
 * present but not an object) and a message in err; *id_out then gets a
 * new reference to the id when one could be read (else NULL), so the
 * error can still be addressed. Absent params become an empty object.
 */
int	rpc_parse_request(const char *line, size_t len, struct rpc_request *req,
	    int *code, json_t **id_out, char *err, size_t errlen);
void	rpc_request_free(struct rpc_request *);

/* Append {"jsonrpc":"2.0","id":id,"result":result}\n; steals result. */
void	rpc_write_result(struct buf *out, json_t *id, json_t *result);
/* Append an error response line; id may be NULL (written as null). */
void	rpc_write_error(struct buf *out, json_t *id, int code, const char *message);
/* Append a request line; steals params (NULL for {}). */
void	rpc_write_request(struct buf *out, long id, const char *method, json_t *params);

/*
 * Parse a response line. Returns 0 with *result a new reference, or -1
 * with err holding the server's error message or why the line is bad
 * (and *code the error code, 0 when the line itself was malformed).
 */
int	rpc_parse_response(const char *line, size_t len, json_t **result,
	    int *code, char *err, size_t errlen);

/*
 * Paths are bytes. On the wire, each byte of a string that is not part
 * of valid UTF-8 is the escape \udcXX (XX = the byte, 80..ff), as
 * Python's os.fsdecode() and json.dumps() write it; inside the program a
 * json_t string holds the raw bytes. rpc_loadb() and rpc_dumps() are
 * json_loadb() and json_dumps() with that translation; every line on the
 * socket goes through them.
 */
json_t	*rpc_loadb(const char *text, size_t len, size_t flags, json_error_t *);
/* NULL if j cannot be encoded; free() the text. */
char	*rpc_dumps(const json_t *j, size_t flags);
/*
 * The two text passes, pure, for tests and fuzzing. rpc_wire_unescape
 * rewrites each lone \udcXX (XX 80..ff; not half of a valid pair, not
 * after an escaped backslash) as the marker \u0000\u00XX; -1 with err if
 * the text itself holds \u0000 (a path never has a NUL). rpc_wire_escape
 * rewrites each \u0000 followed by the UTF-8 of U+0080..U+00FF in dumped
 * text back to \udcXX. rpc_unmark turns the markers in every string of
 * a parsed value into bytes (-1 on any other NUL).
 */
int	rpc_wire_unescape(const char *in, size_t len, struct buf *out,
	    char *err, size_t errlen);
void	rpc_wire_escape(const char *in, size_t len, struct buf *out);
int	rpc_unmark(json_t *);

/* A JSON string holding a path's bytes, whatever they are. Never NULL. */
json_t	*rpc_path_to_json(const char *bytes);
/* The path in j, malloc'd; NULL if j is not a string or holds a NUL. */
char	*rpc_path_from_json(const json_t *j);

/* {"NAME": "value", ...} for a "NAME=value" list (NULL: {}). Never NULL. */
json_t	*rpc_env_to_json(const char *const *env);
/*
 * The locator environment of a resolve's "env" object (protocol.h), in
 * locator_env_collect's form: 0 and *out (locator_env_free), or -1 with
 * err (not an object, too many members, a value not a string, or one
 * locator_env_check refuses). Names no locator reads are ignored.
 */
int	rpc_env_from_json(const json_t *obj, char ***out, char *err,
	    size_t errlen);

/* A JSON string for display text s; bytes that are not valid UTF-8 become U+FFFD. Never NULL. */
json_t	*rpc_string_lossy(const char *s);

/* A venv_info as the protocol's venv object. */
json_t	*rpc_venv_to_json(const struct venv_info *);
/* Back from the protocol's venv object; -1 if required fields are missing. */
int	rpc_venv_from_json(json_t *obj, struct venv_info *out);

#endif

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

/* A JSON string for s; bytes that are not valid UTF-8 become U+FFFD. Never NULL. */
json_t	*rpc_string_lossy(const char *s);

/* A venv_info as the protocol's venv object. */
json_t	*rpc_venv_to_json(const struct venv_info *);
/* Back from the protocol's venv object; -1 if required fields are missing. */
int	rpc_venv_from_json(json_t *obj, struct venv_info *out);

#endif

/*
 * protocol.h: the venvd wire format, in one place.
 *
 * Newline-delimited JSON-RPC 2.0 over a Unix stream socket: one UTF-8
 * JSON object per line in each direction; requests may be pipelined.
 * Bump VENVD_PROTOCOL_VERSION on any incompatible change.
 */
#ifndef VENVD_PROTOCOL_H
#define VENVD_PROTOCOL_H

#define VENVD_PROTOCOL_VERSION	1

/* Limits. */
#define VENVD_MAX_LINE		(64 * 1024)	/* longest request line, bytes */
#define VENVD_IDLE_TIMEOUT_S	10		/* close a peer silent this long */
#define VENVD_DEFAULT_MAX_CLIENTS 256		/* connections beyond are refused */
#define VENVD_CLIENT_BUDGET_MS	200		/* the client's whole connect+answer budget */

/* Methods. */
#define VENVD_M_RESOLVE		"resolve"	/* {"path": ABS} -> {"venv", "generation", "cacheable"} */
#define VENVD_M_STATUS		"status"	/* {} -> daemon status object */
#define VENVD_M_SHUTDOWN	"shutdown"	/* {} -> {"ok": true}, then the daemon exits */

/* JSON-RPC 2.0 error codes. */
#define RPC_PARSE_ERROR		(-32700)
#define RPC_INVALID_REQUEST	(-32600)
#define RPC_METHOD_NOT_FOUND	(-32601)
#define RPC_INVALID_PARAMS	(-32602)
#define RPC_INTERNAL_ERROR	(-32603)
/* Server-defined: the server is at its client cap or shutting down. */
#define RPC_SERVER_BUSY		(-32000)
/* Server-defined: the request line exceeded VENVD_MAX_LINE. */
#define RPC_LINE_TOO_LONG	(-32001)

/*
 * The generation file (<socket dir>/generation) holds one line
 * "<instance>-<counter>\n"; instance is unique per daemon start so a
 * restart never repeats a value. Written by rename(2), read by hooks
 * with the shell's builtin read.
 */

#endif

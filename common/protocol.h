/*
 * protocol.h: the venvd wire format, in one place.
 *
 * Newline-delimited JSON-RPC 2.0 over a Unix stream socket: one UTF-8
 * JSON object per line in each direction; requests may be pipelined.
 * Paths are bytes: a byte that is not UTF-8 is the escape \udcXX
 * (surrogateescape; see rpc_loadb() and rpc_dumps() in rpc.h).
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
/*
 * A resolve whose trust verdict waits for a git check is answered when
 * git is done, or this long after it arrived (resolve's "wait_ms", at
 * most VENVD_RESOLVE_WAIT_MAX_MS) with VENVD_TRUST_CHECKING, not
 * cacheable; other clients are served meanwhile.
 */
#define VENVD_RESOLVE_WAIT_MS	150
#define VENVD_RESOLVE_WAIT_MAX_MS 20000
#define VENVD_TRUST_CHECKING	"untrusted:checking version control"

/* Methods. */
#define VENVD_M_RESOLVE		"resolve"	/* {"path": ABS} -> {"venv", "generation", "cacheable"} */
#define VENVD_M_STATUS		"status"	/* {} -> daemon status object */
#define VENVD_M_SHUTDOWN	"shutdown"	/* {} -> {"ok": true}, then the daemon exits */

/*
 * The venv index (issue: venv index). A "venv record" is the resolve venv
 * object plus: "state" ("ok" | "broken:<reason>" | "missing"), "trust"
 * (see below; null if not judged yet), "first_seen", "last_seen",
 * "last_activated" (unix seconds or null), "activation_count",
 * "size_bytes" and "size_measured" (null until measured), "root" (the
 * discovery root it was found under, or null).
 *
 * resolve also takes "activating": true when the calling shell is about to
 * activate the answer (the client knows from VENVD_ACTIVE/VIRTUAL_ENV); the
 * daemon then counts an activation for a trusted venv, unless the answer
 * is "active" (optional: the venv the shell already has active). A "path" naming a
 * file resolves its directory. "wait_ms" (optional, default
 * VENVD_RESOLVE_WAIT_MS): how long the answer may wait for a git check.
 */
#define VENVD_M_LIST		"list"		/* {"project"?: DIR, "include_broken"?: bool (default true),
						    "broken_only"?: bool, "stale_days"?: N, "sort"?: "path"|"size"|"last-used"}
						   -> {"venvs": [record...], "generation": G} */
#define VENVD_M_FORGET		"forget"	/* {"path": VENV} -> {"forgotten": bool} (never deletes files) */
#define VENVD_M_WATCH		"watch"		/* {"path": DIR, "depth"?: N (default 6), "cross_fs"?: bool}
						   -> {"root": root} ; root = {"path","depth","cross_fs","source":
						   "index"|"config","state":"scanning"|"live"|"degraded","reason"?,
						   "dirs": N, "venvs": N, "scan_ms"?: N} */
#define VENVD_M_UNWATCH		"unwatch"	/* {"path": DIR} -> {"removed": bool} */
#define VENVD_M_ROOTS		"roots"		/* {} -> {"roots": [root...]} */
/*
 * As implemented (daemon/index.c, daemon/roots.c): a record also has
 * "python" (<path>/bin/python), "found_as", "kind" (the creator: "venv",
 * "virtualenv", "uv" or "unknown"), "include_system_site_packages"
 * (bool or null) and "broken" (reason or false, as in resolve). "state"
 * "missing": the venv vanished (from under a root, or while the daemon
 * was down); the row stays until forget. "project" in list matches the
 * record's project or its path. "stale_days" N: last activated, or if
 * never, first seen, over N days ago. Sorts: "path" ascending, "size"
 * largest first (unmeasured last), "last-used" most recent first (never
 * activated last). size_bytes is st_blocks * 512 summed, hard links
 * once. A root also has "unwatched" (directories left without a watch:
 * the budget or the kernel limit) and "added" (unix seconds); "reason"
 * is set when its state is "degraded". Depth: the root is level 0; a
 * venv at level depth is still found. Errors: -32602 for bad params
 * (unwatch of a config root says to edit the config), -32603 when the
 * index is unavailable.
 */

/*
 * Trust (issue: trust). resolve's venv object gains "trust":
 * "trusted" | "untrusted:<reason>" | "denied".
 */
#define VENVD_M_ALLOW		"allow"		/* {"path": VENV|PROJECT} -> {"venv": path, "trust": "trusted"} or -32602 */
#define VENVD_M_DENY		"deny"		/* {"path": VENV|PROJECT} -> {"venv": path, "trust": "denied"} */
#define VENVD_M_TRUST		"trust"		/* {} -> {"decisions": [{"path","decision":"allow"|"deny","dev","ino","decided"}]} */

/*
 * Editors (issue: editors). subscribe turns the connection into a stream:
 * first a result with the current state (or changes since "since"), then
 * notifications {"jsonrpc":"2.0","method":"venvs_changed","params":{...}}.
 */
#define VENVD_M_SUBSCRIBE	"subscribe"	/* {"paths"?: [DIR|FILE...], "since"?: G}
						   -> {"generation", "fresh_instance", "changes":
						   [{"path", "venv"}...], "venvs": [record...], "indexed"} */
#define VENVD_N_VENVS_CHANGED	"venvs_changed"

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
 * Server-defined: a subscriber left more than VENVD_SUBSCRIBE_QUEUE_CAP
 * bytes unread; sent as a final notification {"method":"error","params":
 * {"code":-32002,"message":...}} before the daemon closes the stream.
 */
#define RPC_SUBSCRIBER_DROPPED	(-32002)
#define VENVD_SUBSCRIBE_QUEUE_CAP (256 * 1024)

/*
 * The generation file (<socket dir>/generation) holds one line
 * "<instance>-<counter>\n"; instance is unique per daemon start so a
 * restart never repeats a value. Written by rename(2), read by hooks
 * with the shell's builtin read.
 */

#endif

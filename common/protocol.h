/*
 * protocol.h: the venvd wire format, in one place.
 *
 * Read this file to learn everything a client of venvd-daemon sees:
 * framing, limits, every method with its params and result, the venv
 * object and the index record, the notifications and the error codes.
 * venvd-protocol(7) says the same for users; the two must agree (a unit
 * test checks that every method the daemon dispatches is in both).
 *
 * Framing. Newline-delimited JSON-RPC 2.0 over a Unix stream socket
 * (mode 0600; peers of another uid are closed at once): one UTF-8 JSON
 * object per line in each direction. A '\r' before the '\n' and empty
 * lines are ignored. Requests may be pipelined; the answers on one
 * connection come in the order of its requests. A request without an
 * "id" is a notification: it is carried out but gets no answer.
 *
 *   request   {"jsonrpc":"2.0","id":ID,"method":M,"params":{...}}
 *             ID is a string, a number or null; params, if present, an
 *             object (absent params are {}).
 *   result    {"jsonrpc":"2.0","id":ID,"result":RESULT}
 *   error     {"jsonrpc":"2.0","id":ID,"error":{"code":C,"message":TEXT}}
 *
 * Paths are bytes: a byte that is not part of valid UTF-8 is the escape
 * \udcXX (XX = the byte, 80..ff), as Python's surrogateescape writes it;
 * \u0000 and any other lone surrogate are parse errors (see rpc_loadb()
 * and rpc_dumps() in rpc.h). A path of PATH_MAX (4096) bytes or more is
 * refused with RPC_INVALID_PARAMS.
 *
 * Compatibility: status reports VENVD_PROTOCOL_VERSION. Bump it on any
 * incompatible change; new methods and new result fields are compatible,
 * and clients ignore fields they do not know.
 */
#ifndef VENVD_PROTOCOL_H
#define VENVD_PROTOCOL_H

#define VENVD_PROTOCOL_VERSION	1

/*
 * Limits a client can hit.
 */
#define VENVD_MAX_LINE		(64 * 1024)	/* longest request line, bytes: else RPC_LINE_TOO_LONG, closed */
#define VENVD_MAX_RESPONSE	(1024 * 1024)	/* longest answer line the venvd client reads */
#define VENVD_IDLE_TIMEOUT_S	10		/* close a peer silent this long (not a stream) */
#define VENVD_DEFAULT_MAX_CLIENTS 256		/* connections beyond are refused: RPC_SERVER_BUSY */
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
#define VENVD_WATCH_DEFAULT_DEPTH 6		/* watch's "depth" when absent */
#define VENVD_WATCH_MAX_DEPTH	64		/* watch's "depth": 0 to this */
#define VENVD_LIST_MAX_STALE_DAYS 1000000	/* list's "stale_days": 0 to this */
#define VENVD_SUBSCRIBE_MAX_PATHS 4096		/* subscribe's "paths": at most this many */
#define VENVD_ENV_MAX_VARS	64		/* resolve's "env": at most this many members */
/*
 * The daemon keeps answers for this many client environments besides its
 * own; a new one beyond drops the answers of the least recently used.
 */
#define VENVD_MAX_ENVS		8
/*
 * A subscriber that leaves more than this many bytes unread is sent a
 * final RPC_SUBSCRIBER_DROPPED notification and closed.
 */
#define VENVD_SUBSCRIBE_QUEUE_CAP (256 * 1024)
/*
 * venvs_changed waits until the generation has been still this long,
 * but is sent at most VENVD_SUBSCRIBE_MAX_DELAY_MS after the first
 * change: a "python -m venv" (thousands of events) is one notification.
 */
#define VENVD_SUBSCRIBE_QUIET_MS 50
/*
 * Progress ("progress": true on watch or list): a notification every
 * VENVD_PROGRESS_MS while the answer waits for the work, for at most
 * VENVD_PROGRESS_HOLD_S after the request came (then it is answered with
 * what is known). A client that leaves VENVD_PROGRESS_QUEUE_CAP bytes of
 * them unread gets the error RPC_SUBSCRIBER_DROPPED and is closed.
 */
#define VENVD_PROGRESS_MS	100
#define VENVD_PROGRESS_HOLD_S	600
#define VENVD_PROGRESS_QUEUE_CAP (64 * 1024)
/* The change log behind subscribe's "since": at most this many changes, this many bytes of paths. */
#define VENVD_SUBSCRIBE_LOG_MAX 4096
#define VENVD_SUBSCRIBE_LOG_BYTES (1024 * 1024)
#define VENVD_SUBSCRIBE_MAX_DELAY_MS 100

/*
 * The venv object (resolve's "venv", subscribe's "changes"):
 *
 *   "path"      the venv directory, as reached from the path asked about
 *   "project"   the directory it belongs to (the venv itself when found
 *               as "self")
 *   "python"    <path>/bin/python
 *   "version"   from pyvenv.cfg (version or version_info), or null
 *   "home"      the base interpreter's directory from pyvenv.cfg, or null
 *   "prompt"    pyvenv.cfg's prompt, else the project's name, else the
 *               venv directory's name
 *   "include_system_site_packages"  true, false, or null when unsaid
 *   "broken"    false, or why it cannot work ("base interpreter ... is
 *               missing")
 *   "found_as"  "self" (the directory or a parent is the venv), the
 *               venv_dirs name it was found through (".venv"), else the
 *               name of the locator that found it ("venv-file", "pdm",
 *               "poetry", "pipenv", "pyenv-virtualenv",
 *               "virtualenvwrapper"; the config's locators)
 *   "found_via" the file that made that rule apply, relative to
 *               "project" ("pyvenv.cfg", ".venv", "pyproject.toml",
 *               "Pipfile", ".python-version", ".pdm-python",
 *               ".pdm.toml"), or absolute when it lies elsewhere (a
 *               virtualenvwrapper venv's ".project"); null when not
 *               known (records from the index; daemons before it was
 *               added omit it)
 *   "kind"      the creator: "venv", "virtualenv", "uv" or "unknown"
 *   "trust"     "trusted" | "untrusted:<reason>" | "denied" (absent when
 *               the daemon has no trust state); a client activates only
 *               "trusted"
 *
 * The venv record (list's "venvs", subscribe's "venvs"): every field of
 * the venv object ("trust" null when not judged yet), and
 *
 *   "state"     "ok" | "broken:<reason>" | "missing" (it vanished, from
 *               under a root or while the daemon was down; the record
 *               stays until forget)
 *   "first_seen", "last_seen"   unix seconds
 *   "last_activated"            unix seconds, or null (never)
 *   "activation_count"          activations by shells (resolve with
 *                               "activating", of a trusted venv)
 *   "size_bytes"    st_blocks * 512 summed, hard links once; null until
 *                   measured
 *   "size_measured" unix seconds, or null
 *   "root"      the discovery root it was found under, or null
 *   "manager"   the tool that keeps it: "poetry", "pipenv",
 *               "virtualenvwrapper", "pyenv-virtualenv" (it sits in that
 *               tool's store), else the locator that found it ("pdm",
 *               "venv-file", ...), else "venv" (in its project, or on
 *               its own); null in a record an older daemon wrote
 *
 * In a record, a venv in a tool's store has the "project" its .project
 * back-reference names (Pipenv, virtualenvwrapper; "found_as" is then
 * the tool's name), else the one a resolve found it through, else null.
 *
 * The root object (watch, roots):
 *
 *   "path", "depth", "cross_fs"
 *   "source"    "index" (added by watch), "config" (roots in venvd.conf)
 *               or "store" (a tool's store of venvs: discover_stores)
 *   "state"     "scanning" | "live" | "degraded" | "absent" (a store
 *               that does not exist yet; it is scanned when it appears)
 *   "reason"    present when degraded
 *   "dirs", "venvs"     found by the last scan
 *   "unwatched" directories left without a watch (the max_watches budget
 *               or the kernel's limit)
 *   "added"     unix seconds
 *   "scan_ms"   how long the last full scan took (absent before one)
 *
 * Depth: the root is level 0; a venv at level depth is still found.
 */

/*
 * Methods. Each: params -> result. "?" marks an optional member.
 */

/*
 * resolve {"path": ABS, "activating"?: bool, "active"?: VENV,
 *     "wait_ms"?: N, "env"?: ENV}
 *   -> {"venv": venv object | null, "generation": G, "cacheable": bool,
 *       "notices"?: [TEXT...]}
 * Which venv applies to the directory ABS (a path naming a file resolves
 * its directory; symbolic links are not resolved). "activating": the
 * calling shell is about to activate the answer: count an activation of a
 * trusted venv, unless it is "active", the venv the shell already has
 * active. "wait_ms" (0 to VENVD_RESOLVE_WAIT_MAX_MS, default
 * VENVD_RESOLVE_WAIT_MS): how long the answer may wait for a git check.
 * "cacheable" false: the daemon cannot watch what the answer depends on
 * (remote file system, watch limit), so a client must not cache it.
 * "notices": faults every hook shows once (present only while any).
 *
 * "env": the locator environment of the client: {NAME: VALUE, ...} with
 * each variable the locators read (HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME,
 * XDG_DATA_HOME, WORKON_HOME, PYENV_ROOT, POETRY_CONFIG_DIR,
 * POETRY_CACHE_DIR, POETRY_VIRTUALENVS_PATH, POETRY_VIRTUALENVS_IN_PROJECT,
 * POETRY_VIRTUALENVS_CREATE, PIPENV_VENV_IN_PROJECT: locator_env_vars[]
 * in common/locator_env.c) that is set and not empty in the client's
 * environment, and only those. The answer is the one for that
 * environment: a variable absent is unset, whatever the daemon's own
 * environment holds. Without "env" the daemon resolves with its own (what
 * it was started with; status "locator_env"). Values are strings (paths
 * as bytes, \udcXX); at most VENVD_ENV_MAX_VARS members; names no locator
 * reads are ignored, and an empty value is unset. RPC_INVALID_PARAMS
 * for a value that is not absolute where a path is meant, PATH_MAX bytes
 * or longer, over 64 bytes for a flag, or holds a control character. The daemon keeps
 * the answers of each environment apart (VENVD_MAX_ENVS), so shells
 * started with different values each get their own.
 */
#define VENVD_M_RESOLVE		"resolve"

/*
 * status {}
 *   -> {"pid": N, "version": TEXT (venvd's), "protocol":
 *       VENVD_PROTOCOL_VERSION, "uptime_s": N, "socket": PATH,
 *       "generation": G, "requests": N (answered so far), "cache_hits": N,
 *       "cached_dirs": N, "watches": N, "watch_limit": N, "clients": N
 *       (connected now), "held": N (requests held now: uncached resolves
 *       waiting their turn, resolves waiting for git), "degraded":
 *       [TEXT...] (why the daemon is not fully healthy; empty when it is;
 *       a storage fault starts "storage: "), "db_ok": bool (the index's
 *       integrity, checked now), "db_error"?: TEXT (when db_ok is false),
 *       "locator_env": ENV (the daemon's own locator environment, as
 *       resolve's "env"), "client_envs": [{"env": ENV, "differs":
 *       [NAME...], "cached_dirs": N}...] (the other environments clients
 *       resolved with, at most VENVD_MAX_ENVS; "differs": the variables
 *       that differ from "locator_env")}
 */
#define VENVD_M_STATUS		"status"

/* shutdown {} -> {"ok": true}, then the daemon exits cleanly. */
#define VENVD_M_SHUTDOWN	"shutdown"

/*
 * list {"project"?: DIR, "include_broken"?: bool (default true),
 *     "broken_only"?: bool, "stale_days"?: N, "sort"?: "path" | "size" |
 *     "last-used", "progress"?: bool}
 *   -> {"venvs": [record...], "generation": G}
 * "progress": true (with an id) holds the answer while roots are being
 * scanned and venvs never measured are measured, sending VENVD_N_PROGRESS
 * notifications meanwhile (below).
 * "project" keeps the records whose project or path is DIR. "stale_days"
 * N keeps venvs last activated (or, never activated, first seen) over N
 * days ago. Sorts: "path" ascending (default), "size" largest first
 * (unmeasured last), "last-used" most recent first (never activated
 * last). RPC_INTERNAL_ERROR when the index is unavailable.
 */
#define VENVD_M_LIST		"list"

/*
 * forget {"path": VENV} -> {"forgotten": bool}
 * Drop a record; files are never touched, and a venv still under a root
 * is found again by the next scan.
 */
#define VENVD_M_FORGET		"forget"

/*
 * watch {"path": DIR, "depth"?: N (0 to VENVD_WATCH_MAX_DEPTH, default
 *     VENVD_WATCH_DEFAULT_DEPTH), "cross_fs"?: bool, "progress"?: bool}
 *   -> {"root": root object}
 * Add DIR as a discovery root (or change its depth) and scan it. The
 * scan runs on the daemon's loop, so the answer comes at once with the
 * root "scanning" (poll roots for its end); with "progress": true (and
 * an id) it comes when the scan is done, after VENVD_N_PROGRESS
 * notifications.
 */
#define VENVD_M_WATCH		"watch"

/*
 * unwatch {"path": DIR} -> {"removed": bool}
 * Remove a root added by watch; its venvs stay indexed. A root from the
 * config file or a store is RPC_INVALID_PARAMS, saying to edit the
 * config (watch of either too).
 */
#define VENVD_M_UNWATCH		"unwatch"

/* roots {} -> {"roots": [root object...]} */
#define VENVD_M_ROOTS		"roots"

/*
 * allow {"path": VENV | PROJECT, "env"?: ENV}
 *   -> {"venv": PATH, "trust": "trusted"}
 * Trust the venv resolve gives for PATH (in the client's environment
 * "env", as resolve). A venv that fails the hard rule, or no venv, is
 * RPC_INVALID_PARAMS with the reason.
 */
#define VENVD_M_ALLOW		"allow"

/* deny {"path": VENV | PROJECT, "env"?: ENV} -> {"venv": PATH, "trust": "denied"} */
#define VENVD_M_DENY		"deny"

/*
 * trust {}
 *   -> {"decisions": [{"path": REALPATH, "decision": "allow" | "deny",
 *       "dev": N, "ino": N, "decided": unix seconds}...]}
 */
#define VENVD_M_TRUST		"trust"

/*
 * subscribe {"paths"?: [DIR | FILE...] (at most VENVD_SUBSCRIBE_MAX_PATHS),
 *     "since"?: CLOCK}
 *   -> {"generation": G, "clock": CLOCK, "fresh_instance": bool,
 *       "changes": [{"path": PATH as given, "venv": venv object | null}...],
 *       "venvs": [record | {"path": P, "removed": true}...], "indexed": bool}
 * Turns the connection into a stream (as a notification, without an id,
 * it does nothing): no idle timeout; requests may still be sent on it.
 * CLOCK is an opaque string ("<instance>:<N>") that moves with every
 * change to the index (a venv added, removed, moved, its state, broken,
 * trust or size changed) and every change that may alter a path's
 * answer. With no "since", the result is the whole state. With a
 * "since" of this instance that the daemon's change log (the last
 * VENVD_SUBSCRIBE_LOG_MAX changes, VENVD_SUBSCRIBE_LOG_BYTES of paths)
 * still covers, it is what changed after it: "venvs" the records of the
 * venvs added or changed and {"path": P, "removed": true} for those
 * gone (no paths), or every path when the clock moved at all (paths);
 * nothing when since is the current clock. Any other "since" (another
 * instance, older than the log, unparsable, a generation) gets
 * "fresh_instance": true and the whole state: drop every cached answer.
 * "indexed" is false without an index. A record of a venv moved with mv
 * (same st_dev, st_ino and birth time) carries "moved_from": OLD PATH,
 * and the old path is listed as removed. Subscribing again on the
 * stream replaces the subscription. Then, once changes settle
 * (VENVD_SUBSCRIBE_QUIET_MS), a subscriber whose view changed gets
 * VENVD_N_VENVS_CHANGED.
 */
#define VENVD_M_SUBSCRIBE	"subscribe"

/*
 * Notifications from the daemon (no id).
 *
 * venvs_changed {"generation": G, "clock": CLOCK, "changes": [{"path", "venv"}...],
 *     "venvs": [record | {"path": P, "removed": true}...]}
 * For a path subscriber: the paths whose answer changed, or whose venv's
 * "state", "broken" or "trust" changed, and their records. For a
 * subscriber with no paths: "changes" empty; "venvs" each record added
 * or changed (last_seen alone does not count) and one {"removed": true}
 * per record gone.
 *
 * error {"code": RPC_SUBSCRIBER_DROPPED, "message": TEXT}: the last line
 * before the daemon closes a stream that was not read.
 */
/*
 * progress {"id": ID (the request's), "phase": "scan" | "sizes", ...}:
 * only to a request that asked with "progress": true, before its answer,
 * every VENVD_PROGRESS_MS. watch: {"phase": "scan", "path": ROOT, "dirs":
 * N (directories scanned so far), "venvs": N (found so far)}. list:
 * {"phase": "scan", "roots": N (being scanned), "dirs": N, "venvs": N},
 * then {"phase": "sizes", "measured": N, "total": N}.
 */
#define VENVD_N_PROGRESS	"progress"
#define VENVD_N_VENVS_CHANGED	"venvs_changed"
#define VENVD_N_ERROR		"error"

/*
 * Error codes: JSON-RPC 2.0's, then the server-defined ones.
 */
#define RPC_PARSE_ERROR		(-32700)	/* not JSON, not UTF-8, \u0000 or a lone surrogate; id null */
#define RPC_INVALID_REQUEST	(-32600)	/* not a request object */
#define RPC_METHOD_NOT_FOUND	(-32601)	/* no such method */
#define RPC_INVALID_PARAMS	(-32602)	/* params not an object; a path missing, relative, too long, with NUL; ... */
#define RPC_INTERNAL_ERROR	(-32603)	/* the index is unavailable, or another fault */
#define RPC_SERVER_BUSY		(-32000)	/* at the client cap, or shutting down; then closed */
#define RPC_LINE_TOO_LONG	(-32001)	/* a line over VENVD_MAX_LINE; id null; then closed */
#define RPC_SUBSCRIBER_DROPPED	(-32002)	/* the final "error" notification of a stream left unread; the answer to a request whose progress was left unread */

/*
 * The generation file (<socket dir>/generation) holds one line
 * "<instance>-<counter>\n"; instance is unique per daemon start so a
 * restart never repeats a value. Every change that can alter an answer
 * moves it. Written by rename(2), read by hooks with the shell's builtin
 * read; gone when no daemon runs.
 */

#endif

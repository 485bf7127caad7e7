"""venvd_client: talk to the venvd daemon from Python (standard library only).

For tools, scripts and Jupyter launchers that want to know which venv applies
to a directory, or to hear when that changes::

    import venvd_client

    c = venvd_client.Client()                 # $VENVD_SOCKET or the default
    v = c.resolve("/home/me/proj/src/x.py")   # dict, or None when no venv applies
    print(v["python"] if v else "no venv")
    for venv in c.list():
        print(venv["path"], venv["state"])
    for note in c.subscribe(paths=["/home/me/proj"]):
        print(note["clock"], note["changes"])
    for item in c.follow():                   # survives reconnects and restarts
        if item.get("fresh_instance"):
            cache.clear()                     # the whole state follows in item
        apply(item["venvs"])

A change stream resumes: every subscribe result and notification carries a
"clock"; subscribing again with since=that clock answers only what changed
after it, or, when the daemon cannot tell (it restarted, the clock is older
than its change log), "fresh_instance": true and the whole state. follow()
keeps the last clock and does that after every reconnect.

Every call has a timeout (seconds; default 2). Errors are typed:
VenvdError is the base; NotRunning (no daemon on the socket), Timeout,
ProtocolError (the daemon sent something that is not the protocol),
RpcError (the daemon answered with a JSON-RPC error: .code, .message) and
its subclass Dropped (a subscriber that read too slowly was cut off).
The daemon is never started from here: that is the venvd client's job.

Paths are bytes. Arguments may be str or bytes (or os.PathLike); every path
in an answer is a str that os.fsencode() turns back into the exact bytes:
a byte that is not UTF-8 arrives as a lone surrogate U+DC80..U+DCFF, the
"surrogateescape" form os.fsdecode() makes. On the wire that is the JSON
escape \\udcXX (see venvd-protocol(7)).
"""
import json
import os
import stat
import socket
import time

__all__ = ["Client", "VenvdError", "NotRunning", "Timeout", "ProtocolError",
           "RpcError", "Dropped", "Follower", "default_socket", "resolve",
           "list_venvs", "status", "subscribe"]

DEFAULT_TIMEOUT = 2.0
MAX_LINE = 64 * 1024 * 1024     # longest reply line accepted (list of many venvs)
SUBSCRIBER_DROPPED = -32002


class VenvdError(Exception):
    """Something went wrong talking to venvd."""


class NotRunning(VenvdError):
    """No daemon answers on the socket."""


class Timeout(VenvdError):
    """The daemon did not answer in time."""


class ProtocolError(VenvdError):
    """The daemon's reply was not the protocol (bad JSON, wrong id, cut short)."""


class RpcError(VenvdError):
    """The daemon answered with a JSON-RPC error."""

    def __init__(self, code, message, data=None):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class Dropped(RpcError):
    """The daemon dropped this subscription (it was read too slowly)."""


def _path(p):
    """An absolute path argument as the str the protocol carries."""
    return os.fsdecode(os.path.abspath(os.fspath(p)))


RUN_USER_BASE = "/run/user"    # where logind makes each user's runtime directory


def _run_user_dir():
    """/run/user/UID when it is a directory of ours with no group/other bits."""
    d = os.path.join(RUN_USER_BASE, str(os.getuid()))
    try:
        st = os.lstat(d)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return d


def default_socket():
    """The socket venvd uses: $VENVD_SOCKET, else $XDG_RUNTIME_DIR/venvd/venvd.sock,
    else /run/user/UID/venvd/venvd.sock when that directory is ours and private,
    else /tmp/venvd-UID/venvd.sock (as venvd(1) documents)."""
    s = os.environ.get("VENVD_SOCKET")
    if s:
        return s
    run = os.environ.get("XDG_RUNTIME_DIR")
    if not (run and os.path.isabs(run)):
        run = _run_user_dir()
    if run:
        return os.path.join(run, "venvd", "venvd.sock")
    return os.path.join("/tmp", f"venvd-{os.getuid()}", "venvd.sock")


class _Conn:
    """One connection: send requests, read newline-delimited JSON lines."""

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.buf = b""
        try:
            self.sock.connect(path)
        except socket.timeout:
            self.sock.close()
            raise Timeout(f"connecting to {path} timed out") from None
        except (FileNotFoundError, ConnectionRefusedError) as e:
            self.sock.close()
            raise NotRunning(f"venvd is not running on {path}: {e.strerror}") from None
        except OSError as e:
            self.sock.close()
            raise NotRunning(f"cannot connect to {path}: {e}") from None

    def send(self, msg):
        try:
            # ensure_ascii: a lone surrogate (a non-UTF-8 byte) goes out as \\udcXX.
            self.sock.sendall(json.dumps(msg, ensure_ascii=True).encode("ascii") + b"\n")
        except socket.timeout:
            raise Timeout("sending to venvd timed out") from None
        except OSError as e:
            raise NotRunning(f"venvd went away: {e}") from None

    def read(self, deadline=None):
        """The next message as a dict; None at a clean end of stream."""
        while b"\n" not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("venvd did not answer in time")
                self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout("venvd did not answer in time") from None
            except OSError as e:
                raise NotRunning(f"venvd went away: {e}") from None
            if not chunk:
                if self.buf:
                    raise ProtocolError("the daemon closed the connection mid-line")
                return None
            self.buf += chunk
            if len(self.buf) > MAX_LINE and b"\n" not in self.buf:
                raise ProtocolError("reply line too long")
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            msg = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError as e:
            raise ProtocolError(f"not JSON from the daemon: {e}") from None
        if not isinstance(msg, dict):
            raise ProtocolError("a reply that is not a JSON object")
        return msg

    def close(self):
        self.sock.close()


def _error(err):
    """The typed exception for a JSON-RPC error object."""
    if not isinstance(err, dict):
        return ProtocolError(f"malformed error: {err!r}")
    code, message = err.get("code"), err.get("message", "")
    cls = Dropped if code == SUBSCRIBER_DROPPED else RpcError
    return cls(code, message, err.get("data"))


class Client:
    """A venvd client. Each call opens its own short connection."""

    def __init__(self, socket_path=None, timeout=DEFAULT_TIMEOUT):
        self.socket_path = socket_path or default_socket()
        self.timeout = timeout
        self.last_clock = None      # the clock of the last subscribe item read

    def call(self, method, params=None, timeout=None):
        """One JSON-RPC request; its result, or a typed error."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        c = _Conn(self.socket_path, timeout)
        try:
            c.send({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
            msg = c.read(deadline)
        finally:
            c.close()
        if msg is None:
            raise ProtocolError(f"the daemon closed the connection without answering {method}")
        if "error" in msg:
            raise _error(msg["error"])
        if msg.get("id") != 1 or "result" not in msg:
            raise ProtocolError(f"unexpected reply to {method}: {msg!r}")
        return msg["result"]

    def follow(self, paths=None, since=None, retry=0.5, give_up=None):
        """A Follower: subscribe, and after any reconnect resume from the
        last clock read (see Follower)."""
        return Follower(self, paths, since, retry, give_up)

    def resolve(self, path):
        """The venv (a dict: path, python, version, prompt, project, ...) that
        applies to path, a directory or a file; None when none does."""
        return self.call("resolve", {"path": _path(path)})["venv"]

    def list(self, project=None, include_broken=True):
        """Every indexed venv record (a list of dicts: path, project, manager,
        state, ...; see venvd-protocol(7)). "manager" names the tool that keeps
        the venv ("poetry", "pipenv", "venv", ...); "project" is None for a
        venv in a tool's store that nothing links to a project."""
        params = {"include_broken": bool(include_broken)}
        if project is not None:
            params["project"] = _path(project)
        return self.call("list", params)["venvs"]

    def status(self):
        """The daemon's status object."""
        return self.call("status")

    def subscribe(self, paths=None, since=None, initial=False, timeout=None):
        """A generator of venvs_changed notifications' params
        ({"generation", "clock", "changes", "venvs"}) for paths (or the whole
        index).

        since: a clock from an earlier subscription; the first state then
        holds only what changed after it, or, with "fresh_instance" true, the
        whole state (drop what you cached). self.last_clock is the clock of
        the last item read, to resume from.

        With initial=True the first item is the subscribe result (the current
        state, with "fresh_instance"). timeout bounds each wait for a
        notification (None: wait for ever); it raises Timeout when it passes.
        Ends when the daemon stops; raises Dropped if the daemon cut the
        subscription off. Closing the generator closes the connection.
        """
        params = {}
        if paths is not None:
            params["paths"] = [_path(p) for p in paths]
        if since is not None:
            params["since"] = since
        c = _Conn(self.socket_path, self.timeout)
        try:
            c.send({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": params})
            first = c.read(time.monotonic() + self.timeout)
            if first is None:
                raise ProtocolError("the daemon closed the connection without answering subscribe")
            if "error" in first:
                raise _error(first["error"])
            if "result" not in first:
                raise ProtocolError(f"unexpected reply to subscribe: {first!r}")
            self.last_clock = first["result"].get("clock", self.last_clock)
            if initial:
                yield first["result"]
            while True:
                deadline = None if timeout is None else time.monotonic() + timeout
                if deadline is None:
                    c.sock.settimeout(None)
                msg = c.read(deadline)
                if msg is None:
                    return
                if msg.get("method") == "venvs_changed":
                    params = msg.get("params", {})
                    self.last_clock = params.get("clock", self.last_clock)
                    yield params
                elif msg.get("method") == "error":
                    raise _error(msg.get("params"))
                elif "error" in msg:
                    raise _error(msg["error"])
                # Anything else (a future notification) is skipped.
        finally:
            c.close()


class Follower:
    """A subscription that outlives its connection.

    Iterating yields, first, the subscribe result (a dict with "clock",
    "fresh_instance", "changes", "venvs"), then each notification's params.
    When the connection ends (the daemon restarted, it dropped a slow reader,
    the socket went away), it waits retry seconds and subscribes again with
    since = the last clock read, yielding that result: "fresh_instance" true
    means the daemon could not tell what changed (another instance, or more
    changes than its log holds): drop everything cached, the item holds the
    whole state; false means the item holds only what changed meanwhile.
    give_up: seconds without a daemon after which NotRunning is raised
    (None: keep trying). .clock is the last clock read.
    """

    def __init__(self, client, paths=None, since=None, retry=0.5, give_up=None):
        self.client = client
        self.paths = paths
        self.clock = since
        self.retry = retry
        self.give_up = give_up
        self.reconnects = 0

    def __iter__(self):
        down_since = None
        while True:
            gen = self.client.subscribe(self.paths, since=self.clock, initial=True)
            try:
                for item in gen:
                    down_since = None
                    self.clock = item.get("clock", self.clock)
                    yield item
            except (NotRunning, Timeout, ProtocolError, Dropped):
                pass
            finally:
                gen.close()
            now = time.monotonic()
            down_since = down_since or now
            if self.give_up is not None and now - down_since > self.give_up:
                raise NotRunning(f"no venvd on {self.client.socket_path} for "
                                 f"{self.give_up} s")
            self.reconnects += 1
            time.sleep(self.retry)


def resolve(path, **kw):
    """Client(**kw).resolve(path)."""
    return Client(**kw).resolve(path)


def list_venvs(**kw):
    """Client(**kw).list()."""
    return Client(**kw).list()


def status(**kw):
    """Client(**kw).status()."""
    return Client(**kw).status()


def subscribe(paths=None, since=None, **kw):
    """Client(**kw).subscribe(paths, since)."""
    return Client(**kw).subscribe(paths, since)

"""venvd_test.py: the Python side of the integration harness (mirrors harness.sh).

Importing it gives the process private XDG dirs and a private socket under a
fresh temp dir (removed at exit). Daemon() starts the real venvd-daemon in the
foreground on that socket as a context manager; connect() and call() talk raw
JSON-RPC to it; wait_for() polls a condition. Tests exit 0 pass, 1 fail, 77 skip.
"""
import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

for _var in ("VENVD", "VENVD_DAEMON", "TOP_SRCDIR"):
    if _var not in os.environ:
        print(f"SKIP: {_var} is not set (run through make check)", file=sys.stderr)
        sys.exit(77)

VENVD = os.environ["VENVD"]
VENVD_DAEMON = os.environ["VENVD_DAEMON"]
TOP_SRCDIR = os.environ["TOP_SRCDIR"]

# Short base dir: a Unix socket path must fit in 108 bytes.
T = tempfile.mkdtemp(prefix="vt.", dir="/tmp")
for _name, _sub in (("HOME", "home"), ("XDG_STATE_HOME", "state"),
                    ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                    ("XDG_DATA_HOME", "data")):
    os.environ[_name] = os.path.join(T, _sub)
    os.makedirs(os.environ[_name])
os.environ["XDG_RUNTIME_DIR"] = os.path.join(T, "run")
os.mkdir(os.environ["XDG_RUNTIME_DIR"], 0o700)
SOCKET = os.path.join(os.environ["XDG_RUNTIME_DIR"], "venvd", "venvd.sock")
os.environ["VENVD_SOCKET"] = SOCKET
os.environ["VENVD_AUTOSTART"] = "0"
for _var in ("VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "VENVD_ACTIVE", "PYTHONHOME"):
    os.environ.pop(_var, None)
DAEMON_LOG = os.path.join(T, "daemon.log")

_daemons = []


class TestFailure(Exception):
    """An assertion about venvd's behaviour did not hold."""


def fail(msg):
    """Raise a test failure with msg (run() reports it and exits 1)."""
    raise TestFailure(msg)


def say(msg):
    """Note progress in the test's log."""
    print(f"# {msg}", flush=True)


def check(cond, msg):
    """Fail with msg unless cond holds."""
    if not cond:
        fail(msg)


def wait_for(pred, timeout=10.0, interval=0.02):
    """Poll pred() until it returns a true value (returned) or timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = pred()
            if r:
                return r
        except (OSError, ValueError, TestFailure):
            pass
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def write_config(text):
    """Write $XDG_CONFIG_HOME/venvd/config."""
    d = os.path.join(os.environ["XDG_CONFIG_HOME"], "venvd")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write(text)


def mkvenv(path, *args):
    """Make a real venv quickly (python3 -m venv --without-pip)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *args, path],
                   check=True)


class Conn:
    """One raw connection to the daemon, speaking newline-delimited JSON-RPC."""

    def __init__(self, path=None, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Connect blocking: a non-blocking AF_UNIX connect fails with EAGAIN
        # when the listen backlog is momentarily full.
        self.sock.connect(path or SOCKET)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.next_id = 1

    def send(self, data):
        """Send raw bytes."""
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def request(self, method, params=None, id=None):
        """Send one request; returns its id."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(json.dumps(msg) + "\n")
        return id

    def read_line(self):
        """The next response line as bytes, or None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read(self):
        """The next response, decoded; fails at EOF."""
        line = self.read_line()
        if line is None:
            fail("connection closed while waiting for a response")
        return json.loads(line)

    def call(self, method, params=None):
        """Request and return the whole response object."""
        id = self.request(method, params)
        resp = self.read()
        check(resp.get("id") == id, f"response id {resp.get('id')!r} != {id!r}: {resp}")
        return resp

    def result(self, method, params=None):
        """Request and return the result, failing on an error response."""
        resp = self.call(method, params)
        check("result" in resp, f"{method} {params}: error {resp.get('error')}")
        return resp["result"]

    def at_eof(self, timeout=30.0):
        """True if the daemon closes the connection within timeout."""
        self.sock.settimeout(max(timeout, 0.01))
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, BlockingIOError):
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(path=None, timeout=30.0):
    """A new Conn to the daemon's socket."""
    return Conn(path, timeout)


class Sub:
    """A subscribe connection: the first result, then notifications."""

    def __init__(self, params=None, timeout=30.0):
        self.c = connect(timeout=timeout)
        self.first = self.c.result("subscribe", params if params is not None else {})

    def next(self, timeout=3.0):
        """The next notification (a dict), or None if none comes in time."""
        self.c.sock.settimeout(timeout)
        try:
            line = self.c.read_line()
        except (TimeoutError, OSError):
            return None
        return json.loads(line) if line is not None else None

    def drain(self, quiet=0.4):
        """Every notification until none comes for quiet seconds."""
        out = []
        while True:
            n = self.next(quiet)
            if n is None:
                return out
            out.append(n)

    def close(self):
        self.c.close()


def call(method, params=None):
    """One request on a fresh connection; the whole response object."""
    with connect() as c:
        return c.call(method, params)


def answers():
    """Does a daemon answer status on the socket?"""
    try:
        return "result" in call("status")
    except (OSError, ValueError, TestFailure):
        return False


class Daemon:
    """The real venvd-daemon in the foreground on the private socket.

    with Daemon() as d: ... ; d.proc is the Popen; d.log() the log text.
    """

    def __init__(self, *args, verbose=True):
        self.args = list(args)
        self.verbose = verbose
        self.proc = None

    def start(self):
        argv = [VENVD_DAEMON, "--foreground"] + (["-v"] if self.verbose else []) + self.args
        self.logf = open(DAEMON_LOG, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        _daemons.append(self)
        if not wait_for(lambda: self.proc.poll() is not None or answers()):
            fail("daemon did not answer within 10 s")
        if self.proc.poll() is not None:
            fail(f"daemon exited with {self.proc.returncode} during startup")
        return self

    def stop(self):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.logf.close()
            return self.proc.returncode
        return None

    def log(self):
        with open(DAEMON_LOG, "r", errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _cleanup():
    for d in _daemons:
        if d.proc is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    shutil.rmtree(T, ignore_errors=True)


atexit.register(_cleanup)


def run(*tests):
    """Run each test function in order; exit 0 if all pass, else 1 (77 on skip)."""
    failed = 0
    for t in tests:
        say(f"{t.__name__}")
        try:
            t()
        except TestFailure as e:
            failed += 1
            print(f"FAIL: {t.__name__}: {e}", file=sys.stderr)
        except Exception as e:  # a crash in the test is a failure too
            failed += 1
            print(f"FAIL: {t.__name__}: {type(e).__name__}: {e}", file=sys.stderr)
            traceback.print_exc()
        else:
            say(f"ok {t.__name__}")
    if failed:
        try:
            with open(DAEMON_LOG, errors="replace") as f:
                tail = f.read().splitlines()[-30:]
            print("--- daemon log (last 30 lines)", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
        except OSError:
            pass
    sys.exit(1 if failed else 0)

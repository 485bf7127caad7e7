"""rpc_conn.py: one raw JSON-RPC connection to the daemon's socket, shared by
the Python benchmarks (editor_bench.py, stream_bench.py)."""
import json
import socket


class Conn:
    """A raw JSON-RPC connection; read_sized() also gives the line's bytes."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, method, params=None):
        msg = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        self.s.sendall(json.dumps(msg).encode() + b"\n")

    def read_sized(self):
        """The next line as (JSON value, bytes on the wire, newline included)."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line), len(line) + 1

    def read(self):
        """The next line as a JSON value."""
        return self.read_sized()[0]

    def call(self, method, params=None):
        self.send(method, params)
        return self.read()

    def close(self):
        self.s.close()

#!/usr/bin/env python3
"""rpc.py METHOD [PARAMS_JSON]: send one JSON-RPC request to the venvd socket
($VENVD_SOCKET) and print the result as JSON. Exit 1 on an error reply, 2 when
the daemon cannot be reached. For tests that must not depend on the client."""
import json
import os
import socket
import sys


def call(method, params=None, sock_path=None, timeout=30.0):
    """Send one request and return the decoded response object."""
    sock_path = sock_path or os.environ["VENVD_SOCKET"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    req = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    s.sendall(json.dumps(req).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    try:
        resp = call(sys.argv[1], params)
    except (OSError, ValueError) as e:
        print(f"rpc.py: {e}", file=sys.stderr)
        return 2
    if "error" in resp:
        print(json.dumps(resp["error"]))
        return 1
    print(json.dumps(resp["result"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

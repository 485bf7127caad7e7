#!/usr/bin/env python3
"""daemon_protocol.py: the daemon's JSON-RPC framing and error handling, against
the real venvd-daemon on a private socket: pipelining, partial writes, oversized
lines, bad JSON and bad params, file paths, 200 concurrent clients next to a
silent one, idle timeout, the client cap and backpressure."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
from venvd_test import (T, Daemon, check, connect, fail, mkvenv, run, say,  # noqa: E402
                        wait_for, write_config)

PATH_MAX = 4096
MAX_LINE = 64 * 1024


def err_code(resp):
    """The error code of a response (None if it is a result)."""
    return resp.get("error", {}).get("code")


def test_pipelining():
    with connect() as c:
        batch = "".join(json.dumps({"jsonrpc": "2.0", "id": i, "method": "status"}) + "\n"
                        for i in range(1, 11))
        c.send(batch)
        ids = [c.read()["id"] for _ in range(10)]
        check(ids == list(range(1, 11)), f"pipelined answers out of order: {ids}")


def test_partial_writes():
    with connect() as c:
        req = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "resolve",
                          "params": {"path": "/"}}) + "\n"
        for b in req.encode():
            c.send(bytes([b]))
            time.sleep(0.001)
        resp = c.read()
        check(resp.get("id") == 7 and "result" in resp, f"dribbled request: {resp}")
        check("generation" in resp["result"] and "venv" in resp["result"],
              f"resolve result lacks fields: {resp}")


def test_crlf_and_empty_lines():
    with connect() as c:
        c.send(b"\n\r\n" + json.dumps({"jsonrpc": "2.0", "id": 3, "method": "status"}).encode()
               + b"\r\n")
        resp = c.read()
        check(resp.get("id") == 3 and "result" in resp, f"CRLF request: {resp}")
        # A final request without '\n' before EOF is still answered.
        c.send(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "status"}))
        c.sock.shutdown(socket.SHUT_WR)
        resp = c.read()
        check(resp.get("id") == 4, f"unterminated last line not answered: {resp}")
        check(c.at_eof(), "connection not closed after EOF")


def test_oversized_line():
    with connect() as c:
        try:
            c.send(b"x" * (MAX_LINE + 1) + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = c.read()
        check(err_code(resp) == -32001, f"oversized line: expected -32001, got {resp}")
        check("64" in resp["error"]["message"] or "long" in resp["error"]["message"],
              f"unclear message: {resp}")
        check(c.at_eof(), "connection not closed after an oversized line")
    # A line of exactly the maximum is fine (it is just invalid JSON).
    with connect() as c:
        c.send(b"y" * MAX_LINE + b"\n")
        check(err_code(c.read()) == -32700, "a 64 KiB line should be a parse error, not refused")
        check("result" in c.call("status"), "connection unusable after a 64 KiB line")


def test_invalid_json():
    with connect() as c:
        c.send(b"{not json\n")
        resp = c.read()
        check(err_code(resp) == -32700, f"invalid JSON: expected -32700, got {resp}")
        check(resp.get("id") is None, f"parse error must have id null: {resp}")
        check("result" in c.call("status"), "connection unusable after invalid JSON")
        # Non-UTF-8 bytes get an error too, and the connection survives.
        c.send(b'{"jsonrpc":"2.0","id":9,"method":"resolve","params":{"path":"/tmp/\xff"}}\n')
        resp = c.read()
        check(err_code(resp) in (-32700, -32602), f"non-UTF-8 request: {resp}")
        check("result" in c.call("status"), "connection unusable after non-UTF-8 bytes")


def test_wrong_types():
    with connect() as c:
        for line, want in (
                ('[1,2,3]', -32600),
                ('"status"', -32600),
                ('null', -32600),
                ('{"jsonrpc":"2.0","id":1,"method":42}', -32600),
                ('{"jsonrpc":"1.0","id":1,"method":"status"}', -32600),
                ('{"jsonrpc":"2.0","id":1}', -32600),
                ('{"jsonrpc":"2.0","id":1,"method":"resolve","params":{"path":5}}', -32602),
                ('{"jsonrpc":"2.0","id":1,"method":"resolve","params":{}}', -32602),
                # jansson refuses \u0000 while decoding; either answer will do.
                ('{"jsonrpc":"2.0","id":1,"method":"resolve","params":{"path":"/a\\u0000b"}}',
                 (-32602, -32700)),
        ):
            c.send(line + "\n")
            resp = c.read()
            ok = err_code(resp) in want if isinstance(want, tuple) else err_code(resp) == want
            check(ok, f"{line}: expected {want}, got {resp}")
            check(resp["error"].get("message"), f"{line}: empty error message")
        check("result" in c.call("status"), "connection unusable after wrong types")


def test_unknown_method():
    resp = connect().call("frobnicate", {})
    check(err_code(resp) == -32601, f"unknown method: {resp}")
    check('"frobnicate"' in resp["error"]["message"], f"message should name it: {resp}")


def test_notification():
    with connect() as c:
        c.send(json.dumps({"jsonrpc": "2.0", "method": "status"}) + "\n")
        c.send(json.dumps({"jsonrpc": "2.0", "method": "nosuch"}) + "\n")
        resp = c.call("status")
        check(resp.get("id") == 1, f"a notification was answered: {resp}")


def test_bad_paths():
    with connect() as c:
        resp = c.call("resolve", {"path": "relative/dir"})
        check(err_code(resp) == -32602 and "absolute" in resp["error"]["message"],
              f"relative path: {resp}")
        resp = c.call("resolve", {"path": "/" + "a" * PATH_MAX})
        check(err_code(resp) == -32602 and "PATH_MAX" in resp["error"]["message"],
              f"path over PATH_MAX: {resp}")
        # A path with spaces, quotes and $(...) that does not exist is fine.
        r = c.result("resolve", {"path": "/nonexistent/a b/\"q\"/$(touch x)"})
        check(r["venv"] is None, f"nonexistent path found a venv: {r}")


def test_file_path():
    proj = os.path.join(T, "proj with space")
    os.makedirs(os.path.join(proj, "src"))
    mkvenv(os.path.join(proj, ".venv"))
    f = os.path.join(proj, "src", "main.py")
    with open(f, "w") as fh:
        fh.write("print()\n")
    with connect() as c:
        # wait_ms: both answers carry git's verdict, however slow git is.
        r = c.result("resolve", {"path": f, "wait_ms": 20000})
        check(r["venv"] is not None and r["venv"]["path"] == os.path.join(proj, ".venv"),
              f"file path should resolve like its directory: {r}")
        check(r["venv"]["project"] == proj, f"project: {r}")
        check(isinstance(r["cacheable"], bool), f"cacheable missing: {r}")
        r2 = c.result("resolve", {"path": os.path.join(proj, "src"), "wait_ms": 20000})
        check(r2["venv"] == r["venv"], f"dir and file disagree: {r2} vs {r}")


def test_status_fields():
    st = connect().result("status", {})
    for k in ("pid", "version", "protocol", "uptime_s", "socket", "generation", "requests",
              "cache_hits", "cached_dirs", "watches", "watch_limit", "clients", "degraded"):
        check(k in st, f"status lacks {k}: {st}")
    check(st["protocol"] == 1 and isinstance(st["degraded"], list), f"status: {st}")
    check(st["clients"] >= 1, f"status should count its own connection: {st}")
    check(st["socket"] == os.environ["VENVD_SOCKET"], f"status socket: {st}")


def test_concurrent_and_silent():
    silent = connect()
    opened = time.monotonic()
    n = 200
    results = [None] * n
    errors = []

    def client(i):
        try:
            with connect(timeout=10) as c:
                results[i] = c.result("resolve", {"path": T})
        except Exception as e:  # collected and reported below
            errors.append(f"client {i}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    check(not errors, f"{len(errors)} clients failed: {errors[:3]}")
    check(all(r is not None for r in results), "not every client was answered")
    check(not silent.at_eof(0), "the silent client was closed too early")
    say(f"200 clients answered in {time.monotonic() - opened:.2f}s beside a silent one")
    check(silent.at_eof(15), "the silent client was not closed within 15 s")
    took = time.monotonic() - opened
    check(8.5 <= took <= 14, f"silent client closed after {took:.1f}s, expected ~10s")
    silent.close()


def test_backpressure():
    """A client that pipelines and never reads must not stall others or grow memory."""
    d = DAEMON
    flood = connect()
    flood.sock.setblocking(False)
    req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "status"}) + "\n").encode() * 2000
    sent = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sent < 64 * 1024 * 1024:
        try:
            sent += flood.sock.send(req)
        except BlockingIOError:
            time.sleep(0.05)
            try:
                sent += flood.sock.send(req)
            except BlockingIOError:
                break
    say(f"flooder wrote {sent} bytes before blocking")
    with connect() as c:
        check("result" in c.call("status"), "another client stalled by a flooder")
    with open(f"/proc/{d.proc.pid}/status") as f:
        rss = [int(line.split()[1]) for line in f if line.startswith("VmRSS:")][0]
    with open(f"/proc/{d.proc.pid}/maps") as f:
        asan = "libasan" in f.read()
    if asan:
        say(f"daemon RSS {rss} kB: not checked (AddressSanitizer's quarantine keeps freed memory)")
    else:
        check(rss < 64 * 1024, f"daemon RSS {rss} kB: output not bounded")
    check(sent < 64 * 1024 * 1024, "the daemon never stopped reading the flooder")
    flood.close()
    check(wait_for(lambda: connect().result("status")["clients"] == 1),
          "the flooder's connection was not cleaned up")


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_emfile():
    """Out of fds on accept: drop the newcomers, do not spin, recover."""
    import resource
    pid = DAEMON.proc.pid
    old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    nfds = len(os.listdir(f"/proc/{pid}/fd"))
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (nfds + 3, old[1]))
    conns = []
    try:
        for _ in range(12):
            conns.append(connect(timeout=2))
        check(wait_for(lambda: "out of file descriptors" in DAEMON.log(), 5),
              "EMFILE on accept was not logged")
        t0 = cpu_ticks(pid)
        time.sleep(1.0)
        used = (cpu_ticks(pid) - t0) / os.sysconf("SC_CLK_TCK")
        check(used < 0.3, f"daemon spun at EMFILE: {used:.2f}s CPU in 1s")
        dropped = sum(1 for c in conns if c.at_eof(0.5))
        check(dropped >= 1, "no connection was dropped while out of fds")
    finally:
        for c in conns:
            c.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, old)
    check(wait_for(lambda: "result" in connect().call("status")),
          "daemon did not recover after EMFILE")


def test_client_cap():
    check(DAEMON.stop() == 0, "daemon did not exit 0 on SIGTERM")
    write_config("max_clients = 5\n")
    with Daemon() as d:
        # Wait until the start-up probe's connection is gone, on a
        # connection that stays open (a new probe would leave another).
        first = connect()
        check(wait_for(lambda: first.result("status")["clients"] == 1),
              "start-up probe connection never went away")
        conns = [first]
        for _ in range(4):
            c = connect()
            check("result" in c.call("status"), "one of the first 5 clients refused")
            conns.append(c)
        sixth = connect()
        resp = sixth.read()
        check(err_code(resp) == -32000 and "too many" in resp["error"]["message"],
              f"6th client: expected the busy error, got {resp}")
        check(sixth.at_eof(), "the refused client was not closed")
        sixth.close()
        conns.pop().close()
        check(wait_for(lambda: "result" in connect().call("status")),
              "no room again after a client left")
        for c in conns:
            c.close()
        check(d.proc.poll() is None, "daemon died")
    check(d.proc.returncode == 0, f"daemon exit status {d.proc.returncode}")
    os.unlink(os.path.join(os.environ["XDG_CONFIG_HOME"], "venvd", "config"))


def test_shutdown_method():
    with Daemon() as d:
        with connect() as c:
            r = c.result("shutdown", {})
            check(r == {"ok": True}, f"shutdown result: {r}")
        try:
            d.proc.wait(10)
        except Exception:
            fail("daemon did not exit after shutdown")
        check(d.proc.returncode == 0, f"shutdown exit status {d.proc.returncode}")
        check(not os.path.exists(os.environ["VENVD_SOCKET"]), "socket left behind")


DAEMON = Daemon()


def main():
    DAEMON.start()
    run(test_pipelining, test_partial_writes, test_crlf_and_empty_lines, test_oversized_line,
        test_invalid_json, test_wrong_types, test_unknown_method, test_notification,
        test_bad_paths, test_file_path, test_status_fields, test_concurrent_and_silent,
        test_backpressure, test_emfile, test_client_cap, test_shutdown_method)


if __name__ == "__main__":
    main()

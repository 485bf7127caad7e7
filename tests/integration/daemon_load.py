#!/usr/bin/env python3
"""daemon_load.py: 300 clients at once, each resolving ten directories the
daemon has never seen (pipelined), against the real venvd-daemon.

The daemon is stopped (SIGSTOP) while every client connects and sends its
request, so the whole crowd arrives at once however fast the machine is;
nothing here measures time. It proves:
  - every connect succeeds up to max_clients (the listen backlog is not 128),
    and past max_clients a client gets a clean "server busy" error;
  - a cached resolve and status, sent behind the crowd, are answered while
    uncached resolves are still held ("held" in status > 0): uncached work
    waits its turn instead of starving them;
    (3000 uncached resolves are far more than any machine does in the few
    loop turns before the daemon reads the probe);
  - every one of the 300 gets the right answers, in order.
"""
import json
import os
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
from venvd_test import (SOCKET, T, Daemon, call, check, connect, fail, mkvenv,  # noqa: E402
                        run, say, wait_for, write_config)

N_LOAD = 300
PER_CLIENT = 10     # uncached resolves each client pipelines
MAX_CLIENTS = 310
RPC_SERVER_BUSY = -32000
PROJ = os.path.join(T, "w", "proj")
VENV = os.path.join(PROJ, ".venv")


def connect_now():
    """A non-blocking connect that does not wait: fails (EAGAIN) if the backlog is full."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(SOCKET)
    except BlockingIOError:
        s.close()
        return None
    return s


def request(id, method, params=None):
    """One request line."""
    msg = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    return (json.dumps(msg) + "\n").encode()


def read_lines(socks, n_each, timeout=60.0):
    """Read n_each lines from every socket; {sock: [decoded...]} (short at EOF)."""
    sel = selectors.DefaultSelector()
    bufs = {s: b"" for s in socks}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    left = set(socks)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(1.0):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            bufs[s] += chunk
            if not chunk or bufs[s].count(b"\n") >= n_each:
                sel.unregister(s)
                left.discard(s)
    sel.close()
    return {s: [json.loads(x) for x in bufs[s].split(b"\n")[:n_each] if x] for s in socks}


def test_crowd():
    os.makedirs(os.path.join(PROJ, "cached"))
    dirs = [[os.path.join(PROJ, "d", str(i), str(j)) for j in range(PER_CLIENT)]
            for i in range(N_LOAD)]
    for ds in dirs:
        for d in ds:
            os.makedirs(d)
    mkvenv(VENV)
    write_config(f"max_clients = {MAX_CLIENTS}\n")
    with Daemon() as d:
        # Cache one directory and settle its venv's verdict (git included).
        r = call("resolve", {"path": os.path.join(PROJ, "cached"), "wait_ms": 20000})
        check(r["result"]["venv"]["path"] == VENV, f"cached dir: {r}")
        # One connection kept open (so the count is known) until it is the only one.
        keeper = connect()
        if not wait_for(lambda: keeper.result("status")["clients"] == 1):
            fail("earlier connections did not go away")
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            say(f"{N_LOAD} clients connect and ask while the daemon is stopped")
            crowd, failed = [], 0
            for paths in dirs:
                s = connect_now()
                if s is None:
                    failed += 1
                    continue
                s.sendall(b"".join(request(j + 1, "resolve", {"path": p})
                                   for j, p in enumerate(paths)))
                crowd.append((s, paths))
            check(failed == 0, f"{failed} of {N_LOAD} connects failed with EAGAIN")
            # Behind the crowd: a cached resolve and status on one connection.
            probe = connect_now()
            check(probe is not None, "the probe's connect failed")
            probe.sendall(request(1, "resolve", {"path": os.path.join(PROJ, "cached")}) +
                          request(2, "status"))
            # Up to max_clients with idle connections, then two too many.
            fillers = [connect_now() for _ in range(MAX_CLIENTS - N_LOAD - 2)]
            check(all(f is not None for f in fillers), "a filler's connect failed")
            extra = [connect_now() for _ in range(2)]
            check(all(e is not None for e in extra),
                  "a connect past max_clients failed instead of being refused cleanly")
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)

        got = read_lines([probe], 2)[probe]
        check(len(got) == 2, f"probe answers: {got}")
        check(got[0].get("id") == 1 and got[0]["result"]["venv"]["path"] == VENV,
              f"cached resolve behind the crowd: {got[0]}")
        st = got[1]["result"]
        say(f"status behind the crowd: held {st.get('held')}, clients {st['clients']}")
        check(st.get("held", 0) > 0,
              f"status was answered only after every uncached resolve: {st}")

        answers = read_lines([s for s, _ in crowd], PER_CLIENT)
        wrong = [(p, answers[s]) for s, p in crowd
                 if [a.get("id") for a in answers[s]] != list(range(1, PER_CLIENT + 1))
                 or any((a.get("result", {}).get("venv") or {}).get("path") != VENV
                        for a in answers[s])]
        check(not wrong, f"{len(wrong)} of {N_LOAD} clients got wrong, missing or "
              f"reordered answers, e.g. {wrong[:2]}")

        for e in extra:
            resp = read_lines([e], 1)[e]
            check(len(resp) == 1 and resp[0].get("error", {}).get("code") == RPC_SERVER_BUSY,
                  f"past max_clients: {resp}")
        keeper.close()
        for s in [probe] + fillers + extra + [s for s, _ in crowd]:
            s.close()


if __name__ == "__main__":
    run(test_crowd)

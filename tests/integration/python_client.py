#!/usr/bin/env python3
"""python_client.py: editors/python/venvd_client.py against the real daemon:
resolve (dirs, files, none, a path with spaces and quotes), status, list,
subscribe as a generator (initial state, a change, since), follow() resuming
from its last clock and across a daemon restart, the typed errors
(NotRunning, RpcError, Timeout against a silent fake daemon, ProtocolError
against a babbling one, Dropped), and the default socket path."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "editors", "python"))
from venvd_test import T, Daemon, check, connect, mkvenv, run, say  # noqa: E402

import venvd_client as vc  # noqa: E402

W = os.path.join(T, "w")


def test_resolve_and_status():
    proj = os.path.join(W, "a proj 'q' $(x)")
    os.makedirs(os.path.join(proj, "pkg"))
    mkvenv(os.path.join(proj, ".venv"))
    f = os.path.join(proj, "pkg", "m.py")
    open(f, "w").close()
    c = vc.Client()
    v = c.resolve(proj)
    check(v and v["path"] == os.path.join(proj, ".venv"), f"resolve dir: {v}")
    check(v["python"] == os.path.join(proj, ".venv", "bin", "python"), f"python: {v}")
    check(vc.resolve(f)["path"] == v["path"], "resolve of a file uses its directory")
    none = os.path.join(W, "none")
    os.makedirs(none)
    check(c.resolve(none) is None, "no venv: None")
    st = vc.status()
    check(st["pid"] == DAEMON.proc.pid and "generation" in st, f"status: {st}")


def test_bytes_paths():
    """A directory whose name is not UTF-8: str with surrogates or bytes in,
    paths out that os.fsencode turns into the exact bytes; the wire uses \\udcXX."""
    bproj = os.path.join(os.fsencode(W), b"lat1-\xff\xfe")
    os.makedirs(bproj)
    tmp = os.path.join(W, "tmp-venv")
    mkvenv(tmp)  # venv cannot write its scripts under a non-UTF-8 path: move it
    os.rename(tmp, os.path.join(bproj, b".venv"))
    c = vc.Client()
    for arg in (bproj, os.fsdecode(bproj)):
        v = c.resolve(arg)
        check(v is not None, f"resolve {arg!r}: no venv")
        check(os.fsencode(v["path"]) == bproj + b"/.venv", f"path not byte-exact: {v['path']!r}")
        check(os.fsencode(v["project"]) == bproj, f"project: {v['project']!r}")
        check(os.fsencode(v["python"]) == bproj + b"/.venv/bin/python", f"python: {v['python']!r}")
    # The raw line: the request and the answer carry the bytes as \udcXX.
    s = socket.socket(socket.AF_UNIX)
    s.connect(vc.default_socket())
    path = os.fsdecode(bproj).encode("ascii", "backslashreplace").decode().replace("\\x", "\\udc")
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"resolve","params":{"path":"'
              + path.encode() + b'"}}\n')
    line = s.makefile("rb").readline()
    s.close()
    check(b'lat1-\\udcff\\udcfe/.venv"' in line, f"answer line: {line[:300]!r}")
    line.decode("utf-8")  # the line itself is UTF-8
    # \u0000 is never a path.
    try:
        c.call("resolve", {"path": os.fsdecode(bproj) + "\0"})
    except vc.RpcError as e:
        check(e.code in (-32700, -32602), f"NUL in a path: code {e.code}")
    else:
        check(False, "a path with a NUL was accepted")
    # list and subscribe carry it too.
    venvs = c.list(project=bproj)
    check([os.fsencode(v["path"]) for v in venvs] == [bproj + b"/.venv"],
          f"list by project: {venvs}")
    sub = c.subscribe(paths=[bproj], initial=True, timeout=10)
    first = next(sub)
    sub.close()
    check([os.fsencode(ch["path"]) for ch in first["changes"]] == [bproj],
          f"subscribe changes: {first['changes']}")
    check(os.fsencode(first["changes"][0]["venv"]["path"]) == bproj + b"/.venv",
          f"subscribe venv: {first['changes'][0]}")


def test_rpc_error():
    try:
        vc.Client().call("no_such_method")
    except vc.RpcError as e:
        check(e.code == -32601 and "no_such_method" in e.message, f"error: {e.code} {e.message}")
    else:
        check(False, "unknown method did not raise RpcError")
    try:
        vc.Client().call("resolve", {"path": "relative"})
    except vc.RpcError as e:
        check(e.code == -32602, f"bad params code {e.code}")
    else:
        check(False, "relative path did not raise")


def test_list():
    c = vc.Client()
    try:
        venvs = c.list()
    except vc.RpcError as e:
        check(e.code == -32601, f"list failed other than not-implemented: {e}")
        say("this daemon has no list method yet: list() raises RpcError -32601")
        return
    check(isinstance(venvs, list), f"list: {venvs!r}")
    paths = [v["path"] for v in venvs]
    check(os.path.join(W, "a proj 'q' $(x)", ".venv") in paths, f"resolved venv not listed: {paths}")


def test_subscribe_generator():
    proj = os.path.join(W, "sub")
    os.makedirs(proj)
    c = vc.Client()
    gen = c.subscribe([proj], initial=True, timeout=30)
    first = next(gen)
    check(first["changes"][0]["venv"] is None and "generation" in first, f"initial: {first}")
    mkvenv(os.path.join(proj, ".venv"))
    note = next(gen)
    check(note["changes"][0]["venv"]["path"] == os.path.join(proj, ".venv"), f"note: {note}")
    gen.close()
    # since: the current generation gives nothing initially, then changes.
    # Let the trust check of the new venv settle first (it moves the
    # generation), however long git takes here.
    with connect() as sc:
        sc.result("resolve", {"path": proj, "wait_ms": 20000})
    time.sleep(0.3)     # the settle after the check: nothing to poll for
    current = next(c.subscribe([proj], initial=True))["clock"]
    check(c.last_clock == current, f"last_clock {c.last_clock} != {current}")
    gen = c.subscribe([proj], since=current, initial=True, timeout=0.3)
    first = next(gen)
    check(first["changes"] == [] and not first["fresh_instance"], f"since current: {first}")
    try:
        next(gen)
    except vc.Timeout:
        pass
    else:
        check(False, "a notification with nothing changed")
    gen.close()


def test_follow_resumes():
    """follow() keeps the last clock: a resume lists only what changed."""
    root = os.path.join(W, "follow")
    os.makedirs(root)
    c = vc.Client()
    f = c.follow()
    it = iter(f)
    first = next(it)
    check(first["fresh_instance"] is False and first["clock"] == f.clock, f"first: {first}")
    clock0 = f.clock
    a = os.path.join(root, "a")
    mkvenv(a)
    with connect() as sc:
        sc.result("resolve", {"path": a})       # the resolver indexes it
    while True:
        note = next(it)
        check("fresh_instance" not in note, f"a notification is not a result: {note}")
        if a in [v["path"] for v in note["venvs"]]:
            break
    check(f.clock == note["clock"] and f.clock != clock0, f"clock kept: {f.clock}")
    it.close()
    # Away while b is made: resuming from the old clock lists b.
    b = os.path.join(root, "b")
    mkvenv(b)
    with connect() as sc:
        sc.result("resolve", {"path": b})
    got = []
    deadline = time.monotonic() + 30
    f2 = c.follow(since=f.clock)
    it = iter(f2)
    item = next(it)
    check(item["fresh_instance"] is False, f"resume: {item}")
    got = [v["path"] for v in item["venvs"]]
    while b not in got and time.monotonic() < deadline:
        got += [v["path"] for v in next(it)["venvs"]]
    # Others may be listed too (a's size measured meanwhile, say): more is allowed.
    check(b in got, f"resume from {f.clock}: {got}")
    it.close()


def test_follow_across_restart():
    """A restart: follow() reconnects by itself and says fresh_instance."""
    global DAEMON
    f = vc.Client().follow(retry=0.2, give_up=60)
    it = iter(f)
    first = next(it)
    old = f.clock
    DAEMON.stop()
    DAEMON = Daemon()
    DAEMON.start()
    item = next(it)
    check(item.get("fresh_instance") is True and f.reconnects >= 1,
          f"after a restart: fresh_instance {item.get('fresh_instance')}, "
          f"{f.reconnects} reconnects")
    check(item["clock"].split(":")[0] != old.split(":")[0], f"clock {old} -> {item['clock']}")
    check(len(item["venvs"]) == len(vc.list_venvs()), "not the whole state after a restart")
    check(first["fresh_instance"] is False, f"first: {first}")
    it.close()


def test_not_running():
    c = vc.Client(socket_path=os.path.join(T, "nothing.sock"), timeout=0.5)
    for fn in (c.status, lambda: c.resolve("/"), lambda: next(c.subscribe())):
        try:
            fn()
        except vc.NotRunning:
            pass
        else:
            check(False, "no daemon: NotRunning expected")


def fake_server(path, behaviour):
    """A fake daemon on path: 'silent' reads and never answers, 'garbage'
    answers with non-JSON, 'drop' answers subscribe then sends the drop error."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    conns = []

    def serve():
        while True:
            try:
                s, _ = srv.accept()
            except OSError:
                return
            conns.append(s)
            s.recv(65536)
            if behaviour == "garbage":
                s.sendall(b"this is not json\n")
            elif behaviour == "drop":
                s.sendall(b'{"jsonrpc":"2.0","id":1,"result":{"generation":"1-1",'
                          b'"changes":[],"venvs":[],"fresh_instance":false}}\n'
                          b'{"jsonrpc":"2.0","method":"error","params":{"code":-32002,'
                          b'"message":"subscriber too slow: dropped"}}\n')
    threading.Thread(target=serve, daemon=True).start()
    return srv, conns


def test_timeout_and_garbage():
    p = os.path.join(T, "silent.sock")
    srv, conns = fake_server(p, "silent")
    t0 = time.monotonic()
    try:
        vc.Client(socket_path=p, timeout=0.3).status()
    except vc.Timeout:
        el = time.monotonic() - t0
        check(el < 10, f"timeout of 0.3 s took {el:.2f} s")
    else:
        check(False, "a silent daemon did not raise Timeout")
    srv.close()
    p = os.path.join(T, "garbage.sock")
    srv, conns = fake_server(p, "garbage")
    try:
        vc.Client(socket_path=p).status()
    except vc.ProtocolError:
        pass
    else:
        check(False, "non-JSON reply did not raise ProtocolError")
    srv.close()
    p = os.path.join(T, "drop.sock")
    srv, conns = fake_server(p, "drop")
    gen = vc.Client(socket_path=p).subscribe([W])
    try:
        next(gen)
    except vc.Dropped as e:
        check(e.code == -32002, f"drop code {e.code}")
    else:
        check(False, "the drop error did not raise Dropped")
    srv.close()
    check(issubclass(vc.Dropped, vc.RpcError) and issubclass(vc.Timeout, vc.VenvdError),
          "error hierarchy")


def test_default_socket():
    old = dict(os.environ)
    try:
        os.environ.pop("VENVD_SOCKET")
        check(vc.default_socket() == os.path.join(os.environ["XDG_RUNTIME_DIR"], "venvd",
                                                  "venvd.sock"), "XDG default")
        os.environ.pop("XDG_RUNTIME_DIR")
        # No XDG_RUNTIME_DIR (cron): /run/user/UID when ours and private.
        base = os.path.join(W, "run-user")
        run = os.path.join(base, str(os.getuid()))
        os.makedirs(run, mode=0o700)
        vc.RUN_USER_BASE = base
        check(vc.default_socket() == os.path.join(run, "venvd", "venvd.sock"),
              "/run/user/UID default")
        os.chmod(run, 0o755)
        check(vc.default_socket() == f"/tmp/venvd-{os.getuid()}/venvd.sock",
              "/run/user/UID open to others: /tmp default")
        os.rmdir(run)
        check(vc.default_socket() == f"/tmp/venvd-{os.getuid()}/venvd.sock", "/tmp default")
    finally:
        vc.RUN_USER_BASE = "/run/user"
        os.environ.clear()
        os.environ.update(old)
    check(vc.Client().socket_path == os.environ["VENVD_SOCKET"], "VENVD_SOCKET wins")


def test_daemon_stops_ends_stream():
    proj = os.path.join(W, "stop")
    os.makedirs(proj)
    gen = vc.Client().subscribe([proj], initial=True, timeout=30)
    next(gen)
    DAEMON.stop()
    try:
        rest = list(gen)
    except vc.VenvdError as e:
        check(False, f"a daemon stopping should end the generator cleanly: {e!r}")
    check(rest == [], f"notifications after the stop: {rest}")


DAEMON = Daemon()


def main():
    os.makedirs(W)
    DAEMON.start()
    run(test_resolve_and_status, test_bytes_paths, test_rpc_error, test_list, test_subscribe_generator,
        test_follow_resumes, test_follow_across_restart, test_not_running, test_timeout_and_garbage, test_default_socket,
        test_daemon_stops_ends_stream)


if __name__ == "__main__":
    main()

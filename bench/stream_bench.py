#!/usr/bin/env python3
"""stream_bench.py: the resumable change stream (called from bench/run.sh).

With 10, 1,000 and 10,000 venvs indexed under a discovery root:
  1. one change (a venv moved into the root) -> the index subscriber's
     venvs_changed notification: its bytes and latency (median of 5);
  2. resuming with subscribe {"since": CLOCK} after 1, 100 and 10,000
     changes (a directory of that many venvs moved into the root, each
     then measured by the sizer; the answer lists each venv once): ms and
     bytes of the answer (median of 5), against its
     peer measured in the same run, the full state a client without a
     clock (or with fresh_instance) gets: subscribe {}.
The change log holds the last 4096 changes (VENVD_SUBSCRIBE_LOG_MAX), so
a resume after 10,000 of them is answered with fresh_instance and the
full state: the table says so.

Arguments pick the index sizes (stream_bench.py 1000), and
STREAM_BENCH_CHANGES=1,100 the resumes measured, for a quicker run.

Venvs are made cheaply: a directory with pyvenv.cfg and bin/python (a
symbolic link), which the index takes as a venv. Starts its own
venvd-daemon (VENVD_DAEMON, default the build tree's) with private XDG
dirs for each index size. Prints a table. Exit 0, or 1 on failure.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rpc_conn import Conn  # noqa: E402

SIZES = (10, 1000, 10000)
# STREAM_BENCH_CHANGES=1,100 leaves out the long resume after 10,000 changes.
CHANGES = tuple(int(x) for x in
                os.environ.get("STREAM_BENCH_CHANGES", "1,100,10000").split(","))
REPS = 5
ONE_REPS = 3
WAIT_S = 600.0
CONN_TIMEOUT_S = 120.0   # a busy daemon indexing 10,000 venvs answers slowly
STILL_S = 1.0
DROPS = []          # connections the daemon closed under us (see the table's notes)


def fake_venv(path):
    """A minimal venv: pyvenv.cfg and a bin/python symlink."""
    os.makedirs(os.path.join(path, "bin"))
    with open(os.path.join(path, "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\nversion = 3.11.2\n")
    os.symlink("/usr/bin/python3", os.path.join(path, "bin", "python"))


class Daemon:
    """A venvd-daemon on private XDG dirs under t."""

    def __init__(self, exe, t):
        self.env = dict(os.environ)
        for k, sub in (("HOME", "home"), ("XDG_STATE_HOME", "state"),
                       ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
            self.env[k] = os.path.join(t, sub)
            os.makedirs(self.env[k])
        self.env["XDG_RUNTIME_DIR"] = os.path.join(t, "run")
        os.mkdir(self.env["XDG_RUNTIME_DIR"], 0o700)
        self.sock = os.path.join(self.env["XDG_RUNTIME_DIR"], "venvd", "venvd.sock")
        self.env["VENVD_SOCKET"] = self.sock
        os.makedirs(os.path.join(self.env["XDG_CONFIG_HOME"], "venvd"))
        with open(os.path.join(self.env["XDG_CONFIG_HOME"], "venvd", "config"), "w") as f:
            f.write("max_watches = 65536\n")
        self.logpath = os.path.join(t, "daemon.log")
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen([exe, "--foreground"], env=self.env, stdout=self.log,
                                     stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                Conn(self.sock, timeout=CONN_TIMEOUT_S).call("status")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise OSError("the daemon did not answer")
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def wait(pred, what):
    deadline = time.monotonic() + WAIT_S
    while not pred():
        if time.monotonic() > deadline:
            raise OSError(f"timed out waiting for {what}")
        time.sleep(0.2)


def indexed(sock, n):
    """Are n venvs indexed, and every one measured (so that the sizer's
    changes do not land in the middle of a measurement)?"""
    try:
        r = Conn(sock, timeout=CONN_TIMEOUT_S).call("list", {})["result"]["venvs"]
    except EOFError:
        DROPS.append("list")
        return False
    return len(r) >= n and all(v["size_measured"] is not None for v in r)


def still_clock(sock):
    """The clock once two subscriptions STILL_S apart see the same one."""
    last = None
    while True:
        c = Conn(sock, timeout=CONN_TIMEOUT_S)
        try:
            clock = c.call("subscribe", {})["result"]["clock"]
        except EOFError:
            DROPS.append("subscribe")
            clock = None
        c.close()
        if clock == last:
            return clock
        last = clock
        time.sleep(STILL_S)


def timed_subscribe(sock, params):
    """Median ms and bytes of a subscribe answer over REPS connections, and the last result."""
    ts, size, res = [], 0, None
    while len(ts) < REPS:
        c = Conn(sock, timeout=CONN_TIMEOUT_S)
        t0 = time.perf_counter()
        c.send("subscribe", params)
        try:
            msg, size = c.read_sized()
        except EOFError:
            DROPS.append("timed subscribe")
            continue
        ts.append((time.perf_counter() - t0) * 1e3)
        res = msg["result"]
        c.close()
    return statistics.median(ts), size, res


def add_venvs(stage, dest, k):
    """Make k venvs in a directory of stage, then move it to dest in one
    rename: the daemon scans it and records k venvs (k changes)."""
    d = os.path.join(stage, os.path.basename(dest))
    for i in range(k):
        fake_venv(os.path.join(d, f"c{i:05d}"))
    os.rename(d, dest)


def kb(n):
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def one_size(exe, n, rows, notes):
    t = tempfile.mkdtemp(prefix="vsb.", dir="/tmp")
    d = None
    try:
        root = os.path.join(t, "root")
        stage = os.path.join(t, "stage")
        os.makedirs(os.path.join(root, "base"))
        os.makedirs(stage)
        for i in range(n):
            fake_venv(os.path.join(root, "base", f"v{i:05d}"))
        d = Daemon(exe, t)
        t0 = time.monotonic()
        Conn(d.sock, timeout=CONN_TIMEOUT_S).call("watch", {"path": root})
        wait(lambda: indexed(d.sock, n), f"{n} venvs indexed")
        notes.append(f"{n} venvs indexed and measured in {time.monotonic() - t0:.1f} s")
        still_clock(d.sock)

        # 1. One change: notification bytes and latency.
        lat, nbytes = [], []
        for i in range(ONE_REPS):
            s = Conn(d.sock, timeout=CONN_TIMEOUT_S)
            s.call("subscribe", {})
            fake_venv(os.path.join(stage, f"one{i}"))
            t0 = time.perf_counter()
            os.rename(os.path.join(stage, f"one{i}"), os.path.join(root, f"one{i}"))
            try:
                while True:
                    msg, size = s.read_sized()
                    if msg.get("method") == "venvs_changed":
                        break
            except EOFError:
                DROPS.append("index subscriber")
                s.close()
                continue
            lat.append((time.perf_counter() - t0) * 1e3)
            nbytes.append(size)
            s.close()
            wait(lambda: indexed(d.sock, n + i + 1), "the one venv measured")
            still_clock(d.sock)
        rows.append((n, "one change -> venvs_changed", statistics.median(lat),
                     statistics.median(nbytes), None, None, ""))

        # 2. Resume after k changes, against the full state.
        have = n + ONE_REPS
        for k in CHANGES:
            clock = still_clock(d.sock)
            add_venvs(stage, os.path.join(root, f"k{k}"), k)
            have += k
            wait(lambda: indexed(d.sock, have), f"{k} changes indexed and measured")
            still_clock(d.sock)
            ms, size, res = timed_subscribe(d.sock, {"since": clock})
            fms, fsize, fres = timed_subscribe(d.sock, {})
            got = "fresh_instance" if res["fresh_instance"] else f"{len(res['venvs'])} records"
            rows.append((n, f"resume after {k} changes", ms, size, fms, fsize, got))
        return 0
    except (OSError, EOFError, ValueError, KeyError):
        if d is not None:
            with open(d.logpath, errors="replace") as f:
                sys.stderr.write("".join(f.readlines()[-20:]))
            sys.stderr.write(f"daemon: {d.proc.poll()}\n")
        raise
    finally:
        if d is not None:
            d.stop()
        shutil.rmtree(t, ignore_errors=True)


def main():
    builddir = os.environ.get("TOP_BUILDDIR", os.getcwd())
    exe = os.environ.get("VENVD_DAEMON", os.path.join(builddir, "daemon", "venvd-daemon"))
    if not os.access(exe, os.X_OK):
        print(f"stream_bench.py: {exe} is not built", file=sys.stderr)
        return 1
    rows, notes = [], []
    start = time.monotonic()
    sizes = [int(x) for x in sys.argv[1:]] or SIZES     # a quicker run: stream_bench.py 10
    try:
        for n in sizes:
            one_size(exe, n, rows, notes)
    except (OSError, EOFError, ValueError, KeyError) as e:
        print(f"stream_bench.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"  {'indexed':>7}  {'what':<30} {'ms':>8} {'bytes':>10}   "
          f"{'full state ms':>13} {'bytes':>10}  {'ratio ms':>8} {'ratio B':>8}  answer")
    for n, what, ms, size, fms, fsize, got in rows:
        if fms is None:
            print(f"  {n:>7}  {what:<30} {ms:>8.1f} {kb(size):>10}")
            continue
        print(f"  {n:>7}  {what:<30} {ms:>8.2f} {kb(size):>10}   {fms:>13.2f} {kb(fsize):>10}"
              f"  {ms / fms:>8.2f} {size / fsize:>8.3f}  {got}")
    for x in notes:
        print(f"  ({x})")
    if DROPS:
        print(f"  (the daemon closed {len(DROPS)} connection(s) under a busy loop, retried: "
              f"{', '.join(sorted(set(DROPS)))})")
    print(f"  (one change: median of {ONE_REPS}; resume and full state: median of {REPS};"
          f" ratio = resume / full state in the same run; {time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

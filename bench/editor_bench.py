#!/usr/bin/env python3
"""editor_bench.py: what an editor sees of venvd (called from bench/run.sh).

  1. latency from "python -m venv" returning to the venvs_changed
     notification for the project (p50 and max over 20 runs);
  2. "list" with 1,000 indexed venvs, as a ratio to "status" in the same
     run (median of 50 calls each, interleaved, on one connection);
  3. memory per idle subscriber: the daemon's RSS before and after 500
     subscribe connections (one path each), divided by 500.

Starts its own venvd-daemon (VENVD_DAEMON, default the build tree's) with
private XDG dirs. Exit 0, or 1 if the daemon could not be started.
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

RUNS = 20
INDEXED = 1000
SUBSCRIBERS = 500
CALLS = 50


def rss_kb(pid):
    """VmRSS of pid in kB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fake_venv(path):
    """A minimal venv: pyvenv.cfg and a bin/python symlink."""
    os.makedirs(os.path.join(path, "bin"))
    with open(os.path.join(path, "pyvenv.cfg"), "w") as f:
        f.write(f"home = /usr/bin\nversion = 3.11.2\nprompt = {os.path.basename(os.path.dirname(path))}\n")
    os.symlink(sys.executable, os.path.join(path, "bin", "python"))


def bench_latency(sock, work):
    """p50/max ms from python -m venv returning to the notification."""
    lat, early = [], 0
    for i in range(RUNS):
        proj = os.path.join(work, f"lat{i}")
        os.makedirs(proj)
        c = Conn(sock)
        c.call("subscribe", {"paths": [proj]})
        subprocess.run([sys.executable, "-m", "venv", "--without-pip",
                        os.path.join(proj, ".venv")], check=True)
        done = time.monotonic()
        # A notification may already be waiting (sent while venv was writing).
        while True:
            n = c.read()
            if n.get("method") == "venvs_changed" and n["params"]["changes"][0]["venv"]:
                break
        t = (time.monotonic() - done) * 1000
        if t < 1:
            early += 1
        lat.append(max(t, 0.0))
        c.s.close()
    lat.sort()
    print(f"  venv created -> venvs_changed: p50 {statistics.median(lat):.1f} ms, "
          f"max {lat[-1]:.1f} ms over {RUNS} runs"
          + (f" ({early} already queued when python -m venv returned)" if early else ""))


def bench_list(sock, work):
    """list with INDEXED venvs vs status."""
    root = os.path.join(work, "many")
    c = Conn(sock)
    for i in range(INDEXED):
        p = os.path.join(root, f"p{i:04d}")
        fake_venv(os.path.join(p, ".venv"))
        c.send("resolve", {"path": p})
    for i in range(INDEXED):
        r = c.read()
        if "result" not in r or r["result"]["venv"] is None:
            print(f"  resolve did not index a venv: {r}")
            return
    r = c.call("list", {})
    if "error" in r:
        print(f"  list: n/a ({r['error'].get('message')})")
        return
    n = len(r["result"]["venvs"])
    tl, ts = [], []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        c.call("list", {})
        t1 = time.perf_counter()
        c.call("status", {})
        t2 = time.perf_counter()
        tl.append(t1 - t0)
        ts.append(t2 - t1)
    ml, ms = statistics.median(tl) * 1e3, statistics.median(ts) * 1e3
    print(f"  list of {n} venvs: {ml:.2f} ms; status: {ms:.3f} ms; ratio {ml / ms:.0f}x "
          f"(median of {CALLS})")
    c.s.close()


def bench_memory(sock, work, pid):
    """RSS per idle subscriber."""
    proj = os.path.join(work, "mem")
    os.makedirs(proj)
    fake_venv(os.path.join(proj, ".venv"))
    warm = Conn(sock)
    warm.call("subscribe", {"paths": [proj]})
    time.sleep(0.2)
    before = rss_kb(pid)
    conns = []
    for _ in range(SUBSCRIBERS):
        c = Conn(sock)
        c.call("subscribe", {"paths": [proj]})
        conns.append(c)
    after = rss_kb(pid)
    st = Conn(sock).call("status")["result"]
    print(f"  {SUBSCRIBERS} idle subscribers: RSS {before} -> {after} kB, "
          f"{(after - before) * 1024 / SUBSCRIBERS:.0f} bytes each "
          f"({st['clients']} clients connected)")
    for c in conns:
        c.s.close()
    warm.s.close()


def main():
    builddir = os.environ.get("TOP_BUILDDIR", os.getcwd())
    daemon = os.environ.get("VENVD_DAEMON", os.path.join(builddir, "daemon", "venvd-daemon"))
    if not os.access(daemon, os.X_OK):
        print(f"editor_bench.py: {daemon} is not built", file=sys.stderr)
        return 1
    t = tempfile.mkdtemp(prefix="veb.", dir="/tmp")
    env = dict(os.environ)
    for k, sub in (("HOME", "home"), ("XDG_STATE_HOME", "state"),
                   ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        env[k] = os.path.join(t, sub)
        os.makedirs(env[k])
    env["XDG_RUNTIME_DIR"] = os.path.join(t, "run")
    os.mkdir(env["XDG_RUNTIME_DIR"], 0o700)
    sock = os.path.join(env["XDG_RUNTIME_DIR"], "venvd", "venvd.sock")
    env["VENVD_SOCKET"] = sock
    os.makedirs(os.path.join(env["XDG_CONFIG_HOME"], "venvd"))
    with open(os.path.join(env["XDG_CONFIG_HOME"], "venvd", "config"), "w") as f:
        f.write(f"max_clients = {SUBSCRIBERS + 100}\nmax_watches = 16384\n")
    work = os.path.join(t, "w")
    os.makedirs(work)
    log = open(os.path.join(t, "daemon.log"), "wb")
    proc = subprocess.Popen([daemon, "--foreground"], env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL)
    status = 0
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                Conn(sock).call("status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    print("editor_bench.py: the daemon did not answer", file=sys.stderr)
                    return 1
                time.sleep(0.05)
        bench_latency(sock, work)
        bench_list(sock, work)
        bench_memory(sock, work, proc.pid)
    except (OSError, EOFError, ValueError, KeyError) as e:
        print(f"editor_bench.py: {type(e).__name__}: {e}", file=sys.stderr)
        status = 1
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        if status:
            with open(os.path.join(t, "daemon.log"), errors="replace") as f:
                sys.stderr.write("".join(f.readlines()[-20:]))
        shutil.rmtree(t, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""subscribe.py: the subscribe stream against the real venvd-daemon: the first
state, file paths, since (same instance, another instance, after a restart),
one coalesced notification for a whole "python -m venv", removal, a broken
venv, 50 simultaneous subscribers, a slow reader dropped at the queue cap with
the final error, bad params, disconnects, no idle timeout for a stream, and
index subscribers (no paths)."""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
from venvd_test import (T, Daemon, Sub, check, connect, fail, mkvenv, run, say,  # noqa: E402
                        wait_for)

W = os.path.join(T, "w")
# How long a notification that must come may take on a busy machine.
EXPECT_S = 30.0
DROPPED = -32002


def answer_of(note, path):
    """The venv object (or None) a notification gives for path; KeyError if absent."""
    for ch in note["params"]["changes"]:
        if ch["path"] == path:
            return ch["venv"]
    raise KeyError(path)


def resolved(path):
    """The venv path the daemon answers for path, or None."""
    with connect() as c:
        v = c.result("resolve", {"path": path}).get("venv")
        return v["path"] if v else None


def current_generation():
    with connect() as c:
        return c.result("status")["generation"]


def test_first_state():
    proj = os.path.join(W, "first")
    os.makedirs(os.path.join(proj, "src"))
    mkvenv(os.path.join(proj, ".venv"))
    f = os.path.join(proj, "src", "mod.py")
    with open(f, "w") as fh:
        fh.write("import os\n")
    none = os.path.join(W, "novenv")
    os.makedirs(none)
    s = Sub({"paths": [proj, f, none]})
    r = s.first
    check(r["fresh_instance"] is False, f"fresh_instance without since: {r}")
    check(r["generation"] == current_generation() or "-" in r["generation"],
          f"generation: {r}")
    got = {ch["path"]: ch["venv"] for ch in r["changes"]}
    check(set(got) == {proj, f, none}, f"changes do not cover every path: {r}")
    check(got[proj] and got[proj]["path"] == os.path.join(proj, ".venv"), f"proj: {got[proj]}")
    check(got[f] and got[f]["path"] == os.path.join(proj, ".venv"),
          f"a file path resolves through its directory: {got[f]}")
    check(got[none] is None, f"no venv applies to {none}: {got[none]}")
    venvs = [v["path"] for v in r["venvs"]]
    check(venvs == [os.path.join(proj, ".venv")], f"venvs of the first state: {venvs}")
    # The venv's trust may come as "checking version control" (git is asked
    # in the background); its verdict then comes as one notification.
    trust = got[proj]["trust"]
    while trust == "untrusted:checking version control":
        n = s.next(EXPECT_S)
        check(n is not None, "no notification when the trust check settled")
        trust = answer_of(n, proj)["trust"]
        check(answer_of(n, f)["trust"] == trust, f"the file's trust differs: {n}")
    check(trust == "trusted", f"the first state's venv ends {trust}")
    # Nothing changes: nothing is sent.
    n = s.next(0.3)
    check(n is None, f"a notification with no change: {n}")
    s.close()


def gen_counter(gen):
    """The counter of a generation string "<instance>-<counter>"."""
    return int(gen.rsplit("-", 1)[1])


def test_coalesced_create_and_remove():
    proj = os.path.join(W, "coalesce")
    os.makedirs(proj)
    s = Sub({"paths": [proj]})
    check(s.first["changes"][0]["venv"] is None, f"no venv yet: {s.first}")
    gen0 = current_generation()
    mkvenv(os.path.join(proj, ".venv"))
    t_done = time.monotonic()
    first = s.next(EXPECT_S)
    check(first is not None, "no notification after python -m venv")
    lat = time.monotonic() - t_done
    # Later notifications may follow (the trust check settling moves the
    # answer on); what coalescing promises is that the many file events of
    # one "python -m venv" never give two notifications with the same answer.
    notes = [first] + s.drain(1.0)
    answers = [answer_of(n, proj) for n in notes]
    for n in notes:
        check(n["method"] == "venvs_changed" and n["jsonrpc"] == "2.0" and "id" not in n,
              f"not a venvs_changed notification: {n}")
    check(all(a and a["path"] == os.path.join(proj, ".venv") for a in answers),
          f"answers after python -m venv: {answers}")
    check(all(a != b for a, b in zip(answers, answers[1:])),
          f"python -m venv gave notifications with the same answer: {answers}")
    prefix = gen0.rsplit("-", 1)[0]
    gens = [n["params"]["generation"] for n in notes]
    check(all(g.rsplit("-", 1)[0] == prefix for g in gens), f"generations {gens}, instance {prefix}")
    check([gen_counter(g) for g in gens] == sorted(set(gen_counter(g) for g in gens))
          and gen_counter(gens[-1]) <= gen_counter(current_generation()),
          f"generations {gens} not increasing up to {current_generation()}")
    check(gen_counter(gens[0]) > gen_counter(gen0), f"generation {gens[0]} not past {gen0}")
    v = answers[0]
    check(all([x["path"] for x in n["params"]["venvs"]] == [v["path"]] for n in notes),
          f"affected venvs: {[n['params']['venvs'] for n in notes]}")
    say(f"notified {lat * 1000:.0f} ms after python -m venv returned ({len(notes)} notification(s))")

    shutil.rmtree(os.path.join(proj, ".venv"))
    n = s.next(EXPECT_S)
    check(n is not None, "no notification after removing the venv")
    check(answer_of(n, proj) is None, f"removed venv still answers: {n}")
    rest = s.drain(0.4)
    check(rest == [], f"removal gave more than one notification: {rest}")
    s.close()


def test_broken():
    proj = os.path.join(W, "broken")
    os.makedirs(proj)
    mkvenv(os.path.join(proj, ".venv"))
    s = Sub({"paths": [proj]})
    cfg = os.path.join(proj, ".venv", "pyvenv.cfg")
    with open(cfg, "a") as fh:
        fh.write("version = 9.9.9\n")
    n = s.next(EXPECT_S)
    check(n is not None, "no notification after pyvenv.cfg changed")
    v = answer_of(n, proj)
    check(v is not None and v.get("version") == "9.9.9", f"answer after the edit: {v}")
    os.unlink(os.path.join(proj, ".venv", "bin", "python"))
    os.symlink("/nonexistent/python3", os.path.join(proj, ".venv", "bin", "python"))
    n = s.next(EXPECT_S)
    check(n is not None, "no notification after bin/python broke")
    v = answer_of(n, proj)
    check(v is not None and v.get("broken"), f"a dangling bin/python is not broken: {v}")
    s.close()


def clock_counter(clock):
    """The counter of a clock "<instance>:<N>"."""
    return int(clock.rsplit(":", 1)[1])


def test_since():
    proj = os.path.join(W, "since")
    os.makedirs(proj)
    mkvenv(os.path.join(proj, ".venv"))
    s = Sub({"paths": [proj]})
    check(s.first["clock"].split(":")[0] == s.first["generation"].split("-")[0],
          f"the clock's instance is the generation's: {s.first}")
    s.close()
    # Resolving it indexed the venv and started its trust check, which move
    # the clock: wait until two subscriptions in a row see the same one.
    seen = []

    def still():
        x = Sub({"paths": [proj]})
        x.close()
        seen.append(x.first["clock"])
        return len(seen) > 1 and seen[-1] == seen[-2]
    check(wait_for(still, EXPECT_S, interval=0.3), f"the clock never settled: {seen}")
    c = seen[-1]
    s = Sub({"paths": [proj], "since": c})
    check(s.first["fresh_instance"] is False and s.first["changes"] == [] and
          s.first["venvs"] == [] and s.first["clock"] == c,
          f"since the current clock: nothing: {s.first}")
    # The baseline still counts: a change is notified, with a later clock.
    os.rename(os.path.join(proj, ".venv"), os.path.join(proj, ".old"))
    n = s.next(EXPECT_S)
    check(n is not None and answer_of(n, proj) is None, f"after since=current: {n}")
    check(clock_counter(n["params"]["clock"]) > clock_counter(c),
          f"the notification's clock did not move past {c}: {n}")
    s.close()
    os.rename(os.path.join(proj, ".old"), os.path.join(proj, ".venv"))
    check(wait_for(lambda: resolved(proj) == os.path.join(proj, ".venv"), EXPECT_S),
          "the daemon did not see the venv come back")
    # An older clock of this instance: the path listed again, not fresh.
    s = Sub({"paths": [proj], "since": c})
    check(s.first["fresh_instance"] is False, f"older since: {s.first}")
    check(s.first["changes"] and s.first["changes"][0]["venv"]["path"] ==
          os.path.join(proj, ".venv"), f"older since gives the state: {s.first}")
    s.close()
    inst = c.split(":")[0]
    other = ("0" if inst[0] != "0" else "1") + inst[1:]
    for since, why in ((other + ":1", "another instance's clock"),
                       (s.first["generation"], "a generation (an old client)"),
                       ("00000000-5", "another instance's generation"),
                       (inst + ":" + str(clock_counter(s.first["clock"]) + 5), "a clock ahead"),
                       (inst + ":x", "an unparsable counter"),
                       ("nonsense", "no clock at all")):
        s = Sub({"paths": [proj], "since": since})
        check(s.first["fresh_instance"] is True and len(s.first["changes"]) == 1,
              f"{why}: fresh_instance and the full state: {s.first}")
        s.close()


def test_bad_params():
    with connect() as c:
        for params, why in (({"paths": "/x"}, "paths not an array"),
                            ({"paths": ["rel"]}, "relative path"),
                            ({"paths": [3]}, "path not a string"),
                            ({"paths": ["/" + "a" * 5000]}, "path too long"),
                            ({"since": 7}, "since not a string")):
            r = c.call("subscribe", params)
            check(r.get("error", {}).get("code") == -32602, f"{why}: {r}")
        # Still an ordinary connection afterwards.
        check("pid" in c.result("status"), "status after bad subscribes")
    with connect() as c:
        c.send(json.dumps({"jsonrpc": "2.0", "method": "subscribe"}) + "\n")
        r = c.result("status")
        check("pid" in r, "a subscribe notification is ignored")


def test_resubscribe_replaces():
    a = os.path.join(W, "resub-a")
    b = os.path.join(W, "resub-b")
    os.makedirs(a)
    os.makedirs(b)
    s = Sub({"paths": [a]})
    r = s.c.result("subscribe", {"paths": [b]})
    check([ch["path"] for ch in r["changes"]] == [b], f"second subscribe: {r}")
    mkvenv(os.path.join(a, ".venv"))
    mkvenv(os.path.join(b, ".venv"))
    notes = []
    while True:
        n = s.next(EXPECT_S)
        check(n is not None, f"no notification for {b}: {notes}")
        notes.append(n)
        if any(ch["path"] == b and ch["venv"] for ch in n["params"]["changes"]):
            break
    notes += s.drain(0.6)
    paths = [ch["path"] for n in notes for ch in n["params"]["changes"]]
    check(b in paths and a not in paths, f"replaced subscription still sees {a}: {paths}")
    s.close()


def clients():
    with connect() as c:
        return c.result("status")["clients"]


def test_fifty_and_disconnect():
    proj = os.path.join(W, "fifty")
    os.makedirs(proj)
    base = clients()
    subs = [Sub({"paths": [proj]}) for _ in range(50)]
    check(clients() >= base + 50, f"clients: {clients()} < {base + 50}")
    mkvenv(os.path.join(proj, ".venv"))
    missing = 0
    for s in subs:
        n = s.next(EXPECT_S)
        if n is None or not answer_of(n, proj):
            missing += 1
    check(missing == 0, f"{missing} of 50 subscribers not notified")
    for s in subs:
        s.close()
    check(wait_for(lambda: clients() <= base + 1, EXPECT_S),
          f"subscriptions not ended on disconnect: {clients()} clients, base {base}")


def test_slow_reader_dropped():
    proj = os.path.join(W, "slow")
    paths = []
    for i in range(300):
        p = os.path.join(proj, "d%03d" % i + "x" * 150)
        os.makedirs(p)
        paths.append(p)
    mkvenv(os.path.join(proj, ".venv"))
    slow = Sub({"paths": paths})
    pace = Sub({"paths": [proj]})
    check(len(slow.first["changes"]) == 300, "first state of 300 paths")
    with open(f"/proc/{DAEMON.proc.pid}/status") as fh:
        rss0 = [int(x.split()[1]) for x in fh if x.startswith("VmRSS")][0]
    dropped = False
    for i in range(40):
        src, dst = (".venv", ".off") if i % 2 == 0 else (".off", ".venv")
        os.rename(os.path.join(proj, src), os.path.join(proj, dst))
        n = pace.next(3.0)
        check(n is not None, f"pacing subscriber missed toggle {i}")
        if "dropped: pid" in DAEMON.log() or "not reading: dropped" in DAEMON.log():
            dropped = True
            break
    check(dropped, "a subscriber that never reads was not dropped")
    with open(f"/proc/{DAEMON.proc.pid}/status") as fh:
        rss1 = [int(x.split()[1]) for x in fh if x.startswith("VmRSS")][0]
    say(f"daemon RSS {rss0} kB -> {rss1} kB after dropping the slow reader")
    with open(f"/proc/{DAEMON.proc.pid}/maps") as fh:
        asan = "libasan" in fh.read()
    if asan:
        say("AddressSanitizer's quarantine keeps freed memory: RSS not checked")
    else:
        check(rss1 - rss0 < 8 * 1024, f"daemon grew {rss1 - rss0} kB for a slow reader")
    # Now read: whole notifications, then the final error, then EOF.
    slow.c.sock.settimeout(10)
    lines = []
    while True:
        line = slow.c.read_line()
        if line is None:
            break
        lines.append(json.loads(line))
    check(lines, "nothing readable after the drop")
    last = lines[-1]
    check(last.get("method") == "error" and last["params"]["code"] == DROPPED,
          f"the last message is not the drop error: {str(last)[:200]}")
    check(all(x.get("method") == "venvs_changed" for x in lines[:-1]),
          "something other than notifications before the drop error")
    # The pacing subscriber lives on.
    os.rename(os.path.join(proj, ".off" if i % 2 == 0 else ".venv"),
              os.path.join(proj, ".venv" if i % 2 == 0 else ".off"))
    check(pace.next(3.0) is not None, "the reading subscriber was affected")
    pace.close()
    slow.close()


def test_index_subscriber():
    s = Sub({})
    if not s.first.get("indexed"):
        say("no list method in this daemon: index subscription not checked")
        s.close()
        return
    proj = os.path.join(W, "idx")
    os.makedirs(proj)
    mkvenv(os.path.join(proj, ".venv"))
    with connect() as c:
        c.result("resolve", {"path": proj})     # the resolver indexes it
    n = s.next(EXPECT_S)
    check(n is not None, "no notification for a venv newly indexed")
    check(os.path.join(proj, ".venv") in [v["path"] for v in n["params"]["venvs"]],
          f"new venv not in the notification: {n}")
    s.close()


LONG_LIVED = None


def test_no_idle_timeout():
    global LONG_LIVED
    proj = os.path.join(W, "idle")
    s = LONG_LIVED
    waited = time.monotonic() - s.opened
    if waited < 11:
        time.sleep(11 - waited)     # the idle timeout is 10 s; nothing to poll for
    mkvenv(os.path.join(proj, ".venv"))
    n = s.next(EXPECT_S)
    check(n is not None and answer_of(n, proj), "a stream silent for 11 s was closed")
    s.close()


def test_restart_fresh_instance():
    proj = os.path.join(W, "restart")
    os.makedirs(proj)
    s = Sub({"paths": [proj]})
    g = s.first["generation"]
    check(DAEMON.stop() == 0, "daemon exit status")
    check(s.next(2.0) is None, "message after the daemon stopped")
    s.close()
    DAEMON.start()
    c = s.first["clock"]
    s = Sub({"paths": [proj], "since": g})
    check(s.first["fresh_instance"] is True, f"after a restart: {s.first}")
    check(s.first["generation"] != g, "generation repeated after a restart")
    s.close()
    s = Sub({"paths": [proj], "since": c})
    check(s.first["fresh_instance"] is True and len(s.first["changes"]) == 1,
          f"the clock of the daemon before the restart: {s.first}")
    s.close()


DAEMON = Daemon()


def test_trust_in_stream():
    """A stream's venv carries the trust a resolve gives: a client uses only a
    trusted one, so a venv committed to git must never come as usable."""
    ok, committed = os.path.join(W, "trust-ok"), os.path.join(W, "trust-git")
    os.makedirs(ok)
    mkvenv(os.path.join(ok, ".venv"))
    os.makedirs(committed)
    mkvenv(os.path.join(committed, ".venv"))
    git = ["git", "-C", committed, "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    run_quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(git[:3] + ["init", "-q"], **run_quiet)
    subprocess.run(git + ["add", "-A"], **run_quiet)
    subprocess.run(git + ["commit", "-q", "-m", "venv"], **run_quiet)
    s = Sub({"paths": [ok, committed]})
    first = {ch["path"]: ch["venv"] for ch in s.first["changes"]}
    seen = {ok: [first[ok]["trust"]], committed: [first[committed]["trust"]]}
    checking = "untrusted:checking version control"
    deadline = time.monotonic() + EXPECT_S
    while checking in (seen[ok][-1], seen[committed][-1]) and time.monotonic() < deadline:
        n = s.next(1.0)
        for ch in (n or {}).get("params", {}).get("changes", []):
            if ch["path"] in seen and ch["venv"]:
                seen[ch["path"]].append(ch["venv"].get("trust"))
    check(seen[ok][-1] == "trusted", f"the plain venv's trust in the stream: {seen[ok]}")
    check(all(isinstance(t, str) and t.startswith("untrusted:") for t in seen[committed])
          and seen[committed][-1] != checking,
          f"the committed venv's trust in the stream: {seen[committed]}")
    s.close()


def main():
    global LONG_LIVED
    os.makedirs(W)
    DAEMON.start()
    os.makedirs(os.path.join(W, "idle"))
    LONG_LIVED = Sub({"paths": [os.path.join(W, "idle")]})
    LONG_LIVED.opened = time.monotonic()
    run(test_first_state, test_coalesced_create_and_remove, test_broken, test_since,
        test_bad_params, test_resubscribe_replaces, test_fifty_and_disconnect,
        test_slow_reader_dropped, test_index_subscriber, test_no_idle_timeout,
        test_trust_in_stream, test_restart_fresh_instance)


if __name__ == "__main__":
    if not os.path.exists("/proc/self/status"):
        fail("no /proc")
    main()

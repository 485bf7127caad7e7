#!/usr/bin/env python3
"""subscribe_resume.py: the change stream a client resumes, against the real
venvd-daemon with a discovery root: every index change moves the clock; a
resume with an old clock of this instance gets exactly what changed after it;
a clock the change log no longer covers, or of another instance, gets
fresh_instance and the full state; a venv moved with mv keeps its record (its
activations, and its trust decision where that is safe), and the attacks on
that: moved under another project, moved into a git checkout that tracks it,
and a new directory given the inode number of a deleted venv."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
from venvd_test import (T, VENVD, Daemon, Sub, check, connect, mkvenv, run, say,  # noqa: E402
                        wait_for, write_config)

R = os.path.join(T, "root")
EXPECT_S = 60.0
LOG_MAX = 4096      # VENVD_SUBSCRIBE_LOG_MAX


def counter(clock):
    return int(clock.rsplit(":", 1)[1])


def records():
    """The index: {path: record}."""
    with connect() as c:
        return {v["path"]: v for v in c.result("list", {})["venvs"]}


def cheap_venv(path):
    """A venv as the index takes it: pyvenv.cfg and bin/python, nothing else."""
    os.makedirs(os.path.join(path, "bin"))
    with open(os.path.join(path, "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\ninclude-system-site-packages = false\n"
                "version = 3.11.2\n")
    os.symlink("/usr/bin/python3", os.path.join(path, "bin", "python"))


def settled(paths):
    """Are all paths indexed, present and measured?"""
    recs = records()
    return all(p in recs and recs[p]["state"] == "ok" and
               recs[p]["size_measured"] is not None for p in paths)


def quiet_clock():
    """The clock once the index stopped changing (a subscription's first answer)."""
    s = Sub({})
    s.drain(2.0)
    s.close()
    s = Sub({})
    c = s.first["clock"]
    s.close()
    return c


def test_created_under_root_moves_clock():
    s = Sub({})
    c0 = s.first["clock"]
    v = os.path.join(R, "created")
    mkvenv(v)
    n = s.next(EXPECT_S)
    check(n is not None, "no notification for a venv created under a root")
    check(v in [x["path"] for x in n["params"]["venvs"]], f"not in the notification: {n}")
    check(counter(n["params"]["clock"]) > counter(c0),
          f"the clock did not move: {c0} -> {n['params']['clock']}")
    s.close()
    # A client that was away: reconnecting with the old clock gets that venv.
    s = Sub({"since": c0})
    check(s.first["fresh_instance"] is False, f"resume: {s.first}")
    got = [x["path"] for x in s.first["venvs"]]
    check(got == [v], f"resume from {c0} gives {got}, not exactly [{v}]")
    s.close()


def test_since_only_after():
    c0 = quiet_clock()
    a, b, c = (os.path.join(R, "after-" + x) for x in "abc")
    mkvenv(a)
    check(wait_for(lambda: settled([a]), EXPECT_S), "first venv not indexed")
    c1 = quiet_clock()
    check(counter(c1) > counter(c0), f"clock {c0} -> {c1}")
    mkvenv(b)
    mkvenv(c)
    check(wait_for(lambda: settled([b, c]), EXPECT_S), "venvs not indexed")
    s = Sub({"since": c1})
    got = sorted(x["path"] for x in s.first["venvs"])
    check(s.first["fresh_instance"] is False and got == [b, c],
          f"since the clock after the first: {got} (fresh {s.first['fresh_instance']})")
    check(all("removed" not in x for x in s.first["venvs"]), f"removed: {s.first['venvs']}")
    now = s.first["clock"]
    s.close()
    s = Sub({"since": now})
    check(s.first["venvs"] == [] and s.first["fresh_instance"] is False,
          f"since the current clock: {s.first}")
    s.close()
    shutil.rmtree(c)
    check(wait_for(lambda: records().get(c, {}).get("state") == "missing", EXPECT_S),
          "removed venv not missing")
    s = Sub({"since": now})
    got = [(x["path"], x.get("state")) for x in s.first["venvs"]]
    check(got == [(c, "missing")], f"after removing one: {got}")
    s.close()


def test_beyond_log_bound():
    c0 = quiet_clock()
    many = os.path.join(R, "many")
    os.makedirs(many)
    paths = [os.path.join(many, "v%05d" % i) for i in range(LOG_MAX + 200)]
    for p in paths:
        cheap_venv(p)
    check(wait_for(lambda: all(p in records() for p in paths[-5:] + paths[:5]), 300.0,
                   interval=1.0),
          "the daemon did not index the cheap venvs")
    check(wait_for(lambda: sum(1 for p in records() if p.startswith(many + "/")) ==
                   len(paths), 300.0, interval=1.0), "not every cheap venv indexed")
    s = Sub({"since": c0})
    check(s.first["fresh_instance"] is True, f"a clock {LOG_MAX + 200} changes old is "
          f"not fresh_instance: {s.first['clock']}")
    total = len(records())
    check(len(s.first["venvs"]) == total,
          f"fresh_instance but not the full state: {len(s.first['venvs'])} of {total}")
    s.close()
    shutil.rmtree(many)
    check(wait_for(lambda: all(records().get(p, {}).get("state") == "missing"
                               for p in paths[:3]), 300.0, interval=1.0),
          "cheap venvs not missing")
    with connect() as c:
        for p in paths:
            c.result("forget", {"path": p})


def test_restart_is_fresh():
    global DAEMON
    c = quiet_clock()
    check(DAEMON.stop() == 0, "daemon exit status")
    DAEMON = Daemon()
    DAEMON.start()
    s = Sub({"since": c})
    check(s.first["fresh_instance"] is True, f"a clock of the old instance: {s.first['clock']}")
    check(len(s.first["venvs"]) == len(records()), "not the full state after a restart")
    s.close()


def activate(venv, times):
    with connect() as c:
        for _ in range(times):
            r = c.result("resolve", {"path": venv, "activating": True})
            check(r["venv"] and r["venv"]["path"] == venv, f"resolve {venv}: {r}")


def trust_of(path):
    with connect() as c:
        r = c.result("resolve", {"path": path})
    check(r["venv"] is not None, f"no venv at {path}: {r}")
    return r["venv"].get("trust")


def decide(method, path):
    with connect() as c:
        c.result(method, {"path": path})


def moved(src, dst):
    """mv src dst; wait until the index has dst and no longer src."""
    os.rename(src, dst)
    ok = wait_for(lambda: dst in records() and src not in records() and
                  records()[dst]["state"] == "ok", EXPECT_S)
    recs = records()
    check(ok, f"after mv {src} {dst}: {[(p, r['state']) for p, r in recs.items()]}")
    return recs[dst]


def test_move_keeps_record():
    a = os.path.join(R, "envs", "a")
    b = os.path.join(R, "envs", "b")
    mkvenv(a)
    check(wait_for(lambda: settled([a]), EXPECT_S), "venv not indexed")
    decide("allow", a)
    check(trust_of(a) == "trusted", "allowed venv not trusted")
    activate(a, 3)
    before = records()[a]
    check(before["activation_count"] == 3, f"activations: {before}")
    c0 = quiet_clock()
    s = Sub({})
    rec = moved(a, b)
    check(rec.get("moved_from") == a, f"moved_from: {rec}")
    check(rec["activation_count"] == 3 and rec["last_activated"] == before["last_activated"]
          and rec["first_seen"] == before["first_seen"], f"history lost: {before} -> {rec}")
    check(trust_of(b) == "trusted", "a venv moved in place lost its allow (trust = ask)")
    # A subscriber connected and one resuming both see removed + moved_from.
    notes = s.drain(2.0)
    seen = [x for n in notes for x in n["params"]["venvs"]]
    check({"path": a, "removed": True} in seen, f"no removal of {a} notified: {seen}")
    check(any(x["path"] == b and x.get("moved_from") == a for x in seen),
          f"no record of {b} with moved_from notified: {seen}")
    s.close()
    s = Sub({"since": c0})
    got = {x["path"]: x for x in s.first["venvs"]}
    check(got.get(a) == {"path": a, "removed": True} and got.get(b, {}).get("moved_from") == a,
          f"resume across the move: {s.first['venvs']}")
    s.close()
    out = subprocess.run([VENVD, "list", "--json"], capture_output=True, text=True)
    listed = [v["path"] for v in json.loads(out.stdout)
              if v["path"] in (a, b)] if out.returncode == 0 else None
    check(listed == [b], f"venvd list: {listed} ({out.stderr})")
    # A deny follows a venv anywhere.
    c = os.path.join(R, "envs", "c")
    moved(b, c)
    decide("deny", c)
    d = os.path.join(R, "elsewhere", "d")
    os.makedirs(os.path.dirname(d))
    moved(c, d)
    check(trust_of(d) == "denied", "a deny did not follow the venv")


def test_attack_other_project():
    p1 = os.path.join(R, "proj1")
    p2 = os.path.join(R, "proj2")
    os.makedirs(p1)
    os.makedirs(p2)
    v1 = os.path.join(p1, ".venv")
    mkvenv(v1)
    check(wait_for(lambda: settled([v1]), EXPECT_S), "venv not indexed")
    decide("allow", v1)
    activate(v1, 1)
    check(trust_of(p1) == "trusted", "allowed project venv not trusted")
    v2 = os.path.join(p2, ".venv")
    rec = moved(v1, v2)
    check(rec.get("moved_from") == v1 and rec["activation_count"] == 1,
          f"the record did not follow: {rec}")
    t = trust_of(p2)
    check(t != "trusted" and t.startswith("untrusted:"),
          f"an allow followed the venv into another project: {t}")


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                   check=True, capture_output=True)


def test_attack_into_tracking_checkout():
    if shutil.which("git") is None:
        say("SKIP part: git not installed")
        return
    repo = os.path.join(R, "checkout")
    os.makedirs(repo)
    git("init", "-q", cwd=repo)
    # The repository tracks a venv at tools/env; the work tree lacks it.
    cheap_venv(os.path.join(repo, "tools", "env"))
    git("add", "-f", "tools", cwd=repo)
    git("commit", "-q", "-m", "env", cwd=repo)
    shutil.rmtree(os.path.join(repo, "tools", "env"))
    check(wait_for(lambda: records().get(os.path.join(repo, "tools", "env"), {}).get("state")
                   in (None, "missing"), EXPECT_S), "tracked venv not gone")
    mine = os.path.join(R, "envs", "mine")
    mkvenv(mine)
    check(wait_for(lambda: settled([mine]), EXPECT_S), "venv not indexed")
    decide("allow", mine)
    check(trust_of(mine) == "trusted", "allowed venv not trusted")
    dst = os.path.join(repo, "tools", "env")
    rec = moved(mine, dst)
    check(rec.get("moved_from") == mine, f"the record did not follow: {rec}")
    t = trust_of(dst)
    check(t != "trusted", f"an allow followed the venv into a checkout that tracks it: {t}")


def test_attack_inode_reuse():
    old = os.path.join(R, "reuse", "old")
    mkvenv(old)
    check(wait_for(lambda: settled([old]), EXPECT_S), "venv not indexed")
    decide("allow", old)
    activate(old, 2)
    ino = os.stat(old).st_ino
    records()       # the activations written
    shutil.rmtree(old)
    check(wait_for(lambda: records()[old]["state"] == "missing", EXPECT_S), "not missing")
    # A new, unrelated directory with the same inode number.
    nest = os.path.join(R, "reuse2")
    os.makedirs(nest)
    new = None
    for i in range(500):
        p = os.path.join(nest, "n%03d" % i)
        os.mkdir(p)
        if os.stat(p).st_ino == ino:
            new = p
            break
    for q in os.listdir(nest):
        if os.path.join(nest, q) != new:
            os.rmdir(os.path.join(nest, q))
    if new is None:
        say("the filesystem gave no directory the old inode number: nothing to check")
        return
    say(f"{new} got the inode number {ino} of the deleted {old}")
    os.makedirs(os.path.join(new, "bin"))
    with open(os.path.join(new, "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\nversion = 3.11.2\n")
    os.symlink("/usr/bin/python3", os.path.join(new, "bin", "python"))
    check(wait_for(lambda: settled([new]), EXPECT_S), "new venv not indexed")
    recs = records()
    check("moved_from" not in recs[new] and recs[new]["activation_count"] == 0,
          f"an unrelated venv with a reused inode inherited a record: {recs[new]}")
    check(old in recs and recs[old]["activation_count"] == 2, f"the old record: {recs.get(old)}")
    t = trust_of(new)
    check(t != "trusted", f"an unrelated venv with a reused inode is trusted: {t}")


DAEMON = None


def main():
    global DAEMON
    os.makedirs(R)
    # Every allow matters: without one, nothing is trusted.
    write_config("trust = ask\n")
    DAEMON = Daemon()
    DAEMON.start()
    with connect() as c:
        c.result("watch", {"path": R})
    check(wait_for(lambda: any(r["path"] == R and r["state"] == "live"
                               for r in connect().result("roots", {})["roots"]), EXPECT_S),
          "root not scanned")
    run(test_created_under_root_moves_clock, test_since_only_after, test_move_keeps_record,
        test_attack_other_project, test_attack_into_tracking_checkout, test_attack_inode_reuse,
        test_restart_is_fresh, test_beyond_log_bound)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""subscribe_changes.py: an index subscriber hears of the changes that are not
a venv appearing or going, against the real venvd-daemon. The daemon reads again only the records its modules say may have
changed, so each kind of change is checked here, for a venv the index has
from a resolve (outside every discovery root, whose rescans write records
anyway) and for one under a root: its trust turning when its bin/ gains an
executable that shadows a system command (nothing in the index is written:
only the cache sees it), turning back when the user allows it (a
decision), and its state turning broken when its base interpreter goes.
Each change also reaches a client that resumes with the clock from before
it."""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests", "lib"))
import venvd_test  # noqa: E402
from venvd_test import (T, Daemon, check, connect, run, wait_for,  # noqa: E402
                        write_config)

R = os.path.join(T, "root")
EXPECT_S = 60.0


class Sub(venvd_test.Sub):
    """A subscribe connection that can wait for a record."""

    def until(self, pred, what):
        """Read notifications until one has a record pred accepts; that record."""
        seen = []
        left = EXPECT_S
        while left > 0:
            n = self.next(3.0)
            left -= 3.0
            if n is None:
                continue
            seen.append(n)
            for v in n["params"]["venvs"]:
                if pred(v):
                    return v
        check(False, f"no notification with {what}: {seen}")
        return None


def records():
    with connect() as c:
        return {v["path"]: v for v in c.result("list", {})["venvs"]}


def quiet_clock():
    """The clock once the index stopped changing."""
    last = None
    while True:
        s = Sub({})
        c = s.first["clock"]
        s.close()
        if c == last:
            return c
        last = c
        wait_for(lambda: False, 1.5)


def venv(path, home):
    """A venv as the index takes it, with its base interpreter in home."""
    os.makedirs(os.path.join(path, "bin"))
    with open(os.path.join(path, "pyvenv.cfg"), "w") as f:
        f.write(f"home = {home}\ninclude-system-site-packages = false\n"
                "version = 3.11.2\n")
    os.symlink(os.path.join(home, "python3"), os.path.join(path, "bin", "python"))


def resolve(path):
    with connect() as c:
        return c.result("resolve", {"path": path})["venv"]


def resumed(clock, path):
    """The record of path a client resuming from clock gets (None if not listed)."""
    s = Sub({"since": clock})
    check(s.first["fresh_instance"] is False, f"resume from {clock}: {s.first}")
    got = [v for v in s.first["venvs"] if v["path"] == path]
    s.close()
    return got[0] if got else None


def trust_and_state(v):
    home = v + "-interp"
    os.makedirs(home)
    os.symlink("/usr/bin/python3", os.path.join(home, "python3"))
    venv(v, home)
    # Indexed and measured: the sizer writing its size would read it again.
    check(wait_for(lambda: resolve(v) is not None and v in records() and
                   records()[v]["state"] == "ok" and
                   records()[v]["size_measured"] is not None, EXPECT_S),
          "venv not indexed and measured")
    # Resolved: its answer is cached, so its bin/ is watched; the git check settles.
    check(wait_for(lambda: resolve(v)["trust"] == "trusted", EXPECT_S),
          f"venv not trusted: {resolve(v)}")
    check(wait_for(lambda: records()[v]["trust"] == "trusted", EXPECT_S),
          f"record not trusted: {records()[v]}")
    c0 = quiet_clock()
    s = Sub({})

    # 1. bin/ gains a shadowing executable: only the generation moves.
    sudo = os.path.join(v, "bin", "sudo")
    with open(sudo, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(sudo, 0o755)
    rec = s.until(lambda r: r["path"] == v and (r["trust"] or "").startswith("untrusted:"),
                  f"{v} untrusted")
    check("sudo" in rec["trust"], f"trust: {rec['trust']}")
    got = resumed(c0, v)
    check(got is not None and got["trust"] == rec["trust"],
          f"a resume from {c0} misses the trust change: {got}")
    c1 = quiet_clock()

    # 2. The user allows it: trusted again.
    with connect() as c:
        c.result("allow", {"path": v})
    s.until(lambda r: r["path"] == v and r["trust"] == "trusted", f"{v} trusted again")
    got = resumed(c1, v)
    check(got is not None and got["trust"] == "trusted",
          f"a resume from {c1} misses the allow: {got}")
    c2 = quiet_clock()

    # 3. Its base interpreter goes: broken.
    os.unlink(os.path.join(home, "python3"))
    rec = s.until(lambda r: r["path"] == v and r["state"].startswith("broken"),
                  f"{v} broken")
    got = resumed(c2, v)
    check(got is not None and got["state"] == rec["state"],
          f"a resume from {c2} misses the broken state: {got}")
    s.close()


def test_resolved_venv():
    trust_and_state(os.path.join(T, "outside", "v"))


def test_venv_under_root():
    trust_and_state(os.path.join(R, "v"))


def main():
    os.makedirs(R)
    write_config("trust = auto\n")
    d = Daemon()
    d.start()
    with connect() as c:
        c.result("watch", {"path": R})
    check(wait_for(lambda: any(r["path"] == R and r["state"] == "live"
                               for r in connect().result("roots", {})["roots"]), EXPECT_S),
          "root not scanned")
    run(test_resolved_venv, test_venv_under_root)


if __name__ == "__main__":
    main()

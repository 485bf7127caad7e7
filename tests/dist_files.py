#!/usr/bin/env python3
"""dist_files.py: every file a test uses is in the release tarball.

Reads tests/dist-files.list (written by make from automake's DISTFILES and
TESTS) and follows, from each test, every file it uses: helpers it sources
or runs by a path under the source tree ("$TOP_SRCDIR/tests/lib/x.sh",
"%s/man/venvd.conf.5"), Python modules it imports from a directory it puts
on sys.path, and the helpers those use in turn. The unit test program's
sources (tests/unit/*.c) are read the same way. A file used but not
shipped fails the test: "make distcheck" would run the tests from a
tarball without it.

Exit 0 when all ship, 1 when any does not, 77 when not run through make.
"""

import os
import re
import subprocess
import sys

# Top-level directories a test can use files from.
TOP_DIRS = ("tests", "bench", "hooks", "schema", "man", "doc", "editors",
            "completions", "systemd", "common", "daemon", "client", "build-aux")
# A path from the top inside any text: "tests/lib/harness.sh", "man/venvd.1".
PATH_RE = re.compile(r"(?<![A-Za-z0-9_.-])((?:%s)/[A-Za-z0-9_.+/-]*[A-Za-z0-9_+-])"
                     % "|".join(re.escape(d) for d in TOP_DIRS))
# os.path.join(<anything naming TOP_SRCDIR>, "a", "b"): the directory a/b.
JOIN_RE = re.compile(r"os\.path\.join\([^()]*TOP_SRCDIR[^()]*(?:\([^()]*\))?[^()]*?"
                     r"((?:\s*,\s*\"[^\"]+\")+)\s*\)")
IMPORT_RE = re.compile(r"^\s*(?:from\s+([A-Za-z_][A-Za-z0-9_]*)\s+import|import\s+([A-Za-z_][A-Za-z0-9_]*))",
                       re.M)
# Files that are built, not shipped, even when they sit in the source tree.
BUILT_RE = re.compile(r"\.(?:o|a|log|trs|tmp)$")
# Files read for more references: the tests' own scripts and sources.
SCANNED_RE = re.compile(r"^(?:tests|bench)/.*\.(?:sh|py|c|h|lua)$")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def tracked(top, rel):
    """The source files under directory rel: git's list, else what is there."""
    try:
        out = subprocess.run(["git", "-C", top, "ls-files", "-z", "--", rel],
                             capture_output=True, check=True).stdout
        names = [n.decode() for n in out.split(b"\0") if n]
        if names:
            return names
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for d, _, files in os.walk(os.path.join(top, rel)):
        for f in files:
            found.append(os.path.relpath(os.path.join(d, f), top))
    return [f for f in found if not BUILT_RE.search(f)]


def main():
    top = os.environ.get("TOP_SRCDIR")
    build = os.environ.get("TOP_BUILDDIR")
    if not top or not build:
        print("SKIP: TOP_SRCDIR and TOP_BUILDDIR are unset (run through make check)",
              file=sys.stderr)
        sys.exit(77)
    listing = os.path.join(build, "tests", "dist-files.list")
    try:
        with open(listing, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        fail(f"{listing}: {e.strerror} (make check writes it)")
    dist = {ln[5:].rstrip("/") for ln in lines if ln.startswith("dist ")}
    tests = [ln[5:] for ln in lines if ln.startswith("test ")]
    built = {ln[6:] for ln in lines if ln.startswith("built ")}
    if not dist or not tests:
        fail(f"{listing} lists no dist files or no tests")

    def shipped(rel):
        parts = rel.split("/")
        return any("/".join(parts[:i]) in dist for i in range(1, len(parts) + 1))

    def exists(rel):
        return os.path.exists(os.path.join(top, rel))

    # why[path] = the first file seen using it.
    why = {}
    queue = []

    def use(rel, by):
        rel = os.path.normpath(rel)
        if rel in why or rel in built or BUILT_RE.search(rel) or not exists(rel):
            return
        why[rel] = by
        if os.path.isdir(os.path.join(top, rel)):
            for f in tracked(top, rel):
                use(f, by)
        elif SCANNED_RE.search(rel):
            queue.append(rel)

    for t in tests:
        if exists(t):
            use(t, "TESTS")
    # The unit test program is built from these; what they read must ship too.
    for f in tracked(top, "tests/unit"):
        use(f, "the unit tests")

    while queue:
        rel = queue.pop()
        with open(os.path.join(top, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in PATH_RE.finditer(text):
            use(m.group(1), rel)
        if rel.endswith(".py"):
            dirs = [os.path.dirname(rel)]
            for m in JOIN_RE.finditer(text):
                dirs.append("/".join(re.findall(r"\"([^\"]+)\"", m.group(1))))
            for m in IMPORT_RE.finditer(text):
                mod = m.group(1) or m.group(2)
                for d in dirs:
                    if exists(f"{d}/{mod}.py"):
                        use(f"{d}/{mod}.py", rel)
                        break

    for r in sorted(why):
        print(f"# uses {r} (from {why[r]})")
    missing = sorted(r for r in why if not os.path.isdir(os.path.join(top, r)) and not shipped(r))
    for r in missing:
        print(f"not in the tarball: {r} (used by {why[r]}); add it to EXTRA_DIST in Makefile.am")
    print(f"# {len(why)} files used by {len(tests)} tests, {len(missing)} not shipped")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()

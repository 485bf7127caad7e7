# shellcheck shell=bash
# storage_harness.sh: the state directory full or read-only under the daemon
# (issue 11, item 7), with a real interactive bash, zsh or fish driven
# through tmux by tests/lib/hook_harness.sh. Sourced by the thin wrappers
# tests/integration/storage_{bash,zsh,fish}.sh, which set SH and call
# storage_main.
#
# The state directory is a small tmpfs mounted in a private mount
# namespace (the test runs itself again under unshare -m), filled with a
# file so that SQLite hits SQLITE_FULL, and later mounted read-only.
# Checks: status, doctor and the hook's one-time notice name the fault;
# allow fails clearly; decisions stored before still apply; a venv found
# meanwhile is recorded once space returns and the fault clears; a daemon
# started on a full directory moves no index aside and still applies the
# decisions (read-only).

if [ -z "${VENVD_TEST_MOUNT_NS-}" ]; then
	command -v unshare >/dev/null 2>&1 || { echo "SKIP: unshare is not installed" >&2; exit 77; }
	if unshare -m --propagation private true 2>/dev/null; then
		ns=(unshare -m --propagation private)
	elif unshare -r -m --propagation private true 2>/dev/null; then
		ns=(unshare -r -m --propagation private)
	else
		echo "SKIP: cannot make a mount namespace (unshare -m needs root or user namespaces)" >&2
		exit 77
	fi
	VENVD_TEST_MOUNT_NS=1 exec "${ns[@]}" "$BASH" "$0" "$@"
fi

# shellcheck disable=SC2016,SC2119
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"

STATE="$XDG_STATE_HOME/venvd"

# trust_of DIR: the daemon's trust verdict for the venv of DIR.
trust_of() {
	local r
	r=$(rpc resolve "{\"path\": \"$1\"}") || return 1
	jget "$r" '(j["venv"] or {}).get("trust")'
}

# Fill the state directory's tmpfs to the last block.
fill_state() {
	dd if=/dev/zero of="$STATE/fill" bs=4k 2>/dev/null || true
	[ "$(df --output=avail "$STATE" | tail -n 1 | tr -d ' ')" = 0 ] || fail "could not fill $STATE"
}

# Is the daemon healthy again?
healthy() {
	"$VENVD" status | grep_all -qx "health: healthy"
}

# Does venvd list show venv $1?
listed() {
	"$VENVD" list | grep_all -qF "$1"
}

# Any index moved aside as corrupt?
moved_aside() {
	compgen -G "$STATE/index.sqlite3.corrupt-*" >/dev/null
}

# The checks, in order, in one long-lived shell.
storage_main() {
	local out rc full_notice ro_notice
	hook_rc=0
	trap 'hook_rc=$?; set +e; hook_cleanup; daemon_stop; umount -l "$STATE" 2>/dev/null; (exit "$hook_rc"); harness_cleanup' EXIT
	hook_check
	mkdir -p -m 700 "$STATE"
	mount -t tmpfs -o size=2m,mode=0700 venvd-test "$STATE" 2>"$T/mount.err" ||
		skip "cannot mount a tmpfs on the state directory: $(cat "$T/mount.err")"
	write_rc
	mkdir -p "$W/plain" "$XDG_CONFIG_HOME/venvd"
	for p in kept denied new later; do
		mkvenv "$W/$p/.venv"
	done
	# Under trust = ask only stored decisions let a venv activate.
	printf 'trust = ask\n' >"$XDG_CONFIG_HOME/venvd/config"
	daemon_start
	"$VENVD" allow "$W/kept" >/dev/null || fail "allow kept"
	"$VENVD" deny "$W/denied" >/dev/null || fail "deny denied"
	shell_start
	go "$W/kept"
	expect_active "$W/kept/.venv" "an allowed venv"
	full_notice="venvd: storage: cannot write the index in $STATE: database or disk is full"
	expect_notices "venvd: storage:" 0 "a notice while healthy"

	say "$SH: the state directory full: allow fails clearly, status and doctor name the fault"
	fill_state
	rc=0; out=$("$VENVD" allow "$W/new" 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "allow succeeded with the state directory full: $out"
	grep -qF "cannot store the decision: database or disk is full (the state directory $STATE is full or read-only); nothing was changed" <<<"$out" ||
		fail "allow's message: $out"
	out=$("$VENVD" status)
	grep -qxF "degraded: ${full_notice#venvd: }" <<<"$out" || fail "status: $out"
	grep -q "healthy" <<<"$out" && fail "status says healthy: $out"
	rc=0; out=$("$VENVD" doctor 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "doctor passed with the state directory full: $out"
	grep -qF "FAIL  health: ${full_notice#venvd: }" <<<"$out" || fail "doctor: $out"

	say "$SH: stored decisions still apply; the hook shows the fault once"
	assert_eq trusted "$(trust_of "$W/kept")" "the allowed venv while full"
	assert_eq denied "$(trust_of "$W/denied")" "the denied venv while full"
	assert_eq "untrusted:not allowed yet (trust = ask)" "$(trust_of "$W/new")" "the refused allow changed nothing"
	"$VENVD" trust | grep_all -qF "$W/kept/.venv" || fail "venvd trust lost the allowed venv"
	# Found while full: its record waits in memory.
	assert_eq "untrusted:not allowed yet (trust = ask)" "$(trust_of "$W/later")" "a venv found while full"
	step ""
	expect_active "$W/kept/.venv" "the allowed venv in the shell while full"
	expect_notices "$full_notice" 1 "the storage notice"
	go "$W/denied"
	expect_none "a denied venv while full"
	go "$W/kept"
	expect_active "$W/kept/.venv" "back to the allowed venv"
	step ""
	expect_notices "$full_notice" 1 "the storage notice after more prompts"

	say "$SH: space returns: the waiting record lands, the fault clears, allow works"
	rm -f "$STATE/fill"
	TIMEOUT=30 wait_for healthy || fail "still degraded after space returned: $("$VENVD" status)"
	wait_for listed "$W/later/.venv" || fail "the record of a venv found while full never landed"
	"$VENVD" allow "$W/new" >/dev/null || fail "allow after space returned"
	go "$W/new"
	expect_active "$W/new/.venv" "a venv allowed after space returned"
	expect_notices "$full_notice" 1 "the storage notice once the fault cleared"
	rc=0; out=$("$VENVD" doctor 2>&1) || rc=$?
	grep -q "^ok    health: no faults reported" <<<"$out" || fail "doctor once healthy: $out"

	say "$SH: a daemon started on a full state directory moves nothing aside and applies the decisions"
	daemon_stop
	fill_state
	daemon_start
	moved_aside && fail "the index was moved aside: $(ls "$STATE")"
	ro_notice="venvd: storage: the index in $STATE is read-only"
	"$VENVD" status | grep_all -qF "degraded: ${ro_notice#venvd: }" || fail "status on a full start: $("$VENVD" status)"
	assert_eq trusted "$(trust_of "$W/kept")" "the allowed venv after a full start"
	assert_eq denied "$(trust_of "$W/denied")" "the denied venv after a full start"
	assert_eq trusted "$(trust_of "$W/new")" "the venv allowed last after a full start"
	go "$W/denied"
	expect_none "a denied venv after a full start"
	go "$W/kept"
	expect_active "$W/kept/.venv" "an allowed venv after a full start"
	step ""
	expect_notices "$ro_notice" 1 "the read-only notice"

	say "$SH: mounted read-only: the same"
	daemon_stop
	rm -f "$STATE/fill"
	mount -o remount,ro "$STATE" || fail "cannot remount $STATE read-only"
	daemon_start
	moved_aside && fail "the index was moved aside on a read-only mount"
	"$VENVD" status | grep_all -qF "degraded: ${ro_notice#venvd: }" || fail "status read-only: $("$VENVD" status)"
	rc=0; out=$("$VENVD" deny "$W/kept" 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "deny succeeded on a read-only index: $out"
	assert_eq trusted "$(trust_of "$W/kept")" "the allowed venv on a read-only mount"
	assert_eq denied "$(trust_of "$W/denied")" "the denied venv on a read-only mount"

	say "$SH: writable again and restarted: healthy, every decision kept"
	daemon_stop
	mount -o remount,rw "$STATE" || fail "cannot remount $STATE read-write"
	daemon_start
	healthy || fail "not healthy after a restart on a writable directory: $("$VENVD" status)"
	assert_eq trusted "$(trust_of "$W/kept")" "kept after everything"
	assert_eq denied "$(trust_of "$W/denied")" "denied after everything"
	assert_eq trusted "$(trust_of "$W/new")" "new after everything"
	listed "$W/later/.venv" || fail "the late record is gone"
	daemon_stop
	say "$SH: storage checks passed"
}

#!/bin/bash
# package_deb.sh: the Debian package, installed for real. Given a built
# .deb (VENVD_DEB=PATH) and root: lintian finds no error or warning in it,
# it has no maintainer scripts and no conffiles, "dpkg -i" puts every file
# where each program looks for it, the INSTALLED hook activates a real venv
# in a real interactive bash, zsh and fish (through tmux, from the startup
# file a user writes, the daemon started by the installed venvd on first
# use; bash through the packaged builtin, zsh through the packaged module),
# Neovim loads the plugin with an empty HOME, the units are not enabled,
# and "dpkg -r" then "dpkg -P" leave nothing behind.
#
# Skips (77) without VENVD_DEB or root, so "make check" stays as it is; CI
# (.ci/run) builds the package from the "make dist" tarball and runs this.
# It installs and purges the package "venvd" on this machine.
# shellcheck source=tests/lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

[ -n "${VENVD_DEB-}" ] || skip "VENVD_DEB is unset (CI sets it to a .deb built by dpkg-buildpackage)"
[ "$(id -u)" = 0 ] || skip "not root: this test installs and removes $VENVD_DEB with dpkg"
for tool in dpkg dpkg-deb dpkg-query lintian tmux bash; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
case $VENVD_DEB in /*) ;; *) VENVD_DEB="$PWD/$VENVD_DEB" ;; esac
[ -f "$VENVD_DEB" ] || fail "VENVD_DEB=$VENVD_DEB is not a file"
[ "$(dpkg-deb -f "$VENVD_DEB" Package)" = venvd ] || fail "$VENVD_DEB is not the venvd package"
if dpkg-query -W -f='${db:Status-Abbrev}' venvd 2>/dev/null | grep_all -q '^[a-z]i'; then
	fail "the package venvd is already installed; this test would remove it (dpkg -P venvd first)"
fi

# The installed programs, not the build tree's; the daemon is the one the
# installed venvd starts by itself (beside it: /usr/bin/venvd-daemon).
unset VENVD_DAEMON VENVD_AUTOSTART VENVD_SOCKET VENVD_BASH_BUILTIN VENVD_ZSH_MODULE
VENVD=/usr/bin/venvd
OUT="$T/out"
TS="$T/tmux.sock"
mkdir -p "$OUT"
INSTALLED=0

# $T/user_env CMD...: CMD in the environment of a user whose files are all
# in $T (HOME, XDG_*), with the system's PATH only; a script, for tmux too.
cat >"$T/user_env" <<EOF
#!/bin/sh
exec env -i HOME='$HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' XDG_STATE_HOME='$XDG_STATE_HOME' \\
	XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_CACHE_HOME='$XDG_CACHE_HOME' \\
	XDG_DATA_HOME='$XDG_DATA_HOME' PATH=/usr/bin:/bin LANG=C.UTF-8 TERM=screen "\$@"
EOF
chmod 755 "$T/user_env"
# user_env CMD...: run CMD so.
user_env() {
	"$T/user_env" "$@"
}

# Stop the daemon and the shells, and purge the package if it is still
# there, whatever happened: the machine is left as it was.
# shellcheck disable=SC2317 # the EXIT trap
package_cleanup() {
	local rc=$?
	tmux -S "$TS" kill-server 2>/dev/null || true
	if [ -x /usr/bin/venvd ]; then
		user_env /usr/bin/venvd stop >/dev/null 2>&1 || true
	fi
	if [ "$INSTALLED" = 1 ]; then
		dpkg -P venvd >/dev/null 2>&1 || echo "WARNING: dpkg -P venvd failed" >&2
	fi
	(exit "$rc")
	harness_cleanup
}
trap package_cleanup EXIT

# venvd_paths: the names of venvd's files in the system's directories.
venvd_paths() {
	find /etc /usr /var /opt -xdev \( -path /var/tmp -o -path /var/lib/dpkg/updates \) -prune -o \
		-name '*venvd*' -print 2>/dev/null | LC_ALL=C sort
}

# --- the .deb itself --------------------------------------------------------
if ! lintian --fail-on error,warning "$VENVD_DEB" >"$T/lintian.out" 2>&1; then
	cat "$T/lintian.out" >&2
	fail "lintian found errors or warnings in $VENVD_DEB"
fi
say "lintian: $(grep -v '^running with root privileges' "$T/lintian.out" || echo clean)"

dpkg-deb -e "$VENVD_DEB" "$T/control"
for f in preinst postinst prerm postrm config triggers conffiles; do
	[ ! -e "$T/control/$f" ] || fail "the package has $f (it must start nothing and touch no home):
$(cat "$T/control/$f")"
done
dpkg-deb --fsys-tarfile "$VENVD_DEB" | tar -t | sed 's|^\./|/|; s|/$||' | grep -vx '' >"$T/contents"
libdir=$(grep_all -m1 -o '^/usr/lib/[^/]*/venvd$' <"$T/contents") ||
	fail "the package has no /usr/lib/<multiarch>/venvd"
say "libdir: ${libdir%/venvd}"
has_builtin=0 has_module=0
grep_all -qx "$libdir/bash/venvd.so" <"$T/contents" && has_builtin=1
grep_all -qx "$libdir/zsh/venvd.so" <"$T/contents" && has_module=1

# What exists before the package does: dpkg must remove the rest.
: >"$T/preexisting"
while IFS= read -r p; do
	if [ -e "$p" ] || [ -L "$p" ]; then
		printf '%s\n' "$p" >>"$T/preexisting"
	fi
done <"$T/contents"
venvd_paths >"$T/names.before"

# --- dpkg -i ------------------------------------------------------------------
INSTALLED=1
dpkg -i "$VENVD_DEB" >"$T/dpkg-i.log" 2>&1 || { cat "$T/dpkg-i.log" >&2; fail "dpkg -i $VENVD_DEB failed"; }
say "installed $(dpkg-query -W -f='${Package} ${Version}' venvd)"

# must_have KIND PATH: PATH is installed as KIND (f file, x executable).
must_have() {
	[ -f "$2" ] || fail "not installed: $2"
	[ "$1" != x ] || [ -x "$2" ] || fail "not executable: $2"
	grep_all -qxF "$2" <"$T/contents" || fail "$2 is not the package's"
}
must_have x /usr/bin/venvd
must_have x /usr/bin/venvd-daemon
for page in venvd.1 venvd-daemon.8 venvd.conf.5 venvd-protocol.7; do
	must_have f "/usr/share/man/man${page##*.}/$page.gz"
done
must_have f /usr/share/bash-completion/completions/venvd
must_have f /usr/share/zsh/vendor-completions/_venvd
must_have f /usr/share/fish/vendor_completions.d/venvd.fish
must_have f /usr/lib/systemd/user/venvd.service
must_have f /usr/lib/systemd/user/venvd.socket
grep -qxF 'ExecStart=/usr/bin/venvd-daemon --foreground' /usr/lib/systemd/user/venvd.service ||
	fail "venvd.service: $(grep ExecStart /usr/lib/systemd/user/venvd.service)"
nvimdir=/usr/share/nvim/site/pack/venvd/start/venvd
must_have f "$nvimdir/lua/venvd/init.lua"
must_have f "$nvimdir/plugin/venvd.lua"
for sh in bash zsh fish; do
	must_have f "/usr/share/venvd/hooks/venvd.$sh"
done
must_have f /usr/share/doc/venvd/copyright
[ "$has_builtin" = 1 ] && must_have f "$libdir/bash/venvd.so"
[ "$has_module" = 1 ] && must_have f "$libdir/zsh/venvd.so"
say "builtin packaged: $has_builtin, zsh module packaged: $has_module"
# Installing enabled no unit, for anyone.
enabled=$(find /etc/systemd -name 'venvd.*' 2>/dev/null)
[ -z "$enabled" ] || fail "installing enabled units: $enabled"

# Each shell finds its completion where the package put it.
if [ -f /usr/share/bash-completion/bash_completion ]; then
	got=$(user_env bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
		__load_completion venvd && complete -p venvd') || true
	case $got in
	*' venvd') say "bash-completion: $got" ;;
	*) fail "bash-completion did not load /usr/share/bash-completion/completions/venvd: [$got]" ;;
	esac
fi
if command -v zsh >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # zsh code
	got=$(cd "$T" && user_env zsh -f -c 'autoload -Uz compinit; compinit -u -D; print -r -- "$_comps[venvd]"') || true
	assert_eq _venvd "$got" "zsh's compinit did not find /usr/share/zsh/vendor-completions/_venvd"
fi
if command -v fish >/dev/null 2>&1; then
	got=$(cd "$T" && user_env fish -c 'complete -C "venvd hook "' | cut -f1 | LC_ALL=C sort | paste -sd' ' -)
	assert_eq 'bash fish zsh' "$got" "fish did not load /usr/share/fish/vendor_completions.d/venvd.fish"
fi

# Neovim loads the plugin from the package, with no configuration at all.
if command -v nvim >/dev/null 2>&1; then
	mkdir -p "$T/nvim-home"
	# shellcheck disable=SC2016 # Lua, not shell
	got=$(cd "$T" && env -i HOME="$T/nvim-home" PATH=/usr/bin:/bin VENVD_SOCKET="$T/no-daemon.sock" \
		timeout 60 nvim --headless \
		-c 'lua io.stdout:write(vim.g.loaded_venvd and "loaded " or "not-loaded ", debug.getinfo(require("venvd").setup, "S").source, "\n")' \
		-c 'qa!' 2>&1) || fail "nvim with the packaged plugin failed: $got"
	assert_eq "loaded @$nvimdir/lua/venvd/init.lua" "$(tail -n1 <<<"$got")" \
		"Neovim with an empty HOME did not load the packaged plugin"
	say "Neovim: $(tail -n1 <<<"$got")"
fi

# --- the installed hook in real interactive shells ---------------------------
P="$T/proj"
mkdir -p "$P/src"
mkvenv "$P/.venv"
# shellcheck disable=SC2016 # the lines of the README, for the shells
printf '%s\n' 'eval "$(venvd hook bash)"' >"$HOME/.bashrc"
# shellcheck disable=SC2016
printf '%s\n' 'eval "$(venvd hook zsh)"' >"$HOME/.zshrc"
mkdir -p "$XDG_CONFIG_HOME/fish"
printf '%s\n' 'venvd hook fish | source' >"$XDG_CONFIG_HOME/fish/config.fish"

# in_shell SH: start SH as a user does (its startup file holds the line the
# README gives), cd into the project's src/, and read VIRTUAL_ENV and
# VENVD_SHELL there into VE and HOW.
in_shell() {
	local sh=$1 dump
	tmux -S "$TS" kill-server 2>/dev/null || true
	# shellcheck disable=SC2016 # expanded by the shell under test
	case $sh in
	bash) dump='printf "%s\n" "VE=${VIRTUAL_ENV-}" "HOW=${VENVD_SHELL-}" >'"$OUT/$sh.tmp"' && mv '"$OUT/$sh.tmp $OUT/$sh" ;;
	zsh) dump='printf "%s\n" "VE=${VIRTUAL_ENV-}" "HOW=${VENVD_SHELL-}" >'"$OUT/$sh.tmp"' && mv '"$OUT/$sh.tmp $OUT/$sh" ;;
	fish) dump='printf "%s\n" "VE=$VIRTUAL_ENV" "HOW=$VENVD_SHELL" >'"$OUT/$sh.tmp"'; and mv '"$OUT/$sh.tmp $OUT/$sh" ;;
	esac
	tmux -S "$TS" -f /dev/null new-session -d -s t -x 200 -y 50 \
		"cd $(printf %q "$T") && $(printf %q "$T/user_env") $sh -i 2>&1" ||
		fail "tmux could not start $sh"
	tmux -S "$TS" send-keys -t t -l -- "cd $P/src"
	tmux -S "$TS" send-keys -t t Enter
	tmux -S "$TS" send-keys -t t -l -- "$dump"
	tmux -S "$TS" send-keys -t t Enter
	TIMEOUT=60 wait_for test -e "$OUT/$sh" || {
		tmux -S "$TS" capture-pane -p -J -S - -t t >&2 || true
		fail "$sh: the shell did not write its state"
	}
	VE=$(sed -n 's/^VE=//p' "$OUT/$sh")
	HOW=$(sed -n 's/^HOW=//p' "$OUT/$sh")
	tmux -S "$TS" capture-pane -p -J -S - -t t >"$T/pane.$sh" || true
	tmux -S "$TS" kill-server 2>/dev/null || true
	say "$sh: VIRTUAL_ENV=$VE VENVD_SHELL=$HOW"
	if grep_all -E 'venvd:|command not found|Unknown command' <"$T/pane.$sh" >&2; then
		fail "$sh: the hook printed the above"
	fi
}
in_shell bash
assert_eq "$P/.venv" "$VE" "bash: the installed hook did not activate the venv"
if [ "$has_builtin" = 1 ]; then
	[[ $HOW == bash:*:builtin ]] || fail "bash: the packaged builtin did not load: VENVD_SHELL=$HOW"
fi
# The installed venvd started the installed daemon on first use.
status=$(user_env /usr/bin/venvd status --json) || fail "no daemon answers after the first shell"
pid=$(jget "$status" 'j["pid"]')
[ "$(readlink "/proc/$pid/exe")" = /usr/bin/venvd-daemon ] ||
	fail "the daemon (pid $pid) is $(readlink "/proc/$pid/exe"), not /usr/bin/venvd-daemon"
say "daemon: pid $pid, /usr/bin/venvd-daemon"
if command -v zsh >/dev/null 2>&1; then
	in_shell zsh
	assert_eq "$P/.venv" "$VE" "zsh: the installed hook did not activate the venv"
	if [ "$has_module" = 1 ]; then
		[[ $HOW == zsh:*:module ]] || fail "zsh: the packaged module did not load: VENVD_SHELL=$HOW"
	fi
fi
if command -v fish >/dev/null 2>&1; then
	in_shell fish
	assert_eq "$P/.venv" "$VE" "fish: the installed hook did not activate the venv"
fi
user_env /usr/bin/venvd stop >/dev/null || fail "venvd stop failed"

# --- dpkg -r, dpkg -P: nothing left behind -----------------------------------
dpkg -L venvd | sed '/^\/\.$/d' >"$T/dpkg-L"
dpkg -r venvd >"$T/dpkg-r.log" 2>&1 || { cat "$T/dpkg-r.log" >&2; fail "dpkg -r venvd failed"; }
left=
while IFS= read -r p; do
	grep_all -qxF "$p" <"$T/preexisting" && continue
	if [ -e "$p" ] || [ -L "$p" ]; then
		left+="$p"$'\n'
	fi
done < <(LC_ALL=C sort -u "$T/contents" "$T/dpkg-L")
[ -z "$left" ] || fail "dpkg -r left behind:
$left"
dpkg -P venvd >"$T/dpkg-P.log" 2>&1 || { cat "$T/dpkg-P.log" >&2; fail "dpkg -P venvd failed"; }
INSTALLED=0
if dpkg-query -W venvd >/dev/null 2>&1; then
	fail "dpkg still knows venvd after dpkg -P: $(dpkg-query -W -f='${db:Status-Abbrev}' venvd)"
fi
venvd_paths >"$T/names.after"
new=$(LC_ALL=C comm -13 "$T/names.before" "$T/names.after")
[ -z "$new" ] || fail "after dpkg -P, paths named venvd remain that were not there before:
$new"
say "removed and purged: nothing left behind"
exit 0

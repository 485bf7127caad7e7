#!/bin/bash
# install.sh: "make install DESTDIR=..." puts every file where it belongs,
# the installed venvd's hook activates a real venv in a real "bash -i",
# the installed completions load the way each shell finds them, units get
# the bindir of "make install prefix=...", and "make uninstall" leaves no
# file behind. Works from automake's harness and inside "make distcheck"
# (read-only srcdir, _build dir): only the build dir and $T are written.
. "$TOP_SRCDIR/tests/lib/harness.sh"
: "${TOP_BUILDDIR:?TOP_BUILDDIR must name the build directory}"

command -v make >/dev/null 2>&1 || skip "make is not installed"
[ -f "$TOP_BUILDDIR/Makefile" ] || skip "no Makefile in $TOP_BUILDDIR"

# bmake ARGS...: make in the build dir, detached from any outer make's
# jobserver and flags (this test runs under "make check"). The programs
# are never relinked (-o): other tests run them at the same time, and a
# relink would make them vanish for a moment if sources changed since
# "make check" built them.
bmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s --no-print-directory -C "$TOP_BUILDDIR" \
		-o client/venvd -o daemon/venvd-daemon "$@"
}

# The installation directories as the build dir's Makefile computes them.
cat >"$T/print-dirs.mk" <<'MK'
venvd-print-dirs:
	@printf '%s\n' 'bindir=$(bindir)' 'pkgdatadir=$(pkgdatadir)' \
		'mandir=$(mandir)' 'docdir=$(docdir)' 'datadir=$(datadir)' \
		'bashcompletiondir=$(bashcompletiondir)' \
		'zshcompletiondir=$(zshcompletiondir)' \
		'fishcompletiondir=$(fishcompletiondir)' \
		'systemduserunitdir=$(systemduserunitdir)' \
		'nvimplugindir=$(nvimplugindir)'
MK
declare -A dir=()
while IFS='=' read -r key value; do
	dir[$key]=$value
done < <(bmake -f Makefile -f "$T/print-dirs.mk" venvd-print-dirs)
[ -n "${dir[bindir]-}" ] || fail "could not read the installation dirs from $TOP_BUILDDIR/Makefile"
for key in "${!dir[@]}"; do
	say "$key = ${dir[$key]}"
done

# --- make install --------------------------------------------------------
D="$T/dest"
bmake install DESTDIR="$D" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "make install DESTDIR=$D failed"; }

# must_exist KIND PATH: PATH (under $D) was installed as KIND (f or x).
must_exist() {
	[ -f "$D$2" ] || fail "not installed: $2"
	[ "$1" = x ] && { [ -x "$D$2" ] || fail "not executable: $2"; }
	say "installed $2"
}
must_exist x "${dir[bindir]}/venvd"
must_exist x "${dir[bindir]}/venvd-daemon"
for sh in bash zsh fish; do
	must_exist f "${dir[pkgdatadir]}/hooks/venvd.$sh"
	cmp -s "$TOP_SRCDIR/hooks/venvd.$sh" "$D${dir[pkgdatadir]}/hooks/venvd.$sh" ||
		fail "installed hooks/venvd.$sh differs from the source"
done
must_exist f "${dir[docdir]}/config.example"
[ -n "${dir[bashcompletiondir]}" ] && must_exist f "${dir[bashcompletiondir]}/venvd"
[ -n "${dir[zshcompletiondir]}" ] && must_exist f "${dir[zshcompletiondir]}/_venvd"
[ -n "${dir[fishcompletiondir]}" ] && must_exist f "${dir[fishcompletiondir]}/venvd.fish"
if [ -n "${dir[systemduserunitdir]}" ]; then
	units="$D${dir[systemduserunitdir]}"
	must_exist f "${dir[systemduserunitdir]}/venvd.socket"
	must_exist f "${dir[systemduserunitdir]}/venvd.service"
	grep -qxF "ExecStart=${dir[bindir]}/venvd-daemon --foreground" "$units/venvd.service" ||
		fail "venvd.service lacks ExecStart=${dir[bindir]}/venvd-daemon --foreground: $(grep ExecStart "$units/venvd.service")"
	grep -q '@bindir@' "$units/venvd.service" && fail "venvd.service still has @bindir@"
	for line in 'ListenStream=%t/venvd/venvd.sock' 'SocketMode=0600' 'DirectoryMode=0700'; do
		grep -qxF "$line" "$units/venvd.socket" || fail "venvd.socket lacks $line"
	done
fi
# The Neovim plugin, as a start package under $(datadir)/nvim/site, and
# every file of it that the tree has.
assert_eq "${dir[datadir]}/nvim/site/pack/venvd/start/venvd" "${dir[nvimplugindir]}" \
	"the Neovim plugin's directory"
while IFS= read -r -d '' f; do
	must_exist f "${dir[nvimplugindir]}/${f#"$TOP_SRCDIR/editors/nvim/"}"
done < <(find "$TOP_SRCDIR/editors/nvim" -type f \( -name '*.lua' -o -name '*.vim' -o -name '*.txt' \) -print0)
must_exist f "${dir[nvimplugindir]}/lua/venvd/init.lua"
must_exist f "${dir[nvimplugindir]}/plugin/venvd.lua"
must_exist f "${dir[docdir]}/nvim/README.md"
# Neovim finds it through its default 'packpath' ($XDG_DATA_DIRS/nvim/site),
# with no configuration (an empty HOME) and without being told to.
if command -v nvim >/dev/null 2>&1; then
	mkdir -p "$T/nvim-home"
	# shellcheck disable=SC2016 # Lua, not shell
	got=$(cd "$T" && env -i HOME="$T/nvim-home" PATH=/usr/bin:/bin \
		XDG_DATA_DIRS="$D${dir[datadir]}" VENVD_AUTOSTART=0 \
		VENVD_SOCKET="$T/no-daemon.sock" timeout 60 nvim --headless \
		-c 'lua io.stdout:write(vim.g.loaded_venvd and "loaded " or "not-loaded ", debug.getinfo(require("venvd").setup, "S").source, "\n")' \
		-c 'qa!' 2>&1) || fail "nvim with the installed plugin failed: $got"
	assert_eq "loaded @$D${dir[nvimplugindir]}/lua/venvd/init.lua" "$(tail -n1 <<<"$got")" \
		"Neovim did not load the installed plugin from its default packpath"
	say "Neovim with an empty HOME: $(tail -n1 <<<"$got")"
fi
# Every man page in the tree, in its section.
shopt -s nullglob
for page in "$TOP_SRCDIR"/man/*.[1-8]; do
	name=${page##*/}
	must_exist f "${dir[mandir]}/man${name##*.}/$name"
done
shopt -u nullglob
# Every key of the parser's table appears, with its default, in the example.
for kv in 'venv_dirs = .venv venv' 'max_watches = 8192' 'max_clients = 256' 'pip_guard = true' 'trust = auto'; do
	grep -qxF "#$kv" "$D${dir[docdir]}/config.example" || fail "config.example lacks #$kv"
done

# --- the installed venvd hook bash in a real interactive bash -------------
# Is the bash hook real? A placeholder (empty, or only comments: no git
# inside distcheck to ask) can only be checked for evaluating cleanly.
hooks_real=1
if [ "$(grep -cvE '^[[:space:]]*(#|$)' "$TOP_SRCDIR/hooks/venvd.bash")" -lt 3 ]; then
	hooks_real=0
fi
IVENVD="$D${dir[bindir]}/venvd"
hook_text=$("$IVENVD" hook bash) || fail "installed venvd hook bash failed"
case $hook_text in
*@VENVD@* | *@GENFILE@*) fail "installed hook text has unreplaced placeholders" ;;
esac
if [ "$hooks_real" = 1 ]; then
	[ -n "$hook_text" ] || fail "installed venvd hook bash printed nothing"
	grep -qF "$IVENVD" <<<"$hook_text" || fail "installed hook does not call the installed venvd ($IVENVD)"
fi

P="$T/my project"
mkdir -p "$P/src"
mkvenv "$P/.venv"

out=$(cd "$T" && env -u VIRTUAL_ENV PATH="/usr/bin:/bin" IVENVD="$IVENVD" P="$P" \
	bash --norc --noprofile -i 2>"$T/bash-i.err" <<'SH'
eval "$("$IVENVD" hook bash)" || echo "EVAL-FAILED"
echo "EVAL-STATUS=$?"
cd "$P/src"
printf 'IN VE=%s PATH=%s\n' "${VIRTUAL_ENV-}" "$PATH"
cd /
printf 'OUT VE=%s PATH=%s\n' "${VIRTUAL_ENV-}" "$PATH"
SH
)
say "bash -i said: $out"
case $out in
*EVAL-FAILED*) fail "eval of the installed hook failed: $(cat "$T/bash-i.err")" ;;
esac
grep -qxF 'EVAL-STATUS=0' <<<"$out" || fail "eval of the installed hook failed: $(cat "$T/bash-i.err")"
if [ "$hooks_real" = 1 ]; then
	assert_eq "IN VE=$P/.venv PATH=$P/.venv/bin:/usr/bin:/bin" "$(grep '^IN ' <<<"$out")" \
		"the installed hook did not activate the venv on cd"
	assert_eq "OUT VE= PATH=/usr/bin:/bin" "$(grep '^OUT ' <<<"$out")" \
		"the installed hook did not deactivate the venv on leaving"
else
	say "SKIPPED the activation assertion: hooks/venvd.bash is still a placeholder"
fi

# --- the installed completions load the way each shell finds them ---------
if [ -n "${dir[bashcompletiondir]}" ] && [ -f /usr/share/bash-completion/bash_completion ] &&
	[ "${dir[bashcompletiondir]##*/}" = completions ]; then
	# bash-completion looks in $BASH_COMPLETION_USER_DIR/completions first.
	got=$(BASH_COMPLETION_USER_DIR="$D${dir[bashcompletiondir]%/completions}" \
		bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
		__load_completion venvd && complete -p venvd') || true
	case $got in
	*'-F _comp_cmd_venvd venvd'*) say "bash-completion loads the installed file: $got" ;;
	*) fail "bash-completion did not load $D${dir[bashcompletiondir]}/venvd: [$got]" ;;
	esac
fi
if [ -n "${dir[zshcompletiondir]}" ]; then
	got=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- "$_comps[venvd]"' \
		zsh "$D${dir[zshcompletiondir]}") || true
	assert_eq _venvd "$got" "zsh compinit did not pick up the installed _venvd"
fi
if [ -n "${dir[fishcompletiondir]}" ]; then
	# fish autoloads completions only for a command it finds on PATH.
	got=$(cd "$T" && PATH="$D${dir[bindir]}:$PATH" fish --no-config -c \
		'set -p fish_complete_path $argv[1]; complete -C "venvd hook "' \
		"$D${dir[fishcompletiondir]}" | cut -f1 | LC_ALL=C sort | paste -sd' ' -)
	assert_eq 'bash fish zsh' "$got" "fish did not autoload the installed venvd.fish"
fi

# --- make uninstall removes every file ------------------------------------
bmake uninstall DESTDIR="$D" >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log" >&2; fail "make uninstall DESTDIR=$D failed"; }
left=$(find "$D" ! -type d)
[ -z "$left" ] || fail "make uninstall left files behind:
$left"

# --- make install prefix=... substitutes that prefix's bindir in units -----
if [ -n "${dir[systemduserunitdir]}" ]; then
	D2="$T/dest2"
	bmake install prefix=/opt/venvd-test DESTDIR="$D2" >"$T/install2.log" 2>&1 ||
		{ cat "$T/install2.log" >&2; fail "make install prefix=/opt/venvd-test failed"; }
	svc=$(find "$D2" -name venvd.service)
	[ -n "$svc" ] || fail "make install prefix=... installed no venvd.service"
	grep -qxF 'ExecStart=/opt/venvd-test/bin/venvd-daemon --foreground' "$svc" ||
		fail "prefix=/opt/venvd-test: $(grep ExecStart "$svc")"
	bmake uninstall prefix=/opt/venvd-test DESTDIR="$D2" >>"$T/install2.log" 2>&1 ||
		fail "make uninstall prefix=/opt/venvd-test failed"
	left=$(find "$D2" ! -type d)
	[ -z "$left" ] || fail "make uninstall prefix=... left files behind:
$left"
	# Put the build dir's units back to the configured bindir.
	bmake systemd/venvd.service systemd/venvd.socket >>"$T/install2.log" 2>&1 ||
		fail "could not regenerate the units"
	grep -qxF "ExecStart=${dir[bindir]}/venvd-daemon --foreground" \
		"$TOP_BUILDDIR/systemd/venvd.service" || fail "the build dir's venvd.service was not restored"
fi
say "all install checks passed"
exit 0

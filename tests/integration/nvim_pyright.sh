#!/bin/bash
# nvim_pyright.sh: the Neovim plugin end to end through a real language server.
#
# A project's .venv holds a package that exists only there. nvim --headless
# runs editors/nvim with pyright (started with vim.lsp.start_client, no
# lspconfig) and opens a file importing that package: pyright must resolve
# it (the plugin pointed python.pythonPath at the venv). The venv is then
# deleted and recreated without the package: the unresolved-import
# diagnostic must appear, with one vim.notify per change. Also: :terminal
# environment (VIRTUAL_ENV, PATH), :VenvdStatus, and with no daemon or a
# hung one, nothing visible and no blocking (setup and :edit well under the
# 500 ms request timeout).
#
# pyright comes from the npm registry, installed once per version under
# $VENVD_TEST_CACHE (default /tmp/venvd-test-cache); skipped when nvim,
# node or npm is missing or the install fails.
# shellcheck source=../lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"

# shellcheck source=../lib/pyright.sh
. "$TOP_SRCDIR/tests/lib/pyright.sh"
pyright_setup
langserver=$PYRIGHT_LANGSERVER

daemon_start

proj="$T/my proj"
mkdir -p "$proj/src"
mkvenv "$proj/.venv"
site=$(echo "$proj"/.venv/lib/python3*/site-packages)
[ -d "$site" ] || fail "no site-packages in $proj/.venv"
mkdir "$site/onlyhere_pkg"
printf 'def hello() -> int:\n    return 1\n' >"$site/onlyhere_pkg/__init__.py"
printf 'import onlyhere_pkg\n\nonlyhere_pkg.hello()\nundefined_sentinel_name\n' >"$proj/src/main.py"

cat >"$T/drive.lua" <<'EOF'
-- Driven by nvim_pyright.sh: prints "ok ..." lines, exits 0, or cquits 1.
local proj, langserver, python3 = os.getenv('PROJ'), os.getenv('LANGSERVER'), os.getenv('PYTHON3')
local venv = proj .. '/.venv'
local notes = {}
vim.notify = function(msg) table.insert(notes, msg) end
local function die(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  for _, n in ipairs(notes) do io.stderr:write('  notify: ' .. n .. '\n') end
  vim.cmd('cquit 1')
end
local function say(msg) io.stdout:write(msg .. '\n') end

-- pyright starts with the environment nvim had before the plugin, so only
-- the settings the plugin sends can point it at the venv.
local env0 = { PATH = vim.env.PATH, VIRTUAL_ENV = '' }
if os.getenv('CONTROL') ~= '1' then require('venvd').setup() end
vim.cmd('edit ' .. vim.fn.fnameescape(proj .. '/src/main.py'))
local id = vim.lsp.start_client({
  name = 'pyright',
  cmd = { 'node', langserver, '--stdio' },
  cmd_env = env0,
  root_dir = proj,
  settings = { python = { analysis = { diagnosticMode = 'openFilesOnly' } } },
  on_attach = os.getenv('CONTROL') ~= '1' and require('venvd').on_attach or nil,
})
if not id then die('pyright did not start') end
vim.lsp.buf_attach_client(0, id)
local bufnr = vim.api.nvim_get_current_buf()

local function diags()
  local unresolved, sentinel = false, false
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.message:find('onlyhere_pkg', 1, true) and d.message:find('resolved', 1, true) then
      unresolved = true
    end
    if d.message:find('undefined_sentinel_name', 1, true) then sentinel = true end
  end
  return unresolved, sentinel
end
local function show()
  local t = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do table.insert(t, d.message) end
  return table.concat(t, ' | ')
end

-- 0. Without the plugin (CONTROL=1, for checking this test) the import is unresolved.
if os.getenv('CONTROL') == '1' then
  if not vim.wait(90000, function() local u, s = diags(); return s end, 50) then die('no diagnostics') end
  local u = diags()
  say(u and 'control: unresolved without the plugin' or 'control: RESOLVED without the plugin')
  vim.cmd('qa!')
end

-- 1. The venv's own package resolves.
if not vim.wait(90000, function() return vim.env.VIRTUAL_ENV == venv end, 20) then
  die('VIRTUAL_ENV not set to ' .. venv .. ' (got ' .. tostring(vim.env.VIRTUAL_ENV) .. ')')
end
if vim.env.PATH:sub(1, #venv + 5) ~= venv .. '/bin:' then die('PATH does not start with the venv: ' .. vim.env.PATH) end
local out = vim.fn.system({ 'sh', '-c', 'echo "$VIRTUAL_ENV|$(command -v python)"' })
if out ~= venv .. '|' .. venv .. '/bin/python\n' then die(':! environment: ' .. out) end
say('ok environment for :! and :terminal')
if not vim.wait(90000, function() local u, s = diags(); return s and not u end, 50) then
  die('pyright still reports the venv-only import unresolved: ' .. show())
end
say('ok pyright resolves onlyhere_pkg from ' .. venv)
local before = #notes

-- 2. Recreated without the package: the import no longer resolves.
vim.fn.system({ 'rm', '-rf', venv })
if not vim.wait(10000, function() return vim.env.VIRTUAL_ENV ~= venv end, 20) then
  die('VIRTUAL_ENV still set after the venv was deleted')
end
vim.fn.system({ python3, '-m', 'venv', '--without-pip', venv })
if vim.v.shell_error ~= 0 then die('python3 -m venv failed') end
if not vim.wait(10000, function() return vim.env.VIRTUAL_ENV == venv end, 20) then
  die('VIRTUAL_ENV not set again after the venv was recreated')
end
if not vim.wait(90000, function() local u, s = diags(); return s and u end, 50) then
  die('no unresolved-import diagnostic after recreating the venv without the package: ' .. show())
end
say('ok pyright reports onlyhere_pkg unresolved after the venv was recreated')
local n = #notes - before
if n ~= 2 then die('expected one notify for the removal and one for the re-creation, got ' .. n) end
say('ok ' .. n .. ' notifications: ' .. table.concat(notes, ' / ', before + 1))

-- 3. :VenvdStatus answers through vim.notify.
before = #notes
vim.cmd('VenvdStatus')
if not vim.wait(5000, function() return #notes > before end, 20) then die(':VenvdStatus said nothing') end
if not notes[#notes]:find('generation', 1, true) then die(':VenvdStatus: ' .. notes[#notes]) end
say('ok :VenvdStatus')
before = #notes
vim.cmd('VenvdList')
if not vim.wait(5000, function() return #notes > before end, 20) then die(':VenvdList said nothing') end
if notes[#notes]:find('unknown method', 1, true) then
  say('ok :VenvdList (this daemon has no list method: ' .. notes[#notes] .. ')')
elseif not notes[#notes]:find(venv, 1, true) then
  die(':VenvdList does not show ' .. venv .. ': ' .. notes[#notes])
else
  say('ok :VenvdList shows the venv')
end
vim.lsp.stop_client(id, true)
vim.cmd('qa!')
EOF

say "nvim + pyright against the daemon"
PROJ="$proj" LANGSERVER="$langserver" PYTHON3="$(command -v "$PYTHON3")" \
	timeout 300 nvim --headless -u NONE -i NONE -n \
	--cmd "set rtp^=$TOP_SRCDIR/editors/nvim" -c "luafile $T/drive.lua" \
	</dev/null >"$T/nvim.out" 2>"$T/nvim.err" || {
	cat "$T/nvim.out" "$T/nvim.err" >&2
	fail "the nvim + pyright run failed"
}
cat "$T/nvim.out"
grep -q "ok 2 notifications" "$T/nvim.out" || fail "the nvim run did not finish its checks"

# No daemon, then a daemon that accepts and never answers: nothing visible, no blocking.
cat >"$T/quiet.lua" <<'EOF'
local notes = {}
vim.notify = function(msg) table.insert(notes, msg) end
local t0 = vim.loop.hrtime()
require('venvd').setup()
vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('PROJ') .. '/src/main.py'))
local ms = (vim.loop.hrtime() - t0) / 1e6
if ms > 250 then io.stderr:write('FAIL: setup and edit took ' .. ms .. ' ms\n'); vim.cmd('cquit 1') end
vim.wait(1500, function() return false end, 20)  -- longer than the request timeout
if #notes > 0 then io.stderr:write('FAIL: notified: ' .. notes[1] .. '\n'); vim.cmd('cquit 1') end
if vim.env.VIRTUAL_ENV then io.stderr:write('FAIL: VIRTUAL_ENV set\n'); vim.cmd('cquit 1') end
io.stdout:write(string.format('ok quiet, edit took %.1f ms\n', ms))
vim.cmd('qa!')
EOF
daemon_stop
for mode in absent hung; do
	if [ "$mode" = hung ]; then
		"$PYTHON3" -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); c=[]
while True: c.append(s.accept()[0])' "$VENVD_SOCKET" &
		hung=$!
		wait_for test -S "$VENVD_SOCKET" || fail "fake hung daemon did not start"
	fi
	PROJ="$proj" timeout 60 nvim --headless -u NONE -i NONE -n \
		--cmd "set rtp^=$TOP_SRCDIR/editors/nvim" -c "luafile $T/quiet.lua" \
		</dev/null >"$T/quiet.out" 2>&1 || { cat "$T/quiet.out" >&2; fail "daemon $mode: the plugin was visible or blocked"; }
	say "daemon $mode: $(cat "$T/quiet.out")"
	if [ "$mode" = hung ]; then
		kill "$hung"
		wait "$hung" 2>/dev/null || true
	fi
done
exit 0

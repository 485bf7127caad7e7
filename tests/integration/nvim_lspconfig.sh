#!/bin/bash
# nvim_lspconfig.sh: pyright started the way nvim-lspconfig starts it
# resolves a venv-only import in the first file opened, with no BufEnter
# and no command after the one that opened it.
#
# The user's init.lua does what lspconfig does: on FileType python it starts
# pyright (vim.lsp.start_client, root_dir from the project's markers) and
# attaches it to the buffer (vim.lsp.buf_attach_client). The plugin loads
# after init.lua, as a plugin does, and resolves on BufEnter, which comes
# after FileType. Both orders of the two asynchronous events are forced,
# each by a gate the test opens, never by a sleep:
#   A. pyright has initialized before the answer arrives: the daemon's git
#      (a wrapper on its PATH) waits at a gate, so the resolve is held
#      (trust unknown) until pyright has attached; the answer must then
#      configure the server already attached.
#   B. the answer arrives before pyright has initialized (the usual case:
#      node starts slower than the daemon answers): pyright's command
#      waits at a gate until the plugin has applied the answer; the server
#      must be configured when it attaches (LspAttach on 0.8+, the plugin's
#      on_attach hook on 0.7).
# Each time pyright must report the undefined-name sentinel (it analysed
# the file) and no unresolved import of the package only the venv has.
# nvim-lspconfig is not packaged in Debian 12, so its start is written out.
# shellcheck source=../lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"
# shellcheck source=../lib/pyright.sh
. "$TOP_SRCDIR/tests/lib/pyright.sh"
command -v git >/dev/null 2>&1 || skip "git is not installed"
pyright_setup

proj="$T/my proj"
mkdir -p "$proj/src"
: >"$proj/pyproject.toml"
mkvenv "$proj/.venv"
site=$(echo "$proj"/.venv/lib/python3*/site-packages)
[ -d "$site" ] || fail "no site-packages in $proj/.venv"
mkdir "$site/onlyhere_pkg"
printf 'def hello() -> int:\n    return 1\n' >"$site/onlyhere_pkg/__init__.py"
printf 'import onlyhere_pkg\n\nonlyhere_pkg.hello()\nundefined_sentinel_name\n' >"$proj/src/main.py"

# The daemon's git: its ls-files notes that it runs, then waits for $gitgate.
real_git=$(command -v git)
gitgate="$T/gitgate"
mkdir -p "$T/slowgit" "$T/gitruns"
cat >"$T/slowgit/git" <<EOF
#!/bin/sh
case " \$* " in
*" ls-files "*)
	: >"$T/gitruns/\$\$"
	# (also ends when the test is gone: a failed test never opens the gate)
	while [ ! -e "$gitgate" ] && [ -d "$T" ]; do sleep 0.01; done ;;
esac
exec "$real_git" "\$@"
EOF
chmod 755 "$T/slowgit/git"
mkdir -p "$XDG_CONFIG_HOME/venvd"
printf 'git_timeout = 3600\n' >"$XDG_CONFIG_HOME/venvd/config"
PATH="$T/slowgit:$PATH" daemon_start

# The user's init.lua: lspconfig's pyright setup, written out.
cat >"$T/init.lua" <<'EOF'
_G.events = {}
local function ev(s) table.insert(_G.events, s) end
local markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile',
                  'pyrightconfig.json', '.git' }
-- lspconfig's root_pattern: the nearest directory holding a marker.
local function root_of(dir)
  while dir ~= '/' and dir ~= '' do
    for _, m in ipairs(markers) do
      if vim.loop.fs_stat(dir .. '/' .. m) then return dir end
    end
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  return nil
end
-- pyright starts with the environment nvim had before the plugin, so only
-- the settings the plugin sends can point it at the venv.
local env0 = { PATH = vim.env.PATH, VIRTUAL_ENV = '' }
local cmd = { 'node', os.getenv('LANGSERVER'), '--stdio' }
if (os.getenv('SERVER_GATE') or '') ~= '' then
  cmd = { 'sh', '-c', 'while [ ! -e "$1" ] && [ -d "${1%/*}" ]; do sleep 0.01; done; exec node "$2" --stdio', 'sh',
          os.getenv('SERVER_GATE'), os.getenv('LANGSERVER') }
end
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'python',
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    local id = vim.lsp.start_client({
      name = 'pyright',
      cmd = cmd,
      cmd_env = env0,
      root_dir = root_of(vim.fn.fnamemodify(file, ':p:h')),
      settings = { python = { analysis = { diagnosticMode = 'openFilesOnly' } } },
      on_attach = function() ev('initialized') end,
    })
    vim.lsp.buf_attach_client(args.buf, id)
    ev('attached')
  end,
})
EOF

cat >"$T/drive.lua" <<'EOF'
-- Driven by nvim_lspconfig.sh after startup opened main.py: prints "ok ..."
-- lines and exits 0, or cquits 1. It sends no command and enters no buffer.
local mode, venv = os.getenv('MODE'), os.getenv('PROJ') .. '/.venv'
local bufnr = vim.api.nvim_get_current_buf()
local notes = {}
vim.notify = function(msg) table.insert(notes, msg) end
local function ev(s) table.insert(_G.events, s) end
local function die(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n  events: ' .. table.concat(_G.events, ' ') .. '\n')
  for _, n in ipairs(notes) do io.stderr:write('  notify: ' .. n .. '\n') end
  vim.cmd('cquit 1')
end
local function say(msg) io.stdout:write(msg .. '\n') end
local function has(e) return vim.tbl_contains(_G.events, e) end
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
local function touch(path) local f = assert(io.open(path, 'w')); f:close() end

if not has('attached') then die('pyright was not attached on FileType') end
if mode == 'A' then
  if not vim.wait(60000, function() return has('initialized') end, 20) then die('pyright did not initialize') end
  if vim.env.VIRTUAL_ENV == venv then die('the venv was applied while its git check was still running') end
  if #vim.fn.glob(os.getenv('GITRUNS') .. '/*', false, true) == 0 then die('the daemon is not running git') end
  ev('gate')
  touch(os.getenv('GIT_GATE'))
  if not vim.wait(60000, function() return vim.env.VIRTUAL_ENV == venv end, 20) then
    die('VIRTUAL_ENV not set to ' .. venv .. ' (got ' .. tostring(vim.env.VIRTUAL_ENV) .. ')')
  end
  ev('answer')
else
  if not vim.wait(60000, function() return vim.env.VIRTUAL_ENV == venv end, 20) then
    die('VIRTUAL_ENV not set to ' .. venv .. ' (got ' .. tostring(vim.env.VIRTUAL_ENV) .. ')')
  end
  if has('initialized') then die('pyright initialized before its gate opened') end
  ev('answer')
  ev('gate')
  touch(os.getenv('SERVER_GATE'))
  if not vim.wait(60000, function() return has('initialized') end, 20) then die('pyright did not initialize') end
end
say('ok events: ' .. table.concat(_G.events, ' '))
if not vim.wait(60000, function() local u, s = diags(); return s and not u end, 50) then
  die('pyright does not resolve the venv-only import: ' .. show())
end
say('ok pyright resolves onlyhere_pkg from ' .. venv)
for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do vim.lsp.stop_client(c.id, true) end
vim.cmd('qa!')
EOF

# run_nvim MODE [SERVER_GATE]: open main.py as a user would, then drive.lua.
run_nvim() {
	local rc=0
	SERVER_GATE=${2-} MODE=$1 PROJ="$proj" LANGSERVER="$PYRIGHT_LANGSERVER" GIT_GATE="$gitgate" GITRUNS="$T/gitruns" \
		timeout 300 nvim --headless -u "$T/init.lua" -i NONE -n \
		--cmd "set packpath= rtp^=$TOP_SRCDIR/editors/nvim" -c "luafile $T/drive.lua" \
		"$proj/src/main.py" </dev/null >"$T/nvim-$1.out" 2>"$T/nvim-$1.err" || rc=$?
	cat "$T/nvim-$1.out"
	[ "$rc" = 0 ] || { cat "$T/nvim-$1.err" >&2; fail "mode $1: the nvim + pyright run failed (rc $rc)"; }
	grep -q "ok pyright resolves" "$T/nvim-$1.out" || fail "mode $1: the nvim run did not finish its checks"
}

say "A. pyright attached and initialized before the resolve answers (git held)"
run_nvim A
grep -q "ok events: attached initialized gate answer" "$T/nvim-A.out" ||
	fail "A: the events came in another order"

say "B. the answer before pyright has initialized (pyright held)"
prime_trust "$proj/src"
run_nvim B "$T/servergate"
grep -q "ok events: attached answer gate initialized" "$T/nvim-B.out" ||
	fail "B: the events came in another order"
exit 0

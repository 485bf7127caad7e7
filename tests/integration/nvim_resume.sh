#!/bin/bash
# nvim_resume.sh: the Neovim plugin resumes its change stream with the
# last clock after a reconnect, starts over on a fresh instance, and uses
# only a venv the daemon trusts.
#
# 1. Real daemon: a clone whose .venv is committed to git is not used
#    (no VIRTUAL_ENV, one warning naming the reason).
# 2. A scripted daemon (a small Python server on the socket, which records
#    every request line) plays three instances, switched by the driver
#    through a test-only method that drops every connection:
#    A sends clocks; after the drop the plugin must subscribe with
#    "since" = A's last clock (from a venvs_changed). B answers
#    fresh_instance with another venv: the plugin keeps no answer of A (the
#    hidden buffer's directory included) and exports B's venv. C is a
#    daemon without clocks: the next resubscribe falls back to the last
#    generation.
# shellcheck source=../lib/harness.sh
. "$TOP_SRCDIR/tests/lib/harness.sh"
command -v nvim >/dev/null || skip "nvim is not installed (apt-get install neovim)"
command -v git >/dev/null 2>&1 || skip "git is not installed"
nvim --headless -u NONE -i NONE -c 'lua if vim.fn.has("nvim-0.7") == 0 then vim.cmd("cquit 3") end' \
	-c 'qa!' </dev/null >/dev/null 2>&1 || skip "nvim older than 0.7"

# nvim_run NAME: run $T/NAME.lua headless with the plugin; print its output.
nvim_run() {
	local rc=0
	timeout 120 nvim --headless -u NONE -i NONE -n --cmd "set packpath= rtp^=$TOP_SRCDIR/editors/nvim" \
		-c "luafile $T/$1.lua" </dev/null >"$T/$1.out" 2>&1 || rc=$?
	cat "$T/$1.out"
	[ "$rc" = 0 ] || fail "$1: the nvim run failed (rc $rc)"
}

say "1. a venv committed to git is not used"
W="$T/w"
mkdir -p "$W"
make_cloned cloned
mkdir -p "$W/cloned/src"
: >"$W/cloned/src/x.py"
daemon_start
cat >"$T/untrusted.lua" <<EOF
local notes = {}
vim.notify = function(msg) table.insert(notes, msg) end
local function die(msg)
  io.stdout:write('FAIL: ' .. msg .. ' [' .. table.concat(notes, ' / ') .. ']\n'); vim.cmd('cquit 1')
end
require('venvd').setup()
vim.cmd('edit ' .. vim.fn.fnameescape('$W/cloned/src/x.py'))
local dir = '$W/cloned/src'
if not vim.wait(60000, function() return #notes > 0 end, 20) then die('no warning about the committed venv') end
if not notes[1]:find('committed to git', 1, true) then die('warning: ' .. notes[1]) end
if vim.env.VIRTUAL_ENV then die('VIRTUAL_ENV set to ' .. vim.env.VIRTUAL_ENV) end
if vim.env.PATH:find('$W/cloned/.venv', 1, true) then die('the venv is on PATH') end
io.stdout:write('ok not used: ' .. notes[1] .. '\n')
vim.cmd('qa!')
EOF
nvim_run untrusted
daemon_stop

say "2. resume with since, fresh instance, no clock"
mkvenv "$T/va"
mkvenv "$T/vb"
mkdir -p "$T/p1" "$T/p2"
: >"$T/p1/a.py"
: >"$T/p2/b.py"
"$PYTHON3" - "$VENVD_SOCKET" "$T/requests" "$T/va" "$T/vb" <<'EOF' &
import json, os, selectors, socket, sys
path, log, va, vb = sys.argv[1:5]
os.makedirs(os.path.dirname(path), exist_ok=True)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
inst = {"name": "A", "n": 1}
bufs, subs = {}, {}

def venv(p):
    return {"path": p, "python": p + "/bin/python", "prompt": os.path.basename(p), "trust": "trusted"}

def answer_venv():
    return venv(va if inst["name"] == "A" else vb)

def clock():
    return None if inst["name"] == "C" else "%s:%d" % (inst["name"], inst["n"])

def gen():
    return "%s-%d" % (inst["name"], inst["n"])

def send(c, obj):
    try:
        c.sendall((json.dumps(obj) + "\n").encode())
    except OSError:
        pass  # the plugin closed it first (resubscribing with more paths)

def result(obj):
    if clock() is None:
        obj.pop("clock", None)
    return obj

def handle(c, line):
    with open(log, "a") as f:
        f.write(inst["name"] + " " + line + "\n")
    req = json.loads(line)
    m, p = req.get("method"), req.get("params") or {}
    if m == "resolve":
        send(c, {"jsonrpc": "2.0", "id": req["id"], "result": {"venv": answer_venv(), "generation": gen(), "cacheable": True}})
        return False
    if m == "subscribe":
        since = p.get("since")
        fresh = not (isinstance(since, str) and since.startswith(inst["name"]))
        changes = [{"path": q, "venv": answer_venv()} for q in p.get("paths", [])] if fresh else []
        send(c, {"jsonrpc": "2.0", "id": req["id"], "result": result({"generation": gen(), "clock": clock(), "fresh_instance": fresh, "changes": changes, "venvs": [], "indexed": True})})
        subs[c] = p.get("paths", [])
        return True
    if m == "test_tick":
        # One index change: every subscriber hears of it (no path changed).
        inst["n"] += 1
        for s in list(subs):
            params = {"generation": gen(), "clock": clock(), "changes": [], "venvs": []}
            if clock() is None:
                params.pop("clock")
            send(s, {"jsonrpc": "2.0", "method": "venvs_changed", "params": params})
        send(c, {"jsonrpc": "2.0", "id": req["id"], "result": {}})
        return False
    if m == "test_restart":
        # The same instance keeps its clock (only the connections drop).
        if p["instance"] != inst["name"]:
            inst["name"], inst["n"] = p["instance"], 1
        for s in list(subs):
            sel.unregister(s); s.close(); del subs[s]
        send(c, {"jsonrpc": "2.0", "id": req["id"], "result": {}})
        return False
    send(c, {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32601, "message": "unknown method"}})
    return False

while True:
    for key, _ in sel.select():
        if key.fileobj is srv:
            c, _ = srv.accept()
            bufs[c] = b""
            sel.register(c, selectors.EVENT_READ)
            continue
        c = key.fileobj
        try:
            data = c.recv(65536)
        except OSError:
            data = b""
        if not data:
            sel.unregister(c); subs.pop(c, None); c.close(); continue
        bufs[c] += data
        while b"\n" in bufs.get(c, b""):
            line, bufs[c] = bufs[c].split(b"\n", 1)
            if not handle(c, line.decode()) and c not in subs:
                sel.unregister(c); c.close(); bufs.pop(c, None); break
EOF
# The harness stops (or, on a failure, kills) it as it would the daemon.
DAEMON_PID=$!
wait_for test -S "$VENVD_SOCKET" || fail "the scripted daemon did not start"

cat >"$T/resume.lua" <<EOF
local notes = {}
vim.notify = function(msg) table.insert(notes, msg) end
local log = '$T/requests'
local function die(msg)
  local f = io.open(log); local l = f and f:read('*a') or ''; if f then f:close() end
  io.stdout:write('FAIL: ' .. msg .. '\n' .. l); vim.cmd('cquit 1')
end
local function lines()
  local out, f = {}, io.open(log)
  if f then for l in f:lines() do table.insert(out, l) end f:close() end
  return out
end
local function count(pat)
  local n = 0
  for _, l in ipairs(lines()) do if l:find(pat) then n = n + 1 end end
  return n
end
local function last(pat)
  local r
  for _, l in ipairs(lines()) do if l:find(pat) then r = l end end
  return r and vim.fn.json_decode(r:sub(3)) or nil
end
local v = require('venvd')
local function call(method, params)
  local done = false
  v.request(method, params, function() done = true end, 5000)
  if not vim.wait(10000, function() return done end, 10) then die(method .. ' got no answer') end
end
v.setup()
vim.cmd('edit $T/p2/b.py')
if not vim.wait(30000, function() return vim.env.VIRTUAL_ENV == '$T/va' end, 10) then die('A: venv not applied') end
vim.cmd('edit $T/p1/a.py')       -- p2/b.py stays loaded, hidden
-- The scripted daemon handles requests in order: once it has logged the
-- subscription with all three paths, that one hears the tick.
if not vim.wait(30000, function()
  local l = last('^A .*"subscribe"')
  return l and #l.params.paths == 3
end, 10) then
  die('A: no subscription with all three paths')
end
call('test_tick')
if not vim.wait(30000, function() return v._state.clock == 'A:2' end, 10) then die('A: clock of the notification not kept') end
io.stdout:write('ok clock A:2 kept from venvs_changed\n')

local n = count('^A .*"subscribe"')
call('test_restart', { instance = 'A' })
if not vim.wait(30000, function() return count('^A .*"subscribe"') > n end, 10) then die('A: no resubscribe') end
local s = last('^A .*"subscribe"')
if s.params.since ~= 'A:2' then die('A: resubscribed with since ' .. tostring(s.params.since)) end
io.stdout:write('ok resubscribed with since A:2\n')

call('test_restart', { instance = 'B' })
if not vim.wait(30000, function() return vim.env.VIRTUAL_ENV == '$T/vb' end, 10) then die('B: fresh instance venv not applied') end
s = last('^B .*"subscribe"')
if s.params.since ~= 'A:2' then die('B: resubscribed with since ' .. tostring(s.params.since)) end
for dir, c in pairs(v._state.cache) do
  if c.venv and c.venv.path ~= '$T/vb' then die('B: kept an answer of A for ' .. dir) end
end
if not vim.wait(30000, function() return v._state.clock == 'B:1' end, 10) then die('B: clock not taken') end
io.stdout:write('ok fresh instance: ' .. vim.env.VIRTUAL_ENV .. ', cache of A dropped\n')

call('test_restart', { instance = 'C' })
if not vim.wait(30000, function() return count('^C .*"subscribe"') >= 1 end, 10) then die('C: no resubscribe') end
s = last('^C .*"subscribe"')
if s.params.since ~= 'B:1' then die('C: resubscribed with since ' .. tostring(s.params.since)) end
if not vim.wait(30000, function() return v._state.generation == 'C-1' end, 10) then die('C: result not taken') end
if v._state.clock ~= nil then die('C: a clock was kept from B: ' .. tostring(v._state.clock)) end
call('test_restart', { instance = 'D' })
if not vim.wait(30000, function() return count('^D .*"subscribe"') >= 1 end, 10) then die('D: no resubscribe') end
s = last('^D .*"subscribe"')
if s.params.since ~= 'C-1' then die('D: without clocks, resubscribed with since ' .. tostring(s.params.since)) end
io.stdout:write('ok no clock: resubscribed with since ' .. s.params.since .. '\n')
vim.cmd('qa!')
EOF
nvim_run resume
daemon_stop
grep -q "ok no clock" "$T/resume.out" || fail "the resume run did not finish its checks"
exit 0

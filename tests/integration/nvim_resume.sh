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
# 3. The real daemon, through a relay that logs both directions and can
#    cut and hold the plugin's stream: the connection is lost while the
#    daemon runs on and the buffer's venv is deleted; the plugin resumes
#    with its last clock, is answered fresh_instance false, drops the venv
#    and resolves nothing again (a buffer it never entered stays unasked).
#    Then venvd restart while a new venv appears: the resubscribe is
#    answered fresh_instance true; the plugin drops the old answers,
#    resolves every open buffer (the one never entered too) and exports the
#    new venv. A buffer entered for a moment (bufload) does not take over
#    the current buffer's changes.
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

say "3. the real daemon: resume after a lost connection, fresh instance after venvd restart"
rm -f "$VENVD_SOCKET"
P="$T/real/p"
Q="$T/real/q"
R="$T/real/r"
S="$T/real/s"
mkdir -p "$P/src" "$Q" "$R" "$S"
: >"$P/src/a.py"
: >"$Q/q.py"
: >"$R/r.py"
: >"$S/s.py"
mkvenv "$P/.venv"
mkvenv "$Q/.venv"
mkvenv "$R/.venv"
mkvenv "$S/.venv"
# Started by venvd itself (not a child of this shell) so that venvd
# restart, below, can see it stop and start the next instance.
"$VENVD" start >"$T/start.out" 2>&1 || fail "venvd start: $(cat "$T/start.out")"
DAEMON_PID=$(jget "$(rpc status)" 'j["pid"]')
prime_trust "$P/src"
prime_trust "$Q"
PROXY="$T/proxy.sock"
# A relay between the plugin and the daemon: it logs every line both ways
# ("N > request", "N < reply" for connection N), and answers three
# methods of its own. proxy_drop closes the plugin's subscribe streams (a
# lost connection; the daemon runs on) and holds; while held, a new
# subscribe with paths waits unforwarded ("N held"); proxy_hold only
# holds; proxy_release forwards the held ones. Other requests pass.
"$PYTHON3" - "$PROXY" "$VENVD_SOCKET" "$T/wire" <<'EOF' &
import json, selectors, socket, sys
path, upstream, log = sys.argv[1:4]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(16)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
conns, held, state = {}, [], {"hold": False, "n": 0}

def note(n, text):
    with open(log, "a") as f:
        f.write("%d %s\n" % (n, text))

def close(c):
    info = conns.pop(c, None)
    if c in held:
        held.remove(c)
    if info is None:
        return
    for s in (c, info["up"]):
        if s is not None:
            sel.unregister(s)
            s.close()

def forward(c):
    info = conns[c]
    up = socket.socket(socket.AF_UNIX)
    try:
        up.connect(upstream)
        up.sendall(info["buf"])
    except OSError:
        up.close()
        return close(c)
    info["up"], info["buf"] = up, b""
    sel.register(up, selectors.EVENT_READ, c)

def first(c, line):
    info = conns[c]
    req = json.loads(line)
    m, p = req.get("method"), req.get("params") or {}
    if m in ("proxy_drop", "proxy_hold", "proxy_release"):
        state["hold"] = m != "proxy_release"
        victims = [s for s, i in conns.items() if i["stream"]] if m == "proxy_drop" else []
        for s in victims:
            close(s)
        for s in (list(held) if m == "proxy_release" else []):
            held.remove(s)
            forward(s)
        c.sendall((json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": {}}) + "\n").encode())
        return close(c)
    info["stream"] = m == "subscribe" and bool(p.get("paths"))
    if state["hold"] and info["stream"]:
        note(info["n"], "held")
        held.append(c)
        return
    forward(c)

def lines(c, which, data, prefix):
    info = conns[c]
    info[which] += data
    while b"\n" in info[which]:
        line, info[which] = info[which].split(b"\n", 1)
        note(info["n"], prefix + line.decode())
        if prefix == "> " and not info["seen"]:
            info["seen"] = True
            first(c, line.decode())
            if c not in conns:
                return

while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept()
            state["n"] += 1
            conns[c] = {"n": state["n"], "up": None, "buf": b"", "in": b"", "out": b"",
                        "seen": False, "stream": False}
            sel.register(c, selectors.EVENT_READ, None)
            continue
        c = key.data if key.data is not None else s
        if c not in conns:
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(c)
            continue
        if s is c:
            info = conns[c]
            if info["up"] is not None:
                info["up"].sendall(data)
            else:
                info["buf"] += data
            lines(c, "in", data, "> ")
        else:
            lines(c, "out", data, "< ")    # logged before the plugin can see it
            try:
                c.sendall(data)
            except OSError:
                close(c)
EOF
PROXY_PID=$!
# On any exit, also stop the daemon venvd start (or restart) left running:
# it is not a child of this shell, so the harness cannot see it.
trap 'rc=$?; kill "$PROXY_PID" 2>/dev/null || :; "$VENVD" stop >/dev/null 2>&1 || :; set +e; (exit $rc); harness_cleanup' EXIT
wait_for test -S "$PROXY" || fail "the relay did not start"

cat >"$T/real.lua" <<EOF
local v = require('venvd')
local P, Q, R, S, pdir = '$P', '$Q', '$R', '$S', '$P/src'
local function wire()
  local out, f = {}, io.open('$T/wire')
  if f then
    for l in f:lines() do
      local n, rest = l:match('^(%d+) (.*)$')
      local e = { n = tonumber(n) }
      if rest == 'held' then e.held = true
      else e.dir, e.msg = rest:sub(1, 1), vim.fn.json_decode(rest:sub(3)) end
      table.insert(out, e)
    end
    f:close()
  end
  return out
end
local function die(msg)
  local f = io.open('$T/wire'); local l = f and f:read('*a') or ''; if f then f:close() end
  io.stdout:write('FAIL: ' .. msg .. '\n' .. l); vim.cmd('cquit 1')
end
local function call(method, params)
  local done, res = false, nil
  v.request(method, params or vim.empty_dict(), function(r) res = r; done = true end, 30000)
  if not vim.wait(40000, function() return done end, 10) then die(method .. ' got no answer') end
  return res
end
local function nul(x) return x == nil or x == vim.NIL end
-- The request and the reply on connection n.
local function exchange(n)
  local req, res
  for _, e in ipairs(wire()) do
    if e.n == n and e.dir == '>' then req = e.msg end
    if e.n == n and e.dir == '<' and e.msg.id then res = e.msg end
  end
  return req, res
end
-- The connection held after mark (the plugin's reconnect), or nil.
local function held_after(mark)
  for _, e in ipairs(wire()) do
    if e.held and e.n > mark then return e.n end
  end
end
local function last_conn()
  local n = 0
  for _, e in ipairs(wire()) do n = math.max(n, e.n) end
  return n
end

vim.notify = function(msg) io.stdout:write('notify: ' .. msg .. '\\n') end
v.setup({ reconnect_ms = 200 })
vim.cmd('edit ' .. Q .. '/q.py')
if not vim.wait(60000, function() return vim.env.VIRTUAL_ENV == Q .. '/.venv' end, 20) then die('Q: venv not applied') end
vim.cmd('edit ' .. pdir .. '/a.py')      -- q.py stays loaded, hidden
if not vim.wait(60000, function() return vim.env.VIRTUAL_ENV == P .. '/.venv' end, 20) then die('P: venv not applied') end
-- The stream covers both directories and has a clock from the daemon.
if not vim.wait(60000, function()
  for _, e in ipairs(wire()) do
    if e.dir == '<' and e.msg.result and e.msg.result.clock == v._state.clock then
      local req = exchange(e.n)
      local has = {}
      for _, d in ipairs(req.method == 'subscribe' and req.params.paths or {}) do has[d] = true end
      if has[Q] and has[pdir] then return true end
    end
  end
end, 20) then die('no subscription of both directories with a clock') end
local c0 = v._state.clock
io.stdout:write('ok subscribed, clock ' .. c0 .. '\n')
-- bufload() enters R's buffer for a moment (BufEnter): the plugin resolves
-- R, but P's buffer stays the current one, whose changes it must apply.
vim.fn.bufload(vim.fn.bufadd(R .. '/r.py'))
if not vim.wait(60000, function() return v._state.cache[R] ~= nil end, 20) then die('R not resolved') end
if vim.env.VIRTUAL_ENV ~= P .. '/.venv' then die('R entered for a moment took over: ' .. tostring(vim.env.VIRTUAL_ENV)) end
-- A buffer loaded and never entered: the plugin has not asked about S.
vim.cmd('noautocmd call bufload(bufadd(' .. vim.fn.string(S .. '/s.py') .. '))')
if v._state.cache[S] or v._state.watched[S] then die('S was resolved without being entered') end

-- The stream now covers R too (a resubscribe, whose answer may move the
-- clock: R's venv entered the index): the clock to resume from is the
-- one the plugin holds once that answer is in.
if not vim.wait(60000, function()
  for _, e in ipairs(wire()) do
    if e.dir == '<' and e.msg.result and e.msg.result.clock == v._state.clock then
      local req = exchange(e.n)
      for _, d in ipairs(req.method == 'subscribe' and req.params.paths or {}) do
        if d == R then return true end
      end
    end
  end
end, 20) then die('no subscription of R with a clock') end
c0 = v._state.clock

-- 1. The connection is lost, the daemon runs on; the venv goes meanwhile.
v._state.cache['/venvd-test/none'] = { gen = v._state.generation, venv = false }
local mark = last_conn()
call('proxy_drop')
vim.fn.delete(P .. '/.venv', 'rf')
if not vim.wait(60000, function()
  local r = call('resolve', { path = pdir, wait_ms = 20000 })
  local s = call('subscribe')
  return r and nul(r.venv) and s and s.clock ~= c0
end, 100) then die('the daemon did not notice the deleted venv') end
local n1
if not vim.wait(60000, function() n1 = held_after(mark); return n1 end, 20) then die('the plugin did not reconnect') end
call('proxy_release')
if not vim.wait(60000, function() return nul(vim.env.VIRTUAL_ENV) end, 20) then die('the deleted venv is still applied') end
local req, res = exchange(n1)
if not res then die('no answer logged for the resubscribe') end
if req.params.since ~= c0 then die('resubscribed with since ' .. tostring(req.params.since) .. ', not ' .. c0) end
if res.result.fresh_instance ~= false then die('the same instance answered fresh_instance') end
local seen = false
for _, ch in ipairs(res.result.changes) do
  if ch.path == pdir then
    if not nul(ch.venv) then die('the resume answer still has a venv for ' .. pdir) end
    seen = true
  end
end
if not seen then die('the resume answer does not list ' .. pdir) end
if not v._state.cache['/venvd-test/none'] then die('the same instance dropped the cached answers') end
if not (v._state.cache[Q] and v._state.cache[Q].venv and v._state.cache[Q].venv.path == Q .. '/.venv') then
  die('the answer for Q was lost')
end
call('status')      -- after every request the apply may have caused
for _, e in ipairs(wire()) do
  if e.n > n1 and e.dir == '>' and e.msg.method == 'resolve' then die('re-resolved after a resume') end
end
if v._state.clock == c0 then die('the clock did not move') end
if v._state.cache[S] then die('S was resolved after a resume') end
io.stdout:write('ok resumed since ' .. c0 .. ': fresh_instance false, venv gone, nothing re-resolved\n')

-- 2. venvd restart: another instance; a new venv while the plugin is away.
local c1 = v._state.clock
v._state.cache['/venvd-test/none'] = { gen = v._state.generation, venv = false }
mark = last_conn()
call('proxy_hold')
local out = vim.fn.system({ 'env', 'VENVD_SOCKET=$VENVD_SOCKET', '$VENVD', 'restart' })
if vim.v.shell_error ~= 0 then die('venvd restart: ' .. out) end
vim.fn.system({ '/usr/bin/python3', '-m', 'venv', '--without-pip', P .. '/.venv' })
if vim.v.shell_error ~= 0 then die('python3 -m venv failed') end
if not vim.wait(60000, function()
  local r = call('resolve', { path = pdir, wait_ms = 20000 })
  return r and not nul(r.venv) and r.venv.trust == 'trusted'
end, 100) then die('the new daemon does not trust the new venv') end
local n2
if not vim.wait(60000, function() n2 = held_after(mark); return n2 end, 20) then die('the plugin did not reconnect after the restart') end
call('proxy_release')
if not vim.wait(60000, function() return vim.env.VIRTUAL_ENV == P .. '/.venv' end, 20) then die('the new venv is not applied') end
req, res = exchange(n2)
if not res then die('no answer logged for the resubscribe') end
if req.params.since ~= c1 then die('resubscribed with since ' .. tostring(req.params.since) .. ', not ' .. c1) end
if res.result.fresh_instance ~= true then die('another instance did not answer fresh_instance') end
if v._state.cache['/venvd-test/none'] then die('a fresh instance kept the old answers') end
for dir, c in pairs(v._state.cache) do
  if c.gen ~= v._state.generation then die('an answer of the old instance for ' .. dir) end
end
if not (v._state.cache[Q] and v._state.cache[Q].venv and v._state.cache[Q].venv.path == Q .. '/.venv') then
  die('Q has no answer of the new instance')
end
-- Every open buffer was resolved again, S's (never asked about) too.
if not vim.wait(60000, function()
  local c = v._state.cache[S]
  return c and c.venv and c.venv.path == S .. '/.venv'
end, 20) then die('the open buffer in S was not resolved after the fresh instance') end
local asked = false
for _, e in ipairs(wire()) do
  if e.n > n2 and e.dir == '>' and e.msg.method == 'resolve' and e.msg.params.path == S then asked = true end
end
if not asked then die('no resolve of S on the wire after the fresh instance') end
if (v._state.clock or ''):match('^[^:]*') == c1:match('^[^:]*') then die('the clock is of the old instance') end
io.stdout:write('ok fresh instance after restart: ' .. vim.env.VIRTUAL_ENV .. ', since ' .. c1 .. ' answered fresh\n')
vim.cmd('qa!')
EOF
VENVD_SOCKET="$PROXY" nvim_run real
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true
# venvd restart started the daemon now running: stop that one.
DAEMON_PID=$(jget "$(rpc status)" 'j["pid"]')
"$VENVD" stop >"$T/stop.out" 2>&1 || fail "venvd stop: $(cat "$T/stop.out")"
DAEMON_PID=
grep -q "ok fresh instance after restart" "$T/real.out" || fail "the real daemon run did not finish its checks"
exit 0

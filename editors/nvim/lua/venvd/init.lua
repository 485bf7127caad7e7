-- venvd.nvim: the venv venvd says applies to each buffer, for :terminal, :!
-- and the Python language servers (pyright, basedpyright, pylsp).
--
-- Every socket call is asynchronous (vim.loop pipes) with a timeout; with no
-- daemon the plugin does nothing visible and retries the stream quietly.
-- Answers are cached per directory and per generation: the subscribe stream
-- moves the generation, so BufEnter costs a table lookup when nothing changed.
-- Only a trusted venv is used (venvd-protocol(7): a client activates only a
-- "trusted" venv). Works on Neovim 0.7 and later.
local uv = vim.loop
local M = {}

M.config = {
  timeout_ms = 500,          -- one request's whole budget
  wait_ms = 10000,           -- how long a resolve may wait for the daemon's git check
  notify = true,             -- one vim.notify when a buffer's venv changes or breaks
  reconnect_ms = 2000,       -- first retry of the subscribe stream
  reconnect_max_ms = 30000,
  python_servers = { pyright = true, basedpyright = true, pylsp = true },
  attach_hook = true,        -- Neovim 0.7 (no LspAttach): chain on_attach into Python servers' configs
}

local state = {
  generation = nil,   -- the last generation the stream told us
  clock = nil,        -- the last clock the stream told us (nil: the daemon sends none)
  cache = {},         -- dir -> { gen = G, venv = obj|false }
  watched = {},       -- dir -> true: paths of the subscription
  npaths = 0,
  sub = nil,          -- the subscribe pipe
  sub_paths = 0,      -- how many paths that subscription covers
  backoff = nil,
  retry = nil,        -- reconnect timer
  applied = nil,      -- the venv path exported to the environment, if any
  saved = nil,        -- environment before the first activation
  current_dir = nil,
  pending = {},       -- dir -> list of callbacks waiting for one resolve
  told = {},          -- venv path .. NUL .. reason -> true: untrusted, said once
}
M._state = state

local raw_json_decode = (vim.json and vim.json.decode) or function(s) return vim.fn.json_decode(s) end
local raw_json_encode = (vim.json and vim.json.encode) or function(v) return vim.fn.json_encode(v) end

-- Paths are bytes: on the wire a byte that is not UTF-8 is \udcXX
-- (venvd-protocol(7)). Lua strings hold bytes, so decoding turns each lone
-- \udc80..\udcff into its byte (JSON decoders refuse lone surrogates).
local function wire_to_bytes(line)
  if not line:find('\\u[dD][cC]') then return line end
  local out, i, n = {}, 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if c ~= '\\' then
      local j = line:find('\\', i, true) or (n + 1)
      out[#out + 1] = line:sub(i, j - 1)
      i = j
    elseif line:sub(i + 1, i + 1) ~= 'u' then
      out[#out + 1] = line:sub(i, i + 1)
      i = i + 2
    else
      local v = tonumber(line:sub(i + 2, i + 5), 16) or -1
      local w = tonumber(line:match('^\\u(%x%x%x%x)', i + 6) or '', 16) or -1
      if v >= 0xd800 and v <= 0xdbff and w >= 0xdc00 and w <= 0xdfff then
        out[#out + 1] = line:sub(i, i + 11)
        i = i + 12
      elseif v >= 0xdc80 and v <= 0xdcff then
        out[#out + 1] = string.char(v - 0xdc00)
        i = i + 6
      else
        out[#out + 1] = line:sub(i, i + 5)
        i = i + 6
      end
    end
  end
  return table.concat(out)
end

-- The length of the valid UTF-8 sequence at i in s, or 0.
local function utf8_len(s, i)
  local b = s:byte(i)
  local need, min
  if b < 0x80 then return 1
  elseif b >= 0xc2 and b <= 0xdf then need, min = 2, 0x80
  elseif b >= 0xe0 and b <= 0xef then need, min = 3, 0x800
  elseif b >= 0xf0 and b <= 0xf4 then need, min = 4, 0x10000
  else return 0 end
  local cp = b % (2 ^ (7 - need))
  for k = 1, need - 1 do
    local c = s:byte(i + k)
    if not c or c < 0x80 or c > 0xbf then return 0 end
    cp = cp * 64 + (c - 0x80)
  end
  if cp < min or cp > 0x10ffff or (cp >= 0xd800 and cp <= 0xdfff) then return 0 end
  return need
end

-- Encoded text: each byte that is not UTF-8 (only ever inside a string) as \udcXX.
local function bytes_to_wire(text)
  if not text:find('[\128-\255]') then return text end
  local out, i, n = {}, 1, #text
  while i <= n do
    local k = utf8_len(text, i)
    if k == 0 then
      out[#out + 1] = string.format('\\udc%02x', text:byte(i))
      i = i + 1
    else
      out[#out + 1] = text:sub(i, i + k - 1)
      i = i + k
    end
  end
  return table.concat(out)
end

local function json_decode(line) return raw_json_decode(wire_to_bytes(line)) end
local function json_encode(v) return bytes_to_wire(raw_json_encode(v)) end
M._wire_to_bytes, M._bytes_to_wire = wire_to_bytes, bytes_to_wire

-- The daemon's socket: $VENVD_SOCKET, $XDG_RUNTIME_DIR/venvd/venvd.sock,
-- /run/user/UID/venvd/venvd.sock when that directory is ours and private,
-- or /tmp/venvd-UID/venvd.sock (as venvd(1) says).
function M.socket_path()
  local s = os.getenv('VENVD_SOCKET')
  if s and s:sub(1, 1) == '/' then
    return s
  end
  local run = os.getenv('XDG_RUNTIME_DIR')
  if run and run:sub(1, 1) == '/' then
    return run .. '/venvd/venvd.sock'
  end
  local uid = uv.getuid()
  local d = '/run/user/' .. tostring(uid)
  local st = uv.fs_lstat(d)
  if st and st.type == 'directory' and st.uid == uid and st.mode % 64 == 0 then
    return d .. '/venvd/venvd.sock'
  end
  return '/tmp/venvd-' .. tostring(uid) .. '/venvd.sock'
end

-- Close a handle unless it already is.
local function close(h)
  if h and not h:is_closing() then
    h:close()
  end
end

-- Open a connection, send one request, and call on_line(line) for each line
-- received; on_end(err) once when it ends (err nil for a clean EOF). Returns
-- a function that closes it. The timeout (ms, or nil) bounds the whole call.
local function stream(method, params, timeout_ms, on_line, on_end)
  local pipe = uv.new_pipe(false)
  local timer = timeout_ms and uv.new_timer() or nil
  local buf, done = '', false
  local function finish(err)
    if done then return end
    done = true
    close(timer)
    if not pipe:is_closing() then
      pcall(pipe.read_stop, pipe)
      close(pipe)
    end
    on_end(err)
  end
  if timer then
    timer:start(timeout_ms, 0, function() finish('timeout') end)
  end
  local req = json_encode({ jsonrpc = '2.0', id = 1, method = method, params = params or vim.empty_dict() })
  pipe:connect(M.socket_path(), function(cerr)
    if cerr then return finish(cerr) end
    pipe:write(req .. '\n')
    pipe:read_start(function(rerr, chunk)
      if rerr then return finish(rerr) end
      if not chunk then return finish(nil) end
      buf = buf .. chunk
      while true do
        local nl = buf:find('\n', 1, true)
        if not nl then break end
        local line = buf:sub(1, nl - 1)
        buf = buf:sub(nl + 1)
        if on_line(line) == false then return finish(nil) end
      end
    end)
  end)
  return function() finish('closed') end
end

-- Decode one line; nil on garbage.
local function decode(line)
  local ok, msg = pcall(json_decode, line)
  if ok and type(msg) == 'table' then return msg end
  return nil
end

-- One request: cb(result, err) in the main loop, never more than timeout_ms later.
function M.request(method, params, cb, timeout_ms)
  local result, rerr
  stream(method, params, timeout_ms or M.config.timeout_ms, function(line)
    local msg = decode(line)
    if not msg then
      rerr = 'bad reply'
    elseif msg.error then
      rerr = msg.error.message or 'error'
    else
      result = msg.result
    end
    return false
  end, function(err)
    vim.schedule(function() cb(result, rerr or (result == nil and (err or 'no answer')) or nil) end)
  end)
end

-- The directory a buffer belongs to ('' when it has none we can resolve).
local function buf_dir(bufnr)
  if vim.bo[bufnr].buftype ~= '' then return '' end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:find('://', 1, true) then
    return vim.fn.getcwd()
  end
  name = vim.fn.fnamemodify(name, ':p')
  if vim.fn.isdirectory(name) == 1 then
    return (name:gsub('/$', '') ~= '' and name:gsub('/$', '')) or '/'
  end
  return vim.fn.fnamemodify(name, ':h')
end

-- Prepend dir to a PATH string unless it is already first.
local function path_without(path, dir)
  local parts = {}
  for p in (path .. ':'):gmatch('([^:]*):') do
    if p ~= dir then table.insert(parts, p) end
  end
  return table.concat(parts, ':')
end

-- Export venv (or nothing) as bin/activate does, undoing the previous one.
local function apply_env(venv)
  local path = venv and venv.path or nil
  if path == state.applied then return end
  if state.applied then
    vim.env.PATH = path_without(vim.env.PATH or '', state.applied .. '/bin')
  end
  if not state.saved then
    state.saved = { VIRTUAL_ENV = vim.env.VIRTUAL_ENV, VIRTUAL_ENV_PROMPT = vim.env.VIRTUAL_ENV_PROMPT,
                    PYTHONHOME = vim.env.PYTHONHOME }
  end
  if path then
    vim.env.VIRTUAL_ENV = path
    vim.env.VIRTUAL_ENV_PROMPT = venv.prompt
    vim.env.PYTHONHOME = nil
    vim.env.PATH = path .. '/bin:' .. path_without(vim.env.PATH or '', path .. '/bin')
  else
    vim.env.VIRTUAL_ENV = state.saved.VIRTUAL_ENV
    vim.env.VIRTUAL_ENV_PROMPT = state.saved.VIRTUAL_ENV_PROMPT
    vim.env.PYTHONHOME = state.saved.PYTHONHOME
  end
  state.applied = path
end

-- Settings for a Python server so that it uses venv (nil: its own default).
local function set_server_python(client, venv)
  local name = client.name
  client.config.settings = client.config.settings or {}
  local s = client.config.settings
  if name == 'pylsp' then
    s.pylsp = s.pylsp or {}
    s.pylsp.plugins = s.pylsp.plugins or {}
    s.pylsp.plugins.jedi = s.pylsp.plugins.jedi or {}
    s.pylsp.plugins.jedi.environment = venv and venv.path or vim.NIL
  else
    s.python = s.python or {}
    s.python.pythonPath = venv and venv.python or vim.NIL
  end
  client.notify('workspace/didChangeConfiguration', { settings = s })
end

-- Is this a Python language server we know how to point at a venv?
local function is_python_server(client)
  return M.config.python_servers[client.name] == true
end

-- Point one Python server at venv (false: none) unless it already is (force: even so).
local function point_server(client, venv, force)
  local want = venv and venv.python or false
  if not force and client._venvd_python == want then return end
  client._venvd_python = want
  set_server_python(client, venv or nil)
end

-- Point every Python server attached (and initialized) on bufnr at venv.
local function update_servers(bufnr, venv, force)
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if is_python_server(client) then point_server(client, venv, force) end
  end
end

-- The loaded buffers whose directory is dir.
local function buffers_of(dir)
  local out = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and buf_dir(b) == dir then table.insert(out, b) end
  end
  return out
end

-- The venv to use from a resolve answer's venv: the venv when trusted,
-- false when untrusted, denied, of unknown trust (an answer without one is
-- never used) or none, nil while the daemon's git check still runs (the
-- stream says when it ends).
local function usable(venv)
  if venv == nil or venv == vim.NIL or not venv then return false end
  local trust = venv.trust
  if trust == 'trusted' then return venv end
  if trust == nil or trust == vim.NIL then return false end
  if trust == 'untrusted:checking version control' then return nil end
  if M.config.notify and type(trust) == 'string' and trust:sub(1, 10) == 'untrusted:' and
      not state.told[venv.path .. '\0' .. trust] then
    state.told[venv.path .. '\0' .. trust] = true
    vim.schedule(function()
      vim.notify('venvd: not using ' .. tostring(venv.path) .. ': ' .. trust:sub(11) ..
        ' (venvd allow to trust it)', vim.log.levels.WARN)
    end)
  end
  return false
end

-- Make sure the subscription covers dir (resubscribing with every path).
local subscribe

local function watch(dir)
  if state.watched[dir] then return end
  state.watched[dir] = true
  state.npaths = state.npaths + 1
  if state.sub then
    state.sub()      -- closes; the end handler resubscribes at once with every path
  elseif not state.retry then
    subscribe()
  end
end

-- Resolve dir: cb(venv|false) from the cache when the generation is current,
-- else over the socket (concurrent callers share one request); cb(nil) with
-- no daemon, on an error, or while the venv's git check runs.
function M.resolve(dir, cb)
  local c = state.cache[dir]
  if c and state.generation and c.gen == state.generation and state.sub then
    return cb(c.venv)
  end
  if state.pending[dir] then
    table.insert(state.pending[dir], cb)
    return
  end
  state.pending[dir] = { cb }
  M.request('resolve', { path = dir, wait_ms = M.config.wait_ms }, function(result, err)
    local waiting = state.pending[dir]
    state.pending[dir] = nil
    if err or not result then
      for _, f in ipairs(waiting) do f(nil) end
      return
    end
    local venv = usable(result.venv)
    if venv ~= nil then state.cache[dir] = { gen = result.generation, venv = venv } end
    if not state.generation then state.generation = result.generation end
    watch(dir)
    for _, f in ipairs(waiting) do f(venv) end
  end, M.config.wait_ms + M.config.timeout_ms)
end

-- An answer for dir arrived: point the Python servers of its buffers at it,
-- and export it when dir is the current buffer's now (force: even if
-- unchanged). Not the last BufEnter's: bufload() and nvim_buf_call() enter
-- another buffer for a moment.
local function apply_answer(dir, venv, force)
  for _, b in ipairs(buffers_of(dir)) do update_servers(b, venv, force) end
  if buf_dir(vim.api.nvim_get_current_buf()) == dir then
    apply_env(venv or nil)
  end
end

-- BufEnter/DirChanged: resolve the current buffer's directory and apply it.
function M.refresh()
  local bufnr = vim.api.nvim_get_current_buf()
  local dir = buf_dir(bufnr)
  if dir == '' then return end
  state.current_dir = dir
  M.resolve(dir, function(venv)
    if venv == nil then return end     -- no daemon, an error, or git still checking: change nothing
    apply_answer(dir, venv, false)
  end)
end

-- Tell the user once about the current directory's new answer.
local function announce(dir, old, new)
  if not M.config.notify then return end
  local msg
  if new and new.broken and new.broken ~= vim.NIL then
    msg = 'venvd: ' .. new.path .. ' is broken: ' .. tostring(new.broken)
  elseif new then
    msg = 'venvd: ' .. dir .. ' now uses ' .. new.path
  elseif old then
    msg = 'venvd: ' .. old.path .. ' is gone'
  else
    return
  end
  vim.notify(msg, vim.log.levels.INFO)
end

-- A venvs_changed notification: refresh the cache; re-point the servers of
-- the buffers concerned and the current buffer's environment. prev: the
-- answers to compare with for the message (default: the cache).
local function on_changed(params, prev)
  local gen = params.generation
  state.generation = gen
  if params.clock ~= nil then state.clock = params.clock ~= vim.NIL and params.clock or nil end
  local current_hit = nil
  local cur = buf_dir(vim.api.nvim_get_current_buf())
  for _, ch in ipairs(params.changes or {}) do
    local venv = usable(ch.venv)
    if venv == nil then
      state.cache[ch.path] = nil        -- git still checking: ask again later
    else
      local old = (prev or state.cache)[ch.path]
      state.cache[ch.path] = { gen = gen, venv = venv }
      if ch.path == cur then
        current_hit = { old = old and old.venv or false, new = venv }
      else
        apply_answer(ch.path, venv, true)
      end
    end
  end
  -- Answers not mentioned are unchanged: keep them current.
  for _, c in pairs(state.cache) do c.gen = gen end
  if current_hit then
    apply_answer(cur, current_hit.new, true)
    local o, n = current_hit.old, current_hit.new
    -- One message per real change: another venv, none, or broken/mended.
    if (o and o.path) ~= (n and n.path) or
        (o and o.broken ~= vim.NIL and o.broken or false) ~= (n and n.broken ~= vim.NIL and n.broken or false) then
      announce(cur, o, n)
    end
  end
end

-- Another daemon instance: every cached answer is void. Resolve each open
-- buffer's directory again and point its servers (and the environment) anew.
local function reresolve_open_buffers()
  local dirs = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) then
      local d = buf_dir(b)
      if d ~= '' then dirs[d] = true end
    end
  end
  for d in pairs(dirs) do
    M.resolve(d, function(venv)
      if venv ~= nil then apply_answer(d, venv, false) end
    end)
  end
end

-- The subscribe stream: reconnects with backoff when the daemon goes away,
-- and resumes from the last clock it was told (else the last generation).
subscribe = function()
  if state.npaths == 0 then return end
  local paths = {}
  for dir in pairs(state.watched) do table.insert(paths, dir) end
  local got_result = false
  state.sub = stream('subscribe', { paths = paths, since = state.clock or state.generation }, nil, function(line)
    local msg = decode(line)
    if not msg then return end
    if msg.result then
      got_result = true
      state.backoff = nil
      vim.schedule(function()
        local r = msg.result
        local prev = state.cache
        state.clock = nil          -- a daemon without clocks: resume from the generation
        if r.fresh_instance then state.cache = {} end
        on_changed({ generation = r.generation, clock = r.clock, changes = r.changes }, prev)
        if r.fresh_instance then reresolve_open_buffers() end
      end)
    elseif msg.method == 'venvs_changed' then
      vim.schedule(function() on_changed(msg.params) end)
    elseif msg.error or msg.method == 'error' then
      return false
    end
  end, function(err)
    vim.schedule(function()
      state.sub = nil
      if err == 'closed' then return subscribe() end    -- resubscribing with more paths
      local delay = state.backoff or M.config.reconnect_ms
      state.backoff = math.min(delay * 2, M.config.reconnect_max_ms)
      if got_result then delay = 50 end                -- a daemon restart: come back soon
      state.retry = uv.new_timer()
      state.retry:start(delay, 0, vim.schedule_wrap(function()
        close(state.retry)
        state.retry = nil
        subscribe()
      end))
    end)
  end)
end

-- Format a record for :VenvdList.
local function fmt_record(v)
  local function s(x) return (x == nil or x == vim.NIL) and '-' or tostring(x) end
  return string.format('%-8s %-8s %-24s %s', s(v.state), s(v.version), s(v.trust), s(v.path))
end

-- :VenvdStatus: the daemon's status and the current buffer's venv.
function M.status()
  M.request('status', nil, function(r, err)
    if not r then
      vim.notify('venvd: no daemon (' .. tostring(err) .. ')', vim.log.levels.WARN)
      return
    end
    local lines = {
      'venvd ' .. tostring(r.version) .. ' pid ' .. tostring(r.pid) .. ', generation ' .. tostring(r.generation),
      'socket: ' .. tostring(r.socket),
      string.format('clients %s, cached dirs %s, watches %s/%s', tostring(r.clients),
        tostring(r.cached_dirs), tostring(r.watches), tostring(r.watch_limit)),
      'this buffer: ' .. (state.applied or 'no venv'),
    }
    for _, d in ipairs(r.degraded or {}) do table.insert(lines, 'degraded: ' .. d) end
    vim.notify(table.concat(lines, '\n'), vim.log.levels.INFO)
  end)
end

-- :VenvdList: every indexed venv.
function M.list()
  M.request('list', vim.empty_dict(), function(r, err)
    if not r then
      vim.notify('venvd: list failed (' .. tostring(err) .. ')', vim.log.levels.WARN)
      return
    end
    local lines = { string.format('%-8s %-8s %-24s %s', 'STATE', 'VERSION', 'TRUST', 'PATH') }
    for _, v in ipairs(r.venvs or {}) do table.insert(lines, fmt_record(v)) end
    if #lines == 1 then table.insert(lines, '(no venvs indexed)') end
    vim.notify(table.concat(lines, '\n'), vim.log.levels.INFO)
  end, 2000)
end

-- For vim.lsp.start_client{on_attach = ...}: point a new Python server at the
-- buffer's venv. The LspAttach autocommand (Neovim 0.8+) and, on 0.7, the
-- attach hook call it for every server; calling it again is harmless.
function M.on_attach(client, bufnr)
  if not is_python_server(client) then return end
  local dir = buf_dir(bufnr)
  if dir == '' then return end
  M.resolve(dir, function(venv)
    if venv == nil then return end
    point_server(client, venv, false)
  end)
end

-- Neovim 0.7 has no LspAttach: wrap vim.lsp.start_client so that the
-- config of a Python server (by name) also calls M.on_attach when the
-- server has initialized and attaches a buffer (lspconfig starts servers
-- through it, on FileType, before the resolve answers).
local function install_attach_hook()
  if M._start_client or vim.fn.has('nvim-0.8') == 1 or not M.config.attach_hook then return end
  local orig = vim.lsp.start_client
  M._start_client = orig
  vim.lsp.start_client = function(config)
    if type(config) == 'table' and M.config.python_servers[config.name] and config.on_attach ~= M.on_attach then
      local theirs = config.on_attach
      config.on_attach = function(client, bufnr)
        pcall(M.on_attach, client, bufnr)
        if theirs then return theirs(client, bufnr) end
      end
    end
    return orig(config)
  end
end

-- Set up autocommands and commands (idempotent).
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  local group = vim.api.nvim_create_augroup('venvd', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'DirChanged' }, {
    group = group,
    callback = function() M.refresh() end,
  })
  if vim.fn.has('nvim-0.8') == 1 then
    vim.api.nvim_create_autocmd('LspAttach', {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        if client then M.on_attach(client, args.buf) end
      end,
    })
  else
    install_attach_hook()
  end
  vim.api.nvim_create_autocmd('VimLeavePre', {
    group = group,
    callback = function() if state.sub then state.npaths = 0; state.sub() end end,
  })
  vim.api.nvim_create_user_command('VenvdStatus', function() M.status() end,
    { desc = 'venvd: daemon status and this buffer\'s venv' })
  vim.api.nvim_create_user_command('VenvdList', function() M.list() end,
    { desc = 'venvd: every indexed venv' })
  M.refresh()
end

return M

# pyright.sh: sourced (after harness.sh) by the tests that drive Neovim
# with a real pyright language server.
#
# pyright_setup: skip unless nvim (0.7 or later), node and npm are here;
# install pyright $PYRIGHT_VERSION from the npm registry once per version
# under $VENVD_TEST_CACHE (default /tmp/venvd-test-cache), one installer at a
# time, and set PYRIGHT_LANGSERVER to its langserver.index.js. A failed or
# half-finished install is a SKIP, never used.
PYRIGHT_VERSION=1.1.414

# Install (once) and locate pyright, or skip the test.
pyright_setup() {
	local cache
	command -v nvim >/dev/null || skip "nvim is not installed (apt-get install neovim)"
	command -v node >/dev/null || skip "node is not installed"
	command -v npm >/dev/null || skip "npm is not installed"
	nvim --headless -u NONE -i NONE -c 'lua if vim.fn.has("nvim-0.7") == 0 then vim.cmd("cquit 3") end' \
		-c 'qa!' </dev/null >/dev/null 2>&1 || skip "nvim older than 0.7"
	cache=${VENVD_TEST_CACHE:-/tmp/venvd-test-cache}/pyright-$PYRIGHT_VERSION
	PYRIGHT_LANGSERVER=$cache/node_modules/pyright/langserver.index.js
	if [ ! -f "$PYRIGHT_LANGSERVER" ]; then
		mkdir -p "$cache"
		say "installing pyright $PYRIGHT_VERSION into $cache"
		if ! (flock 9 && { [ -f "$PYRIGHT_LANGSERVER" ] || timeout 300 npm install --silent --no-audit \
			--no-fund --prefix "$cache" "pyright@$PYRIGHT_VERSION" >"$T/npm.log" 2>&1; }) \
			9>"$cache.lock"; then
			tail -n 20 "$T/npm.log" >&2 || true
			skip "cannot install pyright $PYRIGHT_VERSION from the npm registry"
		fi
		[ -f "$PYRIGHT_LANGSERVER" ] || skip "pyright installed without $PYRIGHT_LANGSERVER"
	fi
}

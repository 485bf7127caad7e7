-- venvd.nvim: set up on startup unless g:venvd_disable is set (then call
-- require('venvd').setup{...} yourself, e.g. with options).
if vim.g.loaded_venvd or vim.g.venvd_disable or vim.fn.has('nvim-0.7') == 0 then
  return
end
vim.g.loaded_venvd = true
require('venvd').setup()
